"""Messages: the unit of business logic a transaction carries.

Each module defines its message classes in its ``messages.py``: a type URL
(``"bank/transfer"``), a strict parser from the wire map, the inverse, and a
stateless ``validate``. The application routes a message to the handler its
module registered for that class.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from finchain.codec import RawMsg
from finchain.core.fields import Record

KEY_CHANGE = "key_change"
CLOSE = "close"
TRANSFER = "transfer"
OPERATIONS = (KEY_CHANGE, CLOSE, TRANSFER)


@dataclass(frozen=True, slots=True)
class Operation:
    """Something a message does to its signer's account that the account may guard.

    An account's multi-factor rules (docs/multifactor.md) name these kinds:
    ``key_change`` (anything that changes who controls the account), ``close``,
    and ``transfer`` of ``amount`` base units of ``asset`` out of the account.
    """

    kind: str
    asset: str = ""
    amount: int = 0


def tx_operations(msgs: Iterable[Msg]) -> tuple[Operation, ...]:
    """The guarded operations of a whole transaction, in a fixed order.

    Each kind appears once, and transfers are summed per asset over every
    message: a payment split into several messages or outputs is judged by its
    total, so splitting cannot slip under a threshold.
    """
    kinds: set[str] = set()
    totals: dict[str, int] = {}
    for msg in msgs:
        for op in msg.sensitive_operations():
            if op.kind == TRANSFER:
                totals[op.asset] = totals.get(op.asset, 0) + op.amount
            else:
                kinds.add(op.kind)
    ops = [Operation(kind) for kind in kinds]
    ops += [Operation(TRANSFER, asset, amount) for asset, amount in totals.items()]
    return tuple(sorted(ops, key=lambda op: (op.kind, op.asset)))


class Msg(Record):
    """A message: a ``Record`` with a type URL, and what the ante chain must know of it.

    Its fields are declared with ``finchain.core.fields.wire``, which gives it
    ``from_value`` (strict), ``to_value`` and ``to_raw`` (for a transaction).
    """

    __slots__ = ()
    TYPE: ClassVar[str]
    # Asset operations are refused while an account is inside a key-reset lock window
    # (JR/T 0184 13.5.6).
    ASSET_OPERATION: ClassVar[bool] = False
    # Only a passed governance proposal may execute it (an ``exec`` action, signer
    # ``governance``); a transaction carrying it directly is refused by the ante chain.
    GOVERNED: ClassVar[bool] = False

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        """Parse the wire map strictly; raise ErrInvalidMsg naming the bad field."""
        return cls.from_obj(value, what=cls.TYPE)

    def to_value(self) -> dict[str, Any]:
        """The wire map; ``from_value(m.to_value()) == m``."""
        return self.to_obj()

    def to_raw(self) -> RawMsg:
        """This message as a transaction carries it (what the SDK and CLI sign)."""
        return RawMsg(self.TYPE, self.to_value())

    def validate(self) -> None:
        """Stateless checks beyond field types (cross-field rules)."""

    def sensitive_operations(self) -> tuple[Operation, ...]:
        """The guarded operations this message performs on its signer's account (none by default).

        The message declares them itself so that the ante chain can enforce an
        account's multi-factor rules before any handler runs, for messages of
        every module alike. A message that moves value out of its signer's
        account or changes its control must override this.
        """
        return ()


class FieldlessMsg(Msg):
    """A message whose meaning is entirely its type and its signer (close, cancel...)."""
