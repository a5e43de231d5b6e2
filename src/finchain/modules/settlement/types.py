"""Settlement instructions, their legs and endorsements, and the record the chain keeps.

The ``Instruction`` is what every party agrees to: the same record is endorsed
by each payer (one transaction, ``settlement/settle``) or submitted by both
counterparties (matching, ``settlement/instruct``), so its canonical encoding is
the thing signed and the thing matched. Amounts are integers in the asset's
base units; a partial settlement moves whole lots, so no amount is ever rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finchain.codec import encode
from finchain.core.fields import (
    HEIGHT,
    TIME_NS,
    Amount,
    Blob,
    Integer,
    ListOf,
    Nested,
    OneOf,
    Record,
    Text,
    wire,
)
from finchain.core.msgs import TRANSFER, Operation
from finchain.modules.accounts.types import ACCOUNT, KEY_NAME
from finchain.modules.bank.types import ASSET_SYMBOL
from finchain.modules.settlement.errors import (
    ErrBadLeg,
    ErrBadLots,
    ErrBadSchedule,
    ErrKindMismatch,
    ErrTooManyLegs,
)

MAX_LEGS = 16
MAX_LOTS = 1_000_000
MAX_ENDORSEMENTS = MAX_LEGS
ENDORSE_DOMAIN = b"finchain/settlement/v1\x00"

#: The settlement window: a deadline at most this many blocks (about a year of 1 s
#: blocks) or nanoseconds (365 days) after the block that receives the instruction.
MAX_WINDOW_BLOCKS = 31_536_000
MAX_WINDOW_NS = 365 * 24 * 3600 * 10**9
#: Open instructions an account may have authorised at once (submitted, endorsed or matched).
MAX_OPEN_PER_ACCOUNT = 1_000
#: A pending instruction is retried 1, 2, 4, ... blocks after each attempt that settled
#: nothing, at most this many blocks apart (docs/finance/settlement.md, "Recycling").
MAX_RETRY_INTERVAL = 64

DVP, PVP, DVD, FOP = "dvp", "pvp", "dvd", "fop"
KINDS = (DVP, PVP, DVD, FOP)

# Lifecycle (docs/finance/settlement.md): the open states, then the final ones.
UNMATCHED = "unmatched"
MATCHED = "matched"
PENDING = "pending"
PARTIAL = "partially_settled"
SETTLED = "settled"
CANCELLED = "cancelled"
EXPIRED = "expired"
FAILED = "failed"
OPEN = (UNMATCHED, MATCHED, PENDING, PARTIAL)
FINAL = (SETTLED, CANCELLED, EXPIRED, FAILED)

#: A trade reference, like an ISO 20022 Max35Text transaction identification.
REFERENCE = Text(
    max_len=35,
    pattern=r"[A-Za-z0-9][A-Za-z0-9/._:-]{0,34}",
    what="a reference of 1 to 35 letters, digits and / . _ : -",
)
INSTRUCTION_ID = Integer(low=1, high=2**63 - 1)
LOTS = Integer(low=1, high=MAX_LOTS)
MIN_LOTS = Integer(low=0, high=MAX_LOTS)


@dataclass(frozen=True, slots=True)
class Leg(Record):
    """``amount`` of ``asset`` from ``sender`` to ``recipient`` (base units)."""

    WHAT = "leg"
    sender: str = wire(ACCOUNT)
    recipient: str = wire(ACCOUNT)
    asset: str = wire(ASSET_SYMBOL)
    # "0" decodes so that it is refused with the module's own code (settlement:4).
    amount: int = wire(Amount(zero=True))

    def check(self) -> None:
        if self.amount == 0:
            raise ErrBadLeg(f"a leg of {self.asset} moves 0: give each leg a positive amount")
        if self.sender == self.recipient:
            raise ErrBadLeg(f"a leg from {self.sender} to itself moves nothing: remove it")


@dataclass(frozen=True, slots=True)
class Instruction(Record):
    """What the parties agree to settle, all legs or none (or whole lots, see ``min_lots``).

    ``submitter`` is the account that sends it in ``settlement/settle`` (in matching,
    both sides send the same record and it is matched like every other field). The
    settlement date is a height (``settle_height``) or a block time
    (``settle_time_ns``), or neither (as soon as authorised); the deadline is one
    of ``deadline_height`` / ``deadline_time_ns``. ``lots`` divides every leg;
    ``min_lots`` > 0 allows partial settlement of at least that many lots at a time.
    """

    WHAT = "instruction"
    reference: str = wire(REFERENCE)
    kind: str = wire(OneOf(*KINDS))
    legs: tuple[Leg, ...] = wire(ListOf(Nested(Leg), min_items=1, max_items=64))
    # The one account whose transaction may carry the endorsements (``settlement/settle``):
    # signed with the rest, so an endorsement authorises that submitter and no other.
    submitter: str = wire(ACCOUNT)
    settle_height: int = wire(HEIGHT, default=0)
    settle_time_ns: int = wire(TIME_NS, default=0)
    deadline_height: int = wire(HEIGHT, default=0)
    deadline_time_ns: int = wire(TIME_NS, default=0)
    lots: int = wire(LOTS, default=1)
    min_lots: int = wire(MIN_LOTS, default=0)

    def check(self) -> None:
        if len(self.legs) > MAX_LEGS:
            raise ErrTooManyLegs(
                f"{len(self.legs)} legs; an instruction holds at most {MAX_LEGS}: split it"
            )
        self._check_schedule()
        self._check_lots()
        check_kind(self.kind, self.legs)

    def _check_schedule(self) -> None:
        if bool(self.deadline_height) == bool(self.deadline_time_ns):
            raise ErrBadSchedule("give exactly one deadline: deadline_height or deadline_time_ns")
        if self.settle_height and self.settle_time_ns:
            raise ErrBadSchedule("give at most one settlement date: a height or a time")
        if self.deadline_height and self.settle_height > self.deadline_height:
            raise ErrBadSchedule(
                f"settlement height {self.settle_height} is after the deadline "
                f"{self.deadline_height}"
            )
        if self.deadline_time_ns and self.settle_time_ns > self.deadline_time_ns:
            raise ErrBadSchedule("the settlement time is after the deadline time")

    def _check_lots(self) -> None:
        if self.min_lots and not self.min_lots < self.lots:
            raise ErrBadLots(
                f"min_lots {self.min_lots} must be below lots {self.lots} (0: no partials)"
            )
        for leg in self.legs:
            if leg.amount % self.lots:
                raise ErrBadLots(
                    f"the {leg.asset} leg of {leg.amount} is not a whole number of the "
                    f"{self.lots} lots: make every amount a multiple of lots"
                )

    @property
    def parties(self) -> tuple[str, ...]:
        """Every account on a leg, sorted."""
        return tuple(
            sorted({leg.sender for leg in self.legs} | {leg.recipient for leg in self.legs})
        )

    @property
    def payers(self) -> tuple[str, ...]:
        return tuple(sorted({leg.sender for leg in self.legs}))

    @property
    def partial_allowed(self) -> bool:
        return self.min_lots > 0

    def outflows(self, account: str) -> tuple[Operation, ...]:
        """What leaves ``account`` on its legs, per asset: what its multi-factor rules guard."""
        return outflows(self.legs, {account})

    def sign_bytes(self, chain_id: str) -> bytes:
        """What an endorser signs: a domain, the chain id and the canonical instruction."""
        return endorse_bytes(chain_id, self)


def lot_amount(amount: int, lots: int, count: int) -> int:
    """What ``count`` of ``lots`` lots of a leg of ``amount`` move: exactly amount × count / lots.

    ``Instruction.check`` makes every amount a multiple of ``lots``, so the division is
    exact: partial settlement never rounds, and the lots of a leg add up to its amount.
    """
    return amount // lots * count


def outflows(legs: tuple[Leg, ...], senders: set[str] | frozenset[str]) -> tuple[Operation, ...]:
    """Transfers out of ``senders`` on ``legs``, summed per asset, in asset order."""
    totals: dict[str, int] = {}
    for leg in legs:
        if leg.sender in senders:
            totals[leg.asset] = totals.get(leg.asset, 0) + leg.amount
    return tuple(Operation(TRANSFER, asset, total) for asset, total in sorted(totals.items()))


def endorse_bytes(chain_id: str, instruction: Instruction) -> bytes:
    return endorse_bytes_of(chain_id, instruction.to_obj())


def endorse_bytes_of(chain_id: str, instruction: dict[str, Any]) -> bytes:
    """The sign-bytes of an instruction's wire map: a domain, then the canonical encoding of
    ``{"chain_id", "instruction"}`` (the domain keeps it apart from anything else a key signs,
    the chain id from another chain)."""
    return ENDORSE_DOMAIN + encode({"chain_id": chain_id, "instruction": instruction})


def check_kind(kind: str, legs: tuple[Leg, ...]) -> None:
    """The declared kind against the shape of the legs (ErrKindMismatch).

    Free of payment: no party both delivers and receives. DvP, PvP and DvD are
    exchanges: every party delivers and receives, never the same asset both ways,
    and at least two assets change hands. Which assets are cash and which are
    securities the ledger does not record, so those three are told apart by the
    parties' declaration (ISO 15022/20022 settlement transaction condition).
    """
    pays: dict[str, set[str]] = {}
    gets: dict[str, set[str]] = {}
    for leg in legs:
        pays.setdefault(leg.sender, set()).add(leg.asset)
        gets.setdefault(leg.recipient, set()).add(leg.asset)
    if kind == FOP:
        both = sorted(pays.keys() & gets.keys())
        if both:
            raise ErrKindMismatch(
                f"free of payment, but {both[0]} both delivers and receives: declare dvp, pvp "
                "or dvd for an exchange"
            )
        return
    for party in sorted(pays.keys() | gets.keys()):
        if party not in pays or party not in gets:
            raise ErrKindMismatch(
                f"{kind} is an exchange, but {party} only "
                f"{'receives' if party not in pays else 'delivers'}: declare fop, or add its leg"
            )
        same = sorted(pays[party] & gets[party])
        if same:
            raise ErrKindMismatch(f"{party} both delivers and receives {same[0]}: net the legs")
    if len({leg.asset for leg in legs}) < 2:
        raise ErrKindMismatch(f"{kind} exchanges two assets at least; these legs move one")


@dataclass(frozen=True, slots=True)
class KeySignature(Record):
    WHAT = "signature"
    key: str = wire(KEY_NAME)
    sig: bytes = wire(Blob(max_len=128))


@dataclass(frozen=True, slots=True)
class Endorsement(Record):
    """An account's signatures over ``endorse_bytes(chain_id, instruction)``."""

    WHAT = "endorsement"
    account: str = wire(ACCOUNT)
    signatures: tuple[KeySignature, ...] = wire(
        ListOf(Nested(KeySignature), min_items=1, max_items=64)
    )


