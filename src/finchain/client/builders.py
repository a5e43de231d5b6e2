"""Message builders and transaction signing for clients (SDK, CLI, tests, benchmarks).

Builders produce the wire form of each message; the chain parses and checks it
again, so a builder is a convenience, never a trust boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from finchain.codec import RawMsg, TxBody, sign_tx
from finchain.crypto import PrivateKey
from finchain.modules.accounts import messages as acc
from finchain.modules.accounts.types import AccountKey, KeyPolicy
from finchain.modules.bank import messages as bank


def key_of(key_id: str, private_key: PrivateKey, weight: int = 1) -> AccountKey:
    public = private_key.public_key()
    return AccountKey(key_id, public.scheme, public.data, weight)


def policy(keys: Sequence[AccountKey], threshold: int = 1) -> KeyPolicy:
    return KeyPolicy(tuple(sorted(keys, key=lambda k: k.id)), threshold)


def create_account(key_policy: KeyPolicy, recovery: str = "") -> RawMsg:
    return RawMsg(acc.MsgCreateAccount.TYPE, {"policy": key_policy.to_obj(), "recovery": recovery})


def add_key(key: AccountKey) -> RawMsg:
    return RawMsg(acc.MsgAddKey.TYPE, {"key": key.to_obj()})


def remove_key(key_id: str) -> RawMsg:
    return RawMsg(acc.MsgRemoveKey.TYPE, {"key_id": key_id})


def rotate_key(key_id: str, private_key: PrivateKey) -> RawMsg:
    public = private_key.public_key()
    return RawMsg(
        acc.MsgRotateKey.TYPE,
        {"key_id": key_id, "scheme": public.scheme, "public_key": public.data},
    )


def set_threshold(threshold: int) -> RawMsg:
    return RawMsg(acc.MsgSetThreshold.TYPE, {"threshold": threshold})


def set_recovery(recovery: str) -> RawMsg:
    return RawMsg(acc.MsgSetRecovery.TYPE, {"recovery": recovery})


def initiate_reset(account: str, key_policy: KeyPolicy) -> RawMsg:
    return RawMsg(acc.MsgInitiateReset.TYPE, {"account": account, "policy": key_policy.to_obj()})


def cancel_reset() -> RawMsg:
    return RawMsg(acc.MsgCancelReset.TYPE, {})


def close_account() -> RawMsg:
    return RawMsg(acc.MsgCloseAccount.TYPE, {})


def create_asset(
    symbol: str,
    name: str,
    decimals: int,
    *,
    max_supply: int = 0,
    minters: Sequence[str] = (),
    burners: Sequence[str] = (),
) -> RawMsg:
    return RawMsg(
        bank.MsgCreateAsset.TYPE,
        {
            "symbol": symbol,
            "name": name,
            "decimals": decimals,
            "max_supply": str(max_supply),
            "minters": list(minters),
            "burners": list(burners),
        },
    )


def mint(asset: str, to: str, amount: int) -> RawMsg:
    return RawMsg(bank.MsgMint.TYPE, {"asset": asset, "to": to, "amount": str(amount)})


def burn(asset: str, amount: int) -> RawMsg:
    return RawMsg(bank.MsgBurn.TYPE, {"asset": asset, "amount": str(amount)})


def transfer(*outputs: tuple[str, str, int]) -> RawMsg:
    """``transfer((to, asset, amount), ...)``: one message paying every output."""
    return RawMsg(
        bank.MsgTransfer.TYPE,
        {
            "outputs": [
                {"to": to, "asset": asset, "amount": str(amount)} for to, asset, amount in outputs
            ]
        },
    )


@dataclass
class Signer:
    """An account and the keys this client holds for it; tracks the next nonce locally."""

    chain_id: str
    account: str
    keys: list[tuple[str, PrivateKey]]
    nonce: int = 0

    def sign(
        self, *msgs: RawMsg, memo: str = "", expiry: int = 0, nonce: int | None = None
    ) -> bytes:
        """Sign ``msgs`` as one transaction with every held key; advances the local nonce."""
        use = self.nonce if nonce is None else nonce
        body = TxBody(self.chain_id, self.account, use, tuple(msgs), memo, expiry)
        raw = sign_tx(body, [(key_id, key.sign) for key_id, key in self.keys])
        if nonce is None:
            self.nonce += 1
        return raw
