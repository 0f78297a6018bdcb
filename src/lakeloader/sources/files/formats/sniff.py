"""What a file's bytes say it is: a file of another format than the stream's is refused before anything is read.

A Parquet file read as JSON would land as rows of binary garbage in `_corrupt_record`, its file marked ingested;
so the magic bytes of Parquet, Avro, ORC and of compressors are checked first. Compression is taken from the
file's name (`.gz`, `.bz2`, `.lz4`, `.zst`), as Spark takes it: compressed bytes under another name are refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lakeloader.errors import ConfigError


def _parquet_end(tail: bytes, size: int) -> bool:
    """Parquet ends with its footer's length (which fits in the file) and `PAR1`."""
    return tail[-4:] == b"PAR1" and len(tail) >= 8 and int.from_bytes(tail[-8:-4], "little") <= size - 12


def _orc_end(tail: bytes, size: int) -> bool:
    """ORC keeps `ORC` just before its last byte, the postscript's length."""
    return tail[-4:-1] == b"ORC" and 0 < tail[-1] < size


# (what the file is, its `format`, its first bytes, a test of its last bytes (None: the first say enough))
_CONTAINERS: list[tuple[str, str, re.Pattern[bytes], Callable[[bytes, int], bool] | None]] = [
    ("a Parquet file", "parquet", re.compile(rb"PAR[1E]"), _parquet_end),
    ("an Avro container file", "avro", re.compile(rb"Obj\x01"), None),
    ("an ORC file", "orc", re.compile(rb"ORC"), _orc_end),
]
_COMPRESSED: list[tuple[str, str, re.Pattern[bytes]]] = [
    ("gzip", ".gz", re.compile(rb"\x1f\x8b\x08")),
    ("zstd", ".zst", re.compile(rb"\x28\xb5\x2f\xfd")),
    ("bzip2", ".bz2", re.compile(rb"BZh[1-9]1AY&SY")),
    ("lz4", ".lz4", re.compile(rb"\x04\x22\x4d\x18")),
    ("xz", ".xz", re.compile(rb"\xfd7zXZ\x00")),
    ("zip", ".zip", re.compile(rb"PK\x03\x04")),
]
_NAMED = (".gz", ".bz2", ".lz4", ".zst")  # what pyarrow decompresses by name, as the text readers do
_HEAD = 16


def _container(head: bytes, tail: bytes | None, size: int) -> tuple[str, str] | None:
    """The container format the bytes show; `tail` None: only the head is known (a decompressed file)."""
    for what, fmt, start, end in _CONTAINERS:
        if not start.match(head):
            continue
        if end is None or (tail is None and fmt == "parquet") or (tail is not None and end(tail, size)):
            return what, fmt
    return None


def check(path: str, fmt: str) -> None:
    """Raise a one-line ConfigError if `path`'s bytes show a format other than `fmt` (binaryFile reads anything)."""
    if fmt == "binaryFile":
        return
    try:
        head, size, tail = _ends(path)
    except OSError:
        return  # vanished or unreadable: the reader reports it as a bad file
    unread = "; nothing was committed and the files stay unread"
    for what, suffix, magic in _COMPRESSED:
        if not magic.match(head):
            continue
        if suffix not in _NAMED:
            raise ConfigError(f"file {path} is {what}-compressed and {what} is not read: unpack it{unread}")
        if not path.lower().endswith(suffix):
            raise ConfigError(
                f"file {path} is {what}-compressed but its name does not say so: compression is taken from the "
                f"name, so rename it to end in {suffix}{unread}"
            )
        head, tail = (b"" if "://" in path else _decompressed_head(path)), None  # an object: the reader tells
        break
    found = _container(head, tail, size)
    if found is not None and found[1] != fmt:
        what, other = found
        use = f"use --format {other} (format {other!r})" if other != "orc" else "ORC is not supported: convert it"
        raise ConfigError(f"file {path} is {what}, not {fmt}: {use}, or leave it out with pathGlobFilter{unread}")


def _ends(path: str) -> tuple[bytes, int, bytes | None]:
    """The first 16 bytes, the size and the last 8 bytes of a file (of an object: two ranged reads)."""
    if "://" in path:
        from lakeloader.sources.files.objects import ends

        return ends(path, _HEAD, 8)
    with open(path, "rb") as fh:
        head = fh.read(_HEAD)
        size = fh.seek(0, 2)
        fh.seek(max(0, size - 8))
        return head, size, fh.read(8)


def _decompressed_head(path: str) -> bytes:
    import pyarrow as pa

    try:
        with pa.input_stream(path, compression="detect") as stream:
            data: bytes = stream.read(_HEAD)
    except (OSError, pa.ArrowException):
        return b""  # corrupt compression: the reader reports it as a bad file
    return data
