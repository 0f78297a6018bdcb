"""`{{secrets/scope/key}}` references: find them, resolve them in text, config objects and child environments."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lakeloader.errors import ConfigError, LakeloaderError, NotFoundError
from lakeloader.secrets.scopes import SecretNotFoundError
from lakeloader.secrets.store import SecretStore

_NAME = r"[A-Za-z0-9_.\-]{1,128}"
REFERENCE_RE = re.compile(r"\{\{secrets/(" + _NAME + r")/(" + _NAME + r")\}\}")
# Anything that looks like an attempt at a reference: caught so that a typo is an error, not a literal password.
_LOOSE_RE = re.compile(r"\{\{\s*secrets\s*/[^{}]*\}\}")
_FORM = "{{secrets/<scope>/<key>}}"


@dataclass(frozen=True)
class SecretReference:
    """One `{{secrets/scope/key}}` found in a text."""

    scope: str
    key: str

    def __str__(self) -> str:
        return "{{secrets/" + self.scope + "/" + self.key + "}}"


def find_references(text: str) -> list[SecretReference]:
    """Every well-formed reference in `text`, in order; a malformed one is a ConfigError naming it."""
    found = [SecretReference(m.group(1), m.group(2)) for m in REFERENCE_RE.finditer(text)]
    for loose in _LOOSE_RE.finditer(text):
        if not REFERENCE_RE.fullmatch(loose.group(0)):
            shown = loose.group(0) if len(loose.group(0)) <= 80 else loose.group(0)[:80] + "...}}"
            raise ConfigError(
                f"secret reference {shown} is malformed; write {_FORM} with names of letters, digits, '_', '-', '.'"
            )
    return found


def is_reference(value: str) -> bool:
    """Whether `value` is exactly one reference (surrounding whitespace allowed)."""
    return REFERENCE_RE.fullmatch(value.strip()) is not None


class _Resolver:
    """Resolves references against one store, decrypting it at most once and only if a reference is seen."""

    def __init__(self, root: str | os.PathLike[str] | None) -> None:
        self._root = root
        self._values: dict[tuple[str, str], str] = {}

    def text(self, text: str, *, where: str | None = None) -> str:
        try:
            refs = find_references(text)
            if not refs:
                return text
            missing = [(r.scope, r.key) for r in refs if (r.scope, r.key) not in self._values]
            if missing:
                self._values.update(SecretStore(self._root).get_many(missing))
        except SecretNotFoundError as exc:
            ref = SecretReference(exc.scope, exc.key or "")
            raise NotFoundError(f"{_prefix(where)}secret reference {ref}: {exc}") from None
        except LakeloaderError as exc:
            if where is None:
                raise
            raise type(exc)(f"{_prefix(where)}{exc}") from None
        return REFERENCE_RE.sub(lambda m: self._values[(m.group(1), m.group(2))], text)

    def obj(self, obj: Any, where: str) -> Any:
        if isinstance(obj, str):
            return self.text(obj, where=where)
        if isinstance(obj, Mapping):
            return {k: self.obj(v, f"{where}.{k}" if where else str(k)) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            items = [self.obj(v, f"{where}[{i}]") for i, v in enumerate(obj)]
            return tuple(items) if isinstance(obj, tuple) else items
        return obj


def _prefix(where: str | None) -> str:
    return f"{where}: " if where else ""


def resolve_references(text: str, *, root: str | os.PathLike[str] | None = None) -> str:
    """Replace every `{{secrets/scope/key}}` in `text` by its value; each value is registered with the redactor.

    An unknown scope or key is a NotFoundError naming the reference (never a value).
    """
    return _Resolver(root).text(text)


def resolve_in(obj: Any, *, root: str | os.PathLike[str] | None = None) -> Any:
    """A copy of a JSON-like object (dicts, lists, tuples, strings) with every reference in its strings resolved.

    Errors name the path of the value, like `connection.password: secret reference {{secrets/kardia/pg_pw}}: ...`.
    """
    return _Resolver(root).obj(obj, "")


def child_env(env: Mapping[str, str], *, root: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """The environment for a child process with references in its values resolved (`PW={{secrets/kardia/pg_pw}}`).

    Errors name the variable, like `environment variable POSTGRES_PW: secret reference ...`.
    """
    resolver = _Resolver(root)
    return {name: resolver.text(value, where=f"environment variable {name}") for name, value in env.items()}


def require_reference(value: Any, field: str) -> str:
    """Accept only a `{{secrets/scope/key}}` reference for a secret config field; refuse a plain secret.

    Works with a str or a pydantic `SecretStr`; use it in a `field_validator`. The refused value is registered
    with the redactor (it is a secret that was written where it should not be) and never shown.
    """
    text = value.get_secret_value() if hasattr(value, "get_secret_value") else value
    if not isinstance(text, str):
        raise ConfigError(f"{field}: expected a secret reference {_FORM}, got {type(text).__name__}; write one")
    if is_reference(text):
        find_references(text)
        return text.strip()
    from lakeloader.secrets.redact import register

    register(text)
    if _LOOSE_RE.search(text):
        find_references(text)  # a malformed reference: say which
    raise ConfigError(
        f"{field}: a plain secret is not allowed here; store it with 'lakeloader secrets put-secret <scope> <key>' "
        f"and write {_FORM} instead"
    )
