"""Storage damage met while executing is never a transaction's verdict.

RocksDB is made to fail at its Python boundary (the rocksdict handle), the way a
damaged table file fails a read: the files themselves are damaged in
tests/store/test_db_integrity.py and tests/functional/test_storage_damage.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from finchain.chain import FinchainApp
from finchain.client.builders import transfer
from finchain.codec import decode_trusted, encode
from finchain.errors import FinchainError
from finchain.modules.accounts.types import account_id
from finchain.store import keys as K
from finchain.store.errors import ErrCorrupt
from tests.harness import Chain

DAMAGE = "Corruption: block checksum mismatch: stored = 1, computed = 2  in /d/000042.sst offset 9"


class Damaged:
    """The rocksdict handle, failing every read of keys that start with ``prefix``."""

    def __init__(self, inner: Any, prefix: bytes) -> None:
        self._inner = inner
        self._prefix = prefix

    def get(self, key: Any, *args: Any) -> Any:
        keys = key if isinstance(key, list) else [key]
        if any(k.startswith(self._prefix) for k in keys):
            raise Exception(DAMAGE)  # what rocksdict raises for a RocksDB Corruption status
        return self._inner.get(key, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_damage_during_a_transfer_fails_the_block_not_the_tx(tmp_path: Path) -> None:
    chain = Chain(tmp_path / "db")
    before = chain.app_hash()
    pay = chain.signer(1).sign(transfer((account_id(2), "CNY", 5)))
    chain.app.state._value_cache.clear()
    chain.app.db._db = Damaged(chain.app.db._db, K.LATEST + b"bank")
    with pytest.raises(FinchainError) as info:
        chain.finalize(pay)
    assert ErrCorrupt.matches(info.value) and "000042.sst" in info.value.message
    assert chain.app.info().last_app_hash == before and chain.app.height == 0


def test_damage_during_check_tx_is_raised_not_answered(tmp_path: Path) -> None:
    chain = Chain(tmp_path / "db")
    pay = chain.signer(1).sign(transfer((account_id(2), "CNY", 5)))
    chain.app.state._value_cache.clear()
    chain.app.db._db = Damaged(chain.app.db._db, K.LATEST)
    with pytest.raises(FinchainError) as info:
        chain.app.check_tx(pay)
    assert ErrCorrupt.matches(info.value)


@pytest.mark.parametrize("damage", ["block meta ahead", "root node", "app hash of last block"])
def test_open_refuses_state_that_disagrees_with_itself(tmp_path: Path, damage: str) -> None:
    chain = Chain(tmp_path / "db")
    chain.block(chain.signer(1).sign(transfer((account_id(2), "CNY", 5))))
    db = chain.app.db
    batch = db.batch()
    if damage == "block meta ahead":
        batch.put(K.BLOCK_META, (chain.app.height + 1).to_bytes(8, "big"))
    elif damage == "root node":
        root = db.get(K.root_key(1))
        assert root is not None and root[0] == 1
        node = db.get(K.NODE + root[1:9])
        assert node is not None
        batch.put(K.NODE + root[1:9], node[:-1] + bytes([node[-1] ^ 1]))
    else:
        record = dict(decode_trusted(db.get(K.block_key(1)) or b""))
        record["app_hash"] = bytes(32)
        batch.put(K.block_key(1), encode(record))
    db.write(batch)
    chain.app.close()
    with pytest.raises(FinchainError) as info:
        FinchainApp(tmp_path / "db")
    assert ErrCorrupt.matches(info.value)
