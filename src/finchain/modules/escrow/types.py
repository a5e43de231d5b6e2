"""Escrows and their release conditions: the records the chain keeps, declared once.

The same declarations read a message, a stored escrow and a genesis entry, and
write each back (``finchain.core.fields``). Other modules may import this file
(the import contract allows ``types``), e.g. to build ``Conditions``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from finchain.core.fields import (
    DIGEST,
    HEIGHT,
    TIME_NS,
    Amount,
    Blob,
    Integer,
    ListOf,
    Nested,
    OneOf,
    Optional,
    Record,
    Text,
    wire,
)
from finchain.crypto import HASH_NAMES
from finchain.modules.accounts.types import ACCOUNT, ACCOUNT_OR_NONE
from finchain.modules.bank.types import ASSET_SYMBOL
from finchain.modules.escrow.errors import (
    ErrBadDeadline,
    ErrBadThreshold,
    ErrInvalidAmount,
    ErrNoConditions,
)

MAX_APPROVERS = 16
MAX_COSIGNERS = 16
MAX_PREIMAGE = 256
"""A preimage is a secret of at most 256 bytes (HTLCs use 32)."""
MAX_ID = 2**63 - 1

OPEN = "open"
RELEASED = "released"
REFUNDED = "refunded"
CANCELLED = "cancelled"
STATUSES = (OPEN, RELEASED, REFUNDED, CANCELLED)

HASH_ALG = OneOf(*HASH_NAMES)
ACCOUNTS = ListOf(ACCOUNT, max_items=MAX_APPROVERS, unique=True, sort=True)
"""Distinct account ids, a set on the wire (held in account order)."""
LOCK_AMOUNT = Amount(zero=True)
"""An amount; "0" decodes so that the refusal is ``escrow:7``, the same as a keeper caller's."""
REFERENCE = Text(max_len=64, allow_empty=True)
MODULE_NAME = Text(max_len=32, allow_empty=True, pattern=r"(?:[a-z][a-z0-9_]{0,31})?")
PREIMAGE = Blob(max_len=MAX_PREIMAGE)


@dataclass(frozen=True, slots=True)
class HashLock(Record):
    """Release needs the preimage of ``hash`` under ``hash_alg`` (sm3 or sha256)."""

    WHAT = "hash lock"
    hash_alg: str = wire(HASH_ALG)
    hash: bytes = wire(DIGEST)


@dataclass(frozen=True, slots=True)
class EvidenceCondition(Record):
    """Release needs a complete evidence record of ``hash`` (a notarised delivery note).

    ``submitter``: the account that must have recorded it ("" : anyone).
    ``cosigners``: accounts that must be among its co-signers (the record being
    complete, each of them has signed).
    """

    WHAT = "evidence condition"
    hash_alg: str = wire(HASH_ALG)
    hash: bytes = wire(DIGEST)
    submitter: str = wire(ACCOUNT_OR_NONE, default="")
    cosigners: tuple[str, ...] = wire(
        ListOf(ACCOUNT, max_items=MAX_COSIGNERS, unique=True, sort=True), default=()
    )


@dataclass(frozen=True, slots=True)
class Conditions(Record):
    """What must all hold for a release; any combination, at least one.

    - ``hash_lock``: the releaser reveals the preimage;
    - ``not_before_height`` / ``not_before_time`` (ns): release at or after them (0: none);
    - ``approvers`` / ``threshold``: M of N named accounts each sent ``escrow/approve``;
    - ``evidence``: a complete evidence record of the named document.
    """

    WHAT = "conditions"
    hash_lock: HashLock | None = wire(Optional(Nested(HashLock)), default=None)
    not_before_height: int = wire(HEIGHT, default=0)
    not_before_time: int = wire(TIME_NS, default=0)
    approvers: tuple[str, ...] = wire(ACCOUNTS, default=())
    threshold: int = wire(Integer(low=0, high=MAX_APPROVERS), default=0)
    evidence: EvidenceCondition | None = wire(Optional(Nested(EvidenceCondition)), default=None)

    def check(self) -> None:
        if self.threshold > len(self.approvers) or (self.approvers and not self.threshold):
            raise ErrBadThreshold(
                f"threshold {self.threshold} with {len(self.approvers)} approvers: "
                "name N approvers and a threshold M with 1 <= M <= N (or neither)"
            )

    @property
    def empty(self) -> bool:
        return (
            self.hash_lock is None
            and not self.not_before_height
            and not self.not_before_time
            and not self.approvers
            and self.evidence is None
        )


