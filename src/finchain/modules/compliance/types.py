"""Rule sets, held transactions, profiles and aggregates: the records the module keeps.

Other modules may import this file (the import contract allows ``types``): aml's
rule templates build ``Rule`` values against it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import (
    HEIGHT,
    TIME_NS,
    Blob,
    Flag,
    Integer,
    ListOf,
    Nested,
    OneOf,
    Record,
    Text,
    wire,
)
from finchain.modules.accounts.types import ACCOUNT, ACCOUNT_OR_NONE

MAX_RULES = 64
MAX_EXPR_BYTES = 4096
MAX_SET_BYTES = 65536
"""All expressions of a set together (cel-cpp refuses a source above 100,000 code points,
and the set compiles to one list expression)."""
MAX_APPROVERS = 16
MAX_APPROVAL_BLOCKS = 1_000_000
MAX_ID = 2**63 - 1
INT64_MAX = 2**63 - 1
WINDOW_BUCKETS = 24
"""A sliding window is kept as this many buckets: its cost per movement is bounded."""

DENY = "deny"
FLAG = "flag"
APPROVE = "approve"
ACTIONS = (DENY, FLAG, APPROVE)

# Rule-set statuses.
PUBLISHED = "published"  # awaiting a governance activation
SCHEDULED = "scheduled"  # governance set its activation height
ACTIVE = "active"  # the set that judges transactions
SUPERSEDED = "superseded"  # a later set became active
RULESET_STATUSES = (PUBLISHED, SCHEDULED, ACTIVE, SUPERSEDED)

# Held-transaction statuses.
HELD = "held"
EXECUTED = "executed"
FAILED = "failed"  # approved, but a message failed when it ran: nothing moved
EXPIRED = "expired"
HELD_STATUSES = (HELD, EXECUTED, FAILED, EXPIRED)

RULE_ID = Text(max_len=64, pattern=r"[a-z0-9][a-z0-9_.-]{0,63}", what="a rule id ([a-z0-9_.-])")
EXPR = Text(max_len=MAX_EXPR_BYTES)
REASON = Text(max_len=256, allow_empty=True)
REPORT_TYPE = Text(max_len=32, allow_empty=True, pattern=r"[a-z][a-z0-9_]{0,31}")
VERSION = Integer(low=1, high=MAX_ID)
HELD_ID = Integer(low=1, high=MAX_ID)
JURISDICTION = Text(max_len=2, allow_empty=True, pattern=r"[A-Z]{2}", what="ISO 3166 alpha-2")
APPROVERS = ListOf(ACCOUNT, max_items=MAX_APPROVERS, unique=True, sort=True)
ZONE_OFFSET = Integer(low=-14 * 60, high=14 * 60)
WINDOW_SECONDS = Integer(low=WINDOW_BUCKETS, high=366 * 86400)


@dataclass(frozen=True, slots=True)
class Rule(Record):
    """One rule: a CEL expression returning bool (true: it fires) and what firing means.

    ``deny``: the transaction fails (``reason`` tells the sender why and what to do);
    ``flag``: an alert of ``report_type`` and the transaction executes; ``approve``: the
    transaction waits for ``approvals`` of ``approvers`` within ``approval_blocks``.
    """

    WHAT = "rule"
    id: str = wire(RULE_ID)
    expr: str = wire(EXPR)
    action: str = wire(OneOf(*ACTIONS))
    reason: str = wire(REASON, default="")
    report_type: str = wire(REPORT_TYPE, default="")
    approvers: tuple[str, ...] = wire(APPROVERS, default=())
    approvals: int = wire(Integer(low=0, high=MAX_APPROVERS), default=0)
    approval_blocks: int = wire(Integer(low=0, high=MAX_APPROVAL_BLOCKS), default=0)

    def check(self) -> None:
        if self.action == FLAG and not self.report_type:
            raise ErrInvalidMsg(f"rule {self.id}: a flag rule names its report_type")
        if self.action != FLAG and self.report_type:
            raise ErrInvalidMsg(f"rule {self.id}: only a flag rule has a report_type")
        if self.action == APPROVE:
            if not self.approvers or not 1 <= self.approvals <= len(self.approvers):
                raise ErrInvalidMsg(
                    f"rule {self.id}: an approve rule names approvers and approvals k "
                    "with 1 <= k <= len(approvers)"
                )
            if self.approval_blocks < 1:
                raise ErrInvalidMsg(f"rule {self.id}: approval_blocks must be at least 1")
        elif self.approvers or self.approvals or self.approval_blocks:
            raise ErrInvalidMsg(
                f"rule {self.id}: approvers, approvals and approval_blocks belong to approve rules"
            )


RULES: ListOf[Rule] = ListOf(Nested(Rule), min_items=1, max_items=MAX_RULES)


def check_rules(rules: tuple[Rule, ...]) -> None:
    """Rules of a set that need no compiler: unique ids, total size."""
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ErrInvalidMsg(f"rule id {rule.id!r} appears twice: ids are unique in a set")
        seen.add(rule.id)
    total = sum(len(rule.expr) for rule in rules)
    if total > MAX_SET_BYTES:
        raise ErrInvalidMsg(f"the expressions total {total} characters; at most {MAX_SET_BYTES}")


@dataclass(frozen=True, slots=True)
class RuleSet(Record):
    """A published rule set: versions increase from 1; never deleted."""

    WHAT = "rule set"
    version: int = wire(VERSION)
    publisher: str = wire(ACCOUNT)
    rules: tuple[Rule, ...] = wire(RULES)
    status: str = wire(OneOf(*RULESET_STATUSES))
    published_height: int = wire(HEIGHT)
    activation_height: int = wire(HEIGHT, default=0)
    superseded_height: int = wire(HEIGHT, default=0)

    def check(self) -> None:
        check_rules(self.rules)

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass(frozen=True, slots=True)
class Params(Record):
    """Governance's parameters: the zone "today" is counted in, and the sliding window."""

    WHAT = "compliance params"
    zone_offset_minutes: int = wire(ZONE_OFFSET, default=480)
    window_seconds: int = wire(WINDOW_SECONDS, default=86400)

    def check(self) -> None:
        if self.window_seconds % WINDOW_BUCKETS:
            raise ErrInvalidMsg(
                f"window_seconds must be a multiple of {WINDOW_BUCKETS} (its buckets)"
            )


