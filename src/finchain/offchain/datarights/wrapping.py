"""Data-key wrapping: seal a version's data key to a grantee's keyAgreement key.

The rule, the same on chain and here: a data key is sealed with
``finchain.crypto.sealing`` scheme ``sm2`` to an SM2 key the grantee DID lists
under ``keyAgreement``, whatever the chain's suite. The identity module admits
sm2 and secp256k1 keyAgreement keys, and never Ed25519; finchain has no
secp256k1 encryption, and sealing's ``x25519`` needs a key the identity module
cannot publish, so sm2 is the one scheme a grantee's document can carry and
sealing can use. The chain refuses a grant naming any other key.

The sealing context binds chain, asset, version and grantee: a wrapped key
copied to another grant, asset or version does not open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.crypto import EncryptionKey, open_sealed, seal
from finchain.formats.keyformats import public_key_of
from finchain.modules.datarights.errors import ErrBadKeyAgreement
from finchain.modules.datarights.types import SEALABLE_SCHEMES

SEALING_SCHEME = "sm2"
_CONTEXT_LABEL = b"finchain/datarights/wrap/v1\x00"


def wrap_context(chain_id: str, asset: int, version: int, grantee: str) -> bytes:
    """What a wrapped key is bound to (the ``context`` of sealing)."""
    return (
        _CONTEXT_LABEL
        + chain_id.encode()
        + b"\x00"
        + asset.to_bytes(8, "big")
        + version.to_bytes(8, "big")
        + grantee.encode()
    )


def key_agreement_method(document: Mapping[str, Any], key_id: str | None = None) -> dict[str, Any]:
    """The verification method of a DID document to wrap data keys to.

    ``key_id`` picks one (the fragment after ``#``); otherwise the first
    keyAgreement method with a sealable key. Raises ``ErrBadKeyAgreement``.
    """
    did = document.get("id", "")
    listed = document.get("keyAgreement", [])
    methods = {
        m.get("id"): m for m in document.get("verificationMethod", []) if isinstance(m, dict)
    }
    for reference in listed if isinstance(listed, list) else []:
        method = methods.get(reference) if isinstance(reference, str) else reference
        if not isinstance(method, dict):
            continue
        if key_id is not None and method.get("id") != f"{did}#{key_id}":
            continue
        scheme, _ = public_key_of(method)
        if scheme in SEALABLE_SCHEMES:
            return dict(method)
    wanted = f"{did}#{key_id}" if key_id else f"any keyAgreement key of {did}"
    raise ErrBadKeyAgreement(
        f"{wanted}: no sm2 keyAgreement key found; the grantee must add one to its DID document"
    )


def wrap_key(data_key: bytes, method: Mapping[str, Any], *, context: bytes) -> bytes:
    """Seal ``data_key`` to the key of a DID-document verification ``method``.

    Raises ``ErrBadKeyAgreement`` for a key that is not sm2, and the errors of
    ``finchain.formats.keyformats.public_key_of`` for a malformed method.
    """
    scheme, public_key = public_key_of(dict(method))
    if scheme not in SEALABLE_SCHEMES:
        raise ErrBadKeyAgreement(
            f"{method.get('id')} is a {scheme} key: data keys are sealed only to sm2 keys"
        )
    return seal(SEALING_SCHEME, public_key, data_key, context=context)


def unwrap_key(wrapped: bytes, key: EncryptionKey, *, context: bytes) -> bytes:
    """The data key inside ``wrapped``; ``ErrDecryptionFailed`` if it does not open."""
    return open_sealed(SEALING_SCHEME, key, wrapped, context=context)
