"""Read-only queries of the identity module, served on committed state.

``identity/resolve`` answers in the DID Resolution shape and never fails on a
bad or unknown DID (the error is in ``didResolutionMetadata``), so the HTTP
layer can serve it as a DIF Universal Resolver driver unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import int_param
from finchain.errors import FinchainError
from finchain.formats.did import MAX_NUMBER
from finchain.formats.times import parse_time
from finchain.modules.accounts.types import account_param
from finchain.modules.identity.document import INVALID_DID_URL, resolution_error
from finchain.modules.identity.errors import ErrDidNotFound
from finchain.modules.identity.keeper import IdentityView
from finchain.modules.identity.types import parse_did, time_ns_of

_VERSION_ID = re.compile(r"[1-9][0-9]{0,17}")
DEFAULT_PAGE = 100
MAX_PAGE = 200


def resolve(view: IdentityView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """``{"did", "versionId"?, "versionTime"?}`` → a DID Resolution result.

    ``versionId`` is a decimal string (or integer); ``versionTime`` an RFC 3339
    time with a zone, resolved to the version in force at that block time.
    """
    version_id = params.get("versionId")
    version_time = params.get("versionTime")
    if isinstance(version_id, int) and not isinstance(version_id, bool):
        version_id = str(version_id)
    if version_id is not None and (
        not isinstance(version_id, str) or not _VERSION_ID.fullmatch(version_id)
    ):
        return resolution_error(INVALID_DID_URL, "versionId must be a positive decimal number")
    at_time_ns = None
    if version_time is not None:
        try:
            at_time_ns = time_ns_of(parse_time(version_time))
        except FinchainError as exc:
            return resolution_error(INVALID_DID_URL, f"versionTime: {exc.message}")
    return view.resolve(
        reader,
        params.get("did"),
        version_id=None if version_id is None else int(version_id),
        at_time_ns=at_time_ns,
    )


def record(view: IdentityView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """The registry's own view of a DID: controller account, version, heights, bound accounts."""
    did = params.get("did")
    _, number = parse_did(did)
    found = view.record_of(reader, did)
    if found is None:
        raise ErrDidNotFound(f"{did} is not registered on this chain")
    return {"record": found.to_json(), "bound_accounts": view.bound_accounts(reader, number)}


def did_of_account(view: IdentityView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    account = account_param(params)
    return {"account": account, "did": view.did_of_account(reader, account)}


def dids_of_controller(
    view: IdentityView, reader: KVReader, params: dict[str, Any]
) -> dict[str, Any]:
    """One page of the DIDs ``account`` controls, from DID number ``cursor`` on.

    Paged because the list is not the account's to bound: any account can hand it
    DIDs (``controller_account``), and an unpaged answer would grow without limit.
    """
    account = account_param(params)
    limit = int_param(params.get("limit", DEFAULT_PAGE), "limit", low=1, high=MAX_PAGE)
    cursor = int_param(params.get("cursor", 0), "cursor", low=0, high=MAX_NUMBER)
    page, next_cursor = view.dids_of_controller_page(reader, account, cursor, limit)
    return {
        "account": account,
        "dids": [{"did": r.did, "version": r.version, "deactivated": r.deactivated} for r in page],
        "next_cursor": None if next_cursor is None else str(next_cursor),
    }


QUERIES: Mapping[str, KeeperQuery] = {
    "identity/resolve": resolve,
    "identity/record": record,
    "identity/did_of_account": did_of_account,
    "identity/dids_of_controller": dids_of_controller,
}
