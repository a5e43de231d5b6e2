"""The aml module through real blocks: sanctions lists built in chunks, sealed and looked up;
travel-rule records; every refusal leaving the state untouched; genesis export and import.

Chain (``make_gov``): accounts 1..4 are governance members; a passed proposal registers
accounts 2 and 3 as regulators. Account 1 controls Bank A's DID, account 4 Bank B's;
account 5 is a customer bound to its own DID.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.app import Genesis, TxResult
from finchain.client import aml_builders as amlb
from finchain.client import builders as b
from finchain.codec import RawMsg
from finchain.core.errors import ErrInvalidMsg
from finchain.crypto import generate_private_key
from finchain.crypto.sealing import generate_encryption_key
from finchain.errors import ErrorCode, FinchainError
from finchain.formats.did import make_did
from finchain.modules.accounts.types import account_id
from finchain.modules.aml.errors import (
    ErrBadGenesis,
    ErrBadVersion,
    ErrEntryOrder,
    ErrNotPublisher,
    ErrNotRegulator,
    ErrSealMismatch,
    ErrTravelExists,
    ErrUnknownInstitution,
    ErrUnknownList,
)
from finchain.modules.aml.keeper import AmlView
from finchain.modules.aml.messages import MsgTravelRecord
from finchain.modules.aml.module import AmlModule
from finchain.modules.aml.types import (
    DRAFT,
    MAX_ENTRIES_PER_MSG,
    SanctionsList,
    chain_start,
    list_hash,
)
from finchain.modules.bank.messages import MsgTransfer, Output
from tests.harness import CHAIN_ID
from tests.modules.test_governance import A, Gov, code, make_gov
from tests.modules.test_identity import Registry, method
from tests.testmodule import with_test_module

REGULATORS = (2, 3)
OTHERS = sorted((account_id(n) for n in (901, 902, 903)), key=str.encode)
ENVELOPE = bytes(range(32))


class World:
    """The chain, the institutions' DIDs, and the steps the scenarios are written in."""

    def __init__(self, gov: Gov) -> None:
        self.gov = gov
        self.app = gov.app
        self.reg = Registry(gov.chain)
        self.bank_a = self.reg.create(1, method("assert", generate_private_key("ed25519")))
        self.bank_b = self.reg.create(4, method("assert", generate_private_key("ed25519")))
        customer_key = generate_private_key("ed25519")
        self.customer = self.reg.create(5, method("auth", customer_key))
        assert self.reg.bind(5, self.customer, "auth", customer_key).ok
        actions = [
            b.exec_msg(
                RawMsg(
                    "credentials/add_regulator",
                    {
                        "account": A[n],
                        "name": f"regulator {n}",
                        "encryption_key": {
                            "scheme": "x25519",
                            "public_key": generate_encryption_key("x25519").public_key,
                        },
                    },
                )
            )
            for n in REGULATORS
        ]
        pid = gov.pass_proposal(*actions)
        assert gov.proposal(pid)["status"] == "executed"

    def send(self, who: int, *msgs: RawMsg) -> TxResult:
        return self.reg.send(who, *msgs)

    def ok(self, who: int, *msgs: RawMsg) -> TxResult:
        result = self.send(who, *msgs)
        assert result.ok, (result.codespace, result.code, result.log)
        return result

    def refused(self, error: ErrorCode, who: int, *msgs: RawMsg) -> TxResult:
        before = self.state()
        result = self.send(who, *msgs)
        assert code(result) is error, (result.codespace, result.code, result.log)
        assert self.state() == before
        return result

    def state(self) -> list[tuple[bytes, bytes]]:
        return list(self.app.state.iterate(b"aml/"))

    def publish(self, who: int, version: int, entries: list[str], chunk: int = 2) -> None:
        for raw in amlb.list_messages(
            version=version, entries=entries, hash_alg="sha256", chunk=chunk
        ):
            self.ok(who, raw)

    def query(self, path: str, **params: Any) -> Any:
        return self.app.query("aml/" + path, params).value

    def listed(self, address: str) -> int | None:
        return self.app.aml.listed_version(self.app.state, address)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(make_gov(tmp_path))


