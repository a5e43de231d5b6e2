"""Netting: a cycle's life on a real chain, the shortfall rule, every refusal, the queries."""

from __future__ import annotations

from typing import Any

import pytest

from finchain.app import FinalizeBlockRequest, TxResult
from finchain.client import builders as b
from finchain.client import netting_builders as nb
from finchain.codec import MAX_AMOUNT, RawMsg
from finchain.core.authority import AccountStatus
from finchain.core.context import Context, ExecMode
from finchain.core.errors import ErrBadQuery, ErrInvalidMsg
from finchain.core.gas import GasMeter, MeteredStore
from finchain.core.kv import Overlay
from finchain.core.params import ChainParams
from finchain.errors import ErrorCode, FinchainError
from finchain.modules.accounts.keeper import AccountsKeeper
from finchain.modules.accounts.types import account_id
from finchain.modules.bank.errors import ErrFrozenAmount
from finchain.modules.bank.keeper import BankKeeper
from finchain.modules.netting.errors import (
    ErrBadClose,
    ErrBadGenesis,
    ErrCycleClosed,
    ErrInvalidMember,
    ErrNotMember,
    ErrOverflow,
    ErrSelfObligation,
    ErrTooManyObligations,
    ErrUnknownAsset,
    ErrUnknownCycle,
    ErrWrongAsset,
    ErrZeroAmount,
)
from finchain.modules.netting.keeper import NettingKeeper
from finchain.modules.netting.keys import STORE, Batch, BatchValue
from finchain.modules.netting.module import NettingModule
from finchain.modules.netting.types import MAX_OBLIGATIONS_PER_MSG
from tests.harness import BLOCK_NS, Chain
from tests.testmodule import with_test_module

A1, A2, A3, A4, A5 = (account_id(i) for i in range(1, 6))
FUNDS = 1_000_000


@pytest.fixture
def chain(tmp_path):
    return Chain(tmp_path / "db", n_accounts=5, funds=FUNDS)


def ok(results: list[TxResult]) -> None:
    for result in results:
        assert result.ok, result.log


def refused(result: TxResult, error: ErrorCode) -> None:
    assert (result.codespace, result.code) == (error.codespace, error.code), result.log
    assert result.events == ()


def query(chain: Chain, path: str, **params: Any) -> Any:
    return chain.app.query(path, params).value


def send(chain: Chain, who: int, msg: RawMsg) -> TxResult:
    return chain.block(chain.signer(who).sign(msg))[0]


def open_cycle(chain: Chain, members=(A1, A2, A3), blocks: int = 3, operator: int = 5) -> int:
    """A cycle among ``members`` taking obligations in the ``blocks`` blocks after the opening
    one; the block after those is its cut-off, where it settles."""
    close = chain.app.height + 2 + blocks
    result = send(chain, operator, nb.open_cycle("CNY", members, close_height=close))
    assert result.ok, result.log
    return int(dict(result.events[0].attributes)["cycle"])


def run_to_close(chain: Chain, cycle: int) -> Any:
    """Empty blocks until the cycle settles; the last block's response."""
    response = None
    while query(chain, "netting/cycle", cycle=cycle)["status"] == "open":
        response = chain.finalize()
    return response


def balances(chain: Chain, *accounts: str) -> list[int]:
    return [chain.balance(a) for a in accounts]


def test_cycle_settles_exactly_the_nets_and_reports_liquidity_saved(chain):
    cycle = open_cycle(chain)
    ok(
        chain.block(
            chain.signer(1).sign(nb.submit(cycle, "CNY", [(A2, 500), (A3, 300)])),
            chain.signer(2).sign(nb.submit(cycle, "CNY", [(A1, 400), (A3, 200)])),
            chain.signer(3).sign(nb.submit(cycle, "CNY", [(A1, 350)])),
        )
    )
    before = balances(chain, A1, A2, A3)
    response = run_to_close(chain, cycle)
    # nets: A1 = 400 + 350 - 800 = -50; A2 = 500 - 600 = -100; A3 = 500 - 350 = +150
    assert [a - b for a, b in zip(balances(chain, A1, A2, A3), before, strict=True)] == [
        -50,
        -100,
        150,
    ]
    answer = query(chain, "netting/cycle", cycle=cycle)
    assert answer["status"] == "settled"
    assert answer["positions"] == {A1: "-50", A2: "-100", A3: "150"}
    report = answer["report"]
    assert (report["gross"], report["net"], report["saved"]) == ("1750", "150", "1600")
    assert (report["settled"], report["removed"], report["transfers"]) == (5, 0, 2)
    types = [e.type for e in response.events]
    assert types.count("transfer") == 2  # the bank's own events, one per net transfer
    assert types[-4:] == ["netting_position"] * 3 + ["netting_cycle_settled"]
    assert chain.app.check_invariants() == []


