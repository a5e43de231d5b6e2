"""The indexer reading a real solo node through its real HTTP API (uvicorn, in-process), with
a stand-in module that raises ``compliance.alert`` events as the compliance module will
(the shared contract's attributes), so alerts are indexed from real blocks before that module
lands.

Steps: one tx pays bob and raises a ``large_value`` alert about it; a second tx raises a
``structuring`` alert. The indexer catches up; the alerts carry the tx ids the node
reports, bob's history shows the payment coming in, and the report holds the alert. On
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from finchain.chain import FinchainApp
from finchain.client import Client
from finchain.client import builders as b
from finchain.core.collections import StoreKey
from finchain.core.context import Context
from finchain.core.events import Event
from finchain.core.fields import AMOUNT, Text, wire
from finchain.core.module import BaseModule, Handler, Module
from finchain.core.msgs import Msg
from finchain.crypto import Keystore
from finchain.indexer import HttpSource, Indexer, connect, open_index
from finchain.node.api import ApiLimits, create_app
from finchain.node.solo import open_solo_node
from tests.client.live import serve
from tests.node.conftest import PASSPHRASE, make_home


@dataclass(frozen=True, slots=True)
class MsgRaiseAlert(Msg):
    TYPE = "testalert/raise"
    rule: str = wire(Text())
    report_type: str = wire(Text())
    counterparty: str = wire(Text())
    asset: str = wire(Text())
    amount: int = wire(AMOUNT)


class AlertStandIn(BaseModule):
    """Emits the contract's ``compliance.alert`` for a message (tests only)."""

    name = "testalert"
    store_key = StoreKey("testalert", b"testalert/")

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        def raise_alert(ctx: Context, msg: MsgRaiseAlert) -> None:
            ctx.emit(
                Event(
                    "compliance.alert",
                    (
                        ("rule", msg.rule),
                        ("report_type", msg.report_type),
                        ("ruleset", "1"),
                        ("tx", ctx.tx_id.hex()),
                        ("account", ctx.signer),
                        ("counterparty", msg.counterparty),
                        ("asset", msg.asset),
                        ("amount", str(msg.amount)),
                        ("institution", "did:fc:bank-a"),
                        ("counterparty_institution", ""),
                        ("height", str(ctx.height)),
                    ),
                )
            )

        return {MsgRaiseAlert: raise_alert}


def _modules(app: FinchainApp) -> list[Module]:
    return [AlertStandIn()]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    """A started solo node with the stand-in module, served by uvicorn: (url, ids, home)."""
    path = tmp_path_factory.mktemp("live-index")
    home, ids = make_home(path / "home")
    passphrase = path / "passphrase"
    passphrase.write_text(PASSPHRASE)
    passphrase.chmod(0o600)
    node = open_solo_node(
        home,
        instant=True,
        passphrase_file=passphrase,
        app_factory=partial(FinchainApp, extra_modules=_modules),
    )
    node.start()
    try:
        with serve(create_app(node, limits=ApiLimits())) as url:
            yield url, ids, home.path
    finally:
        node.stop()


def test_alerts_from_real_blocks_are_indexed(
    live: tuple[str, dict[str, str], Path], db_url: str
) -> None:
    url, ids, home = live
    with Client(url, timeout=30) as client:
        key = Keystore(home / "keystore").load("alice", PASSPHRASE)
        alice = client.signer(ids["alice"], [("k1", key)])
        pay = alice.sign(
            b.transfer((ids["bob"], "CNY", 500_000)),
            MsgRaiseAlert("lv-1", "large_value", ids["bob"], "CNY", 500_000).to_raw(),
        )
        split = alice.sign(MsgRaiseAlert("st-1", "structuring", ids["bob"], "CNY", 19_000).to_raw())
        receipts = client.submit_batch([pay, split], mode="commit", timeout=20)
    assert all(r.height and r.ok for r in receipts), receipts
    paid, structured = (r.tx_id for r in receipts)

    db = connect(db_url)
    source = HttpSource(url)
    Indexer(db, source, batch=3).catch_up()
    source.close()
    db.close()
    with open_index(db_url) as index:
        alerts = {a["tx_hash"]: a for a in index.alerts(limit=1000)}
        assert alerts[paid]["rule"] == "lv-1" and alerts[paid]["amount"] == 500_000
        assert alerts[paid]["account"] == ids["alice"]
        assert alerts[paid]["institution"] == "did:fc:bank-a"
        assert alerts[structured]["report_type"] == "structuring"
        report = index.report("structuring", None, None)
        assert structured in {r["tx_hash"] for r in report.rows}
        assert all(r["report_type"] == "structuring" for r in report.rows)
        history = index.account_history(ids["bob"], limit=1000)
        incoming = [h for h in history if h["tx_hash"] == paid and h["type"] == "transfer"]
        assert incoming and incoming[0]["direction"] == "in"
        assert incoming[0]["attributes"]["amount"] == "500000"
        rows = index.db.query("SELECT code, info FROM txs WHERE hash = ?", (paid,))
        assert rows == [(0, "")]  # info: the rule-set version, once compliance sets it