# -- sanctions lists ------------------------------------------------------------------------------


def test_a_list_built_in_chunks_becomes_active_when_sealed(world: World) -> None:
    entries = [*OTHERS, world.customer]
    assert world.app.aml.active_list_version(world.app.state) == 0
    assert world.query("active") == {
        "version": 0,
        "list": None,
        "draft": None,
        "next_version": 1,
    }
    world.publish(2, 1, entries)
    state = world.app.state
    assert world.app.aml.active_list_version(state) == 1
    active = world.query("active")
    assert active["version"] == 1 and active["draft"] is None
    assert active["list"]["hash"] == list_hash("sha256", entries).hex()
    assert active["list"]["count"] == 4 and active["list"]["publisher"] == A[2]
    assert active["list"]["state"] == "sealed"
    assert world.listed(OTHERS[1]) == 1
    # the customer's DID is listed: its bound account is caught through the binding
    assert world.listed(A[5]) == 1
    assert world.listed(world.customer) == 1
    assert world.listed(A[1]) is None
    assert world.query("check", address=A[5]) == {
        "address": A[5],
        "active_version": 1,
        "listed": True,
        "version": 1,
    }
    page = world.query("entries", version=1, limit=2)
    assert page["entries"] == sorted(entries, key=str.encode)[:2]
    rest = world.query("entries", version=1, cursor=page["next_cursor"])
    assert page["entries"] + rest["entries"] == sorted(entries, key=str.encode)


def test_a_new_version_replaces_the_old_which_stays_queryable(world: World) -> None:
    world.publish(2, 1, OTHERS)
    world.publish(3, 2, OTHERS[:1])
    assert world.app.aml.active_list_version(world.app.state) == 2
    assert world.listed(OTHERS[0]) == 2
    assert world.listed(OTHERS[2]) is None
    assert world.query("check", address=OTHERS[2], version=1)["listed"] is True
    assert world.query("list", version=1)["active"] is False
    # an empty version lifts every designation
    world.publish(2, 3, [])
    assert world.app.aml.active_list_version(world.app.state) == 3
    assert world.listed(OTHERS[0]) is None


def test_a_draft_has_no_effect_and_belongs_to_its_publisher(world: World) -> None:
    world.ok(2, amlb.list_add(1, OTHERS[:2]))
    assert world.listed(OTHERS[0]) is None
    assert world.query("active")["draft"] == 1
    world.refused(ErrNotPublisher, 3, amlb.list_add(1, OTHERS[2:]))
    world.refused(ErrNotPublisher, 3, amlb.list_seal(1, 2, list_hash("sha256", OTHERS[:2])))
    world.refused(ErrBadVersion, 2, amlb.list_add(2, OTHERS[2:]))
    world.refused(ErrEntryOrder, 2, amlb.list_add(1, OTHERS[1:]))
    world.refused(ErrNotRegulator, 5, amlb.list_add(1, OTHERS[2:]))


def test_a_seal_that_disagrees_with_the_chain_is_refused(world: World) -> None:
    world.ok(2, amlb.list_add(1, OTHERS[:2]))
    whole = list_hash("sha256", OTHERS)
    result = world.refused(ErrSealMismatch, 2, amlb.list_seal(1, 3, whole))
    assert "send the missing chunks" in result.log
    world.refused(ErrSealMismatch, 2, amlb.list_seal(1, 2, whole))
    world.refused(ErrUnknownList, 2, amlb.list_seal(2, 2, whole))
    world.ok(2, amlb.list_add(1, OTHERS[2:]))
    world.ok(2, amlb.list_seal(1, 3, whole))
    assert world.listed(OTHERS[2]) == 1


def test_any_regulator_discards_a_draft_and_its_number_is_not_reused(world: World) -> None:
    world.ok(2, amlb.list_add(1, OTHERS[:1]))
    world.refused(ErrNotRegulator, 5, amlb.list_discard(1))
    world.ok(3, amlb.list_discard(1))
    assert world.query("list", version=1)["state"] == "discarded"
    world.refused(ErrUnknownList, 3, amlb.list_discard(1))
    world.refused(ErrBadVersion, 3, amlb.list_add(1, OTHERS[:1]))
    world.publish(3, 2, OTHERS)
    assert world.app.aml.active_list_version(world.app.state) == 2


