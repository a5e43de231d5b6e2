"""The ``did:finchain`` syntax and verification-method ids (docs/did-method.md).

A finchain DID is ``did:finchain:<chain_id>:<suffix>``: the suffix is a
10-digit chain-assigned counter and two ISO 7064 MOD 97-10 check digits (as
account ids), so a mistyped DID is caught before any lookup. A verification
method id is ``<did>#<key-id>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from finchain.formats.errors import ErrInvalidDid

DID_PREFIX = "did:finchain:"
_DID = re.compile(r"did:finchain:([a-z0-9][a-z0-9-]{0,48}[a-z0-9]):([0-9]{12})")
KEY_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
MAX_NUMBER = 10**10 - 1


@dataclass(frozen=True, slots=True)
class FinchainDid:
    """A parsed DID: the chain it lives on and its counter value."""

    chain_id: str
    number: int


def did_suffix(number: int) -> str:
    """The 12-digit suffix for counter ``number`` (1..10^10-1): digits + MOD 97-10 check."""
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_NUMBER:
        raise ErrInvalidDid(f"DID number must be an integer in [1, {MAX_NUMBER}]")
    digits = f"{number:010d}"
    return f"{digits}{98 - int(digits) * 100 % 97:02d}"


def make_did(chain_id: str, number: int) -> str:
    """``did:finchain:<chain_id>:<suffix>``; raises ``ErrInvalidDid`` on bad parts."""
    did = f"{DID_PREFIX}{chain_id}:{did_suffix(number)}"
    parse_did(did)
    return did


def parse_did(text: object) -> FinchainDid:
    """The parts of a well-formed ``did:finchain`` DID; ``ErrInvalidDid`` otherwise."""
    match = _DID.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ErrInvalidDid(
            f"{str(text)[:80]!r} is not a did:finchain DID "
            "(did:finchain:<chain-id>:<10 digits + 2 check digits>)"
        )
    suffix = match.group(2)
    if int(suffix) % 97 != 1:
        raise ErrInvalidDid(f"{text} fails its check digits: re-check the DID for typos")
    number = int(suffix[:10])
    if number == 0:
        raise ErrInvalidDid(f"{text}: DID number 0 is never assigned")
    return FinchainDid(match.group(1), number)


def is_did(text: object) -> bool:
    """True iff ``text`` is a well-formed ``did:finchain`` DID."""
    try:
        parse_did(text)
    except Exception:
        return False
    return True


def verification_method_id(did: str, key_id: str) -> str:
    """``<did>#<key_id>``; raises ``ErrInvalidDid`` on a bad DID or key id."""
    parse_did(did)
    if not isinstance(key_id, str) or not KEY_ID.fullmatch(key_id):
        raise ErrInvalidDid(f"key id {str(key_id)[:40]!r} must match {KEY_ID.pattern}")
    return f"{did}#{key_id}"


def split_verification_method_id(text: object) -> tuple[str, str]:
    """``(did, key_id)`` of a well-formed verification method id; ``ErrInvalidDid`` otherwise."""
    if not isinstance(text, str) or text.count("#") != 1:
        raise ErrInvalidDid(f"{str(text)[:80]!r} is not a verification method id (<did>#<key-id>)")
    did, key_id = text.split("#")
    verification_method_id(did, key_id)
    return did, key_id
