"""The only code that reads or writes the governance module's keys.

Narrow doors: members change only through ``_put_member`` / ``_drop_member``,
which keep the stored total weight equal to the sum of the weights;
validators change only through ``_put_validator`` / ``_drop_validator``,
which emit the validator events, so every path that changes who validates
(a proposal, a jailing) is visible the same way.

A proposal's life: submitted (``voting``) → tallied in the end-block of its
``voting_end`` height (``passed`` or ``rejected``) → executed in the end-block
of ``execute_at`` (``executed`` or ``failed``). Its actions run in a branch of
the block's context (``Context.cached``); the writes reach the block only if
every action succeeds and every guard holds afterwards (STYLE §1: governance
executes atomically). Only collections of ``keys`` are touched, never the
store itself; an ``exec`` action reaches another module only through the
application's router.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.params import ChainParams
from finchain.core.validators import Misbehavior, ValidatorUpdate
from finchain.errors import FinchainError
from finchain.modules.governance import events
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
from finchain.modules.governance.keys import (
    EVIDENCE,
    MEMBERS,
    NEXT_EVIDENCE,
    NEXT_PROPOSAL,
    PARAMS,
    PROPOSALS,
    TOTAL_WEIGHT,
    VALIDATORS,
    VOTES,
)
from finchain.modules.governance.types import (
    ADDRESS_BYTES,
    EXECUTED,
    FAILED,
    GOV_AUTHORITY,
    JAILING_KINDS,
    MAX_POWER,
    PASSED,
    REJECTED,
    SPACE_APP,
    VALIDATOR_ACTIVE,
    VALIDATOR_JAILED,
    VOTING,
    Action,
    AddMember,
    AddValidator,
    Evidence,
    ExecMsg,
    Failure,
    GovParams,
    Member,
    Proposal,
    RemoveMember,
    RemoveValidator,
    RestoreValidator,
    SetMemberWeight,
    SetParam,
    SetValidatorPower,
    Tally,
    Validator,
    Vote,
    address,
)


class GovernanceView:
    """Read-only access, usable on any reader (a context's store or committed state)."""

    def params(self, reader: KVReader) -> GovParams:
        found = PARAMS.get(reader)
        if found is None:
            raise ErrBadGenesis("no governance params in state: the chain's genesis predates them")
        return found

    def total_weight(self, reader: KVReader) -> int:
        return TOTAL_WEIGHT.get(reader) or 0

    def member(self, reader: KVReader, account: str) -> Member | None:
        return MEMBERS.get(reader, account)

    def require_member(self, reader: KVReader, account: str) -> Member:
        found = self.member(reader, account)
        if found is None:
            raise ErrMemberNotFound(f"account {account} is not a governance member")
        return found

    def members(self, reader: KVReader) -> Iterator[Member]:
        return MEMBERS.values(reader)

    def validator(self, reader: KVReader, validator_address: bytes) -> Validator | None:
        if len(validator_address) != ADDRESS_BYTES:
            return None  # not an address CometBFT gives: no validator has it
        return VALIDATORS.get(reader, validator_address)

    def require_validator(self, reader: KVReader, public_key: bytes) -> Validator:
        found = self.validator(reader, address(public_key))
        if found is None or found.public_key != public_key:
            raise ErrValidatorNotFound(
                f"no validator has public key {public_key.hex()}: query gov/validators"
            )
        return found

    def validators(self, reader: KVReader) -> Iterator[Validator]:
        """Every validator, jailed ones included, in address order."""
        return VALIDATORS.values(reader)

    def next_proposal_id(self, reader: KVReader) -> int:
        return NEXT_PROPOSAL.peek(reader)

    def next_evidence_id(self, reader: KVReader) -> int:
        return NEXT_EVIDENCE.peek(reader)

    def proposal(self, reader: KVReader, proposal_id: int) -> Proposal | None:
        return PROPOSALS.get(reader, proposal_id)

    def require_proposal(self, reader: KVReader, proposal_id: int) -> Proposal:
        found = self.proposal(reader, proposal_id)
        if found is None:
            raise ErrProposalNotFound(f"proposal {proposal_id} does not exist")
        return found

    def proposals(self, reader: KVReader) -> Iterator[Proposal]:
        return PROPOSALS.values(reader)

    def due(self, reader: KVReader, height: int) -> list[int]:
        """Ids of the proposals to tally or execute in the end-block of ``height``."""
        return list(PROPOSALS.by("queue", reader, height))

    def votes(self, reader: KVReader, proposal_id: int) -> Iterator[Vote]:
        return VOTES.values(reader, prefix=(proposal_id,))

    def all_votes(self, reader: KVReader) -> Iterator[Vote]:
        return VOTES.values(reader)

    def tally(self, reader: KVReader, proposal_id: int) -> Tally:
        """Votes weighed with current weights; votes of accounts no longer members count 0."""
        weights = {"yes": 0, "no": 0, "abstain": 0}
        for vote in self.votes(reader, proposal_id):
            member = self.member(reader, vote.voter)
            if member is not None:
                weights[vote.option] += member.weight
        return Tally(weights["yes"], weights["no"], weights["abstain"], self.total_weight(reader))

    def evidence(self, reader: KVReader) -> Iterator[Evidence]:
        return EVIDENCE.values(reader)

    def recorded(self, reader: KVReader, kind: str, validator: bytes, height: int) -> bool:
        """Whether a report of ``kind`` against ``validator`` at ``height`` is recorded."""
        return EVIDENCE.get_by("report", reader, ((kind, height), validator)) is not None


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
        MEMBERS.set(ctx, member.account, member)
        TOTAL_WEIGHT.set(ctx, total)

    def _drop_member(self, ctx: Context, member: Member) -> None:
        MEMBERS.remove(ctx, member.account)
        TOTAL_WEIGHT.set(ctx, self.total_weight(ctx.store) - member.weight)

    def _check_new_member(self, ctx: Context, account: str) -> None:
        if self.member(ctx.store, account) is not None:
            raise ErrMemberExists(f"account {account} is already a member")
        if self._accounts.status(ctx.store, account) != AccountStatus.ACTIVE:
            raise ErrMemberAccount(f"account {account} does not exist or is not active")

    def add_member(self, ctx: Context, account: str, name: str, weight: int) -> None:
        self._check_new_member(ctx, account)
        self._put_member(ctx, Member(account, name, weight, ctx.height, ""), 0)
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
        VALIDATORS.set(ctx, validator.address, validator)
        ctx.emit(events.validator_changed(kind, validator))

    def _drop_validator(self, ctx: Context, validator: Validator) -> None:
        VALIDATORS.remove(ctx, validator.address)
        ctx.emit(events.validator_changed(events.VALIDATOR_REMOVED, validator))

    def init_validator(self, ctx: Context, validator: Validator) -> None:
        """Genesis: a validator of the document's ``validators`` or of the module's section."""
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
        PARAMS.set(ctx, params)

    def set_param(self, ctx: Context, space: str, name: str, value: int | str) -> None:
        if space == SPACE_APP:
            current = self._chain_params.chain_params(ctx.store).to_obj()
            try:
                changed = ChainParams.from_obj({**current, name: value})
            except FinchainError as exc:
                raise ErrInvalidParam(f"chain param {name}: {exc.message}") from None
            self._chain_params.set_chain_params(ctx, changed)
        else:
            self.set_params(ctx, self.params(ctx.store).with_value(name, value))
        ctx.emit(events.param_changed(space, name, str(value)))

    # -- proposals ---------------------------------------------------------------------------

    def submit(
        self, ctx: Context, proposer: str, title: str, description: str, actions: Sequence[Action]
    ) -> Proposal:
        for index, action in enumerate(actions):
            if isinstance(action, ExecMsg):
                try:
                    self._router.parse_governed(action.msg_type, action.msg_value)
                except FinchainError as exc:
                    raise exc.error(f"action #{index} (exec): {exc.message}") from None
        proposal_id = NEXT_PROPOSAL.next(ctx)
        voting_end = ctx.height + self.params(ctx.store).voting_period
        proposal = Proposal(
            id=proposal_id,
            proposer=proposer,
            title=title,
            description=description,
            actions=tuple(actions),
            status=VOTING,
            submit_height=ctx.height,
            voting_end=voting_end,
            execute_at=0,
            final_height=0,
            tally=None,
            rejected_for="",
            failure=None,
        )
        PROPOSALS.set(ctx, proposal_id, proposal)  # files it in the queue at voting_end
        ctx.emit(events.proposal_submitted(proposal_id, proposer, voting_end, len(actions)))
        return proposal

    def vote(self, ctx: Context, proposal_id: int, voter: Member, option: str) -> None:
        proposal = self.require_proposal(ctx.store, proposal_id)
        if proposal.status != VOTING or ctx.height > proposal.voting_end:
            raise ErrVotingClosed(
                f"voting on proposal {proposal_id} ended at height {proposal.voting_end} "
                f"(status {proposal.status})"
            )
        VOTES.set(
            ctx, (proposal_id, voter.account), Vote(proposal_id, voter.account, option, ctx.height)
        )
        ctx.emit(events.vote_cast(proposal_id, voter.account, option, voter.weight))

    def end_block(self, ctx: Context) -> None:
        """Tally the proposals whose voting ends here; execute those whose delay is over.

        Saving a proposal with its new status moves it out of this height's queue
        (to its ``execute_at`` once passed), so each is handled once per stage.
        """
        for proposal_id in self.due(ctx.store, ctx.height):
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
            PROPOSALS.set(ctx, proposal.id, rejected)
            ctx.emit(events.proposal_rejected(proposal.id, tally, reason))
            return
        execute_at = ctx.height + params.execution_delay
        passed = replace(proposal, status=PASSED, tally=tally, execute_at=execute_at)
        PROPOSALS.set(ctx, proposal.id, passed)  # queued at execute_at
        ctx.emit(events.proposal_passed(proposal.id, tally, execute_at))
        if execute_at == ctx.height:
            self._execute(ctx, passed)

    def _execute(self, ctx: Context, proposal: Proposal) -> None:
        branch, write = ctx.cached()
        try:
            for index, action in enumerate(proposal.actions):
                try:
                    self.apply(branch, action)
                except FinchainError as exc:
                    raise exc.error(f"action #{index} ({action.KIND}): {exc.message}") from None
            self._check_guards(ctx.store, branch.store)
        except FinchainError as exc:
            failure = Failure(exc.codespace, exc.code, exc.message)
            failed = replace(proposal, status=FAILED, failure=failure, final_height=ctx.height)
            PROPOSALS.set(ctx, proposal.id, failed)
            ctx.emit(events.proposal_failed(proposal.id, failure))
            return
        write()
        executed = replace(proposal, status=EXECUTED, final_height=ctx.height)
        PROPOSALS.set(ctx, proposal.id, executed)
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
                self.set_param(ctx, action.space, action.name, action.value)
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
            if self.recorded(ctx.store, report.kind, report.validator, report.height):
                continue
            offender = self.validator(ctx.store, report.validator)
            outcome = self._jail_outcome(ctx.store, report.kind, offender)
            evidence = Evidence(
                NEXT_EVIDENCE.next(ctx),
                report.kind,
                report.validator,
                report.height,
                report.time_ns,
                report.power,
                report.total_voting_power,
                ctx.height,
                outcome,
            )
            EVIDENCE.set(ctx, evidence.id, evidence)
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

    # -- genesis -----------------------------------------------------------------------------

    def import_members(self, ctx: Context, members: Sequence[Member]) -> None:
        """Genesis: the members (existing, active accounts), and their total weight."""
        TOTAL_WEIGHT.set(ctx, 0)
        for member in members:
            self._check_new_member(ctx, member.account)
            self._put_member(ctx, member, 0)

    def import_history(
        self,
        ctx: Context,
        proposals: Sequence[Proposal],
        votes: Sequence[Vote],
        evidence: Sequence[Evidence],
        next_proposal_id: int,
        next_evidence_id: int,
    ) -> None:
        """Genesis: proposals (each filed in the queue by its status), votes, evidence, counters.

        The caller checked them against each other (``GovGenesis``).
        """
        for proposal in proposals:
            PROPOSALS.set(ctx, proposal.id, proposal)
        for vote in votes:
            VOTES.set(ctx, (vote.proposal_id, vote.voter), vote)
        for item in evidence:
            EVIDENCE.set(ctx, item.id, item)
        NEXT_PROPOSAL.set(ctx, next_proposal_id)
        NEXT_EVIDENCE.set(ctx, next_evidence_id)
