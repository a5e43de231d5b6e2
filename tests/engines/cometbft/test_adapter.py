"""The request -> Application mapping, driven the way CometBFT drives it, without processes."""

from __future__ import annotations

import json

import pytest

from finchain.chain import FinchainApp
from finchain.client import builders as b
from finchain.crypto import generate_private_key, get_suite
from finchain.engines.cometbft.adapter import AbciAdapter, MalformedRequest, Misbehavior
from finchain.engines.cometbft.wire import abci_types
from finchain.modules.accounts.types import account_id
from finchain.modules.bank import events
from finchain.store import proof_from_json, verify_proof
from tests.functional.cometbft.genesis import FUNDS, Accounts, genesis_with_validators
from tests.harness import BLOCK_NS

pb = abci_types()
A2 = account_id(2)


class Driver:
    """An adapter over a fresh Application, with CometBFT's request shapes."""

    def __init__(self, tmp_path, *, suite="intl", local_genesis=False):
        self.accounts = Accounts.create(3, suite)
        self.validator_keys = [generate_private_key("ed25519").public_key().data for _ in range(2)]
        self.genesis = genesis_with_validators(self.accounts, self.validator_keys)
        self.app = FinchainApp(tmp_path / "data")
        self.misbehavior: list[tuple[int, list[Misbehavior]]] = []
        self.adapter = AbciAdapter(
            self.app,
            genesis=self.genesis if local_genesis else None,
            on_misbehavior=lambda h, items: self.misbehavior.append((h, list(items))),
        )
        self.time_ns = self.genesis.time_ns

    def call(self, **kind):
        (name,) = kind
        request = self.adapter.parse(pb.Request(**kind).SerializeToString())
        response = self.adapter.handle(request)
        assert response.WhichOneof("value") in (name, "exception")
        return response

    def init_chain(self, *, app_state=True, **overrides):
        request = pb.RequestInitChain(
            chain_id=overrides.get("chain_id", self.genesis.chain_id),
            initial_height=1,
            app_state_bytes=json.dumps(self.genesis.to_json_obj()).encode() if app_state else b"",
        )
        request.time.seconds, request.time.nanos = divmod(self.genesis.time_ns, 10**9)
        for key in overrides.get("validators", self.validator_keys):
            update = request.validators.add(power=10)
            update.pub_key.ed25519 = key
        return self.call(init_chain=request)

    def finalize(self, *txs, misbehavior=()):
        self.time_ns += BLOCK_NS
        request = pb.RequestFinalizeBlock(
            txs=list(txs), height=self.app.height + 1, proposer_address=b"\x01" * 20
        )
        request.time.seconds, request.time.nanos = divmod(self.time_ns, 10**9)
        request.misbehavior.extend(misbehavior)
        response = self.call(finalize_block=request)
        self.call(commit=pb.RequestCommit())
        return response.finalize_block

    def query(self, path, params=None, *, height=0, prove=False):
        data = json.dumps(params or {}).encode()
        request = pb.RequestQuery(path=path, data=data, height=height, prove=prove)
        return self.call(query=request).query


@pytest.fixture
def driver(tmp_path):
    d = Driver(tmp_path)
    yield d
    d.app.close()


def test_info_before_and_after_init_chain(driver):
    before = driver.call(info=pb.RequestInfo()).info
    assert (before.last_block_height, before.last_block_app_hash) == (0, b"")
    init = driver.init_chain().init_chain
    assert init.app_hash == driver.app.info().last_app_hash
    assert [(bytes(v.pub_key.ed25519), v.power) for v in init.validators] == [
        (k, 10) for k in driver.validator_keys
    ]
    after = driver.call(info=pb.RequestInfo()).info
    assert (after.last_block_height, after.last_block_app_hash) == (0, init.app_hash)
    assert after.data == "finchain" and after.app_version == 1


def test_init_chain_is_repeatable_after_a_crash(driver):
    first = driver.init_chain().init_chain.app_hash
    assert driver.init_chain().init_chain.app_hash == first


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"chain_id": "other-chain"}, "chain_id"),
        ({"validators": [b"\x07" * 32]}, "validators differ"),
        ({"app_state": False}, "no finchain genesis"),
    ],
)
def test_init_chain_refuses_a_genesis_mismatch(driver, overrides, message):
    response = driver.init_chain(**overrides)
    assert message in response.exception.error
    assert driver.app.info().last_height == 0 and driver.app.info().last_app_hash == b""


