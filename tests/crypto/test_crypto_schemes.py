"""Signatures of every scheme: round trips, rejections, fuzzing, the key cache."""

from __future__ import annotations

import copy
import os
import pickle

import coincurve
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finchain.crypto import (
    SCHEMES,
    ErrInvalidKey,
    ErrUnknownScheme,
    PrivateKey,
    PublicKey,
    generate_private_key,
    private_key_from_bytes,
    public_key_from_bytes,
    sm2,
    verify_signature,
)
from finchain.crypto import schemes as schemes_module
from finchain.errors import FinchainError

PUBLIC_SIZES = {"ed25519": 32, "sm2": 65, "secp256k1": 33}
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

KEYS = {scheme: generate_private_key(scheme) for scheme in SCHEMES}
MESSAGE = b"transfer 100 CNY from FC1 to FC2, nonce 7"
SIGNATURES = {scheme: key.sign(MESSAGE) for scheme, key in KEYS.items()}


def flip_bit(data: bytes, bit: int) -> bytes:
    index, shift = divmod(bit, 8)
    return data[:index] + bytes([data[index] ^ (1 << shift)]) + data[index + 1 :]


def error_code(fn: object, *args: object) -> int:
    with pytest.raises(FinchainError) as info:
        fn(*args)  # type: ignore[operator]
    assert info.value.codespace == "crypto"
    return info.value.code


def test_scheme_names() -> None:
    assert SCHEMES == ("ed25519", "sm2", "secp256k1")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_sign_verify_round_trip(scheme: str) -> None:
    key = generate_private_key(scheme)
    public = key.public_key()
    assert key.scheme == public.scheme == scheme
    assert len(public.data) == PUBLIC_SIZES[scheme]
    assert len(key.secret_bytes()) == 32
    for message in (b"", b"x", MESSAGE, os.urandom(5000)):
        signature = key.sign(message)
        assert len(signature) == 64
        assert public.verify(message, signature)
        assert verify_signature(scheme, public.data, message, signature)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_key_from_secret_is_the_same_key(scheme: str) -> None:
    key = KEYS[scheme]
    again = private_key_from_bytes(scheme, key.secret_bytes())
    assert again == key
    assert hash(again) == hash(key)
    assert again.public_key() == key.public_key()
    assert again.public_key().verify(MESSAGE, SIGNATURES[scheme])
    assert public_key_from_bytes(scheme, key.public_key().data) == key.public_key()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_rejections(scheme: str) -> None:
    key, sig = KEYS[scheme], SIGNATURES[scheme]
    public = key.public_key()
    other = generate_private_key(scheme).public_key()
    assert public.verify(MESSAGE, sig)
    assert not other.verify(MESSAGE, sig), "wrong key"
    assert not public.verify(MESSAGE + b".", sig), "trailing byte on message"
    assert not public.verify(MESSAGE[:-1], sig), "truncated message"
    assert not public.verify(MESSAGE, sig[:-1]), "truncated signature"
    assert not public.verify(MESSAGE, sig + b"\x00"), "trailing byte on signature"
    assert not public.verify(MESSAGE, b""), "empty signature"
    assert not public.verify(MESSAGE, bytes(64)), "zero signature"
    for bit in range(0, 512, 7):
        assert not public.verify(MESSAGE, flip_bit(sig, bit)), f"signature bit {bit}"
    for bit in range(0, len(MESSAGE) * 8, 5):
        assert not public.verify(flip_bit(MESSAGE, bit), sig), f"message bit {bit}"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_other_schemes_keys_do_not_verify(scheme: str) -> None:
    for other in SCHEMES:
        if other != scheme:
            data = KEYS[other].public_key().data
            assert not verify_signature(scheme, data, MESSAGE, SIGNATURES[other])


@pytest.mark.parametrize("scheme", ["sm2", "secp256k1"])
def test_r_and_s_out_of_range_are_rejected(scheme: str) -> None:
    n = sm2.N if scheme == "sm2" else SECP256K1_N
    sig = SIGNATURES[scheme]
    public = KEYS[scheme].public_key()
    r, s = sig[:32], sig[32:]
    for bad in (
        bytes(32) + s,  # r = 0
        r + bytes(32),  # s = 0
        n.to_bytes(32, "big") + s,  # r = n
        r + n.to_bytes(32, "big"),  # s = n
        b"\xff" * 32 + s,  # r = 2^256 - 1
        r + b"\xff" * 32,
        (int.from_bytes(r, "big") + n).to_bytes(33, "big")[1:] + s,  # r + n mod 2^256
    ):
        assert not public.verify(MESSAGE, bad)


def test_secp256k1_signs_low_s_and_rejects_high_s() -> None:
    key = KEYS["secp256k1"]
    for i in range(20):
        sig = key.sign(MESSAGE + bytes([i]))
        s = int.from_bytes(sig[32:], "big")
        assert s <= SECP256K1_N // 2
        high = sig[:32] + (SECP256K1_N - s).to_bytes(32, "big")
        assert not key.public_key().verify(MESSAGE + bytes([i]), high)


