"""Message builders of the data-rights module (see ``finchain.client.builders`` for the rest).

Each builds the message object and returns ``msg.to_raw()``: the wire form comes
from the message's declaration, never spelled here. Builders do not check their
arguments; the chain refuses a malformed message with ``tx:6``.
``finchain.offchain.datarights`` does the cryptography (encrypting payloads,
wrapping data keys, rotating after a revocation) and calls them.

Example::

    from finchain.client import datarights_builders as drb

    owner.sign(drb.register_asset(did, sealed.content_hash, sealed.key_id,
                                  title="Q3 ledger", purposes=["audit"]))
    owner.sign(drb.revoke(asset_id, grantee_did))
    grantee.sign(drb.record_access(asset_id, grantee_did, purpose="audit", version=1))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from finchain.codec import RawMsg
from finchain.modules.datarights.messages import (
    MsgAddVersion,
    MsgForget,
    MsgGrant,
    MsgRecordAccess,
    MsgRegisterAsset,
    MsgRevoke,
)
from finchain.modules.datarights.types import Rewrap


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
    return MsgRegisterAsset(
        owner, content_hash, title, terms, tuple(sorted(purposes)), location, key_id
    ).to_raw()


def rewrap(grantee: str, key_id: str, wrapped_key: bytes) -> dict[str, object]:
    """One entry of ``add_version``'s ``wraps``: the new key sealed to ``grantee#key_id``."""
    return Rewrap(grantee, key_id, wrapped_key).to_obj()


def _rewrap(entry: Mapping[str, Any]) -> Rewrap:
    return Rewrap(entry["grantee"], entry["key_id"], entry["wrapped_key"])


def add_version(
    asset: int,
    content_hash: bytes,
    key_id: bytes,
    *,
    wraps: Sequence[dict[str, object]] = (),
    location: str = "",
) -> RawMsg:
    """Add a version under a new data key, wrapped for the grantees that keep access.

    ``wraps`` are ``rewrap(...)`` entries, one per grantee that keeps access.
    """
    sealed = tuple(sorted((_rewrap(w) for w in wraps), key=lambda w: w.grantee))
    return MsgAddVersion(asset, content_hash, location, key_id, sealed).to_raw()


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
    return MsgGrant(
        asset, grantee, tuple(sorted(purposes)), not_before, not_after, key_id, wrapped_key
    ).to_raw()


def revoke(asset: int, grantee: str) -> RawMsg:
    return MsgRevoke(asset, grantee).to_raw()


def record_access(asset: int, grantee: str, *, purpose: str, version: int) -> RawMsg:
    """Record, as ``grantee`` (the signer must control it), one use of ``version``."""
    return MsgRecordAccess(asset, grantee, purpose, version).to_raw()


def forget(asset: int, version: int) -> RawMsg:
    """Record that the off-chain payload of ``version`` was deleted."""
    return MsgForget(asset, version).to_raw()
