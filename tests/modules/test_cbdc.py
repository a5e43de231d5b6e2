"""The cbdc module's two-tier issuance through real blocks: designation by governance,
operators under quota against 1:1 reserves, wallets under one operator, distribution and
withdrawal, the central bank's and an operator's views, and every refusal leaving the
state untouched.

Chain (``make_gov``): accounts 1..4 are governance members. Account 1 is the central
bank: it creates ``ECNY`` (sole minter and burner) and governance designates it.
Accounts 2 and 3 are operators; 4 and 5 own wallets (4 under operator 2, 5 under 3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from finchain.app import TxResult
from finchain.client import builders as b
from finchain.client import cbdc_builders as cb
from finchain.codec import RawMsg
from finchain.core.errors import ErrGovernanceOnly
from finchain.errors import ErrorCode, FinchainError
from finchain.modules.bank.errors import ErrInsufficientFunds, ErrNotBurner, ErrNotMinter
from finchain.modules.cbdc.errors import (
    ErrAlreadyDesignated,
    ErrBadAccount,
    ErrBadDesignation,
    ErrBadGenesis,
    ErrBadQuota,
    ErrDuplicateReserve,
    ErrExceedsReserve,
    ErrNotCentralBank,
    ErrNotDesignated,
    ErrNotWalletOperator,
    ErrQuotaExceeded,
    ErrUnknownOperator,
    ErrUnknownReserve,
    ErrUnknownWallet,
    ErrWalletExists,
)
from finchain.modules.cbdc.module import CbdcGenesis
from tests.modules.test_governance import A, Gov, code, failure, make_gov

CB, OP2, OP3, W4, W5 = 1, 2, 3, 4, 5
ECNY = "ECNY"


class World:
    def __init__(self, gov: Gov) -> None:
        self.gov = gov
        self.app = gov.app

    def send(self, who: int, *msgs: RawMsg) -> TxResult:
        (result,) = self.gov.block(self.gov.tx(who, *msgs)).tx_results
        return result

    def ok(self, who: int, *msgs: RawMsg) -> TxResult:
        result = self.send(who, *msgs)
        assert result.ok, (result.codespace, result.code, result.log)
        return result

    def refused(self, error: ErrorCode, who: int, *msgs: RawMsg) -> str:
        """``who``'s message fails with ``error``, leaving the cbdc and bank state as it was."""
        before = self.state()
        result = self.send(who, *msgs)
        assert code(result) is error, (result.codespace, result.code, result.log)
        assert self.state() == before
        return result.log

    def state(self) -> list[tuple[bytes, bytes]]:
        return [*self.app.state.iterate(b"cbdc/"), *self.app.state.iterate(b"bank/")]

    def govern(self, msg: RawMsg) -> dict[str, Any]:
        """Pass a proposal executing ``msg``; the executed proposal (its ``failure`` if any)."""
        pid = self.gov.pass_proposal(b.exec_msg(msg))
        return self.gov.proposal(pid)

    def query(self, path: str, **params: Any) -> Any:
        return self.app.query("cbdc/" + path, params).value

    def balance(self, who: int) -> int:
        return self.app.bank.balance(self.app.state, A[who], ECNY)

    def reconciled(self) -> None:
        assert self.app.check_invariants() == []


def asset_world(tmp_path: Path) -> World:
    world = World(make_gov(tmp_path))
    world.ok(CB, b.create_asset(ECNY, "e-CNY", 2))
    return world


def designated_world(tmp_path: Path) -> World:
    world = asset_world(tmp_path)
    assert failure(world.govern(cb.designate(A[CB], ECNY))) is None
    return world


@pytest.fixture
def world(tmp_path: Path) -> World:
    """Designated; operators 2 (quota 1,000,000) and 3 (quota 500,000); wallets 4 (under 2,
    tier 2) and 5 (under 3, tier 4)."""
    world = designated_world(tmp_path)
    world.ok(CB, cb.authorise(A[OP2], 1_000_000), cb.authorise(A[OP3], 500_000))
    world.ok(OP2, cb.open_wallet(A[W4], 2))
    world.ok(OP3, cb.open_wallet(A[W5], 4))
    return world


