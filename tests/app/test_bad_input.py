"""Every kind of bad transaction is refused with its documented code and changes nothing.

Two entry points are exercised: ``check_tx`` (mempool admission) and
``finalize_block`` (a proposer that included it anyway). Failures found by the
ante chain leave the app hash exactly as it was. A failure inside a message
(e.g. an unknown asset) is found only while executing: the messages' effects are
discarded, and the only state change is the sender's consumed nonce, which stops
the same signed bytes from being replayed later (docs/app_requirements.md R9).
"""

from __future__ import annotations

import pytest

from finchain.app import ChainParams
from finchain.client import builders as b
from finchain.codec import TxBody, decode, encode, encode_tx, sign_tx
from finchain.codec.tx import TxSignature
from finchain.crypto import generate_private_key
from finchain.modules.accounts.keys import NONCES
from finchain.modules.accounts.types import account_id
from tests.harness import CHAIN_ID, Chain

A1, A2, A3 = account_id(1), account_id(2), account_id(3)


@pytest.fixture
def chain(tmp_path):
    return Chain(
        tmp_path / "db", recovery={3: 1}, params=ChainParams(max_tx_bytes=4096, reset_lock_blocks=5)
    )


def assert_rejected(
    chain: Chain, raw: bytes, codespace: str, code: int, *, in_block_changes_nonce: str = ""
) -> None:
    before = chain.app_hash()
    checked = chain.app.check_tx(raw)
    assert (checked.codespace, checked.code) == (codespace, code), checked.log
    assert checked.log, "every rejection carries a message saying what to do"
    assert chain.app_hash() == before
    nonce_before = (
        chain.app.accounts.nonce(chain.app.state, in_block_changes_nonce)
        if in_block_changes_nonce
        else 0
    )
    (result,) = chain.block(raw)
    assert (result.codespace, result.code) == (codespace, code), result.log
    if in_block_changes_nonce:
        assert chain.app.accounts.nonce(chain.app.state, in_block_changes_nonce) == nonce_before + 1
        chain.app.state.get(NONCES.key_bytes(in_block_changes_nonce))
    else:
        assert chain.app_hash() == before


def test_malformed_cbor(chain):
    assert_rejected(chain, b"\xa2\x64body\xff", "codec", 2)


def test_non_canonical_cbor(chain):
    good = chain.signer(1).sign(b.transfer((A2, "CNY", 5)))
    obj = decode(good, max_size=10_000)
    # A non-minimal integer: nonce 0 spelled with a one-byte argument (0x18 0x00).
    body = encode(obj["body"]).replace(b"enonce\x00", b"enonce\x18\x00")
    raw = encode({"body": "X", "sigs": obj["sigs"]}).replace(encode("X"), body)
    assert_rejected(chain, raw, "codec", 3)


def test_float_rejected(chain):
    signer = chain.signer(1)
    raw = encode_tx(
        TxBody(CHAIN_ID, A1, 0, (b.transfer((A2, "CNY", 5)),)), [TxSignature("k1", b"x" * 64)]
    )
    floated = raw.replace(b"enonce\x00", b"enonce\xfb" + b"\x00" * 8)
    assert_rejected(chain, floated, "codec", 5)
    assert signer.nonce == 0


def test_wrong_chain_id(chain):
    signer = chain.signer(1)
    signer.chain_id = "other-chain"
    assert_rejected(chain, signer.sign(b.transfer((A2, "CNY", 5))), "tx", 2)


def test_bad_signature(chain):
    raw = chain.signer(1).sign(b.transfer((A2, "CNY", 5)))
    obj = decode(raw, max_size=10_000)
    sig = bytearray(obj["sigs"][0]["sig"])
    sig[10] ^= 1
    obj["sigs"][0]["sig"] = bytes(sig)
    assert_rejected(chain, encode(obj), "tx", 10)


def test_missing_signature(chain):
    raw = encode_tx(TxBody(CHAIN_ID, A1, 0, (b.transfer((A2, "CNY", 5)),)), [])
    assert_rejected(chain, raw, "tx", 20)


def test_duplicate_signature(chain):
    key = chain.keys[0]
    body = TxBody(CHAIN_ID, A1, 0, (b.transfer((A2, "CNY", 5)),))
    raw = sign_tx(body, [("k1", key.sign), ("k1", key.sign)])
    assert_rejected(chain, raw, "tx", 11)


def test_signature_by_unknown_key(chain):
    stranger = generate_private_key("ed25519")
    body = TxBody(CHAIN_ID, A1, 0, (b.transfer((A2, "CNY", 5)),))
    assert_rejected(chain, sign_tx(body, [("k9", stranger.sign)]), "tx", 12)


def test_signature_by_other_accounts_key(chain):
    body = TxBody(CHAIN_ID, A1, 0, (b.transfer((A2, "CNY", 5)),))
    assert_rejected(chain, sign_tx(body, [("k1", chain.keys[1].sign)]), "tx", 10)


