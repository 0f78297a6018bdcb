"""Redaction: registered values never reach logs, tracebacks or redacted text; hypothesis round trips."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lakeloader.secrets import SecretStore, resolve_references
from lakeloader.secrets.redact import REDACTED, install_logging_filter, redact, redact_obj, register


def test_logs_are_redacted() -> None:
    """Through a plain handler of its own: pytest's capture handler may carry another library's formatter by now
    (pyspark's loggers give every handler added to them a JSON formatter), which is not what is tested here."""
    import io

    register("log-canary-42")
    log = logging.getLogger("lakeloader.test.redact")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    install_logging_filter(log)
    try:
        log.info("connecting with password %s", "log-canary-42")
        try:
            raise RuntimeError("auth failed for log-canary-42")
        except RuntimeError:
            log.exception("boom")
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert "log-canary-42" not in text
    assert "connecting with password [REDACTED]" in text and "auth failed for [REDACTED]" in text


def test_single_pass_longest_first() -> None:
    register("abc")
    register("abcdef")
    register("ED]")  # a part of the marker itself must not make redaction loop or mask markers
    assert redact("xabcdefx abc") == f"x{REDACTED}x {REDACTED}"
    assert redact("ED]") == REDACTED
    assert redact_obj({"k": ["abc", 1]}) == {"k": [REDACTED, 1]}
    register("ab")  # too short to mask without shredding text
    assert redact("ab") == "ab"


def _leaks(value: str, text: str) -> bool:
    """Whether `value` is visible in `text` outside the markers that replaced it."""
    return any(value in part for part in text.split(REDACTED))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(min_size=3, max_size=60), before=st.text(max_size=20), after=st.text(max_size=20))
def test_any_value_round_trips_and_never_leaks_once_resolved(
    tmp_path_factory: pytest.TempPathFactory, value: str, before: str, after: str
) -> None:
    root = _shared_root(tmp_path_factory)
    store = SecretStore(root)
    store.put_secret("prop", "value", value)
    assert SecretStore(root).get_secret("prop", "value") == value
    resolved = resolve_references(before + "{{secrets/prop/value}}" + after, root=root)
    assert resolved == before + value + after
    assert not _leaks(value, redact(resolved))


_roots: dict[int, Path] = {}


def _shared_root(factory: pytest.TempPathFactory) -> Path:
    """One store for all hypothesis examples of a run (creating a key per example would only cost time)."""
    key = id(factory)
    if key not in _roots:
        _roots[key] = factory.mktemp("prop") / "lakehouse"
        SecretStore(_roots[key]).create_scope("prop")
    return _roots[key]


_SECRET_CHARS = st.characters(min_codepoint=33, max_codepoint=126)


@settings(max_examples=200, deadline=None)
@given(secret=st.text(_SECRET_CHARS, min_size=8, max_size=24))
@example(secret="[REDACTE")  # a piece of the mask: the masked text holds it, and leaks nothing
def test_every_form_a_password_takes_in_a_url_is_masked(secret: str) -> None:
    """URL-encoded, decoded, lower-cased, or cut apart by a parser when it was put in a URL unencoded."""
    from urllib.parse import quote, quote_plus, unquote, urlsplit

    register(secret)
    shown = [secret, quote(secret, safe=""), quote(secret), quote_plus(secret), unquote(secret), secret.lower()]
    for form in shown:  # the mask itself may hold the secret's letters (a secret "[REDACTE"): look past it
        masked = redact(f"connect to postgresql://u:{form}@host:5432/db failed").replace(REDACTED, "\0")
        assert form not in masked or len(form) < 3
    raw = f"postgresql://user:{secret}@127.0.0.1:5432/db"  # the mistake: not encoded
    try:
        parts = urlsplit(raw)
        leaked = [parts.netloc, parts.hostname or "", parts.path, parts.password or "", parts.username or ""]
    except ValueError:
        return  # not parseable: nothing is printed from it
    for text in leaked:
        masked = redact(text).replace(REDACTED, "\0")
        for piece in _pieces(secret):
            assert piece not in masked, (text, masked, piece)


def _pieces(secret: str) -> list[str]:
    """The parts of `secret` a reader could learn most from: itself and its long runs between URL delimiters."""
    import re

    return [secret, *(p for p in re.split(r"[@:/?#]", secret) if len(p) >= 6)]


def test_the_issue_example_leaks_nothing() -> None:
    from urllib.parse import urlsplit

    secret = "P@ss:W/rd%41+Z"
    register(secret)
    parts = urlsplit(f"postgresql://postgres:{secret}@127.0.0.1:5432/postgres")
    text = f"could not connect to {parts.hostname}:{parts.path} as {parts.username}:{parts.password}"
    masked = redact(text)
    for piece in ("ss:W/rd", "ss:W/rdA+Z", "W/rd%41+Z", "rd%41+Z", "rdA+Z"):
        assert piece not in masked, masked
