"""Signed HTTP requests of an on-chain account (the regulator's API, docs/regulation/regulator.md).

A regulator proves on every request that it holds the keys of an account the
chain lists as a regulator. The client signs a canonical text of the request
with the account's key(s); the node rebuilds the same text from what it
received and verifies the signatures against the account's key policy as the
chain holds it now. Client (``finchain.client``) and node
(``finchain.node.api.regulator_auth``) both build the text here, so the two
can never disagree on a byte.

The signed text is UTF-8, nine lines joined by ``\\n`` (no trailing newline)::

    FINCHAIN-REQUEST-V1
    <chain id>
    <account id>
    <unix time, seconds, decimal>
    <nonce>
    <METHOD>
    <path, percent-decoded, as the node routes it>
    <canonical query>
    <lowercase hex of the chain suite's hash of the body bytes>

The canonical query is the decoded ``(name, value)`` pairs sorted by name, then
value, each part percent-encoded with only ``A-Za-z0-9-._~`` left bare, joined
as ``name=value`` with ``&`` (empty when there is no query). Sorting decoded
pairs makes the text independent of how a client library spelled the query.

The header carrying it::

    Finchain-Signature: account=FC…, time=1765100000, nonce=…, sig=<key id>:<base64>

with one ``sig=`` per signing key (their weights must reach the account's
threshold, as for a transaction).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qsl, quote

HEADER = "Finchain-Signature"
PREFIX = "FINCHAIN-REQUEST-V1"
MAX_SKEW_SECONDS = 60
#: 16 to 64 characters of the URL-safe base64 alphabet: enough entropy, one spelling.
NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """Decoded query pairs in the one spelling both sides sign (see the module docstring)."""
    return "&".join(
        f"{quote(name, safe='-._~')}={quote(value, safe='-._~')}" for name, value in sorted(pairs)
    )


def query_pairs(query_string: str) -> list[tuple[str, str]]:
    """The decoded pairs of a raw query string (``a=1&b=x%20y``), blanks kept."""
    return parse_qsl(query_string, keep_blank_values=True)


def signing_text(
    *,
    chain_id: str,
    account: str,
    time: int,
    nonce: str,
    method: str,
    path: str,
    query: str,
    body_hash: bytes,
) -> bytes:
    """The exact bytes every key signs; ``query`` is already canonical."""
    lines = (
        PREFIX,
        chain_id,
        account,
        str(time),
        nonce,
        method.upper(),
        path,
        query,
        body_hash.hex(),
    )
    return "\n".join(lines).encode()


def header_value(account: str, time: int, nonce: str, sigs: Sequence[tuple[str, bytes]]) -> str:
    """The ``Finchain-Signature`` header for ``sigs`` (key id, signature bytes)."""
    parts = [f"account={account}", f"time={time}", f"nonce={nonce}"]
    parts += [f"sig={key_id}:{base64.b64encode(sig).decode()}" for key_id, sig in sigs]
    return ", ".join(parts)
