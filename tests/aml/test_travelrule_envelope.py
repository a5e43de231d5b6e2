"""Travel-rule envelopes: sealed to the beneficiary institution and the regulator on both
suites, opened by each and by nobody else, tamper-evident, and refused when R.16's
fields are missing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from finchain.crypto import ErrDecryptionFailed
from finchain.crypto.sealing import generate_encryption_key
from finchain.errors import FinchainError
from finchain.formats.did import make_did
from finchain.modules.accounts.types import account_id
from finchain.offchain.travelrule import (
    Envelope,
    ErrEnvelopeMismatch,
    ErrInvalidEnvelope,
    ErrNotARecipient,
    Party,
    check_record,
    envelope_hash,
    open_envelope,
    recipients_of,
    seal_envelope,
)
from tests.support import code, result_code

BANK_A = make_did("test-chain", 101)
BANK_B = make_did("test-chain", 202)
REGULATOR = account_id(9)
SCHEME = {"gm": "sm2", "intl": "x25519"}


def envelope(**changes: object) -> Envelope:
    base = Envelope(
        originator=Party("张三", account_id(5), national_id="110101199001011234"),
        beneficiary=Party("Li Si", account_id(6)),
        originator_institution=BANK_A,
        beneficiary_institution=BANK_B,
        chain_id="test-chain",
        asset="CNY",
        amount=150_000_00,
        reference="invoice 2026-17",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("suite", ["gm", "intl"])
def test_the_beneficiary_and_the_regulator_open_it_and_nobody_else(suite: str) -> None:
    keys = {who: generate_encryption_key(SCHEME[suite]) for who in (BANK_B, REGULATOR, BANK_A)}
    recipients = [(who, SCHEME[suite], keys[who].public_key) for who in (BANK_B, REGULATOR)]
    sealed = seal_envelope(envelope(), recipients, suite=suite)
    assert sorted(recipients_of(sealed)) == sorted([BANK_B, REGULATOR])
    assert open_envelope(sealed, BANK_B, keys[BANK_B]) == envelope()
    assert open_envelope(sealed, REGULATOR, keys[REGULATOR]) == envelope()
    with pytest.raises(FinchainError) as refused:
        open_envelope(sealed, BANK_A, keys[BANK_A])
    assert result_code(refused.value) == code(ErrNotARecipient)
    with pytest.raises(FinchainError) as wrong_key:
        open_envelope(sealed, BANK_B, keys[BANK_A])
    assert result_code(wrong_key.value) == code(ErrDecryptionFailed)
    digest = envelope_hash(sealed, suite=suite)
    assert len(digest) == 32 and digest != envelope_hash(
        seal_envelope(envelope(), recipients, suite=suite), suite=suite
    ), "every sealing has its own content key, so its own hash"


def test_an_altered_envelope_does_not_open() -> None:
    keys = {who: generate_encryption_key("x25519") for who in (BANK_B, REGULATOR)}
    sealed = seal_envelope(
        envelope(), [(w, "x25519", k.public_key) for w, k in keys.items()], suite="intl"
    )
    position = sealed.index(b"ciphertext") + 20
    altered = sealed[:position] + bytes([sealed[position] ^ 1]) + sealed[position + 1 :]
    with pytest.raises(FinchainError) as refused:
        open_envelope(altered, BANK_B, keys[BANK_B])
    assert result_code(refused.value) in (code(ErrDecryptionFailed), code(ErrInvalidEnvelope))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"originator": Party("张三", account_id(5))}, "address, a national identity"),
        ({"originator": Party("", account_id(5), address="x")}, "name is required"),
        ({"beneficiary": Party("Li Si", "nobody")}, "account must be"),
        ({"beneficiary_institution": "bank b"}, "institution must be a finchain DID"),
        ({"amount": 0}, "positive integer"),
    ],
)
def test_incomplete_information_is_refused(changes: dict[str, object], message: str) -> None:
    keys = [
        (w, "x25519", generate_encryption_key("x25519").public_key) for w in (BANK_B, REGULATOR)
    ]
    with pytest.raises(FinchainError, match=message) as refused:
        seal_envelope(envelope(**changes), keys, suite="intl")
    assert result_code(refused.value) == code(ErrInvalidEnvelope)


def test_date_and_place_of_birth_identify_only_together() -> None:
    assert not Party("A", account_id(5), date_of_birth="1990-01-01").identifies()
    assert Party(
        "A", account_id(5), date_of_birth="1990-01-01", place_of_birth="Wuhan"
    ).identifies()


def test_recipients_must_be_the_beneficiary_and_a_regulator_with_the_suites_scheme() -> None:
    sm2 = generate_encryption_key("sm2").public_key
    x = generate_encryption_key("x25519").public_key
    cases = [
        ([(BANK_A, "x25519", x), (REGULATOR, "x25519", x)], "beneficiary institution"),
        ([(BANK_B, "x25519", x), (BANK_A, "x25519", x)], "regulator"),
        ([(BANK_B, "sm2", sm2), (REGULATOR, "sm2", sm2)], "seals with x25519"),
        ([(BANK_B, "x25519", x)], "2 to"),
    ]
    for recipients, message in cases:
        with pytest.raises(FinchainError, match=message):
            seal_envelope(envelope(), recipients, suite="intl")


def test_check_record_compares_the_chain_and_the_transfer() -> None:
    keys = {who: generate_encryption_key("sm2") for who in (BANK_B, REGULATOR)}
    sealed = seal_envelope(
        envelope(), [(w, "sm2", k.public_key) for w, k in keys.items()], suite="gm"
    )
    opened = open_envelope(sealed, BANK_B, keys[BANK_B])
    record = {
        "envelope_hash": envelope_hash(sealed, suite="gm").hex(),
        "account": account_id(5),
        "originator_institution": BANK_A,
        "beneficiary_institution": BANK_B,
    }
    transfer = {"sender": account_id(5), "recipient": account_id(6), "asset": "CNY"}
    check_record(sealed, opened, record, amount=150_000_00, **transfer)
    with pytest.raises(FinchainError, match="amount") as refused:
        check_record(sealed, opened, record, amount=150_000_01, **transfer)
    assert result_code(refused.value) == code(ErrEnvelopeMismatch)
    with pytest.raises(FinchainError, match="envelope_hash"):
        check_record(
            sealed, opened, {**record, "envelope_hash": "00" * 32}, amount=150_000_00, **transfer
        )
    with pytest.raises(FinchainError, match="account"):  # another account's copy of the hash
        check_record(
            sealed, opened, {**record, "account": account_id(7)}, amount=150_000_00, **transfer
        )
