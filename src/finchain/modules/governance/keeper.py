"""The only code that reads or writes the governance module's keys.

Narrow doors: members change only through ``_put_member`` / ``_drop_member``,
which keep the stored total weight equal to the sum of the weights;
validators change only through ``_put_validator`` / ``_drop_validator``,
which emit the validator events, so every path that changes who validates
(a proposal, a jailing) is visible the same way.

A proposal's life: submitted (``voting``) → tallied in the end-block of its
``voting_end`` height (``passed`` or ``rejected``) → executed in the end-block
of ``execute_at`` (``executed`` or ``failed``). Its actions run in a scratch
overlay over the block's state; the writes reach the block only if every
action succeeds and every guard holds afterwards (STYLE §1: governance
executes atomically).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from finchain.codec import decode_trusted, encode
from finchain.core.context import Context
from finchain.core.gas import MeteredStore
from finchain.core.kv import KVReader, Overlay
from finchain.core.params import ChainParams
from finchain.core.validators import Misbehavior, ValidatorUpdate
from finchain.errors import FinchainError
from finchain.modules.governance import events, keys
from finchain.modules.governance.deps import AccountStatusView, ChainParamsStore, MsgRouter
from finchain.modules.governance.errors import (
    ErrBadGenesis,
    ErrInvalidParam,
    ErrInvalidValidator,
    ErrLastMember,
    ErrMemberAccount,
    ErrMemberCloses,
    ErrMemberExists,
    ErrMemberNotFound,
    ErrMinValidators,
    ErrNoValidatorSet,
    ErrPowerChangeTooLarge,
    ErrProposalNotFound,
    ErrValidatorExists,
    ErrValidatorJailed,
    ErrValidatorNotFound,
    ErrValidatorNotJailed,
    ErrVotingClosed,
)
from finchain.modules.governance.messages import (
    SPACE_APP,
    Action,
    AddMember,
    AddValidator,
    ExecMsg,
    RemoveMember,
    RemoveValidator,
    RestoreValidator,
    SetMemberWeight,
    SetParam,
    SetValidatorPower,
    parse_action,
)
from finchain.modules.governance.types import (
    EXECUTED,
    FAILED,
    GOV_AUTHORITY,
    JAILING_KINDS,
    MAX_POWER,
    PASSED,
    REJECTED,
    VALIDATOR_ACTIVE,
    VALIDATOR_JAILED,
    VOTING,
    Evidence,
    Failure,
    GovParams,
    Member,
    Proposal,
    Tally,
    Validator,
    Vote,
    address,
)


def _u64(number: int) -> bytes:
    return number.to_bytes(8, "big")


def _counter(reader: KVReader, key: bytes) -> int:
    raw = reader.get(key)
    return 1 if raw is None else int.from_bytes(raw, "big")


class GovernanceView:
    """Read-only access, usable on any reader (a context's store or committed state)."""

    def params(self, reader: KVReader) -> GovParams:
        raw = reader.get(keys.PARAMS)
        if raw is None:
            raise ErrBadGenesis("no governance params in state: the chain's genesis predates them")
        return GovParams.from_obj(decode_trusted(raw))

    def total_weight(self, reader: KVReader) -> int:
        raw = reader.get(keys.TOTAL_WEIGHT)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def member(self, reader: KVReader, account: str) -> Member | None:
        raw = reader.get(keys.member(account))
        return None if raw is None else Member.from_obj(decode_trusted(raw))

    def require_member(self, reader: KVReader, account: str) -> Member:
        found = self.member(reader, account)
        if found is None:
            raise ErrMemberNotFound(f"account {account} is not a governance member")
        return found

    def members(self, reader: KVReader) -> Iterator[Member]:
        for _, raw in reader.iterate(keys.MEMBER):
            yield Member.from_obj(decode_trusted(raw))

    def validator(self, reader: KVReader, validator_address: bytes) -> Validator | None:
        raw = reader.get(keys.validator(validator_address))
        return None if raw is None else Validator.from_obj(decode_trusted(raw))

    def require_validator(self, reader: KVReader, public_key: bytes) -> Validator:
        found = self.validator(reader, address(public_key))
        if found is None or found.public_key != public_key:
            raise ErrValidatorNotFound(
                f"no validator has public key {public_key.hex()}: query gov/validators"
            )
        return found

    def validators(self, reader: KVReader) -> Iterator[Validator]:
        """Every validator, jailed ones included, in address order."""
        for _, raw in reader.iterate(keys.VALIDATOR):
            yield Validator.from_obj(decode_trusted(raw))

    def next_proposal_id(self, reader: KVReader) -> int:
        return _counter(reader, keys.NEXT_PROPOSAL)

    def proposal(self, reader: KVReader, proposal_id: int) -> Proposal | None:
        raw = reader.get(keys.proposal(proposal_id))
        return None if raw is None else Proposal.from_obj(decode_trusted(raw))

    def require_proposal(self, reader: KVReader, proposal_id: int) -> Proposal:
        found = self.proposal(reader, proposal_id)
        if found is None:
            raise ErrProposalNotFound(f"proposal {proposal_id} does not exist")
        return found

    def proposals(self, reader: KVReader) -> Iterator[Proposal]:
        for _, raw in reader.iterate(keys.PROPOSAL):
            yield Proposal.from_obj(decode_trusted(raw))

    def votes(self, reader: KVReader, proposal_id: int) -> Iterator[Vote]:
        for _, raw in reader.iterate(keys.votes_of(proposal_id)):
            yield Vote.from_obj(decode_trusted(raw))

    def tally(self, reader: KVReader, proposal_id: int) -> Tally:
        """Votes weighed with current weights; votes of accounts no longer members count 0."""
        weights = {"yes": 0, "no": 0, "abstain": 0}
        for vote in self.votes(reader, proposal_id):
            member = self.member(reader, vote.voter)
            if member is not None:
                weights[vote.option] += member.weight
        return Tally(weights["yes"], weights["no"], weights["abstain"], self.total_weight(reader))

    def evidence(self, reader: KVReader) -> Iterator[Evidence]:
        for _, raw in reader.iterate(keys.EVIDENCE):
            yield Evidence.from_obj(decode_trusted(raw))


class GovernanceKeeper(GovernanceView):
    def __init__(
        self, accounts: AccountStatusView, chain_params: ChainParamsStore, router: MsgRouter
    ) -> None:
        self._accounts = accounts
        self._chain_params = chain_params
        self._router = router

    # -- members -----------------------------------------------------------------------------

    def _put_member(self, ctx: Context, member: Member, old_weight: int) -> None:
        total = self.total_weight(ctx.store) - old_weight + member.weight
        ctx.store.set(keys.member(member.account), encode(member.to_obj()))
        ctx.store.set(keys.TOTAL_WEIGHT, _u64(total))

    def _drop_member(self, ctx: Context, member: Member) -> None:
        ctx.store.delete(keys.member(member.account))
        ctx.store.set(keys.TOTAL_WEIGHT, _u64(self.total_weight(ctx.store) - member.weight))

    def add_member(self, ctx: Context, account: str, name: str, weight: int) -> None:
        if self.member(ctx.store, account) is not None:
            raise ErrMemberExists(f"account {account} is already a member")
        if self._accounts.status(ctx.store, account) != "active":
            raise ErrMemberAccount(f"account {account} does not exist or is not active")
        self._put_member(ctx, Member(account, name, weight, ctx.height), 0)
        ctx.emit(events.member_added(account, name, weight))

    def assert_can_close(self, ctx: Context, account: str) -> None:
        """A close guard for the accounts module: a member's account cannot close.

        A closed account never signs again, yet its weight would stay in the total
        that thresholds and quorums are measured against: every later proposal
        would need the remaining members to cover a vote that can never come.
        """
        if self.member(ctx.store, account) is not None:
            raise ErrMemberCloses(
                f"account {account} is a governance member: a proposal must remove it "
                "(remove_member) before the account can close"
            )

    def remove_member(self, ctx: Context, account: str) -> None:
        self._drop_member(ctx, self.require_member(ctx.store, account))
        ctx.emit(events.member_removed(account))

    def set_member_weight(self, ctx: Context, account: str, weight: int) -> None:
        member = self.require_member(ctx.store, account)
        self._put_member(ctx, replace(member, weight=weight), member.weight)
        ctx.emit(events.member_weight_changed(account, weight))

    # -- validators --------------------------------------------------------------------------

    def _put_validator(self, ctx: Context, validator: Validator, kind: str) -> None:
        ctx.store.set(keys.validator(validator.address), encode(validator.to_obj()))
        ctx.emit(events.validator_changed(kind, validator))

    def _drop_validator(self, ctx: Context, validator: Validator) -> None:
        ctx.store.delete(keys.validator(validator.address))
        ctx.emit(events.validator_changed(events.VALIDATOR_REMOVED, validator))

    def init_validator(self, ctx: Context, validator: Validator) -> None:
        """Genesis: the set named in the genesis document's ``validators``."""
        if self.validator(ctx.store, validator.address) is not None:
            raise ErrBadGenesis(f"validator {validator.public_key.hex()} is listed twice")
        self._put_validator(ctx, validator, events.VALIDATOR_ADDED)

    def add_validator(
        self, ctx: Context, name: str, scheme: str, public_key: bytes, power: int
    ) -> None:
        first = next(self.validators(ctx.store), None)
        if first is None:
            raise ErrNoValidatorSet(
                "this chain's genesis names no validators, so its engine owns the set"
            )
        if scheme != first.scheme:
            raise ErrInvalidValidator(
                f"every validator of this chain uses {first.scheme} keys, not {scheme}"
            )
        if self.validator(ctx.store, address(public_key)) is not None:
            raise ErrValidatorExists(f"validator {public_key.hex()} is already in the set")
        validator = Validator(
            address(public_key), scheme, public_key, name, power, VALIDATOR_ACTIVE, ctx.height
        )
        self._put_validator(ctx, validator, events.VALIDATOR_ADDED)

    def set_validator_power(self, ctx: Context, public_key: bytes, power: int) -> None:
        validator = self.require_validator(ctx.store, public_key)
        if validator.status == VALIDATOR_JAILED:
            raise ErrValidatorJailed(
                f"validator {validator.name} is jailed: restore it with restore_validator"
            )
        self._put_validator(ctx, replace(validator, power=power), events.VALIDATOR_POWER_CHANGED)

    def remove_validator(self, ctx: Context, public_key: bytes) -> None:
        self._drop_validator(ctx, self.require_validator(ctx.store, public_key))

    def restore_validator(self, ctx: Context, public_key: bytes, power: int) -> None:
        validator = self.require_validator(ctx.store, public_key)
        if validator.status != VALIDATOR_JAILED:
            raise ErrValidatorNotJailed(f"validator {validator.name} is not jailed")
        restored = replace(validator, power=power, status=VALIDATOR_ACTIVE)
        self._put_validator(ctx, restored, events.VALIDATOR_RESTORED)

    def validator_updates(self, before: KVReader, after: KVReader) -> tuple[ValidatorUpdate, ...]:
        """What the engine must apply: each validator whose effective power differs.

        A diff of committed state and the block's state rather than a log of
        changes, so two changes that cancel out send nothing, a validator
        appears at most once, and a key the engine never had is never "removed"
        (CometBFT halts on either mistake). Power 0 removes, as in CometBFT.
        """
        old = {v.address: v for v in self.validators(before)}
        new = {v.address: v for v in self.validators(after)}
        updates = []
        for addr in sorted(old.keys() | new.keys()):
            was = old[addr].effective_power if addr in old else 0
            now = new[addr].effective_power if addr in new else 0
            if was != now:
                current = new.get(addr) or old[addr]
                updates.append(ValidatorUpdate(current.scheme, current.public_key, now))
        return tuple(updates)

    # -- parameters --------------------------------------------------------------------------

    def set_params(self, ctx: Context, params: GovParams) -> None:
        ctx.store.set(keys.PARAMS, encode(params.to_obj()))

    def set_param(self, ctx: Context, action: SetParam) -> None:
        if action.space == SPACE_APP:
            current = self._chain_params.chain_params(ctx.store).to_obj()
            try:
                changed = ChainParams.from_obj({**current, action.name: action.value})
            except FinchainError as exc:
                raise ErrInvalidParam(f"chain param {action.name}: {exc.message}") from None
            self._chain_params.set_chain_params(ctx, changed)
        else:
            self.set_params(ctx, self.params(ctx.store).with_value(action.name, action.value))
        ctx.emit(events.param_changed(action.space, action.name, str(action.value)))

    # -- proposals ---------------------------------------------------------------------------

    def _save_proposal(self, ctx: Context, proposal: Proposal) -> None:
        ctx.store.set(keys.proposal(proposal.id), encode(proposal.to_obj()))

    def submit(
        self, ctx: Context, proposer: str, title: str, description: str, actions: Sequence[Action]
    ) -> Proposal:
        for index, action in enumerate(actions):
            if isinstance(action, ExecMsg):
                try:
                    self._router.parse_governed(action.msg_type, action.msg_value)
                except FinchainError as exc:
                    raise exc.error(f"action #{index} (exec): {exc.message}") from None
        proposal_id = self.next_proposal_id(ctx.store)
        ctx.store.set(keys.NEXT_PROPOSAL, _u64(proposal_id + 1))
        voting_end = ctx.height + self.params(ctx.store).voting_period
        proposal = Proposal(
            proposal_id,
            proposer,
            title,
            description,
            tuple(a.to_value() for a in actions),
            VOTING,
            ctx.height,
            voting_end,
        )
        self._save_proposal(ctx, proposal)
        ctx.store.set(keys.queue(voting_end, proposal_id), b"")
        ctx.emit(events.proposal_submitted(proposal_id, proposer, voting_end, len(actions)))
        return proposal

    def vote(self, ctx: Context, proposal_id: int, voter: Member, option: str) -> None:
        proposal = self.require_proposal(ctx.store, proposal_id)
        if proposal.status != VOTING or ctx.height > proposal.voting_end:
            raise ErrVotingClosed(
                f"voting on proposal {proposal_id} ended at height {proposal.voting_end} "
                f"(status {proposal.status})"
            )
        vote = Vote(proposal_id, voter.account, option, ctx.height)
        ctx.store.set(keys.vote(proposal_id, voter.account), encode(vote.to_obj()))
        ctx.emit(events.vote_cast(proposal_id, voter.account, option, voter.weight))

    def end_block(self, ctx: Context) -> None:
        """Tally the proposals whose voting ends here; execute those whose delay is over."""
        prefix = keys.queue_at(ctx.height)
        due = [keys.queued_id(key, ctx.height) for key, _ in ctx.store.iterate(prefix)]
        for proposal_id in due:
            ctx.store.delete(keys.queue(ctx.height, proposal_id))
            proposal = self.require_proposal(ctx.store, proposal_id)
            if proposal.status == VOTING:
                self._close_voting(ctx, proposal)
            elif proposal.status == PASSED:
                self._execute(ctx, proposal)

    def _close_voting(self, ctx: Context, proposal: Proposal) -> None:
        """Passed iff the weight cast (abstain included) reaches the quorum and the yes
        weight is strictly above ``pass_threshold`` of the total member weight."""
        params = self.params(ctx.store)
        tally = self.tally(ctx.store, proposal.id)
        total = tally.total_weight
        if total == 0 or not params.quorum.reached_by(tally.cast, total):
            reason = "quorum"
        elif not params.pass_threshold.exceeded_by(tally.yes, total):
            reason = "threshold"
        else:
            reason = ""
        if reason:
            rejected = replace(
                proposal, status=REJECTED, tally=tally, rejected_for=reason, final_height=ctx.height
            )
            self._save_proposal(ctx, rejected)
            ctx.emit(events.proposal_rejected(proposal.id, tally, reason))
            return
        execute_at = ctx.height + params.execution_delay
        passed = replace(proposal, status=PASSED, tally=tally, execute_at=execute_at)
        self._save_proposal(ctx, passed)
        ctx.emit(events.proposal_passed(proposal.id, tally, execute_at))
        if execute_at == ctx.height:
            self._execute(ctx, passed)
        else:
            ctx.store.set(keys.queue(execute_at, proposal.id), b"")

    def _execute(self, ctx: Context, proposal: Proposal) -> None:
        scratch = Overlay(ctx.store)
        sub = replace(ctx, store=MeteredStore(scratch, ctx.store.meter), events=[])
        try:
            for index, value in enumerate(proposal.actions):
                action = parse_action(value, index)
                try:
                    self.apply(sub, action)
                except FinchainError as exc:
                    raise exc.error(f"action #{index} ({action.KIND}): {exc.message}") from None
            self._check_guards(ctx.store, sub.store)
        except FinchainError as exc:
            failure = Failure(exc.codespace, exc.code, exc.message)
            failed = replace(proposal, status=FAILED, failure=failure, final_height=ctx.height)
            self._save_proposal(ctx, failed)
            ctx.emit(events.proposal_failed(proposal.id, failure))
            return
        for key, written in scratch.writes.items():
            if written is None:
                ctx.store.delete(key)
            else:
                ctx.store.set(key, written)
        ctx.events.extend(sub.events)
        self._save_proposal(ctx, replace(proposal, status=EXECUTED, final_height=ctx.height))
        ctx.emit(events.proposal_executed(proposal.id))

    def apply(self, ctx: Context, action: Action) -> None:
        """Carry out one action; guards are checked once all of a proposal's actions ran."""
        match action:
            case AddMember():
                self.add_member(ctx, action.account, action.name, action.weight)
            case RemoveMember():
                self.remove_member(ctx, action.account)
            case SetMemberWeight():
                self.set_member_weight(ctx, action.account, action.weight)
            case AddValidator():
                self.add_validator(ctx, action.name, action.scheme, action.public_key, action.power)
            case SetValidatorPower():
                self.set_validator_power(ctx, action.public_key, action.power)
            case RemoveValidator():
                self.remove_validator(ctx, action.public_key)
            case RestoreValidator():
                self.restore_validator(ctx, action.public_key, action.power)
            case SetParam():
                self.set_param(ctx, action)
            case ExecMsg():
                msg = self._router.parse_governed(action.msg_type, action.msg_value)
                self._router.deliver(replace(ctx, signer=GOV_AUTHORITY), msg)
            case _:
                raise TypeError(f"no executor for action {action.KIND}")

    def _check_guards(self, before: KVReader, after: KVReader) -> None:
        """What no proposal may do, however many members vote for it."""
        if self.total_weight(after) == 0:
            raise ErrLastMember("the proposal removes every member: no proposal could pass again")
        old = {v.address: v.effective_power for v in self.validators(before)}
        new = {v.address: v.effective_power for v in self.validators(after)}
        if not old and not new:
            return
        minimum = self.params(after).min_validators
        active = sum(1 for power in new.values() if power)
        if active < minimum:
            raise ErrMinValidators(
                f"the proposal leaves {active} active validators; min_validators is {minimum}"
            )
        total_before = sum(old.values())
        change = sum(abs(new.get(a, 0) - old.get(a, 0)) for a in old.keys() | new.keys())
        if change * 3 > total_before:
            raise ErrPowerChangeTooLarge(
                f"the proposal changes voting power by {change} of {total_before}, more than "
                "1/3: split it into proposals executed at different heights"
            )
        if sum(new.values()) > MAX_POWER:
            raise ErrInvalidValidator(f"total voting power would exceed {MAX_POWER}")

    # -- misbehaviour ------------------------------------------------------------------------

    def record_misbehavior(self, ctx: Context, reports: Sequence[Misbehavior]) -> None:
        """Record each report as evidence (once) and jail the offender if that is allowed.

        Jailing is refused only when it would leave fewer active validators than
        ``min_validators``: the floor protects the network's fault tolerance, and
        the evidence, recorded either way, lets governance act.
        """
        for report in reports:
            seen = keys.evidence_seen(report.kind, report.validator, report.height)
            if ctx.store.get(seen) is not None:
                continue
            evidence_id = _counter(ctx.store, keys.NEXT_EVIDENCE)
            ctx.store.set(keys.NEXT_EVIDENCE, _u64(evidence_id + 1))
            offender = self.validator(ctx.store, report.validator)
            outcome = self._jail_outcome(ctx.store, report.kind, offender)
            evidence = Evidence(
                evidence_id,
                report.kind,
                report.validator,
                report.height,
                report.time_ns,
                report.power,
                report.total_voting_power,
                ctx.height,
                outcome,
            )
            ctx.store.set(keys.evidence(evidence_id), encode(evidence.to_obj()))
            ctx.store.set(seen, _u64(evidence_id))
            ctx.emit(events.evidence_recorded(evidence))
            if outcome == "jailed" and offender is not None:
                jailed = replace(offender, status=VALIDATOR_JAILED)
                self._put_validator(ctx, jailed, events.VALIDATOR_JAILED)

    def _jail_outcome(self, reader: KVReader, kind: str, offender: Validator | None) -> str:
        if kind not in JAILING_KINDS:
            return "not_jailable"
        if offender is None:
            return "unknown_validator"
        if offender.status == VALIDATOR_JAILED:
            return "already_jailed"
        active = sum(1 for v in self.validators(reader) if v.effective_power)
        if active - 1 < self.params(reader).min_validators:
            return "kept_min_validators"
        return "jailed"
