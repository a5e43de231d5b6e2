"""Verifiable Presentations 2.0: a holder shows credentials to one verifier.

The holder signs the presentation with an ``authentication`` proof bound to
the verifier's ``challenge`` (a nonce) and ``domain`` (who asked), so a
presentation captured once cannot be replayed elsewhere or later. The
verifier checks that the proof key is one of the holder DID's authentication
methods and that the holder is every credential's subject.

Example::

    vp = build_presentation(holder=alice_did, credentials=[kyc_vc])
    signed = sign_presentation(vp, alice_key, f"{alice_did}#k1", created=now,
                               challenge=nonce, domain="bank.example")
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from finchain.crypto import PrivateKey
from finchain.offchain.vc.credentials import CREDENTIALS_V2
from finchain.offchain.vc.errors import ErrKeyMismatch, ErrMalformedPresentation
from finchain.offchain.vc.jcs import canonicalize
from finchain.offchain.vc.proofs import AUTHENTICATION, add_proof

VERIFIABLE_PRESENTATION = "VerifiablePresentation"
MAX_CREDENTIALS = 32
_MAX_NONCE = 256


@dataclass(frozen=True, slots=True)
class PresentationInfo:
    """The holder and the enclosed credentials of a presentation."""

    holder: str
    credentials: tuple[dict[str, Any], ...]


def build_presentation(
    *,
    holder: str,
    credentials: Sequence[dict[str, Any]],
    presentation_id: str | None = None,
) -> dict[str, Any]:
    """An unsigned VP 2.0 enclosing ``credentials`` (secured credentials, as issued).

    Raises ``ErrMalformedPresentation`` (or ``ErrMalformedJson``).
    """
    presentation: dict[str, Any] = {
        "@context": [CREDENTIALS_V2],
        "type": [VERIFIABLE_PRESENTATION],
        "holder": holder,
        "verifiableCredential": [copy.deepcopy(c) for c in credentials],
    }
    if presentation_id is not None:
        presentation["id"] = presentation_id
    read_presentation(presentation)
    canonicalize(presentation)
    return presentation


def sign_presentation(
    presentation: dict[str, Any],
    key: PrivateKey,
    verification_method: str,
    *,
    created: datetime,
    challenge: str,
    domain: str,
    expires: datetime | None = None,
) -> dict[str, Any]:
    """The presentation secured with the holder's ``authentication`` proof.

    Parameters:
        verification_method: ``<holder DID>#<key-id>``, an authentication method.
        challenge, domain: exactly as the verifier sent them.

    Raises ``ErrMalformedPresentation``, ``ErrKeyMismatch``, ``ErrMalformedProof``,
    ``ErrUnsupportedCryptosuite``.
    """
    info = read_presentation(presentation)
    if not isinstance(verification_method, str) or not verification_method.startswith(
        info.holder + "#"
    ):
        raise ErrKeyMismatch("the presentation must be signed by one of the holder's methods")
    for name, value in (("challenge", challenge), ("domain", domain)):
        if not isinstance(value, str) or not 0 < len(value) <= _MAX_NONCE:
            raise ErrMalformedPresentation(
                f"{name} must be the verifier's non-empty string (at most {_MAX_NONCE} chars)"
            )
    return add_proof(
        presentation,
        key,
        verification_method=verification_method,
        proof_purpose=AUTHENTICATION,
        created=created,
        challenge=challenge,
        domain=domain,
        expires=expires,
    )


def read_presentation(presentation: object) -> PresentationInfo:
    """Check a presentation's shape; ``ErrMalformedPresentation`` with the first problem."""
    if not isinstance(presentation, dict):
        raise ErrMalformedPresentation("a presentation must be a JSON object")
    context = presentation.get("@context")
    if not isinstance(context, list) or not context or context[0] != CREDENTIALS_V2:
        raise ErrMalformedPresentation(f"@context must be a list starting with {CREDENTIALS_V2}")
    types = presentation.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or VERIFIABLE_PRESENTATION not in types:
        raise ErrMalformedPresentation(f"type must include {VERIFIABLE_PRESENTATION}")
    holder = presentation.get("holder")
    if isinstance(holder, dict):
        holder = holder.get("id")
    if not isinstance(holder, str) or not holder:
        raise ErrMalformedPresentation("holder must be the holder's DID")
    credentials = presentation.get("verifiableCredential")
    if isinstance(credentials, dict):
        credentials = [credentials]
    if (
        not isinstance(credentials, list)
        or not 1 <= len(credentials) <= MAX_CREDENTIALS
        or not all(isinstance(c, dict) for c in credentials)
    ):
        raise ErrMalformedPresentation(
            f"verifiableCredential must hold 1 to {MAX_CREDENTIALS} credential objects"
        )
    return PresentationInfo(holder, tuple(credentials))