def test_ed25519_rfc8032_test_1() -> None:
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    signature = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    key = private_key_from_bytes("ed25519", seed)
    assert key.public_key().data == public
    assert key.sign(b"") == signature
    assert verify_signature("ed25519", public, b"", signature)


INVALID_PUBLIC_KEYS = [
    ("ed25519", b""),
    ("ed25519", bytes(31)),
    ("ed25519", bytes(33)),
    ("ed25519", bytes(32)),  # small order
    ("ed25519", b"\x01" + bytes(31)),  # the identity
    ("ed25519", b"\xff" * 32),  # y >= p, non-canonical
    ("sm2", b""),
    ("sm2", b"\x00"),  # SEC1 encoding of the point at infinity
    ("sm2", bytes(65)),
    ("sm2", b"\x04" + bytes(64)),  # (0, 0) is not on the curve
    ("sm2", b"\x04" + sm2.GX.to_bytes(32, "big") + (sm2.GY + 1).to_bytes(32, "big")),
    ("sm2", b"\x04" + sm2.GX.to_bytes(32, "big") + (sm2.GY + sm2.P).to_bytes(33, "big")[1:]),
    ("sm2", b"\x04" + b"\xff" * 64),
    ("sm2", sm2.GX.to_bytes(32, "big") + sm2.GY.to_bytes(32, "big")),  # no 04 prefix
    ("sm2", b"\x02" + sm2.GX.to_bytes(32, "big")),  # compressed: not canonical here
    ("secp256k1", b""),
    ("secp256k1", bytes(33)),
    ("secp256k1", b"\x02" + bytes(32)),  # x = 0: x^3 + 7 is not a square
    ("secp256k1", b"\x02" + b"\xff" * 32),  # x >= p
    ("secp256k1", b"\x04" + bytes(64)),
]


@pytest.mark.parametrize(("scheme", "data"), INVALID_PUBLIC_KEYS)
def test_invalid_public_keys_are_refused(scheme: str, data: bytes) -> None:
    assert error_code(public_key_from_bytes, scheme, data) == ErrInvalidKey.code
    assert not verify_signature(scheme, data, MESSAGE, SIGNATURES[scheme])


def test_non_canonical_encodings_of_valid_keys_are_refused() -> None:
    uncompressed = coincurve.PublicKey(KEYS["secp256k1"].public_key().data).format(compressed=False)
    assert error_code(public_key_from_bytes, "secp256k1", uncompressed) == ErrInvalidKey.code
    assert error_code(public_key_from_bytes, "sm2", KEYS["sm2"].public_key().data[1:]) == 3


SM2_N = sm2.N
INVALID_SECRETS = [
    ("ed25519", b""),
    ("ed25519", bytes(31)),
    ("ed25519", bytes(64)),
    ("sm2", bytes(32)),
    ("sm2", (SM2_N - 1).to_bytes(32, "big")),
    ("sm2", SM2_N.to_bytes(32, "big")),
    ("sm2", b"\xff" * 32),
    ("sm2", bytes(31) + b"\x01" + b"\x00"),
    ("secp256k1", bytes(32)),
    ("secp256k1", SECP256K1_N.to_bytes(32, "big")),
    ("secp256k1", b"\x01" * 31),
]


@pytest.mark.parametrize(("scheme", "secret"), INVALID_SECRETS)
def test_invalid_secrets_are_refused_without_echo(scheme: str, secret: bytes) -> None:
    with pytest.raises(FinchainError) as info:
        private_key_from_bytes(scheme, secret)
    assert ErrInvalidKey.matches(info.value)
    if len(secret) >= 4 and secret.strip(b"\x00"):
        for text in (str(info.value), repr(info.value), repr(info.value.details)):
            assert secret.hex() not in text
            assert secret.hex().upper() not in text
    assert info.value.__cause__ is None


def test_sm2_secret_bounds() -> None:
    assert private_key_from_bytes("sm2", (SM2_N - 2).to_bytes(32, "big")).public_key()
    one = private_key_from_bytes("sm2", (1).to_bytes(32, "big"))
    assert one.public_key().data == b"\x04" + sm2.GX.to_bytes(32, "big") + sm2.GY.to_bytes(
        32, "big"
    )


@pytest.mark.parametrize("name", ["SM2", "ed448", "rsa", ""])
def test_unknown_scheme(name: str) -> None:
    assert error_code(generate_private_key, name) == ErrUnknownScheme.code
    assert error_code(private_key_from_bytes, name, bytes(32)) == ErrUnknownScheme.code
    assert error_code(public_key_from_bytes, name, bytes(32)) == ErrUnknownScheme.code
    assert verify_signature(name, KEYS["ed25519"].public_key().data, MESSAGE, b"") is False


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(
    scheme=st.sampled_from([*SCHEMES, "bogus"]),
    public_key=st.one_of(
        st.binary(max_size=70),
        st.sampled_from([k.public_key().data for k in KEYS.values()]),
        st.builds(lambda tail: b"\x04" + tail, st.binary(min_size=64, max_size=64)),
        st.builds(lambda tail: b"\x02" + tail, st.binary(min_size=32, max_size=32)),
    ),
    message=st.binary(max_size=100),
    signature=st.one_of(st.binary(max_size=70), st.binary(min_size=64, max_size=64)),
)
def test_fuzz_verify_never_raises(
    scheme: str, public_key: bytes, message: bytes, signature: bytes
) -> None:
    assert verify_signature(scheme, public_key, message, signature) is False


