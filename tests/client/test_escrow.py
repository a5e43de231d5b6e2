"""Identity escrow end to end: build, approve, open; m-of-n enforced by the cryptography."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finchain.client.escrow import (
    MAX_LINK_SIZE,
    build_escrow,
    decode_link,
    encode_link,
    open_escrow,
    reseal_share,
)
from finchain.codec import cbor
from finchain.crypto import (
    EncryptionKey,
    ErrDecryptionFailed,
    ErrInvalidEscrow,
    ErrInvalidKey,
    ErrNotARegulator,
    ErrNotEnoughShares,
    ErrUnknownEncryptionScheme,
    ErrUnknownSuite,
    generate_encryption_key,
    get_suite,
    seal,
)
from finchain.errors import ErrorCode, FinchainError
from finchain.formats.did import make_did
from finchain.modules.accounts.types import account_id

CHAIN = "finchain-test-1"
SCHEME_OF_SUITE = {"gm": "sm2", "intl": "x25519"}
HOLDER = account_id(1001)
LINK = encode_link(
    account=HOLDER,
    did=make_did(CHAIN, 17),
    name="张三",
    id_number="110101199003074514",
    issuer=make_did(CHAIN, 3),
    kyc_ref="kyc/2024/000042",
)


@dataclass(frozen=True)
class Party:
    account: str
    key: EncryptionKey

    @property
    def entry(self) -> tuple[str, str, bytes]:
        return (self.account, self.key.scheme, self.key.public_key)


def parties(scheme: str, numbers: list[int]) -> list[Party]:
    return [Party(account_id(n), generate_encryption_key(scheme)) for n in numbers]


def raises(code: ErrorCode, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> FinchainError:
    with pytest.raises(FinchainError) as info:
        fn(*args, **kwargs)
    assert code.matches(info.value), f"expected {code}, got {info.value!r}"
    return info.value


def approve(
    escrow: dict[str, Any], approver: Party, requester: Party, request_id: int | str = 7
) -> bytes:
    return reseal_share(
        escrow,
        approver.account,
        approver.key,
        requester.key.scheme,
        requester.key.public_key,
        chain_id=CHAIN,
        request_id=request_id,
    )


def open_as(
    escrow: dict[str, Any],
    requester: Party,
    approvals: list[bytes],
    *,
    own: bool = True,
    request_id: int | str = 7,
) -> bytes:
    return open_escrow(
        escrow,
        approvals,
        requester.key,
        chain_id=CHAIN,
        request_id=request_id,
        my_account=requester.account if own else None,
    )


@pytest.fixture(params=["gm", "intl"])
def suite(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def regulators(suite: str) -> list[Party]:
    # Out of order on purpose: the escrow lists them sorted.
    return parties(SCHEME_OF_SUITE[suite], [30, 10, 20])


@pytest.fixture
def escrow(suite: str, regulators: list[Party]) -> dict[str, Any]:
    return build_escrow(LINK, [r.entry for r in regulators], 2, suite=suite, chain_id=CHAIN)


def test_escrow_has_the_shape_the_chain_stores(
    escrow: dict[str, Any], regulators: list[Party]
) -> None:
    assert set(escrow) == {"threshold", "regulators", "ciphertext", "shares"}
    assert escrow["threshold"] == 2
    assert escrow["regulators"] == sorted(r.account for r in regulators)
    assert len(escrow["shares"]) == 3
    assert all(isinstance(s, bytes) and len(s) <= 512 for s in escrow["shares"])
    assert isinstance(escrow["ciphertext"], bytes) and len(escrow["ciphertext"]) <= 4096
    # The identity never appears in clear; the map encodes as canonical DAG-CBOR.
    encoded = cbor.encode(escrow)
    for secret in ("张三".encode(), b"110101199003074514", b"kyc/2024/000042"):
        assert secret not in encoded


def test_one_regulator_alone_cannot_open_two_can(
    escrow: dict[str, Any], regulators: list[Party]
) -> None:
    a, b, c = sorted(regulators, key=lambda r: r.account)
    error = raises(ErrNotEnoughShares, open_as, escrow, a, [])
    assert "shares of 1 distinct regulators, the escrow needs 2" in error.message
    assert decode_link(open_as(escrow, a, [approve(escrow, b, a)])) == decode_link(LINK)
    assert open_as(escrow, c, [approve(escrow, a, c)]) == LINK
    # Two approvals suffice without an own share, too.
    assert open_as(escrow, b, [approve(escrow, a, b), approve(escrow, c, b)], own=False) == LINK


def test_a_requester_outside_the_escrow_needs_m_approvals(
    suite: str, escrow: dict[str, Any], regulators: list[Party]
) -> None:
    a, b, _ = regulators
    (newcomer,) = parties(SCHEME_OF_SUITE[suite], [99])
    raises(ErrNotEnoughShares, open_as, escrow, newcomer, [approve(escrow, a, newcomer)], own=False)
    raises(ErrNotARegulator, open_as, escrow, newcomer, [approve(escrow, a, newcomer)])
    approvals = [approve(escrow, a, newcomer), approve(escrow, b, newcomer)]
    assert open_as(escrow, newcomer, approvals, own=False) == LINK


def test_repeated_approvals_count_once(escrow: dict[str, Any], regulators: list[Party]) -> None:
    a, b, _ = regulators
    same = approve(escrow, b, a)
    raises(ErrNotEnoughShares, open_as, escrow, a, [same, same], own=False)
    # Re-sealing the same share twice gives different bytes but the same share.
    raises(ErrNotEnoughShares, open_as, escrow, a, [same, approve(escrow, b, a)], own=False)


def test_approvals_are_bound_to_request_chain_and_requester(
    suite: str, escrow: dict[str, Any], regulators: list[Party]
) -> None:
    a, b, c = regulators
    for_request_8 = approve(escrow, b, a, request_id=8)
    raises(ErrNotEnoughShares, open_as, escrow, a, [for_request_8])
    assert open_as(escrow, a, [for_request_8], request_id=8) == LINK
    # Sealed to c, so useless to a.
    raises(ErrNotEnoughShares, open_as, escrow, a, [approve(escrow, b, c)])
    # The shares themselves are bound to the chain: nothing opens under another chain id.
    raises(
        ErrDecryptionFailed, reseal_share, escrow, b.account, b.key, a.key.scheme,
        a.key.public_key, chain_id="finchain-other", request_id=7,
    )  # fmt: skip
    # An approval for another escrow (same regulators, same request id) does not count.
    second = build_escrow(LINK, [r.entry for r in regulators], 2, suite=suite, chain_id=CHAIN)
    raises(ErrNotEnoughShares, open_as, escrow, a, [approve(second, b, a)])


def test_a_forged_share_does_not_open_even_if_the_chain_counted_it(
    suite: str, escrow: dict[str, Any], regulators: list[Party]
) -> None:
    """The chain counts approvals; the cryptography needs m genuine shares."""
    a, b, _ = sorted(regulators, key=lambda r: r.account)
    key_size = 16 if suite == "gm" else 32
    # c approves with a well-formed share of its x (3) whose value it made up, sealed
    # to a under the right context (the construction is public: docs/escrow.md).
    digest = get_suite(suite).hash(escrow["ciphertext"])
    context = cbor.encode(["finchain/escrow/reshare/v1", CHAIN, digest, 7])
    forged = seal(a.key.scheme, a.key.public_key, b"\x03" + bytes(key_size), context=context)
    error = raises(ErrDecryptionFailed, open_as, escrow, a, [forged])
    assert "no 2 of the 2 distinct shares open the escrow" in error.message
    # A genuine approval next to the forged one still opens: other subsets are tried.
    assert open_as(escrow, a, [forged, approve(escrow, b, a)]) == LINK
    # Even when the forger claims the x of the honest approver (b's, 2) and comes first.
    posing_as_b = seal(a.key.scheme, a.key.public_key, b"\x02" + bytes(key_size), context=context)
    assert open_as(escrow, a, [posing_as_b, approve(escrow, b, a)]) == LINK
    raises(ErrDecryptionFailed, open_as, escrow, a, [posing_as_b])


def test_only_the_holder_opens_its_share(escrow: dict[str, Any], regulators: list[Party]) -> None:
    a, b, c = sorted(regulators, key=lambda r: r.account)
    raises(
        ErrUnknownEncryptionScheme, reseal_share, escrow, b.account, b.key, "x", b"",
        chain_id=CHAIN, request_id=7,
    )  # fmt: skip
    raises(
        ErrDecryptionFailed, reseal_share, escrow, b.account, c.key, a.key.scheme,
        a.key.public_key, chain_id=CHAIN, request_id=7,
    )  # fmt: skip
    # Index form of the approver works like the account form.
    assert open_as(escrow, a, [reseal_share(
        escrow, 1, b.key, a.key.scheme, a.key.public_key, chain_id=CHAIN, request_id=7
    )]) == LINK  # fmt: skip
    for outsider in (account_id(555), 3, -1, True, None):
        raises(
            ErrNotARegulator, reseal_share, escrow, outsider, b.key, a.key.scheme,
            a.key.public_key, chain_id=CHAIN, request_id=7,
        )  # fmt: skip
    raises(
        ErrInvalidKey, reseal_share, escrow, b.account, b.key, a.key.scheme, b"\x04" + bytes(64),
        chain_id=CHAIN, request_id=7,
    )  # fmt: skip


def test_a_badly_built_share_and_a_wrong_key_type_are_reported(
    suite: str, escrow: dict[str, Any], regulators: list[Party]
) -> None:
    a, b, _ = sorted(regulators, key=lambda r: r.account)
    digest = get_suite(suite).hash(escrow["ciphertext"])
    context = cbor.encode(["finchain/escrow/share/v1", CHAIN, digest, b.account])
    short = seal(b.key.scheme, b.key.public_key, b"\x02\x00", context=context)
    bad = {**escrow, "shares": [escrow["shares"][0], short, escrow["shares"][2]]}
    assert "issuer built a bad escrow" in raises(ErrInvalidEscrow, approve, bad, b, a).message
    raises(ErrInvalidEscrow, open_as, bad, b, [])
    raises(
        ErrInvalidKey, reseal_share, escrow, b.account, b.key.secret_bytes(), a.key.scheme,
        a.key.public_key, chain_id=CHAIN, request_id=7,
    )  # fmt: skip
    raises(ErrInvalidKey, open_escrow, escrow, [], None, chain_id=CHAIN, request_id=7)


def test_tampering_with_the_stored_escrow_is_detected(
    escrow: dict[str, Any], regulators: list[Party]
) -> None:
    a, b, _ = sorted(regulators, key=lambda r: r.account)
    approval = approve(escrow, b, a)
    # Lowering the threshold does not let one share open it.
    lowered = {**escrow, "threshold": 1}
    raises(ErrDecryptionFailed, open_as, lowered, a, [])
    # An altered ciphertext no longer matches the shares' contexts.
    ciphertext = bytearray(escrow["ciphertext"])
    ciphertext[-1] ^= 1
    altered = {**escrow, "ciphertext": bytes(ciphertext)}
    raises(ErrDecryptionFailed, open_as, altered, a, [approval])
    raises(ErrDecryptionFailed, approve, altered, b, a)
    # Swapping two regulators' shares: each finds a share not sealed to it.
    swapped = {**escrow, "shares": [escrow["shares"][1], escrow["shares"][0], escrow["shares"][2]]}
    raises(ErrDecryptionFailed, approve, swapped, b, a)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda e: {**e, "extra": 1}, "exactly the fields"),
        (lambda e: {k: v for k, v in e.items() if k != "shares"}, "exactly the fields"),
        (lambda e: {**e, "threshold": 0}, "threshold"),
        (lambda e: {**e, "threshold": 4}, "threshold"),
        (lambda e: {**e, "threshold": True}, "threshold"),
        (lambda e: {**e, "regulators": list(reversed(e["regulators"]))}, "sorted"),
        (lambda e: {**e, "regulators": ["FC00", *e["regulators"][1:]]}, "account ids"),
        (lambda e: {**e, "regulators": []}, "list of 1"),
        (lambda e: {**e, "shares": e["shares"][:2]}, "one entry per regulator"),
        (lambda e: {**e, "shares": [b"", *e["shares"][1:]]}, "1 to 512"),
        (lambda e: {**e, "shares": [bytes(513), *e["shares"][1:]]}, "1 to 512"),
        (lambda e: {**e, "ciphertext": bytes(4097)}, "1 to 4096"),
        (lambda e: {**e, "ciphertext": b""}, "1 to 4096"),
        (lambda e: {**e, "ciphertext": b"\x09" + e["ciphertext"][1:]}, "format"),
        (lambda e: {**e, "ciphertext": "text"}, "1 to 4096"),
        (lambda e: list(e.items()), "exactly the fields"),
    ],
)
def test_malformed_escrows_are_refused(
    escrow: dict[str, Any],
    regulators: list[Party],
    change: Callable[[dict[str, Any]], Any],
    fragment: str,
) -> None:
    a, b, _ = regulators
    bad = change(escrow)
    assert fragment in raises(ErrInvalidEscrow, open_as, bad, a, []).message
    assert fragment in raises(ErrInvalidEscrow, approve, bad, b, a).message


def test_bad_requests_are_refused(escrow: dict[str, Any], regulators: list[Party]) -> None:
    a, b, _ = regulators
    for request_id in (-1, 2**64, "", "x" * 129, True, 1.5, None):
        raises(ErrInvalidEscrow, approve, escrow, b, a, request_id)
    for chain_id in ("", "Finchain", "-x", "a" * 51, None):
        raises(ErrInvalidEscrow, open_escrow, escrow, [], a.key, chain_id=chain_id, request_id=1)
    raises(ErrInvalidEscrow, open_escrow, escrow, b"share", a.key, chain_id=CHAIN, request_id=1)
    too_many = [b"x"] * 256
    raises(ErrInvalidEscrow, open_escrow, escrow, too_many, a.key, chain_id=CHAIN, request_id=1)
    # Garbage approvals are skipped, not fatal.
    error = raises(ErrNotEnoughShares, open_as, escrow, a, [b"", b"\x01" * 40, b"\x02" * 80])
    assert "3 unusable" in error.message
    assert open_as(escrow, a, [b"junk", approve(escrow, b, a)]) == LINK


def test_build_escrow_refuses_bad_input(suite: str, regulators: list[Party]) -> None:
    entries = [r.entry for r in regulators]
    raises(ErrUnknownSuite, build_escrow, LINK, entries, 2, suite="rot13", chain_id=CHAIN)
    for threshold in (0, 4, True, "2"):
        raises(
            ErrInvalidEscrow, build_escrow, LINK, entries, threshold, suite=suite, chain_id=CHAIN
        )
    for link in (b"", bytes(MAX_LINK_SIZE + 1), "text"):
        raises(ErrInvalidEscrow, build_escrow, link, entries, 2, suite=suite, chain_id=CHAIN)
    raises(ErrInvalidEscrow, build_escrow, LINK, entries, 2, suite=suite, chain_id="Bad Chain")
    raises(ErrInvalidEscrow, build_escrow, LINK, [], 1, suite=suite, chain_id=CHAIN)
    raises(ErrInvalidEscrow, build_escrow, LINK, entries[0], 1, suite=suite, chain_id=CHAIN)
    raises(
        ErrInvalidEscrow, build_escrow, LINK, [*entries, entries[0]], 2, suite=suite,
        chain_id=CHAIN,
    )  # fmt: skip
    raises(
        ErrInvalidEscrow, build_escrow, LINK, [("FC99", *entries[0][1:])], 1, suite=suite,
        chain_id=CHAIN,
    )  # fmt: skip
    raises(ErrInvalidEscrow, build_escrow, LINK, [entries[0][:2]], 1, suite=suite, chain_id=CHAIN)
    bad_key = (entries[0][0], entries[0][1], entries[0][2][:-1])
    error = raises(ErrInvalidKey, build_escrow, LINK, [bad_key], 1, suite=suite, chain_id=CHAIN)
    assert entries[0][0] in error.message
    bad_scheme = (entries[0][0], "rsa", entries[0][2])
    raises(ErrUnknownEncryptionScheme, build_escrow, LINK, [bad_scheme], 1, suite=suite,
           chain_id=CHAIN)  # fmt: skip


def test_ciphertext_length_hides_the_link_length(suite: str, regulators: list[Party]) -> None:
    entries = [r.entry for r in regulators]
    sizes = {
        len(build_escrow(bytes(size), entries, 2, suite=suite, chain_id=CHAIN)["ciphertext"])
        for size in (1, 100, 254)
    }
    assert len(sizes) == 1
    largest = build_escrow(bytes(MAX_LINK_SIZE), entries, 2, suite=suite, chain_id=CHAIN)
    assert len(largest["ciphertext"]) <= 4096


def test_link_round_trip_and_validation() -> None:
    fields = decode_link(LINK)
    assert fields["name"] == "张三" and fields["account"] == HOLDER
    assert encode_link(**fields) == LINK
    for field, value in [
        ("account", "FC0000"),
        ("did", "did:example:1"),
        ("name", ""),
        ("kyc_ref", "x" * 257),
        ("id_number", 42),
    ]:
        raises(ErrInvalidEscrow, encode_link, **{**fields, field: value})
    # Every field within its limit, but the whole over MAX_LINK_SIZE.
    too_long = {
        "name": "名" * 256,
        "kyc_ref": "号" * 256,
        "id_number": "证" * 256,
        "issuer": "i" * 256,
    }
    raises(ErrInvalidEscrow, encode_link, **{**fields, **too_long})
    raises(ErrInvalidEscrow, decode_link, cbor.encode({**fields, "extra": "x"}))
    raises(ErrInvalidEscrow, decode_link, cbor.encode([fields["name"]]))
    raises(ErrInvalidEscrow, decode_link, LINK + b"\x00")
    raises(ErrInvalidEscrow, decode_link, "text")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_property_opens_exactly_with_m_distinct_approvals(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=5), label="n")
    m = data.draw(st.integers(min_value=1, max_value=n), label="m")
    group = parties("x25519", list(range(1, n + 2)))
    members, requester = group[:n], group[n]
    escrow = build_escrow(b"link", [p.entry for p in members], m, suite="intl", chain_id=CHAIN)
    approvers = data.draw(st.lists(st.sampled_from(members), max_size=n + 2), label="approvers")
    approvals = [approve(escrow, p, requester) for p in approvers]
    distinct = len({p.account for p in approvers})
    if distinct >= m:
        assert open_as(escrow, requester, approvals, own=False) == b"link"
    else:
        raises(ErrNotEnoughShares, open_as, escrow, requester, approvals, own=False)


CBOR_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.binary(max_size=40)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(st.binary(max_size=300), CBOR_VALUES.map(cbor.encode)))
def test_fuzz_decode_link_raises_only_invalid_escrow(data: bytes) -> None:
    try:
        fields = decode_link(data)
    except FinchainError as exc:
        assert ErrInvalidEscrow.matches(exc)
    else:
        assert encode_link(**fields) == data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    field=st.sampled_from(["threshold", "regulators", "ciphertext", "shares"]), value=CBOR_VALUES
)
def test_fuzz_escrow_fields_raise_only_registered_errors(field: str, value: Any) -> None:
    a, b = parties("x25519", [1, 2])
    escrow = build_escrow(b"link", [a.entry, b.entry], 2, suite="intl", chain_id=CHAIN)
    try:
        open_as({**escrow, field: value}, a, [approve(escrow, b, a)])
    except FinchainError as exc:
        assert exc.codespace == "crypto" and exc.code in {6, 17, 18, 19}
