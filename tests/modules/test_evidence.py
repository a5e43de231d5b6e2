"""Evidence: record a hash, refuse a second record, multi-party co-signing, queries, genesis."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import pytest

from finchain.app import Genesis, TxResult
from finchain.chain import FinchainApp
from finchain.client import evidence_builders as eb
from finchain.core.authority import AccountStatus
from finchain.core.context import Context, ExecMode
from finchain.core.errors import ErrBadQuery, ErrInvalidMsg
from finchain.core.gas import GasMeter, MeteredStore
from finchain.core.kv import KVReader, Overlay
from finchain.core.params import ChainParams
from finchain.errors import ErrorCode, FinchainError
from finchain.modules.accounts.types import account_id
from finchain.modules.evidence.errors import (
    ErrAlreadyCosigned,
    ErrBadGenesis,
    ErrInvalidCosigner,
    ErrNotCosigner,
    ErrRecordComplete,
    ErrRecordExists,
    ErrRecordNotFound,
)
from finchain.modules.evidence.keeper import EvidenceKeeper
from finchain.modules.evidence.keys import STORE
from finchain.store import proof_from_json, proof_to_json, verify_proof
from tests.harness import BLOCK_NS, Chain

A1, A2, A3 = account_id(1), account_id(2), account_id(3)


def doc(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest()


@pytest.fixture
def chain(tmp_path):
    return Chain(tmp_path / "db", n_accounts=4)


def query(chain: Chain, path: str, **params: Any) -> Any:
    return chain.app.query(path, params).value


def refused(result: TxResult, error: ErrorCode) -> None:
    assert (result.codespace, result.code) == (error.codespace, error.code), result.log
    assert result.events == ()


def test_record_is_complete_without_cosigners_and_names_its_tx(chain):
    raw = chain.signer(1).sign(
        eb.record("sha256", doc("a"), kind="contract", metadata={"ref": "C-2026-001"})
    )
    (result,) = chain.block(raw)
    assert result.ok, result.log
    assert [e.type for e in result.events] == ["evidence_recorded", "evidence_completed"]
    found = query(chain, "evidence/record", hash_alg="sha256", hash=doc("a").hex())
    assert found["submitter"] == A1 and found["submitter_did"] == ""
    assert found["kind"] == "contract" and found["metadata"] == {"ref": "C-2026-001"}
    assert found["height"] == 1 and found["time_ns"] == chain.time_ns
    assert found["tx_id"] == chain.app.tx_id(raw).hex()
    assert (found["status"], found["completed_height"], found["seq"]) == ("complete", 1, 0)
    assert chain.app.check_invariants() == []


def test_second_record_of_a_hash_is_refused_and_names_the_first(chain):
    assert chain.block(chain.signer(1).sign(eb.record("sm3", doc("a"), kind="invoice")))[0].ok
    (again,) = chain.block(chain.signer(2).sign(eb.record("sm3", doc("a"), kind="other")))
    refused(again, ErrRecordExists)
    assert A1 in again.log and "height 1" in again.log
    assert query(chain, "evidence/record", hash_alg="sm3", hash=doc("a"))["submitter"] == A1
    assert query(chain, "evidence/by_time")["records"][0]["kind"] == "invoice"
    assert len(query(chain, "evidence/by_time")["records"]) == 1
    # the same digest under the other algorithm is another document
    assert chain.block(chain.signer(2).sign(eb.record("sha256", doc("a"), kind="x")))[0].ok


def test_multi_party_evidence_completes_only_when_every_cosigner_has_signed(chain):
    digest = doc("loan agreement")
    record = eb.record("sha256", digest, kind="contract", cosigners=[A3, A2])
    (recorded,) = chain.block(chain.signer(1).sign(record))
    assert recorded.ok, recorded.log
    assert [e.type for e in recorded.events] == ["evidence_recorded"]

    def state() -> dict[str, Any]:
        return dict(query(chain, "evidence/record", hash_alg="sha256", hash=digest))

    assert state()["status"] == "pending" and state()["completed_height"] is None

    (first,) = chain.block(chain.signer(3).sign(eb.cosign("sha256", digest)))
    assert first.ok and [e.type for e in first.events] == ["evidence_cosigned"]
    assert first.events[0].get("outstanding") == "1"
    assert state()["status"] == "pending"

    outsider = chain.block(chain.signer(4).sign(eb.cosign("sha256", digest)))[0]
    refused(outsider, ErrNotCosigner)
    submitter = chain.block(chain.signer(1).sign(eb.cosign("sha256", digest)))[0]
    refused(submitter, ErrNotCosigner)
    twice = chain.block(chain.signer(3).sign(eb.cosign("sha256", digest)))[0]
    refused(twice, ErrAlreadyCosigned)
    assert state()["status"] == "pending", "refused co-signatures change nothing"

    raw = chain.signer(2).sign(eb.cosign("sha256", digest))
    (last,) = chain.block(raw)
    assert [e.type for e in last.events] == ["evidence_cosigned", "evidence_completed"]
    final = state()
    assert final["status"] == "complete" and final["completed_height"] == chain.app.height
    signed = {c["account"]: c for c in final["cosigners"]}
    assert signed[A2]["tx_id"] == chain.app.tx_id(raw).hex() and signed[A2]["signed"]
    assert signed[A3]["height"] < signed[A2]["height"]

    after = chain.block(chain.signer(2).sign(eb.cosign("sha256", digest)))[0]
    refused(after, ErrRecordComplete)
    assert chain.app.check_invariants() == []


@pytest.mark.parametrize(
    ("cosigners", "expected"),
    [
        ([A1], ErrInvalidCosigner),  # the submitter itself
        ([account_id(99)], ErrInvalidCosigner),  # no such account
        ([A2, A2], ErrInvalidMsg),  # duplicate
        ([account_id(n) for n in range(2, 19)], ErrInvalidMsg),  # 17 > 16
        (["FC00"], ErrInvalidMsg),  # not an account id
    ],
)
def test_invalid_cosigners_are_refused(chain, cosigners, expected):
    msg = eb.record("sha256", doc("x"), kind="contract")
    msg.value["cosigners"] = cosigners
    (result,) = chain.block(chain.signer(1).sign(msg))
    refused(result, expected)
    assert query(chain, "evidence/by_time")["records"] == []


def test_cosigning_unknown_evidence(chain):
    (result,) = chain.block(chain.signer(2).sign(eb.cosign("sha256", doc("nothing"))))
    refused(result, ErrRecordNotFound)


def test_batch_root_must_state_count_and_tree(chain):
    ok = eb.record_batch_root("sm3", doc("root"), 1_000)
    assert chain.block(chain.signer(1).sign(ok))[0].ok
    for metadata in (
        {"count": "10"},
        {"count": "10", "tree": "rfc6962-sha256"},
        {"count": "010", "tree": "rfc6962-sm3"},
        {"count": "0", "tree": "rfc6962-sm3"},
        {"count": "10", "tree": "rfc6962-sm3", "extra": "x"},
    ):
        msg = eb.record("sm3", doc(str(metadata)), kind="batch_root", metadata=metadata)
        refused(chain.block(chain.signer(1).sign(msg))[0], ErrInvalidMsg)


def test_listings_page_by_submitter_and_by_time(chain):
    times = []
    for block in range(5):
        chain.block(
            chain.signer(1).sign(eb.record("sha256", doc(f"a{block}"), kind="k")),
            chain.signer(2).sign(eb.record("sha256", doc(f"b{block}"), kind="k")),
        )
        times.append(chain.time_ns)

    def pages(path: str, **params: Any) -> list[list[str]]:
        out, cursor = [], None
        while True:
            args = {**params, "limit": "3", **({"cursor": cursor} if cursor else {})}
            answer = query(chain, path, **args)
            out.append([r["hash"] for r in answer["records"]])
            cursor = answer["next_cursor"]
            if cursor is None:
                return out

    mine = pages("evidence/by_submitter", submitter=A1)
    assert mine == [[doc(f"a{i}").hex() for i in range(3)], [doc(f"a{i}").hex() for i in (3, 4)]]
    window = pages("evidence/by_time", **{"from": str(times[1]), "to": str(times[3])})
    assert [h for page in window for h in page] == [
        doc(f"{w}{i}").hex() for i in (1, 2) for w in "ab"
    ]
    assert [len(p) for p in window] == [3, 1]
    both = pages("evidence/by_submitter", submitter=A2, **{"from": times[4]})
    assert both == [[doc("b4").hex()]]
    assert query(chain, "evidence/by_submitter", submitter=A3) == {
        "submitter": A3,
        "records": [],
        "next_cursor": None,
    }
    # RFC 3339 bounds: the genesis is 2026-01-01T00:00:00Z, blocks are one second apart
    answer = query(
        chain, "evidence/by_time", **{"from": "2026-01-01T00:00:02Z", "to": "2026-01-01T00:00:03Z"}
    )
    assert [r["hash"] for r in answer["records"]] == [doc("a1").hex(), doc("b1").hex()]
    assert times[1] - times[0] == BLOCK_NS


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("evidence/record", {"hash_alg": "md5", "hash": "00" * 32}),
        ("evidence/record", {"hash_alg": "sha256", "hash": "AB" * 32}),
        ("evidence/record", {"hash_alg": "sha256", "hash": "00" * 31}),
        ("evidence/by_submitter", {"submitter": "FC00"}),
        ("evidence/by_time", {"limit": "0"}),
        ("evidence/by_time", {"limit": "201"}),
        ("evidence/by_time", {"cursor": "5"}),
        ("evidence/by_time", {"from": "yesterday"}),
        ("evidence/by_time", {"from": "2026-01-01T00:00:00"}),  # no zone: instant unknown
        ("evidence/by_time", {"from": "10", "to": "9"}),
    ],
)
def test_bad_query_parameters(chain, path, params):
    with pytest.raises(FinchainError) as err:
        chain.app.query(path, params)
    assert ErrBadQuery.matches(err.value)


def test_unknown_record_and_proof_of_a_record(chain):
    with pytest.raises(FinchainError) as err:
        chain.app.query("evidence/record", {"hash_alg": "sha256", "hash": doc("none").hex()})
    assert ErrRecordNotFound.matches(err.value)
    chain.block(chain.signer(1).sign(eb.record("sha256", doc("p"), kind="k")))
    answer = chain.app.query(
        "evidence/record", {"hash_alg": "sha256", "hash": doc("p").hex()}, prove=True
    )
    assert answer.value["hash"] == doc("p").hex() and len(answer.proofs) == 1
    (entry,) = answer.proofs
    proof = proof_from_json(proof_to_json(entry.proof))
    assert verify_proof(answer.root, entry.key, entry.value, proof, "sha256")
    assert not verify_proof(answer.root, entry.key, entry.value + b"x", proof, "sha256")


def entries(app: FinchainApp) -> list[tuple[bytes, bytes]]:
    """Every committed state entry of the evidence module."""
    return list(app.state.iterate(STORE.prefix))


def test_genesis_carries_records_over(chain, tmp_path):
    chain.block(chain.signer(1).sign(eb.record("sha256", doc("g1"), kind="k", cosigners=[A2])))
    chain.block(chain.signer(2).sign(eb.cosign("sha256", doc("g1"))))
    chain.block(chain.signer(3).sign(eb.record("sm3", doc("g2"), kind="k", metadata={"a": "b"})))
    chain.block(
        chain.signer(1).sign(eb.record("sm3", doc("g3"), kind="k", cosigners=[A2, A3])),
        chain.signer(3).sign(eb.record("sha256", doc("g4"), kind="k")),
    )
    exported = chain.app.export_genesis()["evidence"]
    assert [r["hash"] for r in exported["records"]] == [doc(f"g{n}").hex() for n in (1, 2, 3, 4)]
    assert [r["status"] for r in exported["records"]] == [
        "complete",
        "complete",
        "pending",
        "complete",
    ]

    def genesis_with(records: list[Any]) -> Genesis:
        app_state = {**chain.genesis.app_state, "evidence": {"records": records}}
        return replace(chain.genesis, genesis_time="2026-02-01T00:00:00Z", app_state=app_state)

    carried = FinchainApp(tmp_path / "carried")
    carried.init_chain(genesis_with(exported["records"]))
    assert carried.export_genesis()["evidence"] == exported
    assert entries(carried) == entries(chain.app), "records, positions, lists and counters"
    assert carried.check_invariants() == []
    mine = carried.query("evidence/by_submitter", {"submitter": A1}).value["records"]
    assert [r["hash"] for r in mine] == [doc("g1").hex(), doc("g3").hex()]

    # the derived fields may be left out; given, they must agree with the record
    bare = [
        {k: v for k, v in r.items() if k not in ("status", "completed_height")}
        | {"cosigners": [{k: v for k, v in c.items() if k != "signed"} for c in r["cosigners"]]}
        for r in exported["records"]
    ]
    again = FinchainApp(tmp_path / "bare")
    again.init_chain(genesis_with(bare))
    assert entries(again) == entries(chain.app)

    first = exported["records"][0]
    unsigned = dict(first["cosigners"][0], signed=False)
    for name, change in (
        ("seq", {"seq": 1}),
        ("hash", {"hash": "AB" * 32}),
        ("time", {"time_ns": 2**63}),
        ("future", {"time_ns": chain.time_ns * 2}),
        ("status", {"status": "pending"}),
        ("signed", {"cosigners": [unsigned]}),
        ("extra", {"note": "x"}),
    ):
        with pytest.raises(FinchainError) as err:
            FinchainApp(tmp_path / f"bad-{name}").init_chain(genesis_with([first | change]))
        assert ErrBadGenesis.matches(err.value), name
    with pytest.raises(FinchainError) as err:
        FinchainApp(tmp_path / "twice").init_chain(genesis_with([first, first | {"seq": 1}]))
    assert ErrBadGenesis.matches(err.value) and "twice" in err.value.message


class _Accounts:
    def status(self, reader: KVReader, account: str) -> AccountStatus | None:
        return AccountStatus.ACTIVE


class _Identity:
    def did_of_account(self, reader: KVReader, account: str) -> str | None:
        return {A1: "did:finchain:test-chain:000000000194"}.get(account)


def test_records_carry_the_did_bound_to_the_signing_account():
    keeper = EvidenceKeeper(_Accounts(), _Identity())
    overlay = Overlay(_Empty())
    ctx = Context(
        MeteredStore(overlay, GasMeter(10**9)),
        7,
        123,
        "test-chain",
        "intl",
        ChainParams(),
        ExecMode.FINALIZE,
        A1,
        tx_id=b"\x01" * 32,
    )
    record = keeper.record(ctx, A1, "sha256", doc("d"), "k", (), (A2,))
    assert record.submitter_did == "did:finchain:test-chain:000000000194"
    ctx.signer = A2
    keeper.cosign(ctx, A2, "sha256", doc("d"))
    stored = keeper.require(overlay, "sha256", doc("d"))
    assert stored.status == "complete" and stored.cosigners[0].did == ""
    assert stored.tx_id == b"\x01" * 32 and (stored.height, stored.time_ns) == (7, 123)


class _Empty:
    def get(self, key: bytes) -> bytes | None:
        return None

    def iterate(self, prefix: bytes) -> Any:
        return iter(())


def test_largest_record_fits_the_transaction_budget(tmp_path):
    chain = Chain(tmp_path / "big", n_accounts=17)
    metadata = {f"k{i:02d}": "v" * 54 for i in range(16)}
    msg = eb.record(
        "sm3", doc("big"), kind="contract", metadata=metadata, cosigners=[
            account_id(n) for n in range(2, 18)
        ]
    )  # fmt: skip
    (result,) = chain.block(chain.signer(1).sign(msg))
    assert result.ok, result.log
    metadata["k16"] = "v"
    msg = eb.record("sm3", doc("bigger"), kind="contract", metadata=metadata)
    refused(chain.block(chain.signer(1).sign(msg))[0], ErrInvalidMsg)