@dataclass(frozen=True, slots=True)
class Profile(Record):
    """KYC facts the credentials module does not hold: jurisdiction and kind of person."""

    WHAT = "profile"
    account: str = wire(ACCOUNT)
    jurisdiction: str = wire(JURISDICTION)
    natural_person: bool = wire(Flag())
    set_by: str = wire(Text(max_len=128))  # the issuer DID, or "governance"
    height: int = wire(HEIGHT)


@dataclass(frozen=True, slots=True)
class Bucket(Record):
    WHAT = "window bucket"
    index: int = wire(Integer(low=-(2**62), high=2**62))
    total: int = wire(Integer(low=0, high=INT64_MAX))
    count: int = wire(Integer(low=0, high=INT64_MAX))


@dataclass(frozen=True, slots=True)
class Aggregate(Record):
    """One direction of one (account, asset): today's, this year's and the window's sums.

    Totals saturate at 2^63 - 1 (a CEL int): a ``>=`` threshold stays exact.
    """

    WHAT = "aggregate"
    day: int = wire(Integer(low=-(2**40), high=2**40), default=0)
    day_total: int = wire(Integer(low=0, high=INT64_MAX), default=0)
    day_count: int = wire(Integer(low=0, high=INT64_MAX), default=0)
    year: int = wire(Integer(low=0, high=10_000), default=0)
    year_total: int = wire(Integer(low=0, high=INT64_MAX), default=0)
    year_count: int = wire(Integer(low=0, high=INT64_MAX), default=0)
    buckets: tuple[Bucket, ...] = wire(ListOf(Nested(Bucket), max_items=WINDOW_BUCKETS), default=())

    def flat(self) -> tuple[int, ...]:
        """The stored form: six ints, then index, total, count per bucket."""
        head = (self.day, self.day_total, self.day_count, self.year, self.year_total)
        tail = tuple(x for b in self.buckets for x in (b.index, b.total, b.count))
        return (*head, self.year_count, *tail)

    @classmethod
    def from_flat(cls, flat: tuple[int, ...]) -> Aggregate:
        buckets = tuple(Bucket(*flat[i : i + 3]) for i in range(6, len(flat), 3))
        day, day_total, day_count, year, year_total, year_count = flat[:6]
        return cls(day, day_total, day_count, year, year_total, year_count, buckets)


@dataclass(frozen=True, slots=True)
class Approval(Record):
    WHAT = "approval"
    approver: str = wire(ACCOUNT)
    height: int = wire(HEIGHT)


@dataclass(frozen=True, slots=True)
class HeldTx(Record):
    """A transaction an ``approve`` rule holds: its messages as signed, run on approval."""

    WHAT = "held transaction"
    id: int = wire(HELD_ID)
    tx_id: bytes = wire(Blob(max_len=64))
    account: str = wire(ACCOUNT)
    msgs: bytes = wire(Blob(max_len=1 << 22))
    """The messages as ``[{"type", "value"}, …]`` in canonical CBOR."""
    ruleset: int = wire(VERSION)
    rule: str = wire(RULE_ID)
    approvers: tuple[str, ...] = wire(APPROVERS)
    threshold: int = wire(Integer(low=1, high=MAX_APPROVERS))
    approvals: tuple[Approval, ...] = wire(ListOf(Nested(Approval), max_items=MAX_APPROVERS))
    deadline_height: int = wire(HEIGHT)
    status: str = wire(OneOf(*HELD_STATUSES))
    held_height: int = wire(HEIGHT)
    held_time_ns: int = wire(TIME_NS)
    closed_height: int = wire(HEIGHT, default=0)
    error: str = wire(Text(max_len=512, allow_empty=True), default="")
    counterparty: str = wire(ACCOUNT_OR_NONE, default="")

    def has_approved(self, account: str) -> bool:
        return any(a.approver == account for a in self.approvals)

    def closed(self, status: str, height: int, error: str = "") -> HeldTx:
        return replace(self, status=status, closed_height=height, error=error[:512])


@dataclass(frozen=True, slots=True)
class AggregateEntry(Record):
    """An aggregate with its key, as genesis carries it."""

    WHAT = "aggregate entry"
    direction: str = wire(OneOf("o", "i"))
    account: str = wire(ACCOUNT)
    asset: str = wire(Text(max_len=16))
    aggregate: Aggregate = wire(Nested(Aggregate))
