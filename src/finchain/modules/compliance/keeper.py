"""The only code that reads or writes the compliance module's state (``keys.py``).

A regulator publishes a rule set (compiled and type-checked now, so a broken rule
never reaches a transaction); governance schedules it at a height; ``begin_block``
of that height makes it the active set. The ante decorator (``ComplianceAnte``)
evaluates the active set once per movement, before the messages run, in check_tx
and in block execution alike; the post handler (``ComplianceAggregates``) adds the
movements of a transaction whose messages succeeded to the aggregates. A held
transaction runs when its approvers approve, or expires at ``end_block`` of its
deadline height.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import Any

from finchain.codec import Tx, decode, encode
from finchain.core.authority import AccountStatus
from finchain.core.context import Context, ExecMode
from finchain.core.errors import ErrAccountClosed, ErrAccountFrozen, ErrResetLock
from finchain.core.gas import JUDGE_MOVE, READ_BASE, READ_BYTE
from finchain.core.kv import KVReader
from finchain.core.msgs import Msg
from finchain.errors import FinchainError
from finchain.modules.compliance import events
from finchain.modules.compliance.cel import CompiledSet, RuleEvalError, RuleSourceError, compile_set
from finchain.modules.compliance.deps import (
    AccountsReader,
    BankReader,
    CredentialsReader,
    IdentityReader,
    MsgRoutes,
    Sanctions,
)
from finchain.modules.compliance.errors import (
    ErrAlreadyApproved,
    ErrBadActivation,
    ErrBadRuleSet,
    ErrDenied,
    ErrNotApprover,
    ErrNotHeld,
    ErrNotKycInstitution,
    ErrNotRegulator,
    ErrRuleError,
    ErrUnknownAsset,
    ErrUnknownHeld,
    ErrUnknownRuleSet,
)
from finchain.modules.compliance.keys import (
    ACTIVE,
    AGGREGATES,
    HELD_DEADLINES,
    HELD_TXS,
    NEXT_HELD,
    NEXT_VERSION,
    PARAMS,
    PROFILES,
    REGULATED,
    RULESETS,
    SCHEDULE,
    PackedInts,
)
from finchain.modules.compliance.movements import Movement, movements_of
from finchain.modules.compliance.types import (
    ACTIVE as STATUS_ACTIVE,
)
from finchain.modules.compliance.types import (
    APPROVE,
    DENY,
    EXECUTED,
    EXPIRED,
    FAILED,
    FLAG,
    HELD,
    INT64_MAX,
    PUBLISHED,
    SCHEDULED,
    SUPERSEDED,
    WINDOW_BUCKETS,
    Aggregate,
    Approval,
    HeldTx,
    Params,
    Profile,
    Rule,
    RuleSet,
)
from finchain.modules.credentials.types import KYC_CREDENTIAL_TYPE

DEFAULT_PARAMS = Params()
GOVERNANCE = "governance"
OUT = "o"
IN = "i"
_EPOCH_DAY = date(1970, 1, 1)
_INT64_MIN = -(2**63)
_BANK_MOVES = frozenset({"bank/transfer", "bank/mint", "bank/burn"})


class NoSanctions:
    """The sanctions source until the aml module is wired: nobody listed, no list, no
    travel-rule record (``sender.listed``/``recipient.listed``/``tx.travel`` are false)."""

    def listed_version(self, reader: KVReader, address: str) -> int | None:
        return None

    def active_list_version(self, reader: KVReader) -> int:
        return 0

    def travel_covered(self, msgs: Sequence[Msg], index: int) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class Period:
    """Where a block time falls: the zone's day and year, and the window's bucket."""

    day: int
    year: int
    bucket: int


@lru_cache(maxsize=64)
def period_of(time_ns: int, params: Params) -> Period:
    """The day and year in the zone ``params`` names (a fixed UTC offset), from block time.

    Memoised: every transaction of a block asks with the same time."""
    seconds = time_ns // 1_000_000_000
    day = (seconds + params.zone_offset_minutes * 60) // 86400
    year = (_EPOCH_DAY + timedelta(days=day)).year
    return Period(day, year, seconds // (params.window_seconds // WINDOW_BUCKETS))


@dataclass(frozen=True, slots=True)
class Sums:
    """Aggregates as a rule sees them at one moment."""

    day_total: int = 0
    day_count: int = 0
    year_total: int = 0
    year_count: int = 0
    window_total: int = 0
    window_count: int = 0

    def plus(self, amount: int) -> Sums:
        return Sums(
            _sat(self.day_total + amount),
            _sat(self.day_count + 1),
            _sat(self.year_total + amount),
            _sat(self.year_count + 1),
            _sat(self.window_total + amount),
            _sat(self.window_count + 1),
        )


def _sat(value: int) -> int:
    return value if value < INT64_MAX else INT64_MAX


def sums_at(flat: tuple[int, ...] | None, at: Period) -> Sums:
    """What a stored aggregate (``keys.AGGREGATES``' flat ints) holds for the day, year
    and window of ``at`` (older periods count 0)."""
    if flat is None:
        return Sums()
    day = flat[0] == at.day
    year = flat[3] == at.year
    low = at.bucket - WINDOW_BUCKETS
    total = count = 0
    for i in range(6, len(flat), 3):
        if low < flat[i] <= at.bucket:
            total += flat[i + 1]
            count += flat[i + 2]
    return Sums(
        flat[1] if day else 0,
        flat[2] if day else 0,
        flat[4] if year else 0,
        flat[5] if year else 0,
        _sat(total),
        _sat(count),
    )


def added(flat: tuple[int, ...] | None, at: Period, amount: int) -> tuple[int, ...]:
    """The aggregate with one movement of ``amount`` at ``at``; buckets outside the window
    dropped, the current bucket last.

    On every executed movement, so written flat: no intermediate ``Sums`` (measured:
    a third of the post handler's time went to building them)."""
    if flat is None:
        first = _sat(amount)
        return (at.day, first, 1, at.year, first, 1, at.bucket, first, 1)
    bucket = at.bucket
    low = bucket - WINDOW_BUCKETS
    kept: list[int] = []
    current_total = current_count = 0
    for i in range(6, len(flat), 3):
        index = flat[i]
        if index == bucket:
            current_total, current_count = flat[i + 1], flat[i + 2]
        elif low < index < bucket:
            kept += flat[i : i + 3]
    same_day = flat[0] == at.day
    same_year = flat[3] == at.year
    return (
        at.day,
        _sat((flat[1] if same_day else 0) + amount),
        _sat((flat[2] if same_day else 0) + 1),
        at.year,
        _sat((flat[4] if same_year else 0) + amount),
        _sat((flat[5] if same_year else 0) + 1),
        *kept,
        bucket,
        _sat(current_total + amount),
        _sat(current_count + 1),
    )


@lru_cache(maxsize=1 << 16)
def aggregate_key(direction: str, account: str, asset: str) -> bytes:
    """The store key of one aggregate (``keys.AGGREGATES``), encoded once per party: the
    ante and the post handler address the same few keys on every movement."""
    return AGGREGATES.key_bytes((direction, (account, asset)))


_PACKED = PackedInts()


@dataclass(frozen=True, slots=True)
class Party:
    """An account's identity facts, read once per transaction."""

    address: str
    did: str
    kyc_tier: int
    jurisdiction: str
    natural_person: bool
    institution: str
    verified: bool
    listed: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    """The active set's decision on one transaction (no deny: ``deny`` is raised instead)."""

    flags: tuple[tuple[Rule, Movement], ...]
    hold: tuple[Rule, Movement] | None


_NOTHING = Verdict((), None)
"""The common verdict (no flag, no hold), shared: nothing allocated per transaction."""


ALL_FACTS = frozenset({"did", "claims", "profile", "listed"})
_FACTS = {
    "did": "did",
    "kyc_tier": "claims",
    "institution": "claims",
    "verified": "claims",
    "jurisdiction": "profile",
    "natural_person": "profile",
    "listed": "listed",
}


@dataclass(frozen=True, slots=True)
class Plan:
    """What a compiled set reads, so that ``judge`` computes nothing else."""

    facts: frozenset[str]
    unlisted_facts: frozenset[str]
    """``facts`` without ``listed``: while no sanctions list is active nobody is listed."""
    party: bool
    sums: bool
    balance: bool
    travel: bool
    asset: bool
    asset_record: bool
    """Whether the bank's asset record is read (``asset.decimals`` / ``asset.issuer``)."""
    party_fields: tuple[tuple[str, int, str], ...]
    """(variable, 0 sender / 1 recipient, ``Party`` attribute) for each one read."""
    sum_fields: tuple[tuple[str, int, str], ...]
    """(variable, 0 sender / 1 recipient, ``Sums`` attribute) for each one read."""
    move_fields: tuple[tuple[str, str], ...]
    """(variable, ``Movement`` attribute) for each ``msg.*`` / ``move.*`` one read."""
    tx_account: bool
    tx_height: bool
    cross_border: bool
    balance_names: tuple[str, ...]

    def balances(self, move: Movement) -> list[tuple[str, str]]:
        """(variable, account) of the balances read for ``move``."""
        return [
            (name, move.sender if name == "sender.balance" else move.recipient)
            for name in self.balance_names
        ]


_SUM_NAMES = ("day_total", "day_count", "year_total", "window_total", "window_count")
_MOVE_FIELDS = {
    "msg.type": "msg_type",
    "msg.index": "index",
    "move.kind": "kind",
    "move.asset": "asset",
    "move.amount": "amount",
}
_UNBOUNDED = ("move.amount", "sender.balance", "recipient.balance")


@cache
def plan_of(referenced: frozenset[str]) -> Plan:
    party_fields: list[tuple[str, int, str]] = []
    sum_fields: list[tuple[str, int, str]] = []
    for name in sorted(referenced):
        prefix, _, field = name.partition(".")
        if prefix not in ("sender", "recipient") or field == "balance":
            continue
        side = 0 if prefix == "sender" else 1
        (sum_fields if field in _SUM_NAMES else party_fields).append((name, side, field))
    facts = facts_needed(referenced)
    return Plan(
        facts,
        facts - {"listed"},
        bool(party_fields) or "move.cross_border" in referenced,
        bool(sum_fields),
        "sender.balance" in referenced or "recipient.balance" in referenced,
        "tx.travel" in referenced,
        any(n.startswith("asset.") for n in referenced),
        "asset.decimals" in referenced or "asset.issuer" in referenced,
        tuple(party_fields),
        tuple(sum_fields),
        tuple((name, _MOVE_FIELDS[name]) for name in sorted(referenced) if name in _MOVE_FIELDS),
        "tx.account" in referenced,
        "tx.height" in referenced,
        "move.cross_border" in referenced,
        tuple(n for n in ("sender.balance", "recipient.balance") if n in referenced),
    )


def facts_needed(referenced: frozenset[str]) -> frozenset[str]:
    """Which groups of identity facts a set's variables read (``party`` reads only those)."""
    found = set()
    for name in referenced:
        prefix, _, field = name.partition(".")
        if prefix in ("sender", "recipient") and field in _FACTS:
            found.add(_FACTS[field])
    if "move.cross_border" in referenced:
        found.add("profile")
    return frozenset(found)


class ComplianceView:
    """Read-only access on any reader."""

    _bank: BankReader
    _identity: IdentityReader
    _credentials: CredentialsReader
    _sanctions: Sanctions

    def params(self, reader: KVReader) -> Params:
        return PARAMS.get(reader) or DEFAULT_PARAMS

    def active_version(self, reader: KVReader) -> int:
        return ACTIVE.get(reader) or 0

    def ruleset(self, reader: KVReader, version: int) -> RuleSet | None:
        return RULESETS.get(reader, version)

    def require_ruleset(self, reader: KVReader, version: int) -> RuleSet:
        found = RULESETS.get(reader, version)
        if found is None:
            raise ErrUnknownRuleSet(
                f"no rule set has version {version}: list them with compliance/rulesets"
            )
        return found

    def rulesets(self, reader: KVReader) -> Iterator[RuleSet]:
        return RULESETS.values(reader)

    def regulated_assets(self, reader: KVReader) -> Iterator[str]:
        return REGULATED.keys(reader)

    def profile(self, reader: KVReader, account: str) -> Profile | None:
        return PROFILES.get(reader, account)

    def profiles(self, reader: KVReader) -> Iterator[Profile]:
        return PROFILES.values(reader)

    def aggregate(
        self, reader: KVReader, direction: str, account: str, asset: str
    ) -> Aggregate | None:
        flat = AGGREGATES.get(reader, (direction, (account, asset)))
        return None if flat is None else Aggregate.from_flat(flat)

    def aggregates(
        self, reader: KVReader
    ) -> Iterator[tuple[tuple[str, tuple[str, str]], Aggregate]]:
        for key, flat in AGGREGATES.iterate(reader):
            yield key, Aggregate.from_flat(flat)

    def held(self, reader: KVReader, held_id: int) -> HeldTx | None:
        return HELD_TXS.get(reader, held_id)

    def require_held(self, reader: KVReader, held_id: int) -> HeldTx:
        found = HELD_TXS.get(reader, held_id)
        if found is None:
            raise ErrUnknownHeld(f"no held transaction has id {held_id}: check the id")
        return found

    def held_ids(self, reader: KVReader, status: str) -> Iterator[int]:
        return HELD_TXS.by("by_status", reader, status)

    def held_txs(self, reader: KVReader) -> Iterator[HeldTx]:
        return HELD_TXS.values(reader)

    def info(self, reader: KVReader) -> str:
        """What every transaction result records (``TxResult.info``): the judging versions."""
        text = f"ruleset={self.active_version(reader)}"
        sanctions = self._sanctions.active_list_version(reader)
        return f"{text};sanctions={sanctions}" if sanctions else text

    # -- evaluation -------------------------------------------------------------------------

    def party(
        self, reader: KVReader, account: str, now_ns: int, needs: frozenset[str] = ALL_FACTS
    ) -> Party:
        """Identity facts of ``account``: DID, best current KYC claim and its issuer, profile.

        Only the facts in ``needs`` (``did``, ``claims``, ``profile``, ``listed``) are read;
        the rest keep their empty values, which no rule of the set can observe. The claims
        are a prefix scan (~10 µs: the block overlay keeps its keys sorted), so a set that
        reads no KYC field never pays for it; an account without a DID has no claim to
        scan (a claim is recorded only against an account bound to its subject DID).
        """
        did = ""
        if "did" in needs or "claims" in needs:
            did = self._identity.did_of_account(reader, account) or ""
        tier, institution, counted = 0, "", False
        if "claims" in needs and did:
            for claim in self._credentials.kyc_claims(reader, account):
                if not claim.counts_at(now_ns):
                    continue
                if not self._credentials.recorded_while_accredited(reader, claim):
                    continue
                if not counted or claim.tier > tier:
                    tier, institution, counted = claim.tier, claim.issuer, True
        verified = counted and self._identity.is_active(reader, did)
        profile = PROFILES.get(reader, account) if "profile" in needs else None
        listed = "listed" in needs and self._sanctions.listed_version(reader, account) is not None
        return Party(
            account,
            did,
            tier,
            profile.jurisdiction if profile else "",
            profile.natural_person if profile else False,
            institution,
            verified,
            listed,
        )

    def judge(
        self,
        reader: KVReader,
        compiled: CompiledSet,
        ruleset: RuleSet,
        account: str,
        msgs: Sequence[Msg],
        height: int,
        time_ns: int,
        seen: dict[bytes, bytes | None] | None = None,
        moves: list[Movement] | None = None,
    ) -> Verdict:
        """Evaluate ``ruleset`` on every movement of ``msgs``; raise on a deny or an error.

        Aggregates and balances are as before each movement: the stored sums plus the
        earlier movements of the same transaction (which have not run yet). ``seen``
        receives each aggregate read (store key → stored bytes, as before the
        transaction), for the post handler to reuse. ``moves``: ``movements_of(msgs,
        account)`` when the caller already has them.
        """
        refs = compiled.referenced
        plan = plan_of(refs)
        at = period_of(time_ns, self.params(reader))
        facts = plan.facts
        if "listed" in facts and not self._sanctions.active_list_version(reader):
            # No active list (read once per transaction, not once per party): nobody is
            # listed, which is what ``listed_version`` would answer for each party.
            facts = plan.unlisted_facts
        regulated_asset, regulated = "", False  # the last asset's flag: read once per asset
        parties: dict[str, Party] = {}
        pending: dict[tuple[str, str, str], Sums] = {}
        deltas: dict[tuple[str, str], int] = {}
        flags: list[tuple[Rule, Movement]] = []
        hold: tuple[Rule, Movement] | None = None
        if moves is None:
            moves = movements_of(msgs, account)
        for position, move in enumerate(moves):
            # Only the variables the set reads are built: crossing into CEL is the cost.
            values: dict[str, Any] = {}
            for name, attr in plan.move_fields:
                values[name] = getattr(move, attr)
            if plan.tx_account:
                values["tx.account"] = account
            if plan.tx_height:
                values["tx.height"] = height
            if plan.travel:
                values["tx.travel"] = self._sanctions.travel_covered(msgs, move.index)
            if plan.asset_record:
                asset = self._bank.get_asset(reader, move.asset) if move.asset else None
                values["asset.decimals"] = asset.decimals if asset is not None else 0
                values["asset.issuer"] = asset.issuer if asset is not None else ""
            if plan.asset:
                values["asset.symbol"] = move.asset
                if move.asset != regulated_asset:
                    regulated_asset = move.asset
                    regulated = REGULATED.has(reader, move.asset)
                values["asset.regulated"] = regulated
            if plan.party:
                for address in (move.sender, move.recipient):
                    if address not in parties:
                        parties[address] = self.party(reader, address, time_ns, facts)
                sides = (parties[move.sender], parties[move.recipient])
                for name, side, attr in plan.party_fields:
                    values[name] = getattr(sides[side], attr)
                if plan.cross_border:
                    one, other = sides[0].jurisdiction, sides[1].jurisdiction
                    values["move.cross_border"] = bool(one and other and one != other)
            if plan.sums:
                both = []
                for direction, address in ((OUT, move.sender), (IN, move.recipient)):
                    key = (direction, address, move.asset)
                    sums = pending.get(key)
                    if sums is None:
                        stored = None
                        if move.asset:
                            raw_key = aggregate_key(direction, address, move.asset)
                            raw = reader.get(raw_key)
                            if seen is not None:
                                seen[raw_key] = raw
                            stored = None if raw is None else _PACKED.decode(raw)
                        sums = sums_at(stored, at)
                        pending[key] = sums
                    both.append(sums)
                for name, side, attr in plan.sum_fields:
                    values[name] = getattr(both[side], attr)
            if plan.balance:
                for name, address in plan.balances(move):
                    base = self._bank.balance(reader, address, move.asset) if move.asset else 0
                    values[name] = base + deltas.get((address, move.asset), 0)
            verdicts = self._evaluate(compiled, ruleset, values, move)
            if True in verdicts:  # the common case, nothing fired, costs one scan
                self._decide(ruleset, verdicts, move, flags)
                if hold is None:
                    hold = next(
                        (
                            (rule, move)
                            for rule, fired in zip(ruleset.rules, verdicts, strict=True)
                            if fired and rule.action == APPROVE
                        ),
                        None,
                    )
            if position + 1 < len(moves) and move.asset:
                self._count_in_tx(move, pending, deltas)
        if not flags and hold is None:
            return _NOTHING
        return Verdict(tuple(flags), hold)

    @staticmethod
    def _decide(
        ruleset: RuleSet,
        verdicts: Sequence[bool],
        move: Movement,
        flags: list[tuple[Rule, Movement]],
    ) -> None:
        """Raise on the first denying rule that fired; collect the flags."""
        for rule, fired in zip(ruleset.rules, verdicts, strict=True):
            if not fired:
                continue
            if rule.action == DENY:
                raise ErrDenied(
                    f"rule {rule.id} of rule set {ruleset.version} denies message "
                    f"#{move.index} ({move.msg_type}): {rule.reason or 'no reason given'}",
                    rule=rule.id,
                    ruleset=ruleset.version,
                )
            if rule.action == FLAG:
                flags.append((rule, move))

    @staticmethod
    def _count_in_tx(
        move: Movement,
        pending: dict[tuple[str, str, str], Sums],
        deltas: dict[tuple[str, str], int],
    ) -> None:
        """What ``move`` adds for the later movements of its transaction (not run yet)."""
        if move.outgoing:
            key = (OUT, move.sender, move.asset)
            if key in pending:
                pending[key] = pending[key].plus(move.amount)
            holding = (move.sender, move.asset)
            deltas[holding] = deltas.get(holding, 0) - move.amount
        if move.incoming:
            key = (IN, move.recipient, move.asset)
            if key in pending:
                pending[key] = pending[key].plus(move.amount)
            holding = (move.recipient, move.asset)
            deltas[holding] = deltas.get(holding, 0) + move.amount

    @staticmethod
    def _evaluate(
        compiled: CompiledSet, ruleset: RuleSet, values: dict[str, Any], move: Movement
    ) -> Sequence[bool]:
        # Amounts and balances are the only ints that can leave int64 (aggregates saturate).
        for name in _UNBOUNDED:
            value = values.get(name, 0)
            if not _INT64_MIN <= value <= INT64_MAX:
                raise ErrRuleError(
                    f"{name} = {value} does not fit a CEL int (64 bits): rule set "
                    f"{ruleset.version} cannot judge message #{move.index}; a regulated asset "
                    "must keep its amounts below 2^63",
                    rule="",
                    ruleset=ruleset.version,
                )
        try:
            return compiled.evaluate(values)
        except RuleEvalError as exc:
            raise ErrRuleError(
                f"rule {exc.rule or '?'} of rule set {ruleset.version} failed on message "
                f"#{move.index} ({move.msg_type}): {exc}; the transaction is refused "
                "(fail closed): ask the regulator to correct the rule",
                rule=exc.rule,
                ruleset=ruleset.version,
            ) from None


class ComplianceKeeper(ComplianceView):
    """Publishes and activates rule sets, enforces the active one, keeps aggregates and holds.

    Parameters:
        bank: asset metadata and balances.
        identity: an account's DID, whether it is active, who controls it.
        credentials: the regulator registry and KYC claims.
        router: parses and runs a held transaction's messages when it is approved.
        sanctions: the aml module's answers (default: nobody listed; see ``NoSanctions``).
        accounts: account status, re-checked when a held transaction runs (the signer may
            have been frozen or closed while it waited); None only in unit tests.
    """

    def __init__(
        self,
        bank: BankReader,
        identity: IdentityReader,
        credentials: CredentialsReader,
        router: MsgRoutes,
        sanctions: Sanctions | None = None,
        accounts: AccountsReader | None = None,
    ) -> None:
        self._bank = bank
        self._identity = identity
        self._credentials = credentials
        self._router = router
        self._sanctions = sanctions if sanctions is not None else NoSanctions()
        self._accounts = accounts
        self._compiled: dict[int, tuple[tuple[Rule, ...], CompiledSet]] = {}
        self._seen: dict[
            ExecMode, tuple[bytes, int, dict[bytes, bytes | None], list[Movement]]
        ] = {}
        """Per execution mode, what the last ``enforce`` read: (tx id, height, store key →
        aggregate bytes, the movements), taken by ``record_executed`` of the same
        transaction."""

    # -- rule sets --------------------------------------------------------------------------

    def compiled(self, ruleset: RuleSet) -> CompiledSet:
        """The set compiled once per version, checked against the rules it was compiled from.

        A committed version never changes, but check_tx's state may number a publish
        differently than the block then does (two publishes in another order), so the
        cache entry is used only for the same rules (by identity: the decoded record is
        memoised; else by equality).
        """
        found = self._compiled.get(ruleset.version)
        if found is not None:
            if found[0] is ruleset.rules:
                return found[1]
            if found[0] == ruleset.rules:  # the same rules decoded anew: remember this object
                self._compiled[ruleset.version] = (ruleset.rules, found[1])
                return found[1]
        compiled = compile_rules(ruleset.rules)
        self._compiled[ruleset.version] = (ruleset.rules, compiled)
        return compiled

    def publish(self, ctx: Context, publisher: str, rules: tuple[Rule, ...]) -> int:
        if self._credentials.regulator(ctx.store, publisher) is None:
            raise ErrNotRegulator(
                f"{publisher} is not a registered regulator: only regulators publish rule sets"
            )
        compile_rules(rules)  # refuses a rule that does not compile, naming it
        version = NEXT_VERSION.next(ctx)
        RULESETS.set(ctx, version, RuleSet(version, publisher, rules, PUBLISHED, ctx.height))
        ctx.emit(events.published(version, publisher, len(rules)))
        return version

    def activate(self, ctx: Context, version: int, height: int) -> None:
        found = self.require_ruleset(ctx.store, version)
        if height <= ctx.height:
            raise ErrBadActivation(
                f"activation height {height} is not above the current height {ctx.height}: "
                "choose a future height"
            )
        if found.status != PUBLISHED:
            raise ErrBadActivation(
                f"rule set {version} is {found.status}: only a published set can be scheduled"
            )
        if version <= self.active_version(ctx.store):
            raise ErrBadActivation(
                f"rule set {version} is older than the active set "
                f"{self.active_version(ctx.store)}: versions only move forward"
            )
        RULESETS.set(ctx, version, replace(found, status=SCHEDULED, activation_height=height))
        SCHEDULE.set(ctx, (height, version), b"")
        ctx.emit(events.scheduled(version, height))

    def begin_block(self, ctx: Context) -> None:
        """At a scheduled height, the highest version scheduled for it becomes active."""
        due = []
        for height, version in SCHEDULE.keys(ctx.store):
            if height > ctx.height:
                break
            due.append((height, version))
        if not due:
            return
        for key in due:
            SCHEDULE.remove(ctx, key)
        previous = self.active_version(ctx.store)
        version = max(v for _, v in due)
        for _, skipped in due:
            # A due set that does not become active (a higher version is, or already was)
            # never will: it is superseded now, not left "scheduled" for a past height.
            if skipped != version or version <= previous:
                old = self.require_ruleset(ctx.store, skipped)
                RULESETS.set(
                    ctx, skipped, replace(old, status=SUPERSEDED, superseded_height=ctx.height)
                )
        if version <= previous:
            return
        if previous:
            old = self.require_ruleset(ctx.store, previous)
            RULESETS.set(
                ctx, previous, replace(old, status=SUPERSEDED, superseded_height=ctx.height)
            )
        new = self.require_ruleset(ctx.store, version)
        RULESETS.set(ctx, version, replace(new, status=STATUS_ACTIVE))
        ACTIVE.set(ctx, version)
        ctx.emit(events.activated(version, previous))

    # -- parameters and profiles ------------------------------------------------------------

    def set_params(self, ctx: Context, params: Params) -> None:
        PARAMS.set(ctx, params)
        ctx.emit(events.params_set(params.zone_offset_minutes, params.window_seconds))

    def set_asset(self, ctx: Context, asset: str, regulated: bool) -> None:
        if self._bank.get_asset(ctx.store, asset) is None:
            raise ErrUnknownAsset(f"asset {asset} does not exist: create it first")
        if regulated:
            REGULATED.set(ctx, asset, b"")
        else:
            REGULATED.remove(ctx, asset)
        ctx.emit(events.asset_set(asset, regulated))

    def set_profile(
        self,
        ctx: Context,
        signer: str,
        account: str,
        jurisdiction: str,
        natural_person: bool,
        issuer: str,
    ) -> None:
        """Governance, or the controller of an issuer accredited now for KYC that holds a
        current claim on ``account``, records the account's jurisdiction and person kind."""
        if signer != GOVERNANCE:
            claim = self._credentials.kyc_claim(ctx.store, account, issuer) if issuer else None
            if (
                claim is None
                or not claim.counts_at(ctx.time_ns)
                or not self._identity.controls(ctx.store, issuer, signer)
                or not self._credentials.accredited(
                    ctx.store, issuer, KYC_CREDENTIAL_TYPE, ctx.time_ns
                )
            ):
                raise ErrNotKycInstitution(
                    f"{signer} may not set the profile of {account}: sign with the controller "
                    f"of an accredited KYC issuer that holds a current claim on it (issuer "
                    f"{issuer or 'not given'}), or ask governance"
                )
        by = issuer if signer != GOVERNANCE else GOVERNANCE
        PROFILES.set(ctx, account, Profile(account, jurisdiction, natural_person, by, ctx.height))
        ctx.emit(events.profile_set(account, jurisdiction, natural_person, by))

    # -- enforcement ------------------------------------------------------------------------

    def enforce(self, ctx: Context, tx: Tx, tx_id: bytes, msgs: Sequence[Msg]) -> None:
        """The ante decorator's work: deny (raise), flag (events), or hold the messages."""
        self._seen.pop(ctx.mode, None)
        version = self.active_version(ctx.store)
        if not version:
            return
        account = tx.body.account
        moves = movements_of(msgs, account)
        # A fixed price per judged movement instead of metering each read (gas.JUDGE_MOVE).
        ctx.store.meter.charge(JUDGE_MOVE * len(moves), "judging the movements")
        reader = ctx.store.unmetered
        ruleset = self.require_ruleset(reader, version)
        seen: dict[bytes, bytes | None] = {}
        verdict = self.judge(
            reader,
            self.compiled(ruleset),
            ruleset,
            account,
            msgs,
            ctx.height,
            ctx.time_ns,
            seen,
            moves,
        )
        if seen:
            self._seen[ctx.mode] = (tx_id, ctx.height, seen, moves)
        for rule, move in verdict.flags:
            ctx.emit(self._alert(ctx, rule, version, tx_id, move))
        if verdict.hold is not None:
            self._hold(ctx, tx, tx_id, version, *verdict.hold)

    def _alert(self, ctx: Context, rule: Rule, version: int, tx_id: bytes, move: Movement) -> Any:
        sender = self.party(ctx.store, move.sender, ctx.time_ns)
        recipient = (
            sender
            if move.recipient == move.sender
            else self.party(ctx.store, move.recipient, ctx.time_ns)
        )
        return events.alert(
            rule=rule.id,
            report_type=rule.report_type,
            ruleset=version,
            tx=tx_id,
            account=move.sender,
            counterparty=move.recipient,
            asset=move.asset,
            amount=move.amount,
            institution=sender.institution,
            counterparty_institution=recipient.institution,
            height=ctx.height,
        )

    def _hold(
        self, ctx: Context, tx: Tx, tx_id: bytes, version: int, rule: Rule, move: Movement
    ) -> None:
        held_id = NEXT_HELD.next(ctx)
        deadline = ctx.height + rule.approval_blocks
        if tx.body.expiry:  # the signer refused execution above this height: so must approval
            deadline = min(deadline, tx.body.expiry)
        raw = encode([{"type": m.type, "value": m.value} for m in tx.body.msgs])
        held = HeldTx(
            held_id,
            tx_id,
            tx.body.account,
            raw,
            version,
            rule.id,
            rule.approvers,
            rule.approvals,
            (),
            deadline,
            HELD,
            ctx.height,
            ctx.time_ns,
            counterparty=move.recipient,
        )
        HELD_TXS.set(ctx, held_id, held, previous=None)
        HELD_DEADLINES.set(ctx, (held.deadline_height, held_id), b"")
        ctx.emit(events.held(held))
        ctx.defer_msgs = True

    def record_executed(
        self, ctx: Context, tx_id: bytes, account: str, msgs: Sequence[Msg]
    ) -> None:
        """The post handler's work: ``record``, reusing the aggregates the ante read.

        The ante's reads (``enforce``) still hold when every message is a bank movement:
        only this module writes aggregates, and only the post handler and an approved
        held transaction (a ``compliance/approve`` message) do. Anything else reads anew.
        """
        stash = self._seen.pop(ctx.mode, None)
        if (
            stash is not None
            and stash[0] == tx_id
            and stash[1] == ctx.height
            and all(m.TYPE in _BANK_MOVES for m in msgs)
        ):
            # The same messages and account: the same movements (``movements_of`` is pure).
            self.record(ctx, account, msgs, stash[2], stash[3])
        else:
            self.record(ctx, account, msgs)

    def record(
        self,
        ctx: Context,
        account: str,
        msgs: Sequence[Msg],
        known: dict[bytes, bytes | None] | None = None,
        moves: list[Movement] | None = None,
    ) -> None:
        """Add the movements of messages that executed to the aggregates (post handler).

        ``known``: aggregates as stored before these messages ran (store key → bytes),
        used instead of reading them (each once; consumed). ``moves``: the messages'
        movements when the caller has them."""
        at: Period | None = None
        for move in movements_of(msgs, account) if moves is None else moves:
            if not move.asset:
                continue
            if at is None:
                at = period_of(ctx.time_ns, self.params(ctx.store))
            if move.outgoing:
                self._add(ctx, aggregate_key(OUT, move.sender, move.asset), move.amount, at, known)
            if move.incoming:
                self._add(
                    ctx, aggregate_key(IN, move.recipient, move.asset), move.amount, at, known
                )

    @staticmethod
    def _add(
        ctx: Context,
        key: bytes,
        amount: int,
        at: Period,
        known: dict[bytes, bytes | None] | None,
    ) -> None:
        if known is not None and key in known:
            raw = known.pop(key)
            # Charged exactly as the read it replaces: the cost of a transaction is state.
            ctx.store.meter.charge(
                READ_BASE + READ_BYTE * (len(key) + (len(raw) if raw else 0)), "reading"
            )
        else:
            raw = ctx.store.get(key)
        flat = None if raw is None else _PACKED.decode(raw)
        ctx.store.set(key, _PACKED.encode(added(flat, at, amount)))

    # -- held transactions ------------------------------------------------------------------

    def approve(self, ctx: Context, approver: str, held_id: int) -> None:
        held = self.require_held(ctx.store, held_id)
        if held.status != HELD:
            raise ErrNotHeld(f"held transaction {held_id} is {held.status}: nothing to approve")
        if ctx.height > held.deadline_height:
            raise ErrNotHeld(f"held transaction {held_id} expired at height {held.deadline_height}")
        if approver == held.account:
            raise ErrNotApprover(
                f"{approver} signed held transaction {held_id}: a transaction needing approval "
                "is approved by others (ask the other approvers)"
            )
        if approver not in held.approvers:
            raise ErrNotApprover(
                f"{approver} is not among the approvers of held transaction {held_id}: "
                f"{', '.join(held.approvers)}"
            )
        if held.has_approved(approver):
            raise ErrAlreadyApproved(f"{approver} has already approved held transaction {held_id}")
        held = replace(held, approvals=(*held.approvals, Approval(approver, ctx.height)))
        ctx.emit(events.approved(held, approver))
        if len(held.approvals) >= held.threshold:
            held = self._execute(ctx, held)
            HELD_DEADLINES.remove(ctx, (held.deadline_height, held.id))
        HELD_TXS.set(ctx, held_id, held)

    def _execute(self, ctx: Context, held: HeldTx) -> HeldTx:
        """Run the held messages as their signer, all or nothing; a failure closes it as
        ``failed`` (the approval itself succeeds: the approvers did their part)."""
        branch, write = ctx.cached()
        # The held transaction's own id: what its messages record as "the running
        # transaction" (a travel record covers indexes of *its* messages, not of the approval).
        run = replace(branch, signer=held.account, tx_id=held.tx_id)
        try:
            msgs = self._parse(held)
            self._require_may_transact(ctx.store, held.account, msgs)
            self._rejudge(ctx, held, msgs)
            for msg in msgs:
                self._router.deliver(run, msg)
            self.record(run, held.account, msgs)
        except FinchainError as exc:
            done = held.closed(FAILED, ctx.height, exc.message)
            ctx.emit(events.closed(done))
            return done
        write()
        done = held.closed(EXECUTED, ctx.height)
        ctx.emit(events.closed(done))
        return done

    def _rejudge(self, ctx: Context, held: HeldTx, msgs: Sequence[Msg]) -> None:
        """The active set's denials, again at execution: a set activated, or a sanctions
        list that names a party, while the transaction waited refuses it like any other
        (raises). Its approve rules are what the approvers just satisfied and its flags
        were raised when it was held, so both are ignored here."""
        version = self.active_version(ctx.store)
        if not version:
            return
        moves = movements_of(msgs, held.account)
        ctx.store.meter.charge(JUDGE_MOVE * len(moves), "judging the movements")
        reader = ctx.store.unmetered
        ruleset = self.require_ruleset(reader, version)
        self.judge(
            reader,
            self.compiled(ruleset),
            ruleset,
            held.account,
            msgs,
            ctx.height,
            ctx.time_ns,
            moves=moves,
        )

    def _require_may_transact(self, reader: KVReader, account: str, msgs: Sequence[Msg]) -> None:
        """The ante's status checks, again at execution: the held messages bypass the ante,
        and an account frozen (interventions) or closed since it signed, or inside a
        key-reset lock window (its keys may be compromised), must not move value."""
        if self._accounts is None:
            return
        status = self._accounts.status(reader, account)
        if status is AccountStatus.FROZEN:
            raise ErrAccountFrozen(f"account {account} is frozen and cannot transact")
        if status is None or status is AccountStatus.CLOSED:
            raise ErrAccountClosed(f"account {account} is closed")
        if any(m.ASSET_OPERATION for m in msgs) and self._accounts.pending_reset(reader, account):
            raise ErrResetLock(
                f"account {account} is in a key-reset lock window: its held asset operations "
                "do not run until the reset completes or is cancelled"
            )

    def _parse(self, held: HeldTx) -> list[Msg]:
        msgs = []
        for entry in decode(held.msgs, max_size=len(held.msgs)):
            route = self._router.routes.get(entry["type"])
            if route is None:
                raise ErrNotHeld(f"message type {entry['type']} is no longer known")
            msg = route[0].from_value(entry["value"])
            msg.validate()
            msgs.append(msg)
        return msgs

    def end_block(self, ctx: Context) -> None:
        """Held transactions whose deadline is this height or earlier expire."""
        due = []
        for deadline, held_id in HELD_DEADLINES.keys(ctx.store):
            if deadline > ctx.height:
                break
            due.append((deadline, held_id))
        for key in due:
            HELD_DEADLINES.remove(ctx, key)
            held = self.require_held(ctx.store, key[1])
            done = held.closed(EXPIRED, ctx.height)
            HELD_TXS.set(ctx, held.id, done, previous=held)
            ctx.emit(events.closed(done))

    # -- genesis ----------------------------------------------------------------------------

    def import_state(
        self,
        ctx: Context,
        params: Params | None,
        regulated: Sequence[str],
        profiles: Sequence[Profile],
    ) -> None:
        if params is not None:
            PARAMS.set(ctx, params)
        for asset in regulated:
            REGULATED.set(ctx, asset, b"")
        for profile in profiles:
            PROFILES.set(ctx, profile.account, profile)


def compile_rules(rules: Sequence[Rule]) -> CompiledSet:
    """Compile a set's rules; a broken rule is refused with ``compliance:3`` naming it."""
    try:
        return compile_set([(rule.id, rule.expr) for rule in rules])
    except RuleSourceError as exc:
        raise ErrBadRuleSet(f"{exc}; see docs/regulation/compliance.md for the language") from None
