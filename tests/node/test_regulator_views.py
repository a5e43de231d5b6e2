"""Penetrating queries: a regulator sees exactly the holdings behind a DID, an institution and an
account built by real transactions (regulator_world); anyone else gets a refusal and no data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from finchain.client import AsyncClient, Client, PermissionDeniedError
from finchain.client.regulator import RequestSigner
from finchain.errors import FinchainError
from finchain.formats.did import make_did
from finchain.modules.accounts.types import account_id
from finchain.modules.identity.errors import ErrDidNotFound
from finchain.node.api.errors import ErrBadParameter
from finchain.node.api.regulator_auth import ErrNoSignature, ErrNotRegulator
from tests.client.live import serve
from tests.node.regulator_world import World, regulator_world

START_CNY, START_USD = 1_000_000, 5_000


@pytest.fixture(scope="module", params=["intl", "gm"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with regulator_world(
        tmp_path_factory.mktemp(f"views-{request.param}"), suite=request.param
    ) as w:
        yield w


@pytest.fixture(scope="module")
def url(world: World) -> Iterator[str]:
    with serve(world.app) as base:
        yield base


def client(world: World, url: str, name: str = "regulator") -> httpx.Client:
    auth = RequestSigner(world.chain_id, world.suite, world.ids[name], [("k1", world.key(name))])
    return httpx.Client(base_url=url, auth=auth, timeout=30)


def value(http: httpx.Client, path: str, **params: Any) -> Any:
    answer = http.get(path, params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"height", "value"} and body["height"] >= 1
    return body["value"]


def holding(amount: int, frozen: int = 0) -> dict[str, str]:
    return {"amount": str(amount), "frozen": str(frozen), "spendable": str(amount - frozen)}


def expected(world: World) -> dict[str, dict[str, dict[str, str]]]:
    """Holdings after the world's transfers and freeze (regulator_world's docstring)."""
    return {
        world.ids["alice"]: {
            "CNY": holding(START_CNY - 250, 300),
            "USD": holding(START_USD + 1_000),
        },
        world.ids["bob"]: {"CNY": holding(START_CNY), "USD": holding(START_USD - 1_000)},
        world.ids["carol"]: {"CNY": holding(START_CNY + 250), "USD": holding(START_USD)},
    }


def by_asset(entry: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {h["asset"]: {k: v for k, v in h.items() if k != "asset"} for h in entry["holdings"]}


def test_everything_behind_a_did(world: World, url: str) -> None:
    with client(world, url) as http:
        view = value(http, f"/v1/regulator/dids/{world.dids['alice']}")
    alice, bob = world.ids["alice"], world.ids["bob"]
    want = expected(world)
    assert view["controller_account"] == alice and view["bound_accounts"] == sorted([alice, bob])
    assert {a["account"]: by_asset(a) for a in view["accounts"]} == {
        alice: want[alice],
        bob: want[bob],
    }
    roles = {a["account"]: a["roles"] for a in view["accounts"]}
    assert roles == {alice: ["controller", "bound"], bob: ["bound"]}
    assert view["totals"] == [
        {"asset": "CNY", "amount": str(2 * START_CNY - 250), "frozen": "300"},
        {"asset": "USD", "amount": str(2 * START_USD), "frozen": "0"},
    ]
    (on_alice,) = next(a for a in view["accounts"] if a["account"] == alice)["interventions"]
    assert on_alice["kind"] == "freeze_amount" and on_alice["status"] == "in_effect"
    assert next(a for a in view["accounts"] if a["account"] == bob)["interventions"] == []


def test_everything_behind_an_institution_paged(world: World, url: str) -> None:
    want = expected(world)
    bank = world.dids["bank"]
    with client(world, url) as http:
        whole = value(http, f"/v1/regulator/institutions/{bank}")
        first = value(http, f"/v1/regulator/institutions/{bank}", limit=2)
        rest = value(
            http, f"/v1/regulator/institutions/{bank}", limit=2, cursor=first["next_cursor"]
        )
        nobody = value(http, f"/v1/regulator/institutions/{world.dids['outsider']}")
    assert {a["account"]: by_asset(a) for a in whole["accounts"]} == want
    assert whole["next_cursor"] is None and whole["issuer"]["name"] == "Bank A"
    assert all(
        a["claim"]["tier"] == 1 and a["claim"]["status"] == "active" for a in whole["accounts"]
    )
    dids = {a["account"]: a["did"] for a in whole["accounts"]}
    assert dids == {
        world.ids["alice"]: world.dids["alice"],
        world.ids["bob"]: world.dids["alice"],
        world.ids["carol"]: world.dids["carol"],
    }
    assert len(first["accounts"]) == 2 and first["next_cursor"] == first["accounts"][-1]["account"]
    assert len(rest["accounts"]) == 1 and rest["next_cursor"] is None
    assert first["accounts"] + rest["accounts"] == whole["accounts"]
    assert nobody["accounts"] == [] and nobody["totals"] == [] and nobody["next_cursor"] is None


def test_one_accounts_full_state(world: World, url: str) -> None:
    alice = world.ids["alice"]
    with client(world, url) as http:
        view = value(http, f"/v1/regulator/accounts/{alice}")
    assert view["record"]["id"] == alice and view["record"]["status"] == "active"
    assert by_asset(view) == expected(world)[alice]
    (claim,) = view["claims"]
    assert claim["issuer"] == world.dids["bank"] and claim["tier"] == 1 and "escrow" not in claim
    assert view["did"] == world.dids["alice"]
    assert [d["did"] for d in view["controls"]] == [world.dids["alice"]]
    (freeze,) = view["interventions"]
    assert freeze["amount"] == "300"
    assert view["settlement"] == [] and view["escrows"] == [] and view["loans"] == []


@pytest.mark.parametrize(
    "path",
    ["/v1/regulator/dids/{did}", "/v1/regulator/institutions/{bank}", "/v1/regulator/accounts/{a}"],
)
def test_others_get_a_refusal_and_no_data(world: World, url: str, path: str) -> None:
    path = path.format(did=world.dids["alice"], bank=world.dids["bank"], a=world.ids["alice"])
    for name in ("bank", "outsider", "alice"):
        with client(world, url, name) as http:
            answer = http.get(path)
        body = answer.json()
        assert answer.status_code == 403 and (body["codespace"], body["code"]) == (
            ErrNotRegulator.codespace,
            ErrNotRegulator.code,
        )
        assert "holdings" not in answer.text and "1000000" not in answer.text
    unsigned = httpx.get(url + path, timeout=30)
    assert unsigned.status_code == 401
    assert (unsigned.json()["codespace"], unsigned.json()["code"]) == (
        ErrNoSignature.codespace,
        ErrNoSignature.code,
    )


def test_bad_parameters(world: World, url: str) -> None:
    with client(world, url) as http:
        for path in (
            "/v1/regulator/dids/not-a-did",
            "/v1/regulator/institutions/did:web:example.com",
            f"/v1/regulator/institutions/{world.dids['bank']}?limit=101",
            f"/v1/regulator/institutions/{world.dids['bank']}?cursor=FC00",
        ):
            answer = http.get(path)
            assert answer.status_code == 400, (path, answer.text)
        unknown = http.get(f"/v1/regulator/accounts/{world.ids['alice'][:-1]}9")
        assert unknown.status_code in (400, 404)
        assert http.get("/v1/regulator/dids/not-a-did").json()["code"] == ErrBadParameter.code


def test_sdk_views_match_the_http_answers(world: World, url: str) -> None:
    alice, bank = world.ids["alice"], world.dids["bank"]
    with Client(url) as sdk:
        sdk.use_regulator(world.ids["regulator"], [("k1", world.key("regulator"))])
        assert sdk.regulator_whoami()["account"] == world.ids["regulator"]
        behind = sdk.regulator_did(world.dids["alice"])["value"]
        page = sdk.regulator_institution(bank, limit=2)["value"]
        rest = sdk.regulator_institution(bank, limit=2, cursor=page["next_cursor"])["value"]
        account = sdk.regulator_account(alice)["value"]
    want = expected(world)
    assert {a["account"]: by_asset(a) for a in behind["accounts"]} == {
        k: v for k, v in want.items() if k != world.ids["carol"]
    }
    assert {a["account"]: by_asset(a) for a in page["accounts"] + rest["accounts"]} == want
    assert by_asset(account) == want[alice]


def test_async_sdk_views(world: World, url: str) -> None:
    async def read() -> dict[str, Any]:
        async with AsyncClient(url) as sdk:
            await sdk.use_regulator(world.ids["regulator"], [("k1", world.key("regulator"))])
            return await sdk.regulator_account(world.ids["bob"])

    answer = anyio.run(read)
    assert by_asset(answer["value"]) == expected(world)[world.ids["bob"]]


def test_sdk_refusal_is_a_typed_error(world: World, url: str) -> None:
    with Client(url) as sdk:
        sdk.use_regulator(world.ids["outsider"], [("k1", world.key("outsider"))])
        with pytest.raises(PermissionDeniedError) as caught:
            sdk.regulator_did(world.dids["alice"])
    assert (caught.value.codespace, caught.value.code) == (
        ErrNotRegulator.codespace,
        ErrNotRegulator.code,
    )


def test_unknown_did_and_account_are_the_chains_own_refusals(world: World, url: str) -> None:
    ghost_did = make_did(world.chain_id, 999)
    with client(world, url) as http:
        unknown = http.get(f"/v1/regulator/dids/{ghost_did}")
        assert unknown.status_code == 400, unknown.text
        assert (unknown.json()["codespace"], unknown.json()["code"]) == (
            ErrDidNotFound.codespace,
            ErrDidNotFound.code,
        )
        nobody = http.get(f"/v1/regulator/accounts/{account_id(999)}")
        assert nobody.status_code == 404 and nobody.json()["codespace"] == "accounts"


def test_claims_by_issuer_query_bounds(world: World) -> None:
    bank = world.dids["bank"]
    page = world.query("credentials/claims_by_issuer", issuer=bank, limit="1")
    assert len(page["claims"]) == 1 and page["next_cursor"] == page["claims"][0]["account"]
    for bad in ({"issuer": bank, "limit": "201"}, {"issuer": bank, "cursor": "FC1"}, {}):
        with pytest.raises(FinchainError) as caught:
            world.query("credentials/claims_by_issuer", **bad)
        assert caught.value.codespace == "tx"
