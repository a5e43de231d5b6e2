"""Regulator authentication: on-chain policy decides, every refusal is stable and leaks no data.

A real solo node (regulator_world): the regulator's account is listed by
governance; an outsider, an unknown account, a stale, replayed or tampered
signature, a removed key, a multi-key threshold, each against the served API.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from finchain.client import Client
from finchain.client import builders as b
from finchain.client import interventions_builders as ivb
from finchain.client.regulator import RequestSigner
from finchain.crypto import PrivateKey, generate_private_key
from finchain.formats.request_signature import HEADER, canonical_query, query_pairs, signing_text
from finchain.modules.accounts.types import account_id
from finchain.node.api import create_app
from finchain.node.api.regulator_auth import (
    ErrBadRequestSignature,
    ErrMalformedSignature,
    ErrNoSignature,
    ErrNotRegulator,
    ErrReplayCacheFull,
    ErrReplayedRequest,
    ErrSignatureWeight,
    ErrSignerInactive,
    ErrStaleRequest,
    ErrUnknownSigner,
    ErrUnknownSigningKey,
    ReplayCache,
    parse_header,
)
from finchain.node.auth import Authenticator, KdfParams, UserStore, hash_password
from finchain.node.config import AuthSection
from finchain.service.interface import SubmitMode
from tests.client.live import serve
from tests.node.regulator_world import World, get_scheme, regulator_world

WHOAMI = "/v1/regulator/whoami"


@pytest.fixture(scope="module", params=["intl", "gm"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with regulator_world(tmp_path_factory.mktemp(f"reg-{request.param}"), suite=request.param) as w:
        yield w


@pytest.fixture(scope="module")
def url(world: World) -> Iterator[str]:
    with serve(world.app) as base:
        yield base


def signer(world: World, name: str, **kw: Any) -> RequestSigner:
    return RequestSigner(
        world.chain_id, world.suite, world.ids[name], [("k1", world.key(name))], **kw
    )


def refused(response: httpx.Response, status: int, error: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert (response.status_code, body["codespace"], body["code"]) == (
        status,
        error.codespace,
        error.code,
    ), body
    assert set(body) == {"code", "codespace", "message", "details"} and body["message"]
    return body


def get(url: str, path: str, header: str | None) -> httpx.Response:
    headers = {} if header is None else {HEADER: header}
    return httpx.get(url + path, headers=headers, timeout=30)


def test_regulator_is_let_in_and_sees_who_it_is(world: World, url: str) -> None:
    with httpx.Client(base_url=url, auth=signer(world, "regulator"), timeout=30) as http:
        answer = http.get(WHOAMI)
        assert answer.status_code == 200, answer.text
        assert answer.json()["account"] == world.ids["regulator"]
        assert answer.json()["name"] == "CBIRC" and answer.json()["keys"] == ["k1"]
        # A query string and a second request (fresh nonce) both verify.
        assert http.get(WHOAMI, params={"b": "2 x", "a": "1"}).status_code == 200


def test_sdk_signs_as_regulator(world: World, url: str) -> None:
    with Client(url) as client:
        client.use_regulator(world.ids["regulator"], [("k1", world.key("regulator"))])
        assert client.query("bank/balances", {"account": world.ids["alice"]}).value  # unsigned
        assert client.regulator_whoami()["account"] == world.ids["regulator"]
        # Retries and repeated calls each get a fresh nonce: never a replay.
        assert client.regulator_whoami()["account"] == world.ids["regulator"]


@pytest.mark.parametrize("name", ["outsider", "bank", "operator"])
def test_a_non_regulator_is_refused(world: World, url: str, name: str) -> None:
    s = signer(world, name)
    body = refused(get(url, WHOAMI, s.header("GET", WHOAMI, "", b"")), 403, ErrNotRegulator)
    assert world.ids[name] in body["message"] and "governance" in body["message"]


def test_no_header_and_malformed_headers(world: World, url: str) -> None:
    refused(get(url, WHOAMI, None), 401, ErrNoSignature)
    good = signer(world, "regulator").header("GET", WHOAMI, "", b"")
    for bad in (
        "garbage",
        good.replace("account=", "acct="),
        good.replace("time=", "time=0"),
        good + ", account=" + world.ids["alice"],
        good.replace("nonce=", "nonce=%"),
        good.replace("sig=k1:", "sig=k1:!"),
        good.replace("FC", "FX", 1),
    ):
        refused(get(url, WHOAMI, bad), 401, ErrMalformedSignature)


def test_unknown_account(world: World, url: str) -> None:
    ghost = RequestSigner(
        world.chain_id, world.suite, account_id(9_999), [("k1", world.key("regulator"))]
    )
    body = refused(get(url, WHOAMI, ghost.header("GET", WHOAMI, "", b"")), 401, ErrUnknownSigner)
    assert account_id(9_999) in body["message"]


def test_stale_and_future_signatures(world: World, url: str) -> None:
    for skew in (-61, 61):
        s = signer(world, "regulator", clock=lambda skew=skew: time.time() + skew)
        body = refused(get(url, WHOAMI, s.header("GET", WHOAMI, "", b"")), 401, ErrStaleRequest)
        assert "clock" in body["message"]
    inside = signer(world, "regulator", clock=lambda: time.time() - 50)
    assert get(url, WHOAMI, inside.header("GET", WHOAMI, "", b"")).status_code == 200


def test_replayed_signature(world: World, url: str) -> None:
    header = signer(world, "regulator").header("GET", WHOAMI, "", b"")
    assert get(url, WHOAMI, header).status_code == 200
    refused(get(url, WHOAMI, header), 401, ErrReplayedRequest)


def test_tampered_requests(world: World, url: str) -> None:
    s = signer(world, "regulator")
    # Signed for another path, query, method or chain: each fails to verify.
    for header, path in (
        (s.header("GET", "/v1/regulator/other", "", b""), WHOAMI),
        (s.header("GET", WHOAMI, "a=1", b""), WHOAMI + "?a=2"),
        (s.header("POST", WHOAMI, "", b""), WHOAMI),
        (s.header("GET", WHOAMI, "", b"body"), WHOAMI),
    ):
        refused(get(url, path, header), 401, ErrBadRequestSignature)
    other_chain = RequestSigner(
        "other-chain", world.suite, world.ids["regulator"], [("k1", world.key("regulator"))]
    )
    refused(
        get(url, WHOAMI, other_chain.header("GET", WHOAMI, "", b"")), 401, ErrBadRequestSignature
    )
    # The regulator's account id with someone else's key.
    impostor = RequestSigner(
        world.chain_id, world.suite, world.ids["regulator"], [("k1", world.key("outsider"))]
    )
    refused(get(url, WHOAMI, impostor.header("GET", WHOAMI, "", b"")), 401, ErrBadRequestSignature)
    # A flipped bit in the signature itself.
    header = s.header("GET", WHOAMI, "", b"")
    sig = header.rsplit(":", 1)[1]
    flipped = ("B" if sig[0] == "A" else "A") + sig[1:]
    refused(get(url, WHOAMI, header[: -len(sig)] + flipped), 401, ErrBadRequestSignature)


def test_query_order_and_spelling_do_not_matter(world: World, url: str) -> None:
    """The node signs the decoded, sorted pairs: the client's spelling is irrelevant."""
    s = signer(world, "regulator")
    header = s.header("GET", WHOAMI, "b=x%20y&a=1", b"")
    assert get(url, WHOAMI + "?a=1&b=x+y", header).status_code == 200


