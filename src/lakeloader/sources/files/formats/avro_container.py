"""The Avro object container, byte by byte: header, metadata, blocks and codecs, as the Avro spec lays them out.

Reading the frame ourselves lets a file's header be rewritten (its data blocks do not depend on it) and any codec
be decoded (fastavro needs cramjam for snappy and cannot read non-UTF-8 metadata; polars lacks zstandard, bzip2, xz).
"""

from __future__ import annotations

import bz2
import json
import lzma
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAGIC = b"Obj\x01"
FAST_CODECS = ("null", "deflate", "snappy")  # the codecs polars decodes itself


class ContainerError(ValueError):
    """The bytes break the Avro container format: the file (or the rest of it) is corrupt."""


@dataclass(frozen=True)
class Header:
    schema: Any  # the writer's schema, as parsed JSON
    codec: str
    sync: bytes
    meta: dict[str, bytes]
    end: int  # offset of the first data block


@dataclass(frozen=True)
class Block:
    count: int
    start: int  # offset of the block's first byte (its record count)
    payload: bytes  # as stored: still compressed with the file's codec


def _long(data: bytes, pos: int) -> tuple[int, int]:
    """Avro's zig-zag varint at `pos`: (value, next position)."""
    shift = result = 0
    while True:
        if pos >= len(data):
            raise ContainerError("the file ends inside a number")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 63:
            raise ContainerError("a number is longer than 10 bytes")


def write_long(value: int) -> bytes:
    n = (value << 1) ^ (value >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    size, pos = _long(data, pos)
    if size < 0 or pos + size > len(data):
        raise ContainerError("the header ends inside a metadata entry")
    return data[pos : pos + size], pos + size


def parse_header(data: bytes) -> Header:
    """The container's header; raises ContainerError if it is not one, as the spec defines it."""
    if data[:4] != MAGIC:
        if data[:3] == b"Obj":
            raise ContainerError(f"Avro container version {data[3]} (the spec defines version 1 only)")
        raise ContainerError("not an Avro container file (no 'Obj' magic bytes)")
    meta: dict[str, bytes] = {}
    pos = 4
    while True:
        count, pos = _long(data, pos)
        if count == 0:
            break
        if count < 0:
            _, pos = _long(data, pos)  # a negative count is followed by the block's size in bytes
            count = -count
        for _ in range(count):
            key, pos = _bytes(data, pos)
            meta[key.decode("utf-8", "replace")], pos = _bytes(data, pos)
    if pos + 16 > len(data):
        raise ContainerError("the header ends before its sync marker")
    if "avro.schema" not in meta:
        raise ContainerError("the header has no avro.schema")
    try:
        schema = json.loads(meta["avro.schema"].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContainerError(f"the header's avro.schema is not JSON: {exc}") from None
    codec = meta.get("avro.codec", b"null").decode("utf-8", "replace") or "null"
    if codec not in _DECODERS:
        raise ContainerError(f"unknown Avro codec {codec!r} (the spec has null, deflate, snappy, zstandard, bzip2, xz)")
    return Header(schema, codec, data[pos : pos + 16], meta, pos + 16)


def blocks(data: bytes, header: Header) -> Iterator[Block]:
    """Each data block in turn; raises ContainerError at the first one that is cut short or out of sync."""
    pos = header.end
    while pos < len(data):
        start = pos
        count, pos = _long(data, pos)
        size, pos = _long(data, pos)
        if count < 0 or size < 0:
            raise ContainerError(f"block at byte {start} has a negative count or size")
        if pos + size + 16 > len(data):
            raise ContainerError(f"block at byte {start} is cut short (the file is truncated)")
        if data[pos + size : pos + size + 16] != header.sync:
            raise ContainerError(f"block at byte {start} does not end with the file's sync marker")
        yield Block(count, start, data[pos : pos + size])
        pos += size + 16


def _snappy(payload: bytes) -> bytes:
    import pyarrow as pa

    if len(payload) < 4:
        raise ContainerError("a snappy block is shorter than its checksum")
    body, crc = payload[:-4], struct.unpack(">I", payload[-4:])[0]
    size, shift, i = 0, 0, 0
    while True:  # raw snappy starts with the uncompressed length, a little-endian base-128 varint
        if i >= len(body):
            raise ContainerError("a snappy block has no length")
        size |= (body[i] & 0x7F) << shift
        shift += 7
        i += 1
        if not body[i - 1] & 0x80:
            break
    out: bytes = pa.Codec("snappy").decompress(body, decompressed_size=size, asbytes=True)
    if zlib.crc32(out) != crc:
        raise ContainerError("a snappy block fails its CRC-32 checksum")
    return out


def _zstd(payload: bytes) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from backports import zstd  # type: ignore[import-not-found,no-redef,unused-ignore]
    out: bytes = zstd.decompress(payload)
    return out


_DECODERS = {
    "null": lambda b: b,
    "deflate": lambda b: zlib.decompress(b, -15),
    "snappy": _snappy,
    "zstandard": _zstd,
    "bzip2": bz2.decompress,
    "xz": lzma.decompress,
}


def decompress(codec: str, payload: bytes) -> bytes:
    try:
        out: bytes = _DECODERS[codec](payload)
    except ContainerError:
        raise
    except Exception as exc:  # each codec library has its own error types
        raise ContainerError(f"a {codec} block does not decompress: {exc}") from None
    return out


def header_bytes(schema: Any, codec: str, sync: bytes) -> bytes:
    """A container header holding `schema` (JSON-able) and `codec`."""
    out = bytearray(MAGIC)
    entries = {"avro.schema": json.dumps(schema).encode(), "avro.codec": codec.encode()}
    out += write_long(len(entries))
    for key, value in entries.items():
        out += write_long(len(key)) + key.encode() + write_long(len(value)) + value
    out += write_long(0) + sync
    return bytes(out)


def block_bytes(block: Block, payload: bytes, sync: bytes) -> bytes:
    return write_long(block.count) + write_long(len(payload)) + payload + sync


@dataclass
class Rewritten:
    """A container rewritten for a reader: its bytes, and where the original broke (None: it is whole)."""

    data: bytes
    records: int  # records in the blocks kept
    damage: str | None = None


def rewrite(data: bytes, header: Header, schema: Any, *, keep_codec: bool) -> Rewritten:
    """The container with `schema` in its header; blocks as they are (keep_codec) or decompressed (null codec).

    Blocks do not depend on the header's schema beyond its binary encoding, so a schema that encodes alike
    (defaults, aliases, names and docs dropped, say) reads the very same values. Stops at the first damaged block.
    """
    codec = header.codec if keep_codec else "null"
    out = [header_bytes(schema, codec, header.sync)]
    records = 0
    try:
        for block in blocks(data, header):
            payload = block.payload if keep_codec else decompress(header.codec, block.payload)
            out.append(block_bytes(block, payload, header.sync))
            records += block.count
    except ContainerError as exc:
        return Rewritten(b"".join(out), records, str(exc))
    return Rewritten(b"".join(out), records)


def check_blocks(data: bytes, header: Header) -> str | None:
    """None if every block is framed as the spec says (sizes, sync markers), else what is wrong."""
    try:
        for _ in blocks(data, header):
            pass
    except ContainerError as exc:
        return str(exc)
    return None
