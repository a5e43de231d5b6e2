"""Multikey / JWK conversions and multibase: round trips, known encodings, strict refusal."""

from __future__ import annotations

import base58
import coincurve
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.crypto import SCHEMES, generate_private_key, private_key_from_bytes
from finchain.errors import FinchainError
from finchain.formats.did import make_did
from finchain.formats.keyformats import (
    from_jwk,
    from_multikey,
    public_key_of,
    to_jwk,
    to_multikey,
    verification_method,
)
from finchain.formats.multibase import (
    decode_base58btc,
    decode_base64url,
    encode_base58btc,
    encode_base64url,
)
from finchain.offchain.vc.errors import (
    ErrInvalidDid,
    ErrMalformedKey,
    ErrMalformedMultibase,
    ErrUnsupportedKey,
)

DID = make_did("testnet", 142)
# vc-di-eddsa test key: the spec publishes both forms of the same Ed25519 key.
SPEC_SEED_MULTIBASE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
SPEC_PUBLIC_MULTIBASE = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def _keys() -> list[tuple[str, bytes]]:
    """Fixed seeds: test ids must be the same in every pytest-xdist worker."""
    return [
        (s, private_key_from_bytes(s, (1000 + 7 * i).to_bytes(32, "big")).public_key().data)
        for s in SCHEMES
        for i in range(3)
    ]


@pytest.mark.parametrize(("scheme", "public"), _keys())
def test_multikey_and_jwk_round_trip(scheme: str, public: bytes) -> None:
    assert from_multikey(to_multikey(scheme, public)) == (scheme, public)
    assert from_jwk(to_jwk(scheme, public)) == (scheme, public)
    method = verification_method(DID, "k1", scheme, public)
    assert method["id"] == f"{DID}#k1" and method["controller"] == DID
    assert method["type"] == ("Multikey" if scheme == "ed25519" else "JsonWebKey")
    assert public_key_of(method) == (scheme, public)


def test_spec_ed25519_multikey_matches_its_seed() -> None:
    seed_raw = base58.b58decode(SPEC_SEED_MULTIBASE[1:])
    assert seed_raw[:2] == b"\x80\x26"  # ed25519-priv varint
    key = private_key_from_bytes("ed25519", seed_raw[2:])
    assert to_multikey("ed25519", key.public_key().data) == SPEC_PUBLIC_MULTIBASE
    assert from_multikey(SPEC_PUBLIC_MULTIBASE) == ("ed25519", key.public_key().data)


def test_multikey_prefix_bytes_are_the_multicodec_table() -> None:
    ed = generate_private_key("ed25519").public_key().data
    assert base58.b58decode(to_multikey("ed25519", ed)[1:]) == b"\xed\x01" + ed
    assert to_multikey("ed25519", ed).startswith("z6Mk")
    k1 = generate_private_key("secp256k1").public_key().data
    assert base58.b58decode(to_multikey("secp256k1", k1)[1:]) == b"\xe7\x01" + k1
    sm2 = generate_private_key("sm2").public_key().data
    raw = base58.b58decode(to_multikey("sm2", sm2)[1:])
    assert raw[:2] == b"\x86\x24" and raw[3:] == sm2[1:33] and raw[2] == 2 + (sm2[64] & 1)


def test_jwk_coordinates_are_the_uncompressed_point() -> None:
    sm2 = generate_private_key("sm2").public_key().data
    jwk = to_jwk("sm2", sm2)
    assert jwk["kty"] == "EC" and jwk["crv"] == "SM2"
    assert decode_base64url("u" + jwk["x"]) + decode_base64url("u" + jwk["y"]) == sm2[1:]
    k1 = generate_private_key("secp256k1").public_key().data
    jwk = to_jwk("secp256k1", k1)
    full = coincurve.PublicKey(k1).format(compressed=False)
    assert decode_base64url("u" + jwk["x"]) + decode_base64url("u" + jwk["y"]) == full[1:]


def test_base58_and_base64url_agree_with_reference_codecs() -> None:
    for data in (b"", b"\x00", b"\x00\x00\x01", bytes(range(40))):
        assert encode_base58btc(data) == "z" + base58.b58encode(data).decode()
        assert decode_base58btc(encode_base58btc(data)) == data
        assert decode_base64url(encode_base64url(data)) == data