def test_key_policy_is_read_from_the_chain(world: World, url: str) -> None:
    """A second key raises the threshold to 2: one signature is short, two pass; a key not
    on the account is refused by id."""
    extra = generate_private_key(get_scheme(world.suite))
    world.send("regulator", lambda _: b.add_key(b.key_of("k2", extra)))
    world.send("regulator", lambda _: b.set_threshold(2))
    one = signer(world, "regulator")
    body = refused(get(url, WHOAMI, one.header("GET", WHOAMI, "", b"")), 401, ErrSignatureWeight)
    assert body["details"] == {"weight": 1, "threshold": 2}
    keys: list[tuple[str, PrivateKey]] = [("k1", world.key("regulator")), ("k2", extra)]
    both = RequestSigner(world.chain_id, world.suite, world.ids["regulator"], keys)
    assert get(url, WHOAMI, both.header("GET", WHOAMI, "", b"")).json()["keys"] == ["k1", "k2"]
    wrong = RequestSigner(world.chain_id, world.suite, world.ids["regulator"], [("k9", extra)])
    refused(get(url, WHOAMI, wrong.header("GET", WHOAMI, "", b"")), 401, ErrUnknownSigningKey)
    # Back to one key: k2 removed, a signature by it is now by an unknown key.
    both_now = RequestSigner(world.chain_id, world.suite, world.ids["regulator"], keys)
    _restore_single_key(world, keys)
    refused(get(url, WHOAMI, both_now.header("GET", WHOAMI, "", b"")), 401, ErrUnknownSigningKey)
    assert (
        get(url, WHOAMI, signer(world, "regulator").header("GET", WHOAMI, "", b"")).status_code
        == 200
    )


