"""Submissions are sent again after a lost answer, and the caller learns the tx's real fate.

Each scenario serves the real API of a real solo node behind a wrapper that spoils the
first submission: the node handles it and then the connection dies mid-answer, or the
node handles it and the client gets a 500, or the request never reaches the node. The
client sends it again; whatever the second answer says about the first attempt (already
in the mempool, nonce already used), the caller sees the tx admitted or committed once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from finchain.app.abci import TxResult
from finchain.client import AsyncClient, Client, TxFailedError, TxTimeoutError
from finchain.client import builders as b
from finchain.client._transport import needs_lookup, receipt_error, resolve_resubmitted
from finchain.client.types import SubmitReceipt, TxInfo
from finchain.core.errors import ErrBadNonce
from finchain.engines.solo.errors import ErrDuplicateTx, ErrMempoolFull
from finchain.modules.bank.errors import ErrInsufficientFunds
from tests.client.live import LiveNode, live_node, serve
from tests.support import code, wait_until

SPOILS = ("reset-after-node", "500-after-node", "reset-before-node")


class SpoilFirst:
    """ASGI wrapper: the first ``count`` submissions (POST /v1/txs…) are spoilt by ``how``."""

    def __init__(self, app: ASGIApp, how: str, count: int = 1) -> None:
        self.app = app
        self.how = how
        self.count = count
        self.spoilt = 0
        self.reached_node = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        submission = scope["type"] == "http" and scope["method"] == "POST"
        if not submission or not scope["path"].startswith("/v1/txs") or self.spoilt >= self.count:
            await self.app(scope, receive, send)
            return
        self.spoilt += 1
        if self.how != "reset-before-node":

            async def lost(message: Message) -> None:
                pass

            self.reached_node += 1
            await self.app(scope, receive, lost)  # the node handles it; the answer is lost
        if self.how == "500-after-node":
            body = json.dumps(
                {"code": 1, "codespace": "api", "message": "injected", "details": {}}
            ).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        # The connection dies mid-answer: a head promising 1000 bytes, 10 of them, and the end.
        headers = [(b"content-type", b"application/json"), (b"content-length", b"1000")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"tx_id": ', "more_body": True})


@contextmanager
def spoilt(live: LiveNode, how: str, count: int = 1) -> Iterator[tuple[str, SpoilFirst]]:
    wrapper = SpoilFirst(live.app, how, count)
    with serve(wrapper, head_timeout=10.0) as url:
        yield url, wrapper


def _balance(live: LiveNode, name: str) -> int:
    value = live.node.query(
        "bank/balance", {"account": live.ids[name], "asset": "CNY"}, height=None, prove=False
    ).value
    return int(value["amount"])


def _nonce(live: LiveNode, name: str) -> int:
    account = live.node.query(
        "accounts/account", {"account": live.ids[name]}, height=None, prove=False
    )
    return int(account.value["nonce"])


@pytest.mark.parametrize("how", SPOILS)
@pytest.mark.parametrize("mode", ["sync", "commit"])
def test_a_spoilt_submission_is_sent_again_and_lands_once(
    live: LiveNode, how: str, mode: str
) -> None:
    bob_before, nonce_before = _balance(live, "bob"), _nonce(live, "alice")
    raw = live.signer("alice").sign(b.transfer((live.ids["bob"], "CNY", 11)))
    with spoilt(live, how) as (url, wrapper), Client(url, retries=3, backoff=0.05) as client:
        receipt = client.submit_tx(raw, mode=mode)  # raises on any refusal or failure
        assert wrapper.spoilt == 1 and wrapper.reached_node == (how != "reset-before-node")
        assert receipt.check is None or receipt.check.ok, receipt
        if mode == "commit":
            assert receipt.committed and receipt.deliver is not None and receipt.deliver.ok
        info = client.wait_for_tx(receipt.tx_id, timeout=20)
        assert info.result.ok
    assert _balance(live, "bob") == bob_before + 11  # executed exactly once
    assert _nonce(live, "alice") == nonce_before + 1


@pytest.mark.parametrize("how", ["reset-after-node", "500-after-node"])
def test_a_spoilt_batch_is_sent_again_and_every_receipt_says_admitted(
    live: LiveNode, how: str
) -> None:
    bob_before = _balance(live, "bob")
    signer = live.signer("alice")
    raws = [signer.sign(b.transfer((live.ids["bob"], "CNY", 1))) for _ in range(5)]
    with spoilt(live, how) as (url, _), Client(url, retries=3, backoff=0.05) as client:
        receipts = client.submit_batch(raws, mode="sync")
        assert all(r.ok for r in receipts), receipts
        assert all(client.wait_for_tx(r.tx_id, timeout=20).result.ok for r in receipts)
    wait_until(lambda: _balance(live, "bob") == bob_before + 5, what="the batch to execute once")


@pytest.mark.parametrize("how", SPOILS)
def test_the_async_client_sends_a_spoilt_submission_again(live: LiveNode, how: str) -> None:
    bob_before = _balance(live, "bob")
    raw = live.signer("alice").sign(b.transfer((live.ids["bob"], "CNY", 13)))

    async def scenario(url: str) -> None:
        async with AsyncClient(url, retries=3, backoff=0.05) as client:
            receipt = await client.submit_tx(raw, mode="sync")
            assert receipt.check is not None and receipt.check.ok, receipt
            assert (await client.wait_for_tx(receipt.tx_id, timeout=20)).result.ok

    with spoilt(live, how) as (url, _):
        anyio.run(scenario, url)
    assert _balance(live, "bob") == bob_before + 13


def test_a_resubmitted_tx_still_in_the_mempool_is_reported_admitted(tmp_path: Path) -> None:
    """Blocks every 3 s: the resubmission finds the first attempt waiting in the mempool."""
    with live_node(tmp_path, instant=False, block_interval=3.0) as slow:
        raw = slow.signer("alice").sign(b.transfer((slow.ids["bob"], "CNY", 17)))
        with spoilt(slow, "reset-after-node") as (url, _), Client(url, backoff=0.05) as client:
            receipt = client.submit_tx(raw, mode="sync")
            assert receipt.ok and receipt.check is not None and receipt.check.ok
            if not receipt.committed:  # a block may have come between the two attempts
                assert "waits for a block" in receipt.note, receipt
            assert client.wait_for_tx(receipt.tx_id, timeout=20).result.ok


# -- reading the answers of a resubmission (no I/O) --------------------------------------------


def _refused(codespace: str, code: int) -> SubmitReceipt:
    return SubmitReceipt("ab" * 32, TxResult(code, codespace, "refused"), None, None, None, False)


def _committed(result: TxResult) -> TxInfo:
    return TxInfo("ab" * 32, b"raw", 7, 0, result, {}, {}, "", "", {})


def test_only_refusals_an_earlier_attempt_can_cause_are_looked_up() -> None:
    assert needs_lookup(_refused(*code(ErrDuplicateTx))) and needs_lookup(
        _refused(*code(ErrBadNonce))
    )
    assert not needs_lookup(_refused(*code(ErrInsufficientFunds))) and not needs_lookup(
        _refused(*code(ErrMempoolFull))
    )
    ok = SubmitReceipt("ab" * 32, TxResult(0), None, None, None, False)
    assert not needs_lookup(ok)


@pytest.mark.parametrize("refusal", [code(ErrDuplicateTx), code(ErrBadNonce)])
def test_a_resubmitted_tx_found_in_a_block_is_reported_as_committed(
    refusal: tuple[str, int],
) -> None:
    receipt = resolve_resubmitted(_refused(*refusal), "sync", committed=_committed(TxResult(0)))
    assert (
        receipt.ok and receipt.committed and receipt.height == 7 and receipt_error(receipt) is None
    )
    failed = resolve_resubmitted(
        _refused(*refusal), "sync", committed=_committed(TxResult(4, "bank", "no funds"))
    )
    assert isinstance(receipt_error(failed), TxFailedError)  # it did run, and failed: say so


def test_a_resubmitted_tx_in_the_mempool_is_reported_as_admitted() -> None:
    receipt = resolve_resubmitted(_refused(*code(ErrDuplicateTx)), "sync", committed=None)
    assert receipt.ok and receipt.check is not None and receipt.check.ok
    assert (
        resolve_resubmitted(_refused(*code(ErrDuplicateTx)), "async", committed=None).check is None
    )
    waiting = resolve_resubmitted(_refused(*code(ErrDuplicateTx)), "commit", committed=None)
    assert isinstance(receipt_error(waiting), TxTimeoutError)  # not committed within the wait


@pytest.mark.parametrize("lookup_error", ["", "cannot get tx: connection refused"])
def test_an_unexplained_refusal_of_a_resubmitted_tx_is_undecided_never_a_rejection(
    lookup_error: str,
) -> None:
    refusal = code(ErrBadNonce) if not lookup_error else code(ErrDuplicateTx)
    receipt = resolve_resubmitted(
        _refused(*refusal), "sync", committed=None, lookup_error=lookup_error
    )
    error = receipt_error(receipt)
    assert isinstance(error, TxTimeoutError) and "may still commit" in error.message
    assert receipt.timed_out and receipt.check is None and "wait_for_tx" in receipt.note
