"""Receipt verification: valid receipts pass on both engines; each tampering has its reason."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from finchain.client.receipt_verify import FAILED, NOT_RUN, STEPS, verify_receipt
from finchain.crypto import generate_private_key
from finchain.offchain.receipts import (
    ErrMalformedTrust,
    dumps,
    parse_receipt,
    parse_trust,
    valset_document,
)
from finchain.offchain.receipts.errors import (
    ErrBadSignature,
    ErrBatchPath,
    ErrBelowQuorum,
    ErrHeaderAltered,
    ErrInclusion,
    ErrMalformedReceipt,
    ErrNotRecorded,
    ErrTxAltered,
    ErrUntrustedValidators,
    ErrWrongChain,
    ErrWrongFile,
)
from tests.receipts.chains import Built, comet_receipt, solo_receipt

CASES = {
    "solo-intl": lambda: solo_receipt(),
    "solo-gm-batched": lambda: solo_receipt(suite="gm", hash_alg="sm3", leaves=20),
    "comet-batched": lambda: comet_receipt(leaves=1000),
    "comet-gm": lambda: comet_receipt(suite="gm", others=0, position=0),
}


def failed_with(built: Built, receipt: Any = None, *, file: bytes | None = None, trust: Any = None):
    """The failing step of a verification that must fail, after checking the report's shape."""
    document = built.receipt if receipt is None else receipt
    result = verify_receipt(dumps(document), built.trust if trust is None else trust, file=file)
    assert not result.ok
    assert [s.name for s in result.steps] == list(STEPS)
    step = result.failure
    assert step is not None and result.error is not None
    later = result.steps[[s.name for s in result.steps].index(step.name) + 1 :]
    assert all(s.status == NOT_RUN for s in later), "steps after a failure are listed as not run"
    return step, result.error


@pytest.mark.parametrize("name", CASES)
def test_valid_receipts_verify_with_and_without_the_file(name):
    built = CASES[name]()
    for file in (None, built.document):
        result = verify_receipt(dumps(built.receipt), built.trust, file=file)
        assert result.ok, result.failure
        assert all(s.status != FAILED for s in result.steps)
    assert verify_receipt(built.receipt, built.trust).ok  # the parsed form too


def test_wrong_file():
    built = solo_receipt()
    step, error = failed_with(built, file=built.document + b"!")
    assert (step.name, ErrWrongFile.matches(error)) == ("document", True)
    assert "not the document" in step.detail


@pytest.mark.parametrize("make", [solo_receipt, comet_receipt])
def test_swapped_sibling_in_the_batch_path(make):
    built = make(leaves=20)
    receipt = copy.deepcopy(built.receipt)
    path = receipt["batch"]["path"]
    path[0], path[1] = path[1], path[0]
    step, error = failed_with(built, receipt)
    assert step.name == "batch" and ErrBatchPath.matches(error)


@pytest.mark.parametrize("make", [solo_receipt, comet_receipt])
def test_swapped_sibling_in_the_tx_path(make):
    built = make(others=6)
    receipt = copy.deepcopy(built.receipt)
    path = receipt["tx"]["path"]
    path[0][1], path[1][1] = path[1][1], path[0][1]
    step, error = failed_with(built, receipt)
    assert step.name == "inclusion" and ErrInclusion.matches(error)
    receipt = copy.deepcopy(built.receipt)
    receipt["tx"]["path"][0][0] = "L" if receipt["tx"]["path"][0][0] == "R" else "R"
    assert failed_with(built, receipt)[0].name == "inclusion"


@pytest.mark.parametrize("make", [solo_receipt, comet_receipt])
def test_altered_header(make):
    built = make()
    receipt = copy.deepcopy(built.receipt)
    receipt["block"]["header"]["app_hash"] = "00" * 32
    step, error = failed_with(built, receipt)
    assert step.name == "header" and ErrHeaderAltered.matches(error)


def test_altered_solo_header_with_a_matching_hash_fails_the_signature():
    from finchain.cli.prooffile import header_from_json
    from finchain.client.receipt_verify import _header  # noqa: F401 - the step exists
    from finchain.engines.solo.header import header_hash

    built = solo_receipt()
    receipt = copy.deepcopy(built.receipt)
    receipt["block"]["header"]["app_hash"] = "00" * 32
    receipt["block"]["hash"] = header_hash(
        header_from_json(receipt["block"]["header"]), "intl"
    ).hex()
    step, error = failed_with(built, receipt)
    assert step.name == "signatures" and ErrBadSignature.matches(error)


