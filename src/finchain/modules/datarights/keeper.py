"""The only code that reads or writes the data-rights module's state (``keys.py``).

Nothing is ever deleted except the ``active`` index entry of a revoked grant:
assets, versions (forgotten ones too), grants, wrapped keys and access
records stay, so the history an auditor reads is the history that happened.
Each kind of record is written by one helper (``_put_*``, ``_file_grant``,
``_append_access``), which also keeps its lists and counters; genesis import
(``import_state``) uses them too, and counts each grantee's accesses once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.crypto import get_suite
from finchain.modules.datarights import events
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
from finchain.modules.datarights.keys import (
    ACCESSES,
    ASSET_GRANTS,
    ASSETS,
    GRANTEE_ACCESS_COUNT,
    GRANTEE_GRANT_COUNT,
    GRANTEE_GRANTS,
    GRANTS,
    NEXT_ASSET,
    NEXT_GRANT,
    VERSIONS,
    WRAPS,
)
from finchain.modules.datarights.types import (
    MAX_ACTIVE_GRANTS,
    MAX_VERSIONS,
    SEALABLE_SCHEMES,
    Access,
    Asset,
    Grant,
    Rewrap,
    Version,
    WrappedKey,
)

KEY_AGREEMENT = "keyAgreement"


class DataRightsView:
    """Read-only access on any reader."""

    def asset(self, reader: KVReader, asset_id: int) -> Asset | None:
        return ASSETS.get(reader, asset_id)

    def require_asset(self, reader: KVReader, asset_id: int) -> Asset:
        found = self.asset(reader, asset_id)
        if found is None:
            raise ErrAssetNotFound(
                f"no data asset #{asset_id}: check the id (the data_asset_registered event "
                "of the registering transaction names it)"
            )
        return found

    def next_asset(self, reader: KVReader) -> int:
        return NEXT_ASSET.peek(reader)

    def next_grant(self, reader: KVReader) -> int:
        return NEXT_GRANT.peek(reader)

    def version(self, reader: KVReader, asset_id: int, number: int) -> Version | None:
        return VERSIONS.get(reader, (asset_id, number))

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
        found = GRANTS.get(reader, grant_id)
        if found is None:
            # grant ids are read from the module's own indexes, so a hole is corrupt state
            raise RuntimeError(f"data-rights grant {grant_id} is indexed but missing")
        return found

    def active_grant(self, reader: KVReader, asset_id: int, grantee: str) -> Grant | None:
        grant_id = GRANTS.get_by("active", reader, (asset_id, grantee))
        return None if grant_id is None else self.grant(reader, grant_id)

    def asset_grant(self, reader: KVReader, asset_id: int, position: int) -> Grant:
        """The ``position``-th grant of an asset (0 .. asset.grants - 1), in the order granted."""
        return self.grant(reader, self._listed(ASSET_GRANTS.get(reader, (asset_id, position))))

    def grantee_grant_count(self, reader: KVReader, grantee: str) -> int:
        return GRANTEE_GRANT_COUNT.get(reader, grantee) or 0

    def grantee_grant(self, reader: KVReader, grantee: str, position: int) -> Grant:
        return self.grant(reader, self._listed(GRANTEE_GRANTS.get(reader, (grantee, position))))

    def wrapped_key(self, reader: KVReader, grant_id: int, number: int) -> WrappedKey | None:
        return WRAPS.get(reader, (grant_id, number))

    def access(self, reader: KVReader, asset_id: int, position: int) -> Access:
        found = ACCESSES.get(reader, (asset_id, position))
        if found is None:
            raise RuntimeError(f"data-rights access {asset_id}/{position} is counted but missing")
        return found

    def grantee_access_count(self, reader: KVReader, grantee: str) -> int:
        return GRANTEE_ACCESS_COUNT.get(reader, grantee) or 0

    def grantee_access(self, reader: KVReader, grantee: str, position: int) -> Access:
        key = ACCESSES.get_by("grantee", reader, (grantee, position))
        if key is None:
            raise RuntimeError(f"data-rights access index of {grantee} is broken at {position}")
        return self.access(reader, *key)

    def assets(self, reader: KVReader) -> Iterator[Asset]:
        """Every asset in id order (for invariants and genesis export)."""
        for asset_id in range(1, self.next_asset(reader)):
            yield self.require_asset(reader, asset_id)

    def grants(self, reader: KVReader) -> Iterator[Grant]:
        """Every grant in id order, which is the order granted."""
        for grant_id in range(1, self.next_grant(reader)):
            yield self.grant(reader, grant_id)

    def wraps(self, reader: KVReader) -> Iterator[tuple[tuple[int, int], WrappedKey]]:
        """Every wrapped key by ``(grant, version)``."""
        return WRAPS.iterate(reader)

    @staticmethod
    def _listed(grant_id: int | None) -> int:
        if grant_id is None:
            raise RuntimeError("a data-rights grant list is shorter than its count")
        return grant_id


class DataRightsKeeper(DataRightsView):
    """Registers assets and versions, grants and revokes, records accesses and deletions.

    Parameters:
        identity: who controls a DID and which keys it holds (the identity keeper).
    """

    def __init__(self, identity: DidDirectory) -> None:
        self._identity = identity

    # -- owner actions -------------------------------------------------------------------------

    def register(
        self,
        ctx: Context,
        owner: str,
        content_hash: bytes,
        key_id: bytes,
        *,
        title: str,
        terms: str,
        purposes: tuple[str, ...],
        location: str,
    ) -> Asset:
        """A new asset of ``owner`` (the signer must control it) with version 1."""
        self._require_controls(ctx, owner)
        asset = Asset(
            NEXT_ASSET.next(ctx),
            owner,
            ctx.signer,
            get_suite(ctx.suite).hash_name,
            title,
            terms,
            purposes,
            ctx.height,
            ctx.time_ns,
            versions=1,
            grants=0,
            active_grants=0,
            accesses=0,
        )
        self._put_asset(ctx, asset)
        self._put_version(
            ctx,
            Version(asset.id, 1, content_hash, key_id, location, ctx.height, ctx.time_ns, 0, 0),
        )
        ctx.emit(events.registered(asset.id, asset.owner, content_hash))
        return asset

    def add_version(
        self,
        ctx: Context,
        asset_id: int,
        content_hash: bytes,
        key_id: bytes,
        *,
        location: str,
        wraps: Sequence[Rewrap],
    ) -> Version:
        """Version n+1 under a new data key, sealed to each of ``wraps`` (active grantees)."""
        asset = self._owned(ctx, asset_id)
        if asset.versions >= MAX_VERSIONS:
            raise ErrTooMany(
                f"data asset #{asset.id} has {MAX_VERSIONS} versions, the most it may hold: "
                "register a new asset for further versions"
            )
        number = asset.versions + 1
        grants = []
        for wrap in wraps:
            grant = self.active_grant(ctx.store, asset.id, wrap.grantee)
            if grant is None:
                raise ErrBadWraps(
                    f"wrap for {wrap.grantee}: it holds no active grant on data asset "
                    f"#{asset.id}; wrap the new key only for grantees that keep access"
                )
            self._require_key_agreement(ctx, wrap.grantee, wrap.key_id)
            grants.append((grant, wrap))
        version = Version(
            asset.id, number, content_hash, key_id, location, ctx.height, ctx.time_ns, 0, 0
        )
        self._put_version(ctx, version)
        for grant, wrap in grants:
            self._put_wrap(ctx, grant.id, number, WrappedKey(wrap.key_id, wrap.wrapped_key))
        self._put_asset(ctx, replace(asset, versions=number))
        ctx.emit(events.version_added(asset.id, number, content_hash, len(grants)))
        return version

    def grant_access(
        self,
        ctx: Context,
        asset_id: int,
        grantee: str,
        *,
        purposes: tuple[str, ...],
        not_before: int,
        not_after: int,
        key_method: str,
        wrapped_key: bytes,
    ) -> Grant:
        """Grant ``grantee`` the current version, its data key sealed to ``grantee#key_method``."""
        asset = self._owned(ctx, asset_id)
        if not self._identity.is_active(ctx.store, grantee):
            raise ErrGranteeInactive(
                f"{grantee} is not an active DID of this chain: grant to a registered, active DID"
            )
        outside = [p for p in purposes if p not in asset.purposes]
        if outside:
            raise ErrPurposeNotAllowed(
                f"purposes {outside} are not among data asset #{asset.id}'s purposes "
                f"{list(asset.purposes)}"
            )
        existing = self.active_grant(ctx.store, asset.id, grantee)
        if existing is not None:
            raise ErrGrantExists(
                f"{grantee} already holds grant {existing.id} on data asset #{asset.id}: "
                "revoke it first to change its terms"
            )
        if asset.active_grants >= MAX_ACTIVE_GRANTS:
            raise ErrTooMany(
                f"data asset #{asset.id} has {MAX_ACTIVE_GRANTS} active grants, the most it "
                "may hold: revoke one first"
            )
        if not_after <= ctx.time_ns:
            raise ErrWindowOver(
                f"not_after {not_after} is not after the block time {ctx.time_ns}: "
                "choose a window that ends in the future"
            )
        current = self.require_version(ctx.store, asset, asset.versions)
        if current.forgotten:
            raise ErrVersionForgotten(
                f"the payload of data asset #{asset.id} version {current.number} was deleted: "
                "add a new version before granting"
            )
        self._require_key_agreement(ctx, grantee, key_method)
        grant = Grant(
            NEXT_GRANT.next(ctx),
            asset.id,
            grantee,
            purposes,
            not_before,
            not_after,
            key_method,
            current.number,
            ctx.height,
            ctx.time_ns,
            0,
            0,
        )
        self._file_grant(ctx, grant, asset.grants)
        self._put_wrap(ctx, grant.id, current.number, WrappedKey(key_method, wrapped_key))
        self._put_asset(
            ctx, replace(asset, grants=asset.grants + 1, active_grants=asset.active_grants + 1)
        )
        ctx.emit(events.granted(asset.id, grantee, grant.id, grant.not_before, grant.not_after))
        return grant

    def revoke(self, ctx: Context, asset_id: int, grantee: str) -> Grant:
        """End ``grantee``'s active grant on the asset now (the grant stays, marked revoked)."""
        asset = self._owned(ctx, asset_id)
        grant = self._require_active_grant(ctx.store, asset, grantee)
        ended = replace(grant, revoked_height=ctx.height, revoked_ns=ctx.time_ns)
        GRANTS.set(ctx, ended.id, ended)  # leaves the active index
        self._put_asset(ctx, replace(asset, active_grants=asset.active_grants - 1))
        ctx.emit(events.revoked(asset.id, grantee, grant.id))
        return ended

    def forget(self, ctx: Context, asset_id: int, number: int) -> Version:
        """Record that the payload of version ``number`` was deleted (its hash stays)."""
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

    def record_access(
        self, ctx: Context, asset_id: int, grantee: str, *, purpose: str, version: int
    ) -> Access:
        """Check every condition of the grant at block time, then append the access record."""
        asset = self.require_asset(ctx.store, asset_id)
        found = self.require_version(ctx.store, asset, version)
        if not self._identity.is_active(ctx.store, asset.owner):
            # Nobody can revoke a grant of a deactivated owner (a DID retired because it was
            # compromised, say), so its grants end with it rather than run on unrevocable.
            raise ErrOwnerInactive(
                f"the owner {asset.owner} of data asset #{asset.id} was deactivated and its "
                "grants ended with it: the data must be registered again under an active DID"
            )
        if not self._identity.controls(ctx.store, grantee, ctx.signer):
            raise ErrNotGrantee(
                f"account {ctx.signer} does not control {grantee}: sign with the grantee "
                "DID's controller account"
            )
        grant = self._require_active_grant(ctx.store, asset, grantee)
        if not grant.open_at(ctx.time_ns):
            raise ErrOutsideWindow(
                f"grant {grant.id} is open from {grant.not_before} to {grant.not_after} "
                f"(block time, ns); the block time is {ctx.time_ns}"
            )
        if purpose not in grant.purposes:
            raise ErrPurposeNotGranted(
                f"grant {grant.id} covers purposes {list(grant.purposes)}, not {purpose!r}"
            )
        if found.forgotten:
            raise ErrVersionForgotten(
                f"the payload of data asset #{asset.id} version {found.number} was deleted "
                f"at height {found.forgotten_height}; open a later version"
            )
        if self.wrapped_key(ctx.store, grant.id, found.number) is None:
            raise ErrNoKeyForVersion(
                f"no data key of data asset #{asset.id} version {found.number} is wrapped "
                f"for {grantee}: ask the owner, or open a version granted to you"
            )
        record = Access(
            asset.id,
            asset.accesses,
            grantee,
            self.grantee_access_count(ctx.store, grantee),
            ctx.signer,
            grant.id,
            found.number,
            purpose,
            ctx.height,
            ctx.time_ns,
            ctx.tx_id,
        )
        self._append_access(ctx, record)
        self._put_asset(ctx, replace(asset, accesses=asset.accesses + 1))
        ctx.emit(events.accessed(asset.id, record.seq, grantee, found.number, purpose))
        return record

    # -- genesis -----------------------------------------------------------------------------

    def import_state(
        self,
        ctx: Context,
        assets: Sequence[Asset],
        versions: Sequence[Version],
        grants: Sequence[Grant],
        wraps: Sequence[tuple[int, int, WrappedKey]],
        accesses: Sequence[Access],
    ) -> None:
        """Genesis: state exported by another chain, already checked whole (``module.py``).

        Assets and grants come in id order from 1, so the counters resume after
        them; each grant is filed in its asset's and its grantee's lists in that
        order, as it was when granted; each access in its grantee's list at its
        ``grantee_seq`` (the unique index), which run 0, 1, … per grantee.
        """
        for asset in assets:
            self._put_asset(ctx, asset)
        if assets:  # a counter is stored once it has handed out an id, as on the live chain
            NEXT_ASSET.set(ctx, len(assets) + 1)
        for version in versions:
            self._put_version(ctx, version)
        per_asset: dict[int, int] = {}
        for grant in grants:
            self._file_grant(ctx, grant, per_asset.get(grant.asset, 0))
            per_asset[grant.asset] = per_asset.get(grant.asset, 0) + 1
        if grants:
            NEXT_GRANT.set(ctx, len(grants) + 1)
        for grant_id, number, wrapped in wraps:
            self._put_wrap(ctx, grant_id, number, wrapped)
        counts: dict[str, int] = {}
        for access in accesses:  # by asset, then seq; each grantee's own order is grantee_seq
            ACCESSES.set(ctx, (access.asset, access.seq), access)
            counts[access.grantee] = counts.get(access.grantee, 0) + 1
        for grantee, count in sorted(counts.items()):
            GRANTEE_ACCESS_COUNT.set(ctx, grantee, count)

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
        ASSETS.set(ctx, asset.id, asset)

    @staticmethod
    def _put_version(ctx: Context, version: Version) -> None:
        VERSIONS.set(ctx, (version.asset, version.number), version)

    def _file_grant(self, ctx: Context, grant: Grant, position: int) -> None:
        """A new grant, at ``position`` in its asset's list and next in its grantee's list."""
        GRANTS.set(ctx, grant.id, grant)
        ASSET_GRANTS.set(ctx, (grant.asset, position), grant.id)
        mine = self.grantee_grant_count(ctx.store, grant.grantee)
        GRANTEE_GRANTS.set(ctx, (grant.grantee, mine), grant.id)
        GRANTEE_GRANT_COUNT.set(ctx, grant.grantee, mine + 1)

    @staticmethod
    def _put_wrap(ctx: Context, grant_id: int, number: int, wrapped: WrappedKey) -> None:
        WRAPS.set(ctx, (grant_id, number), wrapped)

    @staticmethod
    def _append_access(ctx: Context, access: Access) -> None:
        """An access record at the end of its asset's log and of its grantee's list."""
        ACCESSES.set(ctx, (access.asset, access.seq), access)
        GRANTEE_ACCESS_COUNT.set(ctx, access.grantee, access.grantee_seq + 1)
