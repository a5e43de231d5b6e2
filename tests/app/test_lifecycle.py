"""The ABCI-shaped lifecycle: init, check, prepare, process, finalize, commit, info, query."""

from __future__ import annotations

import pytest

from finchain.app import FinalizeBlockRequest, Genesis
from finchain.chain import FinchainApp
from finchain.client import builders as b
from finchain.codec import decode
from finchain.core.errors import ErrBadGenesis, ErrOutOfBudget, ErrPolicyRejected, ErrWrongHeight
from finchain.crypto import generate_private_key
from finchain.errors import FinchainError
from finchain.modules.accounts.types import account_id
from finchain.modules.bank.errors import ErrInsufficientFunds
from finchain.store import verify_proof
from tests.harness import BLOCK_NS, Chain, make_genesis
from tests.support import code

A1, A2, A3 = account_id(1), account_id(2), account_id(3)


@pytest.fixture(params=["intl", "gm"])
def chain(tmp_path, request):
    scheme = "sm2" if request.param == "gm" else "ed25519"
    return Chain(tmp_path / "db", suite=request.param, scheme=scheme)


def test_genesis_state_and_info(chain):
    info = chain.app.info()
    assert info.last_height == 0
    assert info.chain_id == "test-chain"
    assert len(info.last_app_hash) == 32
    assert chain.balance(1) == 1_000_000
    supply = chain.app.query("bank/asset", {"asset": "CNY"}).value["supply"]
    assert supply == "3000000"
    assert chain.app.check_invariants() == []


def test_transfer_block_commits_and_persists(chain):
    raw = chain.signer(1).sign(b.transfer((A2, "CNY", 250), (A3, "CNY", 50)))
    (result,) = chain.block(raw)
    assert result.ok, result.log
    types = [e.type for e in result.events]
    assert types.count("transfer") == 2 and "coin_spent" in types and "coin_received" in types
    assert (chain.balance(1), chain.balance(2), chain.balance(3)) == (999_700, 1_000_250, 1_000_050)
    app_hash = chain.app_hash()
    chain.reopen()
    assert chain.app.info().last_height == 1
    assert chain.app_hash() == app_hash
    assert chain.balance(2) == 1_000_250
    record = decode(chain.app.blocks.get(1), max_size=1 << 20)
    assert record["txs"] == [raw] and record["app_hash"] == app_hash
    assert chain.app.blocks.tx_location(chain.app._hash(raw)) == (1, 0)


def test_check_tx_keeps_sequence_until_commit(chain):
    signer = chain.signer(1)
    first = signer.sign(b.transfer((A2, "CNY", 1)))
    second = signer.sign(b.transfer((A2, "CNY", 1)))
    assert chain.app.check_tx(first).ok
    assert chain.app.check_tx(second).ok, "check state sees the first tx's nonce"
    assert chain.app.check_tx(second).code == 13, "the same nonce twice in the mempool"
    assert chain.block(first, second) and chain.balance(2) == 1_000_002
    assert chain.app.check_tx(first, recheck=True).code == 13, (
        "recheck after commit evicts included txs"
    )


def test_check_tx_runs_messages(chain):
    raw = chain.signer(1).sign(b.transfer((A2, "CNY", 10**12)))
    result = chain.app.check_tx(raw)
    assert (result.codespace, result.code) == code(ErrInsufficientFunds)


def test_prepare_proposal_drops_invalid_and_respects_max_bytes(chain):
    signer = chain.signer(1)
    good = [signer.sign(b.transfer((A2, "CNY", 1))) for _ in range(3)]
    stale = chain.signer(2).sign(b.transfer((A1, "CNY", 1)), nonce=5)
    height, time_ns = chain.app.height + 1, chain.time_ns + BLOCK_NS
    assert (
        chain.app.prepare_proposal(
            [good[0], stale, good[1], good[2]], max_bytes=10**6, height=height, time_ns=time_ns
        )
        == good
    )
    fits_two = len(good[0]) + len(good[1])
    assert (
        chain.app.prepare_proposal(good, max_bytes=fits_two, height=height, time_ns=time_ns)
        == good[:2]
    )


def test_process_proposal_rejects_undecodable_tx(chain):
    good = chain.signer(1).sign(b.transfer((A2, "CNY", 1)))
    h, t = chain.app.height + 1, chain.time_ns + BLOCK_NS
    assert chain.app.process_proposal([good], height=h, time_ns=t)
    assert not chain.app.process_proposal([good, b"\x00garbage"], height=h, time_ns=t)
    assert not chain.app.process_proposal([good], height=h + 1, time_ns=t)


def test_heights_must_be_consecutive(chain):
    with pytest.raises(FinchainError) as err:
        chain.app.finalize_block(FinalizeBlockRequest(5, chain.time_ns + 1, []))
    assert ErrWrongHeight.matches(err.value)
    chain.app.finalize_block(FinalizeBlockRequest(1, chain.time_ns + 1, []))
    with pytest.raises(FinchainError):
        chain.app.finalize_block(FinalizeBlockRequest(2, chain.time_ns + 2, []))
    chain.app.commit()
    with pytest.raises(FinchainError):
        chain.app.commit()


def test_uncommitted_block_is_lost_on_restart(chain):
    before = chain.app_hash()
    raw = chain.signer(1).sign(b.transfer((A2, "CNY", 7)))
    response = chain.app.finalize_block(FinalizeBlockRequest(1, chain.time_ns + BLOCK_NS, [raw]))
    assert response.app_hash != before
    chain.reopen()
    assert chain.app.info().last_height == 0 and chain.app_hash() == before
    # The engine replays the block: the same app hash comes out.
    again = chain.app.finalize_block(FinalizeBlockRequest(1, chain.time_ns + BLOCK_NS, [raw]))
    assert again.app_hash == response.app_hash


