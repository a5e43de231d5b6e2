"""Message builders of the data-rights module (see ``finchain.client.builders`` for the rest).

These spell the wire maps only; ``finchain.offchain.datarights`` does the cryptography
(encrypting payloads, wrapping data keys, rotating after a revocation) and
calls them.

Example::

    from finchain.client import datarights_builders as drb

    owner.sign(drb.register_asset(did, sealed.content_hash, sealed.key_id,
                                  title="Q3 ledger", purposes=["audit"]))
    owner.sign(drb.revoke(asset_id, grantee_did))
    grantee.sign(drb.record_access(asset_id, grantee_did, purpose="audit", version=1))
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.codec import RawMsg
from finchain.modules.datarights import messages as drm


def register_asset(
    owner: str,
    content_hash: bytes,
    key_id: bytes,
    *,
    title: str,
    purposes: Sequence[str],
    terms: str = "",
    location: str = "",
) -> RawMsg:
    """Register a data asset owned by the DID ``owner`` (the signer must control it).

    Parameters:
        content_hash: the suite hash of the plaintext of version 1.
        key_id: the commitment to version 1's data key (``finchain.offchain.datarights.key_id_of``).
        purposes: the purposes grants may name (short identifiers, 1 to 16).
        terms: the terms of use, short text (at most 1 KiB).
        location: where the encrypted payload is (a URI, at most 512 bytes), or empty.
    """
    return RawMsg(
        drm.MsgRegisterAsset.TYPE,
        {
            "owner": owner,
            "hash": content_hash,
            "title": title,
            "terms": terms,
            "purposes": sorted(purposes),
            "location": location,
            "key_id": key_id,
        },
    )


def rewrap(grantee: str, key_id: str, wrapped_key: bytes) -> dict[str, object]:
    """One entry of ``add_version``'s ``wraps``: the new key sealed to ``grantee#key_id``."""
    return {"grantee": grantee, "key_id": key_id, "wrapped_key": wrapped_key}


def add_version(
    asset: int,
    content_hash: bytes,
    key_id: bytes,
    *,
    wraps: Sequence[dict[str, object]] = (),
    location: str = "",
) -> RawMsg:
    """Add a version under a new data key, wrapped for the grantees that keep access."""
    return RawMsg(
        drm.MsgAddVersion.TYPE,
        {
            "asset": asset,
            "hash": content_hash,
            "location": location,
            "key_id": key_id,
            "wraps": sorted(wraps, key=lambda w: str(w["grantee"])),
        },
    )


def grant(
    asset: int,
    grantee: str,
    *,
    purposes: Sequence[str],
    not_before: int,
    not_after: int,
    key_id: str,
    wrapped_key: bytes,
) -> RawMsg:
    """Grant ``grantee`` access for ``purposes`` from ``not_before`` to ``not_after`` (block ns).

    ``wrapped_key`` is the current version's data key sealed to ``grantee#key_id``.
    """
    return RawMsg(
        drm.MsgGrant.TYPE,
        {
            "asset": asset,
            "grantee": grantee,
            "purposes": sorted(purposes),
            "not_before": not_before,
            "not_after": not_after,
            "key_id": key_id,
            "wrapped_key": wrapped_key,
        },
    )


def revoke(asset: int, grantee: str) -> RawMsg:
    return RawMsg(drm.MsgRevoke.TYPE, {"asset": asset, "grantee": grantee})


def record_access(asset: int, grantee: str, *, purpose: str, version: int) -> RawMsg:
    """Record, as ``grantee`` (the signer must control it), one use of ``version``."""
    return RawMsg(
        drm.MsgRecordAccess.TYPE,
        {"asset": asset, "grantee": grantee, "purpose": purpose, "version": version},
    )


def forget(asset: int, version: int) -> RawMsg:
    """Record that the off-chain payload of ``version`` was deleted."""
    return RawMsg(drm.MsgForget.TYPE, {"asset": asset, "version": version})
