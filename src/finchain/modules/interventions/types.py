"""Interventions and the officer set: the records the chain keeps, declared once.

Other modules may import this file (the import contract allows ``types``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
from finchain.crypto import HASH_NAMES
from finchain.modules.accounts.types import ACCOUNT, ACCOUNT_OR_NONE
from finchain.modules.interventions.errors import (
    ErrBadDeadline,
    ErrBadIntervention,
    ErrNoCourtOrder,
)

MAX_OFFICERS = 32
MAX_ID = 2**63 - 1
ORDER_BYTES = 32
"""A court order is referenced by a 32-byte digest (sm3 or sha256) of the document."""

# Kinds. The first three hold something until lifted; the rest act once.
FREEZE_ACCOUNT = "freeze_account"
FREEZE_AMOUNT = "freeze_amount"
PAUSE_ASSET = "pause_asset"
UNFREEZE_ACCOUNT = "unfreeze_account"
UNFREEZE_AMOUNT = "unfreeze_amount"
RESUME_ASSET = "resume_asset"
FORCED_TRANSFER = "forced_transfer"
HOLDING_KINDS = (FREEZE_ACCOUNT, FREEZE_AMOUNT, PAUSE_ASSET)
KINDS = (*HOLDING_KINDS, UNFREEZE_ACCOUNT, UNFREEZE_AMOUNT, RESUME_ASSET, FORCED_TRANSFER)
UNDOES = {
    UNFREEZE_ACCOUNT: FREEZE_ACCOUNT,
    UNFREEZE_AMOUNT: FREEZE_AMOUNT,
    RESUME_ASSET: PAUSE_ASSET,
}
"""Each undoing kind names (``target``) an intervention of the kind it undoes."""

# Statuses.
PROPOSED = "proposed"  # awaiting approvals
IN_EFFECT = "in_effect"  # a freeze or pause that holds
DONE = "done"  # a one-shot action that has run
LIFTED = "lifted"  # a freeze or pause that ended (expiry or an undoing intervention)
LAPSED = "lapsed"  # not approved by its deadline
STATUSES = (PROPOSED, IN_EFFECT, DONE, LIFTED, LAPSED)

HASH_ALG = OneOf("", *HASH_NAMES)
ORDER_HASH = Blob(max_len=ORDER_BYTES)
LEGAL_BASIS = Text(max_len=256)
KIND = OneOf(*KINDS)
INTERVENTION_ID = Integer(low=1, high=MAX_ID)
TARGET_ID = Integer(low=0, high=MAX_ID)
AMOUNT_OR_ZERO = Amount(zero=True)
ASSET_OR_NONE = Text(max_len=16, allow_empty=True)
"""An asset symbol, or "" for kinds that name none (checked against the bank)."""
OFFICERS = ListOf(ACCOUNT, max_items=MAX_OFFICERS, unique=True, sort=True)


@dataclass(frozen=True, slots=True)
class Officers(Record):
    """The authorised officers and how many of them must approve an intervention."""

    WHAT = "officers"
    officers: tuple[str, ...] = wire(OFFICERS, default=())
    threshold: int = wire(Integer(low=0, high=MAX_OFFICERS), default=0)


@dataclass(frozen=True, slots=True)
class Approval(Record):
    WHAT = "approval"
    officer: str = wire(ACCOUNT)
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)


@dataclass(frozen=True, slots=True)
class Intervention(Record):
    """One intervention from its proposal to its end; never deleted.

    ``account`` is the affected account (the payer of a forced transfer); ``to``
    the recipient of a forced transfer; ``target`` the intervention an undoing
    kind undoes. ``held`` is what a ``freeze_amount`` still holds frozen (its
    amount less what undoing interventions released). ``threshold`` is the
    number of approvals it needed, fixed when proposed.
    """

    WHAT = "intervention"
    id: int = wire(INTERVENTION_ID)
    kind: str = wire(KIND)
    proposer: str = wire(ACCOUNT)
    account: str = wire(ACCOUNT_OR_NONE)
    to: str = wire(ACCOUNT_OR_NONE)
    asset: str = wire(ASSET_OR_NONE)
    amount: int = wire(AMOUNT_OR_ZERO)
    target: int = wire(TARGET_ID)
    order_hash_alg: str = wire(HASH_ALG)
    order_hash: bytes = wire(ORDER_HASH)
    legal_basis: str = wire(LEGAL_BASIS)
    expiry_height: int = wire(HEIGHT)
    expiry_time: int = wire(TIME_NS)
    deadline_height: int = wire(HEIGHT)
    threshold: int = wire(Integer(low=1, high=MAX_OFFICERS))
    approvals: tuple[Approval, ...] = wire(ListOf(Nested(Approval), max_items=MAX_OFFICERS))
    status: str = wire(OneOf(*STATUSES))
    held: int = wire(AMOUNT_OR_ZERO)
    proposed_height: int = wire(HEIGHT)
    executed_height: int = wire(HEIGHT)
    closed_height: int = wire(HEIGHT)
    closed_by: str = wire(Text(max_len=32, allow_empty=True))

    def has_approved(self, officer: str) -> bool:
        return any(a.officer == officer for a in self.approvals)

    def with_status(self, status: str, height: int, by: str = "") -> Intervention:
        return replace(self, status=status, closed_height=height, closed_by=by)


def check_draft(
    kind: str,
    account: str,
    to: str,
    asset: str,
    amount: int,
    target: int,
    order_hash_alg: str,
    order_hash: bytes,
    expiry_height: int,
    expiry_time: int,
) -> None:
    """The rules of an intervention's terms that need no state (the keeper runs them).

    Each kind names exactly the fields it acts on (the rest empty or 0), so a
    stored intervention says what it did and nothing else. A court order is
    referenced by its algorithm and 32-byte digest together; a forced transfer
    must carry one. Only freezes and pauses may expire.
    """
    if bool(order_hash_alg) != bool(order_hash) or (order_hash and len(order_hash) != ORDER_BYTES):
        raise ErrBadIntervention(
            f"give order_hash_alg and a {ORDER_BYTES}-byte order_hash together, or neither"
        )
    if kind == FORCED_TRANSFER and not order_hash:
        raise ErrNoCourtOrder(
            "a forced transfer must name the court order (order_hash_alg and order_hash)"
        )
    wanted = _FIELDS[kind]
    given = {
        "account": bool(account),
        "to": bool(to),
        "asset": bool(asset),
        "amount": bool(amount),
        "target": bool(target),
    }
    for field, present in given.items():
        if present != (field in wanted):
            needs = ", ".join(wanted)
            raise ErrBadIntervention(f"a {kind} intervention takes exactly these fields: {needs}")
    if kind == FORCED_TRANSFER and account == to:
        raise ErrBadIntervention("a forced transfer must move the asset to another account")
    if (expiry_height or expiry_time) and kind not in HOLDING_KINDS:
        raise ErrBadDeadline(f"a {kind} acts once and cannot expire: leave the expiry at 0")


_FIELDS = {
    FREEZE_ACCOUNT: ("account",),
    FREEZE_AMOUNT: ("account", "asset", "amount"),
    PAUSE_ASSET: ("asset",),
    UNFREEZE_ACCOUNT: ("target",),
    UNFREEZE_AMOUNT: ("target", "amount"),
    RESUME_ASSET: ("target",),
    FORCED_TRANSFER: ("account", "to", "asset", "amount"),
}
