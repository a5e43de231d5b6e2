"""Bitstring Status List v1.0: the bitstring, its encoding, and its credential.

An issuer revokes or suspends credential ``i`` by setting bit ``i`` of a
list it publishes as a signed ``BitstringStatusListCredential``. Index 0 is
the left-most bit: the most significant bit of the first byte. The list is at
least 131,072 bits (16 KiB) so that one set bit does not single out a holder.
``encodedList`` is multibase base64url (``u``, no padding) of the
GZIP-compressed bits.

Decoding caps both the encoded and the decompressed size: a few kilobytes of
GZIP can expand to gigabytes, and a verifier fetches lists from the network.

The on-chain anchor of a list credential is ``hash(JCS(credential))`` under
the chain suite's hash, proof included, so a verifier can tell the list it
was served from the one the issuer anchored.
"""

from __future__ import annotations

import gzip
import zlib
from datetime import datetime
from typing import Any

from finchain.crypto import hash_bytes
from finchain.formats.multibase import decode_base64url, encode_base64url
from finchain.formats.times import format_time
from finchain.offchain.vc.credentials import CREDENTIALS_V2, VERIFIABLE_CREDENTIAL, issue
from finchain.offchain.vc.errors import ErrMalformedStatusList, ErrStatusIndexRange
from finchain.offchain.vc.jcs import canonicalize

MIN_BITS = 131_072
"""The spec's minimum list length (16 KiB), for herd privacy."""

MAX_BITS = 8 * 1024 * 1024 * 8
"""The largest list finchain decodes: 8 MiB of bits, over 67 million entries."""

MAX_ENCODED_CHARS = 4 * 1024 * 1024
"""Largest ``encodedList`` accepted (4 Mi characters, 3 MiB of GZIP)."""

STATUS_LIST_CREDENTIAL = "BitstringStatusListCredential"
STATUS_LIST = "BitstringStatusList"
REVOCATION = "revocation"
SUSPENSION = "suspension"
STATUS_PURPOSES = (REVOCATION, SUSPENSION)


