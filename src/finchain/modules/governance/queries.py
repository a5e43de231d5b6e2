"""Read-only queries of the governance module, served on committed state.

Nothing governance decides is ever deleted except members and validators that
a proposal removed, and those removals live on in the executed proposal: so
proposals, votes and evidence can be queried forever. Bytes (keys, addresses)
are given as lowercase hex; numbers in parameters may be ints or decimal
strings (the HTTP API passes every parameter as a string).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.errors import ErrBadQuery
from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.modules.accounts.types import account_param
from finchain.modules.governance.errors import ErrMemberNotFound, ErrValidatorNotFound
from finchain.modules.governance.keeper import GovernanceView
from finchain.modules.governance.types import ADDRESS_BYTES, STATUSES, Proposal, Validator


def _hex(value: Any) -> Any:
    """``value`` with every bytes turned into hex, for JSON answers."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: _hex(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_hex(v) for v in value]
    return value


def _number(params: dict[str, Any], name: str) -> int:
    value = params.get(name)
    if isinstance(value, str) and value.isdigit() and len(value) <= 19:
        value = int(value)
    if type(value) is not int or not 1 <= value < 2**63:
        raise ErrBadQuery(f"parameter {name!r} must be a positive integer")
    return value


def _proposal(proposal: Proposal) -> dict[str, Any]:
    return dict(_hex(proposal.to_obj()))


def _validator(validator: Validator) -> dict[str, Any]:
    return {**_hex(validator.to_obj()), "effective_power": validator.effective_power}


def params(view: GovernanceView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    return view.params(reader).to_obj()


def members(view: GovernanceView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "members": [m.to_obj() for m in view.members(reader)],
        "total_weight": view.total_weight(reader),
    }


def member(view: GovernanceView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    account = account_param(args)
    found = view.member(reader, account)
    if found is None:
        raise ErrMemberNotFound(f"account {account} is not a governance member")
    return found.to_obj()


def validators(view: GovernanceView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    found = [_validator(v) for v in view.validators(reader)]
    return {
        "validators": found,
        "active": sum(1 for v in found if v["effective_power"]),
        "total_power": sum(v["effective_power"] for v in found),
    }


def validator(view: GovernanceView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    text = args.get("address")
    try:
        raw = bytes.fromhex(text) if isinstance(text, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != ADDRESS_BYTES:
        raise ErrBadQuery("parameter 'address' must be a validator address: 40 hex digits")
    found = view.validator(reader, raw)
    if found is None:
        raise ErrValidatorNotFound(f"no validator has address {text}")
    return _validator(found)


def proposal(view: GovernanceView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    return _proposal(view.require_proposal(reader, _number(args, "proposal_id")))


def proposals(view: GovernanceView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    """Every proposal in id order; ``status`` (optional) keeps only those in that status."""
    status = args.get("status")
    if status is not None and status not in STATUSES:
        raise ErrBadQuery(f"parameter 'status' must be one of {list(STATUSES)}")
    return {
        "proposals": [
            _proposal(p) for p in view.proposals(reader) if status is None or p.status == status
        ]
    }


def votes(view: GovernanceView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    proposal_id = _number(args, "proposal_id")
    view.require_proposal(reader, proposal_id)
    return {"votes": [v.to_obj() for v in view.votes(reader, proposal_id)]}


def tally(view: GovernanceView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    """The tally as it would stand now (for a closed proposal, its recorded tally)."""
    found = view.require_proposal(reader, _number(args, "proposal_id"))
    current = found.tally or view.tally(reader, found.id)
    return {"proposal_id": found.id, "status": found.status, **current.to_obj()}


def evidence(view: GovernanceView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    return {"evidence": [_hex(e.to_obj()) for e in view.evidence(reader)]}


QUERIES: Mapping[str, KeeperQuery] = {
    "gov/params": params,
    "gov/members": members,
    "gov/member": member,
    "gov/validators": validators,
    "gov/validator": validator,
    "gov/proposal": proposal,
    "gov/proposals": proposals,
    "gov/votes": votes,
    "gov/tally": tally,
    "gov/evidence": evidence,
}
