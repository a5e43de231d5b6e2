"""The native ZIP 215 Ed25519 verifier: single and batch agree on every input.

Edge cases are built with a small pure-Python Edwards implementation below
(independent of both libsodium and the Rust crate): small-order and
mixed-order points, non-canonical encodings, S >= l. For each, the single
verdict, the batch verdict and the expected ZIP 215 verdict must be equal.
The application tests check that the block pre-pass only warms the signature
cache: bad signatures still fail with their code, and a key rotated earlier in
the same block is judged by the new key.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.bindings import crypto_core_ed25519_is_valid_point, crypto_sign_open
from nacl.exceptions import BadSignatureError

from finchain import native
from finchain.client import builders as b
from finchain.codec import decode, encode
from finchain.core.errors import ErrBadSignature
from finchain.core.signatures import SignatureJob, verified_jobs
from finchain.crypto import generate_private_key, verify_signature
from finchain.crypto.batch import verify_batch
from finchain.crypto.ed25519 import SMALL_ORDER_KEYS, verify_raw
from finchain.modules.accounts import ante
from finchain.modules.accounts.types import account_id
from tests.harness import CHAIN_ID, Chain
from tests.support import code

# -- a reference Edwards25519, for building edge cases ------------------------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T)
IDENTITY: Point = (0, 1, 1, 0)


def add(p: Point, q: Point) -> Point:
    """The unified addition law: correct for every pair, small-order points included."""
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b_ = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b_ - a, d - c, d + c, b_ + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def mul(n: int, p: Point) -> Point:
    result = IDENTITY
    while n:
        if n & 1:
            result = add(result, p)
        p = add(p, p)
        n >>= 1
    return result


def decode_point(data: bytes) -> Point | None:
    """ZIP 215 decoding: y may be >= p, and x = 0 with the sign bit set is accepted."""
    n = int.from_bytes(data, "little")
    y, sign = (n & ((1 << 255) - 1)) % P, n >> 255
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    if x & 1 != sign:
        x = -x % P
    return (x, y, 1, x * y % P)


def encode_point(p: Point) -> bytes:
    zi = pow(p[2], P - 2, P)
    x, y = p[0] * zi % P, p[1] * zi % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def same(p: Point, q: Point) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % P == 0 and (p[1] * q[2] - q[1] * p[2]) % P == 0


def _decoded(data: bytes) -> Point:
    point = decode_point(data)
    assert point is not None
    return point


BASE = _decoded((4 * pow(5, P - 2, P)).to_bytes(32, "little"))
TORSION_8 = next(  # a point of order exactly 8
    t
    for t in (decode_point(e) for e in sorted(SMALL_ORDER_KEYS))
    if t is not None and not same(mul(4, t), IDENTITY)
)


def challenge(r: bytes, a: bytes, message: bytes) -> int:
    return int.from_bytes(hashlib.sha512(r + a + message).digest(), "little") % L


def sign_with_scalar(
    a: int, public: bytes, message: bytes, *, r_bytes: bytes | None = None, nonce: int = 0
) -> bytes:
    """A signature ``(R, S)`` with S = nonce + k*a; R is ``nonce*B`` unless given."""
    r = r_bytes if r_bytes is not None else encode_point(mul(nonce, BASE))
    s = (nonce + challenge(r, public, message) * a) % L
    return r + s.to_bytes(32, "little")


def both(public_key: bytes, message: bytes, signature: bytes) -> tuple[bool, bool]:
    """(single, batch) verdicts of the raw native verifier, the batch padded with valid items."""
    single = native.verify(public_key, message, signature)
    padding = [valid_item(i) for i in range(3)]
    verdicts = native.verify_batch([*padding, (public_key, message, signature)])
    assert verdicts[:3] == [True] * 3
    return single, verdicts[3]


_POOL = [generate_private_key("ed25519") for _ in range(8)]


@functools.cache
def valid_item(i: int) -> tuple[bytes, bytes, bytes]:
    key = _POOL[i % len(_POOL)]
    message = b"item %d" % i
    return key.public_key().data, message, key.sign(message)


# -- RFC 8032 section 7.1 -----------------------------------------------------------------------

RFC8032 = [
    (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
        "701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f36"
        "13d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f7"
        "60984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize(("public", "message", "signature"), RFC8032)
def test_rfc8032_vectors(public: str, message: str, signature: str) -> None:
    key, msg, sig = bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature)
    assert verify_raw(key, msg, sig)
    assert verify_signature("ed25519", key, msg, sig)
    assert both(key, msg, sig) == (True, True)
    assert verify_batch([(key, msg, sig)]) == [True]
    tampered = bytes([sig[0] ^ 1]) + sig[1:]
    assert both(key, msg, tampered) == (False, False)
    assert both(key, msg + b"x", sig) == (False, False)


# -- ZIP 215 ------------------------------------------------------------------------------------


def test_small_order_keys_are_exactly_the_fourteen_encodings() -> None:
    assert len(SMALL_ORDER_KEYS) == 14
    for encoding in SMALL_ORDER_KEYS:
        point = decode_point(encoding)
        assert point is not None and same(mul(8, point), IDENTITY), encoding.hex()
        assert not crypto_core_ed25519_is_valid_point(encoding)


@pytest.mark.parametrize("a_bytes", sorted(SMALL_ORDER_KEYS))
def test_zip215_small_order_vectors(a_bytes: bytes) -> None:
    """ZIP 215's 196 cases: small-order A and R, canonical or not, S = 0: all valid.

    finchain's own rule then refuses every one of them, on both paths, for the key.
    """
    message = b"Zcash"
    items = [(a_bytes, message, r_bytes + bytes(32)) for r_bytes in sorted(SMALL_ORDER_KEYS)]
    for item in items:
        assert native.verify(*item), item[2][:32].hex()
    assert native.verify_batch(items) == [True] * len(items)
    assert verify_batch(items) == [False] * len(items)
    assert not any(verify_raw(*item) for item in items)


def test_mixed_order_key_uses_the_cofactored_equation() -> None:
    """A = aB + T (T of order 8): libsodium's cofactorless check fails, ZIP 215 passes."""
    a = secrets.randbelow(L - 1) + 1
    public = encode_point(add(mul(a, BASE), TORSION_8))
    message = next(
        m
        for m in (b"mixed %d" % i for i in range(64))
        if challenge(encode_point(mul(7, BASE)), public, m) % 8
    )
    signature = sign_with_scalar(a, public, message, nonce=7)
    assert both(public, message, signature) == (True, True)
    assert verify_batch([(public, message, signature)]) == [verify_raw(public, message, signature)]
    with pytest.raises(BadSignatureError):
        crypto_sign_open(signature + message, public)


