"""The owner's side: grant with a wrapped key, and rotate the key after a revocation.

Revocation cannot take back a key the grantee already unwrapped, so the
owner rotates: the next version is encrypted under a fresh data key that is
wrapped only for the grantees that keep access. The revoked grantee can still
decrypt the versions it was given a key for (if it kept their payloads), never
a later one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from finchain.client import datarights_builders as drb
from finchain.codec import RawMsg
from finchain.modules.datarights.errors import ErrBadKeyAgreement
from finchain.offchain.datarights.payload import EncryptedPayload, encrypt_payload
from finchain.offchain.datarights.wrapping import wrap_context, wrap_key


def method_fragment(method: Mapping[str, Any], grantee: str) -> str:
    """The key id (after ``#``) of a verification method of ``grantee``."""
    method_id = str(method.get("id", ""))
    did, sep, fragment = method_id.partition("#")
    if not sep or did != grantee:
        raise ErrBadKeyAgreement(f"method {method_id[:120]!r} is not a key of {grantee}")
    return fragment


def grant_message(
    data_key: bytes,
    *,
    chain_id: str,
    asset: int,
    version: int,
    grantee: str,
    method: Mapping[str, Any],
    purposes: Sequence[str],
    not_before: int,
    not_after: int,
) -> RawMsg:
    """A ``datarights/grant`` carrying ``version``'s data key sealed to ``method``.

    ``version`` must be the asset's current version (the chain files the key under it).
    """
    wrapped = wrap_key(data_key, method, context=wrap_context(chain_id, asset, version, grantee))
    return drb.grant(
        asset,
        grantee,
        purposes=purposes,
        not_before=not_before,
        not_after=not_after,
        key_id=method_fragment(method, grantee),
        wrapped_key=wrapped,
    )


@dataclass(frozen=True, slots=True)
class Rotation:
    """A new version ready to ship: store ``payload.blob``, then send ``message``."""

    payload: EncryptedPayload
    message: RawMsg


def rotate(
    data: bytes,
    suite: str,
    *,
    chain_id: str,
    asset: int,
    owner: str,
    version: int,
    keep: Sequence[tuple[str, Mapping[str, Any]]],
    location: str = "",
) -> Rotation:
    """Encrypt ``data`` as ``version`` under a fresh key wrapped only for the ``keep`` grantees.

    Example::

        rotation = rotate(data, "gm", chain_id=cid, asset=7, owner=did, version=3,
                          keep=[(bank_did, bank_key_method)])
        store.put(rotation.payload.blob)
        owner_signer.sign(rotation.message)

    Parameters:
        version: the asset's current version + 1.
        keep: (grantee DID, its keyAgreement verification method) for every grantee
            that keeps access; leave the revoked ones out.
        location: where the new payload will be (a URI), or empty.
    """
    payload = encrypt_payload(data, suite, chain_id=chain_id, owner=owner, version=version)
    wraps = [
        drb.rewrap(
            grantee,
            method_fragment(method, grantee),
            wrap_key(
                payload.data_key, method, context=wrap_context(chain_id, asset, version, grantee)
            ),
        )
        for grantee, method in keep
    ]
    message = drb.add_version(
        asset, payload.content_hash, payload.key_id, wraps=wraps, location=location
    )
    return Rotation(payload, message)
