"""The receivables module: supply-chain (invoice) financing on buyer-confirmed claims.

Genesis: ``app_state["receivables"] = {"invoices": [...]}``, each invoice in
the form the ``receivables/invoice`` query answers, ids 1, 2, … in order (what
``export_genesis`` produces). The document and reference indexes, the holder and
buyer listings and the maturity schedule are rebuilt from them. The default is
no invoice, which writes no state.

``end_block`` collects the invoices that have matured by the block time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finchain.core.context import Context
from finchain.core.fields import ListOf, Nested, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import Invariant, RecordGenesisModule, parse_genesis
from finchain.modules.receivables import handlers, queries
from finchain.modules.receivables.errors import ErrBadGenesis
from finchain.modules.receivables.keeper import ReceivablesKeeper
from finchain.modules.receivables.keys import STORE
from finchain.modules.receivables.types import CONFIRMED, Invoice

NAME = "receivables"
_MAX_GENESIS_INVOICES = 100_000_000


@dataclass(frozen=True, slots=True)
class ReceivablesGenesis(Record):
    """Every invoice, ids 1, 2, … in order; each document and each supplier reference once."""

    WHAT = "receivables genesis"
    invoices: tuple[Invoice, ...] = wire(
        ListOf(Nested(Invoice), max_items=_MAX_GENESIS_INVOICES), default=()
    )

    def check(self) -> None:
        documents: set[tuple[str, bytes]] = set()
        references: set[tuple[str, str]] = set()
        for position, invoice in enumerate(self.invoices, start=1):
            what = f"invoice #{position}"
            if invoice.id != position:
                raise ErrBadGenesis(f"{what}: id must be {position} (ids 1, 2, … in order)")
            if invoice.doc_key in documents:
                raise ErrBadGenesis(f"{what}: document {invoice.hash.hex()} is listed twice")
            if (invoice.supplier, invoice.reference) in references:
                raise ErrBadGenesis(f"{what}: reference {invoice.reference!r} is listed twice")
            documents.add(invoice.doc_key)
            references.add((invoice.supplier, invoice.reference))


class ReceivablesModule(RecordGenesisModule[ReceivablesKeeper]):
    name = NAME
    store_key = STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES
    GENESIS = ReceivablesGenesis
    GENESIS_ERROR = ErrBadGenesis

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        for invoice in parse_genesis(ReceivablesGenesis, state, ErrBadGenesis).invoices:
            self.keeper.import_invoice(ctx, invoice)

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        return ReceivablesGenesis(tuple(self.keeper.invoices(reader))).to_json()

    def end_block(self, ctx: Context) -> None:
        self.keeper.collect_due(ctx)

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [("receivables/invoices-consistent", self._invoices_consistent)]

    def _invoices_consistent(self, reader: KVReader) -> str | None:
        """Each invoice agrees with itself and its indexes; the schedule is exactly the
        confirmed invoices; ids run 1 .. next_id - 1."""
        k = self.keeper
        scheduled: set[tuple[int, int]] = set()
        expected_id = 1
        for invoice in k.invoices(reader):
            if invoice.id != expected_id:
                return f"invoice ids skip from {expected_id - 1} to {invoice.id}"
            expected_id += 1
            problem = invoice.inconsistency()
            if problem:
                return f"invoice {invoice.id}: {problem}"
            found = k.by_document(reader, invoice.hash_alg, invoice.hash)
            if found is None or found.id != invoice.id:
                return f"invoice {invoice.id} is not the one its document hash finds"
            if invoice.status == CONFIRMED:
                scheduled.add((invoice.maturity_ns, invoice.id))
        if k.next_id(reader) != expected_id:
            return f"next id is {k.next_id(reader)}, but {expected_id - 1} invoices are stored"
        if set(k.due(reader)) != scheduled:
            return "the maturity schedule differs from the confirmed, unpaid invoices"
        return None


__all__ = ["NAME", "ReceivablesGenesis", "ReceivablesModule"]
