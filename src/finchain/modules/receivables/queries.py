"""Read-only queries of the receivables module, served on committed state.

Parameters may be typed values or strings (the HTTP API passes strings):
``id`` a decimal number, ``hash`` 64 lowercase hex digits. A listing answers
``invoices`` in id order and ``next_cursor`` (null on the last page); pass it
back as ``cursor`` to continue after that id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from finchain.core.errors import ErrBadQuery
from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import int_param
from finchain.modules.accounts.types import account_param
from finchain.modules.evidence.types import HASH_ALGS, HASH_BYTES
from finchain.modules.receivables.errors import ErrInvoiceNotFound
from finchain.modules.receivables.keeper import ReceivablesView
from finchain.modules.receivables.types import MAX_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_HEX_HASH = re.compile(f"[0-9a-f]{{{2 * HASH_BYTES}}}")


def invoice(view: ReceivablesView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """One invoice by ``id``."""
    return view.require(reader, int_param(params.get("id"), "id", low=1, high=MAX_ID)).to_json()


def by_hash(view: ReceivablesView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """The invoice of a document: ``hash_alg`` and ``hash``."""
    alg = params.get("hash_alg")
    if alg not in HASH_ALGS:
        raise ErrBadQuery(f"parameter 'hash_alg' must be one of {list(HASH_ALGS)}")
    digest = params.get("hash")
    if isinstance(digest, str) and _HEX_HASH.fullmatch(digest):
        digest = bytes.fromhex(digest)
    if not isinstance(digest, bytes) or len(digest) != HASH_BYTES:
        raise ErrBadQuery(f"parameter 'hash' must be {2 * HASH_BYTES} lowercase hex digits")
    found = view.by_document(reader, str(alg), digest)
    if found is None:
        raise ErrInvoiceNotFound(f"no invoice is registered for {alg} {digest.hex()}")
    return found.to_json()


def _page(
    view: ReceivablesView, reader: KVReader, ids: Iterator[int], params: dict[str, Any]
) -> dict[str, Any]:
    limit = int_param(params.get("limit"), "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
    after = int_param(params.get("cursor"), "cursor", low=0, high=MAX_ID, default=0)
    found: list[dict[str, Any]] = []
    for invoice_id in ids:
        if invoice_id <= after:
            continue
        if len(found) == limit:
            return {"invoices": found, "next_cursor": str(found[-1]["id"])}
        found.append(view.require(reader, invoice_id).to_json())
    return {"invoices": found, "next_cursor": None}


def by_holder(view: ReceivablesView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Invoices held by ``holder`` (paid ones too: the last holder keeps them)."""
    holder = account_param(params, "holder")
    return {"holder": holder, **_page(view, reader, view.ids_by_holder(reader, holder), params)}


def by_buyer(view: ReceivablesView, reader: KVReader, params: dict[str, Any]) -> dict[str, Any]:
    """Invoices owed by ``buyer``, whatever their status."""
    buyer = account_param(params, "buyer")
    return {"buyer": buyer, **_page(view, reader, view.ids_by_buyer(reader, buyer), params)}


QUERIES: Mapping[str, KeeperQuery] = {
    "receivables/invoice": invoice,
    "receivables/by_hash": by_hash,
    "receivables/by_holder": by_holder,
    "receivables/by_buyer": by_buyer,
}
