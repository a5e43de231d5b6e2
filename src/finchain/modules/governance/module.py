"""The governance module: member institutions vote on proposals that change the members,
the validator set and the parameters; misbehaving validators are jailed.

Genesis: ``app_state["governance"]`` is a :class:`GovGenesis` in its JSON form
(bytes as lowercase hex): ``members`` and ``params`` (parameters not named keep
their default), and, in a chain's export, everything else it holds: its
``validators`` (jailed ones too), ``proposals`` with their history, ``votes``,
``evidence`` and the two id counters, so that importing an export gives the same
state, entry for entry.

The validator set of a new chain comes from the genesis document's top-level
``validators`` (the list the engine also reads), which the application hands to
:meth:`GovernanceModule.init_validators` after every module's genesis ran. When
the section carries ``validators`` (an export), the top-level list must name
exactly its active ones (``GovernanceModule.genesis_validators`` writes it). A
genesis without validators leaves the set to the engine; validator actions then
fail with ``gov:14``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.fields import ListOf, Nested, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import Invariant, KeeperModule, genesis_errors, parse_genesis
from finchain.core.validators import Misbehavior, ValidatorUpdate
from finchain.crypto import PublicKey, public_key_from_bytes
from finchain.errors import FinchainError
from finchain.modules.governance import handlers, queries
from finchain.modules.governance.errors import ErrBadGenesis
from finchain.modules.governance.keeper import GovernanceKeeper
from finchain.modules.governance.keys import STORE
from finchain.modules.governance.types import (
    DEFAULT_GOV_PARAMS,
    ID,
    MAX_POWER,
    PARAMS_OR_DEFAULTS,
    VALIDATOR_ACTIVE,
    VALIDATOR_SCHEMES,
    Evidence,
    GenesisMember,
    GovParams,
    Proposal,
    Validator,
    Vote,
    address,
)

NAME = "governance"
_POWER = re.compile(r"[1-9][0-9]{0,17}")
_MAX_MEMBERS = 10_000
_MAX_VALIDATORS = 10_000
_MAX_RECORDS = 100_000_000


@dataclass(frozen=True, slots=True)
class GovGenesis(Record):
    """The governance section of genesis; ``check`` holds its records to each other."""

    WHAT = "governance genesis"
    members: tuple[GenesisMember, ...] = wire(ListOf(Nested(GenesisMember), max_items=_MAX_MEMBERS))
    params: GovParams = wire(PARAMS_OR_DEFAULTS)
    validators: tuple[Validator, ...] = wire(
        ListOf(Nested(Validator), max_items=_MAX_VALIDATORS), default=()
    )
    proposals: tuple[Proposal, ...] = wire(
        ListOf(Nested(Proposal), max_items=_MAX_RECORDS), default=()
    )
    votes: tuple[Vote, ...] = wire(ListOf(Nested(Vote), max_items=_MAX_RECORDS), default=())
    evidence: tuple[Evidence, ...] = wire(
        ListOf(Nested(Evidence), max_items=_MAX_RECORDS), default=()
    )
    next_proposal_id: int = wire(ID, default=1)
    next_evidence_id: int = wire(ID, default=1)

    def check(self) -> None:
        _unique("members", (m.account for m in self.members))
        _unique("validators", (v.address.hex() for v in self.validators))
        if len({v.scheme for v in self.validators}) > 1:
            raise ErrBadGenesis("governance validators must all use the same key scheme")
        if sum(v.effective_power for v in self.validators) > MAX_POWER:
            raise ErrBadGenesis(f"governance validators: total power exceeds {MAX_POWER}")
        _unique("proposals", (p.id for p in self.proposals))
        _below("proposal", (p.id for p in self.proposals), self.next_proposal_id)
        known = {p.id for p in self.proposals}
        _unique("votes", ((v.proposal_id, v.voter) for v in self.votes))
        for vote in self.votes:
            if vote.proposal_id not in known:
                raise ErrBadGenesis(
                    f"a vote of {vote.voter} is on unknown proposal {vote.proposal_id}"
                )
        _unique("evidence", (e.id for e in self.evidence))
        _below("evidence", (e.id for e in self.evidence), self.next_evidence_id)
        _unique("evidence reports", ((e.kind, e.height, e.validator.hex()) for e in self.evidence))


def _unique(what: str, keys: Any) -> None:
    repeated = sorted(str(k) for k, n in Counter[Hashable](keys).items() if n > 1)
    if repeated:
        raise ErrBadGenesis(f"governance genesis lists {what} twice: {repeated[:5]}")


def _below(what: str, ids: Any, counter: int) -> None:
    top = max(ids, default=0)
    if top >= counter:
        raise ErrBadGenesis(f"{what} {top} is at or above its id counter {counter}")


class GovernanceModule(KeeperModule[GovernanceKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES

    # -- genesis ----------------------------------------------------------------------------

    def default_genesis(self) -> dict[str, Any]:
        return {"members": [], "params": DEFAULT_GOV_PARAMS.to_obj()}

    def validate_genesis(self, state: dict[str, Any]) -> None:
        parse_genesis(GovGenesis, state, ErrBadGenesis)

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        """Params, members (their accounts must already exist: accounts runs first), the
        section's validators, then the history (proposals, votes, evidence, counters)."""
        genesis = parse_genesis(GovGenesis, state, ErrBadGenesis)
        k = self.keeper
        with genesis_errors(ErrBadGenesis, GovGenesis.WHAT):
            k.set_params(ctx, genesis.params)
            k.import_members(ctx, [m.member() for m in genesis.members])
            for validator in genesis.validators:
                k.init_validator(ctx, validator)
            k.import_history(
                ctx,
                genesis.proposals,
                genesis.votes,
                genesis.evidence,
                genesis.next_proposal_id,
                genesis.next_evidence_id,
            )

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        k = self.keeper
        return GovGenesis(
            members=tuple(GenesisMember.of(m) for m in k.members(reader)),
            params=k.params(reader),
            validators=tuple(k.validators(reader)),
            proposals=tuple(k.proposals(reader)),
            votes=tuple(k.all_votes(reader)),
            evidence=tuple(k.evidence(reader)),
            next_proposal_id=k.next_proposal_id(reader),
            next_evidence_id=k.next_evidence_id(reader),
        ).to_json()

    def init_validators(self, ctx: Context, entries: Sequence[Any]) -> tuple[ValidatorUpdate, ...]:
        """Load the genesis ``validators``; return them in genesis order for InitChain.

        Entry shape: ``{"name", "pub_key": {"type": "ed25519"|"sm2", "value": base64},
        "power": "10"}`` (power a decimal string, as in CometBFT's genesis). If the
        governance section already named the set (an export), the entries must be
        its active validators: the engine starts from them.
        """
        validators = _genesis_validators(entries)
        held = list(self.keeper.validators(ctx.store))
        if held:
            active = sorted(_engine_view(v) for v in held if v.effective_power)
            if sorted(_engine_view(v) for v in validators) != active:
                raise ErrBadGenesis(
                    "the genesis validators must be the active validators of the governance "
                    "section (name, key and power): write them with genesis_validators()"
                )
        else:
            for validator in validators:
                self.keeper.init_validator(ctx, validator)
        minimum = self.keeper.params(ctx.store).min_validators
        if validators and len(validators) < minimum:
            raise ErrBadGenesis(
                f"genesis names {len(validators)} validators but min_validators is {minimum}"
            )
        return genesis_validator_set(entries)

    def genesis_validators(self, reader: KVReader) -> list[dict[str, Any]]:
        """The document's top-level ``validators`` for an export: the active set, by address."""
        return [
            {
                "name": v.name,
                "pub_key": {"type": v.scheme, "value": base64.b64encode(v.public_key).decode()},
                "power": str(v.power),
            }
            for v in self.keeper.validators(reader)
            if v.effective_power
        ]

    # -- the application's ValidatorSource --------------------------------------------------

    def genesis_validator_set(self, entries: Sequence[Any]) -> tuple[ValidatorUpdate, ...]:
        return genesis_validator_set(entries)

    def validator_updates(self, before: KVReader, after: KVReader) -> tuple[ValidatorUpdate, ...]:
        return self.keeper.validator_updates(before, after)

    def record_misbehavior(self, ctx: Context, reports: Sequence[Misbehavior]) -> None:
        self.keeper.record_misbehavior(ctx, reports)

    # -- invariants and hooks ---------------------------------------------------------------

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


def _engine_view(validator: Validator) -> tuple[str, str, bytes, int]:
    return validator.name, validator.scheme, validator.public_key, validator.power


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
