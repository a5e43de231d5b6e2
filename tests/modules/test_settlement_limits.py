"""Settlement under load and attack: retries back off and end_block reads only what is due;
the settlement window, the open instructions per account and the parties are bounded at
submission; an endorsement names its submitter; a payer in a key-reset lock window is held;
running out of budget is not a bad endorsement."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from finchain.app import ChainParams
from finchain.client import builders as b
from finchain.client import settlement_builders as sb
from finchain.client.builders import Signer
from finchain.core import gas
from finchain.core.context import Context, ExecMode
from finchain.core.errors import ErrOutOfBudget
from finchain.core.gas import GasMeter, MeteredStore
from finchain.core.kv import KVReader, Overlay
from finchain.crypto import generate_private_key
from finchain.modules.accounts.types import account_id
from finchain.modules.settlement import keeper as settlement_keeper
from finchain.modules.settlement.errors import (
    ErrBadEndorsement,
    ErrDeadlineTooFar,
    ErrTooManyOpen,
    ErrUnknownParty,
    ErrWrongSubmitter,
)
from finchain.modules.settlement.types import (
    MAX_RETRY_INTERVAL,
    MAX_WINDOW_BLOCKS,
    MAX_WINDOW_NS,
    Instruction,
)
from tests.harness import CHAIN_ID, Chain
from tests.modules.test_settlement import dvp, query, refused, settle_with, snapshot

A1, A2, A3, A4 = (account_id(n) for n in (1, 2, 3, 4))


@pytest.fixture
def chain(tmp_path) -> Chain:
    """Four banks with 1,000,000 CNY each; bank 1 holds 1,000 BOND."""
    chain = Chain(tmp_path / "db", n_accounts=4)
    results = chain.block(
        chain.signer(1).sign(b.create_asset("BOND", "A bond", 0), b.mint("BOND", A1, 1_000))
    )
    assert all(r.ok for r in results), results
    return chain


def unfundable(reference: str, **kw: Any) -> Instruction:
    """Bank 1 pays bank 2 far more CNY than it has: pending until the deadline."""
    kw.setdefault("deadline_height", 10_000)
    return sb.instruction(reference, "fop", [sb.leg(A1, A2, "CNY", 10**15)], **kw)


def submit_pending(chain: Chain, count: int, prefix: str = "X") -> None:
    for start in range(0, count, 32):
        msgs = [sb.settle(unfundable(f"{prefix}{n}")) for n in range(start, min(count, start + 32))]
        (result,) = chain.block(chain.signer(1).sign(*msgs))
        assert result.ok, result.log


# -- 1. retries back off; end_block reads what is due ------------------------------------------


class CountingReader:
    """A reader that counts point reads and the entries iterations hand out."""

    def __init__(self, inner: KVReader) -> None:
        self.inner = inner
        self.reads = 0

    def get(self, key: bytes) -> bytes | None:
        self.reads += 1
        return self.inner.get(key)

    def iterate(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for item in self.inner.iterate(prefix):
            self.reads += 1
            yield item


def end_block_reads(chain: Chain) -> int:
    """What the settlement end_block of the next block reads from the committed state."""
    reader = CountingReader(chain.app.state)
    ctx = Context(
        MeteredStore(Overlay(reader), GasMeter(2**62)),
        chain.app.height + 1,
        chain.time_ns + 1_000_000_000,
        CHAIN_ID,
        "intl",
        chain.app.params,
        ExecMode.FINALIZE,
    )
    chain.app.settlement.end_block(ctx)
    return reader.reads


def test_a_pending_book_costs_an_empty_block_only_what_is_due(chain):
    submit_pending(chain, 96)  # 32 at each of heights 2, 3, 4
    chain.block()  # 5
    chain.block()  # 6
    chain.block()  # 7
    keeper = chain.app.settlement
    assert keeper.open_count(chain.app.state) == 96
    # Attempted 1, 2 then 4 blocks apart: those from height 2 at 3, 5, then 9; the
    # others at 10 and 11.
    heights = [query(chain, "settlement/instruction", id=i)["retry_height"] for i in (1, 33, 65)]
    assert heights == [9, 10, 11]
    # Height 8: nothing due. The open counter, then one entry past the end of the retry
    # and expiry queues, however many instructions wait.
    assert keeper.due(chain.app.state, 8, chain.time_ns) == []
    assert end_block_reads(chain) <= 3
    chain.block()  # 8
    # Height 9: the 32 submitted first are due, and only they are read.
    assert keeper.due(chain.app.state, 9, chain.time_ns) == list(range(1, 33))
    assert 32 < end_block_reads(chain) < 32 * 10


def test_retries_back_off_doubling_to_the_cap(chain):
    assert settle_with(chain, unfundable("B-1"), 1).ok  # height 2
    attempts = [chain.app.height]
    last = query(chain, "settlement/instruction", id=1)["retry_height"]
    while len(attempts) < 9:
        chain.block()
        found = query(chain, "settlement/instruction", id=1)
        if found["retry_height"] != last:
            attempts.append(chain.app.height)
            assert attempts[-1] == last  # attempted exactly at its retry height
            last = found["retry_height"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert gaps == [1, 2, 4, 8, 16, 32, MAX_RETRY_INTERVAL, MAX_RETRY_INTERVAL]
    assert found["status"] == "pending" and A1 in found["reason"]


def test_a_pending_instruction_gets_a_last_attempt_in_its_deadline_block(chain):
    deal = dvp("D-1", cash=1_500_000, deadline_height=7)
    assert settle_with(chain, deal, 1, 2).ok  # height 2: retries at 3, 5, 9
    chain.block()  # 3
    chain.block()  # 4
    chain.block()  # 5
    assert chain.block(chain.signer(3).sign(b.transfer((A2, "CNY", 600_000))))[0].ok  # 6
    response = chain.finalize()  # 7: the deadline, no retry due, but a last attempt
    assert "settlement_settled" in [e.type for e in response.events]
    assert query(chain, "settlement/instruction", id=1)["status"] == "settled"
    assert chain.app.settlement.queued(chain.app.state) == {
        "due": set(),
        "retry": set(),
        "expire": set(),
    }
    assert chain.app.check_invariants() == []


def test_the_deadline_is_capped_by_the_settlement_window(chain):
    before = snapshot(chain)
    height = chain.app.height + 1
    refused(
        settle_with(chain, unfundable("W-1", deadline_height=height + MAX_WINDOW_BLOCKS + 1), 1),
        ErrDeadlineTooFar,
    )
    far = unfundable("W-2", deadline_height=0, deadline_time_ns=chain.time_ns + 2 * MAX_WINDOW_NS)
    refused(settle_with(chain, far, 1), ErrDeadlineTooFar)
    (result,) = chain.block(chain.signer(1).sign(sb.instruct(far, A2)))
    refused(result, ErrDeadlineTooFar)
    assert snapshot(chain) == before
    height = chain.app.height + 1
    assert settle_with(chain, unfundable("W-3", deadline_height=height + MAX_WINDOW_BLOCKS), 1).ok


def test_open_instructions_per_authorising_account_are_capped(chain, monkeypatch):
    monkeypatch.setattr(settlement_keeper, "MAX_OPEN_PER_ACCOUNT", 2)
    assert settle_with(chain, unfundable("C-1"), 1).ok
    assert chain.block(chain.signer(1).sign(sb.instruct(dvp("C-2"), A2)))[0].ok  # unmatched
    assert chain.app.settlement.open_by_account(chain.app.state) == {A1: 2}
    before = snapshot(chain)
    refused(settle_with(chain, unfundable("C-3"), 1), ErrTooManyOpen)
    # As an endorser too, and on the matching side.
    refused(settle_with(chain, dvp("C-4", cash=5_000_000), 2, 1), ErrTooManyOpen)
    (result,) = chain.block(chain.signer(1).sign(sb.instruct(dvp("C-5"), A2)))
    refused(result, ErrTooManyOpen)
    after = snapshot(chain)  # (the pending one's retry moved on meanwhile)
    assert after[0] == before[0] and after[1]["next_id"] == before[1]["next_id"]
    # One that settles at once never counts as open.
    assert settle_with(chain, dvp("C-6"), 2, 1).ok
    assert query(chain, "settlement/instruction", id=3)["status"] == "settled"
    # The counterparty matching bank 1's waiting side: bank 2 is under its cap.
    assert chain.block(chain.signer(2).sign(sb.instruct(dvp("C-2"), A1)))[0].ok  # settles
    assert query(chain, "settlement/instruction", id=2)["status"] == "settled"
    assert chain.app.settlement.open_by_account(chain.app.state) == {A1: 1}
    # Closing one frees a place.
    assert chain.block(chain.signer(1).sign(sb.cancel(1)))[0].ok
    assert chain.app.settlement.open_by_account(chain.app.state) == {}
    assert settle_with(chain, unfundable("C-7"), 1).ok
    assert chain.app.check_invariants() == []


def test_a_leg_naming_a_missing_or_closed_account_is_refused(chain):
    nobody = account_id(99)
    before = snapshot(chain)
    deal = sb.instruction("N-1", "fop", [sb.leg(A1, nobody, "CNY", 5)], deadline_height=50)
    (result,) = chain.block(chain.signer(1).sign(sb.settle(deal)))
    refused(result, ErrUnknownParty)
    assert nobody in result.log
    (result,) = chain.block(chain.signer(1).sign(sb.instruct(dvp("N-2"), A2)))
    assert result.ok  # both parties exist
    assert chain.block(chain.signer(4).sign(b.transfer((A3, "CNY", 1_000_000))))[0].ok
    assert chain.block(chain.signer(4).sign(b.close_account()))[0].ok
    closed = sb.instruction("N-3", "fop", [sb.leg(A1, A4, "CNY", 5)], deadline_height=50)
    (result,) = chain.block(chain.signer(1).sign(sb.settle(closed)))
    refused(result, ErrUnknownParty)
    assert "closed" in result.log
    assert snapshot(chain)[0] == {**before[0], (3, "CNY"): 2_000_000, (4, "CNY"): 0}


# -- 2. an endorsement authorises one submitter -------------------------------------------------


def test_a_front_runner_cannot_submit_someone_elses_endorsed_instruction(chain):
    deal = sb.instruction(
        "T-1", "fop", [sb.leg(A2, A1, "CNY", 500)], submitter=A1, settle_height=50,
        deadline_height=100,
    )  # fmt: skip
    endorsement = sb.endorse(CHAIN_ID, deal, chain.signer(2))
    front = chain.signer(3).sign(sb.settle(deal, [endorsement]))
    intended = chain.signer(1).sign(sb.settle(deal, [endorsement]))
    r_front, r_intended = chain.block(front, intended)
    refused(r_front, ErrWrongSubmitter)
    assert A1 in r_front.log and A3 in r_front.log
    assert r_intended.ok, r_intended.log
    assert query(chain, "settlement/instruction", id=1)["signers"] == sorted([A1, A2])
    # Naming itself instead breaks bank 2's signature.
    stolen = chain.signer(3).sign(sb.settle(replace(deal, submitter=A3), [endorsement]))
    refused(chain.block(stolen)[0], ErrBadEndorsement)


def test_the_builder_names_the_first_legs_sender_by_default():
    assert dvp().submitter == A1
    assert dvp(submitter=A3).submitter == A3
    assert dvp(submitter=A3).sign_bytes(CHAIN_ID) != dvp().sign_bytes(CHAIN_ID)


# -- 3. a key-reset lock window holds the payer's legs ------------------------------------------


def test_a_payer_in_a_key_reset_lock_window_is_held_pending(tmp_path):
    chain = Chain(
        tmp_path / "db", n_accounts=3, recovery={3: 1}, params=ChainParams(reset_lock_blocks=20)
    )
    deal = sb.instruction(
        "X-1", "fop", [sb.leg(A3, A2, "CNY", 900_000)], settle_height=5, deadline_height=500
    )
    sides = chain.block(
        chain.signer(3).sign(sb.instruct(deal, A2)), chain.signer(2).sign(sb.instruct(deal, A3))
    )  # height 1: matched, due at 5
    assert all(r.ok for r in sides), sides
    policy = b.policy([b.key_of("n1", generate_private_key("ed25519"))])
    (reset,) = chain.block(chain.signer(1).sign(b.initiate_reset(A3, policy)))  # 2: due 22
    assert reset.ok, reset.log
    chain.block()  # 3
    chain.block()  # 4
    response = chain.finalize()  # 5: due, but the payer is in its lock window
    pending = [e for e in response.events if e.type == "settlement_pending"]
    assert pending and "key-reset" in dict(pending[0].attributes)["reason"]
    assert chain.balance(3) == 1_000_000 and chain.balance(2) == 1_000_000
    found = query(chain, "settlement/instruction", id=1)
    assert found["status"] == "pending" and "key-reset" in found["reason"]


# -- 4. out of budget while checking an endorsement ---------------------------------------------


def test_running_out_of_budget_in_an_endorsement_check_is_not_a_bad_endorsement(tmp_path):
    deal = sb.instruction(
        "G-1", "fop", [sb.leg(A2, A1, "CNY", 500)], submitter=A1, deadline_height=100
    )

    def send(chain: Chain, key_id: str) -> Any:
        endorser = Signer(CHAIN_ID, A2, [(key_id, chain.keys[1])])
        endorsement = sb.endorse(CHAIN_ID, deal, endorser)
        (result,) = chain.block(chain.signer(1).sign(sb.settle(deal, [endorsement])))
        return result

    # An endorsement by a key bank 2 does not hold is refused before its signature is
    # charged: that refusal's cost is what the transaction has spent up to the charge.
    probe = Chain(tmp_path / "probe", n_accounts=2)
    unknown_key = send(probe, "k9")
    refused(unknown_key, ErrBadEndorsement)
    # The same transaction, validly endorsed, with a budget that ends inside that charge.
    limit = unknown_key.cost + gas.SIG_VERIFY["ed25519"] // 2
    chain = Chain(tmp_path / "db", n_accounts=2, params=ChainParams(max_tx_cost=limit))
    result = send(chain, "k1")
    assert (result.codespace, result.code) == (ErrOutOfBudget.codespace, ErrOutOfBudget.code)
    assert "verifying signatures" in result.log
    assert send(probe, "k1").ok  # and with the default budget it settles