def test_shortfall_removes_the_latest_obligations_of_the_short_payer(tmp_path):
    chain = Chain(tmp_path / "db", n_accounts=5, funds=100)
    cycle = open_cycle(chain)
    ok(chain.block(chain.signer(1).sign(nb.submit(cycle, "CNY", [(A2, 60), (A3, 50)]))))
    ok(chain.block(chain.signer(1).sign(nb.submit(cycle, "CNY", [(A3, 30)]))))
    ok(chain.block(chain.signer(2).sign(nb.submit(cycle, "CNY", [(A1, 10)]))))
    response = run_to_close(chain, cycle)
    # A1 owes 140 gross, receives 10: net -130 > 100. Latest first: (batch 1, #0) A3 30
    # goes -> net -100, payable. A2: +50, A3: +50.
    unsettled = query(chain, "netting/unsettled", cycle=cycle)
    assert unsettled["obligations"] == [
        {"batch": 1, "index": 0, "payer": A1, "payee": A3, "amount": "30", "reason": "payer_short"}
    ]
    assert unsettled["next_cursor"] is None
    assert balances(chain, A1, A2, A3) == [0, 150, 150]
    report = query(chain, "netting/cycle", cycle=cycle)["report"]
    assert (report["submitted"], report["gross"], report["net"], report["saved"]) == (
        "150",
        "120",
        "100",
        "20",
    )
    assert (report["removed"], report["removed_value"]) == (1, "30")
    events = [e for e in response.events if e.type == "netting_obligations_unsettled"]
    assert [dict(e.attributes)["reason"] for e in events] == ["payer_short"]


def test_shortfall_cascades_to_a_payee_that_was_counting_on_the_removed_payment(tmp_path):
    chain = Chain(tmp_path / "db", n_accounts=5, funds=0)
    ok(chain.block(chain.signer(1).sign(b.mint("CNY", A2, 10))))
    cycle = open_cycle(chain)
    ok(chain.block(chain.signer(1).sign(nb.submit(cycle, "CNY", [(A2, 100)]))))
    ok(chain.block(chain.signer(2).sign(nb.submit(cycle, "CNY", [(A3, 100)]))))
    run_to_close(chain, cycle)
    # A1 has nothing: its obligation goes; then A2 (10 spendable) cannot pay 100: goes too
    removed = query(chain, "netting/unsettled", cycle=cycle)["obligations"]
    assert [(o["payer"], o["payee"]) for o in removed] == [(A1, A2), (A2, A3)]
    assert balances(chain, A1, A2, A3) == [0, 10, 0]


def test_obligations_to_a_closed_account_are_left_unsettled(chain):
    cycle = open_cycle(chain, blocks=4)
    ok(chain.block(chain.signer(1).sign(nb.submit(cycle, "CNY", [(A3, 70), (A2, 20)]))))
    ok(chain.block(chain.signer(3).sign(b.transfer((A5, "CNY", FUNDS)), b.close_account())))
    run_to_close(chain, cycle)
    removed = query(chain, "netting/unsettled", cycle=cycle)["obligations"]
    assert [(o["payee"], o["reason"]) for o in removed] == [(A3, "payee_closed")]
    assert balances(chain, A1, A2) == [FUNDS - 20, FUNDS + 20]


def test_a_frozen_member_receiving_more_than_it_owes_still_does_not_pay(chain):
    """A frozen account may receive, not send: its obligations as payer are removed
    before netting, even when what it receives would cover them."""
    cycle = open_cycle(chain, blocks=4)
    ok(chain.block(chain.signer(2).sign(nb.submit(cycle, "CNY", [(A3, 50)]))))
    ok(chain.block(chain.signer(3).sign(nb.submit(cycle, "CNY", [(A1, 10), (A2, 5)]))))
    frozen = RawMsg("testonly/set_status", {"account": A3, "status": "frozen"})
    ok(chain.block(chain.signer(4).sign(frozen)))
    run_to_close(chain, cycle)
    removed = query(chain, "netting/unsettled", cycle=cycle)["obligations"]
    assert [(o["payer"], o["payee"], o["amount"], o["reason"]) for o in removed] == [
        (A3, A1, "10", "payer_frozen"),
        (A3, A2, "5", "payer_frozen"),
    ]
    assert balances(chain, A1, A2, A3) == [FUNDS, FUNDS - 50, FUNDS + 50]
    assert chain.app.netting.positions(chain.app.state, cycle) == {A1: 0, A2: -50, A3: 50}


