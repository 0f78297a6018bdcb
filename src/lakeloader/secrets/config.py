"""Pydantic helpers for config models: a field that only accepts a `{{secrets/scope/key}}` reference."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo

from lakeloader.secrets.references import require_reference


def _only_reference(value: Any, info: ValidationInfo) -> str:
    return require_reference(value, info.field_name or "secret field")


# `password: SecretReferenceStr` in a model refuses a plain secret with a ConfigError naming the field.
SecretReferenceStr = Annotated[str, AfterValidator(_only_reference)]
