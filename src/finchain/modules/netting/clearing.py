"""The clearing algorithm: net positions, the shortfall rule, and the settlement transfers.

Pure functions over plain values (no store), so the rule is tested on its own and
every node computes the same result: integers only, members in account-id order,
obligations in submission order.

The shortfall rule (a liquidity-saving "remove and recompute" loop, CPMI 2005
"New developments in large-value payment systems", section 4)::

    while some member m has -net[m] > liquidity[m]:        # a short net debtor
        take the short member with the smallest account id
        remove its most recently submitted obligation as payer that is still in
        update the nets of that obligation's payer and payee

It terminates: each round removes one obligation, and a short member always has
one to remove (it is short only if it pays more than it receives, i.e. it pays
something), so there are at most as many rounds as obligations. Each round costs
O(log members) (a heap of short members with lazy deletion): nets are updated
for the two members touched, never recomputed from scratch.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from finchain.modules.netting.types import PAYEE_CLOSED, PAYER_FROZEN, PAYER_SHORT


@dataclass(frozen=True, slots=True)
class Obligation:
    """One submitted obligation: ``payer`` owes ``payee`` ``amount``.

    ``(batch, index)`` is its id within the cycle: the submit message that carried
    it (numbered from 0 in the order included) and its place in that message.
    The order of ids is the submission order.
    """

    batch: int
    index: int
    payer: str
    payee: str
    amount: int


@dataclass(slots=True)
class Outcome:
    """The result of clearing: each member's net (received - paid) over what remains, and
    the obligations removed, in the order removed, with the reason."""

    nets: dict[str, int]
    removed: list[tuple[Obligation, str]] = field(default_factory=list)
    gross: int = 0

    @property
    def net(self) -> int:
        """The sum of the net debits: what the members must pay in."""
        return sum(-n for n in self.nets.values() if n < 0)


def net_positions(members: Iterable[str], obligations: Iterable[Obligation]) -> dict[str, int]:
    """Each member's received minus paid, by a single pass (the reference computation)."""
    nets = dict.fromkeys(members, 0)
    for ob in obligations:
        nets[ob.payer] -= ob.amount
        nets[ob.payee] += ob.amount
    return nets


def clear(
    members: Sequence[str],
    obligations: Iterable[Obligation],
    liquidity: Mapping[str, int],
    closed: Collection[str] = (),
    frozen: Collection[str] = (),
) -> Outcome:
    """Net ``obligations`` (in submission order) among ``members`` (sorted), applying the
    shortfall rule against ``liquidity`` (each member's spendable balance, 0 if it may not
    pay). Obligations to a member in ``closed`` are removed first (``payee_closed``), then
    those of a payer in ``frozen`` (``payer_frozen``), whatever its net.
    """
    nets = dict.fromkeys(members, 0)
    stacks: dict[str, list[Obligation]] = {m: [] for m in members}
    out = Outcome(nets)
    gross = 0
    for ob in obligations:
        if ob.payee in closed:
            out.removed.append((ob, PAYEE_CLOSED))
            continue
        if ob.payer in frozen:
            out.removed.append((ob, PAYER_FROZEN))
            continue
        nets[ob.payer] -= ob.amount
        nets[ob.payee] += ob.amount
        stacks[ob.payer].append(ob)
        gross += ob.amount
    short = [m for m in members if -nets[m] > liquidity[m]]
    heapq.heapify(short)
    while short:
        member = short[0]
        if -nets[member] <= liquidity[member]:
            heapq.heappop(short)  # no longer short (or a stale duplicate)
            continue
        ob = stacks[member].pop()  # never empty: a short member pays more than it receives
        nets[member] += ob.amount
        nets[ob.payee] -= ob.amount
        gross -= ob.amount
        out.removed.append((ob, PAYER_SHORT))
        if -nets[ob.payee] > liquidity[ob.payee]:
            heapq.heappush(short, ob.payee)
    out.gross = gross
    return out


def pair_transfers(nets: Mapping[str, int]) -> list[tuple[str, str, int]]:
    """Transfers ``(debtor, creditor, amount)`` that move exactly the nets (which sum to 0).

    Net debtors and net creditors, each in account-id order, are paired greedily
    (two pointers): each transfer closes out the debtor or the creditor or both, so
    there are at most debtors + creditors - 1 of them, and no intermediate account.
    """
    debtors = [(m, -n) for m, n in sorted(nets.items()) if n < 0]
    creditors = [(m, n) for m, n in sorted(nets.items()) if n > 0]
    transfers: list[tuple[str, str, int]] = []
    i = j = 0
    owed = debtors[0][1] if debtors else 0
    due = creditors[0][1] if creditors else 0
    while i < len(debtors) and j < len(creditors):
        amount = min(owed, due)
        transfers.append((debtors[i][0], creditors[j][0], amount))
        owed -= amount
        due -= amount
        if owed == 0:
            i += 1
            owed = debtors[i][1] if i < len(debtors) else 0
        if due == 0:
            j += 1
            due = creditors[j][1] if j < len(creditors) else 0
    if i != len(debtors) or j != len(creditors):
        raise ValueError("the nets do not sum to zero")
    return transfers
