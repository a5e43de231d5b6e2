"""Read-only queries of the aml module, served on committed state.

- ``aml/active``: the active list (version 0 and no list while none was sealed),
  the open draft's version, if any, and the next version number.
- ``aml/list?version=V``: one list version's record (hash, count, publisher, state).
- ``aml/entries?version=V[&cursor=E][&limit=N]``: a page of a version's entries.
- ``aml/check?address=A[&version=V]``: whether an account id or DID is on the
  active list (or on version V), and through which entry.
- ``aml/travel?hash=H[&account=A]``: the travel record account A made of envelope
  hash H; without ``account``, every record of H (``{"envelope_hash", "records"}``).
- ``aml/travel_by_institution?did=D&role=originator|beneficiary``: a page of the
  envelope hashes naming an institution (what a bank reads to find what was
  sent to it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.errors import ErrBadQuery
from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import int_param, str_param
from finchain.formats.did import is_did
from finchain.modules.accounts.types import is_account_id
from finchain.modules.aml.errors import ErrUnknownTravel
from finchain.modules.aml.keeper import AmlView
from finchain.modules.aml.types import MAX_VERSION, SEALED, is_entry

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_HASH_HEX = 64


def _version(params: dict[str, Any]) -> int:
    return int_param(params.get("version"), "version", low=1, high=MAX_VERSION)


def active(view: AmlView, reader: KVReader, params: dict[str, Any]) -> Any:
    """The active list's record (null while none), the open draft's version (null) and the
    version the next draft must take."""
    version = view.active_list_version(reader)
    found = view.get_list(reader, version) if version else None
    return {
        "version": version,
        "list": None if found is None else found.to_json(),
        "draft": view.draft_version(reader),
        "next_version": view.next_version(reader),
    }


def list_version(view: AmlView, reader: KVReader, params: dict[str, Any]) -> Any:
    """One list version, whatever its state (draft, sealed, discarded)."""
    found = view.require_list(reader, _version(params))
    return {**found.to_json(), "active": view.active_list_version(reader) == found.version}


def entries(view: AmlView, reader: KVReader, params: dict[str, Any]) -> Any:
    """Entries of ``version`` in increasing order from ``cursor`` on (inclusive)."""
    version = _version(params)
    view.require_list(reader, version)
    limit = int_param(params.get("limit"), "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
    cursor = params.get("cursor") or ""
    if not isinstance(cursor, str) or (cursor and not is_entry(cursor)):
        raise ErrBadQuery("parameter 'cursor' must be an entry (an account id or a DID)")
    page: list[str] = []
    next_cursor = None
    for entry in view.entries(reader, version):
        if entry.encode() < cursor.encode():
            continue
        if len(page) == limit:
            next_cursor = entry
            break
        page.append(entry)
    return {"version": version, "entries": page, "next_cursor": next_cursor}


def check(view: AmlView, reader: KVReader, params: dict[str, Any]) -> Any:
    """Is ``address`` (account id or DID) listed? On the active list, or on sealed ``version``."""
    address = str_param(params, "address", is_entry, "an account id or a DID")
    if params.get("version") is None:
        version = view.listed_version(reader, address)
        return {
            "address": address,
            "active_version": view.active_list_version(reader),
            "listed": version is not None,
            "version": version,
        }
    version = _version(params)
    found = view.require_list(reader, version)
    if found.state != SEALED:
        raise ErrBadQuery(f"version {version} is {found.state}, not sealed: ask about a sealed one")
    return {
        "address": address,
        "active_version": view.active_list_version(reader),
        "listed": view.on_list(reader, version, address),
        "version": version,
    }


def travel(view: AmlView, reader: KVReader, params: dict[str, Any]) -> Any:
    """The travel record of envelope hash ``hash`` (64 lowercase hex digits) made by
    ``account``; without ``account``, every record of the hash."""
    text = params.get("hash")
    if not isinstance(text, str) or len(text) != _HASH_HEX or text.lower() != text:
        raise ErrBadQuery("parameter 'hash' must be 64 lowercase hex digits")
    try:
        digest = bytes.fromhex(text)
    except ValueError:
        raise ErrBadQuery("parameter 'hash' must be 64 lowercase hex digits") from None
    account = params.get("account")
    if account is not None:
        if not isinstance(account, str) or not is_account_id(account):
            raise ErrBadQuery("parameter 'account' must be an account id")
        return view.require_travel(reader, digest, account).to_json()
    records = view.travel_of_hash(reader, digest)
    if not records:
        raise ErrUnknownTravel(f"no travel-rule record has envelope hash {text}")
    return {"envelope_hash": text, "records": [record.to_json() for record in records]}


def travel_by_institution(view: AmlView, reader: KVReader, params: dict[str, Any]) -> Any:
    """Envelope hashes naming ``did`` as ``role``, in hash order, from ``cursor`` (hex) on."""
    did = str_param(params, "did", is_did, "an institution's DID")
    role = params.get("role", "beneficiary")
    if role not in ("originator", "beneficiary"):
        raise ErrBadQuery("parameter 'role' must be 'originator' or 'beneficiary'")
    limit = int_param(params.get("limit"), "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
    cursor = params.get("cursor") or ""
    if not isinstance(cursor, str) or len(cursor) > _HASH_HEX:
        raise ErrBadQuery("parameter 'cursor' must be an envelope hash in hex")
    page: list[str] = []
    next_cursor = None
    for digest in view.travel_hashes_of(reader, str(role), did):
        shown = digest.hex()
        if shown < cursor:
            continue
        if len(page) == limit:
            next_cursor = shown
            break
        page.append(shown)
    return {"did": did, "role": role, "envelope_hashes": page, "next_cursor": next_cursor}


QUERIES: Mapping[str, KeeperQuery] = {
    "aml/active": active,
    "aml/list": list_version,
    "aml/entries": entries,
    "aml/check": check,
    "aml/travel": travel,
    "aml/travel_by_institution": travel_by_institution,
}
