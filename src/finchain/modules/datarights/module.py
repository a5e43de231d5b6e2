"""The data-rights module: data assets, grants, revocation, and a record of every access.

Genesis: ``app_state["datarights"]`` is the module's whole state, table by
table, each record in the JSON form its query answers (bytes as lowercase hex)
and in key order: ``assets`` (by id, from 1), ``versions`` (by asset, then
number), ``grants`` (by id, from 1: the order granted), ``wrapped_keys`` (by
grant, then version) and ``accesses`` (by asset, then ``seq``). A new chain
starts with ``{"assets": []}``. ``export_genesis`` writes it and ``init_genesis``
reads it back into the same state, entry for entry: the counters resume after
the last asset and grant, the active-grant index follows the grants, the
per-asset and per-grantee grant lists follow the grant ids, and the
per-grantee access list follows each access's ``grantee_seq``. Everything is
checked before anything is written (``ErrBadGenesis``, datarights:18).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.fields import ListOf, Nested, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import Invariant, KeeperModule, parse_genesis
from finchain.modules.datarights import handlers, queries
from finchain.modules.datarights.errors import ErrBadGenesis
from finchain.modules.datarights.keeper import DataRightsKeeper
from finchain.modules.datarights.keys import (
    ACCESSES,
    GRANTEE_ACCESS_COUNT,
    GRANTEE_GRANT_COUNT,
    GRANTEE_GRANTS,
    STORE,
)
from finchain.modules.datarights.types import (
    ID,
    KEY_METHOD,
    SEALED_KEY,
    VERSION,
    Access,
    Asset,
    Grant,
    Version,
    WrappedKey,
)

NAME = "datarights"
_MAX_GENESIS_ITEMS = 100_000_000


@dataclass(frozen=True, slots=True)
class GenesisWrap(Record):
    """A wrapped key (``WrappedKey``) with the grant and version it is filed under."""

    WHAT = "wrapped key"
    grant: int = wire(ID)
    version: int = wire(VERSION)
    key_method: str = wire(KEY_METHOD)
    wrapped: bytes = wire(SEALED_KEY)


def _table(cls: type[Record]) -> Any:
    return wire(ListOf(Nested(cls), max_items=_MAX_GENESIS_ITEMS), default=())


@dataclass(frozen=True, slots=True)
class DataRightsGenesis(Record):
    """The module's whole state, table by table, in key order (``check`` says what must hold)."""

    WHAT = "datarights genesis"
    assets: tuple[Asset, ...] = wire(ListOf(Nested(Asset), max_items=_MAX_GENESIS_ITEMS))
    versions: tuple[Version, ...] = _table(Version)
    grants: tuple[Grant, ...] = _table(Grant)
    wrapped_keys: tuple[GenesisWrap, ...] = _table(GenesisWrap)
    accesses: tuple[Access, ...] = _table(Access)

    def check(self) -> None:
        """The tables agree with each other as the chain's own writes keep them."""
        assets = self.assets
        for position, asset in enumerate(assets):
            if asset.id != position + 1:
                raise ErrBadGenesis(f"asset #{asset.id} at position {position}: ids run 1, 2, …")
        listed = [(v.asset, v.number) for v in self.versions]
        if listed != [(a.id, n) for a in assets for n in range(1, a.versions + 1)]:
            raise ErrBadGenesis(
                "versions must be each asset's versions 1 to its count, by asset then number"
            )
        self._check_grants()
        wraps = [(w.grant, w.version) for w in self.wrapped_keys]
        if wraps != sorted(set(wraps)):
            raise ErrBadGenesis("wrapped keys must be listed once each, by grant then version")
        for wrap in self.wrapped_keys:
            if wrap.grant > len(self.grants):
                raise ErrBadGenesis(f"wrapped key of grant {wrap.grant}: no such grant")
            if wrap.version > assets[self.grants[wrap.grant - 1].asset - 1].versions:
                raise ErrBadGenesis(f"wrapped key of grant {wrap.grant}: no version {wrap.version}")
        self._check_accesses()

    def _check_grants(self) -> None:
        counts: dict[int, tuple[int, int]] = {}
        active: set[tuple[int, str]] = set()
        for position, grant in enumerate(self.grants):
            what = f"grant {grant.id}"
            if grant.id != position + 1:
                raise ErrBadGenesis(
                    f"{what} at position {position}: ids run 1, 2, … (order granted)"
                )
            if grant.asset > len(self.assets):
                raise ErrBadGenesis(f"{what}: no asset #{grant.asset}")
            asset = self.assets[grant.asset - 1]
            if not set(grant.purposes) <= set(asset.purposes):
                raise ErrBadGenesis(f"{what}: purposes outside asset #{asset.id}'s")
            if grant.granted_version > asset.versions:
                raise ErrBadGenesis(
                    f"{what}: asset #{asset.id} has no version {grant.granted_version}"
                )
            if not grant.revoked:
                if (grant.asset, grant.grantee) in active:
                    raise ErrBadGenesis(f"{what}: {grant.grantee} holds two active grants")
                active.add((grant.asset, grant.grantee))
            total, unrevoked = counts.get(grant.asset, (0, 0))
            counts[grant.asset] = (total + 1, unrevoked + (not grant.revoked))
        for asset in self.assets:
            if counts.get(asset.id, (0, 0)) != (asset.grants, asset.active_grants):
                raise ErrBadGenesis(
                    f"asset #{asset.id} counts {asset.grants} grants, {asset.active_grants} "
                    "active: the grants listed disagree"
                )

    def _check_accesses(self) -> None:
        listed = [(a.asset, a.seq) for a in self.accesses]
        if listed != [(a.id, k) for a in self.assets for k in range(a.accesses)]:
            raise ErrBadGenesis(
                "accesses must be each asset's access log, seq 0 to its count, by asset then seq"
            )
        per_grantee: dict[str, list[int]] = {}
        last: dict[tuple[str, int], int] = {}
        for access in self.accesses:
            what = f"access {access.asset}/{access.seq}"
            grant = self.grants[access.grant - 1] if access.grant <= len(self.grants) else None
            if grant is None or (grant.asset, grant.grantee) != (access.asset, access.grantee):
                raise ErrBadGenesis(
                    f"{what}: grant {access.grant} is not its grantee's on the asset"
                )
            if access.version > self.assets[access.asset - 1].versions:
                raise ErrBadGenesis(f"{what}: no version {access.version}")
            if last.get((access.grantee, access.asset), -1) >= access.grantee_seq:
                raise ErrBadGenesis(f"{what}: grantee_seq out of the order of the asset's log")
            last[(access.grantee, access.asset)] = access.grantee_seq
            per_grantee.setdefault(access.grantee, []).append(access.grantee_seq)
        for grantee, seqs in per_grantee.items():
            if sorted(seqs) != list(range(len(seqs))):
                raise ErrBadGenesis(
                    f"grantee_seq of {grantee}'s accesses must run 0, 1, … once each"
                )

    def latest_time_ns(self) -> int:
        """The latest block time any record names."""
        times = [0]
        times += [a.time_ns for a in self.assets]
        times += [max(v.time_ns, v.forgotten_ns) for v in self.versions]
        times += [max(g.time_ns, g.revoked_ns) for g in self.grants]
        times += [a.time_ns for a in self.accesses]
        return max(times)


