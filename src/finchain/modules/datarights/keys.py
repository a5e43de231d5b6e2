"""The data-rights module's key layout: the only place its store keys are spelled.

Numbers are 8 big-endian bytes, so byte order is numeric order. Assets and
grants get ids from counters; per-asset counts (versions, grants, accesses)
live in the asset record, so each list below is read by position with point
reads only:

- ``ver/<asset>/<n>``: version n (1-based) of an asset;
- ``grant/<grant>``: a grant; ``active/<asset>/<grantee DID>``: the id of the
  grantee's active grant (deleted on revocation, so "is there an active grant"
  is one read);
- ``ag/<asset>/<k>`` and ``gg/<grantee DID>/<k>``: grant ids in the order
  granted, per asset and per grantee (``gg_count/<DID>`` counts the latter);
- ``wrap/<grant>/<version>``: the data key of a version sealed to the grantee;
- ``log/<asset>/<k>``: access record k of an asset; ``by/<grantee DID>/<k>``:
  (asset, k) of the grantee's k-th access (``by_count/<DID>`` counts them).
"""

from __future__ import annotations

from finchain.core.collections import StoreKey

PREFIX = b"datarights/"
STORE = StoreKey("datarights", PREFIX)
NEXT_ASSET = PREFIX + b"next_asset"
NEXT_GRANT = PREFIX + b"next_grant"
ASSET = PREFIX + b"asset/"
VERSION = PREFIX + b"ver/"
GRANT = PREFIX + b"grant/"
ACTIVE = PREFIX + b"active/"
ASSET_GRANT = PREFIX + b"ag/"
GRANTEE_GRANT = PREFIX + b"gg/"
GRANTEE_GRANT_COUNT = PREFIX + b"gg_count/"
WRAP = PREFIX + b"wrap/"
LOG = PREFIX + b"log/"
BY_GRANTEE = PREFIX + b"by/"
BY_GRANTEE_COUNT = PREFIX + b"by_count/"


def u64(number: int) -> bytes:
    return number.to_bytes(8, "big")


def asset(asset_id: int) -> bytes:
    return ASSET + u64(asset_id)


def version(asset_id: int, number: int) -> bytes:
    return VERSION + u64(asset_id) + u64(number)


def grant(grant_id: int) -> bytes:
    return GRANT + u64(grant_id)


def active(asset_id: int, grantee: str) -> bytes:
    return ACTIVE + u64(asset_id) + grantee.encode()


def asset_grant(asset_id: int, position: int) -> bytes:
    return ASSET_GRANT + u64(asset_id) + u64(position)


def grantee_grant(grantee: str, position: int) -> bytes:
    return GRANTEE_GRANT + grantee.encode() + b"/" + u64(position)


def grantee_grant_count(grantee: str) -> bytes:
    return GRANTEE_GRANT_COUNT + grantee.encode()


def wrap(grant_id: int, number: int) -> bytes:
    return WRAP + u64(grant_id) + u64(number)


def access(asset_id: int, position: int) -> bytes:
    return LOG + u64(asset_id) + u64(position)


def by_grantee(grantee: str, position: int) -> bytes:
    return BY_GRANTEE + grantee.encode() + b"/" + u64(position)


def by_grantee_count(grantee: str) -> bytes:
    return BY_GRANTEE_COUNT + grantee.encode()
