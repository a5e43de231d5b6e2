"""The HTTP API over a real solo node, served by uvicorn: every endpoint, proofs checked offline."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from finchain.client import builders as b
from finchain.engines.solo.header import verify_header
from finchain.modules.accounts.types import account_id
from finchain.modules.bank.errors import ErrInsufficientFunds
from finchain.modules.bank.keys import BALANCES
from finchain.node.api import ApiLimits
from finchain.store import proof_from_json, verify_proof, verify_tx_proof
from tests.client.live import LiveNode, live_node, serve
from tests.support import code, wait_until


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    limits = ApiLimits(keepalive_interval=0.2, max_event_streams=2)
    with live_node(tmp_path_factory.mktemp("api"), limits) as node:
        yield node


@pytest.fixture(scope="module")
def http(live: LiveNode) -> Iterator[httpx.Client]:
    with serve(live.app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def assert_error(
    response: httpx.Response, status: int, codespace: str, code: int
) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert (response.status_code, body["codespace"], body["code"]) == (status, codespace, code), (
        body
    )
    assert set(body) == {"code", "codespace", "message", "details"} and body["message"]
    return body


def header_bytes(header: dict[str, Any]) -> dict[str, Any]:
    fields = ("last_block_hash", "tx_root", "app_hash", "proposer")
    return {k: bytes.fromhex(v) if k in fields else v for k, v in header.items()}


def read_frame(lines: Iterator[str]) -> list[str]:
    """The next SSE frame's lines, skipping comments (keep-alives) and blank separators."""
    frame: list[str] = []
    for line in lines:
        if line.startswith(":") or (not line and not frame):
            continue
        if not line:
            return frame
        frame.append(line)
    raise AssertionError(f"stream ended inside a frame: {frame}")


def test_health_status_and_openapi(http: httpx.Client, live: LiveNode) -> None:
    assert http.get("/v1/health").json() == {"status": "ok"}
    status = http.get("/v1/status").json()
    assert status["chain_id"] == "test-solo" and status["suite"] == "intl"
    assert status["engine"] == "solo" and status["catching_up"] is False
    assert status["app_hash"] == live.node.status().app_hash.hex()
    assert status["validators"][0]["pub_key"]["type"] == "ed25519"
    paths = set(http.get("/openapi.json").json()["paths"])
    assert {
        "/v1/txs",
        "/v1/txs/batch",
        "/v1/txs/{tx_id}",
        "/v1/blocks/{height}",
        "/v1/status",
        "/v1/health",
        "/v1/accounts/{account}",
        "/v1/accounts/{account}/balances",
        "/v1/accounts/{account}/balances/{asset}",
        "/v1/assets",
        "/v1/assets/{symbol}",
        "/v1/query/{path}",
        "/v1/events",
    } <= paths
    assert http.get("/docs").status_code == 200


