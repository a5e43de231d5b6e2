"""The OpenAPI document, without a node: what it lists, and its patterns against the parsers.

The live comparison (every status, content type and body against a running node)
is tests/functional/test_api_schemathesis.py; here the document is checked for
what that run cannot see: no 422 anywhere, the node's configured bounds, the
bearer scheme when logins are on, and each published pattern accepting exactly
what the code's own parser accepts (hypothesis, ECMA-262 anchoring).
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import pytest
from fastapi.routing import APIRoute
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.errors import FinchainError
from finchain.formats.did import _DID
from finchain.modules.accounts.types import account_id, is_account_id
from finchain.modules.escrow import queries as escrow_q
from finchain.modules.identity.queries import _VERSION_ID
from finchain.modules.lending import queries as lending_q
from finchain.modules.netting import queries as netting_q
from finchain.modules.receivables import queries as receivables_q
from finchain.modules.securities.types import is_valid_isin, isin_check_digit
from finchain.modules.settlement import queries as settlement_q
from finchain.node.api import ApiLimits, create_app
from finchain.node.api.jsonbody import StrictJsonRoute
from finchain.node.api.parse import (
    BASE64_PATTERN,
    TX_ID_PATTERN,
    decode_b64,
    parse_block_height,
    parse_tx_id,
)
from finchain.node.api.routes import (
    auth,
    chain,
    events,
    evidence,
    finance,
    receipts,
    resolver,
    state,
    txs,
)
from finchain.node.api.routes.common import ACCOUNT_PATTERN
from finchain.node.api.routes.events import TYPES_PATTERN, parse_types
from finchain.node.api.routes.finance import ISIN_PATTERN
from finchain.node.api.routes.resolver import DID_PATTERN, VERSION_ID_PATTERN
from finchain.node.auth.service import Authenticator
from finchain.node.config import AuthSection

LIMITS = ApiLimits(max_batch=321, request_timeout=12.5)
ERROR_REF = {"$ref": "#/components/schemas/ErrorModel"}
RESOLUTION_STATUSES = {"400", "404", "406", "410"}


def document(auth: Authenticator | None = None) -> dict[str, Any]:
    return create_app(MagicMock(), limits=LIMITS, auth=auth).openapi()


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, item in doc["paths"].items() for m, op in item.items()]


def ecma(pattern: str) -> re.Pattern[str]:
    """A JSON Schema pattern as Python reads it: ``$`` matches only at the very end."""
    return re.compile(pattern.removesuffix("$") + r"\Z" if pattern.endswith("$") else pattern)


def accepts(parse: Any, value: str) -> bool:
    try:
        parse(value)
    except (FinchainError, ValueError):
        return False
    return True


def test_no_422_and_every_error_has_the_error_body() -> None:
    doc = document()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, method, op in operations(doc):
        assert "422" not in op["responses"], (method, path)
        for status, response in op["responses"].items():
            if status.startswith("2") or path == "/v1/health":
                continue
            if path.startswith("/1.0/identifiers/") and status in RESOLUTION_STATUSES:
                continue  # the DIF driver contract: a resolution result, checked below
            assert response["content"] == {"application/json": {"schema": ERROR_REF}}, (
                method,
                path,
                status,
            )


def test_statuses_of_each_kind_of_route() -> None:
    doc = document()

    def statuses(path: str, method: str = "get") -> set[str]:
        return set(doc["paths"][path][method]["responses"])

    node = {"429", "500", "503", "504"}
    assert statuses("/v1/txs", "post") == {"200", "400", "408", "413", "415"} | node
    assert statuses("/v1/txs/batch", "post") == {"200", "400", "408", "413", "415"} | node
    assert statuses("/v1/status") == {"200"} | node
    assert statuses("/v1/blocks/{height}") == {"200", "400", "404"} | node
    assert statuses("/v1/assets") == {"200", "400"} | node
    assert statuses("/v1/events") == {"200", "400", "429"}
    for point in ("/v1/escrows/{escrow_id}", "/v1/securities/{isin}/schedule", "/v1/invoices"):
        assert statuses(point) == {"200", "400", "404"} | node  # an unknown id is a 404
    for listing in ("/v1/escrows", "/v1/loans", "/v1/settlement/instructions"):
        assert statuses(listing) == {"200", "400"} | node  # an unknown account lists nothing
    assert statuses("/1.0/identifiers/{did}") == {"200"} | RESOLUTION_STATUSES | node
    resolver = doc["paths"]["/1.0/identifiers/{did}"]["get"]["responses"]
    assert set(resolver["200"]["content"]) == {
        'application/ld+json;profile="https://w3id.org/did-resolution"',
        "application/did+ld+json",
        "application/did+json",
    }


def test_node_bounds_are_written_in() -> None:
    doc = document()
    batch = doc["components"]["schemas"]["SubmitBatchRequest"]["properties"]["txs"]
    assert (batch["minItems"], batch["maxItems"]) == (1, 321)
    for path in ("/v1/txs", "/v1/txs/batch"):
        (timeout,) = [p for p in doc["paths"][path]["post"]["parameters"] if p["name"] == "timeout"]
        assert timeout["schema"]["exclusiveMinimum"] == 0
        assert timeout["schema"]["maximum"] == 12.5


def test_event_stream_is_typed_per_event() -> None:
    doc = document()
    stream = doc["paths"]["/v1/events"]["get"]["responses"]["200"]["content"]
    assert list(stream) == ["text/event-stream"]
    assert "schema" not in stream["text/event-stream"]  # not "one string"
    kinds = stream["text/event-stream"]["itemSchema"]["oneOf"]
    assert [k["properties"]["event"]["enum"] for k in kinds] == [["block"], ["tx_event"]]
    for kind in kinds:
        ref = kind["properties"]["data"]["contentSchema"]["$ref"]
        assert ref.rsplit("/", 1)[1] in doc["components"]["schemas"]


def test_with_logins_gated_operations_document_the_bearer_scheme(tmp_path: Path) -> None:
    settings_ = AuthSection(enabled=True, required_for=("read", "submit"))
    doc = document(auth=Authenticator(tmp_path, settings_))
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, method, op in operations(doc):
        gated = path != "/v1/health" and not path.startswith("/v1/auth/")
        assert ("security" in op) == gated, (method, path)
        assert ({"401", "403"} <= set(op["responses"])) == gated or path.startswith("/v1/auth/")
    assert "403" not in doc["paths"]["/v1/auth/login"]["post"]["responses"]
    no_auth = document()
    # Without logins the only scheme is the regulator's request signature, on its routes.
    assert set(no_auth["components"]["securitySchemes"]) == {"finchainSignature"}
    for path, _, op in operations(no_auth):
        regulator = path.startswith("/v1/regulator/")
        assert op.get("security") == ([{"finchainSignature": []}] if regulator else None), path
    whoami = doc["paths"]["/v1/regulator/whoami"]["get"]
    assert whoami["security"] == [{"bearer": [], "finchainSignature": []}]  # both, together
    # Without logins only the regulator's routes answer 401 (their own request signatures).
    assert all(
        "401" not in op["responses"]
        for path, _, op in operations(no_auth)
        if not path.startswith("/v1/regulator/")
    )


def test_every_route_with_a_body_refuses_duplicate_keys() -> None:
    modules = (auth, chain, events, evidence, finance, receipts, resolver, state, txs)
    routes = [r for m in modules for r in m.router.routes if isinstance(r, APIRoute)]
    with_body = [r for r in routes if r.body_field is not None]
    assert {r.path for r in with_body} >= {"/txs", "/txs/batch", "/auth/login"}
    assert all(isinstance(r, StrictJsonRoute) for r in with_body)


# -- each published pattern accepts exactly what the parser accepts -----------------------------

B64_CHARS = st.sampled_from("ABCDQgwAEIMQUYcgkosw048+/=-_ a\n")


@settings(max_examples=500)
@given(st.one_of(st.text(B64_CHARS, max_size=12), st.binary(min_size=0, max_size=9)))
def test_base64_pattern_is_the_decoder(value: str | bytes) -> None:
    text = value if isinstance(value, str) else base64.b64encode(value).decode()
    assert bool(ecma(BASE64_PATTERN).match(text)) == accepts(decode_b64, text), text


@settings(max_examples=300)
@given(st.text("0123456789abcdefABCDEFxg\n", min_size=62, max_size=66))
def test_tx_id_pattern_is_the_parser(text: str) -> None:
    assert bool(ecma(TX_ID_PATTERN).match(text)) == accepts(parse_tx_id, text.lower()), text


@settings(max_examples=300)
@given(
    st.one_of(
        st.text("0123456789+-. e", max_size=21),
        st.integers(min_value=-5, max_value=2**64).map(str),
        st.just("latest"),
    )
)
def test_block_height_schema_is_the_parser(text: str) -> None:
    """anyOf ["latest", integer 1..2^63-1]: integers as a URL spells them, no leading zeros."""
    in_schema = text == "latest" or (
        re.fullmatch(r"-?[1-9][0-9]*|0", text) is not None and 1 <= int(text) <= 2**63 - 1
    )
    assert in_schema == accepts(parse_block_height, text), text


NAMES = st.text("ab_1A ", min_size=0, max_size=4)


@settings(max_examples=500)
@given(st.lists(NAMES, max_size=34).map(",".join))
def test_event_types_pattern_is_the_parser(text: str) -> None:
    assert bool(ecma(TYPES_PATTERN).match(text)) == accepts(parse_types, text), text


@settings(max_examples=200)
# Check digits 01-98 (those account_id writes): 00 and 99 also pass ISO 7064 as aliases of 97
# and 02, which the accounts module accepts today (reported with issue 10's OpenAPI work).
@given(st.integers(min_value=1, max_value=10**10 - 1), st.integers(min_value=1, max_value=98))
def test_account_pattern_says_all_but_the_check_digits(number: int, check: int) -> None:
    valid = account_id(number)
    assert ecma(ACCOUNT_PATTERN).match(valid) and is_account_id(valid)
    other = f"FC{check:02d}{number:010d}"  # pattern-valid; the check digits decide
    assert ecma(ACCOUNT_PATTERN).match(other)
    assert is_account_id(other) == (other == valid)


@settings(max_examples=200)
@given(st.text("AZ09", min_size=11, max_size=11), st.integers(min_value=0, max_value=9))
def test_isin_pattern_says_all_but_the_check_digit(body: str, check: int) -> None:
    isin = f"{body}{check}"
    assert bool(ecma(ISIN_PATTERN).match(isin)) == body[:2].isalpha()
    if body[:2].isalpha():
        assert is_valid_isin(isin) == (check == isin_check_digit(body))
    assert not ecma(ISIN_PATTERN).match(isin + "0") and not is_valid_isin(isin + "0")
    assert not ecma(ISIN_PATTERN).match(isin.lower() + "A")


def test_finance_point_reads_offer_proofs_and_listings_do_not() -> None:
    params = {
        path: {p["name"] for p in op.get("parameters", [])}
        for path, method, op in operations(document())
        if method == "get"
    }
    for path in (
        "/v1/settlement/instructions/{instruction_id}",
        "/v1/escrows/{escrow_id}",
        "/v1/netting/cycles/{cycle_id}",
        "/v1/securities/{isin}",
        "/v1/loans/{loan_id}",
        "/v1/loans/{loan_id}/schedule",
        "/v1/loans/{loan_id}/ltv",
        "/v1/invoices/{invoice_id}",
    ):
        assert {"height", "prove"} <= params[path], path
    for path in (
        "/v1/settlement/instructions",
        "/v1/escrows",
        "/v1/netting/cycles/{cycle_id}/unsettled",
        "/v1/securities/{isin}/schedule",
        "/v1/securities/{isin}/payments/{payment}/holders",
        "/v1/loans",
        "/v1/invoices",
    ):
        assert "prove" not in params[path] and "height" in params[path], path


def test_finance_page_sizes_are_the_queries() -> None:
    doc = document()
    for path, module in (
        ("/v1/settlement/instructions", settlement_q),
        ("/v1/escrows", escrow_q),
        ("/v1/netting/cycles/{cycle_id}/unsettled", netting_q),
        ("/v1/loans", lending_q),
        ("/v1/invoices", receivables_q),
    ):
        (limit,) = [p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == "limit"]
        assert limit["schema"]["maximum"] == module.MAX_LIMIT, path
        assert f"default {module.DEFAULT_LIMIT})" in limit["description"], path


def test_did_and_version_patterns_are_the_modules() -> None:
    assert f"^{_DID.pattern}$".replace("(", "").replace(")", "") == DID_PATTERN
    assert f"^{_VERSION_ID.pattern}$" == VERSION_ID_PATTERN


@pytest.mark.parametrize(
    "text", ["transfer", "transfer,coin_spent", "", "a" * 64, ",".join(["a"] * 32)]
)
def test_event_types_accepted(text: str) -> None:
    assert ecma(TYPES_PATTERN).match(text) and accepts(parse_types, text)


@pytest.mark.parametrize(
    "text", ["a, b", "a,,b", ",a", "A", "1a", "a" * 65, ",".join(["a"] * 33), " a"]
)
def test_event_types_refused(text: str) -> None:
    assert not ecma(TYPES_PATTERN).match(text) and not accepts(parse_types, text)
