# Two commands on a fresh machine with only python3 and make: `make demo` and `make test`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-stamp
UV      := $(shell command -v uv 2>/dev/null)

.PHONY: demo test test-fast lint fmt bench clean docs

$(STAMP): pyproject.toml
	@test -x $(PY) || { if [ -n "$(UV)" ]; then $(UV) venv -q $(VENV); else python3 -m venv $(VENV); fi; }
	@if [ -n "$(UV)" ]; then $(UV) pip install -q --python $(PY) -e '.[dev]'; \
	 else $(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'; fi
	@$(PY) -m compileall -q src >/dev/null  # bytecode once: runs under PYTHONDONTWRITEBYTECODE start 30 ms faster
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/lakeloader --root $${LAKELOADER_ROOT:-./lakehouse} demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format --check src tests bench examples
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest -q

test-fast: $(STAMP)
	$(VENV)/bin/pytest -q -m "not slow"

fmt: $(STAMP)
	$(VENV)/bin/ruff format src tests bench examples
	$(VENV)/bin/ruff check --fix src tests bench examples

bench: $(STAMP)
	$(PY) bench/postgres_to_delta.py
	$(PY) bench/files_to_delta.py
	$(PY) bench/pipelines.py
	$(PY) bench/small_batches.py
	$(PY) bench/federation.py

clean:
	rm -rf $(VENV) lakehouse .pytest_cache .mypy_cache .ruff_cache

docs: $(STAMP)
	$(VENV)/bin/typer --app app lakeloader.cli.main utils docs --name lakeloader --title "lakeloader CLI reference" --output docs/cli.md