@pytest.mark.parametrize(
    "text",
    ["", "Z6Mk", "z0OIl", "f00", 7, None, "z" + "2" * 2000, "u====", "uA", "uAB=", "u+/", "uAB"],
)
def test_malformed_multibase_is_refused(text: object) -> None:
    with pytest.raises(FinchainError) as info:
        if isinstance(text, str) and text.startswith("u"):
            decode_base64url(text)
        else:
            decode_base58btc(text)
    assert ErrMalformedMultibase.matches(info.value)


def test_private_jwk_and_foreign_curves_are_refused() -> None:
    jwk: dict[str, object] = dict(to_jwk("sm2", generate_private_key("sm2").public_key().data))
    with pytest.raises(FinchainError) as info:
        from_jwk({**jwk, "d": jwk["x"]})
    assert ErrMalformedKey.matches(info.value) and "compromised" in info.value.message
    with pytest.raises(FinchainError) as info:
        from_jwk({**jwk, "crv": "P-256"})
    assert ErrUnsupportedKey.matches(info.value)
    with pytest.raises(FinchainError) as info:
        from_jwk({**jwk, "extra": "1"})
    assert ErrMalformedKey.matches(info.value)
    with pytest.raises(FinchainError) as info:
        from_jwk({**jwk, "y": jwk["x"]})  # (x, x) is not on the curve
    assert ErrMalformedKey.matches(info.value)


def test_off_curve_and_wrong_length_keys_are_refused() -> None:
    with pytest.raises(FinchainError) as info:
        from_multikey(encode_base58btc(b"\xed\x01" + bytes(31)))
    assert ErrMalformedKey.matches(info.value)
    with pytest.raises(FinchainError) as info:
        from_multikey(encode_base58btc(b"\x86\x24\x02" + b"\xff" * 32))
    assert ErrMalformedKey.matches(info.value)
    with pytest.raises(FinchainError) as info:
        from_multikey(encode_base58btc(b"\x12\x00" + bytes(32)))  # p256-pub
    assert ErrUnsupportedKey.matches(info.value)
    with pytest.raises(FinchainError) as info:
        to_multikey("rsa", b"\x00")
    assert ErrUnsupportedKey.matches(info.value)


def test_verification_method_checks_did_and_key_id() -> None:
    public = generate_private_key("ed25519").public_key().data
    for did, key_id in ((DID, "Bad"), ("did:finchain:testnet:000000014200", "k1"), (DID, "")):
        with pytest.raises(FinchainError) as info:
            verification_method(did, key_id, "ed25519", public)
        assert ErrInvalidDid.matches(info.value)


def test_public_key_of_refuses_ambiguous_methods() -> None:
    public = generate_private_key("ed25519").public_key().data
    method = verification_method(DID, "k1", "ed25519", public)
    for bad in (
        {**method, "publicKeyJwk": to_jwk("ed25519", public)},
        {**method, "type": "Ed25519VerificationKey2020"},
        {k: v for k, v in method.items() if k != "publicKeyMultibase"},
        [method],
    ):
        with pytest.raises(FinchainError) as info:
            public_key_of(bad)
        assert info.value.codespace == "vc"


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=60),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120) | st.binary(max_size=60).map(lambda b: "z" + b.hex()))
def test_fuzz_multibase_decoders_raise_only_registered_errors(text: str) -> None:
    for decode in (decode_base58btc, decode_base64url, from_multikey):
        try:
            decode(text)
        except FinchainError as exc:
            assert exc.codespace == "vc"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_fuzz_multikey_bytes_raise_only_registered_errors(raw: bytes) -> None:
    for prefix in (b"", b"\xed\x01", b"\xe7\x01", b"\x86\x24"):
        try:
            scheme, public = from_multikey(encode_base58btc(prefix + raw))
        except FinchainError as exc:
            assert exc.codespace == "vc"
        else:
            assert to_multikey(scheme, public) == encode_base58btc(prefix + raw)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["kty", "crv", "x", "y", "d", "kid", "zz"]),
        st.sampled_from(["EC", "OKP", "SM2", "secp256k1", "Ed25519", "A" * 43, "_" * 43])
        | _json_values,
    )
    | _json_values
)
def test_fuzz_jwk_and_methods_raise_only_registered_errors(value: object) -> None:
    for parse in (from_jwk, public_key_of):
        try:
            parse(value)
        except FinchainError as exc:
            assert exc.codespace == "vc"
