"""The application's generic hooks added for issue 14: an ante decorator taking custody of
a transaction's messages (``Context.defer_msgs``), post handlers (``Wiring.post``) and the
``info`` every result carries (``Wiring.result_info``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from finchain.client import builders as b
from finchain.codec import Tx
from finchain.core.context import Context
from finchain.core.errors import ErrInvalidMsg
from finchain.core.events import Event
from finchain.core.msgs import Msg
from finchain.modules.accounts.types import account_id
from tests.harness import Chain

DEFER_MEMO = "defer"
MARK = b"test/deferred"


def deferring(ctx: Context, tx: Tx, tx_id: bytes, msgs: Sequence[Msg]) -> None:
    """Takes custody of the messages of a transaction whose memo says so."""
    if tx.body.memo == DEFER_MEMO:
        ctx.store.set(MARK + tx_id, b"held")
        ctx.emit(Event("test.deferred", (("msgs", str(len(msgs))),)))
        ctx.defer_msgs = True


def test_a_deferring_decorator_keeps_its_writes_and_events_and_runs_no_message(
    tmp_path: Path,
) -> None:
    chain = Chain(tmp_path / "db", extra_ante=[deferring])
    before = (chain.balance(1), chain.balance(2))
    raw = chain.signer(1).sign(b.transfer((account_id(2), "CNY", 5)), memo=DEFER_MEMO)
    checked = chain.app.check_tx(raw)
    (result,) = chain.block(raw)
    assert checked.ok and result.ok
    assert [e.type for e in result.events] == ["test.deferred"]
    assert [e.type for e in checked.events] == ["test.deferred"]
    assert (chain.balance(1), chain.balance(2)) == before
    assert chain.app.state.get(MARK + chain.app.tx_id(raw)) == b"held"
    assert chain.app.accounts.nonce(chain.app.state, account_id(1)) == 1  # the nonce is spent
    # without the memo the messages run as usual
    (plain,) = chain.block(chain.signer(1).sign(b.transfer((account_id(2), "CNY", 5))))
    assert plain.ok and chain.balance(2) == before[1] + 5


def test_post_handlers_see_the_messages_writes_and_can_fail_the_transaction(
    tmp_path: Path,
) -> None:
    chain = Chain(tmp_path / "db")
    seen: list[int] = []

    def post(ctx: Context, tx: Tx, tx_id: bytes, msgs: Sequence[Msg]) -> None:
        balance = chain.app.bank.balance(ctx.store, account_id(2), "CNY")
        seen.append(balance)
        if balance % 2:
            raise ErrInvalidMsg("odd balances are refused after the messages ran")

    chain.app.post = (*chain.app.post, post)
    before = chain.balance(2)
    (ok,) = chain.block(chain.signer(1).sign(b.transfer((account_id(2), "CNY", 2))))
    assert ok.ok and seen[-1] == before + 2  # after the transfer, before commit
    (refused,) = chain.block(chain.signer(1).sign(b.transfer((account_id(2), "CNY", 1))))
    assert refused.code == ErrInvalidMsg.code and refused.codespace == ErrInvalidMsg.codespace
    assert chain.balance(2) == before + 2  # the message's writes were discarded


def test_every_result_carries_the_wirings_info_even_an_undecodable_tx(tmp_path: Path) -> None:
    chain = Chain(tmp_path / "db")
    garbage, good = chain.block(b"\x00not a tx", chain.signer(1).sign(b.transfer(
        (account_id(2), "CNY", 1))))  # fmt: skip
    assert not garbage.ok and garbage.info == "ruleset=0"
    assert good.ok and good.info == "ruleset=0"
    assert chain.app.check_tx(b"\x01").info == "ruleset=0"
    record = chain.app.block_record(chain.app.height)
    assert record is not None and [r["info"] for r in record["results"]] == ["ruleset=0"] * 2
