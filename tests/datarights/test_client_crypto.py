"""Client-side data rights: payload encryption, key wrapping, the payload store."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.crypto import EncryptionKey, ErrDecryptionFailed, generate_private_key, get_suite
from finchain.errors import FinchainError
from finchain.formats.did import make_did
from finchain.formats.keyformats import verification_method
from finchain.modules.datarights.errors import (
    ErrBadKeyAgreement,
    ErrPayloadMismatch,
    ErrPayloadNotFound,
)
from finchain.offchain.datarights import (
    PayloadStore,
    decrypt_payload,
    encrypt_payload,
    key_id_of,
    unwrap_key,
    wrap_context,
    wrap_key,
)
from finchain.offchain.datarights.payload import MAGIC, payload_aad
from finchain.offchain.datarights.wrapping import key_agreement_method

OWNER = make_did("bank-chain", 1)
GRANTEE = make_did("bank-chain", 2)
BIND = {"chain_id": "bank-chain", "owner": OWNER, "version": 1}


@pytest.mark.parametrize("suite", ["gm", "intl"])
def test_payload_round_trip_under_each_suite(suite: str) -> None:
    sealed = encrypt_payload(b"rows", suite, **BIND)
    assert sealed.blob.startswith(MAGIC) and b"rows" not in sealed.blob
    assert len(sealed.data_key) == get_suite(suite).aead.key_size
    assert sealed.content_hash == get_suite(suite).hash(b"rows")
    assert sealed.key_id == key_id_of(sealed.data_key, suite)
    assert repr(sealed.data_key) not in repr(sealed)
    opened = decrypt_payload(
        sealed.blob, sealed.data_key, suite, content_hash=sealed.content_hash, **BIND
    )
    assert opened == b"rows"


@pytest.mark.parametrize(
    "change",
    [
        {"chain_id": "other-chain"},
        {"owner": GRANTEE},
        {"version": 2},
    ],
)
def test_payload_is_bound_to_chain_owner_and_version(change: dict[str, object]) -> None:
    sealed = encrypt_payload(b"rows", "gm", **BIND)
    with pytest.raises(FinchainError) as raised:
        decrypt_payload(
            sealed.blob,
            sealed.data_key,
            "gm",
            content_hash=sealed.content_hash,
            **{**BIND, **change},  # type: ignore[arg-type]
        )
    assert raised.value.error is ErrDecryptionFailed


def test_every_flipped_byte_is_detected() -> None:
    sealed = encrypt_payload(b"ledger rows", "intl", **BIND)
    for position in range(len(sealed.blob)):
        tampered = bytearray(sealed.blob)
        tampered[position] ^= 0x01
        with pytest.raises(FinchainError) as raised:
            decrypt_payload(
                bytes(tampered),
                sealed.data_key,
                "intl",
                content_hash=sealed.content_hash,
                **BIND,
            )
        assert raised.value.error is ErrDecryptionFailed


def test_a_payload_that_is_not_the_registered_content_is_refused() -> None:
    """An owner that encrypted other data than it registered is caught after decryption."""
    suite = get_suite("intl")
    key, nonce = bytes(32), bytes(12)
    claimed = suite.hash(b"what the chain says")
    aad = payload_aad("intl", "bank-chain", OWNER, 1, claimed)
    blob = MAGIC + nonce + suite.aead.encrypt(key, nonce, b"something else", aad)
    with pytest.raises(FinchainError) as raised:
        decrypt_payload(blob, key, "intl", content_hash=claimed, **BIND)
    assert raised.value.error is ErrPayloadMismatch


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_decrypting_arbitrary_bytes_only_raises_registered_errors(blob: bytes) -> None:
    with pytest.raises(FinchainError):
        decrypt_payload(MAGIC + blob, bytes(16), "gm", content_hash=bytes(32), **BIND)


def _sm2_method() -> tuple[dict[str, object], EncryptionKey]:
    key = generate_private_key("sm2")
    method = verification_method(GRANTEE, "ka", "sm2", key.public_key().data)
    return method, EncryptionKey(key)


def test_wrap_and_unwrap_bound_to_asset_version_and_grantee() -> None:
    method, key = _sm2_method()
    context = wrap_context("bank-chain", 7, 1, GRANTEE)
    wrapped = wrap_key(b"k" * 32, method, context=context)
    assert unwrap_key(wrapped, key, context=context) == b"k" * 32
    for other in (
        wrap_context("bank-chain", 8, 1, GRANTEE),
        wrap_context("bank-chain", 7, 2, GRANTEE),
        wrap_context("bank-chain", 7, 1, OWNER),
    ):
        with pytest.raises(FinchainError) as raised:
            unwrap_key(wrapped, key, context=other)
        assert raised.value.error is ErrDecryptionFailed
    _, stranger = _sm2_method()
    with pytest.raises(FinchainError):
        unwrap_key(wrapped, stranger, context=context)


@pytest.mark.parametrize("scheme", ["ed25519", "secp256k1"])
def test_only_sm2_keys_receive_data_keys(scheme: str) -> None:
    public = generate_private_key(scheme).public_key().data
    method = verification_method(GRANTEE, "k", scheme, public)
    with pytest.raises(FinchainError) as raised:
        wrap_key(b"k" * 32, method, context=b"c")
    assert raised.value.error is ErrBadKeyAgreement


def test_key_agreement_method_picks_the_sm2_key_agreement_entry() -> None:
    sm2_method, _ = _sm2_method()
    secp = verification_method(
        GRANTEE, "k2", "secp256k1", generate_private_key("secp256k1").public_key().data
    )
    document = {
        "id": GRANTEE,
        "verificationMethod": [secp, sm2_method],
        "keyAgreement": [secp["id"], sm2_method["id"]],
        "authentication": [secp["id"]],
    }
    assert key_agreement_method(document) == sm2_method
    assert key_agreement_method(document, "ka") == sm2_method
    with pytest.raises(FinchainError) as raised:
        key_agreement_method(document, "k2")
    assert raised.value.error is ErrBadKeyAgreement
    with pytest.raises(FinchainError):
        key_agreement_method({**document, "keyAgreement": []})


def test_store_is_content_addressed_and_forgets(tmp_path: Path) -> None:
    store = PayloadStore(tmp_path / "p", suite="gm")
    address = store.put(b"blob")
    assert address == get_suite("gm").hash(b"blob").hex()
    assert store.put(b"blob") == address
    assert store.get(address) == b"blob"
    assert store.address_from_uri(store.uri(address)) == address
    (tmp_path / "p" / address).write_bytes(b"swapped")
    with pytest.raises(FinchainError) as raised:
        store.get(address)
    assert raised.value.error is ErrPayloadMismatch
    assert store.delete(address) and not store.has(address)
    assert not store.delete(address)
    with pytest.raises(FinchainError) as raised:
        store.get(address)
    assert raised.value.error is ErrPayloadNotFound
    for bad in ("../etc/passwd", "A" * 64, ""):
        with pytest.raises(FinchainError):
            store.get(bad)
