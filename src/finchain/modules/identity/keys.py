"""The identity module's state: the only place its keys are spelled.

DIDs are keyed by their counter value (8 bytes big-endian), so key order is
creation order. The current version of a DID lives in ``DIDS``; each
superseded version moves to ``VERSIONS`` under ``(number, version)`` when the
next one is written, so history costs one copy per change and a past version
is one read. The controller-account index of ``DIDS`` and the DID index of
``BINDINGS`` are kept in step with their maps by the collections.
"""

from __future__ import annotations

from finchain.core.collections import (
    STR,
    U64,
    Index,
    IndexedMap,
    Map,
    Pair,
    RecordValue,
    Sequence,
    StoreKey,
)
from finchain.modules.identity.types import Binding, DidRecord

PREFIX = b"identity/"
STORE = StoreKey("identity", PREFIX)

BY_CONTROLLER = "controller"
BY_DID = "did"

NEXT_NUMBER = Sequence(STORE, b"next")
"""The number the next DID gets (1, 2, …; a number is never reassigned)."""

DIDS: IndexedMap[int, DidRecord] = IndexedMap(
    STORE,
    b"did/",
    U64,
    RecordValue(DidRecord.from_obj),
    {BY_CONTROLLER: Index(b"ctl/", STR, lambda _number, r: r.controller_account)},
)
"""DID number -> its current version; indexed by controller account (deactivated DIDs too)."""

VERSIONS: Map[tuple[int, int], DidRecord] = Map(
    STORE, b"ver/", Pair(U64, U64), RecordValue(DidRecord.from_obj)
)
"""(DID number, version) -> each superseded version, kept for ever."""

BINDINGS: IndexedMap[str, Binding] = IndexedMap(
    STORE,
    b"bind/",
    STR,
    RecordValue(Binding.from_obj),
    {BY_DID: Index(b"bound/", U64, lambda _account, b: b.number)},
)
"""account -> the DID it is bound to (one at most); indexed by DID number, in account order."""
