"""Request bodies decode one way only: a duplicate key is refused (``api:19``), never resolved.

Over HTTP against a real solo node, then the decoder alone under hypothesis: on
any JSON text it agrees with ``json.loads`` unless an object repeats a key; it
refuses every repeat, however deep; and on any bytes at all it answers a value
or an ``api`` error, never another exception.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.client import builders as b
from finchain.errors import FinchainError
from finchain.node.api.errors import ErrDuplicateKey, ErrMalformedJson
from finchain.node.api.jsonbody import loads_strict
from tests.client.live import LiveNode, live_node, serve

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    with live_node(tmp_path_factory.mktemp("json-body")) as node:
        yield node


@pytest.fixture(scope="module")
def http(live: LiveNode) -> Iterator[httpx.Client]:
    with serve(live.app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def expect(response: httpx.Response, status: int, code: int) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert (response.status_code, body["codespace"], body["code"]) == (status, "api", code), body
    return body


def test_a_repeated_field_is_refused_and_nothing_is_submitted(
    http: httpx.Client, live: LiveNode
) -> None:
    signer = live.signer("operator")
    first = signer.sign(b.transfer((live.ids["bob"], "CNY", 1)))
    second = signer.sign(b.transfer((live.ids["alice"], "CNY", 2)))
    body = f'{{"tx": "{b64(first)}", "tx": "{b64(second)}"}}'
    before = live.node.status().mempool_size
    refused = expect(http.post("/v1/txs", content=body, headers=JSON), 400, 19)
    assert "'tx' twice" in refused["message"] and refused["details"] == {"key": "tx"}
    assert live.node.status().mempool_size == before
    ok = http.post("/v1/txs", content=json.dumps({"tx": b64(first)}), headers=JSON)
    assert ok.status_code == 200 and ok.json()["check"]["code"] == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"txs": ["AAAA"], "txs": ["AAAA"]}', id="top-level"),
        pytest.param('{"txs": ["AAAA"], "x": {"a": 1, "a": 1}}', id="nested-unknown-field"),
        pytest.param('{"txs": [{"k": 1, "k": 2}]}', id="inside-the-list"),
    ],
)
def test_batch_bodies_with_a_repeated_key_are_refused(http: httpx.Client, body: str) -> None:
    expect(http.post("/v1/txs/batch", content=body, headers=JSON), 400, 19)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(b"\xef\xbb\xbf{}", 2, id="utf8-bom"),
        pytest.param('{"tx": "AAAA"}'.encode("utf-16"), 2, id="utf16"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, 2, id="nested-too-deep"),
        pytest.param(b'{"tx": NaN}', 2, id="nan-is-not-json"),
        pytest.param(b'{"tx": "AAAA", "TX": "AAAA"}', 5, id="keys-differ-in-case"),
        pytest.param(b"", 6, id="empty-body"),
    ],
)
def test_other_bodies_keep_their_codes(http: httpx.Client, body: bytes, code: int) -> None:
    expect(http.post("/v1/txs", content=body, headers=JSON), 400, code)


# -- the decoder alone ------------------------------------------------------------------------

KEYS = st.text(max_size=3)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=400)
@given(VALUES)
def test_decodes_what_the_standard_library_decodes(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    assert loads_strict(text.encode()) == json.loads(text) == value


def with_repeat(value: Any, key: str, repeat: Any, depth: int) -> str:
    """``value`` as JSON text with one object, ``depth`` levels down, repeating ``key``."""
    inner = {key: 0, "filler": [1]}  # "filler" is longer than any drawn key
    for _ in range(depth):
        inner = {"n": [inner]}
    text = json.dumps({"v": value, "w": inner})
    return text.replace(
        f"{json.dumps(key)}: 0", f"{json.dumps(key)}: 0, {json.dumps(key)}: {json.dumps(repeat)}", 1
    )


@settings(max_examples=300)
@given(VALUES, KEYS, VALUES, st.integers(min_value=0, max_value=20))
def test_refuses_a_repeated_key_at_any_depth(value: Any, key: str, repeat: Any, depth: int) -> None:
    text = with_repeat(value, key, repeat, depth)
    with pytest.raises(FinchainError) as refused:
        loads_strict(text.encode())
    assert ErrDuplicateKey.matches(refused.value), text
    assert refused.value.details["key"] == key[:64]


@settings(max_examples=1000)
@given(st.binary(max_size=64) | st.text(max_size=40).map(str.encode))
def test_any_bytes_give_a_value_or_an_api_error(raw: bytes) -> None:
    try:
        value = loads_strict(raw)
    except FinchainError as exc:
        assert ErrDuplicateKey.matches(exc) or ErrMalformedJson.matches(exc), exc
        return
    assert value == json.loads(raw.decode("utf-8"))  # and NaN, which json.loads takes, is refused