def test_two_of_four_signatures_is_below_two_thirds():
    built = comet_receipt(validators=4)
    receipt = copy.deepcopy(built.receipt)
    del receipt["block"]["commit"]["signatures"][2:]
    step, error = failed_with(built, receipt)
    assert step.name == "quorum" and ErrBelowQuorum.matches(error)
    assert "20 of 40" in step.detail
    receipt = copy.deepcopy(built.receipt)
    del receipt["block"]["commit"]["signatures"][3:]
    assert verify_receipt(dumps(receipt), built.trust).ok, "3 of 4 is more than 2/3"


def test_a_nil_flag_on_a_commit_signature_does_not_verify():
    built = comet_receipt()
    receipt = copy.deepcopy(built.receipt)
    receipt["block"]["commit"]["signatures"][0]["block_id_flag"] = 3
    step, error = failed_with(built, receipt)
    assert step.name == "signatures" and ErrBadSignature.matches(error)


@pytest.mark.parametrize("make", [solo_receipt, comet_receipt])
def test_a_validator_set_that_is_not_the_trusted_one(make):
    built = make()
    other = make()  # same chain id, other keys
    step, error = failed_with(built, trust=other.trust)
    assert step.name == "validators" and ErrUntrustedValidators.matches(error)


def test_a_receipt_listing_another_validator_set_fails_even_if_signed_by_the_trusted_keys():
    built = comet_receipt()
    receipt = copy.deepcopy(built.receipt)
    receipt["validators"][0]["power"] = 11
    step, error = failed_with(built, receipt)
    assert step.name == "validators" and ErrUntrustedValidators.matches(error)


def test_altered_tx():
    built = comet_receipt()
    receipt = copy.deepcopy(built.receipt)
    import base64

    raw = bytearray(base64.b64decode(receipt["tx"]["bytes"]))
    raw[-1] ^= 1
    receipt["tx"]["bytes"] = base64.b64encode(bytes(raw)).decode()
    step, error = failed_with(built, receipt)
    assert step.name == "tx id" and ErrTxAltered.matches(error)


def test_a_tx_that_records_another_hash():
    built = solo_receipt()
    receipt = copy.deepcopy(built.receipt)
    receipt["document"]["hash"] = "ab" * 32
    step, error = failed_with(built, receipt)
    assert step.name == "record" and ErrNotRecorded.matches(error)


def test_wrong_chain():
    built = solo_receipt()
    trust = dict(built.trust, chain_id="another-chain")
    step, error = failed_with(built, trust=trust)
    assert step.name == "chain" and ErrWrongChain.matches(error)
    trust = dict(built.trust, suite="gm")
    assert failed_with(built, trust=trust)[0].name == "chain"


def test_the_receipt_must_be_in_canonical_form():
    built = solo_receipt()
    pretty = json.dumps(built.receipt, indent=4, sort_keys=True).encode()
    result = verify_receipt(pretty, built.trust)
    assert result.failure is not None and result.failure.name == "receipt"
    assert ErrMalformedReceipt.matches(result.error) and "canonical" in result.failure.detail


def test_unknown_version_is_refused_with_the_version_named():
    built = solo_receipt()
    result = verify_receipt(dict(built.receipt, version=2), built.trust)
    assert result.failure is not None and "version" in result.failure.detail


def test_trust_from_a_validator_set_document():
    built = comet_receipt()
    parsed = parse_receipt(built.receipt)
    valset = valset_document(parsed.chain_id, parsed.validators)
    assert verify_receipt(dumps(built.receipt), valset).ok
    assert parse_trust(valset).source == "validator set"


@pytest.mark.parametrize(
    "trust",
    [
        [],
        {"chain_id": "x"},
        {"chain_id": "ok-chain", "validators": []},
        {"chain_id": "ok-chain", "validators": [{"pub_key": {"type": "rsa", "value": "AA=="}}]},
        {
            "chain_id": "ok-chain",
            "validators": [{"pub_key": {"type": "ed25519", "value": "AA=="}, "power": "1"}],
        },
    ],
)
def test_malformed_trust_raises_a_registered_error(trust):
    with pytest.raises(Exception) as info:
        verify_receipt(solo_receipt().receipt, trust)
    assert ErrMalformedTrust.matches(info.value)


def test_secp256k1_validators_are_refused_by_name():
    key = generate_private_key("secp256k1")
    built = solo_receipt()
    receipt = copy.deepcopy(built.receipt)
    receipt["validators"][0]["scheme"] = "secp256k1"
    receipt["validators"][0]["public_key"] = key.public_key().data.hex()
    result = verify_receipt(dumps(receipt), built.trust)
    assert result.failure is not None and result.failure.name == "receipt"
    assert "scheme" in result.failure.detail
