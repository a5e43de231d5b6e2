"""A real ``finchain node`` behind its native front end: single submissions answered
by the front, everything else by the Python API behind it, on one port and on one
kept-alive connection alike."""

from __future__ import annotations

import base64
import json
import socket
import threading
from pathlib import Path
from typing import Any

import httpx

from finchain.client import builders as b
from finchain.client.builders import Signer
from finchain.crypto import Keystore
from tests.functional.conftest import PASSPHRASE
from tests.functional.framework import TestNode


def _signer(node: TestNode, ids: dict[str, str], name: str, http: httpx.Client) -> Signer:
    key = Keystore(node.home / "keystore").load(name, PASSPHRASE)
    nonce = http.get(f"/v1/accounts/{ids[name]}").json()["value"]["nonce"]
    chain_id = http.get("/v1/status").json()["chain_id"]
    return Signer(chain_id, ids[name], [("k1", key)], nonce=nonce)


def _raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _body(answer: bytes) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    return loaded


def test_one_port_serves_single_submissions_natively_and_the_rest_in_python(
    node_factory: Any,
) -> None:
    node, ids = node_factory(accounts=2)
    node.start()
    with httpx.Client(base_url=node.url, timeout=30) as http:
        alice = _signer(node, ids, "a1", http)
        events: list[dict[str, Any]] = []
        subscribed = threading.Event()

        def listen() -> None:  # an event stream, through the tunnel
            with httpx.stream(
                "GET", f"{node.url}/v1/events", params={"account": ids["a2"]}, timeout=30
            ) as stream:
                subscribed.set()
                for line in stream.iter_lines():
                    if line.startswith("data:"):
                        events.append(json.loads(line[5:]))
                        return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert subscribed.wait(10)

        raws = [alice.sign(b.transfer((ids["a2"], "CNY", 5))) for _ in range(20)]
        # on the connection that just read the account: the front forwards reads one by one
        # and keeps answering single submissions itself
        answers = [http.post("/v1/txs", json={"tx": base64.b64encode(r).decode()}) for r in raws]
        assert all(a.status_code == 200 and a.json()["check"]["code"] == 0 for a in answers)
        assert answers[0].headers["content-type"] == "application/json"
        assert "server" not in answers[0].headers  # the front answered, not uvicorn
        assert set(answers[0].json()) == {
            "tx_id",
            "check",
            "height",
            "index",
            "deliver",
            "timed_out",
        }
        # commit mode is the Python route's, on the same port: it sees the admitted tx
        last = http.post(
            "/v1/txs", params={"mode": "commit"}, json={"tx": base64.b64encode(raws[-1]).decode()}
        ).json()
        assert last["deliver"]["code"] == 0
        balance = http.get(f"/v1/accounts/{ids['a2']}/balances/CNY").json()["value"]["amount"]
        assert int(balance) == 10**9 + 100  # every single submission executed, none twice
        listener.join(timeout=10)
        assert events and events[0]

        # a malformed request reaches the Python API's parser: JSON 400, connection closed
        refused = _raw_exchange(node.port, b"POST /v1/txs HTTP/1.1\r\nContent-Length: -1\r\n\r\n")
        assert refused.startswith(b"HTTP/1.1 400") and _body(refused)["code"] == 17
        # a body the front does not take is judged by the route: a duplicate key is api:19
        duplicate = b'{"tx":"AAAA","tx":"AAAA"}'
        answer = _raw_exchange(
            node.port,
            b"POST /v1/txs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(duplicate), duplicate),
        )
        assert answer.startswith(b"HTTP/1.1 400") and _body(answer)["code"] == 19


def test_front_python_serves_the_same_api(node_factory: Any) -> None:
    node, ids = node_factory(accounts=1)
    config = node.home / "config.toml"
    config.write_text(config.read_text().replace("[api]\n", '[api]\nfront = "python"\n', 1))
    node.start()
    with httpx.Client(base_url=node.url, timeout=30) as http:
        alice = _signer(node, ids, "a1", http)
        raw = alice.sign(b.transfer((ids["operator"], "CNY", 1)))
        answer = http.post("/v1/txs", json={"tx": base64.b64encode(raw).decode()})
        assert answer.status_code == 200 and answer.json()["check"]["code"] == 0
        assert answer.headers["server"] == "uvicorn"  # the Python server answered


def test_a_taken_port_fails_with_node_8(node_factory: Any, tmp_path: Path) -> None:
    node, _ = node_factory(accounts=1)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", node.port))
        taken.listen()
        stderr = node.start_refused()
    assert "node:8" in stderr and f"127.0.0.1:{node.port}" in stderr
