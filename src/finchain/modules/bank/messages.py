"""Messages of the bank module: each field declared once (``finchain.core.fields``).

Amounts are canonical decimal strings on the wire (see ``codec.amounts``).
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.codec import MAX_AMOUNT
from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import AMOUNT, ListOf, Nested, Record, wire
from finchain.core.msgs import TRANSFER, Msg, Operation
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.bank.types import ASSET_NAME, ASSET_SYMBOL, AUTHORITIES, DECIMALS, MAX_SUPPLY

MAX_OUTPUTS = 64


@dataclass(frozen=True, slots=True)
class MsgCreateAsset(Msg):
    """Define an asset issued by the signer; ``minters``/``burners`` default to the issuer."""

    TYPE = "bank/create_asset"
    symbol: str = wire(ASSET_SYMBOL)
    name: str = wire(ASSET_NAME)
    decimals: int = wire(DECIMALS)
    max_supply: int = wire(MAX_SUPPLY)
    minters: tuple[str, ...] = wire(AUTHORITIES)
    burners: tuple[str, ...] = wire(AUTHORITIES)


@dataclass(frozen=True, slots=True)
class MsgMint(Msg):
    TYPE = "bank/mint"
    ASSET_OPERATION = True
    asset: str = wire(ASSET_SYMBOL)
    to: str = wire(ACCOUNT)
    amount: int = wire(AMOUNT)


@dataclass(frozen=True, slots=True)
class MsgBurn(Msg):
    """Destroy ``amount`` from the signer's own spendable balance."""

    TYPE = "bank/burn"
    ASSET_OPERATION = True
    asset: str = wire(ASSET_SYMBOL)
    amount: int = wire(AMOUNT)


@dataclass(frozen=True, slots=True)
class Output(Record):
    WHAT = "output"
    to: str = wire(ACCOUNT)
    asset: str = wire(ASSET_SYMBOL)
    amount: int = wire(AMOUNT)


@dataclass(frozen=True, slots=True)
class MsgTransfer(Msg):
    """Pay one or more recipients in one or more assets, all or nothing."""

    TYPE = "bank/transfer"
    ASSET_OPERATION = True
    outputs: tuple[Output, ...] = wire(ListOf(Nested(Output), min_items=1, max_items=MAX_OUTPUTS))

    def check(self) -> None:
        """Per asset, the outputs add up to an amount (at most 2^127 - 1)."""
        totals: dict[str, int] = {}
        for out in self.outputs:
            totals[out.asset] = totals.get(out.asset, 0) + out.amount
            if totals[out.asset] > MAX_AMOUNT:
                raise ErrInvalidMsg(f"outputs in {out.asset} add up to more than 2^127 - 1")

    def sensitive_operations(self) -> tuple[Operation, ...]:
        """What leaves the signer's account, per asset: the amounts multi-factor rules guard."""
        totals: dict[str, int] = {}
        for out in self.outputs:
            totals[out.asset] = totals.get(out.asset, 0) + out.amount
        return tuple(Operation(TRANSFER, asset, total) for asset, total in sorted(totals.items()))


ALL_MSGS: tuple[type[Msg], ...] = (MsgCreateAsset, MsgMint, MsgBurn, MsgTransfer)
