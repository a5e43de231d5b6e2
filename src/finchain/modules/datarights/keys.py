"""The data-rights module's state: the only place its keys are spelled.

Assets and grants get ids from counters (``NEXT_ASSET``, ``NEXT_GRANT``);
per-asset counts (versions, grants, active grants, accesses) live in the asset
record, so each list below is read by position with point reads only (pages
at any height, provable):

- ``ASSETS``: an asset by id; ``VERSIONS``: version n (1-based) of an asset;
- ``GRANTS``: a grant by id; its unique index ``active`` files an unrevoked
  grant under ``(asset, grantee DID)`` (dropped on revocation, so "is there an
  active grant" is one read);
- ``ASSET_GRANTS`` and ``GRANTEE_GRANTS`` (counted by ``GRANTEE_GRANT_COUNT``):
  grant ids in the order granted, per asset and per grantee. A grant's place in
  those lists is not part of the grant, so they are second maps, kept with the
  grants by one keeper helper (``DataRightsKeeper._file_grant``); the order is
  that of the grant ids, so genesis rebuilds them from the grants;
- ``WRAPS``: the data key of a version sealed to a grant's grantee;
- ``ACCESSES``: access record k of an asset; its unique index ``grantee`` files
  it under ``(grantee DID, grantee_seq)``, its place among the grantee's
  accesses (counted by ``GRANTEE_ACCESS_COUNT``).

Nothing is deleted but the ``active`` entry of a revoked grant.
"""

from __future__ import annotations

from finchain.core.collections import (
    STR,
    U64,
    Index,
    IndexedMap,
    Map,
    Pair,
    RecordValue,
    Sequence,
    StoreKey,
    U64Value,
)
from finchain.modules.datarights.types import Access, Asset, Grant, Version, WrappedKey

STORE = StoreKey("datarights", b"datarights/")

NEXT_ASSET = Sequence(STORE, b"next_asset")
NEXT_GRANT = Sequence(STORE, b"next_grant")

ASSETS: Map[int, Asset] = Map(STORE, b"asset/", U64, RecordValue(Asset.from_obj))
VERSIONS: Map[tuple[int, int], Version] = Map(
    STORE, b"ver/", Pair(U64, U64), RecordValue(Version.from_obj)
)


def _active(_id: int, grant: Grant) -> tuple[int, str] | None:
    return None if grant.revoked else (grant.asset, grant.grantee)


GRANTS: IndexedMap[int, Grant] = IndexedMap(
    STORE,
    b"grant/",
    U64,
    RecordValue(Grant.from_obj),
    {"active": Index(b"active/", Pair(U64, STR), _active, unique=True)},
)
ASSET_GRANTS: Map[tuple[int, int], int] = Map(STORE, b"ag/", Pair(U64, U64), U64Value())
GRANTEE_GRANTS: Map[tuple[str, int], int] = Map(STORE, b"gg/", Pair(STR, U64), U64Value())
GRANTEE_GRANT_COUNT: Map[str, int] = Map(STORE, b"gg_count/", STR, U64Value())

WRAPS: Map[tuple[int, int], WrappedKey] = Map(
    STORE, b"wrap/", Pair(U64, U64), RecordValue(WrappedKey.from_obj)
)

ACCESSES: IndexedMap[tuple[int, int], Access] = IndexedMap(
    STORE,
    b"log/",
    Pair(U64, U64),
    RecordValue(Access.from_obj),
    {
        "grantee": Index(
            b"by/", Pair(STR, U64), lambda _key, a: (a.grantee, a.grantee_seq), unique=True
        )
    },
)
GRANTEE_ACCESS_COUNT: Map[str, int] = Map(STORE, b"by_count/", STR, U64Value())