NO_CONDITIONS = Conditions()


def check_terms(
    amount: int, conditions: Conditions, expiry_height: int, expiry_time: int, controller: str
) -> None:
    """The rules of an escrow's terms that need no state (the keeper runs them for every caller).

    An escrow needs a positive amount; a condition or a controlling module; an
    expiry (height or time, or both: whichever comes first) unless a module
    controls it; and a time lock that ends before the expiry of the same kind,
    or it could never be released.
    """
    conditions.check()
    if amount <= 0:
        raise ErrInvalidAmount("the amount to lock must be positive")
    if conditions.empty and not controller:
        raise ErrNoConditions(
            "name at least one condition (hash_lock, not_before_height/time, approvers, "
            "evidence): an unconditional payment is a bank/transfer"
        )
    if not (expiry_height or expiry_time or controller):
        raise ErrBadDeadline("give expiry_height or expiry_time: locked funds must come back")
    if expiry_height and conditions.not_before_height >= expiry_height:
        raise ErrBadDeadline(
            f"time lock height {conditions.not_before_height} is not before the expiry height "
            f"{expiry_height}: the escrow could never be released"
        )
    if expiry_time and conditions.not_before_time >= expiry_time:
        raise ErrBadDeadline(
            f"time lock {conditions.not_before_time} ns is not before the expiry time "
            f"{expiry_time} ns: the escrow could never be released"
        )


@dataclass(frozen=True, slots=True)
class Approval(Record):
    WHAT = "approval"
    account: str = wire(ACCOUNT)
    height: int = wire(HEIGHT)


@dataclass(frozen=True, slots=True)
class Escrow(Record):
    """One escrow, from creation to its end (released, refunded or cancelled).

    While ``open``, ``amount`` of the payer's ``asset`` is frozen in the bank
    (reason ``escrow <id>``). ``controller`` names a module that settles it
    through the keeper ("" for escrows created by a transaction). ``preimage``
    is the revealed secret of a hash-locked escrow once released.
    """

    WHAT = "escrow"
    DERIVED = ("approved",)
    id: int = wire(Integer(low=1, high=MAX_ID))
    payer: str = wire(ACCOUNT)
    payee: str = wire(ACCOUNT)
    asset: str = wire(ASSET_SYMBOL)
    amount: int = wire(Amount())
    conditions: Conditions = wire(Nested(Conditions))
    expiry_height: int = wire(HEIGHT)
    expiry_time: int = wire(TIME_NS)
    reference: str = wire(REFERENCE)
    controller: str = wire(MODULE_NAME)
    created_height: int = wire(HEIGHT)
    created_time: int = wire(TIME_NS)
    status: str = wire(OneOf(*STATUSES))
    approvals: tuple[Approval, ...] = wire(ListOf(Nested(Approval), max_items=MAX_APPROVERS))
    cancel_consents: tuple[str, ...] = wire(ListOf(ACCOUNT, max_items=2, unique=True, sort=True))
    preimage: bytes = wire(PREIMAGE)
    closed_height: int = wire(HEIGHT)
    closed_by: str = wire(Text(max_len=32, allow_empty=True))

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def approved(self) -> int:
        """How many approvers have approved."""
        return len(self.approvals)

    def expired_at(self, height: int, time_ns: int) -> bool:
        """At or after the expiry (height or time, whichever comes first)."""
        return bool(
            (self.expiry_height and height >= self.expiry_height)
            or (self.expiry_time and time_ns >= self.expiry_time)
        )

    def has_approved(self, account: str) -> bool:
        return any(a.account == account for a in self.approvals)

    def closed(self, status: str, height: int, by: str, preimage: bytes = b"") -> Escrow:
        return replace(self, status=status, closed_height=height, closed_by=by, preimage=preimage)