def _restore_single_key(world: World, keys: list[tuple[str, PrivateKey]]) -> None:
    account = world.ids["regulator"]
    nonce = int(world.query("accounts/account", account=account)["nonce"])
    both = b.Signer(world.chain_id, account, keys, nonce=nonce)
    for msg in (b.set_threshold(1), b.remove_key("k2")):
        (result,) = world.node.submit([both.sign(msg)], SubmitMode.COMMIT, timeout=30)
        assert result.deliver is not None and result.deliver.ok, result


def test_signing_text_is_exact() -> None:
    """The documented bytes, spelled out once (docs/regulation/regulator.md quotes them)."""
    text = signing_text(
        chain_id="c",
        account="FC1",
        time=5,
        nonce="n",
        method="get",
        path="/v1/regulator/x",
        query=canonical_query(query_pairs("b=2&a=%2F&a=1")),
        body_hash=b"\x01\xff",
    )
    assert text == b"FINCHAIN-REQUEST-V1\nc\nFC1\n5\nn\nGET\n/v1/regulator/x\na=%2F&a=1&b=2\n01ff"


def test_header_parser_refuses_duplicates_and_oversize() -> None:
    sig = "sig=k1:" + "A" * 88
    base = f"account={account_id(2)}, time=1, nonce={'n' * 16}"
    assert parse_header(f"{base}, {sig}").account == account_id(2)
    for bad in (
        f"{base}, {sig}, {sig}",
        f"{base}, time=2, {sig}",
        base,
        f"{base}, {sig}" + " " * 9000,
    ):
        with pytest.raises(Exception) as caught:
            parse_header(bad)
        assert ErrMalformedSignature.matches(caught.value)


def test_replay_cache_is_bounded_and_forgets_expired_pairs() -> None:
    cache = ReplayCache(capacity=2)
    cache.add("a", "n1", expires=10, now=0)
    cache.add("a", "n2", expires=20, now=0)
    with pytest.raises(Exception) as caught:
        cache.add("a", "n3", expires=30, now=5)
    assert ErrReplayCacheFull.matches(caught.value) and not cache.seen("a", "n3")
    cache.add("a", "n3", expires=30, now=11)  # n1 expired: room again
    assert not cache.seen("a", "n1") and cache.seen("a", "n2") and len(cache) == 2


