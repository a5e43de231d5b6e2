"""Read-only queries of the data-rights module, served on committed state.

Parameters may be typed values or decimal strings (the HTTP API passes every
parameter as a string). Listings answer ``items`` in the order written and
``next_cursor`` (null on the last page); pass it back as ``cursor``. Every
page costs point reads only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from finchain.core.errors import ErrBadQuery
from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import int_param, str_param
from finchain.formats.did import is_did
from finchain.modules.datarights.keeper import DataRightsView
from finchain.modules.datarights.types import MAX_VERSIONS, Asset

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_MAX_INT = 2**63 - 1


def _asset(view: DataRightsView, reader: KVReader, params: dict[str, Any]) -> Asset:
    return view.require_asset(reader, int_param(params.get("asset"), "asset", low=1, high=_MAX_INT))


def _did(params: dict[str, Any], name: str) -> str:
    return str_param(params, name, is_did, "a did:finchain DID")


def _page(params: dict[str, Any], count: int, item: Callable[[int], Any]) -> dict[str, Any]:
    limit = int_param(params.get("limit"), "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
    start = int_param(params.get("cursor"), "cursor", low=0, high=count, default=0)
    end = min(count, start + limit)
    return {
        "items": [item(position).to_json() for position in range(start, end)],
        "next_cursor": None if end >= count else str(end),
    }


def asset(view: DataRightsView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """The asset with every version (at most MAX_VERSIONS)."""
    found = _asset(view, reader, params)
    return {**found.to_json(), "version_list": [v.to_json() for v in view.versions(reader, found)]}


def grants(view: DataRightsView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Every grant of an asset (revoked ones included), in the order granted."""
    found = _asset(view, reader, params)
    return {
        "asset": found.id,
        **_page(params, found.grants, lambda i: view.asset_grant(reader, found.id, i)),
    }


def grants_to(view: DataRightsView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Every grant a DID received, over all assets, in the order granted."""
    grantee = _did(params, "grantee")
    count = view.grantee_grant_count(reader, grantee)
    return {
        "grantee": grantee,
        **_page(params, count, lambda i: view.grantee_grant(reader, grantee, i)),
    }


def access_log(view: DataRightsView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """The recorded accesses of an asset, oldest first."""
    found = _asset(view, reader, params)
    return {
        "asset": found.id,
        **_page(params, found.accesses, lambda i: view.access(reader, found.id, i)),
    }


def accesses_by(view: DataRightsView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """The recorded accesses of one grantee, over all assets, oldest first."""
    grantee = _did(params, "grantee")
    count = view.grantee_access_count(reader, grantee)
    return {
        "grantee": grantee,
        **_page(params, count, lambda i: view.grantee_access(reader, grantee, i)),
    }


def wrapped_key(view: DataRightsView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """The data key of a version sealed to the grantee's active grant (ciphertext).

    Public like every query: it opens only with the grantee's private key. An
    honest client asks for it only after its ``record_access`` committed.
    """
    found = _asset(view, reader, params)
    grantee = _did(params, "grantee")
    number = int_param(params.get("version"), "version", low=1, high=MAX_VERSIONS)
    version = view.require_version(reader, found, number)
    grant = view.active_grant(reader, found.id, grantee)
    wrapped = None if grant is None else view.wrapped_key(reader, grant.id, number)
    if grant is None or wrapped is None:
        raise ErrBadQuery(
            f"{grantee} has no wrapped key for data asset #{found.id} version {number} "
            "under an active grant"
        )
    return {
        "asset": found.id,
        "version": number,
        "grantee": grantee,
        "grant": grant.id,
        "key_method": wrapped.key_method,
        "wrapped_key": wrapped.wrapped.hex(),
        "key_id": version.key_id.hex(),
        "hash": version.hash.hex(),
        "hash_alg": found.hash_alg,
    }


QUERIES: Mapping[str, KeeperQuery] = {
    "datarights/asset": asset,
    "datarights/grants": grants,
    "datarights/grants_to": grants_to,
    "datarights/access_log": access_log,
    "datarights/accesses_by": accesses_by,
    "datarights/wrapped_key": wrapped_key,
}