def test_time_cut_off(chain):
    close = chain.time_ns + 3 * BLOCK_NS
    result = send(chain, 5, nb.open_cycle("CNY", [A1, A2], close_time_ns=close))
    assert result.ok, result.log
    ok([send(chain, 1, nb.submit(1, "CNY", [(A2, 5)]))])  # time close - BLOCK_NS
    assert chain.time_ns + BLOCK_NS == close
    late = chain.signer(2).sign(nb.submit(1, "CNY", [(A1, 5)]))
    refused(chain.block(late)[0], ErrCycleClosed)  # the block at the cut-off settles it
    assert query(chain, "netting/cycle", cycle=1)["status"] == "settled"
    assert balances(chain, A1, A2) == [FUNDS - 5, FUNDS + 5]


def test_obligations_in_the_last_block_before_the_cut_off_count_and_none_after(chain):
    cycle = open_cycle(chain, blocks=1)
    ok([send(chain, 1, nb.submit(cycle, "CNY", [(A2, 5)]))])
    assert query(chain, "netting/cycle", cycle=cycle)["status"] == "open"
    refused(send(chain, 1, nb.submit(cycle, "CNY", [(A2, 5)])), ErrCycleClosed)
    assert query(chain, "netting/cycle", cycle=cycle)["report"]["gross"] == "5"
    refused(send(chain, 1, nb.submit(cycle, "CNY", [(A2, 5)])), ErrCycleClosed)  # replay


def _state(chain: Chain) -> tuple[Any, ...]:
    cycle = query(chain, "netting/cycle", cycle=1)
    return (cycle, balances(chain, A1, A2, A3, A4, A5))


@pytest.mark.parametrize(
    ("who", "msg", "error"),
    [
        (4, nb.submit(1, "CNY", [(A2, 5)]), ErrNotMember),  # payer not a member
        (1, nb.submit(1, "CNY", [(A4, 5)]), ErrNotMember),  # payee not a member
        (1, nb.submit(1, "CNY", [(A2, 5), (A2, 0)]), ErrZeroAmount),
        (1, nb.submit(1, "CNY", [(A2, 5), (A1, 5)]), ErrSelfObligation),
        (1, nb.submit(1, "USD", [(A2, 5)]), ErrWrongAsset),
        (1, nb.submit(9, "CNY", [(A2, 5)]), ErrUnknownCycle),
        (1, nb.submit(1, "CNY", [(A2, 1)] * (MAX_OBLIGATIONS_PER_MSG + 1)), ErrTooManyObligations),
        (1, nb.submit(1, "CNY", [(A2, MAX_AMOUNT), (A3, 1)]), ErrOverflow),  # one message
        (1, nb.submit(1, "CNY", [(A2, MAX_AMOUNT - 2)]), ErrOverflow),  # the cycle's gross
        (5, nb.open_cycle("USD", [A1, A2], close_height=50), ErrUnknownAsset),
        (5, nb.open_cycle("CNY", [A1, account_id(77)], close_height=50), ErrInvalidMember),
        (5, nb.open_cycle("CNY", [A1, A2], close_height=1), ErrBadClose),
        (5, nb.open_cycle("CNY", [A1, A2], close_height=10**7), ErrBadClose),
        (5, nb.open_cycle("CNY", [A1, A2], close_height=9, close_time_ns=9), ErrBadClose),
        (5, nb.open_cycle("CNY", [A1, A2]), ErrBadClose),
        (5, nb.open_cycle("CNY", [A1, A2], close_time_ns=1), ErrBadClose),
        (5, nb.open_cycle("CNY", [A1]), ErrInvalidMsg),  # fewer than 2 members
    ],
)
def test_refusals_have_stable_codes_and_leave_state_untouched(chain, who, msg, error):
    cycle = open_cycle(chain, blocks=10)
    ok([send(chain, 2, nb.submit(cycle, "CNY", [(A1, 3)]))])
    before = _state(chain)
    refused(send(chain, who, msg), error)
    assert _state(chain) == before
    assert query(chain, "netting/cycle", cycle=cycle)["obligations"] == 1