def test_works_alongside_the_bearer_token_gate(world: World, tmp_path: Path) -> None:
    """A node that requires logins for reads asks a regulator for both: the gate checks the
    token first (Authorization), the regulator's routes the signature (Finchain-Signature)."""
    UserStore(tmp_path).add(
        "supervisor", hash_password("correct horse battery", KdfParams(n=2**4)), roles=("read",)
    )
    auth = Authenticator(tmp_path, AuthSection(enabled=True, required_for=("read", "submit")))
    with serve(create_app(world.node, auth=auth)) as url:
        login = httpx.post(
            f"{url}/v1/auth/login",
            json={"username": "supervisor", "password": "correct horse battery"},
        )
        token = login.json()["token"]
        s = signer(world, "regulator")
        signed_only = get(url, WHOAMI, s.header("GET", WHOAMI, "", b""))
        assert signed_only.status_code == 401 and signed_only.json()["codespace"] == "auth"
        bearer = {"Authorization": f"Bearer {token}"}
        token_only = httpx.get(url + WHOAMI, headers=bearer, timeout=30)
        refused(token_only, 401, ErrNoSignature)
        both = {**bearer, HEADER: s.header("GET", WHOAMI, "", b"")}
        assert httpx.get(url + WHOAMI, headers=both, timeout=30).status_code == 200
        with Client(url, token=token) as sdk:
            sdk.use_regulator(world.ids["regulator"], [("k1", world.key("regulator"))])
            assert sdk.regulator_whoami()["account"] == world.ids["regulator"]


@given(
    st.lists(
        st.tuples(st.text(max_size=8), st.text(max_size=8)),
        max_size=6,
    )
)
def test_canonical_query_does_not_depend_on_the_spelling(pairs: list[tuple[str, str]]) -> None:
    """Whatever order and percent-encoding a client library uses, the node's canonical
    form of what it received equals the client's canonical form of what it meant."""
    spelled = [
        urlencode(pairs),
        urlencode(list(reversed(pairs)), quote_via=quote),
        "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs),
    ]
    want = canonical_query(pairs)
    for query in spelled:
        assert canonical_query(query_pairs(query)) == want


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]), st.sampled_from(["n1", "n2", "n3"]), st.integers(0, 200)
        ),
        max_size=40,
    )
)
def test_replay_cache_refuses_every_replay_inside_the_window(
    requests: list[tuple[str, str, int]],
) -> None:
    """Against a model: a pair accepted at signed time t is refused until the node's clock
    passes t + 60; the node's clock only moves forward (requests arrive in time order)."""
    cache = ReplayCache(capacity=1_000)
    accepted: dict[tuple[str, str], int] = {}
    now = 0
    for account, nonce, step in requests:
        now += step
        signed = now  # signed at arrival; the skew check is authenticate's, not the cache's
        live = (account, nonce) in accepted and now <= accepted[(account, nonce)] + 60
        if cache.seen(account, nonce):
            assert live or (account, nonce) in accepted
            continue
        assert not live
        cache.add(account, nonce, signed + 60, now)
        accepted[(account, nonce)] = signed


def test_a_frozen_regulator_account_is_refused(world: World, url: str) -> None:
    """Frozen by an intervention (officer: the operator, threshold 1), the regulator proves its
    keys but is refused until the freeze is lifted."""
    height = world.node.app.height
    frozen = world.send(
        "operator",
        lambda _: ivb.freeze_account(
            world.ids["regulator"], legal_basis="test", deadline_height=height + 50
        ),
    )
    (target,) = [
        e.get("intervention_id") for e in frozen.events if e.type == "intervention_proposed"
    ]
    assert target
    try:
        s = signer(world, "regulator")
        body = refused(get(url, WHOAMI, s.header("GET", WHOAMI, "", b"")), 403, ErrSignerInactive)
        assert "frozen" in body["message"]
    finally:
        world.send(
            "operator",
            lambda _: ivb.unfreeze_account(
                int(target), legal_basis="lifted", deadline_height=height + 50
            ),
        )
    assert (
        get(url, WHOAMI, signer(world, "regulator").header("GET", WHOAMI, "", b"")).status_code
        == 200
    )