def test_commit_then_read_back_and_verify_everything_offline(
    http: httpx.Client, live: LiveNode
) -> None:
    alice, bob = live.ids["alice"], live.ids["bob"]
    raw = live.signer("alice").sign(b.transfer((bob, "CNY", 25)))
    receipt = http.post("/v1/txs", params={"mode": "commit"}, json={"tx": b64(raw)}).json()
    assert receipt["check"]["code"] == 0 and receipt["deliver"]["code"] == 0
    assert receipt["height"] >= 1 and receipt["index"] == 0 and receipt["timed_out"] is False
    assert receipt["tx_id"] == live.node.app.tx_id(raw).hex()
    assert any(e["type"] == "transfer" for e in receipt["deliver"]["events"])

    tx = http.get(f"/v1/txs/{receipt['tx_id']}").json()
    assert base64.b64decode(tx["raw"]) == raw and tx["height"] == receipt["height"]
    assert tx["events"] == tx["result"]["events"] and tx["result"]["code"] == 0
    header = header_bytes(tx["header"])
    hash_name = live.node.app.hash_name
    assert verify_tx_proof(hash_name, header["tx_root"], raw, proof_from_json(tx["proof"]))
    assert not verify_tx_proof(
        hash_name, header["tx_root"], raw + b"x", proof_from_json(tx["proof"])
    )
    public_key = bytes.fromhex(tx["validator"]["public_key"])
    assert public_key == live.node._public.data  # the key genesis names
    assert verify_header(header, bytes.fromhex(tx["signature"]), "ed25519", public_key)

    block = http.get(f"/v1/blocks/{tx['height']}").json()
    assert block["tx_ids"][tx["index"]] == tx["tx_id"] and block["block_hash"] == tx["block_hash"]
    assert block["results"][tx["index"]]["code"] == 0
    latest = http.get("/v1/blocks/latest").json()
    assert latest["height"] == http.get("/v1/status").json()["height"]

    at = tx["height"]
    proven = http.get(
        f"/v1/accounts/{bob}/balances/CNY", params={"height": at, "prove": "true"}
    ).json()
    assert proven["height"] == at and proven["value"]["amount"] == str(1_000_000 + 25)
    assert proven["root"] == header["app_hash"].hex()
    (entry,) = proven["proofs"]
    assert verify_proof(
        bytes.fromhex(proven["root"]),
        bytes.fromhex(entry["key"]),
        bytes.fromhex(entry["value"]),
        proof_from_json(entry["proof"]),
        hash_name,
    )
    before = http.get(f"/v1/accounts/{bob}/balances/CNY", params={"height": at - 1}).json()
    assert int(before["value"]["amount"]) == int(proven["value"]["amount"]) - 25
    assert before["root"] is None and before["proofs"] is None
    account = http.get(f"/v1/accounts/{alice}", params={"prove": "true"}).json()
    assert account["value"]["account"]["id"] == alice and account["value"]["nonce"] >= 1
    assert account["proofs"] and account["root"]


def test_sync_mode_reports_the_chain_code_in_a_200(http: httpx.Client, live: LiveNode) -> None:
    # bob only receives elsewhere in this module: a refused tx still advances the check-state
    # nonce of its account until the next block (reported to the application's owner).
    raw = live.signer("bob").sign(b.transfer((live.ids["alice"], "CNY", 10**15)))
    response = http.post("/v1/txs", params={"mode": "sync"}, json={"tx": b64(raw)})
    assert response.status_code == 200
    check = response.json()["check"]
    assert (check["codespace"], check["code"]) == code(ErrInsufficientFunds) and check["log"]
    garbage = http.post("/v1/txs", json={"tx": b64(b"\xa0not a tx")}).json()["check"]
    assert garbage["code"] != 0 and garbage["codespace"]


def test_batch_async_then_all_commit(http: httpx.Client, live: LiveNode) -> None:
    alice = live.signer("alice")
    raws = [alice.sign(b.transfer((live.ids["operator"], "CNY", 1))) for _ in range(20)]
    response = http.post(
        "/v1/txs/batch", params={"mode": "async"}, json={"txs": [b64(r) for r in raws]}
    )
    results = response.json()["results"]
    assert [r["tx_id"] for r in results] == [live.node.app.tx_id(r).hex() for r in raws]
    assert all(r["check"] is None and r["height"] is None for r in results)
    last = http.post(
        "/v1/txs/batch", params={"mode": "commit", "timeout": 10}, json={"txs": [b64(raws[-1])]}
    ).json()["results"][0]
    assert last["deliver"] is not None and last["deliver"]["code"] == 0, last
    for r in results:
        assert http.get(f"/v1/txs/{r['tx_id']}").status_code == 200


def test_commit_wait_longer_than_request_timeout_is_a_bad_parameter(http: httpx.Client) -> None:
    response = http.post(
        "/v1/txs", params={"mode": "commit", "timeout": 10_000}, json={"tx": b64(b"x")}
    )
    assert_error(response, 400, "api", 11)


