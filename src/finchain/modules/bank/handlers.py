"""One thin function per message: check authority, call the keeper."""

from __future__ import annotations

from collections.abc import Mapping

from finchain.core.context import Context
from finchain.core.module import KeeperHandler
from finchain.core.msgs import Msg
from finchain.modules.bank.errors import ErrInvalidAsset, ErrNotBurner, ErrNotMinter
from finchain.modules.bank.keeper import BankKeeper
from finchain.modules.bank.messages import MsgBurn, MsgCreateAsset, MsgMint, MsgTransfer
from finchain.modules.bank.types import Asset


def create_asset(keeper: BankKeeper, ctx: Context, msg: MsgCreateAsset) -> None:
    issuer = ctx.signer
    minters = msg.minters or (issuer,)
    burners = msg.burners or (issuer,)
    for authority in (*minters, *burners):
        if not keeper.is_active_account(ctx, authority):
            raise ErrInvalidAsset(f"minter/burner {authority} does not exist or is not active")
    asset = Asset(msg.symbol, msg.name, msg.decimals, msg.max_supply, issuer, minters, burners)
    keeper.create_asset(ctx, asset)


def mint(keeper: BankKeeper, ctx: Context, msg: MsgMint) -> None:
    asset = keeper.require_asset(ctx.store, msg.asset)
    if ctx.signer not in asset.minters:
        raise ErrNotMinter(f"account {ctx.signer} is not a minter of {asset.symbol}")
    keeper.mint(ctx, ctx.signer, msg.to, asset, msg.amount)


def burn(keeper: BankKeeper, ctx: Context, msg: MsgBurn) -> None:
    asset = keeper.require_asset(ctx.store, msg.asset)
    if ctx.signer not in asset.burners:
        raise ErrNotBurner(f"account {ctx.signer} is not a burner of {asset.symbol}")
    keeper.burn(ctx, ctx.signer, asset, msg.amount)


def transfer(keeper: BankKeeper, ctx: Context, msg: MsgTransfer) -> None:
    for out in msg.outputs:
        keeper.transfer(ctx, ctx.signer, out.to, out.asset, out.amount)


HANDLERS: Mapping[type[Msg], KeeperHandler] = {
    MsgCreateAsset: create_asset,
    MsgMint: mint,
    MsgBurn: burn,
    MsgTransfer: transfer,
}
