"""Read-only queries of the compliance module, served on committed state.

``compliance/active`` (the active set, or version 0), ``compliance/ruleset``
(one version), ``compliance/rulesets`` (all, in version order, without their
rules), ``compliance/held`` (one held transaction), ``compliance/held_list``
(by status), ``compliance/params``, ``compliance/profile``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.errors import ErrBadQuery
from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import int_param
from finchain.modules.accounts.types import account_param
from finchain.modules.compliance.keeper import ComplianceView
from finchain.modules.compliance.types import HELD_STATUSES, MAX_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def active(view: ComplianceView, reader: KVReader, params: dict[str, Any]) -> Any:
    """The active rule set (``version`` 0 and no rules when none is active)."""
    version = view.active_version(reader)
    if not version:
        return {"version": 0, "ruleset": None}
    return {"version": version, "ruleset": view.require_ruleset(reader, version).to_json()}


def ruleset(view: ComplianceView, reader: KVReader, params: dict[str, Any]) -> Any:
    """One rule set by ``version``, with its rules and status."""
    version = int_param(params.get("version"), "version", low=1, high=MAX_ID)
    return view.require_ruleset(reader, version).to_json()


def rulesets(view: ComplianceView, reader: KVReader, params: dict[str, Any]) -> Any:
    """Every rule set's version, status, heights and rule count (no expressions)."""
    found = []
    for rs in view.rulesets(reader):
        summary = rs.to_json()
        summary["rules"] = len(rs.rules)
        found.append(summary)
    return {"active": view.active_version(reader), "rulesets": found}


def held(view: ComplianceView, reader: KVReader, params: dict[str, Any]) -> Any:
    """One held transaction (its messages as hex CBOR, approvals, status)."""
    held_id = int_param(params.get("id"), "id", low=1, high=MAX_ID)
    return view.require_held(reader, held_id).to_json()


def held_list(view: ComplianceView, reader: KVReader, params: dict[str, Any]) -> Any:
    """Held transactions in ``status`` (default ``held``), in id order, paged by ``cursor``."""
    status = params.get("status", "held")
    if status not in HELD_STATUSES:
        raise ErrBadQuery(f"parameter 'status' must be one of {list(HELD_STATUSES)}")
    limit = int_param(params.get("limit"), "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
    cursor = int_param(params.get("cursor"), "cursor", low=0, high=MAX_ID, default=0)
    found: list[dict[str, Any]] = []
    next_cursor = None
    for held_id in view.held_ids(reader, str(status)):
        if held_id < cursor:
            continue
        if len(found) == limit:
            next_cursor = str(held_id)
            break
        found.append(view.require_held(reader, held_id).to_json())
    return {"status": status, "held": found, "next_cursor": next_cursor}


def params_query(view: ComplianceView, reader: KVReader, params: dict[str, Any]) -> Any:
    """Zone offset, window and the regulated assets."""
    return {
        **view.params(reader).to_json(),
        "regulated_assets": list(view.regulated_assets(reader)),
    }


def profile(view: ComplianceView, reader: KVReader, params: dict[str, Any]) -> Any:
    """An account's jurisdiction and person kind (``profile`` null when none is recorded)."""
    account = account_param(params)
    found = view.profile(reader, account)
    return {"account": account, "profile": None if found is None else found.to_json()}


QUERIES: Mapping[str, KeeperQuery] = {
    "compliance/active": active,
    "compliance/ruleset": ruleset,
    "compliance/rulesets": rulesets,
    "compliance/held": held,
    "compliance/held_list": held_list,
    "compliance/params": params_query,
    "compliance/profile": profile,
}
