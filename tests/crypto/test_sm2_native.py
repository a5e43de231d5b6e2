"""The native SM2 verifier accepts exactly what gmssl-pyx accepted: a consensus rule.

Three verdicts are compared on every input:

- ``native``: finchain's verifier now (``sm2.verify_digest``, Rust, ``finchain_native``),
  single and inside a batch;
- ``gmssl``: the verifier it replaces, as it was (the key check at parse time, the
  range check on r and s, then gmssl-pyx on the DER form);
- ``math``: GB/T 32918.2 written out below in Python integers, reading the point at
  infinity as x = 0 (GmSSL's reading; see native/src/sm2.rs).

Since all three take the digest e, a test can pick e so that any chosen (r, s) is a
valid signature for any chosen key: ``e = r - x1``. That reaches the edges no signer
produces: r or s equal to 1 or n - 1, high bits, e >= n, a sum at infinity, a sum that
is a doubling. The subprocess test at the end is issue 10's: a failed verification
writes nothing to stderr.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
import threading
import time

import gmssl_pyx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finchain.crypto import (
    ErrInvalidKey,
    generate_private_key,
    public_key_from_bytes,
    sm2,
    verify_signature,
)
from finchain.crypto.hashes import sm3
from finchain.errors import FinchainError

N, P = sm2.N, sm2.P
Point = tuple[int, int, int]  # Jacobian (X, Y, Z); Z = 0 is the point at infinity

# -- reference arithmetic (finchain's Python key derivation, independent of both verifiers) ----


def mul(k: int, point: Point) -> Point:
    result = sm2._INFINITY
    while k:
        if k & 1:
            result = sm2._add(result, point)
        point = sm2._double(point)
        k >>= 1
    return result


def affine(point: Point) -> tuple[int, int] | None:
    x, y, z = point
    if z == 0:
        return None
    z_inv = pow(z, -1, P)
    return x * z_inv * z_inv % P, y * z_inv * z_inv * z_inv % P


G: Point = (sm2.GX, sm2.GY, 1)


def encode_key(x: int, y: int) -> bytes:
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def key_of(d: int) -> bytes:
    x, y = sm2._base_multiply(d)
    return encode_key(x, y)


def signature_bytes(r: int, s: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def x1_of(public_key: bytes, r: int, s: int) -> int:
    """x of [s]G + [t]P reduced mod n, 0 at infinity (GmSSL's reading)."""
    q = (int.from_bytes(public_key[1:33], "big"), int.from_bytes(public_key[33:], "big"), 1)
    point = affine(sm2._add(mul(s, G), mul((r + s) % N, q)))
    return 0 if point is None else point[0] % N


def math_verdict(public_key: bytes, digest: bytes, signature: bytes) -> bool:
    if len(public_key) != 65 or public_key[0] != 4 or len(digest) != 32 or len(signature) != 64:
        return False
    if not sm2.is_on_curve(int.from_bytes(public_key[1:33]), int.from_bytes(public_key[33:])):
        return False
    r, s = int.from_bytes(signature[:32]), int.from_bytes(signature[32:])
    if not (0 < r < N and 0 < s < N) or (r + s) % N == 0:
        return False
    return r == (int.from_bytes(digest) + x1_of(public_key, r, s)) % N


def craft_digest(public_key: bytes, r: int, s: int) -> bytes:
    """The digest e (< n) for which (r, s) is a valid signature by ``public_key``."""
    return ((r - x1_of(public_key, r, s)) % N).to_bytes(32, "big")


# -- the three verdicts -------------------------------------------------------------------------


def gmssl_verdict(public_key: bytes, digest: bytes, signature: bytes) -> bool:
    """The verifier before this change, step by step (sm2.py at 49b7c6b)."""
    try:
        sm2.load_public_key(public_key)
    except FinchainError as exc:
        assert ErrInvalidKey.matches(exc)
        return False
    if len(signature) != 64:
        return False
    r, s = signature[:32], signature[32:]
    n_bytes = N.to_bytes(32, "big")
    if not (bytes(32) < r < n_bytes and bytes(32) < s < n_bytes):
        return False
    try:
        der = sm2.raw_to_der(signature)
        return bool(gmssl_pyx.sm2_verify_sm3_digest(public_key[1:], digest, der))
    except Exception:
        return False


_PAD_KEY = generate_private_key("sm2")
_PAD_DIGEST = bytes(range(32))


def _pad_item() -> tuple[bytes, bytes, bytes]:
    public = _PAD_KEY.public_key().data
    r, s = 0x1234, 0x5678
    return public, craft_digest(public, r, s), signature_bytes(r, s)


PAD = _pad_item()


def native_verdict(public_key: bytes, digest: bytes, signature: bytes) -> bool:
    single = sm2.verify_digest(public_key, digest, signature)
    batch = sm2.verify_digest_batch([PAD, (public_key, digest, signature), PAD])
    assert batch == [True, single, True], "the batch verdict differs from the single one"
    return single


def verdicts(public_key: bytes, digest: bytes, signature: bytes) -> tuple[bool, bool, bool]:
    return (
        native_verdict(public_key, digest, signature),
        gmssl_verdict(public_key, digest, signature),
        math_verdict(public_key, digest, signature),
    )


def assert_all(expected: bool, public_key: bytes, digest: bytes, signature: bytes) -> None:
    got = verdicts(public_key, digest, signature)
    assert got == (expected,) * 3, (
        f"(native, gmssl, math) = {got} for key {public_key.hex()}, "
        f"digest {digest.hex()}, signature {signature.hex()}"
    )


def assert_agree(public_key: bytes, digest: bytes, signature: bytes) -> bool:
    got = verdicts(public_key, digest, signature)
    assert len(set(got)) == 1, (
        f"(native, gmssl, math) = {got} for key {public_key.hex()}, "
        f"digest {digest.hex()}, signature {signature.hex()}"
    )
    return got[0]


# -- known answers ------------------------------------------------------------------------------

# OpenSSL's signature of b"testing" with distid "example@rustcrypto.org" (RustCrypto's
# sm2 crate, tests/sm2dsa.rs): a vector from outside finchain, gmssl and this crate's verifier.
OPENSSL_KEY = bytes.fromhex(
    "0408D77AE04C01CC4C1104360DD8AF6B6F7DF334283D7C1A6AFD5652407B87BEE5"
    "014E2A57C36C150D16324DC664E31E6432359609C4E79847A5B161C8C7364C8A"
)
OPENSSL_SIG = bytes.fromhex(
    "d1dcccedd9fb785e0f67c16b7c52901625c0b69de9bca2144acc7be713cad2fc"
    "f7d1eae6e3a157b36c65f672f738ca8b46298bf149a6510072c431b49cd88b1c"
)


def test_openssl_vector_with_another_distid() -> None:
    z = sm3(sm2._z_prefix(b"example@rustcrypto.org") + OPENSSL_KEY[1:])
    assert_all(True, OPENSSL_KEY, sm3(z + b"testing"), OPENSSL_SIG)
    assert_all(False, OPENSSL_KEY, sm3(z + b"testinG"), OPENSSL_SIG)
    # The same signature under the default ID is another digest, so it fails.
    assert not verify_signature("sm2", OPENSSL_KEY, b"testing", OPENSSL_SIG)


# -- signatures made by the signer, then mutated ------------------------------------------------

secrets_ = st.integers(min_value=1, max_value=N - 2)
MUTATIONS = ["none", "signature-bit", "digest-bit", "key-bit", "swap-r-s", "other-key"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    d=secrets_,
    message=st.binary(max_size=300),
    how=st.sampled_from(MUTATIONS),
    bit=st.integers(min_value=0, max_value=511),
)
def test_signer_output_and_its_mutations(d: int, message: bytes, how: str, bit: int) -> None:
    key = sm2.Sm2PrivateKey(d.to_bytes(32, "big"))
    public = key.public_key().data
    signature = key.sign(message)
    digest = sm3(sm2.z_value(public[1:]) + message)
    assert key.public_key().verify(message, signature)
    if how == "signature-bit":
        signature = flip(signature, bit % 512)
    elif how == "digest-bit":
        digest = flip(digest, bit % 256)
    elif how == "key-bit":
        public = public[:1] + flip(public[1:], bit % 512)
    elif how == "swap-r-s":
        signature = signature[32:] + signature[:32]
    elif how == "other-key":
        public = _PAD_KEY.public_key().data
    assert assert_agree(public, digest, signature) == (how == "none")


def flip(data: bytes, bit: int) -> bytes:
    return data[: bit // 8] + bytes([data[bit // 8] ^ (0x80 >> bit % 8)]) + data[bit // 8 + 1 :]


# -- crafted signatures: any (r, s), any key, e chosen to fit ---------------------------------

EDGE_SCALARS = [0, 1, 2, N // 2, N - 2, N - 1, N, N + 1, P - 1, P, 2**255, 2**256 - 1]
scalars = st.one_of(st.sampled_from(EDGE_SCALARS), st.integers(0, 2**256 - 1))


def in_range(v: int) -> bool:
    return 0 < v < N


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=secrets_, r=scalars, s=scalars, shift=st.sampled_from([0, 1, -1, N]))
def test_crafted_signatures_at_the_range_edges(d: int, r: int, s: int, shift: int) -> None:
    """(r, s) anywhere in 0 .. 2^256-1, e crafted to make it valid, then shifted.

    Valid iff r and s are in [1, n-1], t != 0 and e is the crafted value mod n
    (shift 0 or n); a shift of +-1 must fail.
    """
    public = key_of(d)
    valid_scalars = in_range(r) and in_range(s) and (r + s) % N != 0
    base = int.from_bytes(craft_digest(public, r % N or 1, s % N or 1))
    e = base + shift
    if not 0 <= e < 2**256:
        e, shift = base, 0
    expected = valid_scalars and shift in (0, N)
    assert_all(expected, public, e.to_bytes(32, "big"), signature_bytes(r, s))


@pytest.mark.parametrize("r", [1, 2, N - 1, N // 2, 2**255, 2**255 + 1])
@pytest.mark.parametrize("s", [1, N - 2, N - 1, 2**255])
def test_extreme_signatures(r: int, s: int) -> None:
    public = key_of(0xC0FFEE)
    t_is_zero = (r + s) % N == 0  # (1, n-1), (2, n-2), (2^255 + 1, n - 2^255 - 1)
    assert_all(not t_is_zero, public, craft_digest(public, r, s), signature_bytes(r, s))


@pytest.mark.parametrize(
    ("r", "s"),
    [(0, 5), (5, 0), (0, 0), (N, 5), (5, N), (N + 5, 5), (5, N + 5), (2**256 - 1, 5)],
)
def test_out_of_range_scalars_fail_even_with_the_digest_of_their_residues(r: int, s: int) -> None:
    """r, s are taken as written: r = n + 5 is not 5, even where e would fit 5."""
    public = key_of(7)
    digest = craft_digest(public, r % N or 1, s % N or 1)
    assert_all(False, public, digest, signature_bytes(r, s))


@settings(max_examples=30, deadline=None)
@given(d=secrets_, s=st.integers(1, N - 1), e=st.integers(0, 2**256 - 1))
def test_t_zero_fails(d: int, s: int, e: int) -> None:
    public = key_of(d)
    r = N - s  # t = r + s = n = 0 mod n; [s]G + [0]P = [s]G
    x1 = affine(mul(s, G))
    assert x1 is not None
    assert_all(False, public, e.to_bytes(32, "big"), signature_bytes(r, s))
    # Even the e that would fit x1 of [s]G is refused: t = 0 is refused before the sum.
    assert_all(False, public, ((r - x1[0]) % N).to_bytes(32, "big"), signature_bytes(r, s))


@settings(max_examples=30, deadline=None)
@given(d=secrets_, t=st.integers(1, N - 1))
def test_sum_at_infinity_reads_x_as_zero_like_gmssl(d: int, t: int) -> None:
    """s = -t*d makes [s]G + [t]P the point at infinity: GmSSL accepts r = e mod n.

    Only d's owner can build this (and it reveals d = -s/t). OpenSSL and
    RustCrypto's sm2::dsa refuse it; finchain keeps GmSSL's verdict so that
    every block accepted before the move replays the same (native/src/sm2.rs).
    """
    public = key_of(d)
    s = -t * d % N
    r = (t - s) % N
    if not (in_range(r) and in_range(s)):
        return
    assert affine(sm2._add(mul(s, G), mul(t, (*sm2._base_multiply(d), 1)))) is None
    assert_all(True, public, r.to_bytes(32, "big"), signature_bytes(r, s))
    assert_all(False, public, ((r + 1) % N).to_bytes(32, "big"), signature_bytes(r, s))
    if r + N < 2**256:
        assert_all(True, public, (r + N).to_bytes(32, "big"), signature_bytes(r, s))


@settings(max_examples=30, deadline=None)
@given(d=secrets_, t=st.integers(1, N - 1))
def test_sum_that_is_a_doubling(d: int, t: int) -> None:
    """s = t*d makes [s]G and [t]P the same point: the sum is a doubling, exactly computed."""
    public = key_of(d)
    s = t * d % N
    r = (t - s) % N
    if not (in_range(r) and in_range(s)):
        return
    doubled = affine(mul(2 * s % N, G))
    assert doubled is not None
    e = (r - doubled[0]) % N
    assert_all(True, public, e.to_bytes(32, "big"), signature_bytes(r, s))
    assert_all(False, public, r.to_bytes(32, "big"), signature_bytes(r, s))  # not x = 0


# -- keys ---------------------------------------------------------------------------------------

B_ROOT = pow(sm2.B, (P + 1) // 4, P)  # (0, sqrt(b)) is a point of the curve
assert B_ROOT * B_ROOT % P == sm2.B


def assert_invalid_key(data: bytes) -> None:
    with pytest.raises(FinchainError) as info:
        public_key_from_bytes("sm2", data)
    assert ErrInvalidKey.matches(info.value)


def test_key_with_x_zero_and_its_non_canonical_twin() -> None:
    """X = p encodes the same x = 0 as X = 0; only the canonical bytes are a key."""
    canonical = encode_key(0, B_ROOT)
    twin = b"\x04" + P.to_bytes(32, "big") + B_ROOT.to_bytes(32, "big")
    r, s = 0x1111, 0x2222
    digest = craft_digest(canonical, r, s)
    assert_all(True, canonical, digest, signature_bytes(r, s))
    assert public_key_from_bytes("sm2", canonical).data == canonical
    assert_invalid_key(twin)
    assert not sm2.verify_digest(twin, digest, signature_bytes(r, s))
    assert not gmssl_verdict(twin, digest, signature_bytes(r, s))


def _bad_keys() -> list[bytes]:
    good = key_of(12345)
    x, y = int.from_bytes(good[1:33]), int.from_bytes(good[33:])
    return [
        b"",
        b"\x00",  # SEC1's point at infinity
        b"\x04" + bytes(64),  # (0, 0) is not on the curve
        encode_key(x, (y + 1) % P),
        encode_key(1, y),
        encode_key(sm2.GX, sm2.GY + 1),
        b"\x04" + b"\xff" * 64,
        b"\x02" + good[1:33],  # compressed: not finchain's encoding
        b"\x03" + good[1:33],
        b"\x05" + good[1:],
        b"\x06" + good[1:],  # hybrid SEC1 forms
        b"\x07" + good[1:],
        good[1:],
        good + b"\x00",
    ]


@pytest.mark.parametrize("public", _bad_keys())
def test_malformed_or_off_curve_keys(public: bytes) -> None:
    good = key_of(12345)
    r, s = 0xABC, 0xDEF
    digest = craft_digest(good, r, s)
    assert sm2.verify_digest(good, digest, signature_bytes(r, s))
    assert verdicts(public, digest, signature_bytes(r, s)) == (False, False, False)
    assert_invalid_key(public)


def test_sizes_and_types_are_false_not_errors() -> None:
    public, digest, signature = PAD
    assert sm2.verify_digest(public, digest, signature)
    for args in [
        (public, digest[:31], signature),
        (public, digest + b"\x00", signature),
        (public, digest, signature[:63]),
        (public, digest, signature + b"\x00"),
        (bytearray(public), digest, signature),
        (public, memoryview(digest), signature),
        (public, digest, None),
    ]:
        assert not sm2.verify_digest(*args)  # type: ignore[arg-type]
    items = [PAD, (public, digest), "nonsense", (public, digest, bytearray(signature)), PAD]
    assert sm2.verify_digest_batch(items) == [True, False, False, False, True]  # type: ignore[arg-type]
    assert sm2.verify_digest_batch([]) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 2**32), st.booleans()), max_size=40))
def test_batch_equals_single_on_random_mixes(plan: list[tuple[int, bool]]) -> None:
    public = _PAD_KEY.public_key().data
    items = []
    for r, valid in plan:
        digest = craft_digest(public, r, r + 1)
        items.append(
            (public, digest if valid else flip(digest, r % 256), signature_bytes(r, r + 1))
        )
    assert sm2.verify_digest_batch(items) == [valid for _, valid in plan]
    assert [sm2.verify_digest(*item) for item in items] == [valid for _, valid in plan]


# -- issue 10: nothing on stderr; the GIL is released -------------------------------------------

FAILING_VERIFICATIONS = textwrap.dedent(
    """
    from finchain.crypto import generate_private_key, public_key_from_bytes, sm2, verify_signature

    key = generate_private_key("sm2")
    public = key.public_key().data
    signature = key.sign(b"pay 10")
    bad_s = signature[:32] + bytes([signature[32] ^ 1]) + signature[33:]
    assert verify_signature("sm2", public, b"pay 10", signature)
    assert not verify_signature("sm2", public, b"pay 11", signature)
    assert not verify_signature("sm2", public, b"pay 10", bad_s)
    assert not verify_signature("sm2", public, b"pay 10", bytes(64))
    assert not verify_signature("sm2", public, b"pay 10", b"\\xff" * 64)
    assert not verify_signature("sm2", b"\\x04" + bytes(64), b"pay 10", signature)
    assert not public_key_from_bytes("sm2", public).verify(b"pay 11", signature)
    assert not any(sm2.verify_digest_batch([(public, bytes(32), signature)] * 3))
    print("done")
    """
)


def run_python(code: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)


def test_failed_sm2_verifications_write_nothing_to_stderr() -> None:
    result = run_python(FAILING_VERIFICATIONS)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"done\n"
    assert result.stderr == b""


def test_the_stderr_check_can_fail() -> None:
    """gmssl-pyx's verifier, which finchain no longer calls, writes to the same file descriptor."""
    generator = (sm2.GX.to_bytes(32, "big") + sm2.GY.to_bytes(32, "big")).hex()
    result = run_python(
        "import gmssl_pyx\n"
        f"key = bytes.fromhex('{generator}')\n"
        "print(gmssl_pyx.sm2_verify_sm3_digest(key, bytes(32), bytes.fromhex('3006020101020101')))"
    )
    assert result.stdout == b"False\n"
    assert result.stderr != b""


def test_batch_verification_releases_the_gil() -> None:
    """While one thread verifies a long batch, this thread keeps running Python code."""
    items = [PAD] * 400
    started = time.perf_counter()
    assert all(sm2.verify_digest_batch(items))
    alone = time.perf_counter() - started

    done = threading.Event()

    def work() -> None:
        sm2.verify_digest_batch(items)
        done.set()

    worker = threading.Thread(target=work)
    ticks: list[float] = []
    worker.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
    worker.join()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    # Holding the GIL for the batch would stall this loop for about `alone` seconds.
    assert len(ticks) > 100
    assert max(gaps) < alone / 2, (max(gaps), alone)
