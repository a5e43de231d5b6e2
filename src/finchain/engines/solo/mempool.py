"""The solo engine's mempool: admitted transactions waiting for a block.

Admission (check_tx against the check state) happens before a transaction
enters, and check state enforces each account's nonce sequence, so arrival
order is already nonce order per account: a FIFO keeps it. Caps on count and
bytes bound memory; after every commit the engine rechecks what is left and
evicts what no longer passes (included elsewhere, nonce consumed, funds spent).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from finchain.engines.solo.errors import ErrDuplicateTx, ErrMempoolFull, ErrTxTooLarge


class Mempool:
    def __init__(self, *, max_txs: int, max_bytes: int) -> None:
        self.max_txs = max_txs
        self.max_bytes = max_bytes
        self._txs: OrderedDict[bytes, bytes] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._txs)

    def __contains__(self, tx_id: bytes) -> bool:
        return tx_id in self._txs

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def check_room(self, tx_id: bytes, raw: bytes) -> None:
        """Raise if ``raw`` could not be added (checked before spending time on check_tx)."""
        if tx_id in self._txs:
            raise ErrDuplicateTx(f"transaction {tx_id.hex()} is already waiting for a block")
        if len(raw) > self.max_bytes:
            raise ErrTxTooLarge(f"{len(raw)} bytes exceed the mempool's {self.max_bytes} bytes")
        if len(self._txs) >= self.max_txs or self._bytes + len(raw) > self.max_bytes:
            raise ErrMempoolFull(
                f"mempool holds {len(self._txs)} txs / {self._bytes} bytes: "
                "retry after the next block"
            )

    def add(self, tx_id: bytes, raw: bytes) -> None:
        self.check_room(tx_id, raw)
        self._txs[tx_id] = raw
        self._bytes += len(raw)

    def reap(self, max_bytes: int) -> list[bytes]:
        """The oldest transactions that fit in ``max_bytes``, in arrival order."""
        chosen: list[bytes] = []
        total = 0
        for raw in self._txs.values():
            if total + len(raw) > max_bytes:
                break
            chosen.append(raw)
            total += len(raw)
        return chosen

    def remove(self, tx_id: bytes) -> None:
        raw = self._txs.pop(tx_id, None)
        if raw is not None:
            self._bytes -= len(raw)

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        return iter(list(self._txs.items()))