class DataRightsModule(KeeperModule[DataRightsKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES

    # -- genesis -------------------------------------------------------------------------------

    def default_genesis(self) -> dict[str, Any]:
        return DataRightsGenesis(()).to_json()

    def validate_genesis(self, state: dict[str, Any]) -> None:
        parse_genesis(DataRightsGenesis, state, ErrBadGenesis)

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        genesis = parse_genesis(DataRightsGenesis, state, ErrBadGenesis)
        if genesis.latest_time_ns() > ctx.time_ns:
            raise ErrBadGenesis(f"{NAME} genesis names block times after the genesis time")
        self.keeper.import_state(
            ctx,
            genesis.assets,
            genesis.versions,
            genesis.grants,
            [
                (w.grant, w.version, WrappedKey(w.key_method, w.wrapped))
                for w in genesis.wrapped_keys
            ],
            genesis.accesses,
        )

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        k = self.keeper
        assets = tuple(k.assets(reader))
        return DataRightsGenesis(
            assets,
            tuple(v for asset in assets for v in k.versions(reader, asset)),
            tuple(k.grants(reader)),
            tuple(GenesisWrap(g, n, w.key_method, w.wrapped) for (g, n), w in k.wraps(reader)),
            tuple(k.access(reader, a.id, i) for a in assets for i in range(a.accesses)),
        ).to_json()

    # -- invariants ----------------------------------------------------------------------------

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [
            ("datarights/active-grants-indexed", self._active_grants_indexed),
            ("datarights/lists-match-records", self._lists_match_records),
        ]

    def _active_grants_indexed(self, reader: KVReader) -> str | None:
        """Each unrevoked grant is the one the active index names, and the count agrees."""
        k = self.keeper
        for asset in k.assets(reader):
            active = 0
            for position in range(asset.grants):
                grant = k.asset_grant(reader, asset.id, position)
                indexed = k.active_grant(reader, asset.id, grant.grantee)
                if grant.revoked == (indexed is not None and indexed.id == grant.id):
                    return f"grant {grant.id} of asset #{asset.id} disagrees with the active index"
                active += not grant.revoked
            if active != asset.active_grants:
                return f"asset #{asset.id} counts {asset.active_grants} active grants, not {active}"
        return None

    def _lists_match_records(self, reader: KVReader) -> str | None:
        """Each grantee's grants and accesses are listed in order, and counted right."""
        k = self.keeper
        grants: dict[str, int] = {}
        for grant in k.grants(reader):
            mine = grants.get(grant.grantee, 0)
            if GRANTEE_GRANTS.get(reader, (grant.grantee, mine)) != grant.id:
                return f"grant list of {grant.grantee} disagrees at position {mine}"
            grants[grant.grantee] = mine + 1
        if dict(GRANTEE_GRANT_COUNT.iterate(reader)) != grants:
            return "grant counts per grantee disagree with the grants"
        accesses: dict[str, int] = {}
        for asset in k.assets(reader):
            for seq in range(asset.accesses):
                access = k.access(reader, asset.id, seq)
                filed = ACCESSES.get_by("grantee", reader, (access.grantee, access.grantee_seq))
                if filed != (asset.id, seq):
                    return f"access {asset.id}/{seq} is not where its grantee's list says"
                accesses[access.grantee] = accesses.get(access.grantee, 0) + 1
        if dict(GRANTEE_ACCESS_COUNT.iterate(reader)) != accesses:
            return "access counts per grantee disagree with the access logs"
        return None


__all__ = ["NAME", "DataRightsGenesis", "DataRightsModule", "GenesisWrap"]
