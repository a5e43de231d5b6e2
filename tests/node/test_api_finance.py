"""The open-finance routes over a real solo node: state made by ordinary transactions, read
back through each resource route and compared with the generic ``/v1/query`` answer."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from finchain.client import escrow_builders as esb
from finchain.client import lending_builders as lb
from finchain.client import netting_builders as nb
from finchain.client import receivables_builders as rb
from finchain.client import securities_builders as secb
from finchain.client import settlement_builders as sb
from finchain.client.builders import RawMsg
from finchain.modules.escrow.errors import ErrUnknownEscrow
from finchain.modules.lending.errors import ErrUnknownLoan
from finchain.modules.netting.errors import ErrUnknownCycle
from finchain.modules.receivables.errors import ErrInvoiceNotFound
from finchain.modules.securities.errors import ErrUnknownPayment, ErrUnknownSecurity
from finchain.modules.settlement.errors import ErrUnknownInstruction
from finchain.store import proof_from_json, verify_proof
from tests.client.live import LiveNode, live_node, serve
from tests.node.test_api import assert_error
from tests.support import code

ISIN = "CND100001239"
OTHER_ISIN = "US0378331005"  # a valid ISIN no one registered
DAY_NS = 86_400 * 10**9
BAD_IDS = ("abc", "0", "-1", str(2**63), "1" * 65)


@dataclass
class World:
    """The node, its API client and the ids of what the module fixture created."""

    live: LiveNode
    http: httpx.Client
    ids: dict[str, str]
    invoice_hash: str


def commit(live: LiveNode, http: httpx.Client, who: str, msg: RawMsg) -> None:
    raw = live.signer(who).sign(msg)
    tx = base64.b64encode(raw).decode()
    receipt = http.post("/v1/txs", params={"mode": "commit"}, json={"tx": tx}).json()
    assert receipt["check"]["code"] == 0 and receipt["deliver"]["code"] == 0, receipt


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with (
        live_node(tmp_path_factory.mktemp("finance")) as live,
        serve(live.app) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        op, alice, bob = live.ids["operator"], live.ids["alice"], live.ids["bob"]
        now = time.time_ns()
        bond = secb.register_bond(
            ISIN,
            "CGB 2028",
            cash_asset="CNY",
            face_value=1_000,
            coupon_bps=250,
            day_count="ACT/365F",
            issue_date="2026-01-01",
            maturity_date="2028-01-01",
            coupon_dates=["2027-07-01"],
            remainder_account=op,
        )
        commit(live, http, "operator", bond)
        commit(live, http, "operator", secb.issue(ISIN, alice, 100))
        deal = sb.instruction(
            "DVP-1",
            "dvp",
            [sb.leg(alice, bob, ISIN, 10), sb.leg(bob, alice, "CNY", 10_100)],
            deadline_height=10**6,
        )
        commit(
            live,
            http,
            "alice",
            sb.settle(deal, [sb.endorse(live.node.app.chain_id, deal, live.signer("bob"))]),
        )
        lock = esb.hash_lock("sha256", b"secret")
        commit(
            live, http, "alice", esb.create(bob, "CNY", 1_000, hash_lock=lock, expiry_height=10**6)
        )
        commit(live, http, "operator", nb.open_cycle("CNY", [op, alice, bob], close_height=10**6))
        commit(live, http, "alice", nb.submit(1, "CNY", [(bob, 700)]))
        loan = lb.offer(
            alice,
            "CNY",
            1_000,
            rate_bps=300,
            schedule="bullet",
            due_times=[now + 180 * DAY_NS],
            collateral_asset=ISIN,
            collateral=10,
            max_ltv_bps=6_000,
            margin_ltv_bps=8_000,
            margin_cure_s=86_400,
            grace_s=86_400,
        )
        commit(live, http, "operator", loan)
        digest = hashlib.sha256(b"invoice INV-1").digest()
        invoice = rb.register(bob, "CNY", 50_000, now + 90 * DAY_NS, "sha256", digest, "INV-1")
        commit(live, http, "alice", invoice)
        yield World(live, http, {"operator": op, "alice": alice, "bob": bob}, digest.hex())


def same(world: World, route: str, query: str, params: dict[str, Any]) -> dict[str, Any]:
    """The route's answer, checked equal to the generic query's at the same height."""
    height = world.http.get("/v1/status").json()["height"]
    answer = world.http.get(route, params={"height": height}).json()
    generic = world.http.get(f"/v1/query/{query}", params={**params, "height": height}).json()
    assert answer == generic and answer["height"] == height
    value: dict[str, Any] = answer["value"]
    return value


def listing(world: World, route: str, query: str, params: dict[str, Any]) -> dict[str, Any]:
    """A listing's answer (latest height only), checked equal to the generic query's."""
    answer = world.http.get(route, params=params)
    assert answer.status_code == 200, answer.json()
    generic = world.http.get(f"/v1/query/{query}", params=params).json()
    assert answer.json()["value"] == generic["value"]
    value: dict[str, Any] = generic["value"]
    return value


def refused(world: World, route: str, status: int, codespace: str, error_code: int) -> None:
    assert_error(world.http.get(route), status, codespace, error_code)


def test_settlement_instructions(world: World) -> None:
    alice, bob = world.ids["alice"], world.ids["bob"]
    page = listing(world, "/v1/settlement/instructions", "settlement/by_party", {"party": alice})
    (found,) = page["instructions"]
    assert found["instruction"]["reference"] == "DVP-1" and page["next"] is None
    id_ = found["id"]
    one = same(world, f"/v1/settlement/instructions/{id_}", "settlement/instruction", {"id": id_})
    assert one == found and one["status"] == "settled"
    assert listing(
        world, "/v1/settlement/instructions", "settlement/by_party", {"party": bob, "limit": "1"}
    )["instructions"] == [found]
    refused(world, "/v1/settlement/instructions/99", 404, *code(ErrUnknownInstruction))
    for bad in BAD_IDS:
        response = world.http.get(f"/v1/settlement/instructions/{bad}")
        assert response.status_code == 400, (bad, response.json())
    refused(world, "/v1/settlement/instructions?party=FC00", 400, "tx", 25)
    refused(world, "/v1/settlement/instructions", 400, "api", 11)  # party is required


def test_escrows(world: World) -> None:
    alice, bob = world.ids["alice"], world.ids["bob"]
    by_payer = listing(world, "/v1/escrows", "escrow/by_payer", {"payer": alice})
    (found,) = by_payer["escrows"]
    assert found["payee"] == bob and found["amount"] == "1000" and found["status"] == "open"
    by_payee = listing(world, "/v1/escrows", "escrow/by_payee", {"payee": bob, "status": "open"})
    assert by_payee["escrows"] == [found]
    none = listing(world, "/v1/escrows", "escrow/by_payee", {"payee": bob, "status": "released"})
    assert none["escrows"] == []
    id_ = found["id"]
    assert same(world, f"/v1/escrows/{id_}", "escrow/escrow", {"id": id_}) == found
    refused(world, "/v1/escrows/99", 404, *code(ErrUnknownEscrow))
    refused(world, f"/v1/escrows/{id_}?height=1", 404, *code(ErrUnknownEscrow))  # not yet made
    refused(world, f"/v1/escrows?payer={alice}&height=1", 400, "tx", 25)  # latest height only
    for bad in BAD_IDS:
        assert world.http.get(f"/v1/escrows/{bad}").status_code == 400, bad
    refused(world, "/v1/escrows", 400, "api", 11)
    refused(world, f"/v1/escrows?payer={alice}&payee={bob}", 400, "api", 11)
    refused(world, f"/v1/escrows?payer={alice}&status=lost", 400, "tx", 25)


def test_netting_cycles(world: World) -> None:
    cycle = same(world, "/v1/netting/cycles/1", "netting/cycle", {"cycle": "1"})
    assert cycle["status"] == "open" and cycle["asset"] == "CNY"
    assert len(cycle["members"]) == 3
    unsettled = listing(
        world, "/v1/netting/cycles/1/unsettled", "netting/unsettled", {"cycle": "1"}
    )
    assert unsettled == {"cycle": 1, "obligations": [], "next_cursor": None}
    refused(world, "/v1/netting/cycles/99", 404, *code(ErrUnknownCycle))
    refused(world, "/v1/netting/cycles/99/unsettled", 404, *code(ErrUnknownCycle))
    for bad in BAD_IDS:
        assert world.http.get(f"/v1/netting/cycles/{bad}").status_code == 400, bad
        assert world.http.get(f"/v1/netting/cycles/{bad}/unsettled").status_code == 400, bad
    refused(world, "/v1/netting/cycles/1/unsettled?limit=1001", 400, "tx", 25)


def test_securities(world: World) -> None:
    security = same(world, f"/v1/securities/{ISIN}", "securities/security", {"isin": ISIN})
    assert security["security"]["isin"] == ISIN
    assert security["security"]["issuer"] == world.ids["operator"]
    schedule = listing(
        world, f"/v1/securities/{ISIN}/schedule", "securities/schedule", {"isin": ISIN}
    )
    assert len(schedule["payments"]) == 2  # the coupon, then redemption at maturity
    holders = listing(
        world,
        f"/v1/securities/{ISIN}/payments/0/holders",
        "securities/holders_of_record",
        {"isin": ISIN, "payment": "0"},
    )
    assert holders["isin"] == ISIN and holders["payment"] == 0
    refused(world, f"/v1/securities/{OTHER_ISIN}", 404, *code(ErrUnknownSecurity))
    refused(world, f"/v1/securities/{OTHER_ISIN}/schedule", 404, *code(ErrUnknownSecurity))
    refused(world, f"/v1/securities/{ISIN}/payments/7/holders", 404, *code(ErrUnknownPayment))
    for bad in ("CND100001238", "cnd100001239", "X" * 65):  # wrong check digit, case, length
        assert world.http.get(f"/v1/securities/{bad}").status_code == 400, bad
    for bad in ("x", "-1", "402", "1" * 65):
        response = world.http.get(f"/v1/securities/{ISIN}/payments/{bad}/holders")
        assert response.status_code == 400, bad


def test_loans(world: World) -> None:
    op, alice = world.ids["operator"], world.ids["alice"]
    page = listing(world, "/v1/loans", "lending/loans", {"account": alice})
    (summary,) = page["loans"]
    assert summary["role"] == "borrower" and summary["counterparty"] == op
    id_ = str(summary["id"])
    loan = same(world, f"/v1/loans/{id_}", "lending/loan", {"loan_id": id_})
    assert loan["lender"] == op and loan["borrower"] == alice and loan["principal"] == "1000"
    schedule = same(world, f"/v1/loans/{id_}/schedule", "lending/schedule", {"loan_id": id_})
    assert [row["state"] for row in schedule["instalments"]] == ["scheduled"]
    ltv = same(world, f"/v1/loans/{id_}/ltv", "lending/ltv", {"loan_id": id_})
    assert ltv["price"] is None and ltv["ltv_bps"] is None  # no oracle has posted a price
    for suffix in ("", "/schedule", "/ltv"):
        refused(world, f"/v1/loans/99{suffix}", 404, *code(ErrUnknownLoan))
        for bad in BAD_IDS:
            assert world.http.get(f"/v1/loans/{bad}{suffix}").status_code == 400, (bad, suffix)
    refused(world, f"/v1/loans/{id_}/ltv?time_ns=x", 400, "tx", 25)
    refused(world, "/v1/loans", 400, "api", 11)


def test_invoices(world: World) -> None:
    alice, bob = world.ids["alice"], world.ids["bob"]
    held = listing(world, "/v1/invoices", "receivables/by_holder", {"holder": alice})
    (found,) = held["invoices"]
    assert found["buyer"] == bob and found["amount"] == "50000"
    owed = listing(world, "/v1/invoices", "receivables/by_buyer", {"buyer": bob})
    assert owed["invoices"] == [found]
    by_hash = {"hash_alg": "sha256", "hash": world.invoice_hash}
    assert listing(world, "/v1/invoices", "receivables/by_hash", by_hash) == found
    id_ = str(found["id"])
    assert same(world, f"/v1/invoices/{id_}", "receivables/invoice", {"id": id_}) == found
    refused(world, "/v1/invoices/99", 404, *code(ErrInvoiceNotFound))
    refused(world, f"/v1/invoices?hash_alg=sha256&hash={'0' * 64}", 404, *code(ErrInvoiceNotFound))
    for bad in BAD_IDS:
        assert world.http.get(f"/v1/invoices/{bad}").status_code == 400, bad
    refused(world, "/v1/invoices", 400, "api", 11)
    refused(world, f"/v1/invoices?holder={alice}&buyer={bob}", 400, "api", 11)
    refused(world, f"/v1/invoices?buyer={bob}&hash=ab", 400, "api", 11)
    refused(
        world, f"/v1/invoices?hash_alg=sha256&hash={world.invoice_hash}&limit=2", 400, "api", 11
    )
    refused(world, "/v1/invoices?hash_alg=sha256&hash=XYZ", 400, "tx", 25)


def test_a_point_read_is_proven_against_the_app_hash(world: World) -> None:
    height = world.http.get("/v1/status").json()["height"]
    proven = world.http.get("/v1/escrows/1", params={"height": height, "prove": "true"}).json()
    assert proven["height"] == height and proven["value"]["id"] == 1 and proven["proofs"]
    header = world.http.get(f"/v1/blocks/{height}").json()["header"]
    assert proven["root"] == header["app_hash"]
    hash_name = world.live.node.app.hash_name
    for entry in proven["proofs"]:
        args = (bytes.fromhex(entry["key"]), bytes.fromhex(entry["value"]))
        assert verify_proof(
            bytes.fromhex(proven["root"]), *args, proof_from_json(entry["proof"]), hash_name
        )
        tampered = args[1] + b"x"
        assert not verify_proof(
            bytes.fromhex(proven["root"]),
            args[0],
            tampered,
            proof_from_json(entry["proof"]),
            hash_name,
        )
    # a listing cannot be proven: the routes do not offer it, the generic route refuses
    refused(
        world, f"/v1/query/escrow/by_payer?payer={world.ids['alice']}&prove=true", 400, "tx", 25
    )


def test_oversized_input_never_reaches_the_node(world: World) -> None:
    calls = world.live.node.query
    seen: list[str] = []

    def spy(path: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(path)
        return calls(path, *args, **kwargs)

    world.live.node.query = spy  # type: ignore[method-assign]
    try:
        for route in (
            f"/v1/escrows/{'1' * 65}",
            f"/v1/securities/{'A' * 65}",
            f"/v1/loans?account={'F' * 65}",
            f"/v1/invoices?holder={'F' * 65}",
            f"/v1/settlement/instructions?party=FC&after={'r' * 65}",
        ):
            refused(world, route, 400, "api", 11)
    finally:
        del world.live.node.query  # type: ignore[method-assign]
    assert seen == []
