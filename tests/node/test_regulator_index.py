"""The regulator's index-backed routes over a real node and a real SQLite index.

The world (regulator_world, with the alert-emitting module) is indexed by the indexer
of ``finchain.indexer`` reading the node's own API, then the routes read that index:
flows between institutions, an account's history, past alerts, and reports in CSV,
JSON and PDF, each exactly what the world's transactions make; others get 403.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from finchain.cli.main import app
from finchain.client import Client
from finchain.client import builders as b
from finchain.client.regulator import RequestSigner
from finchain.indexer import HttpSource, Indexer, connect, open_index, render
from finchain.node.api import ApiLimits
from finchain.node.api.regulator_auth import ErrNotRegulator
from finchain.node.api.routes.regulator_index import ErrIndexUnavailable, ErrNoIndex
from finchain.service.interface import SubmitMode
from tests.client.live import serve
from tests.node.regulator_world import PASSPHRASE, World, alert_module, flag, regulator_world


@pytest.fixture(scope="module", params=["intl", "gm"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with regulator_world(
        tmp_path_factory.mktemp(f"index-{request.param}"),
        suite=request.param,
        limits=ApiLimits(keepalive_interval=0.2),
        extra_modules=alert_module,
    ) as w:
        yield w


@pytest.fixture(scope="module")
def indexed(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(API URL, index URL): two alert-flagging txs committed, then every block indexed."""
    bank, outsider = world.dids["bank"], world.dids["outsider"]
    for msgs in (
        [flag("large_value", 5_000_000, bank, outsider), flag("structuring", 19_000, bank)],
        [flag("large_value", 7_000_000, outsider)],
    ):
        commit(world, *msgs)
    db_url = f"sqlite://{tmp_path_factory.mktemp('idx') / 'index.db'}"
    with serve(world.app) as url:
        source = HttpSource(url)
        try:
            Indexer(connect(db_url), source).catch_up()
        finally:
            source.close()
        world.app.state.finchain_index_url = db_url
        yield url, db_url
        world.app.state.finchain_index_url = ""


def commit(world: World, *msgs: Any) -> None:
    account = world.ids["alice"]
    nonce = int(world.query("accounts/account", account=account)["nonce"])
    signer = b.Signer(world.chain_id, account, [("k1", world.key("alice"))], nonce=nonce)
    (result,) = world.node.submit([signer.sign(*msgs)], SubmitMode.COMMIT, timeout=30)
    assert result.deliver is not None and result.deliver.ok, result


def client(world: World, url: str, name: str = "regulator") -> httpx.Client:
    auth = RequestSigner(world.chain_id, world.suite, world.ids[name], [("k1", world.key(name))])
    return httpx.Client(base_url=url, auth=auth, timeout=30)


def ok(http: httpx.Client, path: str, **params: Any) -> Any:
    answer = http.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_flows_between_institutions(world: World, indexed: tuple[str, str]) -> None:
    bank = world.dids["bank"]
    with client(world, indexed[0]) as http:
        answer = ok(http, "/v1/regulator/flows")
        only_usd = ok(http, "/v1/regulator/flows", asset="USD")
    assert answer["indexed_height"] == world.node.app.height
    assert answer["flows"] == [
        {
            "from_institution": bank,
            "to_institution": bank,
            "asset": "CNY",
            "count": 1,
            "total": "250",
        },
        {
            "from_institution": bank,
            "to_institution": bank,
            "asset": "USD",
            "count": 1,
            "total": "1000",
        },
    ]
    assert [f["asset"] for f in only_usd["flows"]] == ["USD"]


def test_flows_respect_the_time_range(world: World, indexed: tuple[str, str]) -> None:
    with client(world, indexed[0]) as http:
        future = ok(http, "/v1/regulator/flows", **{"from": "2200-01-01T00:00:00Z"})
        too_far = http.get("/v1/regulator/flows", params={"from": "2999-01-01T00:00:00Z"})
        past = ok(http, "/v1/regulator/flows", to="1")
        bad = http.get("/v1/regulator/flows", params={"from": "5", "to": "5"})
        garbage = http.get("/v1/regulator/flows", params={"from": "yesterday"})
    assert future["flows"] == [] and past["flows"] == []
    assert bad.status_code == 400 and garbage.status_code == 400 and too_far.status_code == 400
    assert garbage.json()["details"]["parameter"] == "from"


def test_account_history(world: World, indexed: tuple[str, str]) -> None:
    alice = world.ids["alice"]
    with client(world, indexed[0]) as http:
        answer = ok(http, f"/v1/regulator/accounts/{alice}/history")
        first = ok(http, f"/v1/regulator/accounts/{alice}/history", limit=1)
        rest = ok(
            http,
            f"/v1/regulator/accounts/{alice}/history",
            after_height=first["next_after_height"],
        )
    transfers = [
        (i["direction"], i["attributes"]["amount"], i["attributes"]["asset"])
        for i in answer["items"]
        if i["category"] == "transfer"
    ]
    assert transfers == [("out", "250", "CNY"), ("in", "1000", "USD")]
    assert any(i["category"] == "intervention" for i in answer["items"])
    assert [i["height"] for i in answer["items"]] == sorted(i["height"] for i in answer["items"])
    assert first["items"] + rest["items"] == answer["items"]


