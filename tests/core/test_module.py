"""The module base classes: a keeper module's routing tables, and genesis sections read once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from finchain.core.collections import StoreKey
from finchain.core.context import Context
from finchain.core.errors import ErrBadGenesis, ErrInvalidMsg
from finchain.core.fields import Integer, ListOf, Record, Text, wire
from finchain.core.kv import KVReader
from finchain.core.module import (
    KeeperHandler,
    KeeperModule,
    KeeperQuery,
    first_id_out_of_order,
    genesis_errors,
    parse_genesis,
)
from finchain.core.msgs import Msg
from finchain.errors import FinchainError

ErrBadNotes = ErrBadGenesis  # a module passes its own bad-genesis code


@dataclass(frozen=True, slots=True)
class MsgNote(Msg):
    TYPE = "notes/add"
    text: str = wire(Text(max_len=8))


class Notebook:
    def __init__(self) -> None:
        self.notes: list[str] = []


def add(keeper: Notebook, ctx: Context, msg: MsgNote) -> None:
    keeper.notes.append(msg.text)


def count(keeper: Notebook, reader: KVReader, params: dict[str, Any]) -> int:
    return len(keeper.notes)


NOTE_HANDLERS: Mapping[type[Msg], KeeperHandler] = {MsgNote: add}
NOTE_QUERIES: Mapping[str, KeeperQuery] = {"notes/count": count}


class NotesModule(KeeperModule[Notebook]):
    name = "notes"
    store_key = StoreKey("notes", b"notes/")
    HANDLERS = NOTE_HANDLERS
    QUERIES = NOTE_QUERIES


def test_a_keeper_module_binds_its_tables_to_its_keeper() -> None:
    keeper = Notebook()
    module = NotesModule(keeper)
    module.msg_handlers()[MsgNote](None, MsgNote("hi"))  # type: ignore[arg-type]
    assert keeper.notes == ["hi"]
    assert module.queries()["notes/count"](None, {}) == 1  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class NotesGenesis(Record):
    WHAT = "notes genesis"
    notes: tuple[str, ...] = wire(ListOf(Text(max_len=8), max_items=4))
    total: int = wire(Integer(low=0, high=4))

    def check(self) -> None:
        if self.total != len(self.notes):
            raise ErrBadNotes(f"total {self.total} is not the number of notes")


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ([], "notes genesis must be a map"),
        ({"notes": []}, "notes genesis: missing fields ['total'], unknown fields []"),
        ({"notes": [""], "total": 1}, "notes genesis: field 'notes[0]' must not be empty"),
        ({"notes": [], "total": 1}, "notes genesis: total 1 is not the number of notes"),
    ],
)
def test_a_genesis_section_is_refused_with_the_module_code_naming_it_once(
    state: Any, message: str
) -> None:
    with pytest.raises(FinchainError) as info:
        parse_genesis(NotesGenesis, state, ErrBadNotes)
    assert ErrBadNotes.matches(info.value) and info.value.message == message


def test_a_genesis_section_reads_as_its_record() -> None:
    assert parse_genesis(NotesGenesis, {"notes": ["a"], "total": 1}, ErrBadNotes) == NotesGenesis(
        ("a",), 1
    )


def test_genesis_errors_gives_refusals_while_loading_the_module_code() -> None:
    with pytest.raises(FinchainError) as info, genesis_errors(ErrBadNotes, "notes genesis"):
        raise ErrInvalidMsg("note 3 is taken")
    assert ErrBadNotes.matches(info.value)
    assert info.value.message == "notes genesis: note 3 is taken"


def test_first_id_out_of_order_names_the_first_id_that_breaks_the_order() -> None:
    assert first_id_out_of_order([]) is None
    assert first_id_out_of_order([1, 2, 5]) is None
    assert first_id_out_of_order([1, 3, 3, 4]) == 3  # listed twice
    assert first_id_out_of_order([2, 1]) == 1
    assert first_id_out_of_order([1, 2, 5], below=5) == 5
    assert first_id_out_of_order([1, 2, 4], below=5) is None