def test_local_genesis_serves_when_app_state_is_empty_and_must_match_otherwise(tmp_path):
    local = Driver(tmp_path / "a", local_genesis=True)
    assert local.init_chain(app_state=False).init_chain.app_hash
    other = Driver(tmp_path / "b", local_genesis=True)
    other.genesis = genesis_with_validators(Accounts.create(1), other.validator_keys)
    assert "differs" in other.init_chain().exception.error


def test_check_tx_new_and_recheck_map_codes(driver):
    driver.init_chain()
    signer = driver.accounts.signer(1)
    good = signer.sign(b.transfer((A2, "CNY", 5)))
    cases = [
        (good, pb.NEW, (0, "")),
        (good, pb.RECHECK, (13, "tx")),  # its nonce is now used in check state
        (signer.sign(b.transfer((A2, "CNY", FUNDS * 2))), pb.NEW, (4, "bank")),
        (b"\x00garbage", pb.NEW, (2, "codec")),
    ]
    for raw, kind, expected in cases:
        result = driver.call(check_tx=pb.RequestCheckTx(tx=raw, type=kind)).check_tx
        assert (result.code, result.codespace) == expected, result.log
        assert result.gas_used == result.gas_wanted
        assert result.info == "ruleset=0"


def test_prepare_proposal_respects_max_tx_bytes(driver):
    driver.init_chain()
    signer = driver.accounts.signer(1)
    txs = [signer.sign(b.transfer((A2, "CNY", 1))) for _ in range(3)]
    request = pb.RequestPrepareProposal(
        txs=[*txs, b"junk"], max_tx_bytes=len(txs[0]) * 2 + 1, height=1
    )
    request.time.seconds = driver.genesis.time_ns // 10**9 + 1
    assert list(driver.call(prepare_proposal=request).prepare_proposal.txs) == txs[:2]


def test_process_proposal_rejects_a_block_with_an_undecodable_tx(driver):
    driver.init_chain()
    good = driver.accounts.signer(1).sign(b.transfer((A2, "CNY", 1)))
    status = pb.ResponseProcessProposal
    for txs, expected in [([good], status.ACCEPT), ([good, b"junk"], status.REJECT)]:
        request = pb.RequestProcessProposal(txs=txs, height=1)
        request.time.seconds = driver.genesis.time_ns // 10**9 + 1
        assert driver.call(process_proposal=request).process_proposal.status == expected


def test_finalize_block_maps_results_events_and_app_hash(driver):
    driver.init_chain()
    signer = driver.accounts.signer(1)
    ok = signer.sign(b.transfer((A2, "CNY", 250)))
    replayed = signer.sign(b.transfer((A2, "CNY", 1)), nonce=0)
    block = driver.finalize(ok, replayed)
    assert [(r.code, r.codespace) for r in block.tx_results] == [(0, ""), (13, "tx")]
    transfer = next(e for e in block.tx_results[0].events if e.type == "transfer")
    assert [(a.key, a.value) for a in transfer.attributes] == list(
        events.transfer(account_id(1), A2, "CNY", 250).attributes
    )
    assert all(a.index for a in transfer.attributes), "every attribute is indexed"
    assert block.tx_results[0].gas_used > 0 and block.tx_results[1].log
    # ExecTxResult.info names the rule set that judged each tx (issue 14), failures too
    assert [r.info for r in block.tx_results] == ["ruleset=0", "ruleset=0"]
    info = driver.app.info()
    assert (info.last_height, info.last_app_hash) == (1, block.app_hash)
    assert driver.app.blocks.get(1) is not None


def test_finalize_block_reports_misbehavior_to_the_sink(driver):
    driver.init_chain()
    evidence = pb.Misbehavior(type=pb.DUPLICATE_VOTE, height=1, total_voting_power=20)
    evidence.validator.address = b"\xaa" * 20
    evidence.validator.power = 10
    evidence.time.seconds = 5
    driver.finalize(misbehavior=[evidence])
    assert driver.misbehavior == [
        (1, [Misbehavior("duplicate_vote", b"\xaa" * 20, 10, 1, 5 * 10**9, 20)])
    ]