def test_past_alerts_paged(world: World, indexed: tuple[str, str]) -> None:
    with client(world, indexed[0]) as http:
        large = ok(http, "/v1/regulator/alerts", report_type="large_value")
        page = ok(http, "/v1/regulator/alerts", limit=1)
        after = ok(http, "/v1/regulator/alerts", after_id=page["next_after_id"], limit=10)
    assert [a["amount"] for a in large["alerts"]] == ["5000000", "7000000"]
    assert large["alerts"][0]["institution"] == world.dids["bank"]
    assert len(page["alerts"]) == 1 and len(after["alerts"]) == 2
    assert after["next_after_id"] is None


def test_reports_in_three_formats_are_the_indexers_files(
    world: World, indexed: tuple[str, str]
) -> None:
    url, db_url = indexed
    with client(world, url) as http:
        files = {
            fmt: http.get("/v1/regulator/reports/large_value", params={"format": fmt})
            for fmt in ("csv", "json", "pdf")
        }
        flows = http.get("/v1/regulator/reports/flows", params={"format": "csv"})
    with open_index(db_url) as index:
        made = index.report("large_value", None, None)
        for fmt, answer in files.items():
            assert answer.status_code == 200, answer.text
            assert answer.content == render(made, fmt)  # type: ignore[arg-type]
            assert answer.headers["x-indexed-height"] == str(index.last_indexed_height())
    assert files["pdf"].content.startswith(b"%PDF") and files["pdf"].headers["content-type"] == (
        "application/pdf"
    )
    report = json.loads(files["json"].content)
    assert [r["amount"] for r in report["rows"]] == [5_000_000, 7_000_000]
    rows = list(csv.reader(io.StringIO(files["csv"].text)))
    assert rows[0][:3] == ["id", "height", "time_ns"]
    assert 'filename="large_value.csv"' in files["csv"].headers["content-disposition"]
    assert flows.status_code == 200 and "from_institution" in flows.text


def test_bad_report_requests(world: World, indexed: tuple[str, str]) -> None:
    with client(world, indexed[0]) as http:
        for path, params in (
            ("/v1/regulator/reports/Large-Value", {}),
            ("/v1/regulator/reports/large_value", {"format": "xlsx"}),
            ("/v1/regulator/reports/large_value", {"from": "10", "to": "2"}),
        ):
            assert http.get(path, params=params).status_code == 400, (path, params)


def test_others_are_refused_before_the_index_is_read(
    world: World, indexed: tuple[str, str]
) -> None:
    for path in (
        "/v1/regulator/flows",
        f"/v1/regulator/accounts/{world.ids['alice']}/history",
        "/v1/regulator/alerts",
        "/v1/regulator/reports/large_value?format=csv",
    ):
        with client(world, indexed[0], "bank") as http:
            answer = http.get(path)
        assert answer.status_code == 403 and answer.json()["code"] == ErrNotRegulator.code
        assert "5000000" not in answer.text


def test_without_an_index_the_routes_say_what_to_configure(world: World, tmp_path: Path) -> None:
    with serve(world.app) as url, client(world, url) as http:
        saved = world.app.state.finchain_index_url
        try:
            world.app.state.finchain_index_url = ""
            none = http.get("/v1/regulator/flows")
            world.app.state.finchain_index_url = f"sqlite://{tmp_path / 'missing' / 'index.db'}"
            broken = http.get("/v1/regulator/flows")
        finally:
            world.app.state.finchain_index_url = saved
    assert none.status_code == 503 and none.json()["code"] == ErrNoIndex.code
    assert "[indexer] db" in none.json()["message"]
    assert broken.status_code == 503 and broken.json()["code"] == ErrIndexUnavailable.code


def test_sdk_and_cli_read_the_index(world: World, indexed: tuple[str, str], tmp_path: Path) -> None:
    url, db_url = indexed
    with Client(url) as sdk:
        sdk.use_regulator(world.ids["regulator"], [("k1", world.key("regulator"))])
        assert [f["total"] for f in sdk.regulator_flows()["flows"]] == ["250", "1000"]
        history = sdk.regulator_history(world.ids["bob"])
        assert [
            i["attributes"]["amount"] for i in history["items"] if i["category"] == "transfer"
        ] == ["1000"]
        past = sdk.regulator_past_alerts(report_type="structuring")
        assert [a["amount"] for a in past["alerts"]] == ["19000"]
        pdf = sdk.regulator_report("large_value", fmt="pdf")
        assert pdf.startswith(b"%PDF")
    env = {"FINCHAIN_URL": url, "FINCHAIN_HOME": str(world.home), "FINCHAIN_PASSPHRASE": PASSPHRASE}
    out = tmp_path / "flows.csv"
    result = CliRunner().invoke(
        app, ["regulator", "report", "flows", "--out", str(out), "--from", "regulator"], env=env
    )
    assert result.exit_code == 0, result.output
    with open_index(db_url) as index:
        assert out.read_bytes() == render(index.report("flows", None, None), "csv")
    result = CliRunner().invoke(
        app, ["regulator", "flows", "--asset", "CNY", "--from", "regulator", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    assert [f["total"] for f in json.loads(result.stdout)["flows"]] == ["250"]
    result = CliRunner().invoke(
        app,
        ["regulator", "history", "alice", "--limit", "1", "--from", "regulator", "--json"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["next_after_height"] is not None
