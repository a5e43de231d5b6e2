"""The only code that reads or writes the data-rights module's keys.

Nothing is ever deleted except the ``active`` index entry of a revoked grant:
assets, versions (forgotten ones too), grants, wrapped keys and access
records stay, so the history an auditor reads is the history that happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from finchain.codec import decode_trusted, encode
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.crypto import get_suite
from finchain.modules.datarights import events, keys
from finchain.modules.datarights.deps import DidDirectory
from finchain.modules.datarights.errors import (
    ErrAssetNotFound,
    ErrBadKeyAgreement,
    ErrBadWraps,
    ErrGranteeInactive,
    ErrGrantExists,
    ErrNoActiveGrant,
    ErrNoKeyForVersion,
    ErrNotGrantee,
    ErrNotOwner,
    ErrOutsideWindow,
    ErrOwnerInactive,
    ErrPurposeNotAllowed,
    ErrPurposeNotGranted,
    ErrTooMany,
    ErrVersionForgotten,
    ErrVersionNotFound,
    ErrWindowOver,
)
from finchain.modules.datarights.messages import (
    MsgAddVersion,
    MsgGrant,
    MsgRecordAccess,
    MsgRegisterAsset,
)
from finchain.modules.datarights.types import (
    MAX_ACTIVE_GRANTS,
    MAX_VERSIONS,
    SEALABLE_SCHEMES,
    Access,
    Asset,
    Grant,
    Version,
    WrappedKey,
)

KEY_AGREEMENT = "keyAgreement"


def _count(raw: bytes | None, default: int = 0) -> int:
    return default if raw is None else int.from_bytes(raw, "big")


class DataRightsView:
    """Read-only access on any reader."""

    def asset(self, reader: KVReader, asset_id: int) -> Asset | None:
        raw = reader.get(keys.asset(asset_id))
        return None if raw is None else Asset.from_obj(decode_trusted(raw))

    def require_asset(self, reader: KVReader, asset_id: int) -> Asset:
        found = self.asset(reader, asset_id)
        if found is None:
            raise ErrAssetNotFound(
                f"no data asset #{asset_id}: check the id (the data_asset_registered event "
                "of the registering transaction names it)"
            )
        return found

    def next_asset(self, reader: KVReader) -> int:
        return _count(reader.get(keys.NEXT_ASSET), 1)

    def next_grant(self, reader: KVReader) -> int:
        return _count(reader.get(keys.NEXT_GRANT), 1)

    def version(self, reader: KVReader, asset_id: int, number: int) -> Version | None:
        raw = reader.get(keys.version(asset_id, number))
        return None if raw is None else Version.from_obj(decode_trusted(raw))

    def require_version(self, reader: KVReader, asset: Asset, number: int) -> Version:
        found = self.version(reader, asset.id, number) if 1 <= number <= asset.versions else None
        if found is None:
            raise ErrVersionNotFound(
                f"data asset #{asset.id} has versions 1 to {asset.versions}, not {number}"
            )
        return found

    def versions(self, reader: KVReader, asset: Asset) -> list[Version]:
        return [self.require_version(reader, asset, n) for n in range(1, asset.versions + 1)]

    def grant(self, reader: KVReader, grant_id: int) -> Grant:
        raw = reader.get(keys.grant(grant_id))
        if raw is None:
            # grant ids are read from the module's own indexes, so a hole is corrupt state
            raise RuntimeError(f"data-rights grant {grant_id} is indexed but missing")
        return Grant.from_obj(decode_trusted(raw))

    def active_grant(self, reader: KVReader, asset_id: int, grantee: str) -> Grant | None:
        raw = reader.get(keys.active(asset_id, grantee))
        return None if raw is None else self.grant(reader, int.from_bytes(raw, "big"))

    def asset_grant(self, reader: KVReader, asset_id: int, position: int) -> Grant:
        return self.grant(reader, _count(reader.get(keys.asset_grant(asset_id, position))))

    def grantee_grant_count(self, reader: KVReader, grantee: str) -> int:
        return _count(reader.get(keys.grantee_grant_count(grantee)))

    def grantee_grant(self, reader: KVReader, grantee: str, position: int) -> Grant:
        return self.grant(reader, _count(reader.get(keys.grantee_grant(grantee, position))))

    def wrapped_key(self, reader: KVReader, grant_id: int, number: int) -> WrappedKey | None:
        raw = reader.get(keys.wrap(grant_id, number))
        return None if raw is None else WrappedKey.from_obj(decode_trusted(raw))

    def access(self, reader: KVReader, asset_id: int, position: int) -> Access:
        raw = reader.get(keys.access(asset_id, position))
        if raw is None:
            raise RuntimeError(f"data-rights access {asset_id}/{position} is counted but missing")
        return Access.from_obj(decode_trusted(raw))

    def grantee_access_count(self, reader: KVReader, grantee: str) -> int:
        return _count(reader.get(keys.by_grantee_count(grantee)))

    def grantee_access(self, reader: KVReader, grantee: str, position: int) -> Access:
        raw = reader.get(keys.by_grantee(grantee, position))
        if raw is None or len(raw) != 16:
            raise RuntimeError(f"data-rights access index of {grantee} is broken at {position}")
        return self.access(reader, int.from_bytes(raw[:8], "big"), int.from_bytes(raw[8:], "big"))

    def assets(self, reader: KVReader) -> Iterator[Asset]:
        """Every asset in id order (for invariants)."""
        for asset_id in range(1, self.next_asset(reader)):
            yield self.require_asset(reader, asset_id)


class DataRightsKeeper(DataRightsView):
    """Registers assets and versions, grants and revokes, records accesses and deletions.

    Parameters:
        identity: who controls a DID and which keys it holds (the identity keeper).
    """

    def __init__(self, identity: DidDirectory) -> None:
        self._identity = identity

    # -- owner actions -------------------------------------------------------------------------

    def register(self, ctx: Context, msg: MsgRegisterAsset) -> Asset:
        self._require_controls(ctx, msg.owner)
        asset = Asset(
            self.next_asset(ctx.store),
            msg.owner,
            ctx.signer,
            get_suite(ctx.suite).hash_name,
            msg.title,
            msg.terms,
            msg.purposes,
            ctx.height,
            ctx.time_ns,
        )
        ctx.store.set(keys.NEXT_ASSET, keys.u64(asset.id + 1))
        self._put_asset(ctx, asset)
        self._put_version(
            ctx, Version(asset.id, 1, msg.hash, msg.key_id, msg.location, ctx.height, ctx.time_ns)
        )
        ctx.emit(events.registered(asset.id, asset.owner, msg.hash))
        return asset

    def add_version(self, ctx: Context, msg: MsgAddVersion) -> Version:
        asset = self._owned(ctx, msg.asset)
        if asset.versions >= MAX_VERSIONS:
            raise ErrTooMany(
                f"data asset #{asset.id} has {MAX_VERSIONS} versions, the most it may hold: "
                "register a new asset for further versions"
            )
        number = asset.versions + 1
        grants = []
        for wrap in msg.wraps:
            grant = self.active_grant(ctx.store, asset.id, wrap.grantee)
            if grant is None:
                raise ErrBadWraps(
                    f"wrap for {wrap.grantee}: it holds no active grant on data asset "
                    f"#{asset.id}; wrap the new key only for grantees that keep access"
                )
            self._require_key_agreement(ctx, wrap.grantee, wrap.key_id)
            grants.append((grant, wrap))
        version = Version(
            asset.id, number, msg.hash, msg.key_id, msg.location, ctx.height, ctx.time_ns
        )
        self._put_version(ctx, version)
        for grant, wrap in grants:
            self._put_wrap(ctx, grant.id, number, WrappedKey(wrap.key_id, wrap.wrapped_key))
        self._put_asset(ctx, replace(asset, versions=number))
        ctx.emit(events.version_added(asset.id, number, msg.hash, len(grants)))
        return version

    def grant_access(self, ctx: Context, msg: MsgGrant) -> Grant:
        asset = self._owned(ctx, msg.asset)
        if not self._identity.is_active(ctx.store, msg.grantee):
            raise ErrGranteeInactive(
                f"{msg.grantee} is not an active DID of this chain: grant to a registered, "
                "active DID"
            )
        outside = [p for p in msg.purposes if p not in asset.purposes]
        if outside:
            raise ErrPurposeNotAllowed(
                f"purposes {outside} are not among data asset #{asset.id}'s purposes "
                f"{list(asset.purposes)}"
            )
        existing = self.active_grant(ctx.store, asset.id, msg.grantee)
        if existing is not None:
            raise ErrGrantExists(
                f"{msg.grantee} already holds grant {existing.id} on data asset #{asset.id}: "
                "revoke it first to change its terms"
            )
        if asset.active_grants >= MAX_ACTIVE_GRANTS:
            raise ErrTooMany(
                f"data asset #{asset.id} has {MAX_ACTIVE_GRANTS} active grants, the most it "
                "may hold: revoke one first"
            )
        if msg.not_after <= ctx.time_ns:
            raise ErrWindowOver(
                f"not_after {msg.not_after} is not after the block time {ctx.time_ns}: "
                "choose a window that ends in the future"
            )
        current = self.require_version(ctx.store, asset, asset.versions)
        if current.forgotten:
            raise ErrVersionForgotten(
                f"the payload of data asset #{asset.id} version {current.number} was deleted: "
                "add a new version before granting"
            )
        self._require_key_agreement(ctx, msg.grantee, msg.key_id)
        grant = Grant(
            self.next_grant(ctx.store),
            asset.id,
            msg.grantee,
            msg.purposes,
            msg.not_before,
            msg.not_after,
            msg.key_id,
            current.number,
            ctx.height,
            ctx.time_ns,
        )
        store = ctx.store
        store.set(keys.NEXT_GRANT, keys.u64(grant.id + 1))
        self._put_grant(ctx, grant)
        store.set(keys.active(asset.id, grant.grantee), keys.u64(grant.id))
        store.set(keys.asset_grant(asset.id, asset.grants), keys.u64(grant.id))
        mine = self.grantee_grant_count(store, grant.grantee)
        store.set(keys.grantee_grant(grant.grantee, mine), keys.u64(grant.id))
        store.set(keys.grantee_grant_count(grant.grantee), keys.u64(mine + 1))
        self._put_wrap(ctx, grant.id, current.number, WrappedKey(msg.key_id, msg.wrapped_key))
        self._put_asset(
            ctx, replace(asset, grants=asset.grants + 1, active_grants=asset.active_grants + 1)
        )
        ctx.emit(
            events.granted(asset.id, grant.grantee, grant.id, grant.not_before, grant.not_after)
        )
        return grant

    def revoke(self, ctx: Context, asset_id: int, grantee: str) -> Grant:
        asset = self._owned(ctx, asset_id)
        grant = self._require_active_grant(ctx.store, asset, grantee)
        ended = replace(grant, revoked_height=ctx.height, revoked_ns=ctx.time_ns)
        self._put_grant(ctx, ended)
        ctx.store.delete(keys.active(asset.id, grantee))
        self._put_asset(ctx, replace(asset, active_grants=asset.active_grants - 1))
        ctx.emit(events.revoked(asset.id, grantee, grant.id))
        return ended

    def forget(self, ctx: Context, asset_id: int, number: int) -> Version:
        asset = self._owned(ctx, asset_id)
        version = self.require_version(ctx.store, asset, number)
        if version.forgotten:
            raise ErrVersionForgotten(
                f"data asset #{asset.id} version {number} was already recorded as deleted "
                f"at height {version.forgotten_height}"
            )
        gone = replace(version, forgotten_height=ctx.height, forgotten_ns=ctx.time_ns)
        self._put_version(ctx, gone)
        ctx.emit(events.forgotten(asset.id, number))
        return gone

    # -- grantee action --------------------------------------------------------------------

    def record_access(self, ctx: Context, msg: MsgRecordAccess) -> Access:
        """Check every condition of the grant at block time, then append the access record."""
        asset = self.require_asset(ctx.store, msg.asset)
        version = self.require_version(ctx.store, asset, msg.version)
        if not self._identity.is_active(ctx.store, asset.owner):
            # Nobody can revoke a grant of a deactivated owner (a DID retired because it was
            # compromised, say), so its grants end with it rather than run on unrevocable.
            raise ErrOwnerInactive(
                f"the owner {asset.owner} of data asset #{asset.id} was deactivated and its "
                "grants ended with it: the data must be registered again under an active DID"
            )
        if not self._identity.controls(ctx.store, msg.grantee, ctx.signer):
            raise ErrNotGrantee(
                f"account {ctx.signer} does not control {msg.grantee}: sign with the grantee "
                "DID's controller account"
            )
        grant = self._require_active_grant(ctx.store, asset, msg.grantee)
        if not grant.open_at(ctx.time_ns):
            raise ErrOutsideWindow(
                f"grant {grant.id} is open from {grant.not_before} to {grant.not_after} "
                f"(block time, ns); the block time is {ctx.time_ns}"
            )
        if msg.purpose not in grant.purposes:
            raise ErrPurposeNotGranted(
                f"grant {grant.id} covers purposes {list(grant.purposes)}, not {msg.purpose!r}"
            )
        if version.forgotten:
            raise ErrVersionForgotten(
                f"the payload of data asset #{asset.id} version {version.number} was deleted "
                f"at height {version.forgotten_height}; open a later version"
            )
        if self.wrapped_key(ctx.store, grant.id, version.number) is None:
            raise ErrNoKeyForVersion(
                f"no data key of data asset #{asset.id} version {version.number} is wrapped "
                f"for {msg.grantee}: ask the owner, or open a version granted to you"
            )
        record = Access(
            asset.id,
            asset.accesses,
            msg.grantee,
            ctx.signer,
            grant.id,
            version.number,
            msg.purpose,
            ctx.height,
            ctx.time_ns,
            ctx.tx_id,
        )
        store = ctx.store
        store.set(keys.access(asset.id, record.seq), encode(record.to_obj()))
        mine = self.grantee_access_count(store, msg.grantee)
        store.set(keys.by_grantee(msg.grantee, mine), keys.u64(asset.id) + keys.u64(record.seq))
        store.set(keys.by_grantee_count(msg.grantee), keys.u64(mine + 1))
        self._put_asset(ctx, replace(asset, accesses=asset.accesses + 1))
        ctx.emit(events.accessed(asset.id, record.seq, msg.grantee, version.number, msg.purpose))
        return record

    # -- checks and writes -------------------------------------------------------------------

    def _require_controls(self, ctx: Context, did: str) -> None:
        if not self._identity.controls(ctx.store, did, ctx.signer):
            raise ErrNotOwner(
                f"account {ctx.signer} does not control {did}: sign with the owner DID's "
                "controller account"
            )

    def _owned(self, ctx: Context, asset_id: int) -> Asset:
        asset = self.require_asset(ctx.store, asset_id)
        self._require_controls(ctx, asset.owner)
        return asset

    def _require_active_grant(self, reader: KVReader, asset: Asset, grantee: str) -> Grant:
        grant = self.active_grant(reader, asset.id, grantee)
        if grant is None:
            raise ErrNoActiveGrant(
                f"{grantee} holds no active grant on data asset #{asset.id} (never granted, "
                "or revoked): ask the owner for a grant"
            )
        return grant

    def _require_key_agreement(self, ctx: Context, did: str, key_id: str) -> None:
        """The data key must be sealed to a key the grantee can open it with."""
        method = self._identity.verification_method(ctx.store, did, key_id)
        if method is None or KEY_AGREEMENT not in method[2]:
            raise ErrBadKeyAgreement(
                f"{did}#{key_id} is not a keyAgreement key of the DID: wrap the data key to "
                "one of the keys its document lists under keyAgreement"
            )
        if method[0] not in SEALABLE_SCHEMES:
            raise ErrBadKeyAgreement(
                f"{did}#{key_id} is a {method[0]} key; data keys can be sealed only to "
                f"{', '.join(SEALABLE_SCHEMES)} keyAgreement keys: the grantee must add one"
            )

    @staticmethod
    def _put_asset(ctx: Context, asset: Asset) -> None:
        ctx.store.set(keys.asset(asset.id), encode(asset.to_obj()))

    @staticmethod
    def _put_version(ctx: Context, version: Version) -> None:
        ctx.store.set(keys.version(version.asset, version.number), encode(version.to_obj()))

    @staticmethod
    def _put_grant(ctx: Context, grant: Grant) -> None:
        ctx.store.set(keys.grant(grant.id), encode(grant.to_obj()))

    @staticmethod
    def _put_wrap(ctx: Context, grant_id: int, number: int, wrapped: WrappedKey) -> None:
        ctx.store.set(keys.wrap(grant_id, number), encode(wrapped.to_obj()))
