"""Evidence messages and records from their declarations: the wire format is unchanged, and
every valid message or record round-trips through the wire, the builders and JSON."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from finchain.client import evidence_builders as eb
from finchain.modules.accounts.types import account_id
from finchain.modules.evidence.messages import MsgCosign, MsgRecord
from finchain.modules.evidence.types import (
    HASH_ALGS,
    MAX_COSIGNERS,
    Cosignature,
    EvidenceRecord,
)

DIGEST = bytes(range(32))

_hash_algs = st.sampled_from(HASH_ALGS)
_digests = st.binary(min_size=32, max_size=32)
_kinds = st.from_regex(r"[a-z][a-z0-9_.-]{0,31}", fullmatch=True).filter(
    lambda k: k != "batch_root"
)
_metadata = st.dictionaries(
    st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,15}", fullmatch=True), st.text(max_size=20), max_size=8
)
_accounts = st.integers(1, 10**6).map(account_id)
_cosigners = st.lists(_accounts, max_size=MAX_COSIGNERS, unique=True)


def test_the_wire_format_is_the_one_clients_sign() -> None:
    """What the builders send, spelled out: the map a client signed before the declarations."""
    raw = eb.record(
        "sm3",
        DIGEST,
        kind="contract",
        metadata={"ref": "C-1", "a": "b"},
        cosigners=[account_id(3), account_id(2)],
    )
    assert raw.type == "evidence/record"
    assert raw.value == {
        "hash_alg": "sm3",
        "hash": DIGEST,
        "kind": "contract",
        "metadata": {"a": "b", "ref": "C-1"},
        "cosigners": sorted([account_id(2), account_id(3)]),  # a set: sent in order
    }
    assert eb.record("sha256", DIGEST, kind="k").value == {
        "hash_alg": "sha256",
        "hash": DIGEST,
        "kind": "k",
        "metadata": {},
        "cosigners": [],
    }
    root = eb.record_batch_root("sha256", DIGEST, 7)
    assert root.value["metadata"] == {"count": "7", "tree": "rfc6962-sha256"}
    assert MsgRecord.from_value(root.value).kind == "batch_root"
    cosign = eb.cosign("sm3", DIGEST)
    assert (cosign.type, cosign.value) == ("evidence/cosign", {"hash_alg": "sm3", "hash": DIGEST})


@given(_hash_algs, _digests, _kinds, _metadata, _cosigners)
def test_any_valid_record_message_round_trips(
    hash_alg: str, digest: bytes, kind: str, metadata: dict[str, str], cosigners: list[str]
) -> None:
    raw = eb.record(hash_alg, digest, kind=kind, metadata=metadata, cosigners=cosigners)
    msg = MsgRecord.from_value(raw.value)
    assert msg == MsgRecord(
        hash_alg, digest, kind, tuple(sorted(metadata.items())), tuple(sorted(cosigners))
    )
    assert msg.to_raw() == raw
    assert MsgRecord.from_value(msg.to_value()) == msg


@given(_hash_algs, _digests)
def test_any_valid_cosign_message_round_trips(hash_alg: str, digest: bytes) -> None:
    raw = eb.cosign(hash_alg, digest)
    assert MsgCosign.from_value(raw.value) == MsgCosign(hash_alg, digest)
    assert MsgCosign.from_value(raw.value).to_raw() == raw


_signatures = st.one_of(
    st.builds(Cosignature.named, _accounts),
    st.builds(
        Cosignature,
        _accounts,
        st.integers(1, 2**63 - 1),
        st.integers(0, 2**63 - 1),
        st.binary(max_size=32),
        st.sampled_from(["", "did:finchain:test-chain:000000000194"]),
    ),
)


@st.composite
def _records(draw: Any) -> EvidenceRecord:
    submitter = draw(_accounts)
    signatures = draw(st.lists(_signatures, max_size=4, unique_by=lambda c: c.account))
    signatures = sorted((c for c in signatures if c.account != submitter), key=lambda c: c.account)
    return EvidenceRecord(
        draw(_hash_algs),
        draw(_digests),
        draw(_kinds),
        tuple(sorted(draw(_metadata).items())),
        submitter,
        draw(st.sampled_from(["", "did:finchain:test-chain:000000000194"])),
        draw(st.integers(0, 2**63 - 1)),
        draw(st.integers(0, 2**63 - 1)),
        draw(st.binary(max_size=32)),
        draw(st.integers(0, 2**63 - 1)),
        tuple(signatures),
    )


@given(_records())
def test_any_record_round_trips_through_the_store_and_json(record: EvidenceRecord) -> None:
    assert EvidenceRecord.from_obj(record.to_obj()) == record
    as_json = record.to_json()
    assert as_json["hash"] == record.hash.hex() and as_json["status"] == record.status
    assert [c["signed"] for c in as_json["cosigners"]] == [c.signed for c in record.cosigners]
    assert EvidenceRecord.from_json(as_json) == record