def test_two_tiers_end_to_end(world: World) -> None:
    result = world.ok(CB, cb.issue(A[OP2], 600_000, "RRR-1"), cb.issue(A[OP3], 200_000, "RRR-2"))
    issued = [e for e in result.events if e.type == "cbdc_issued"]
    assert [(e.get("operator"), e.get("amount"), e.get("reference")) for e in issued] == [
        (A[OP2], "600000", "RRR-1"),
        (A[OP3], "200000", "RRR-2"),
    ]
    assert [e.get("minter") for e in result.events if e.type == "mint"] == [A[CB], A[CB]]
    assert world.app.bank.supply(world.app.state, ECNY) == 800_000

    result = world.ok(OP2, cb.distribute(A[W4], 50_000))
    (event,) = [e for e in result.events if e.type == "cbdc_distributed"]
    assert (event.get("operator"), event.get("wallet"), event.get("amount")) == (
        A[OP2],
        A[W4],
        "50000",
    )
    world.ok(OP3, cb.distribute(A[W5], 10_000))
    # A plain bank payment between wallets of different operators.
    world.ok(W4, b.transfer((A[W5], ECNY, 7_000)))
    result = world.ok(W5, cb.withdraw(2_000))
    (event,) = [e for e in result.events if e.type == "cbdc_withdrawn"]
    assert (event.get("wallet"), event.get("operator")) == (A[W5], A[OP3])
    assert (world.balance(W4), world.balance(W5)) == (43_000, 15_000)
    assert (world.balance(OP2), world.balance(OP3)) == (550_000, 192_000)
    world.reconciled()

    # Redeem part of a reserve, then the rest: the record shrinks, then goes.
    result = world.ok(CB, cb.redeem(A[OP2], 100_000, "RRR-1"))
    assert [e.get("burner") for e in result.events if e.type == "burn"] == [A[OP2]]
    op = world.query("operator", operator=A[OP2])
    assert op["issued"] == "500000" and op["reserves"] == "500000"
    assert op["reserve_records"] == [{"operator": A[OP2], "reference": "RRR-1", "amount": "500000"}]
    # The float covers only 450,000 of the remaining 500,000 (the rest is in wallets).
    world.refused(ErrInsufficientFunds, CB, cb.redeem(A[OP2], 500_000, "RRR-1"))
    world.ok(CB, cb.redeem(A[OP2], 450_000, "RRR-1"))
    assert world.query("operator", operator=A[OP2])["reserve_records"][0]["amount"] == "50000"
    assert world.app.bank.supply(world.app.state, ECNY) == 250_000
    world.reconciled()

    overview = world.query("overview")
    assert overview["central_bank"] == A[CB] and overview["issued"] == "250000"
    by_op = {op["operator"]: op for op in overview["operators"]}
    assert by_op[A[OP2]] == {
        "operator": A[OP2],
        "quota": "1000000",
        "issued": "50000",
        "reserves": "50000",
        "float": "0",
        "wallets": 1,
        "wallet_balances": "43000",
    }
    # Wallet payments moved 7,000 across the operators' lines: operator 3's side holds
    # 207,000 against 200,000 issued. Reconciliation is of the whole system.
    assert by_op[A[OP3]]["float"] == "192000"
    assert by_op[A[OP3]]["wallet_balances"] == "15000"
    wallets = world.query("wallets", operator=A[OP3])
    assert wallets == {
        "operator": A[OP3],
        "wallets": [{"owner": A[W5], "operator": A[OP3], "tier": 4, "balance": "15000"}],
        "next_cursor": None,
    }
    assert world.query("wallet", owner=A[W4])["balance"] == "43000"


