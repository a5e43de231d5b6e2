"""The ante mechanism: decode, stateless checks, then the decorators the composition root lists.

Order (cheap and stateless first, then state): decode → stateless checks
(chain id, counts, memo) → expiry → each decorator in turn (the accounts
module's signatures, factors, nonce and status; then any module's policy). The
decorators run against the transaction's own overlay, and a refusal discards
it, so a transaction refused here changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from finchain.codec import Tx
from finchain.core.ante import AnteDecorator
from finchain.core.context import Context
from finchain.core.errors import (
    ErrEmptyTx,
    ErrExpired,
    ErrMemoTooLong,
    ErrTooManyMsgs,
    ErrTooManySigs,
    ErrUnknownMsg,
    ErrWrongChain,
)
from finchain.core.module import Handler
from finchain.core.msgs import Msg
from finchain.core.params import ChainParams
from finchain.errors import FinchainError

__all__ = ["AnteChain", "check_expiry", "parse_msgs", "stateless_checks"]


def parse_msgs(tx: Tx, handlers: Mapping[str, tuple[type[Msg], Handler]]) -> list[Msg]:
    msgs = []
    for index, raw in enumerate(tx.body.msgs):
        route = handlers.get(raw.type)
        if route is None:
            raise ErrUnknownMsg(f"message #{index} has unknown type {raw.type!r}")
        try:
            msg = route[0].from_value(raw.value)
            msg.validate()
        except FinchainError as exc:
            raise exc.error(
                f"message #{index} ({raw.type}): {exc.message}", **exc.details
            ) from None
        msgs.append(msg)
    return msgs


def stateless_checks(tx: Tx, chain_id: str, params: ChainParams) -> None:
    body = tx.body
    if body.chain_id != chain_id:
        raise ErrWrongChain(f"transaction is for chain {body.chain_id!r}, this is {chain_id!r}")
    if not body.msgs or not tx.signatures:
        raise ErrEmptyTx("a transaction needs at least one message and one signature")
    if len(body.msgs) > params.max_msgs_per_tx:
        raise ErrTooManyMsgs(
            f"{len(body.msgs)} messages; at most {params.max_msgs_per_tx} per transaction"
        )
    if len(tx.signatures) > params.max_sigs_per_tx:
        raise ErrTooManySigs(f"{len(tx.signatures)} signatures; at most {params.max_sigs_per_tx}")
    if len(body.memo.encode()) > params.max_memo_bytes:
        raise ErrMemoTooLong(f"memo exceeds {params.max_memo_bytes} bytes")


def check_expiry(ctx: Context, tx: Tx, tx_id: bytes, msgs: Sequence[Msg]) -> None:
    """A transaction with ``expiry`` set is refused in any block above that height."""
    expiry = tx.body.expiry
    if expiry and ctx.height > expiry:
        raise ErrExpired(f"transaction expired at height {expiry}; this block is {ctx.height}")


class AnteChain:
    """The decorators, in the composition root's order."""

    def __init__(self, decorators: Sequence[AnteDecorator]) -> None:
        self._decorators = tuple(decorators)

    def run(self, ctx: Context, tx: Tx, tx_id: bytes, msgs: Sequence[Msg]) -> None:
        for decorator in self._decorators:
            decorator(ctx, tx, tx_id, msgs)
