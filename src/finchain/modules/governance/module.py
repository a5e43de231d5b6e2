"""The governance module: member institutions vote on proposals that change the members,
the validator set and the parameters; misbehaving validators are jailed.

Genesis: ``app_state["governance"] = {"members": [...], "params": {...}}``, and
the validator set comes from the genesis document's top-level ``validators``
(the list the engine also reads), which the application hands to
:meth:`GovernanceModule.init_validators` after every module's genesis ran.
A genesis without validators leaves the set to the engine; validator actions
then fail with ``gov:14``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import BaseModule, Handler, Invariant, Query
from finchain.core.msgs import Msg
from finchain.core.schema import expect_fields, get_list
from finchain.core.validators import Misbehavior, ValidatorUpdate
from finchain.crypto import PublicKey, public_key_from_bytes
from finchain.errors import FinchainError
from finchain.modules.governance import handlers, keys, queries
from finchain.modules.governance.errors import ErrBadGenesis
from finchain.modules.governance.keeper import GovernanceKeeper
from finchain.modules.governance.messages import AddMember, MsgSubmitProposal, MsgVote
from finchain.modules.governance.types import (
    MAX_POWER,
    VALIDATOR_ACTIVE,
    VALIDATOR_SCHEMES,
    GovParams,
    Validator,
    address,
)

NAME = "governance"
_POWER = re.compile(r"[1-9][0-9]{0,17}")


class GovernanceModule(BaseModule):
    name = NAME
    store_key = keys.STORE
    consensus_version = 1

    def __init__(self, keeper: GovernanceKeeper) -> None:
        self.keeper = keeper

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        k = self.keeper
        return {
            MsgSubmitProposal: partial(handlers.submit_proposal, k),
            MsgVote: partial(handlers.vote, k),
        }

    def queries(self) -> Mapping[str, Query]:
        k = self.keeper
        return {
            "gov/params": partial(queries.params, k),
            "gov/members": partial(queries.members, k),
            "gov/member": partial(queries.member, k),
            "gov/validators": partial(queries.validators, k),
            "gov/validator": partial(queries.validator, k),
            "gov/proposal": partial(queries.proposal, k),
            "gov/proposals": partial(queries.proposals, k),
            "gov/votes": partial(queries.votes, k),
            "gov/tally": partial(queries.tally, k),
            "gov/evidence": partial(queries.evidence, k),
        }

    def validate_genesis(self, state: dict[str, Any]) -> None:
        """The section's shape; its contents are checked as ``init_genesis`` loads them."""
        if not isinstance(state, dict) or not state.keys() <= self.default_genesis().keys():
            raise ErrBadGenesis(f"{NAME} genesis must be a map of {sorted(self.default_genesis())}")

    def default_genesis(self) -> dict[str, Any]:
        return {"members": [], "params": GovParams().to_obj()}

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        """Params, then members (their accounts must already exist: accounts runs first)."""
        try:
            expect_fields(state, {"members", "params"}, "governance genesis")
            self.keeper.set_params(ctx, GovParams.from_obj(state["params"]))
            for index, entry in enumerate(get_list(state, "members", max_items=10_000)):
                expect_fields(entry, {"account", "name", "weight"}, f"genesis member #{index}")
                member = AddMember.from_value({"type": AddMember.KIND, **entry})
                self.keeper.add_member(ctx, member.account, member.name, member.weight)
        except FinchainError as exc:
            if exc.error is ErrBadGenesis:
                raise
            raise ErrBadGenesis(f"governance genesis: {exc.message}") from None

    def init_validators(self, ctx: Context, entries: Sequence[Any]) -> tuple[ValidatorUpdate, ...]:
        """Load the genesis ``validators``; return them in genesis order for InitChain.

        Entry shape: ``{"name", "pub_key": {"type": "ed25519"|"sm2", "value": base64},
        "power": "10"}`` (power a decimal string, as in CometBFT's genesis).
        """
        validators = _genesis_validators(entries)
        for validator in validators:
            self.keeper.init_validator(ctx, validator)
        minimum = self.keeper.params(ctx.store).min_validators
        if validators and len(validators) < minimum:
            raise ErrBadGenesis(
                f"genesis names {len(validators)} validators but min_validators is {minimum}"
            )
        return genesis_validator_set(entries)

    # -- the application's ValidatorSource --------------------------------------------------

    def genesis_validator_set(self, entries: Sequence[Any]) -> tuple[ValidatorUpdate, ...]:
        return genesis_validator_set(entries)

    def validator_updates(self, before: KVReader, after: KVReader) -> tuple[ValidatorUpdate, ...]:
        return self.keeper.validator_updates(before, after)

    def record_misbehavior(self, ctx: Context, reports: Sequence[Misbehavior]) -> None:
        self.keeper.record_misbehavior(ctx, reports)

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        """Members and params; the validator set belongs to the document's ``validators``."""
        return {
            "members": [
                {"account": m.account, "name": m.name, "weight": m.weight}
                for m in self.keeper.members(reader)
            ],
            "params": self.keeper.params(reader).to_obj(),
        }

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [
            ("gov/total-weight", self._total_weight),
            ("gov/min-validators", self._min_validators),
            ("gov/proposal-ids-below-counter", self._ids_below_counter),
        ]

    def _total_weight(self, reader: KVReader) -> str | None:
        stored = self.keeper.total_weight(reader)
        summed = sum(m.weight for m in self.keeper.members(reader))
        if stored != summed:
            return f"stored total weight {stored} differs from the members' sum {summed}"
        return None

    def _min_validators(self, reader: KVReader) -> str | None:
        found = list(self.keeper.validators(reader))
        active = sum(1 for v in found if v.effective_power)
        minimum = self.keeper.params(reader).min_validators
        if found and active < minimum:
            return f"{active} active validators, below min_validators {minimum}"
        return None

    def _ids_below_counter(self, reader: KVReader) -> str | None:
        next_id = self.keeper.next_proposal_id(reader)
        for proposal in self.keeper.proposals(reader):
            if proposal.id >= next_id:
                return f"proposal {proposal.id} is at or above the id counter {next_id}"
        return None

    def end_block(self, ctx: Context) -> None:
        self.keeper.end_block(ctx)


