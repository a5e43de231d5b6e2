"""The regulator's alert stream over a real node: flagged alerts arrive filtered, with stable ids,
and a reconnect with Last-Event-ID gets exactly what was missed, then the live ones.

Alerts come from a tiny module (regulator_world.AlertForTestsModule) emitting the
compliance module's ``compliance_alert`` event through real transactions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from finchain.cli.main import app
from finchain.client import Client
from finchain.client import builders as b
from finchain.client.regulator import RequestSigner
from finchain.codec import RawMsg
from finchain.node.api import ApiLimits
from finchain.node.api.regulator_auth import ErrNotRegulator
from finchain.service.interface import SubmitMode
from tests.client.live import serve
from tests.node.regulator_world import PASSPHRASE, World, alert_module, flag, regulator_world
from tests.support import wait_until

STREAM = "/v1/regulator/alerts/stream"


@pytest.fixture(scope="module", params=["intl", "gm"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with regulator_world(
        tmp_path_factory.mktemp(f"alerts-{request.param}"),
        suite=request.param,
        limits=ApiLimits(keepalive_interval=0.2, max_event_streams=4),
        extra_modules=alert_module,
    ) as w:
        yield w


@pytest.fixture(scope="module")
def url(world: World) -> Iterator[str]:
    with serve(world.app) as base:
        yield base


def client(world: World, url: str, name: str = "regulator") -> httpx.Client:
    auth = RequestSigner(world.chain_id, world.suite, world.ids[name], [("k1", world.key(name))])
    return httpx.Client(base_url=url, auth=auth, timeout=httpx.Timeout(30, read=10))


def commit(world: World, *msgs: RawMsg) -> int:
    """One tx of ``msgs`` by alice; the height it committed at."""
    account = world.ids["alice"]
    nonce = int(world.query("accounts/account", account=account)["nonce"])
    signer = b.Signer(world.chain_id, account, [("k1", world.key("alice"))], nonce=nonce)
    (result,) = world.node.submit([signer.sign(*msgs)], SubmitMode.COMMIT, timeout=30)
    assert result.deliver is not None and result.deliver.ok, result
    return result.height


class Frames:
    """The ``alert`` frames of an open stream, skipping comments (connected, keep-alives)."""

    def __init__(self, response: httpx.Response) -> None:
        assert response.status_code == 200, response.read()
        self.lines = response.iter_lines()
        assert next(self.lines) == ": connected"

    def next(self) -> tuple[str, dict[str, Any]]:
        fields: dict[str, str] = {}
        for line in self.lines:
            if line.startswith(":"):
                continue
            if not line:
                if fields:
                    assert fields["event"] == "alert"
                    return fields["id"], json.loads(fields["data"])
                continue
            name, _, content = line.partition(": ")
            fields[name] = content
        raise AssertionError("the stream ended")

    def take(self, n: int) -> list[tuple[str, dict[str, Any]]]:
        return [self.next() for _ in range(n)]


def test_filtered_alerts_and_resume_after_reconnect(world: World, url: str) -> None:
    inst_a, inst_b = world.dids["bank"], world.dids["outsider"]
    with client(world, url) as http:
        with http.stream("GET", STREAM, params={"report_type": "large_value"}) as response:
            frames = Frames(response)
            h1 = commit(
                world,
                flag("structuring", 57_000, inst_b),
                flag("large_value", 5_000_000, inst_a, inst_b),
                flag("large_value", 6_000_000, inst_b),
            )
            got = frames.take(2)
        # Ids count every alert of the block, the filtered-out structuring one too.
        assert [i for i, _ in got] == [f"{h1}-1", f"{h1}-2"]
        first = got[0][1]
        assert first["report_type"] == "large_value" and first["amount"] == "5000000"
        assert first["institution"] == inst_a and first["account"] == world.ids["alice"]
        assert first["height"] == h1 and first["n"] == 1 and len(first["tx_id"]) == 64

        # Missed while disconnected: two blocks; then resume after the last id seen.
        h2 = commit(world, flag("large_value", 7_000_000, inst_a))
        h3 = commit(world, flag("structuring", 1, inst_a), flag("large_value", 8_000_000))
        headers = {"Last-Event-ID": got[-1][0]}
        params = {"report_type": "large_value"}
        with http.stream("GET", STREAM, params=params, headers=headers) as response:
            frames = Frames(response)
            missed = frames.take(2)
            h4 = commit(world, flag("large_value", 9_000_000, inst_b))
            live = frames.next()
        assert [i for i, _ in missed] == [f"{h2}-0", f"{h3}-1"]
        assert [d["amount"] for _, d in missed] == ["7000000", "8000000"]
        assert live[0] == f"{h4}-0" and live[1]["amount"] == "9000000"

        # Resuming in the middle of a block: only that block's later alerts, then later blocks.
        with http.stream("GET", STREAM, headers={"Last-Event-ID": f"{h1}-1"}) as response:
            replay = Frames(response).take(5)
        assert [i for i, _ in replay] == [f"{h1}-2", f"{h2}-0", f"{h3}-0", f"{h3}-1", f"{h4}-0"]


def test_institution_filter_matches_either_side(world: World, url: str) -> None:
    inst_a, inst_b = world.dids["bank"], world.dids["outsider"]
    with (
        client(world, url) as http,
        http.stream("GET", STREAM, params={"institution": inst_b}) as response,
    ):
        frames = Frames(response)
        height = commit(
            world,
            flag("large_value", 1, inst_a),
            flag("large_value", 2, inst_a, inst_b),
            flag("structuring", 3, inst_b),
        )
        got = frames.take(2)
    assert [(i, d["amount"]) for i, d in got] == [(f"{height}-1", "2"), (f"{height}-2", "3")]


def test_only_a_regulator_may_listen(world: World, url: str) -> None:
    for name in ("alice", "bank"):
        with client(world, url, name) as http:
            answer = http.get(STREAM)
        assert answer.status_code == 403
        assert answer.json()["code"] == ErrNotRegulator.code and "alert" not in answer.text


@pytest.mark.parametrize("last_id", ["7", "1-x", "-1-0", "01-0", "1-01", f"{10**12}-0"])
def test_bad_resume_points_are_refused_before_the_stream_opens(
    world: World, url: str, last_id: str
) -> None:
    with client(world, url) as http:
        answer = http.get(STREAM, headers={"Last-Event-ID": last_id})
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"]["parameter"] == "Last-Event-ID"


def test_sdk_alert_stream_resumes_with_last_id(world: World, url: str) -> None:
    with Client(url) as sdk:
        sdk.use_regulator(world.ids["regulator"], [("k1", world.key("regulator"))])
        with sdk.regulator_alerts(report_type="cash", idle_timeout=10) as stream:
            # The stream is open (connected) once the response headers are in.
            h1 = commit(world, flag("cash", 11), flag("cash", 12))
            seen = []
            for alert in stream:
                seen.append(alert)
                if len(seen) == 1:
                    break
            last = stream.last_id
        assert [a.id for a in seen] == [f"{h1}-0"] and last == f"{h1}-0"
        h2 = commit(world, flag("cash", 13))
        with sdk.regulator_alerts(report_type="cash", last_event_id=last, idle_timeout=10) as again:
            resumed = []
            for alert in again:
                resumed.append(alert)
                if len(resumed) == 2:
                    break
    assert [(a.id, a.data["amount"]) for a in resumed] == [(f"{h1}-1", "12"), (f"{h2}-0", "13")]


def test_cli_follows_alerts_from_a_resume_point(world: World, url: str) -> None:
    h1 = commit(world, flag("cli_check", 1), flag("cli_check", 2), flag("cli_check", 3))
    env = {"FINCHAIN_URL": url, "FINCHAIN_HOME": str(world.home), "FINCHAIN_PASSPHRASE": PASSPHRASE}
    result = CliRunner().invoke(
        app,
        ["regulator", "alerts", "--report-type", "cli_check", "--after", f"{h1}-0",
         "--count", "2", "--from", "regulator"],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(x["id"], x["amount"]) for x in lines] == [(f"{h1}-1", "2"), (f"{h1}-2", "3")]


def test_closed_streams_release_their_slot_and_subscription(world: World, url: str) -> None:
    """Run after the others: every stream they opened is closed, so none may linger."""
    gate = world.app.state.finchain.gate
    with client(world, url) as http, http.stream("GET", STREAM) as response:
        frames = Frames(response)  # held: dropping it would close the connection
        assert gate.streams >= 1 and world.node._streams.active and frames.lines is not None
    wait_until(lambda: gate.streams == 0, timeout=10, what="stream slots released")
    wait_until(lambda: not world.node._streams.active, timeout=10, what="subscriptions closed")


def test_open_alert_streams_take_no_request_slot(world: World, url: str) -> None:
    """Like /v1/events, a stream is bounded by max_event_streams, not by the request slots
    (max_concurrency) it would otherwise hold for its whole life."""
    gate = world.app.state.finchain.gate
    with client(world, url) as http, http.stream("GET", STREAM) as response:
        frames = Frames(response)  # held: dropping it would close the connection
        assert world.node._streams.active and frames.lines is not None
        assert gate.requests == 0
