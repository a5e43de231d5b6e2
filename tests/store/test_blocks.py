"""The block store: blocks by height, transaction locations, consecutive heights."""

from __future__ import annotations

from pathlib import Path

import pytest

from finchain.store import BlockStore, Database
from finchain.store.errors import ErrBadHeight, ErrNothingPending


def _store(
    db: Database, blocks: BlockStore, height: int, block: bytes, tx_ids: list[bytes]
) -> None:
    batch = db.batch()
    blocks.stage(batch, height, block, tx_ids)
    db.write(batch)
    blocks.mark_committed(height)


def test_round_trip_and_tx_index(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    blocks = BlockStore(db)
    assert blocks.height == 0 and blocks.get(1) is None
    _store(db, blocks, 1, b"block one", [b"tx-a", b"tx-b"])
    _store(db, blocks, 2, b"", [])
    _store(db, blocks, 3, b"block three", [b"tx-c", b"tx-a", b"tx-d", b"tx-d"])
    assert blocks.height == 3
    assert [blocks.get(h) for h in (0, 1, 2, 3, 4)] == [
        None,
        b"block one",
        b"",
        b"block three",
        None,
    ]
    assert blocks.tx_location(b"tx-b") == (1, 1)
    assert blocks.tx_location(b"tx-c") == (3, 0)
    assert blocks.tx_location(b"tx-a") == (1, 0)  # a replayed copy keeps the first location
    assert blocks.tx_location(b"tx-d") == (3, 2)
    assert blocks.tx_location(b"nope") is None
    db.close()
    db = Database(tmp_path / "db")
    blocks = BlockStore(db)
    assert blocks.height == 3 and blocks.get(3) == b"block three"
    assert blocks.tx_location(b"tx-d") == (3, 2)
    db.close()


def test_heights_must_be_consecutive(db: Database) -> None:
    blocks = BlockStore(db)
    for bad in (0, -1):
        with pytest.raises(Exception) as info:
            blocks.stage(db.batch(), bad, b"", [])
        assert ErrBadHeight.matches(info.value)
    _store(db, blocks, 10, b"b10", [])  # a chain's initial height may be above 1
    for bad in (10, 12, 9, 1):
        with pytest.raises(Exception) as info:
            blocks.stage(db.batch(), bad, b"", [])
        assert ErrBadHeight.matches(info.value)
    _store(db, blocks, 11, b"b11", [])
    assert blocks.height == 11 and blocks.get(10) == b"b10"


def test_mark_committed_needs_the_staged_height(db: Database) -> None:
    blocks = BlockStore(db)
    with pytest.raises(Exception) as info:
        blocks.mark_committed(1)
    assert ErrNothingPending.matches(info.value)
    blocks.stage(db.batch(), 1, b"x", [])
    with pytest.raises(Exception) as info:
        blocks.mark_committed(2)
    assert ErrNothingPending.matches(info.value)


def test_block_must_be_bytes(db: Database) -> None:
    with pytest.raises(TypeError):
        BlockStore(db).stage(db.batch(), 1, "text", [])  # type: ignore[arg-type]