def test_malformed_list_messages_are_refused_before_state_is_read(world: World) -> None:
    unsorted = RawMsg("aml/list_add", {"version": 1, "entries": [OTHERS[1], OTHERS[0]]})
    result = world.refused(ErrInvalidMsg, 2, unsorted)
    assert "strictly increasing" in result.log
    world.refused(ErrInvalidMsg, 2, RawMsg("aml/list_add", {"version": 1, "entries": ["bob"]}))
    world.refused(ErrInvalidMsg, 2, RawMsg("aml/list_add", {"version": 1, "entries": []}))
    world.refused(ErrInvalidMsg, 2, RawMsg("aml/list_add", {"version": 0, "entries": OTHERS}))


def test_bad_queries_say_what_to_pass(world: World) -> None:
    with pytest.raises(FinchainError, match="address"):
        world.app.query("aml/check", {"address": "x"})
    with pytest.raises(FinchainError, match="no sanctions list"):
        world.app.query("aml/list", {"version": 7})


# -- travel records -------------------------------------------------------------------------------


def test_a_travel_record_rides_with_its_transfer(world: World) -> None:
    record = amlb.travel_record([0], ENVELOPE, world.bank_a, world.bank_b)
    result = world.ok(5, b.transfer((A[4], "CNY", 100_000)), record)
    (event,) = [e for e in result.events if e.type == "travel_recorded"]
    assert event.get("covers") == "0" and event.get("envelope_hash") == ENVELOPE.hex()
    found = world.query("travel", hash=ENVELOPE.hex(), account=A[5])
    assert world.query("travel", hash=ENVELOPE.hex())["records"] == [found]
    assert found["beneficiary_institution"] == world.bank_b and found["account"] == A[5]
    assert found["covers"] == [0] and found["hash_alg"] == "sha256"
    assert world.query("travel_by_institution", did=world.bank_b)["envelope_hashes"] == [
        ENVELOPE.hex()
    ]
    assert world.query("travel_by_institution", did=world.bank_a, role="originator")[
        "envelope_hashes"
    ] == [ENVELOPE.hex()]
    world.refused(ErrTravelExists, 5, b.transfer((A[4], "CNY", 1)), record)


def test_a_hash_copied_by_another_account_does_not_block_the_originator(world: World) -> None:
    """Front-running: account 6 sees the envelope hash in the mempool and records it first;
    the originator's own record still succeeds, and the two are told apart by account."""
    record = amlb.travel_record([0], ENVELOPE, world.bank_a, world.bank_b)
    world.ok(3, b.transfer((A[4], "CNY", 1)), record)
    world.ok(5, b.transfer((A[4], "CNY", 100_000)), record)
    records = world.query("travel", hash=ENVELOPE.hex())["records"]
    assert sorted(r["account"] for r in records) == sorted([A[5], A[3]])
    assert world.query("travel", hash=ENVELOPE.hex(), account=A[5])["account"] == A[5]
    assert world.query("travel_by_institution", did=world.bank_b)["envelope_hashes"] == [
        ENVELOPE.hex()
    ]


def test_a_travel_record_naming_an_unknown_institution_is_refused(world: World) -> None:
    unknown = make_did(CHAIN_ID, 9_999)
    record = amlb.travel_record([0], ENVELOPE, world.bank_a, unknown)
    result = world.refused(ErrUnknownInstitution, 5, b.transfer((A[4], "CNY", 1)), record)
    assert unknown in result.log and "beneficiary" in result.log
    assert world.query("travel_by_institution", did=unknown)["envelope_hashes"] == []