def test_insufficient_key_weight(chain):
    second = generate_private_key("sm2")
    signer = chain.signer(1)
    results = chain.block(signer.sign(b.add_key(b.key_of("k2", second)), b.set_threshold(2)))
    assert results[0].ok, results[0].log
    assert_rejected(chain, signer.sign(b.transfer((A2, "CNY", 5))), "tx", 9)
    signer.nonce -= 1
    signer.keys.append(("k2", second))
    assert chain.block(signer.sign(b.transfer((A2, "CNY", 5))))[0].ok


def test_replayed_nonce(chain):
    raw = chain.signer(1).sign(b.transfer((A2, "CNY", 5)))
    assert chain.block(raw)[0].ok
    assert_rejected(chain, raw, "tx", 13)


def test_future_nonce(chain):
    raw = chain.signer(1).sign(b.transfer((A2, "CNY", 5)), nonce=7)
    assert_rejected(chain, raw, "tx", 13)


def test_expired(chain):
    chain.block()
    chain.block()
    raw = chain.signer(1).sign(b.transfer((A2, "CNY", 5)), expiry=2)
    assert_rejected(chain, raw, "tx", 7)


def test_oversized(chain):
    raw = chain.signer(1).sign(b.transfer((A2, "CNY", 5)), memo="x" * 250)
    big = chain.signer(1).sign(*[b.transfer(*[(A2, "CNY", 5)] * 60)] * 2, memo="m")
    assert len(raw) < 4096 < len(big)
    assert_rejected(chain, big, "codec", 4)


def test_unknown_message_type(chain):
    from finchain.codec import RawMsg

    assert_rejected(chain, chain.signer(1).sign(RawMsg("bank/steal", {})), "tx", 5)


def test_unknown_field_in_message(chain):
    from finchain.codec import RawMsg

    msg = RawMsg("bank/burn", {"asset": "CNY", "amount": "1", "extra": 1})
    assert_rejected(chain, chain.signer(1).sign(msg), "tx", 6)


@pytest.mark.parametrize(
    "amount", ["0", "-5", "007", "1.5", "1e3", " 5", str(2**127), "9" * 200, ""]
)
def test_bad_amounts(chain, amount):
    from finchain.codec import RawMsg

    msg = RawMsg("bank/transfer", {"outputs": [{"to": A2, "asset": "CNY", "amount": amount}]})
    assert_rejected(chain, chain.signer(1).sign(msg), "tx", 6)


def test_amount_as_integer_rejected(chain):
    from finchain.codec import RawMsg

    msg = RawMsg("bank/transfer", {"outputs": [{"to": A2, "asset": "CNY", "amount": 5}]})
    assert_rejected(chain, chain.signer(1).sign(msg), "tx", 6)


def test_outputs_overflowing_together(chain):
    big = 2**127 - 1
    raw = chain.signer(1).sign(b.transfer((A2, "CNY", big), (A3, "CNY", 1)))
    assert_rejected(chain, raw, "tx", 6)


def test_unknown_asset(chain):
    before = chain.balance(1)
    raw = chain.signer(1).sign(b.transfer((A2, "USD", 5)))
    assert_rejected(chain, raw, "bank", 2, in_block_changes_nonce=A1)
    assert chain.balance(1) == before
    assert chain.app.check_invariants() == []


def test_insufficient_funds_changes_only_the_nonce(chain):
    raw = chain.signer(1).sign(b.transfer((A2, "CNY", 5)), b.transfer((A3, "CNY", 10**9)))
    assert_rejected(chain, raw, "bank", 4, in_block_changes_nonce=A1)
    assert chain.balance(2) == 1_000_000, (
        "the first message's effect was rolled back with the second"
    )


def test_transfer_from_frozen_account(chain):
    freeze_directly(chain, A1, "frozen")
    assert_rejected(chain, chain.signer(1).sign(b.transfer((A2, "CNY", 5))), "tx", 14)


def test_transfer_from_closed_account(chain):
    signer = chain.signer(2)
    assert chain.block(signer.sign(b.transfer((A1, "CNY", 1_000_000)), b.close_account()))[0].ok
    assert_rejected(chain, signer.sign(b.transfer((A1, "CNY", 5))), "tx", 15)


def test_transfer_to_closed_account(chain):
    signer = chain.signer(2)
    assert chain.block(signer.sign(b.transfer((A1, "CNY", 1_000_000)), b.close_account()))[0].ok
    raw = chain.signer(1).sign(b.transfer((A2, "CNY", 5)))
    assert_rejected(chain, raw, "bank", 10, in_block_changes_nonce=A1)


def test_asset_operation_during_reset_lock_window(chain):
    new_key = generate_private_key("ed25519")
    start = chain.signer(1).sign(b.initiate_reset(A3, b.policy([b.key_of("n1", new_key)])))
    assert chain.block(start)[0].ok
    assert_rejected(chain, chain.signer(3).sign(b.transfer((A2, "CNY", 5))), "tx", 16)


def freeze_directly(chain: Chain, account: str, status: str) -> None:
    from finchain.codec import RawMsg

    raw = chain.signer(2).sign(
        RawMsg("testonly/set_status", {"account": account, "status": status})
    )
    assert chain.block(raw)[0].ok
