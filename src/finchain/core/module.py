"""The shape every module presents to the application (STYLE.md §1)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.msgs import Msg

Handler = Callable[[Context, Any], None]
Invariant = Callable[[KVReader], str | None]
Query = Callable[[KVReader, dict[str, Any]], Any]


class Module(Protocol):
    name: str

    def msg_handlers(self) -> Mapping[type[Msg], Handler]: ...

    def queries(self) -> Mapping[str, Query]: ...

    def default_genesis(self) -> dict[str, Any]: ...

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None: ...

    def export_genesis(self, reader: KVReader) -> dict[str, Any]: ...

    def invariants(self) -> Sequence[tuple[str, Invariant]]: ...

    def end_block(self, ctx: Context) -> None: ...
