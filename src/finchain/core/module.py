"""The shape every module presents to the application (STYLE.md §1, §5).

A module is a package; its ``module.py`` defines one class deriving from
``BaseModule`` that names the module, its store key, its consensus version and
its parts. The application knows modules only through this interface; the
composition root (``finchain.chain``) lists them, in order.

What the application does with each part:

- ``msg_handlers`` / ``queries``: routed by message type and query path (a
  ``KeeperModule`` binds its ``handlers.py`` and ``queries.py`` tables to its keeper);
- ``default_genesis`` / ``validate_genesis`` / ``init_genesis`` / ``export_genesis``:
  InitChain and export; ``export_genesis`` of a chain fed back to ``init_genesis``
  of a fresh one gives the same state, entry for entry (``parse_genesis`` reads a
  section as its declared record, ``genesis_errors`` gives any refusal the module's code);
- ``begin_block`` / ``end_block``: before and after a block's transactions, in
  module order (due work: expiries, queued executions, upgrades);
- ``invariants``: checked after genesis and by tests after every block;
- ``consensus_version`` / ``migrations``: a module whose state layout or rules
  change gets a new version and a migration from each older one; an upgrade runs
  them (``finchain.app.upgrade``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from finchain.core.collections import StoreKey
from finchain.core.context import Context
from finchain.core.errors import ErrBadGenesis
from finchain.core.fields import Record
from finchain.core.kv import KVReader
from finchain.core.msgs import Msg
from finchain.errors import ErrorCode, FinchainError

__all__ = [
    "BaseModule",
    "Handler",
    "Invariant",
    "KeeperHandler",
    "KeeperModule",
    "KeeperQuery",
    "Migration",
    "Module",
    "Query",
    "first_id_out_of_order",
    "genesis_errors",
    "parse_genesis",
]

Handler = Callable[[Context, Any], None]
Invariant = Callable[[KVReader], str | None]
Query = Callable[[KVReader, dict[str, Any]], Any]
KeeperHandler = Callable[[Any, Context, Any], None]
"""A function of a module's ``handlers.py``: ``f(keeper, ctx, msg)``."""
KeeperQuery = Callable[[Any, KVReader, dict[str, Any]], Any]
"""A function of a module's ``queries.py``: ``f(view, reader, params)``."""
K = TypeVar("K")
R = TypeVar("R", bound=Record)
Migration = Callable[[Context], None]
"""Rewrite a module's state from one consensus version to the next (in the upgrade block)."""


class Module(Protocol):
    name: str
    store_key: StoreKey
    consensus_version: int

    def msg_handlers(self) -> Mapping[type[Msg], Handler]: ...

    def queries(self) -> Mapping[str, Query]: ...

    def default_genesis(self) -> dict[str, Any]: ...

    def validate_genesis(self, state: dict[str, Any]) -> None: ...

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None: ...

    def export_genesis(self, reader: KVReader) -> dict[str, Any]: ...

    def invariants(self) -> Sequence[tuple[str, Invariant]]: ...

    def begin_block(self, ctx: Context) -> None: ...

    def end_block(self, ctx: Context) -> None: ...

    def migrations(self) -> Mapping[int, Migration]: ...


class BaseModule:
    """Defaults for the optional parts: no messages, queries, hooks, invariants or migrations.

    A subclass sets ``name``, ``store_key`` and ``consensus_version`` and
    overrides what it has. ``validate_genesis`` must be overridden by a module
    whose genesis section is not empty: the default accepts only the default.
    """

    name: str
    store_key: StoreKey
    consensus_version: int = 1

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        return {}

    def queries(self) -> Mapping[str, Query]:
        return {}

    def default_genesis(self) -> dict[str, Any]:
        return {}

    def validate_genesis(self, state: dict[str, Any]) -> None:
        if state != self.default_genesis():
            raise ErrBadGenesis(f"module {self.name} takes no genesis state; remove its section")

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        self.validate_genesis(state)

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        return self.default_genesis()

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return ()

    def begin_block(self, ctx: Context) -> None:
        return None

    def end_block(self, ctx: Context) -> None:
        return None

    def migrations(self) -> Mapping[int, Migration]:
        return {}


class KeeperModule(BaseModule, Generic[K]):
    """A module built on one keeper: its handlers and queries are functions of that keeper.

    ``HANDLERS`` (the table at the end of its ``handlers.py``) maps each message
    type to ``f(keeper, ctx, msg)``; ``QUERIES`` (its ``queries.py``) maps each
    path to ``f(keeper, reader, params)``. The module binds both to its keeper,
    so the table is the one place a message or a path is routed.
    """

    HANDLERS: ClassVar[Mapping[type[Msg], KeeperHandler]] = {}
    QUERIES: ClassVar[Mapping[str, KeeperQuery]] = {}

    def __init__(self, keeper: K) -> None:
        self.keeper = keeper

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        return {msg: partial(handle, self.keeper) for msg, handle in self.HANDLERS.items()}

    def queries(self) -> Mapping[str, Query]:
        return {path: partial(query, self.keeper) for path, query in self.QUERIES.items()}


class RecordGenesisModule(KeeperModule[K]):
    """A keeper module whose genesis section is one declared record, ``GENESIS``.

    Its default is the record's defaults and its validation a strict parse refused with
    the module's own bad-genesis code, ``GENESIS_ERROR``; the module writes only
    ``init_genesis`` and ``export_genesis``, which are its own.
    """

    GENESIS: ClassVar[type[Record]]
    GENESIS_ERROR: ClassVar[ErrorCode]

    def default_genesis(self) -> dict[str, Any]:
        return self.GENESIS().to_json()

    def validate_genesis(self, state: dict[str, Any]) -> None:
        parse_genesis(self.GENESIS, state, self.GENESIS_ERROR)


@contextmanager
def genesis_errors(error: ErrorCode, what: str) -> Iterator[None]:
    """Any refusal inside the block becomes ``error`` (the module's bad-genesis code), its
    message led once by ``what`` (``"bank genesis: …"``), so an operator reads which section."""
    try:
        yield
    except FinchainError as exc:
        shown = exc.message if exc.message.startswith(what) else f"{what}: {exc.message}"
        raise error(shown) from None


def parse_genesis(record: type[R], state: Any, error: ErrorCode) -> R:
    """A module's genesis section read strictly, in its JSON form, as its declared ``record``
    (whose ``check`` holds the rules between entries); refused with ``error``."""
    with genesis_errors(error, record.WHAT):
        return record.from_json(state)


def first_id_out_of_order(ids: Iterable[int], *, below: int | None = None) -> int | None:
    """The first id of a genesis listing that breaks "strictly increasing, each below
    ``below``" (None: the listing is in order). Records are exported in id order, so an
    import that accepts only that order also refuses an id listed twice."""
    previous: int | None = None
    for found in ids:
        if (previous is not None and found <= previous) or (below is not None and found >= below):
            return found
        previous = found
    return None
