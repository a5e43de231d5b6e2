"""The bank module's state: the only place its keys are spelled."""

from __future__ import annotations

from finchain.core.collections import (
    STR,
    AmountValue,
    BytesValue,
    Index,
    IndexedMap,
    Map,
    Pair,
    RecordValue,
    StoreKey,
)
from finchain.modules.bank.types import Asset

STORE = StoreKey("bank", b"bank/")

_AMOUNT_BYTES = 16


class Holding:
    """A holding's value: ``(balance, frozen part)``.

    The balance as 16 big-endian bytes, followed by the frozen part (16 more
    bytes) only when something is frozen. One read serves both "how much" and
    "how much may move", which every transfer asks. A zero balance is never
    stored (the keeper deletes it).
    """

    def encode(self, value: tuple[int, int]) -> bytes:
        balance, frozen = value
        data = balance.to_bytes(_AMOUNT_BYTES, "big")
        return data + frozen.to_bytes(_AMOUNT_BYTES, "big") if frozen else data

    def decode(self, raw: bytes) -> tuple[int, int]:
        return int.from_bytes(raw[:_AMOUNT_BYTES], "big"), int.from_bytes(
            raw[_AMOUNT_BYTES:], "big"
        )


ASSETS: Map[str, Asset] = Map(STORE, b"asset/", STR, RecordValue(Asset.from_obj))
"""Asset definitions by symbol."""

SUPPLY: Map[str, int] = Map(STORE, b"supply/", STR, AmountValue())
"""Each asset's supply (absent: 0); always the sum of its holdings."""

PAUSED: Map[str, bytes] = Map(STORE, b"paused/", STR, BytesValue())
"""Assets whose transfers are paused (by a regulatory intervention): symbol -> the reason.

Empty unless an intervention pauses an asset, so it adds nothing to a default genesis.
A transfer checks it with one point read."""

BALANCES: IndexedMap[tuple[str, str], tuple[int, int]] = IndexedMap(
    STORE,
    b"bal/",
    Pair(STR, STR),
    Holding(),
    {"by_asset": Index(b"holder/", STR, lambda key, _value: key[1])},
)
"""Holdings by (account, asset symbol); iterate one account's with ``prefix=(account,)``.

Index ``by_asset`` (since consensus version 2): ``holder/ ‖ asset ‖ (account, asset)``, so
one asset's holders are listed without scanning every holding (a securities module's
holders of record). The index key is the primary key's second part, so it never changes
for a stored holding: an entry is written when a holding appears and deleted with it.
"""
