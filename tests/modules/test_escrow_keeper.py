"""Escrow beyond transactions: genesis export and import, escrows a module controls (the
keeper API another module such as lending calls), and end_block work bounded by what is due."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from finchain.app import Genesis
from finchain.client import escrow_builders as esb
from finchain.core.context import Context, ExecMode
from finchain.core.gas import GasMeter, MeteredStore
from finchain.core.kv import KVReader, Overlay
from finchain.errors import FinchainError
from finchain.modules.accounts.types import account_id
from finchain.modules.escrow.errors import (
    ErrBadGenesis,
    ErrControlled,
    ErrNoConditions,
)
from finchain.modules.escrow.keys import STORE
from finchain.modules.escrow.types import NO_CONDITIONS
from tests.harness import BLOCK_NS
from tests.modules.escrow_support import EscrowChain, escrow_app, lock_collateral
from tests.modules.test_escrow import SECRET, create, holding, ok, refused, send

A1, A2, A3 = (account_id(n) for n in range(1, 4))
FUNDS = 1_000_000


@pytest.fixture
def chain(tmp_path):
    return EscrowChain(tmp_path / "db", n_accounts=5, funds=FUNDS)


def block_context(chain: EscrowChain) -> tuple[Context, Overlay]:
    """A context over the committed state, as a handler of the next block sees it."""
    overlay = Overlay(chain.app.state)
    ctx = Context(
        MeteredStore(overlay, GasMeter(10**9)),
        chain.app.height + 1,
        chain.time_ns + BLOCK_NS,
        "test-chain",
        "intl",
        chain.app.params,
        ExecMode.FINALIZE,
    )
    return ctx, overlay


# -- genesis --------------------------------------------------------------------------------


def test_default_genesis_writes_nothing(chain):
    assert chain.genesis.app_state.get("escrow") is None
    assert list(chain.app.state.iterate(STORE.prefix)) == []
    assert chain.app.export_genesis()["escrow"] == {}


def test_genesis_carries_open_and_closed_escrows_over(chain, tmp_path):
    open_id = create(chain, hash_lock=esb.hash_lock("sha256", SECRET), amount=700)
    timed = create(chain, not_before_time=chain.time_ns + 10 * BLOCK_NS, expiry_time=10**19 // 5)
    released = create(chain, hash_lock=esb.hash_lock("sm3", SECRET), amount=50)
    ok(send(chain, 2, esb.release(released, preimage=SECRET)))
    exported = chain.app.export()
    assert [e["status"] for e in exported.app_state["escrow"]["escrows"]] == [
        "open",
        "open",
        "released",
    ]
    target = escrow_app(tmp_path / "target")
    target.init_chain(exported)
    assert target.export_genesis() == chain.app.export_genesis()
    assert target.check_invariants() == []
    before = dict(chain.app.state.iterate(STORE.prefix))
    assert dict(target.state.iterate(STORE.prefix)) == before
    assert target.escrow.next_id(target.state) == released + 1
    assert target.escrow.locked(target.state, A1, "CNY") == 700 + 1_000
    assert {open_id, timed} <= set(target.escrow.ids_of(target.state, "payer", A1))
    target.close()


def test_genesis_refuses_an_open_escrow_the_bank_does_not_hold_frozen(chain, tmp_path):
    create(chain, hash_lock=esb.hash_lock("sha256", SECRET), amount=700)
    exported = chain.app.export()
    bank = exported.app_state["bank"]
    balances = [{k: v for k, v in entry.items() if k != "frozen"} for entry in bank["balances"]]
    broken = replace(
        exported, app_state={**exported.app_state, "bank": {**bank, "balances": balances}}
    )
    with pytest.raises(FinchainError) as caught:
        escrow_app(tmp_path / "broken").init_chain(broken)
    assert (caught.value.codespace, caught.value.code) == ("escrow", ErrBadGenesis.code)
    assert "frozen" in caught.value.message


def test_genesis_refuses_ids_out_of_order(chain, tmp_path):
    create(chain, hash_lock=esb.hash_lock("sha256", SECRET))
    create(chain, hash_lock=esb.hash_lock("sha256", SECRET))
    exported = chain.app.export()
    section = exported.app_state["escrow"]
    swapped = {"escrows": list(reversed(section["escrows"]))}
    bad: Genesis = replace(exported, app_state={**exported.app_state, "escrow": swapped})
    with pytest.raises(FinchainError) as caught:
        escrow_app(tmp_path / "bad").init_chain(bad)
    assert (caught.value.codespace, caught.value.code) == ("escrow", ErrBadGenesis.code)


# -- escrows a module controls ---------------------------------------------------------------


def test_a_controlling_module_settles_its_escrows_and_transactions_cannot(chain):
    keeper = chain.app.escrow
    ctx, overlay = block_context(chain)
    with pytest.raises(FinchainError) as caught:
        keeper.create(ctx, A1, A2, "CNY", 10, NO_CONDITIONS, expiry_height=ctx.height + 5)
    assert caught.value.code == ErrNoConditions.code
    with pytest.raises(FinchainError) as malformed:
        keeper.create(ctx, A1, A2, "CNY", 10, NO_CONDITIONS, controller="Lending!")
    assert (malformed.value.codespace, malformed.value.code) == ("tx", 6)
    collateral = keeper.create(ctx, A1, A2, "CNY", 5_000, NO_CONDITIONS, controller="lending")
    repaid = keeper.create(ctx, A1, A2, "CNY", 3_000, NO_CONDITIONS, controller="lending")
    assert collateral.id == 1, "refused creations take no id"
    assert (collateral.expiry_height, collateral.expiry_time) == (0, 0)
    assert chain.app.bank.frozen(overlay, A1, "CNY") == 8_000
    with pytest.raises(FinchainError) as other:
        keeper.release_controlled(ctx, collateral.id, "netting")
    assert other.value.code == ErrControlled.code
    keeper.release_controlled(ctx, collateral.id, "lending")  # a default: the lender takes it
    keeper.refund_controlled(ctx, repaid.id, "lending")  # a repayment: the borrower keeps it
    assert chain.app.bank.holding(overlay, A1, "CNY") == (FUNDS - 5_000, 0)
    assert chain.app.bank.holding(overlay, A2, "CNY") == (FUNDS + 5_000, 0)
    assert [e.type for e in ctx.events].count("escrow_released") == 1
    assert keeper.require(overlay, collateral.id).closed_by == "lending"


def test_transactions_cannot_touch_a_controlled_escrow(chain):
    result = ok(send(chain, 1, lock_collateral(A2, 500)))
    controlled = int(result.events[-1].get("escrow_id"))
    assert chain.app.escrow.require(chain.app.state, controlled).controller == "testlend"
    for who, msg in (
        (3, esb.approve(controlled)),
        (2, esb.release(controlled)),
        (2, esb.refund(controlled)),
        (1, esb.cancel(controlled)),
        (2, esb.cancel(controlled)),
    ):
        refused(chain, send(chain, who, msg), ErrControlled)
    assert holding(chain, A1) == (FUNDS, 500)


# -- end_block reads only what is due ---------------------------------------------------------


class CountingReader:
    """A reader that counts the entries iterations hand out."""

    def __init__(self, inner: KVReader) -> None:
        self.inner = inner
        self.steps = 0

    def get(self, key: bytes) -> bytes | None:
        return self.inner.get(key)

    def iterate(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for item in self.inner.iterate(prefix):
            self.steps += 1
            yield item


def test_due_reads_the_escrows_due_and_one_more_per_queue(chain):
    h = chain.app.height
    soon = [
        create(chain, hash_lock=esb.hash_lock("sha256", SECRET), expiry_height=h + 30)
        for _ in range(3)
    ]
    later = chain.block(
        *(
            chain.signer(n).sign(
                esb.create(
                    A3 if n != 3 else A1,
                    "CNY",
                    1,
                    hash_lock=esb.hash_lock("sha256", SECRET),
                    expiry_height=h + 500,
                    expiry_time=chain.time_ns + 10**15,
                )
            )
            for n in (1, 2, 3, 4, 5)
        )
    )
    assert all(r.ok for r in later)
    reader = CountingReader(chain.app.state)
    assert chain.app.escrow.due(reader, h + 30, chain.time_ns) == soon
    # three due + the first one not due in the height queue; one read of the time queue
    assert reader.steps == 3 + 1 + 1
    reader = CountingReader(chain.app.state)
    assert chain.app.escrow.due(reader, h + 29, chain.time_ns) == []
    assert reader.steps == 2