def test_assets_listings_and_generic_query(http: httpx.Client, live: LiveNode) -> None:
    (cny,) = http.get("/v1/assets").json()["value"]["assets"]
    assert cny["symbol"] == "CNY" and cny["decimals"] == 2 and isinstance(cny["supply"], str)
    one = http.get("/v1/assets/CNY", params={"prove": "true"}).json()
    assert one["value"]["supply"] == cny["supply"] and one["proofs"]
    balances = http.get(f"/v1/accounts/{live.ids['bob']}/balances").json()["value"]["balances"]
    assert [x["asset"] for x in balances] == ["CNY"]
    closed = http.get("/v1/query/accounts/closed").json()
    assert closed["value"] == {"closed": []}
    via_generic = http.get(
        "/v1/query/bank/balance", params={"account": live.ids["bob"], "asset": "CNY"}
    )
    assert via_generic.json()["value"]["asset"] == "CNY"
    key = BALANCES.key_bytes((live.ids["bob"], "CNY"))
    raw_value = http.get("/v1/query/store", params={"key": key.hex(), "prove": "true"}).json()
    assert raw_value["value"] is not None and raw_value["proofs"][0]["key"] == key.hex()
    assert_error(http.get("/v1/query/store", params={"key": "xyz"}), 400, "api", 7)
    assert_error(http.get("/v1/query/no/such/path"), 404, "tx", 24)
    assert_error(
        http.get(f"/v1/accounts/{live.ids['bob']}/balances", params={"height": "x"}), 400, "api", 11
    )


def test_chain_errors_keep_their_codes(http: httpx.Client) -> None:
    assert_error(http.get(f"/v1/accounts/{account_id(99)}"), 404, "accounts", 4)
    assert_error(http.get("/v1/accounts/not-an-id"), 400, "tx", 25)
    assert_error(http.get("/v1/assets/NOPE"), 404, "bank", 2)
    assert_error(http.get("/v1/query/bank/balances", params={"account": "x"}), 400, "tx", 25)


def test_event_stream_delivers_filtered_tx_events_and_keepalives(
    http: httpx.Client, live: LiveNode
) -> None:
    bob = live.ids["bob"]
    with http.stream("GET", "/v1/events", params={"account": bob, "types": "transfer"}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines) == ": connected"
        raw = live.signer("alice").sign(b.transfer((bob, "CNY", 3)))
        http.post("/v1/txs", params={"mode": "async"}, json={"tx": b64(raw)})
        frame = read_frame(lines)
        assert frame[0] == "event: tx_event" and frame[1].startswith("id: ")
        item = json.loads(frame[2].removeprefix("data: "))
        assert item["kind"] == "tx_event" and item["data"]["event"]["type"] == "transfer"
        assert item["data"]["tx_id"] == live.node.app.tx_id(raw).hex()
        # the chain is idle now: keep-alive comments arrive every keepalive_interval
        assert next(line for line in lines if line) == ": keep-alive"
    wait_until(lambda: live.ctx.gate.streams == 0, what="the stream to be released on disconnect")
    wait_until(lambda: not live.node._streams.active, what="the node subscription to close")


def test_event_streams_are_bounded_and_filters_validated(
    http: httpx.Client, live: LiveNode
) -> None:
    assert_error(http.get("/v1/events", params={"types": "Bad Type"}), 400, "api", 11)
    with http.stream("GET", "/v1/events") as first, http.stream("GET", "/v1/events") as second:
        assert first.status_code == second.status_code == 200
        assert_error(http.get("/v1/events"), 429, "api", 12)
    wait_until(lambda: live.ctx.gate.streams == 0, what="streams released")


def test_stuck_node_gives_504_then_503_never_a_pile_up(tmp_path: Path) -> None:
    limits = ApiLimits(request_timeout=0.3, max_concurrency=4)
    with (
        live_node(tmp_path, limits) as live,
        serve(live.app) as url,
        httpx.Client(base_url=url) as http,
    ):
        with live.node._lock:  # the node is stuck (e.g. a huge block) while we hold its lock
            for _ in range(4):
                assert_error(http.get("/v1/status"), 504, "api", 14)
            # four calls still wait for the lock: the API refuses more instead of piling up
            assert live.ctx.calls.running == 4
            assert_error(http.get("/v1/status"), 503, "api", 13)
            health = http.get("/v1/health")  # answers, and says the node calls are all taken
            assert health.status_code == 503 and health.json()["status"] == "overloaded"
            assert health.json()["details"]["exhausted"] == ["node_calls"]
        wait_until(lambda: live.ctx.calls.running == 0, what="abandoned calls to finish")
        assert http.get("/v1/status").status_code == 200
        assert http.get("/v1/health").json() == {"status": "ok"}
