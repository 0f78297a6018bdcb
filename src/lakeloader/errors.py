"""The error hierarchy: one root, two markers (retryable, terminal), messages that name object, cause and fix."""

from __future__ import annotations


class LakeloaderError(Exception):
    """Root of every error lakeloader raises on purpose.

    The message names the object, the cause and the fix, on one line. The CLI prints it in red and exits 1.
    """

    def __init__(self, message: str) -> None:
        from lakeloader.secrets.redact import redact

        super().__init__(redact(message))


class RetryableError(LakeloaderError):
    """A transient failure (lost connection, lost commit race): the same call may succeed later."""


class TerminalError(LakeloaderError):
    """A failure that will repeat until the user changes something (bad name, bad input, bad config)."""


class NameError_(TerminalError):
    """A catalog, schema, table or volume name is malformed."""


class NotFoundError(TerminalError):
    """An object that was named does not exist."""


class AlreadyExistsError(TerminalError):
    """An object that was to be created already exists."""


class SchemaMismatchError(TerminalError):
    """Incoming data does not fit the table's schema and cannot be evolved into it."""


class ReadOnlyError(TerminalError):
    """A write to something that is read-only here (a foreign catalog)."""


class ConfigError(TerminalError):
    """A configuration value or option is invalid."""


class CommitConflictError(RetryableError):
    """A Delta commit lost an optimistic-concurrency race more times than allowed."""
