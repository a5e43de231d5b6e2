"""The accounts module's state: the only place its keys are spelled."""

from __future__ import annotations

from finchain.core.collections import (
    STR,
    U64,
    Index,
    IndexedMap,
    Map,
    RecordValue,
    Sequence,
    StoreKey,
    U64Value,
)
from finchain.modules.accounts.types import Account, PendingReset, account_from_state

STORE = StoreKey("accounts", b"accounts/")

ACCOUNTS: Map[str, Account] = Map(STORE, b"a/", STR, RecordValue(account_from_state, cache=65_536))
"""Every account ever created, by id (closed ones too: an id is never reused)."""

NONCES: Map[str, int] = Map(STORE, b"n/", STR, U64Value())
"""The next nonce each account must sign with (absent: 0)."""

NEXT_NUMBER = Sequence(STORE, b"next", start=1)
"""The number the next account gets (ids are ``account_id(number)``)."""

CLOSED: Map[str, int] = Map(STORE, b"closed/", STR, U64Value())
"""Closed accounts -> the height they closed at: the published list of retired ids."""

RESETS: IndexedMap[str, PendingReset] = IndexedMap(
    STORE,
    b"reset/",
    STR,
    RecordValue(PendingReset.from_obj),
    {"due": Index(b"due/", U64, lambda _account, pending: pending.due)},
)
"""Pending key resets by account, indexed by the height each takes effect at."""
