"""Canonical DAG-CBOR in pure Python: what an offline verifier reads and hashes.

finchain's codec (``finchain.codec``) goes through compiled code (libipld to
parse, the ``finchain_native`` extension to write); an offline verifier should
need nothing of the kind. It needs two things: a solo block header's bytes (to
hash it and check the validator's signature) and a transaction's fields (to
see, for instance, that it records a document). Both are canonical DAG-CBOR:
maps with text keys sorted by encoded length then bytes, minimal-length
integers and lengths, no indefinite lengths, no tags, no floats. ``decode``
parses strictly and then re-encodes, refusing any input whose bytes differ, so
one meaning has one byte string here as in the node (the tests check both
against each other).

A byte string is always a plain byte string (major type 2), as the node
writes it, even when its bytes happen to parse as a CID; a tag (42, an IPLD
link, included) is never canonical here, so a transaction carrying one is
malformed.
"""

from __future__ import annotations

import struct
from typing import Any

__all__ = ["MAX_DEPTH", "CborError", "decode", "encode"]

MAX_DEPTH = 32
_MAJOR_UINT, _MAJOR_NEGINT, _MAJOR_BYTES, _MAJOR_TEXT = 0, 1, 2, 3
_MAJOR_ARRAY, _MAJOR_MAP, _MAJOR_SIMPLE = 4, 5, 7
_FALSE, _TRUE, _NULL = 20, 21, 22


class CborError(ValueError):
    """Bytes that are not canonical DAG-CBOR of the supported kinds (the message says where)."""


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes((major << 5 | n,))
    if n < 1 << 8:
        return bytes((major << 5 | 24, n))
    if n < 1 << 16:
        return bytes((major << 5 | 25,)) + struct.pack(">H", n)
    if n < 1 << 32:
        return bytes((major << 5 | 26,)) + struct.pack(">I", n)
    if n < 1 << 64:
        return bytes((major << 5 | 27,)) + struct.pack(">Q", n)
    raise CborError(f"integer {n} needs more than 64 bits")


def encode(value: Any) -> bytes:
    """Canonical bytes of a dict (text keys), list, str, bytes, int, bool or None."""
    out = bytearray()
    _encode(value, out, 0)
    return bytes(out)


def _encode(value: Any, out: bytearray, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CborError(f"nested deeper than {MAX_DEPTH} levels")
    if value is None:
        out.append(_MAJOR_SIMPLE << 5 | _NULL)
    elif value is True or value is False:
        out.append(_MAJOR_SIMPLE << 5 | (_TRUE if value else _FALSE))
    elif type(value) is int:
        out += _head(_MAJOR_UINT, value) if value >= 0 else _head(_MAJOR_NEGINT, -1 - value)
    elif type(value) is bytes:
        out += _head(_MAJOR_BYTES, len(value)) + value
    elif type(value) is str:
        data = value.encode()
        out += _head(_MAJOR_TEXT, len(data)) + data
    elif type(value) is list:
        out += _head(_MAJOR_ARRAY, len(value))
        for item in value:
            _encode(item, out, depth + 1)
    elif type(value) is dict:
        if any(type(k) is not str for k in value):
            raise CborError("map keys must be text")
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        out += _head(_MAJOR_MAP, len(keys))
        for key in keys:
            _encode(key, out, depth + 1)
            _encode(value[key], out, depth + 1)
    else:
        raise CborError(f"a {type(value).__name__} has no canonical encoding here")


def decode(data: bytes, *, max_size: int) -> Any:
    """The value of canonical bytes; CborError for anything else (never another exception)."""
    if type(data) is not bytes:
        raise CborError("input must be bytes")
    if len(data) > max_size:
        raise CborError(f"{len(data)} bytes exceeds the limit of {max_size} bytes")
    try:
        value, end = _decode(data, 0, 0)
    except (IndexError, struct.error):
        raise CborError("truncated input") from None
    except UnicodeDecodeError:
        raise CborError("a text string is not valid UTF-8") from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops far earlier
        raise CborError("nested too deeply") from None
    if end != len(data):
        raise CborError(f"{len(data) - end} bytes left after the value")
    if encode(value) != data:
        raise CborError("not in canonical form (re-encoding differs)")
    return value


def _decode(data: bytes, pos: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise CborError(f"nested deeper than {MAX_DEPTH} levels")
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    pos += 1
    if major == _MAJOR_SIMPLE:
        simple = {_FALSE: False, _TRUE: True, _NULL: None}
        if info not in simple:
            raise CborError(f"unsupported simple value or float (0x{initial:02x}) at {pos - 1}")
        return simple[info], pos
    if info < 24:
        n = info
    elif info <= 27:
        size = 1 << (info - 24)
        if pos + size > len(data):
            raise IndexError
        n = int.from_bytes(data[pos : pos + size], "big")
        pos += size
    else:
        raise CborError(f"indefinite length or reserved value (0x{initial:02x}) at {pos - 1}")
    if major == _MAJOR_UINT:
        return n, pos
    if major == _MAJOR_NEGINT:
        return -1 - n, pos
    if major in (_MAJOR_BYTES, _MAJOR_TEXT):
        if pos + n > len(data):
            raise IndexError
        chunk = data[pos : pos + n]
        return (chunk if major == _MAJOR_BYTES else chunk.decode()), pos + n
    if major == _MAJOR_ARRAY:
        if n > len(data) - pos:  # every item takes at least one byte
            raise IndexError
        items = []
        for _ in range(n):
            item, pos = _decode(data, pos, depth + 1)
            items.append(item)
        return items, pos
    if major == _MAJOR_MAP:
        if 2 * n > len(data) - pos:
            raise IndexError
        result: dict[str, Any] = {}
        for _ in range(n):
            key, pos = _decode(data, pos, depth + 1)
            if type(key) is not str:
                raise CborError("map keys must be text")
            if key in result:
                raise CborError(f"map key {key!r} appears twice")
            result[key], pos = _decode(data, pos, depth + 1)
        return result, pos
    raise CborError(f"tags are not allowed (0x{initial:02x}) at {pos - 1}")
