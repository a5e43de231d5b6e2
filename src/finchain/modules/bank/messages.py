"""Messages of the bank module. Amounts are canonical decimal strings (see codec.amounts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from finchain.codec import MAX_AMOUNT, parse_amount
from finchain.core.errors import ErrInvalidMsg
from finchain.core.msgs import TRANSFER, Msg, Operation
from finchain.core.schema import expect_fields, get_int, get_list, get_str, get_str_list
from finchain.errors import FinchainError
from finchain.modules.accounts.types import is_account_id
from finchain.modules.bank.types import MAX_DECIMALS, SYMBOL

MAX_OUTPUTS = 64
MAX_AUTHORITIES = 16


def _amount(value: dict[str, Any], name: str) -> int:
    try:
        return parse_amount(value.get(name), field=name)
    except FinchainError as exc:
        raise ErrInvalidMsg(exc.message) from None


def _symbol(value: dict[str, Any], name: str) -> str:
    symbol = get_str(value, name, max_len=16)
    if not SYMBOL.fullmatch(symbol):
        raise ErrInvalidMsg(f"field {name!r}: {symbol!r} is not an asset symbol ({SYMBOL.pattern})")
    return symbol


def _account(value: dict[str, Any], name: str) -> str:
    account = get_str(value, name, max_len=14)
    if not is_account_id(account):
        raise ErrInvalidMsg(f"field {name!r}: {account!r} is not a valid account id")
    return account


def _accounts(value: dict[str, Any], name: str) -> tuple[str, ...]:
    items = get_str_list(value, name, max_items=MAX_AUTHORITIES, max_len=14)
    for item in items:
        if not is_account_id(item):
            raise ErrInvalidMsg(f"field {name!r}: {item!r} is not a valid account id")
    return tuple(sorted(items))


@dataclass(frozen=True, slots=True)
class MsgCreateAsset(Msg):
    """Define an asset issued by the signer; ``minters``/``burners`` default to the issuer."""

    TYPE = "bank/create_asset"
    symbol: str
    name: str
    decimals: int
    max_supply: int
    minters: tuple[str, ...]
    burners: tuple[str, ...]

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(
            value, {"symbol", "name", "decimals", "max_supply", "minters", "burners"}, cls.TYPE
        )
        max_supply_text = value.get("max_supply")
        max_supply = 0 if max_supply_text == "0" else _amount(value, "max_supply")
        return cls(
            _symbol(value, "symbol"),
            get_str(value, "name", max_len=64),
            get_int(value, "decimals", low=0, high=MAX_DECIMALS),
            max_supply,
            _accounts(value, "minters"),
            _accounts(value, "burners"),
        )

    def to_value(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "name": self.name,
            "decimals": self.decimals,
            "max_supply": str(self.max_supply),
            "minters": list(self.minters),
            "burners": list(self.burners),
        }


@dataclass(frozen=True, slots=True)
class MsgMint(Msg):
    TYPE = "bank/mint"
    ASSET_OPERATION = True
    asset: str
    to: str
    amount: int

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"asset", "to", "amount"}, cls.TYPE)
        return cls(_symbol(value, "asset"), _account(value, "to"), _amount(value, "amount"))

    def to_value(self) -> dict[str, Any]:
        return {"asset": self.asset, "to": self.to, "amount": str(self.amount)}


@dataclass(frozen=True, slots=True)
class MsgBurn(Msg):
    """Destroy ``amount`` from the signer's own spendable balance."""

    TYPE = "bank/burn"
    ASSET_OPERATION = True
    asset: str
    amount: int

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"asset", "amount"}, cls.TYPE)
        return cls(_symbol(value, "asset"), _amount(value, "amount"))

    def to_value(self) -> dict[str, Any]:
        return {"asset": self.asset, "amount": str(self.amount)}


@dataclass(frozen=True, slots=True)
class Output:
    to: str
    asset: str
    amount: int


@dataclass(frozen=True, slots=True)
class MsgTransfer(Msg):
    """Pay one or more recipients in one or more assets, all or nothing."""

    TYPE = "bank/transfer"
    ASSET_OPERATION = True
    outputs: tuple[Output, ...]

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"outputs"}, cls.TYPE)
        outputs = []
        for item in get_list(value, "outputs", min_items=1, max_items=MAX_OUTPUTS):
            expect_fields(item, {"to", "asset", "amount"}, "output")
            outputs.append(
                Output(_account(item, "to"), _symbol(item, "asset"), _amount(item, "amount"))
            )
        msg = cls(tuple(outputs))
        msg.validate()
        return msg

    def validate(self) -> None:
        totals: dict[str, int] = {}
        for out in self.outputs:
            totals[out.asset] = totals.get(out.asset, 0) + out.amount
            if totals[out.asset] > MAX_AMOUNT:
                raise ErrInvalidMsg(f"outputs in {out.asset} add up to more than 2^127 - 1")

    def to_value(self) -> dict[str, Any]:
        return {
            "outputs": [
                {"to": o.to, "asset": o.asset, "amount": str(o.amount)} for o in self.outputs
            ]
        }

    def sensitive_operations(self) -> tuple[Operation, ...]:
        """What leaves the signer's account, per asset: the amounts multi-factor rules guard."""
        totals: dict[str, int] = {}
        for out in self.outputs:
            totals[out.asset] = totals.get(out.asset, 0) + out.amount
        return tuple(Operation(TRANSFER, asset, total) for asset, total in sorted(totals.items()))


ALL_MSGS: tuple[type[Msg], ...] = (MsgCreateAsset, MsgMint, MsgBurn, MsgTransfer)