def test_designation_is_governed_and_checked(tmp_path: Path) -> None:
    world = asset_world(tmp_path)
    world.refused(ErrGovernanceOnly, CB, cb.designate(A[CB], ECNY))
    # The asset must exist, be the central bank's, with it as sole minter and burner.
    assert failure(world.govern(cb.designate(A[CB], "NOPE"))) is ErrBadDesignation
    assert failure(world.govern(cb.designate(A[OP2], ECNY))) is ErrBadDesignation
    world.ok(CB, b.create_asset("SHARED", "shared", 2, minters=[A[CB], A[OP2]]))
    assert failure(world.govern(cb.designate(A[CB], "SHARED"))) is ErrBadDesignation
    world.ok(CB, b.create_asset("MINTED", "minted", 2), b.mint("MINTED", A[W4], 1))
    assert failure(world.govern(cb.designate(A[CB], "MINTED"))) is ErrBadDesignation
    assert world.query("overview")["central_bank"] is None
    # Nothing works before designation.
    world.refused(ErrNotDesignated, CB, cb.authorise(A[OP2], 10))
    assert failure(world.govern(cb.designate(A[CB], ECNY))) is None
    assert failure(world.govern(cb.designate(A[CB], "SHARED"))) is ErrAlreadyDesignated
    assert world.query("overview")["asset"] == ECNY


def test_only_the_central_bank_creates_or_destroys(world: World) -> None:
    world.ok(CB, cb.issue(A[OP2], 1_000, "R"))
    log = world.refused(ErrNotCentralBank, OP2, cb.issue(A[OP2], 1_000, "R2"))
    assert "have it sign" in log
    world.refused(ErrNotCentralBank, OP2, cb.redeem(A[OP2], 1_000, "R"))
    world.refused(ErrNotCentralBank, OP2, cb.authorise(A[OP2], 10**9))
    # An operator cannot mint or burn through the bank either.
    world.refused(ErrNotMinter, OP2, b.mint(ECNY, A[OP2], 1_000))
    world.refused(ErrNotBurner, OP2, b.burn(ECNY, 1_000))
    world.reconciled()
    # Redeeming a whole reserve removes its record; the currency is gone.
    world.ok(CB, cb.redeem(A[OP2], 1_000, "R"))
    assert world.query("operator", operator=A[OP2])["reserve_records"] == []
    assert world.app.bank.supply(world.app.state, ECNY) == 0
    world.reconciled()


def test_quota_and_reserve_refusals(world: World) -> None:
    world.ok(CB, cb.issue(A[OP3], 400_000, "R1"))
    log = world.refused(ErrQuotaExceeded, CB, cb.issue(A[OP3], 100_001, "R2"))
    assert "at most 100000 more" in log
    world.ok(CB, cb.issue(A[OP3], 100_000, "R2"))  # exactly at the quota
    world.refused(ErrQuotaExceeded, CB, cb.issue(A[OP3], 1, "R3"))
    world.refused(ErrBadQuota, CB, cb.authorise(A[OP3], 499_999))
    world.ok(CB, cb.authorise(A[OP3], 500_000))
    world.refused(ErrDuplicateReserve, CB, cb.issue(A[OP2], 1, "X"), cb.issue(A[OP2], 1, "X"))
    world.refused(ErrUnknownOperator, CB, cb.issue(A[W4], 1, "R"))
    world.refused(ErrUnknownReserve, CB, cb.redeem(A[OP3], 1, "NOPE"))
    world.refused(ErrExceedsReserve, CB, cb.redeem(A[OP3], 100_001, "R2"))
    # The operator's float must cover a redemption: what it distributed is not redeemable.
    world.ok(OP3, cb.distribute(A[W5], 450_000))
    world.refused(ErrInsufficientFunds, CB, cb.redeem(A[OP3], 100_000, "R2"))
    world.refused(ErrBadAccount, CB, cb.authorise(A[W4], 1))
    world.refused(ErrBadAccount, CB, cb.authorise(A[CB], 1))
    world.reconciled()


