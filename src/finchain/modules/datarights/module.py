"""The data-rights module: data assets, grants, revocation, and a record of every access.

Genesis: ``app_state["datarights"] = {"assets": []}``. A new chain starts with
no assets; ``export_genesis`` writes every asset with its versions, grants,
wrapped keys and access log (for audit and migration tooling), but
``init_genesis`` does not import them yet and refuses a non-empty list rather
than drop history silently (see docs/data-rights.md, "Limits").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import BaseModule, Handler, Invariant, Query
from finchain.core.msgs import Msg
from finchain.modules.datarights import handlers, keys, queries
from finchain.modules.datarights.errors import ErrBadGenesis
from finchain.modules.datarights.keeper import DataRightsKeeper
from finchain.modules.datarights.messages import (
    MsgAddVersion,
    MsgForget,
    MsgGrant,
    MsgRecordAccess,
    MsgRegisterAsset,
    MsgRevoke,
)
from finchain.modules.datarights.types import Asset

NAME = "datarights"


class DataRightsModule(BaseModule):
    name = NAME
    store_key = keys.STORE
    consensus_version = 1

    def __init__(self, keeper: DataRightsKeeper) -> None:
        self.keeper = keeper

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        k = self.keeper
        return {
            MsgRegisterAsset: partial(handlers.register_asset, k),
            MsgAddVersion: partial(handlers.add_version, k),
            MsgGrant: partial(handlers.grant, k),
            MsgRevoke: partial(handlers.revoke, k),
            MsgRecordAccess: partial(handlers.record_access, k),
            MsgForget: partial(handlers.forget, k),
        }

    def queries(self) -> Mapping[str, Query]:
        k = self.keeper
        return {
            "datarights/asset": partial(queries.asset, k),
            "datarights/grants": partial(queries.grants, k),
            "datarights/grants_to": partial(queries.grants_to, k),
            "datarights/access_log": partial(queries.access_log, k),
            "datarights/accesses_by": partial(queries.accesses_by, k),
            "datarights/wrapped_key": partial(queries.wrapped_key, k),
        }

    def validate_genesis(self, state: dict[str, Any]) -> None:
        """The section's shape; its contents are checked as ``init_genesis`` loads them."""
        if not isinstance(state, dict) or not state.keys() <= self.default_genesis().keys():
            raise ErrBadGenesis(f"{NAME} genesis must be a map of {sorted(self.default_genesis())}")

    def default_genesis(self) -> dict[str, Any]:
        return {"assets": []}

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        if state != {"assets": []}:
            raise ErrBadGenesis(
                'datarights genesis must be {"assets": []}: importing assets, grants and '
                "access logs into a new genesis is not supported yet"
            )

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        return {"assets": [self._export_asset(reader, a) for a in self.keeper.assets(reader)]}

    def _export_asset(self, reader: KVReader, asset: Asset) -> dict[str, Any]:
        k = self.keeper
        grants = []
        for position in range(asset.grants):
            grant = k.asset_grant(reader, asset.id, position)
            wraps = {
                str(n): w.to_obj() | {"wrapped": w.wrapped.hex()}
                for n in range(1, asset.versions + 1)
                if (w := k.wrapped_key(reader, grant.id, n)) is not None
            }
            grants.append({**grant.to_json(), "wraps": wraps})
        return {
            **asset.to_obj(),
            "version_list": [v.to_json() for v in k.versions(reader, asset)],
            "grant_list": grants,
            "access_log": [k.access(reader, asset.id, i).to_json() for i in range(asset.accesses)],
        }

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [("datarights/active-grants-indexed", self._active_grants_indexed)]

    def _active_grants_indexed(self, reader: KVReader) -> str | None:
        """Each unrevoked grant is the one the active index names, and the count agrees."""
        k = self.keeper
        for asset in k.assets(reader):
            active = 0
            for position in range(asset.grants):
                grant = k.asset_grant(reader, asset.id, position)
                indexed = reader.get(keys.active(asset.id, grant.grantee))
                is_indexed = indexed is not None and int.from_bytes(indexed, "big") == grant.id
                if grant.revoked == is_indexed:
                    return f"grant {grant.id} of asset #{asset.id} disagrees with the active index"
                active += not grant.revoked
            if active != asset.active_grants:
                return f"asset #{asset.id} counts {asset.active_grants} active grants, not {active}"
        return None

    def end_block(self, ctx: Context) -> None:
        return None


__all__ = ["NAME", "DataRightsModule"]
