"""Solo block headers, offline: the header hash, the hash chain and the validator's signature.

A solo header commits to the chain, the height and time, the previous block
(``last_block_hash``: the hash chain), the block's tx root and the app hash
after executing it::

    {chain_id, height, time_ns, last_block_hash, tx_root, app_hash, proposer}

Its hash is the suite hash of its canonical DAG-CBOR bytes
(:func:`header_hash`); the validator (``proposer``, its public key) signs
``"finchain/block-header/v1\\0" ‖ DAG-CBOR(header)`` (:func:`header_sign_bytes`).
A third party holding the trusted validator key (from genesis) checks a header
with :func:`verify_header`, passing the signature check as ``verify`` (see
:mod:`finchain.light.validators`), and a run of headers with :func:`check_chain`.
Headers are dicts in finchain's form: integers, and ``bytes`` for hashes and keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from finchain.light import cbor
from finchain.light.hashes import Hash
from finchain.light.validators import SignatureVerifier

__all__ = [
    "HEADER_DOMAIN",
    "HEADER_FIELDS",
    "check_chain",
    "header_hash",
    "header_sign_bytes",
    "verify_header",
]

HEADER_DOMAIN = b"finchain/block-header/v1\x00"
HEADER_FIELDS = (
    "chain_id",
    "height",
    "time_ns",
    "last_block_hash",
    "tx_root",
    "app_hash",
    "proposer",
)


def header_hash(header: Mapping[str, Any], h: Hash) -> bytes:
    """The block hash: ``h`` (the chain's suite hash) of the header's canonical bytes."""
    return h(cbor.encode(dict(header)))


def header_sign_bytes(header: Mapping[str, Any]) -> bytes:
    """What the validator signs: the domain, then the header's canonical bytes."""
    return HEADER_DOMAIN + cbor.encode(dict(header))


def verify_header(
    header: Mapping[str, Any],
    signature: bytes,
    scheme: str,
    public_key: bytes,
    *,
    verify: SignatureVerifier,
) -> bool:
    """True iff ``signature`` by the validator key ``public_key`` covers exactly this header.

    The header must have exactly :data:`HEADER_FIELDS` and name ``public_key`` as its
    proposer. ``verify`` checks the signature (``verify(scheme, public_key, message,
    signature)``). Never raises for a malformed header: it is False.
    """
    if set(header) != set(HEADER_FIELDS) or header.get("proposer") != public_key:
        return False
    try:
        message = header_sign_bytes(header)
    except cbor.CborError:
        return False
    return verify(scheme, public_key, message, signature)


def check_chain(headers: Sequence[Mapping[str, Any]], h: Hash) -> str:
    """Why ``headers`` (in height order) do not form a hash chain ("" if they do).

    Each header must be of the same chain as the first, one height above the one
    before it, and name that one's hash as its ``last_block_hash``. With the last
    header's signature checked (:func:`verify_header`), this carries the trust
    down to every earlier header: their tx roots and app hashes.
    """
    try:
        for before, after in pairwise(headers):
            if after["chain_id"] != before["chain_id"]:
                return f"height {after['height']} is of chain {after['chain_id']!r}"
            if after["height"] != before["height"] + 1:
                return f"height {after['height']} follows height {before['height']}"
            if after["last_block_hash"] != header_hash(before, h):
                return f"height {after['height']} does not name the hash of the header before it"
    except (KeyError, TypeError, cbor.CborError) as exc:
        return f"malformed header: {exc}"
    return ""
