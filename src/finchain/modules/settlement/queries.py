"""Read-only queries of the settlement module, served on committed state.

Parameters may be typed values or strings (the HTTP API passes strings).
``settlement/by_party`` lists in reference order, ``limit`` at a time; pass the
answer's ``next`` back as ``after`` for the next page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.errors import ErrBadQuery
from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import int_param
from finchain.modules.accounts.types import account_param
from finchain.modules.settlement.keeper import SettlementView
from finchain.modules.settlement.types import REFERENCE

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _reference(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    try:
        return REFERENCE.decode(value, name)
    except Exception:
        raise ErrBadQuery(f"parameter {name!r} must be a settlement reference") from None


def instruction(view: SettlementView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """One instruction by id: its legs, status, settled lots and last failure reason."""
    id_ = int_param(params.get("id"), "id", low=1, high=2**63 - 1)
    return view.require(reader, id_).summary()


def by_reference(view: SettlementView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """The instruction a party authorised under ``reference``."""
    party = account_param(params, "party")
    found = view.by_reference(reader, party, _reference(params, "reference"))
    if found is None:
        raise ErrBadQuery(f"{party} has no instruction under that reference")
    return found.summary()


def by_party(view: SettlementView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Instructions ``party`` authorised (submitted, endorsed or matched), by reference."""
    party = account_param(params, "party")
    limit = int_param(params.get("limit"), "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
    after = None if params.get("after") is None else _reference(params, "after")
    found: list[dict[str, Any]] = []
    more = False
    for reference, id_ in view.of_party(reader, party):
        if after is not None and reference <= after:
            continue
        if len(found) == limit:
            more = True
            break
        found.append(view.require(reader, id_).summary())
    next_after = found[-1]["instruction"]["reference"] if more else None
    return {"party": party, "instructions": found, "next": next_after}


QUERIES: Mapping[str, KeeperQuery] = {
    "settlement/instruction": instruction,
    "settlement/by_reference": by_reference,
    "settlement/by_party": by_party,
}
