"""The shape of the checks a transaction passes before its messages run.

The application runs the decorators the composition root lists, in order,
against the transaction's own overlay (``finchain.app.ante``); each raises a
``FinchainError`` to refuse the transaction. Modules provide them: the accounts
module checks signatures, nonce and status; a compliance module adds its rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from finchain.codec import Tx
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.msgs import Msg
from finchain.core.signatures import SignatureJob

__all__ = ["AnteDecorator", "SignatureSource", "SignatureSources"]


class AnteDecorator(Protocol):
    def __call__(self, ctx: Context, tx: Tx, tx_id: bytes, msgs: Sequence[Msg]) -> None:
        """Refuse the transaction with a FinchainError, or return (and maybe write)."""
        ...


class SignatureSource(Protocol):
    """Who knows which keys must sign: the signature checks a set of transactions will need.

    The application verifies them in a batch before a block (and engines before
    admission, off its lock) against the last committed state; a stale guess
    costs nothing, the ante decorator verifies a cache miss singly.
    """

    def signature_jobs(
        self, reader: KVReader, txs: Sequence[tuple[Tx, bytes]]
    ) -> list[SignatureJob]: ...


class SignatureSources:
    """Several ``SignatureSource``\\ s as one: the accounts module's for the transactions'
    own signatures, and a module's that carries co-signatures in its messages (settlement
    endorsements), so the block's pre-pass batches them all."""

    def __init__(self, *sources: SignatureSource) -> None:
        self._sources = sources

    def signature_jobs(
        self, reader: KVReader, txs: Sequence[tuple[Tx, bytes]]
    ) -> list[SignatureJob]:
        return [job for source in self._sources for job in source.signature_jobs(reader, txs)]