@pytest.mark.parametrize(
    "r_bytes",
    [
        (1).to_bytes(32, "little"),  # the identity, canonical
        (P + 1).to_bytes(32, "little"),  # the identity with y = p + 1: non-canonical
        (1 | 1 << 255).to_bytes(32, "little"),  # the identity as "-0": non-canonical
    ],
    ids=["identity", "y-plus-p", "negative-zero"],
)
def test_small_order_r_is_valid_under_zip215(r_bytes: bytes) -> None:
    a = secrets.randbelow(L - 1) + 1
    public = encode_point(mul(a, BASE))
    signature = sign_with_scalar(a, public, b"small R", r_bytes=r_bytes)
    assert both(public, b"small R", signature) == (True, True)
    assert verify_raw(public, b"small R", signature)
    assert verify_batch([(public, b"small R", signature)]) == [True]


def test_s_must_be_below_the_group_order() -> None:
    key, message, signature = valid_item(0)
    s = int.from_bytes(signature[32:], "little")
    for bad_s in (s + L, s + 2 * L, 2**256 - 1):
        bad = signature[:32] + bad_s.to_bytes(32, "little")
        assert both(key, message, bad) == (False, False)
    boundary = signature[:32] + L.to_bytes(32, "little")
    assert both(key, message, boundary) == (False, False)


def test_undecodable_points_fail() -> None:
    key, message, signature = valid_item(1)
    not_a_point = next(
        y.to_bytes(32, "little")
        for y in range(2, 100)
        if decode_point(y.to_bytes(32, "little")) is None
    )
    assert both(not_a_point, message, signature) == (False, False)
    assert both(key, message, not_a_point + signature[32:]) == (False, False)


@pytest.mark.parametrize(("key_size", "sig_size"), [(31, 64), (33, 64), (32, 63), (32, 65), (0, 0)])
def test_wrong_sizes_are_invalid_not_errors(key_size: int, sig_size: int) -> None:
    key, message, signature = valid_item(2)
    item = ((key * 2)[:key_size], message, (signature * 2)[:sig_size])
    assert both(*item) == (False, False)
    assert not verify_raw(*item)
    assert verify_batch([item]) == [False]


def test_wrong_types_are_invalid_not_errors() -> None:
    key, message, signature = valid_item(3)
    assert not verify_raw(bytearray(key), message, signature)  # type: ignore[arg-type]
    assert verify_batch(
        [(key, message.decode(), signature), (key, message), None, (key, message, signature)]  # type: ignore[list-item]
    ) == [False, False, False, True]


# -- batches ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 1, 63, 64, 65, 149])
def test_one_bad_signature_is_named_exactly(bad: int) -> None:
    items = [valid_item(i) for i in range(150)]
    key, message, _ = items[bad]
    items[bad] = (key, message, valid_item(bad + 1)[2])
    assert verify_batch(items) == [i != bad for i in range(150)]


