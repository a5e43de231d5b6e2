"""Event types and constructors of the bank module (attributes in a fixed order).

Every balance change goes through the keeper's two private helpers, which emit
``coin_received`` / ``coin_spent``; so any path that moves money is visible the same way.
"""

from __future__ import annotations

from finchain.core.events import Event

ASSET_CREATED = "asset_created"
TRANSFER = "transfer"
COIN_SPENT = "coin_spent"
COIN_RECEIVED = "coin_received"
MINT = "mint"
BURN = "burn"
AMOUNT_FROZEN = "amount_frozen"
AMOUNT_UNFROZEN = "amount_unfrozen"


def asset_created(symbol: str, issuer: str) -> Event:
    return Event(ASSET_CREATED, (("asset", symbol), ("issuer", issuer)))


def transfer(sender: str, recipient: str, asset: str, amount: int) -> Event:
    return Event(
        TRANSFER,
        (("sender", sender), ("recipient", recipient), ("asset", asset), ("amount", str(amount))),
    )


def coin_spent(account: str, asset: str, amount: int) -> Event:
    return Event(COIN_SPENT, (("account", account), ("asset", asset), ("amount", str(amount))))


def coin_received(account: str, asset: str, amount: int) -> Event:
    return Event(COIN_RECEIVED, (("account", account), ("asset", asset), ("amount", str(amount))))


def mint(minter: str, recipient: str, asset: str, amount: int) -> Event:
    return Event(
        MINT,
        (("minter", minter), ("recipient", recipient), ("asset", asset), ("amount", str(amount))),
    )


def burn(burner: str, asset: str, amount: int) -> Event:
    return Event(BURN, (("burner", burner), ("asset", asset), ("amount", str(amount))))


def amount_frozen(kind: str, account: str, asset: str, amount: int, reason: str) -> Event:
    return Event(
        kind, (("account", account), ("asset", asset), ("amount", str(amount)), ("reason", reason))
    )


ASSET_PAUSED = "asset_paused"
ASSET_RESUMED = "asset_resumed"


def asset_paused(asset: str, paused: bool, reason: str) -> Event:
    return Event(ASSET_PAUSED if paused else ASSET_RESUMED, (("asset", asset), ("reason", reason)))