def test_commit_returns_the_retain_height(tmp_path):
    accounts = Accounts.create(1)
    key = generate_private_key("ed25519").public_key().data
    genesis = genesis_with_validators(accounts, [key])
    app = FinchainApp(tmp_path / "data", keep_recent=2)
    adapter = AbciAdapter(app, genesis=genesis)
    adapter.handle(pb.Request(init_chain=_init_request(genesis)))
    retained = []
    for height in range(1, 5):
        request = pb.RequestFinalizeBlock(height=height)
        request.time.seconds = genesis.time_ns // 10**9 + height
        adapter.handle(pb.Request(finalize_block=request))
        retained.append(adapter.handle(pb.Request(commit=pb.RequestCommit())).commit.retain_height)
    assert retained == [0, 1, 2, 3]
    app.close()


def _init_request(genesis):
    request = pb.RequestInitChain(chain_id=genesis.chain_id, initial_height=1)
    request.time.seconds = genesis.time_ns // 10**9
    return request


def test_query_answers_json_with_verifiable_proofs(driver):
    driver.init_chain()
    driver.finalize(driver.accounts.signer(1).sign(b.transfer((A2, "CNY", 7))))
    params = {"account": A2, "asset": "CNY"}
    answer = driver.query("bank/balance", params, prove=True)
    assert answer.code == 0 and answer.height == 1
    assert json.loads(answer.value)["amount"] == str(FUNDS + 7)
    assert answer.proof_ops.ops, "a proven query carries proof ops"
    for op in answer.proof_ops.ops:
        assert op.type == "finchain/jmt/sha256"
        data = json.loads(op.data)
        value = None if data["value"] is None else bytes.fromhex(data["value"])
        root = bytes.fromhex(data["root"])
        assert root == driver.app.info().last_app_hash
        assert verify_proof(root, op.key, value, proof_from_json(data["proof"]), "sha256")
    driver.finalize(driver.accounts.signer(1).sign(b.transfer((A2, "CNY", 1))))
    past = driver.query("bank/balance", params, height=1)
    assert (past.height, json.loads(past.value)["amount"]) == (1, str(FUNDS + 7))


def test_store_query_takes_a_hex_key(driver):
    driver.init_chain()
    answer = driver.query("store", {"key": b"app/chain".hex()}, prove=True)
    assert answer.code == 0 and bytes(answer.key) == b"app/chain"
    assert isinstance(json.loads(answer.value), str), "bytes travel as hex in JSON"


@pytest.mark.parametrize(
    ("path", "data", "code"),
    [
        ("no/such/path", b"{}", 24),
        ("bank/balance", b"not json", 25),
        ("bank/balance", b"[1]", 25),
        ("bank/balance", b'{"account": "x", "asset": "CNY"}', 25),
        ("store", b'{"key": "zz"}', 25),
    ],
)
def test_query_failures_are_codes_not_exceptions(driver, path, data, code):
    driver.init_chain()
    answer = driver.call(query=pb.RequestQuery(path=path, data=data)).query
    assert (answer.code, answer.codespace) == (code, "tx"), answer.log


def test_housekeeping_and_unoffered_features(driver):
    assert driver.call(echo=pb.RequestEcho(message="hi")).echo.message == "hi"
    assert driver.call(flush=pb.RequestFlush()).HasField("flush")
    assert not driver.call(list_snapshots=pb.RequestListSnapshots()).list_snapshots.snapshots
    offer = driver.call(offer_snapshot=pb.RequestOfferSnapshot()).offer_snapshot
    assert offer.result == pb.ResponseOfferSnapshot.REJECT
    assert not driver.call(extend_vote=pb.RequestExtendVote()).extend_vote.vote_extension


@pytest.mark.parametrize("payload", [b"", b"\x0a\xff\xff\xff\xff\x0f", b"\xaa\x07\x00"])
def test_frames_that_are_not_requests_are_malformed(driver, payload):
    with pytest.raises(MalformedRequest):
        driver.adapter.parse(payload)


def test_gm_suite_proofs_name_sm3(tmp_path):
    d = Driver(tmp_path, suite="gm")
    d.init_chain()
    op = d.query("bank/balance", {"account": A2, "asset": "CNY"}, prove=True).proof_ops.ops[0]
    assert op.type == "finchain/jmt/" + get_suite("gm").hash_name
    d.app.close()