def test_two_threads_share_the_work() -> None:
    """The solo node verifies halves of a batch on two threads (the GIL is released)."""
    halves = [[_mutate(i, MUTATIONS[i % len(MUTATIONS)]) for i in range(k, 200, 2)] for k in (0, 1)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        verdicts = list(pool.map(verify_batch, halves))
    assert verdicts == [[verify_raw(*item) for item in half] for half in halves]


def test_empty_batch() -> None:
    assert verify_batch([]) == []


def _mutate(i: int, how: str) -> tuple[bytes, bytes, bytes]:
    key, message, signature = valid_item(i)
    s = int.from_bytes(signature[32:], "little")
    return {
        "valid": (key, message, signature),
        "r-bit": (key, message, signature[:5] + bytes([signature[5] ^ 4]) + signature[6:]),
        "s-bit": (key, message, signature[:40] + bytes([signature[40] ^ 1]) + signature[41:]),
        "message": (key, message + b"!", signature),
        "other-key": (valid_item(i + 1)[0], message, signature),
        "s-plus-l": (key, message, signature[:32] + (s + L).to_bytes(32, "little")),
        "short": (key, message, signature[:63]),
        "small-order-key": (bytes(32), message, signature),
    }[how]


MUTATIONS = [
    "valid",
    "r-bit",
    "s-bit",
    "message",
    "other-key",
    "s-plus-l",
    "short",
    "small-order-key",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 255), st.sampled_from(MUTATIONS)), max_size=140))
def test_batch_equals_single_on_random_mixes(plan: list[tuple[int, str]]) -> None:
    items = [_mutate(i, how) for i, how in plan]
    singles = [verify_raw(*item) for item in items]
    assert verify_batch(items) == singles
    assert singles == [how == "valid" for _, how in plan]


# -- the block pre-pass -------------------------------------------------------------------------

A1, A2 = account_id(1), account_id(2)


@pytest.fixture
def chain(tmp_path):  # type: ignore[no-untyped-def]
    return Chain(tmp_path / "db")


def _corrupt(raw: bytes) -> bytes:
    obj = decode(raw, max_size=10_000)
    sig = bytearray(obj["sigs"][0]["sig"])
    sig[10] ^= 1
    obj["sigs"][0]["sig"] = bytes(sig)
    return encode(obj)


def test_block_refuses_exactly_the_bad_signature(chain: Chain) -> None:
    good = [chain.signer(2).sign(b.transfer((A1, "CNY", 1))) for _ in range(3)]
    bad = _corrupt(chain.signer(1).sign(b.transfer((A2, "CNY", 5))))
    results = chain.block(good[0], bad, good[1], good[2])
    assert [(r.codespace, r.code) for r in results] == [
        ("", 0),
        code(ErrBadSignature),
        ("", 0),
        ("", 0),
    ]
    assert chain.balance(1) == 1_000_000 + 3


def test_prepass_turns_ante_checks_into_cache_hits(chain: Chain, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []

    def counting(scheme: str, key: bytes, message: bytes, signature: bytes) -> bool:
        calls.append(scheme)
        return verify_signature(scheme, key, message, signature)

    monkeypatch.setattr(ante, "verify_signature", counting)
    txs = [chain.signer(n).sign(b.transfer((A1 if n != 1 else A2, "CNY", 1))) for n in (1, 2, 3)]
    assert all(r.ok for r in chain.block(*txs))
    assert calls == [], "every signature of the block was verified by the batch pre-pass"


def test_key_rotated_earlier_in_the_block_is_judged_by_the_new_key(chain: Chain) -> None:
    """The pre-pass guesses with block-start keys; a stale guess must not decide anything."""
    old = chain.signer(1)
    new_key = generate_private_key("ed25519")
    rotate = old.sign(b.rotate_key("k1", new_key))
    by_old_key = old.sign(b.transfer((A2, "CNY", 7)))
    by_new_key = b.Signer(CHAIN_ID, A1, [("k1", new_key)], nonce=1).sign(
        b.transfer((A2, "CNY", 11))
    )
    results = chain.block(rotate, by_old_key, by_new_key)
    assert [(r.codespace, r.code) for r in results] == [("", 0), code(ErrBadSignature), ("", 0)]
    assert chain.balance(2) == 1_000_000 + 11


def test_verified_jobs_keeps_exactly_the_valid_ones_of_every_scheme() -> None:
    jobs = []
    for scheme in ("ed25519", "sm2", "ed25519", "sm2"):
        key = generate_private_key(scheme)
        signature = key.sign(b"job")
        public = key.public_key().data
        jobs.append(SignatureJob((b"id", scheme, public), scheme, public, b"job", signature))
        jobs.append(SignatureJob((b"id", scheme, public), scheme, public, b"jog", signature))
    kept = verified_jobs(jobs)
    assert sorted(map(id, kept)) == sorted(id(job) for job in jobs[0::2])
