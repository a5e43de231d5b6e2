"""Messages: the unit of business logic a transaction carries.

Each module defines its message classes in its ``messages.py``: a type URL
(``"bank/transfer"``), a strict parser from the wire map, the inverse, and a
stateless ``validate``. The application routes a message to the handler its
module registered for that class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Self

from finchain.app.schema import expect_fields


class Msg(ABC):
    TYPE: ClassVar[str]
    # Asset operations are refused while an account is inside a key-reset lock window
    # (JR/T 0184 13.5.6).
    ASSET_OPERATION: ClassVar[bool] = False
    # Only a passed governance proposal may execute it (an ``exec`` action, signer
    # ``governance``); a transaction carrying it directly is refused by the ante chain.
    GOVERNED: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        """Parse the wire map strictly; raise ErrInvalidMsg naming the bad field."""

    @abstractmethod
    def to_value(self) -> dict[str, Any]:
        """The wire map; ``from_value(m.to_value()) == m``."""

    def validate(self) -> None:  # noqa: B027 - most messages are fully checked by from_value
        """Stateless checks beyond field types (cross-field rules)."""


class FieldlessMsg(Msg):
    """A message whose meaning is entirely its type and its signer (close, cancel...)."""

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, set(), cls.TYPE)
        return cls()

    def to_value(self) -> dict[str, Any]:
        return {}