def test_a_refused_obligation_refuses_its_whole_message(chain):
    cycle = open_cycle(chain)
    refused(send(chain, 1, nb.submit(cycle, "CNY", [(A2, 5), (A4, 5)])), ErrNotMember)
    assert query(chain, "netting/cycle", cycle=cycle)["obligations"] == 0


def test_queries(chain):
    with pytest.raises(FinchainError) as info:
        chain.app.query("netting/cycle", {"cycle": "7"})
    assert info.value.error is ErrUnknownCycle
    with pytest.raises(FinchainError) as info:
        chain.app.query("netting/cycle", {"cycle": "x"})
    assert info.value.error is ErrBadQuery
    cycle = open_cycle(chain)
    answer = query(chain, "netting/cycle", cycle=str(cycle))
    assert answer["status"] == "open" and "report" not in answer
    assert query(chain, "netting/unsettled", cycle=cycle) == {
        "cycle": cycle,
        "obligations": [],
        "next_cursor": None,
    }


@pytest.mark.parametrize("chunk", [1_000, 2])
def test_unsettled_pages(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr("finchain.modules.netting.keeper.UNSETTLED_CHUNK", chunk)
    chain = Chain(tmp_path / "db", n_accounts=5, funds=0)
    cycle = open_cycle(chain)
    ok([send(chain, 1, nb.submit(cycle, "CNY", [(A2, i + 1) for i in range(5)]))])
    response = run_to_close(chain, cycle)
    (event,) = [e for e in response.events if e.type == "netting_obligations_unsettled"]
    assert dict(event.attributes) == {
        "cycle": str(cycle),
        "batch": "0",
        "payer": A1,
        "reason": "payer_short",
        "count": "5",
        "value": "15",
        "indexes": "4,3,2,1,0",
    }
    first = query(chain, "netting/unsettled", cycle=cycle, limit=2)
    assert [o["amount"] for o in first["obligations"]] == ["5", "4"]  # latest first
    second = query(chain, "netting/unsettled", cycle=cycle, limit="2", cursor=first["next_cursor"])
    third = query(chain, "netting/unsettled", cycle=cycle, limit=2, cursor=second["next_cursor"])
    assert [o["amount"] for o in second["obligations"] + third["obligations"]] == ["3", "2", "1"]
    assert third["next_cursor"] is None


def test_several_cycles_due_in_one_block_settle_in_id_order(chain):
    one = open_cycle(chain, blocks=2)
    two = send(chain, 5, nb.open_cycle("CNY", [A1, A2], close_height=chain.app.height + 3))
    assert two.ok
    ok(
        chain.block(
            chain.signer(1).sign(nb.submit(one, "CNY", [(A2, 1)])),
            chain.signer(2).sign(nb.submit(2, "CNY", [(A1, 4)])),
        )
    )
    response = chain.finalize()
    settled = [dict(e.attributes)["cycle"] for e in response.events if e.type.endswith("settled")]
    assert settled == [str(one), "2"]
    assert balances(chain, A1, A2) == [FUNDS + 3, FUNDS - 3]


def test_batch_value_round_trips_amounts_beyond_cbor_integers():
    codec = BatchValue()
    batch = Batch(3, (0, 1), (2**64 - 1, 2**127 - 1))
    assert codec.decode(codec.encode(batch)) == batch


def test_genesis_export_and_import_keep_every_entry_and_open_cycles_settle(tmp_path):
    chain = Chain(tmp_path / "db", n_accounts=5, funds=100)
    done = open_cycle(chain, blocks=2)
    ok([send(chain, 1, nb.submit(done, "CNY", [(A2, 60), (A3, 70)]))])
    ok([send(chain, 2, nb.submit(done, "CNY", [(A1, 5)]))])
    run_to_close(chain, done)
    assert query(chain, "netting/cycle", cycle=done)["report"]["removed"] == 1
    pending = open_cycle(chain, blocks=5)
    ok([send(chain, 3, nb.submit(pending, "CNY", [(A1, 9)]))])
    exported = chain.app.export()
    section = exported.app_state["netting"]
    assert section["next_id"] == 3 and [c["cycle"]["id"] for c in section["cycles"]] == [1, 2]
    target = with_test_module(tmp_path / "target")
    target.init_chain(exported)

    def netting_entries(app):
        return dict(app.state.iterate(STORE.prefix))

    assert netting_entries(target) == netting_entries(chain.app)
    assert target.check_invariants() == []
    time_ns = chain.time_ns
    while target.netting.cycle(target.state, pending).status == "open":
        time_ns += BLOCK_NS
        target.finalize_block(FinalizeBlockRequest(target.height + 1, time_ns, []))
        target.commit()
    assert target.bank.balance(target.state, A1, "CNY") == chain.balance(A1) + 9
    target.close()


@pytest.mark.parametrize(
    "section",
    [
        {"next_id": 0},
        {"cycles": "none"},
        {"next_id": 2, "cycles": [{"cycle": {"id": 1}, "batches": []}]},
    ],
)
def test_bad_genesis_is_refused_with_the_netting_code(section):
    with pytest.raises(FinchainError) as info:
        NettingModule(
            NettingKeeper(BankKeeper(AccountsKeeper()), AccountsKeeper())
        ).validate_genesis(section)
    assert info.value.error is ErrBadGenesis


def _branch(chain: Chain) -> Context:
    """A finalize context over the committed state (what an end-block of the next block sees)."""
    store = MeteredStore(Overlay(chain.app.state), GasMeter(10**12))
    return Context(
        store, chain.app.height + 1, chain.time_ns + BLOCK_NS, "test-chain", "intl",
        ChainParams(), ExecMode.FINALIZE,
    )  # fmt: skip


def test_frozen_amounts_and_frozen_accounts_are_not_liquidity(chain):
    cycle = open_cycle(chain, members=(A1, A2, A3), blocks=1)
    ok(
        chain.block(
            chain.signer(1).sign(nb.submit(cycle, "CNY", [(A2, FUNDS)])),
            chain.signer(3).sign(nb.submit(cycle, "CNY", [(A2, 10)])),
        )
    )
    k, stored = chain.app.netting, chain.app.netting.cycle(chain.app.state, cycle)
    assert stored is not None
    ctx = _branch(chain)
    assert k.settle(ctx, stored).removed == 0  # unfrozen, A1 can pay its whole balance
    ctx = _branch(chain)
    chain.app.bank.freeze_amount(ctx, A1, "CNY", 1, "escrow")
    report = k.settle(ctx, stored)
    assert (report.removed, report.removed_value) == (1, FUNDS)  # one unit short
    ctx = _branch(chain)
    chain.app.accounts.set_status(ctx, A3, AccountStatus.FROZEN, "sanctions screening")
    report = k.settle(ctx, stored)
    assert (report.removed, report.removed_value) == (1, 10)  # A3 may receive, not pay
    assert chain.app.bank.balance(ctx.store, A2, "CNY") == FUNDS + FUNDS


class RefusingBank:
    """The real bank, except that it refuses every transfer (a rule the netting cannot foresee)."""

    def __init__(self, bank: BankKeeper) -> None:
        self.get_asset = bank.get_asset
        self.spendable = bank.spendable

    def transfer(self, ctx: Context, sender: str, recipient: str, symbol: str, amount: int) -> None:
        raise ErrFrozenAmount(f"{sender} may not pay today")


def test_a_refused_settlement_moves_nothing_and_reports_every_obligation(chain):
    cycle = open_cycle(chain, blocks=1)
    ok([send(chain, 1, nb.submit(cycle, "CNY", [(A2, 7), (A3, 8)]))])
    keeper = NettingKeeper(RefusingBank(chain.app.bank), chain.app.accounts)
    ctx = _branch(chain)
    stored = keeper.require_cycle(ctx.store, cycle)
    report = keeper.settle(ctx, stored)
    assert (report.status, report.removed, report.gross, report.net, report.transfers) == (
        "failed", 2, 0, 0, 0,
    )  # fmt: skip
    assert [chain.app.bank.balance(ctx.store, a, "CNY") for a in (A1, A2, A3)] == [FUNDS] * 3
    assert keeper.cycle(ctx.store, cycle).status == "failed"
    assert {r for _, _, r in keeper.unsettled(ctx.store, cycle, 0, 10)} == {"settlement_failed"}
    assert set(keeper.positions(ctx.store, cycle).values()) == {0}
    assert not [e for e in ctx.events if e.type in ("transfer", "coin_spent")]
