"""A cached context: its writes and events reach the parent only when written back."""

from __future__ import annotations

from typing import Any

from finchain.core.context import Context, ExecMode
from finchain.core.events import Event
from finchain.core.gas import GasMeter, MeteredStore
from finchain.core.kv import Overlay
from finchain.core.params import ChainParams


class Committed:
    def __init__(self, entries: dict[bytes, bytes]) -> None:
        self.entries = entries

    def get(self, key: bytes) -> bytes | None:
        return self.entries.get(key)

    def iterate(self, prefix: bytes) -> Any:
        return iter(sorted((k, v) for k, v in self.entries.items() if k.startswith(prefix)))


def context() -> tuple[Context, Overlay]:
    overlay = Overlay(Committed({b"a": b"1", b"b": b"2"}))
    store = MeteredStore(overlay, GasMeter(10**12))
    return Context(store, 1, 0, "c", "intl", ChainParams(), ExecMode.FINALIZE), overlay


def test_a_branch_sees_the_parent_and_its_own_writes_but_the_parent_waits() -> None:
    ctx, overlay = context()
    branch, write = ctx.cached()
    branch.store.set(b"c", b"3")
    branch.store.delete(b"a")
    branch.emit(Event("changed", ()))
    assert branch.store.get(b"b") == b"2" and branch.store.get(b"c") == b"3"
    assert [k for k, _ in branch.store.iterate(b"")] == [b"b", b"c"]
    assert overlay.writes == {} and ctx.events == []
    assert branch.height == ctx.height and branch.store.meter is ctx.store.meter
    write()
    assert overlay.writes == {b"c": b"3", b"a": None}
    assert ctx.events == [Event("changed", ())]


def test_a_branch_never_written_leaves_nothing() -> None:
    ctx, overlay = context()
    branch, _ = ctx.cached()
    branch.store.set(b"a", b"9")
    branch.emit(Event("lost", ()))
    assert ctx.store.get(b"a") == b"1" and overlay.writes == {} and ctx.events == []