def test_a_full_chunk_of_dids_fits_one_transaction(world: World) -> None:
    dids = sorted(
        (make_did(CHAIN_ID, n) for n in range(1, MAX_ENTRIES_PER_MSG + 1)), key=str.encode
    )
    started = time.perf_counter()
    world.ok(2, amlb.list_add(1, dids))
    world.ok(2, amlb.list_seal(1, len(dids), list_hash("sha256", dids)))
    elapsed = time.perf_counter() - started
    assert world.listed(dids[-1]) == 1 and world.query("list", version=1)["count"] == 500
    assert elapsed < 30, f"500 entries took {elapsed:.1f} s"


def test_travel_covered_reads_the_transactions_messages() -> None:
    pay = MsgTransfer((Output(OTHERS[0], "CNY", 5),))
    did_a = make_did("test-chain", 101)
    record = MsgTravelRecord((0, 2), ENVELOPE, did_a, did_a)
    covered = AmlView().travel_covered
    msgs = (pay, record, pay)
    assert covered(msgs, 0) and covered(msgs, 2)
    assert not covered(msgs, 1)  # a record never covers itself
    assert not covered(msgs, 3) and not covered(msgs, -1)
    assert not covered((pay, pay), 0)


# -- the hash -------------------------------------------------------------------------------------

ENTRY = st.integers(min_value=1, max_value=10**10 - 1).map(account_id)


@settings(max_examples=60, deadline=None)
@given(
    st.sets(ENTRY, max_size=40),
    st.integers(min_value=1, max_value=7),
    st.sampled_from(["sm3", "sha256"]),
)
def test_the_chained_hash_does_not_depend_on_the_chunking(
    entries: set[str], chunk: int, hash_alg: str
) -> None:
    ordered = sorted(entries, key=str.encode)
    draft = SanctionsList(
        1, "FC000000000002", DRAFT, hash_alg, chain_start(hash_alg), 0, "", 1, 0, 0
    )
    for i in range(0, len(ordered), chunk):
        draft = draft.extended(tuple(ordered[i : i + chunk]))
    assert draft.hash == list_hash(hash_alg, entries)
    assert draft.count == len(entries)


def test_the_hash_is_of_the_set_and_of_the_suite() -> None:
    assert list_hash("sha256", [A[2], A[1]]) == list_hash("sha256", [A[1], A[2], A[1]])
    assert list_hash("sm3", OTHERS) != list_hash("sha256", OTHERS)
    assert list_hash("sha256", OTHERS) != list_hash("sha256", OTHERS[:2])


# -- genesis --------------------------------------------------------------------------------------


def test_genesis_round_trip_and_refusal(world: World, tmp_path: Path) -> None:
    world.publish(2, 1, OTHERS)
    world.ok(3, amlb.list_add(2, OTHERS[:1]))
    world.ok(
        5,
        b.transfer((A[4], "CNY", 1)),
        amlb.travel_record([0], ENVELOPE, world.bank_a, world.bank_b),
    )
    exported = world.app.export()
    section = exported.app_state["aml"]
    assert section["active"] == 1 and section["draft"] == 2 and section["next_version"] == 3
    assert [item["entries"] for item in section["lists"]] == [OTHERS, OTHERS[:1]]
    assert world.app.check_invariants() == []
    target = with_test_module(tmp_path / "target")
    exported.save(tmp_path / "genesis.json")
    target.init_chain(Genesis.load(tmp_path / "genesis.json"))
    assert list(target.state.iterate(b"aml/")) == world.state()
    module = AmlModule(target.aml)
    assert module._lists_consistent(target.state) is None
    bad = dict(section)
    bad["lists"] = [dict(section["lists"][0], entries=OTHERS[:2]), section["lists"][1]]
    with pytest.raises(FinchainError) as refused:
        module.validate_genesis(bad)
    assert (refused.value.codespace, refused.value.code) == (
        ErrBadGenesis.codespace,
        ErrBadGenesis.code,
    )
    pointers = dict(section, active=2)
    with pytest.raises(FinchainError, match="active version 2"):
        module.validate_genesis(pointers)


def test_default_genesis_writes_nothing(world: World) -> None:
    assert world.state() == []
    assert world.app.export().app_state["aml"] == AmlModule(world.app.aml).default_genesis()
