"""Single transactions at full speed: the admitter's micro-batches and the API's fast path.

Many clients each sending one transaction are admitted together by one admitter
thread (no convoy on the node's lock); the API answers the plain
``POST /v1/txs`` without FastAPI's stack and without a worker thread. Both must
keep every guarantee of the slow path: the same answers, the same errors, no
submission left waiting.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from finchain.client import builders as b
from finchain.engines.solo.node import SoloNode
from finchain.errors import FinchainError
from finchain.node.api import ApiLimits, create_app
from finchain.node.api.errors import (
    ErrDuplicateKey,
    ErrInvalidBase64,
    ErrTimeout,
    ErrUnknownField,
)
from finchain.node.api.fastsubmit import LoopRelay, plain_tx
from finchain.service.errors import ErrShuttingDown
from finchain.service.interface import SubmitMode, SubmitResult
from tests.client.live import LiveNode, live_node, serve
from tests.support import code


class Counting:
    """The node, counting which submission path the API took."""

    def __init__(self, node: SoloNode) -> None:
        self._node = node
        self.calls: dict[str, int] = {"submit": 0, "admit": 0}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._node, name)

    def submit(self, raws: Any, mode: SubmitMode, *, timeout: float) -> list[SubmitResult]:
        self.calls["submit"] += 1
        results: list[SubmitResult] = self._node.submit(raws, mode, timeout=timeout)
        return results

    def admit(self, raws: Any) -> Future[list[SubmitResult]]:
        self.calls["admit"] += 1
        answer: Future[list[SubmitResult]] = self._node.admit(raws)
        return answer


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveNode]:
    with live_node(tmp_path, ApiLimits(request_timeout=1.0)) as node:
        yield node


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _error(response: httpx.Response) -> tuple[int, str, int]:
    body = response.json()
    return response.status_code, body["codespace"], body["code"]


def test_plain_body_takes_the_fast_path_and_answers_like_the_route(live: LiveNode) -> None:
    counting = Counting(live.node)
    app = create_app(counting, limits=live.ctx.limits)
    garbage = {"tx": _b64(b"\xa0not a tx")}  # refused by decoding: the same answer every time
    with serve(app) as url, httpx.Client(base_url=url) as http:
        fast = http.post("/v1/txs", json=garbage)
        assert counting.calls == {"submit": 0, "admit": 1}
        # mode=sync spelled with another parameter is the route's: same answer, other path
        routed = http.post("/v1/txs", params={"mode": "sync", "timeout": "0.5"}, json=garbage)
        assert counting.calls == {"submit": 1, "admit": 1}
        assert fast.status_code == routed.status_code == 200
        assert fast.content == routed.content and fast.json()["check"]["code"] != 0
        assert fast.headers["content-type"] == routed.headers["content-type"]

        alice = live.signer("alice")
        raw = alice.sign(b.transfer((live.ids["bob"], "CNY", 1)))
        ok = http.post("/v1/txs", params={"mode": "sync"}, json={"tx": _b64(raw)}).json()
        assert ok["check"]["code"] == 0 and ok["tx_id"] == live.node.app.tx_id(raw).hex()
        assert ok["height"] is None and ok["timed_out"] is False
        assert counting.calls["admit"] == 2
        committed = http.post("/v1/txs", params={"mode": "commit"}, json={"tx": _b64(raw)})
        assert committed.json()["deliver"]["code"] == 0  # commit mode: the route's path
        assert counting.calls == {"submit": 2, "admit": 2}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(b'{"tx":"AAAA","tx":"AAAA"}', code(ErrDuplicateKey), id="duplicate-key"),
        pytest.param(b'{"tx":"AAAA","fee":1}', code(ErrUnknownField), id="extra-field"),
        pytest.param(b'{"tx":"AAA"}', code(ErrInvalidBase64), id="unpadded-base64"),
        pytest.param(b'{"tx":"A-A_"}', code(ErrInvalidBase64), id="urlsafe-base64"),
    ],
)
def test_other_bodies_get_the_routes_errors_and_reach_no_node(
    live: LiveNode, body: bytes, error: tuple[str, int]
) -> None:
    counting = Counting(live.node)
    app = create_app(counting, limits=live.ctx.limits)
    with serve(app) as url, httpx.Client(base_url=url) as http:
        response = http.post("/v1/txs", content=body, headers={"content-type": "application/json"})
        assert _error(response)[1:] == error and response.status_code == 400
    assert counting.calls == {"submit": 0, "admit": 0}


def test_plain_tx_accepts_only_the_exact_shape() -> None:
    assert plain_tx(b'{"tx":"AAAA"}') == b"\x00\x00\x00"
    assert plain_tx(b'{ "tx" : "AAAA" }') == b"\x00\x00\x00"
    for body in (
        b'{"tx":"AAAA","tx":"AAAA"}',  # orjson keeps the last; the route refuses both
        b'{"\\u0074x":"AAAA"}',  # the key spelled with an escape: left to the route
        b'{"tx":"AAAA","mode":"sync"}',
        b'{"tx":3}',
        b'["tx"]',
        b'{"tx":""}',
        b'{"tx":"AAB="}',  # non-zero unused bits: not canonical
        b"{tx}",
    ):
        assert plain_tx(body) is None, body


def test_a_stuck_node_gives_504_on_the_fast_path_and_still_admits_later(
    live: LiveNode,
) -> None:
    raw = live.signer("alice").sign(b.transfer((live.ids["bob"], "CNY", 1)))
    tx_id = live.node.app.tx_id(raw)
    with serve(live.app) as url, httpx.Client(base_url=url) as http:
        with live.node._lock:  # a long block holds the node
            response = http.post("/v1/txs", json={"tx": _b64(raw)})
            assert _error(response) == (504, *code(ErrTimeout))
            assert "look them up by id" in response.json()["message"]
        (again,) = live.node.submit([raw], SubmitMode.COMMIT, timeout=10)
        assert again.tx_id == tx_id and again.deliver is not None and again.deliver.ok


def test_concurrent_single_submissions_are_all_admitted(live: LiveNode) -> None:
    """Twenty clients, each its own sender, five transactions in nonce order each."""
    senders = {name: live.signer(name) for name in ("operator", "alice", "bob")}
    raws = {
        name: [signer.sign(b.transfer((live.ids["alice"], "CNY", 1))) for _ in range(5)]
        for name, signer in senders.items()
    }

    def client(name: str) -> list[int]:
        return [
            live.node.submit([raw], SubmitMode.SYNC, timeout=5)[0].check.code  # type: ignore[union-attr]
            for raw in raws[name]
        ]

    with ThreadPoolExecutor(len(raws)) as pool:
        codes = list(pool.map(client, raws))
    assert codes == [[0] * 5] * len(raws)
    last = [senders_raws[-1] for senders_raws in raws.values()]
    for result in live.node.submit(last, SubmitMode.COMMIT, timeout=10):
        assert result.deliver is not None and result.deliver.ok


def test_no_submission_is_left_waiting_when_the_node_stops(tmp_path: Path) -> None:
    with live_node(tmp_path, ApiLimits()) as live:
        raws = [live.signer("alice").sign(b.transfer((live.ids["bob"], "CNY", 1)))]
        answers: list[object] = []

        def submit() -> None:
            try:
                answers.append(live.node.submit(raws, SubmitMode.SYNC, timeout=5))
            except FinchainError as exc:
                answers.append((exc.codespace, exc.code))

        live.node._lock.acquire()  # the admitter blocks on its first turn
        threads = [threading.Thread(target=submit) for _ in range(6)]
        for thread in threads:
            thread.start()
        stopper = threading.Thread(target=live.node.stop)
        stopper.start()
        live.node._lock.release()
        stopper.join(timeout=30)
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads) and len(answers) == 6
        assert all(isinstance(a, list) or a == code(ErrShuttingDown) for a in answers)
        refused = live.node.admit(raws).exception(timeout=1)
        assert isinstance(refused, FinchainError)
        assert (refused.codespace, refused.code) == code(ErrShuttingDown)


def test_loop_relay_delivers_a_bunch_with_one_wake_up() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        relay: LoopRelay[int] = LoopRelay(loop)
        futures: list[Future[int]] = [Future() for _ in range(100)]
        waiters = [relay.watch(future) for future in futures]
        waiters[5].cancel()  # a request that gave up
        wakes = 0
        original = loop.call_soon_threadsafe

        def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal wakes
            wakes += 1
            return original(*args, **kwargs)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign,assignment]

        def complete() -> None:
            for number, future in enumerate(futures):
                if number == 7:
                    future.set_exception(ValueError("refused"))
                else:
                    future.set_result(number)

        worker = threading.Thread(target=complete)
        worker.start()
        worker.join()  # blocks the loop: every future completes before it runs again
        assert wakes == 1
        results = await asyncio.gather(*waiters, return_exceptions=True)
        assert results[0] == 0 and results[99] == 99
        assert isinstance(results[5], asyncio.CancelledError)
        assert isinstance(results[7], ValueError)

    asyncio.run(scenario())


@given(
    st.one_of(
        st.binary(max_size=200),
        st.dictionaries(
            st.sampled_from(["tx", "mode", "tx ", "TX"]),
            st.one_of(
                st.text(max_size=20),
                st.integers(-(2**63), 2**63 - 1),
                st.binary(max_size=12).map(_b64),
            ),
            max_size=3,
        ).map(lambda d: orjson.dumps(d)),
    )
)
def test_plain_tx_never_raises_and_takes_only_one_tx_field(body: bytes) -> None:
    raw = plain_tx(body)
    if raw is not None:
        assert orjson.loads(body) == {"tx": _b64(raw)} and body.count(b'"tx"') == 1