def test_init_chain_is_idempotent_and_guards_the_database(chain, tmp_path):
    assert chain.app.init_chain(chain.genesis).app_hash == chain.app.state.root(0)
    other = make_genesis([generate_private_key("ed25519")], suite=chain.genesis.suite)
    with pytest.raises(FinchainError) as err:
        chain.app.init_chain(other)
    assert ErrBadGenesis.matches(err.value)


def test_queries_with_proofs_verify_offline(chain):
    chain.block(chain.signer(1).sign(b.transfer((A2, "CNY", 5))))
    response = chain.app.query("bank/balance", {"account": A2, "asset": "CNY"}, prove=True)
    assert response.value["amount"] == "1000005"
    hash_name = "sm3" if chain.genesis.suite == "gm" else "sha256"
    assert response.root == chain.app_hash()
    for proof in response.proofs:
        assert verify_proof(response.root, proof.key, proof.value, proof.proof, hash_name)
    # The historical balance at height 0, proven against that height's root.
    old = chain.app.query("bank/balance", {"account": A2, "asset": "CNY"}, height=0, prove=True)
    assert old.value["amount"] == "1000000" and old.root == chain.app.state.root(0)
    assert all(verify_proof(old.root, p.key, p.value, p.proof, hash_name) for p in old.proofs)
    # An absent balance is proven absent.
    none = chain.app.query("bank/balance", {"account": A2, "asset": "USD"}, prove=True)
    assert none.value["amount"] == "0"
    assert [p.value for p in none.proofs] == [None]
    assert all(verify_proof(none.root, p.key, None, p.proof, hash_name) for p in none.proofs)


def test_listing_query_cannot_be_proven(chain):
    with pytest.raises(FinchainError):
        chain.app.query("bank/balances", {"account": A1}, prove=True)
    assert (
        chain.app.query("bank/balances", {"account": A1}).value["balances"][0]["amount"]
        == "1000000"
    )


def test_policy_decorator_rejects_before_any_write(tmp_path):
    def no_memo_blocked(ctx, tx, tx_id, msgs):
        if tx.body.memo == "blocked":
            raise ErrPolicyRejected("memo 'blocked' is not allowed by the test policy")

    chain = Chain(tmp_path / "db", extra_ante=(no_memo_blocked,))
    before = chain.app_hash()
    (result,) = chain.block(chain.signer(1).sign(b.transfer((A2, "CNY", 5)), memo="blocked"))
    assert (result.codespace, result.code) == code(ErrPolicyRejected)
    assert chain.app_hash() == before
    assert chain.block(chain.signer(1).sign(b.transfer((A2, "CNY", 5)), nonce=0))[0].ok


def test_cost_budget_stops_a_heavy_tx(tmp_path):
    from finchain.app import ChainParams

    chain = Chain(tmp_path / "db", params=ChainParams(max_tx_cost=20_000))
    outputs = [(A2, "CNY", 1)] * 40
    (result,) = chain.block(chain.signer(1).sign(b.transfer(*outputs)))
    assert (result.codespace, result.code) == code(ErrOutOfBudget)
    assert result.cost > 20_000
    assert chain.balance(2) == 1_000_000


def test_genesis_rejects_supply_over_max(tmp_path):
    genesis = make_genesis([generate_private_key("ed25519")], balances=[(1, "CNY", 2**127)])
    with pytest.raises(FinchainError):
        FinchainApp(tmp_path / "x").init_chain(genesis)


def test_genesis_file_round_trip_and_errors(tmp_path):
    genesis = make_genesis([generate_private_key("ed25519")])
    path = tmp_path / "genesis.json"
    genesis.save(path)
    assert Genesis.load(path).hash() == genesis.hash()
    path.write_text("{not json")
    with pytest.raises(FinchainError) as err:
        Genesis.load(path)
    assert str(path) in err.value.message
    path.write_text('{"chain_id": "x"}')
    with pytest.raises(FinchainError) as err:
        Genesis.load(path)
    assert "missing keys" in err.value.message


def test_check_tx_failure_spends_no_nonce_in_check_state(chain):
    signer = chain.signer(1)
    failing = signer.sign(b.transfer((A2, "CNY", 10**12)))
    assert chain.app.check_tx(failing).code == 4
    signer.nonce -= 1
    retry = signer.sign(b.transfer((A2, "CNY", 5)))
    assert chain.app.check_tx(retry).ok, "the rejected tx must not have consumed nonce 0"


def test_predecode_from_many_threads_keeps_the_memo_consistent(chain, monkeypatch):
    """Engines predecode batches off their lock, from several threads at once."""
    import sys
    import threading

    import finchain.app.application as application

    monkeypatch.setattr(application, "_DECODED_CACHE_SIZE", 8)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show up
    signers = chain.signers
    batches = [[s.sign(b.transfer((A3, "CNY", 1))) for _ in range(50)] for s in signers[:2]]
    errors: list[BaseException] = []

    def work(raws: list[bytes]) -> None:
        try:
            for _ in range(20):
                chain.app.predecode(raws)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(batch,)) for batch in batches * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sys.setswitchinterval(previous)
    assert errors == []
    assert len(chain.app._decoded) <= 8