def genesis_validator_set(entries: Sequence[Any]) -> tuple[ValidatorUpdate, ...]:
    """The genesis validators as ``InitChainResponse.validators``: in genesis order, so a
    repeated InitChain answers exactly what the first one did."""
    return tuple(
        ValidatorUpdate(v.scheme, v.public_key, v.power) for v in _genesis_validators(entries)
    )


def _genesis_validators(entries: Sequence[Any]) -> list[Validator]:
    validators = [_genesis_validator(i, entry) for i, entry in enumerate(entries)]
    if len({v.scheme for v in validators}) > 1:
        raise ErrBadGenesis("genesis validators must all use the same key scheme")
    if sum(v.power for v in validators) > MAX_POWER:
        raise ErrBadGenesis(f"genesis validators: total power exceeds {MAX_POWER}")
    return validators


def _genesis_validator(index: int, entry: Any) -> Validator:
    where = f"genesis validators[{index}]"
    if not isinstance(entry, dict) or set(entry) != {"name", "pub_key", "power"}:
        raise ErrBadGenesis(f"{where} must be an object with exactly name, pub_key, power")
    name, key, power = entry["name"], entry["pub_key"], entry["power"]
    if not isinstance(name, str) or not 1 <= len(name.encode()) <= 64:
        raise ErrBadGenesis(f"{where}: name must be a string of 1 to 64 bytes")
    if not isinstance(key, dict) or set(key) != {"type", "value"}:
        raise ErrBadGenesis(f'{where}: pub_key must be {{"type": ..., "value": base64}}')
    scheme = key["type"]
    if scheme not in VALIDATOR_SCHEMES:
        raise ErrBadGenesis(f"{where}: pub_key.type must be one of {list(VALIDATOR_SCHEMES)}")
    try:
        public_key = base64.b64decode(key["value"], validate=True)
        public_key_from_bytes(scheme, public_key)
    except (binascii.Error, TypeError, ValueError):
        raise ErrBadGenesis(f"{where}: pub_key.value is not base64") from None
    except FinchainError as exc:
        raise ErrBadGenesis(f"{where}: {exc.message}") from None
    if not isinstance(power, str) or not _POWER.fullmatch(power) or int(power) > MAX_POWER:
        raise ErrBadGenesis(f'{where}: power must be a decimal string like "10", at most 2^57')
    return Validator(address(public_key), scheme, public_key, name, int(power), VALIDATOR_ACTIVE, 0)


def genesis_member(account: str, name: str, weight: int = 1) -> dict[str, Any]:
    """A ``members`` entry of the governance genesis (helper for tooling and tests)."""
    return {"account": account, "name": name, "weight": weight}


def genesis_validator(name: str, public_key: PublicKey, power: int = 10) -> dict[str, Any]:
    """A top-level genesis ``validators`` entry for ``public_key`` (ed25519 or sm2)."""
    return {
        "name": name,
        "pub_key": {"type": public_key.scheme, "value": base64.b64encode(public_key.data).decode()},
        "power": str(power),
    }


__all__ = [
    "NAME",
    "GovernanceModule",
    "genesis_member",
    "genesis_validator",
    "genesis_validator_set",
]