@dataclass(frozen=True, slots=True)
class Settlement(Record):
    """An instruction as the chain holds it: its status, who authorised it, what settled.

    ``signers`` are the accounts that authorised it (the submitter and the
    endorsers, or both matched sides), sorted; a matched or authorised one is
    cancelled only when all of them ask (``cancel_requests``). ``reason`` is the
    last reason it could not settle. A pending or partially settled one is next
    retried at ``retry_height``; ``retry_interval`` is the gap that led there (it
    doubles after each attempt that settles nothing, up to ``MAX_RETRY_INTERVAL``).
    """

    WHAT = "settlement"
    id: int = wire(INSTRUCTION_ID)
    instruction: Instruction = wire(Nested(Instruction))
    signers: tuple[str, ...] = wire(ListOf(ACCOUNT, min_items=1, max_items=MAX_LEGS * 2 + 1))
    status: str = wire(OneOf(*OPEN, *FINAL))
    created: int = wire(HEIGHT)
    updated: int = wire(HEIGHT)
    settled_lots: int = wire(MIN_LOTS, default=0)
    reason: str = wire(Text(max_len=512, allow_empty=True), default="")
    cancel_requests: tuple[str, ...] = wire(ListOf(ACCOUNT, max_items=MAX_LEGS * 2 + 1), default=())
    retry_height: int = wire(HEIGHT, default=0)
    retry_interval: int = wire(Integer(low=0, high=MAX_RETRY_INTERVAL), default=0)

    def summary(self) -> dict[str, Any]:
        """The JSON form, with the remaining lots spelled out for a reader."""
        out = self.to_json()
        out.setdefault("reason", "")
        out["remaining_lots"] = self.instruction.lots - self.settled_lots
        return out
