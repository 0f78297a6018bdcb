# Two commands on a fresh machine with only python3 and make: `make demo` and `make test`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-stamp
UV      := $(shell command -v uv 2>/dev/null)

.PHONY: demo test test-fast test-latest lock lint fmt bench clean docs parity-answers

# The versions CI tested: requirements.lock (uv pip compile, every platform and Python >= 3.11) constrains the
# install; pyproject.toml keeps lower bounds for library users. `make lock` refreshes it, `make test-latest` runs
# the suite against the newest releases instead (not in CI's path), so a breaking release is seen the day it ships.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || { echo "creating $(VENV)"; if [ -n "$(UV)" ]; then $(UV) venv -q $(VENV); else python3 -m venv $(VENV); fi; }
	@echo "installing lakeloader and its $$(grep -c '^[a-zA-Z]' requirements.lock) locked dependencies into $(VENV) (about 100 s the first time)"
	@if [ -n "$(UV)" ]; then $(UV) pip install --python $(PY) -c requirements.lock -e '.[dev]'; \
	 else $(PY) -m pip install --disable-pip-version-check --progress-bar on -c requirements.lock -e '.[dev]'; fi
	@$(PY) -m compileall -q src >/dev/null  # bytecode once: runs under PYTHONDONTWRITEBYTECODE start 30 ms faster
	@touch $(STAMP)

lock: $(STAMP)
	@$(PY) -m pip install -q --disable-pip-version-check uv
	$(PY) -m uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 -o requirements.lock

test-latest:
	@test -x .venv-latest/bin/python || python3 -m venv .venv-latest
	.venv-latest/bin/python -m pip install -q --disable-pip-version-check -U --upgrade-strategy eager -e '.[dev]'
	LAKELOADER_LATEST=1 .venv-latest/bin/pytest -q

# Spark's answers to the SQL parity corpus (tests/parity/answers/, committed), asked again of a real Spark session.
parity-answers: $(STAMP)
	$(PY) -m tests.parity.report --refresh

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
	$(PY) bench/pyspark_api.py
	$(PY) bench/object_storage.py
	$(PY) bench/ray_executor.py

clean:
	rm -rf $(VENV) .venv-latest lakehouse .pytest_cache .mypy_cache .ruff_cache

docs: $(STAMP)
	$(VENV)/bin/typer --app app lakeloader.cli.main utils docs --name lakeloader --title "lakeloader CLI reference" --output docs/cli.md
	$(VENV)/bin/python -m lakeloader.sql.docs docs/sql.md
