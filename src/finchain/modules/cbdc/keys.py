"""The cbdc module's state: the only place its keys are spelled.

- ``CONFIG``: the designated central bank and CBDC asset (absent: not designated).
- ``OPERATORS``: authorised operators by account.
- ``RESERVES``: reserve records by ``(operator, reference)``; removed when fully released.
- ``WALLETS``: wallets by owner account, indexed ``by_operator``.
"""

from __future__ import annotations

from finchain.core.collections import (
    STR,
    Index,
    IndexedMap,
    Item,
    Map,
    Pair,
    RecordValue,
    StoreKey,
)
from finchain.modules.cbdc.types import Config, Operator, Reserve, Wallet

STORE = StoreKey("cbdc", b"cbdc/")

CONFIG: Item[Config] = Item(STORE, b"config", RecordValue(Config.from_obj))
OPERATORS: Map[str, Operator] = Map(STORE, b"op/", STR, RecordValue(Operator.from_obj))
RESERVES: Map[tuple[str, str], Reserve] = Map(
    STORE, b"res/", Pair(STR, STR), RecordValue(Reserve.from_obj)
)
WALLETS: IndexedMap[str, Wallet] = IndexedMap(
    STORE,
    b"w/",
    STR,
    RecordValue(Wallet.from_obj),
    {"by_operator": Index(b"wop/", STR, lambda _owner, w: w.operator)},
)
