"""The native front end's ingress thread: the node's answers, refusals and bugs alike
reach each waiting client, and the thread lives on."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from finchain.app import TxResult
from finchain.errors import FinchainError
from finchain.node.api import ApiLimits
from finchain.node.front import NativeFront
from finchain.node.server import listen
from finchain.service.errors import ErrHalted
from finchain.service.interface import SubmitResult
from tests.support import code, free_port


class ScriptedNode:
    """A node whose ``admit`` answers from a script: results, a refusal, or a bug."""

    def __init__(self) -> None:
        self.script: list[Any] = []
        self.seen: list[list[bytes]] = []

    def admit(self, raws: list[bytes]) -> Future[list[SubmitResult]]:
        self.seen.append(list(raws))
        step = self.script.pop(0)
        if isinstance(step, BaseException) and not isinstance(step, FinchainError):
            raise step
        answer: Future[list[SubmitResult]] = Future()
        if isinstance(step, FinchainError):
            answer.set_exception(step)
        else:
            answer.set_result([SubmitResult(raw[:4], step) for raw in raws])
        return answer


@pytest.fixture
def front(tmp_path: Path) -> Iterator[tuple[NativeFront, ScriptedNode, int]]:
    node = ScriptedNode()
    port = free_port()
    native = NativeFront(
        node,  # type: ignore[arg-type]
        ApiLimits(request_timeout=2.0),
        backend=tmp_path / "nobody.sock",
    )
    native.start(listen("127.0.0.1", port))
    yield native, node, port
    native.stop()


def submit(port: int, tx: str = "AAAAAA==") -> tuple[int, dict[str, Any]]:
    body = json.dumps({"tx": tx}).encode()
    request = (
        b"POST /v1/txs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(payload)


def test_answers_refusals_and_bugs_reach_the_client(
    front: tuple[NativeFront, ScriptedNode, int],
) -> None:
    native, node, port = front
    node.script = [
        TxResult(0),
        ErrHalted("this node halted block production (disk); submit to another node"),
        RuntimeError("a bug"),
        TxResult(7, "bank", "insufficient funds"),
    ]
    status, ok = submit(port)
    assert status == 200 and ok["check"]["code"] == 0 and ok["tx_id"] == "00000000"
    status, halted = submit(port)
    assert status == 503 and (halted["codespace"], halted["code"]) == code(ErrHalted)
    status, bug = submit(port)
    assert status == 500 and (bug["codespace"], bug["code"]) == ("api", 1)
    assert "a bug" not in bug["message"]  # the log has it, not the client
    status, refused = submit(port)  # the ingress thread survived the bug
    assert status == 200 and refused["check"]["code"] == 7
    assert node.seen == [[b"\x00\x00\x00\x00"]] * 4
    assert native.stats()["hot"] == 4
