"""Accounts and bank genesis: export a chain with state, import it, get the same state.

Steps of the round trip: a chain gains a created account with multi-factor
rules, a closed account, a frozen account, a pending key reset, nonces, a second
asset with its own minters and a frozen amount → both sections are exported (as
JSON) → a fresh chain is started from them → every state entry under the two
modules' prefixes is the same, and exporting the new chain gives the same
sections. Then each rule of the two sections is refused by name.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from finchain.app import ChainParams, FinalizeBlockRequest, Genesis
from finchain.chain import FinchainApp
from finchain.client import builders as b
from finchain.codec import RawMsg
from finchain.core.authority import AccountStatus
from finchain.core.collections import StoreKey
from finchain.core.context import Context
from finchain.core.fields import AMOUNT, Text, wire
from finchain.core.module import BaseModule, Handler, Module
from finchain.core.msgs import Msg
from finchain.crypto import generate_private_key
from finchain.errors import ErrorCode, FinchainError
from finchain.modules.accounts.errors import ErrBadGenesis as ErrAccountsGenesis
from finchain.modules.accounts.keys import STORE as ACCOUNTS_STORE
from finchain.modules.accounts.types import account_id
from finchain.modules.bank.errors import ErrBadGenesis as ErrBankGenesis
from finchain.modules.bank.keeper import BankKeeper
from finchain.modules.bank.keys import STORE as BANK_STORE
from tests.harness import BLOCK_NS, CHAIN_ID, GENESIS_TIME, Chain
from tests.testmodule import StatusForTestsModule

A = {n: account_id(n) for n in range(1, 8)}
LOCK = 50


@dataclass(frozen=True, slots=True)
class MsgFreezeAmount(Msg):
    TYPE = "testfreeze/freeze"
    account: str = wire(Text())
    asset: str = wire(Text())
    amount: int = wire(AMOUNT)


class FreezeForTestsModule(BaseModule):
    """Holds part of a balance, as compliance or escrow will through the bank keeper."""

    name = "testfreeze"
    store_key = StoreKey("testfreeze", b"testfreeze/")

    def __init__(self, bank: BankKeeper) -> None:
        self.bank = bank

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        def freeze(ctx: Context, msg: MsgFreezeAmount) -> None:
            self.bank.freeze_amount(ctx, msg.account, msg.asset, msg.amount, "court order")

        return {MsgFreezeAmount: freeze}


def state_modules(app: FinchainApp) -> Sequence[Module]:
    return [StatusForTestsModule(app.accounts), FreezeForTestsModule(app.bank)]


class StateChain(Chain):
    def _open(self) -> FinchainApp:
        return FinchainApp(self.path, extra_modules=state_modules)


PARAMS = ChainParams(reset_lock_blocks=LOCK)


def entries(app: FinchainApp, store: StoreKey) -> dict[bytes, bytes]:
    return dict(app.state.iterate(store.prefix))


def populated(path: Path) -> StateChain:
    chain = StateChain(path, n_accounts=3, recovery={3: 1}, params=PARAMS)
    one, two, three = chain.signer(1), chain.signer(2), chain.signer(3)
    keys = [generate_private_key("ed25519"), generate_private_key("sm2")]
    guarded = b.policy(
        [b.key_of("dev", keys[0], factor="device"), b.key_of("hw", keys[1], factor="hardware")],
        mfa=[b.mfa_transfer("CNY", above=100), b.mfa_close()],
    )
    steps = [
        one.sign(
            b.create_account(guarded, A[1]), b.create_account(b.policy([b.key_of("k", keys[0])]))
        ),
        one.sign(b.create_asset("USD", "Dollar", 2, max_supply=10**9, minters=[A[1], A[4]])),
        one.sign(b.mint("USD", A[4], 5_000), b.transfer((A[4], "CNY", 700), (A[5], "CNY", 1))),
        two.sign(b.transfer((A[1], "CNY", 1_000_000)), b.close_account()),
        three.sign(b.transfer((A[5], "CNY", 10))),
        one.sign(b.initiate_reset(A[3], b.policy([b.key_of("new", keys[1])]))),
        one.sign(RawMsg("testonly/set_status", {"account": A[5], "status": "frozen"})),
        one.sign(RawMsg("testfreeze/freeze", {"account": A[1], "asset": "CNY", "amount": "25"})),
    ]
    for raw in steps:
        (result,) = chain.block(raw)
        assert result.ok, result.log
    assert chain.app.check_invariants() == []
    return chain


def fresh(path: Path, app_state: dict[str, Any], params: ChainParams = PARAMS) -> FinchainApp:
    app = FinchainApp(path, extra_modules=state_modules)
    app.init_chain(Genesis(CHAIN_ID, "intl", GENESIS_TIME, params, app_state))
    return app


def sections(app: FinchainApp) -> dict[str, Any]:
    exported = app.export_genesis()
    return {"accounts": exported["accounts"], "bank": exported["bank"]}


def test_export_then_import_gives_the_same_state_entry_for_entry(tmp_path):
    chain = populated(tmp_path / "old")
    exported = sections(chain.app)
    carried = json.loads(json.dumps(exported))  # a genesis file is JSON
    assert carried == exported

    accounts = {e["id"]: e for e in exported["accounts"]["accounts"]}
    assert accounts[A[2]]["status"] == "closed" and accounts[A[2]]["closed_at"] > 0
    assert accounts[A[5]]["status"] == "frozen" and accounts[A[3]]["reset"]["initiator"] == A[1]
    assert accounts[A[4]]["policy"]["mfa"] and accounts[A[1]]["nonce"] == 6
    assert "status" not in accounts[A[4]], "defaults are left out, as in a new chain's file"
    assert {"account": A[1], "asset": "CNY", "amount": "1999299", "frozen": "25"} in (
        exported["bank"]["balances"]
    )

    app = fresh(tmp_path / "new", carried)
    for store in (ACCOUNTS_STORE, BANK_STORE):
        old, new = entries(chain.app, store), entries(app, store)
        assert old == new, sorted(set(old.items()) ^ set(new.items()))
    assert sections(app) == exported
    assert app.check_invariants() == []
    assert app.accounts.status(app.state, A[5]) is AccountStatus.FROZEN
    assert app.bank.frozen(app.state, A[1], "CNY") == 25


def test_an_imported_pending_reset_completes_at_its_height(tmp_path):
    chain = populated(tmp_path / "old")
    due = chain.app.accounts.pending_reset(chain.app.state, A[3]).due
    app = fresh(tmp_path / "new", sections(chain.app))
    time_ns = chain.time_ns
    while app.height < due:
        time_ns += BLOCK_NS
        app.finalize_block(FinalizeBlockRequest(app.height + 1, time_ns, []))
        app.commit()
    assert app.accounts.pending_reset(app.state, A[3]) is None
    assert [k.id for k in app.accounts.require_account(app.state, A[3]).policy.keys] == ["new"]


def test_a_new_chains_file_is_the_old_format(tmp_path):
    chain = Chain(tmp_path / "db", n_accounts=2)
    (entry, _) = chain.app.export_genesis()["accounts"]["accounts"]
    assert sorted(entry) == ["id", "policy", "recovery"]
    assert entry["policy"] == chain.genesis.app_state["accounts"]["accounts"][0]["policy"]


def edited(base: dict[str, Any], section: str, change: Any) -> dict[str, Any]:
    state = copy.deepcopy(base)
    change(state[section])
    return state


def _set(path: Sequence[Any], value: Any) -> Any:
    def apply(section: Any) -> None:
        for step in path[:-1]:
            section = section[step]
        section[path[-1]] = value

    return apply


BAD: list[tuple[str, str, Any, ErrorCode]] = [
    ("ids out of order", "accounts", lambda s: s["accounts"].reverse(), ErrAccountsGenesis),
    ("unknown field", "accounts", _set(["accounts", 0, "colour"], "red"), ErrAccountsGenesis),
    (
        "recovery not listed",
        "accounts",
        _set(["accounts", 0, "recovery"], A[7]),
        ErrAccountsGenesis,
    ),
    (
        "closed, no height",
        "accounts",
        _set(["accounts", 0, "status"], "closed"),
        ErrAccountsGenesis,
    ),
    ("height, not closed", "accounts", _set(["accounts", 0, "closed_at"], 3), ErrAccountsGenesis),
    ("bad status", "accounts", _set(["accounts", 0, "status"], "asleep"), ErrAccountsGenesis),
    ("uppercase hex", "accounts", lambda s: _upper_key(s), ErrAccountsGenesis),
    (
        "bad threshold",
        "accounts",
        _set(["accounts", 0, "policy", "threshold"], 9),
        ErrAccountsGenesis,
    ),
    ("unlisted asset", "bank", _set(["balances", 0, "asset"], "USD"), ErrBankGenesis),
    ("asset twice", "bank", lambda s: s["assets"].append(s["assets"][0]), ErrBankGenesis),
    ("holding twice", "bank", lambda s: s["balances"].append(s["balances"][0]), ErrBankGenesis),
    ("frozen too much", "bank", _set(["balances", 0, "frozen"], "1000001"), ErrBankGenesis),
    ("above max supply", "bank", _set(["assets", 0, "max_supply"], "10"), ErrBankGenesis),
    ("issuer not listed", "bank", _set(["assets", 0, "issuer"], A[7]), ErrBankGenesis),
    ("holder not listed", "bank", _set(["balances", 0, "account"], A[7]), ErrBankGenesis),
    ("zero amount", "bank", _set(["balances", 0, "amount"], "0"), ErrBankGenesis),
]


def _upper_key(section: Any) -> None:
    key = section["accounts"][0]["policy"]["keys"][0]
    key["public_key"] = key["public_key"].upper()


@pytest.mark.parametrize(("case", "section", "change", "error"), BAD, ids=[c[0] for c in BAD])
def test_genesis_rules_are_refused_by_name(tmp_path, case, section, change, error):
    chain = Chain(tmp_path / "ok", n_accounts=2)
    state = edited(chain.genesis.app_state, section, change)
    with pytest.raises(FinchainError) as err:
        fresh(tmp_path / "bad", state, ChainParams())
    assert error.matches(err.value), err.value


def test_the_key_limit_of_the_chain_applies_to_genesis_policies(tmp_path):
    chain = Chain(tmp_path / "ok", n_accounts=1)
    keys = [b.key_of(f"k{i}", generate_private_key("ed25519")) for i in range(3)]
    state = edited(
        chain.genesis.app_state,
        "accounts",
        _set(["accounts", 0, "policy"], b.policy(keys).to_json()),
    )
    with pytest.raises(FinchainError) as err:
        fresh(tmp_path / "bad", state, ChainParams(max_keys_per_account=2))
    assert ErrAccountsGenesis.matches(err.value) and "1 to 2 keys" in err.value.message


def test_a_closed_account_holds_nothing_in_genesis(tmp_path):
    chain = populated(tmp_path / "old")
    state = sections(chain.app)
    state["bank"]["balances"].append({"account": A[2], "asset": "USD", "amount": "1"})
    with pytest.raises(FinchainError) as err:
        fresh(tmp_path / "bad", state)
    assert ErrBankGenesis.matches(err.value) and "closed" in err.value.message