def test_wallets_belong_to_one_operator(world: World) -> None:
    world.ok(CB, cb.issue(A[OP2], 10_000, "R"), cb.issue(A[OP3], 10_000, "S"))
    world.ok(OP2, cb.distribute(A[W4], 5_000))
    # Operator 3 cannot push into, nor open over, operator 2's wallet.
    world.refused(ErrNotWalletOperator, OP3, cb.distribute(A[W4], 1))
    world.refused(ErrWalletExists, OP3, cb.open_wallet(A[W4], 1))
    # A withdrawal goes to the wallet's own operator only: operator 3 gets nothing.
    world.ok(W4, cb.withdraw(1_000))
    assert (world.balance(OP2), world.balance(OP3), world.balance(W4)) == (6_000, 10_000, 4_000)
    # Refusals: not a wallet, over the balance, roles, non-operators.
    world.refused(ErrUnknownWallet, OP2, cb.withdraw(1))
    world.refused(ErrInsufficientFunds, W4, cb.withdraw(4_001))
    world.refused(ErrUnknownWallet, OP2, cb.distribute(A[CB], 1))
    world.refused(ErrBadAccount, OP2, cb.open_wallet(A[OP3], 1))
    world.refused(ErrBadAccount, OP2, cb.open_wallet(A[CB], 1))
    world.refused(ErrUnknownOperator, W5, cb.open_wallet(A[CB], 1))
    world.refused(ErrUnknownOperator, W5, cb.distribute(A[W4], 1))
    world.refused(ErrInsufficientFunds, OP2, cb.distribute(A[W4], 6_001))
    world.reconciled()


def test_queries_refuse_unknowns(world: World) -> None:
    with pytest.raises(FinchainError) as caught:
        world.query("operator", operator=A[W4])
    assert ErrUnknownOperator.matches(caught.value)
    with pytest.raises(FinchainError) as caught:
        world.query("wallets", operator=A[W4])
    assert ErrUnknownOperator.matches(caught.value)
    with pytest.raises(FinchainError) as caught:
        world.query("wallet", owner=A[OP2])
    assert ErrUnknownWallet.matches(caught.value)


def test_genesis_round_trip_and_checks(world: World) -> None:
    world.ok(CB, cb.issue(A[OP2], 9_000, "R"))
    world.ok(OP2, cb.distribute(A[W4], 4_000))
    module = next(m for m in world.app.modules if m.name == "cbdc")
    exported = module.export_genesis(world.app.state)
    assert exported["config"] == {"central_bank": A[CB], "asset": ECNY}
    assert exported["reserves"] == [{"operator": A[OP2], "reference": "R", "amount": "9000"}]
    assert [w["owner"] for w in exported["wallets"]] == [A[W4], A[W5]]
    assert CbdcGenesis.from_json(exported).to_json() == exported
    module.validate_genesis(exported)
    assert CbdcGenesis().to_json() == {}  # the default names nothing and writes nothing
    orphan = {**exported, "config": None}
    with pytest.raises(FinchainError) as caught:
        module.validate_genesis(orphan)
    assert ErrBadGenesis.matches(caught.value)
    twice = {**exported, "wallets": exported["wallets"] * 2}
    with pytest.raises(FinchainError) as caught:
        module.validate_genesis(twice)
    assert ErrBadGenesis.matches(caught.value)


def test_the_invariant_reports_money_outside_the_two_tiers(world: World) -> None:
    """What the module cannot refuse yet is reported: CBDC sent to an account that is
    neither operator nor wallet, and a mint by the central bank that skips cbdc/issue."""
    world.ok(CB, cb.issue(A[OP2], 1_000, "R"))
    world.ok(OP2, b.transfer((A[CB], ECNY, 10)))
    (problem,) = world.app.check_invariants()
    assert problem.startswith("cbdc/reconciled:") and "neither an operator nor a wallet" in problem
    world.ok(CB, b.transfer((A[OP2], ECNY, 10)))
    assert world.app.check_invariants() == []
    world.ok(CB, b.mint(ECNY, A[OP2], 5))
    (problem,) = world.app.check_invariants()
    assert "supply of ECNY is 1005 but 1000 is issued" in problem