@pytest.mark.parametrize("scheme", SCHEMES)
@given(
    bit=st.integers(min_value=0, max_value=511),
    message=st.binary(min_size=1, max_size=100),
    data=st.data(),
)
def test_fuzz_a_flipped_bit_fails(
    scheme: str, bit: int, message: bytes, data: st.DataObject
) -> None:
    key = KEYS[scheme]
    public = key.public_key().data
    signature = key.sign(message)
    assert verify_signature(scheme, public, message, signature)
    assert not verify_signature(scheme, public, message, flip_bit(signature, bit))
    message_bit = data.draw(st.integers(min_value=0, max_value=len(message) * 8 - 1))
    assert not verify_signature(scheme, public, flip_bit(message, message_bit), signature)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(
    "junk", [None, "a string", 12, 3.5, bytearray(64), memoryview(bytes(64)), [0] * 64]
)
def test_wrong_types_give_false(scheme: str, junk: object) -> None:
    public = KEYS[scheme].public_key()
    sig = SIGNATURES[scheme]
    assert public.verify(MESSAGE, junk) is False  # type: ignore[arg-type]
    assert public.verify(junk, sig) is False  # type: ignore[arg-type]
    assert verify_signature(scheme, junk, MESSAGE, sig) is False  # type: ignore[arg-type]
    assert verify_signature(junk, public.data, MESSAGE, sig) is False  # type: ignore[arg-type]
    assert verify_signature(scheme, public.data, junk, sig) is False  # type: ignore[arg-type]
    assert verify_signature(scheme, public.data, MESSAGE, junk) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_only_bytes_verify(scheme: str) -> None:
    public = KEYS[scheme].public_key()
    sig = SIGNATURES[scheme]
    assert public.verify(MESSAGE, sig)
    assert not public.verify(MESSAGE, bytearray(sig))  # type: ignore[arg-type]
    assert not public.verify(MESSAGE, memoryview(sig))  # type: ignore[arg-type]
    assert not public.verify(bytearray(MESSAGE), sig)  # type: ignore[arg-type]
    assert not verify_signature(scheme, public.data, memoryview(MESSAGE), sig)  # type: ignore[arg-type]


def test_verify_signature_caches_parsed_keys() -> None:
    schemes_module.public_key_cache_clear()
    key = KEYS["sm2"]
    data = key.public_key().data
    for i in range(5):
        message = MESSAGE + bytes([i])
        assert verify_signature("sm2", data, message, key.sign(message))
    info = schemes_module._cached_public_key.cache_info()
    assert (info.misses, info.hits, info.currsize) == (1, 4, 1)
    # Invalid keys are not cached: they cannot push out keys that sign.
    for i in range(10):
        assert not verify_signature("sm2", b"\x04" + bytes([i]) * 64, MESSAGE, bytes(64))
    assert schemes_module._cached_public_key.cache_info().currsize == 1


def test_cache_is_bounded() -> None:
    schemes_module.public_key_cache_clear()
    assert schemes_module._cached_public_key.cache_info().maxsize == (
        schemes_module.PUBLIC_KEY_CACHE_SIZE
    )


@pytest.mark.parametrize("scheme", SCHEMES)
def test_private_key_never_shows_its_secret(scheme: str) -> None:
    key = KEYS[scheme]
    secret = key.secret_bytes()
    for text in (repr(key), str(key), f"{key}", repr([key]), repr({"k": key})):
        assert secret.hex() not in text
        assert secret.hex().upper() not in text
        assert repr(secret) not in text
        assert scheme in text
        assert key.public_key().data.hex() in text
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(key)
    assert copy.copy(key) is key
    assert copy.deepcopy({"k": key})["k"] is key
    assert not hasattr(key, "__dict__")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_public_key_is_a_hashable_value(scheme: str) -> None:
    public = KEYS[scheme].public_key()
    same = public_key_from_bytes(scheme, bytes(public.data))
    assert public == same and hash(public) == hash(same)
    assert len({public, same}) == 1
    assert public != generate_private_key(scheme).public_key()
    assert isinstance(public, PublicKey)
    assert isinstance(KEYS[scheme], PrivateKey)
    with pytest.raises(AttributeError):
        public.data = b""  # type: ignore[misc]
    restored = pickle.loads(pickle.dumps(public))
    assert restored == public
    assert restored.verify(MESSAGE, SIGNATURES[scheme])
    assert public.data.hex() in repr(public)


def test_ed25519_hot_path_refuses_small_order_key():
    """verify_signature skips the subgroup parse for ed25519; libsodium must still refuse
    the classic forgery with the identity point as key (R = identity, S = 0)."""
    from finchain.crypto import verify_signature

    identity = bytes([1] + [0] * 31)
    assert not verify_signature("ed25519", identity, b"any message", identity + bytes(32))