class StatusList:
    """A mutable bitstring of ``size`` status bits, all clear at first.

    Example::

        bits = StatusList()
        bits.set(94567)
        credential["credentialSubject"]["encodedList"] = bits.encode()
    """

    __slots__ = ("_bits",)

    def __init__(self, size: int = MIN_BITS) -> None:
        if (
            isinstance(size, bool)
            or not isinstance(size, int)
            or not MIN_BITS <= size <= MAX_BITS
            or size % 8
        ):
            raise ErrStatusIndexRange(
                f"a status list holds a multiple of 8 bits in [{MIN_BITS}, {MAX_BITS}], got {size}"
            )
        self._bits = bytearray(size // 8)

    @property
    def size(self) -> int:
        """The number of status bits."""
        return len(self._bits) * 8

    def get(self, index: int) -> bool:
        """True iff bit ``index`` is set; ``ErrStatusIndexRange`` outside the list."""
        byte, mask = self._locate(index)
        return bool(self._bits[byte] & mask)

    def set(self, index: int) -> None:
        """Set bit ``index`` (revoke or suspend that credential)."""
        byte, mask = self._locate(index)
        self._bits[byte] |= mask

    def clear(self, index: int) -> None:
        """Clear bit ``index`` (lift a suspension)."""
        byte, mask = self._locate(index)
        self._bits[byte] &= ~mask & 0xFF

    def to_bytes(self) -> bytes:
        """The raw bitstring, index 0 in the most significant bit of byte 0."""
        return bytes(self._bits)

    def encode(self) -> str:
        """The ``encodedList`` value: ``u`` + base64url(GZIP(bits)), no padding.

        The GZIP header's modification time is zero, so encoding is deterministic.
        """
        return encode_base64url(gzip.compress(bytes(self._bits), compresslevel=9, mtime=0))

    @classmethod
    def decode(cls, encoded: object, *, max_bits: int = MAX_BITS) -> StatusList:
        """The list of an ``encodedList`` value.

        Raises ``ErrMalformedMultibase`` (bad text), or ``ErrMalformedStatusList``
        when it is not GZIP, decompresses past ``max_bits`` bits, is shorter
        than :data:`MIN_BITS` or not whole bytes.
        """
        compressed = decode_base64url(encoded, max_chars=MAX_ENCODED_CHARS)
        limit = min(max_bits, MAX_BITS) // 8
        bits = _gunzip(compressed, limit)
        if len(bits) * 8 < MIN_BITS:
            raise ErrMalformedStatusList(
                f"status list has {len(bits) * 8} bits, fewer than the {MIN_BITS} required"
            )
        status = cls.__new__(cls)
        status._bits = bytearray(bits)
        return status

    def _locate(self, index: int) -> tuple[int, int]:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.size:
            raise ErrStatusIndexRange(
                f"status index {index!r} is outside the list: use 0..{self.size - 1}"
            )
        return index // 8, 0x80 >> (index % 8)


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress one GZIP member to at most ``limit`` bytes, refusing trailing data."""
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(data, limit + 1)
    except zlib.error:
        raise ErrMalformedStatusList("encodedList is not GZIP-compressed data") from None
    if len(out) > limit:
        raise ErrMalformedStatusList(
            f"encodedList decompresses past {limit} bytes: refused as oversized"
        )
    if not decompressor.eof or decompressor.unused_data or decompressor.unconsumed_tail:
        raise ErrMalformedStatusList("encodedList is truncated or has data after the GZIP member")
    return out


def build_status_list_credential(
    *,
    list_id: str,
    issuer: str,
    purpose: str,
    status: StatusList,
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """The unsecured ``BitstringStatusListCredential`` publishing ``status``.

    Parameters:
        list_id: the credential's id, the URL credentials put in ``statusListCredential``.
        issuer: the issuer DID (the same issuer as the credentials it covers).
        purpose: ``revocation`` or ``suspension``.
        status: the bits.
        valid_from, valid_until: the window in which verifiers may rely on it.

    Raises ``ErrMalformedStatusList`` on a bad purpose or id.
    """
    if purpose not in STATUS_PURPOSES:
        raise ErrMalformedStatusList(f"statusPurpose must be one of {STATUS_PURPOSES}")
    if not isinstance(list_id, str) or not list_id or "#" in list_id:
        raise ErrMalformedStatusList("a status list id is a non-empty URL without a fragment")
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2],
        "id": list_id,
        "type": [VERIFIABLE_CREDENTIAL, STATUS_LIST_CREDENTIAL],
        "issuer": issuer,
        "validFrom": format_time(valid_from),
        "credentialSubject": {
            "id": f"{list_id}#list",
            "type": STATUS_LIST,
            "statusPurpose": purpose,
            "encodedList": status.encode(),
        },
    }
    if valid_until is not None:
        credential["validUntil"] = format_time(valid_until)
    return credential


#: Sign a status list credential: it takes an ``assertionMethod`` proof like any credential.
issue_status_list_credential = issue


def anchor_digest(status_list_credential: dict[str, Any], hash_name: str) -> bytes:
    """The digest the issuer anchors on chain: ``hash(JCS(credential))``, proof included.

    Parameters:
        hash_name: the chain suite's hash, ``sha256`` (intl) or ``sm3`` (gm).
    """
    return hash_bytes(hash_name, canonicalize(status_list_credential))


def read_status_list(status_list_credential: dict[str, Any]) -> tuple[str, StatusList]:
    """``(statusPurpose, bits)`` of a status list credential's subject.

    Raises ``ErrMalformedStatusList`` (or ``ErrMalformedMultibase``) on a bad shape.
    """
    subject = (
        status_list_credential.get("credentialSubject")
        if isinstance(status_list_credential, dict)
        else None
    )
    types = status_list_credential.get("type") if isinstance(status_list_credential, dict) else None
    if not isinstance(types, list) or STATUS_LIST_CREDENTIAL not in types:
        raise ErrMalformedStatusList(f"credential type must include {STATUS_LIST_CREDENTIAL}")
    if not isinstance(subject, dict) or subject.get("type") != STATUS_LIST:
        raise ErrMalformedStatusList(f"credentialSubject must be a {STATUS_LIST}")
    purpose = subject.get("statusPurpose")
    if purpose not in STATUS_PURPOSES:
        raise ErrMalformedStatusList(f"statusPurpose must be one of {STATUS_PURPOSES}")
    return str(purpose), StatusList.decode(subject.get("encodedList"))
