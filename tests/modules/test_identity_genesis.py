"""Identity genesis: the default is empty; an exported registry imports into a new chain with
every version still resolvable; a broken export is refused with identity:20."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from finchain.app.application import Application
from finchain.chain import FinchainApp
from finchain.crypto import generate_private_key
from finchain.errors import FinchainError
from finchain.modules.identity.errors import ErrBadGenesis
from finchain.modules.identity.module import IdentityModule
from finchain.modules.identity.types import did_for
from tests.harness import CHAIN_ID, Chain, make_genesis
from tests.modules.test_identity import A, Registry, deactivate, method, rotate_key


def new_app(tmp_path, name: str, identity: dict[str, Any] | None) -> Application:
    genesis = make_genesis([generate_private_key("ed25519") for _ in range(3)])
    if identity is not None:
        genesis.app_state["identity"] = identity
    app = FinchainApp(tmp_path / name)
    app.init_chain(genesis)
    return app


@pytest.fixture
def exported(tmp_path) -> tuple[Registry, dict[str, Any]]:
    """DID 1 rotated and bound to account 2; DID 2 controlled by DID 1; DID 3 deactivated."""
    reg = Registry(Chain(tmp_path / "source"))
    auth = generate_private_key("ed25519")
    first = reg.create(1, method("k1", auth))
    assert reg.bind(2, first, "k1", auth).ok
    assert reg.send(1, rotate_key(first, "k1", generate_private_key("ed25519"))).ok
    reg.create(3, method("k1", generate_private_key("sm2")), controllers=[first])
    third = reg.create(1, method("k1", generate_private_key("ed25519")))
    assert reg.send(1, deactivate(third)).ok
    return reg, reg.identity_state()


def test_default_genesis_is_an_empty_registry(tmp_path):
    app = new_app(tmp_path, "db", None)
    assert app.export_genesis()["identity"] == {"next_number": 1, "dids": [], "bindings": []}
    assert app.check_invariants() == []


def test_an_exported_registry_imports_with_its_history(tmp_path, exported):
    reg, state = exported
    app = new_app(tmp_path, "target", copy.deepcopy(state))

    assert app.export_genesis()["identity"] == state
    assert app.check_invariants() == []
    for n in (1, 2, 3):
        did = did_for(CHAIN_ID, n)
        latest = int(reg.resolve(did)["didDocumentMetadata"]["versionId"])
        for version in range(1, latest + 1):
            params = {"did": did, "versionId": str(version)}
            assert app.query("identity/resolve", params).value == reg.resolve(**params)
    assert app.identity.did_of_account(app.state, A[2]) == did_for(CHAIN_ID, 1)
    assert app.identity.next_number(app.state) == 4


def _broken(state: dict[str, Any], how: str) -> dict[str, Any]:
    state = copy.deepcopy(state)
    first = state["dids"][0]["versions"]
    if how == "foreign chain":
        for version in first:
            version["did"] = did_for("other-chain", 1)
    elif how == "gap in versions":
        del first[0]
    elif how == "binding to a deactivated DID":
        state["bindings"][0]["did"] = did_for(CHAIN_ID, 3)
    elif how == "unknown controller":
        state["dids"][1]["versions"][-1]["controllers"] = [did_for(CHAIN_ID, 9)]
    elif how == "number at the counter":
        state["next_number"] = 3
    elif how == "time goes back":
        first[1]["updated_ns"] = first[0]["updated_ns"] - 1
    elif how == "bad key":
        first[0]["methods"][0]["public_key"] = "00" * 32
    elif how == "unknown field":
        state["dids"][0]["extra"] = 1
    return state


@pytest.mark.parametrize(
    "how",
    [
        "foreign chain",
        "gap in versions",
        "binding to a deactivated DID",
        "unknown controller",
        "number at the counter",
        "time goes back",
        "bad key",
        "unknown field",
    ],
)
def test_a_broken_export_is_refused(tmp_path, exported, how):
    _, state = exported
    with pytest.raises(FinchainError) as info:
        new_app(tmp_path, "target", _broken(state, how))
    assert info.value.error is ErrBadGenesis, info.value.message


def test_an_imported_registry_holds_the_same_entries(tmp_path, exported):
    """Export at height H, import into a fresh chain: every key of the module (records,
    history, counter, bindings and both indexes) holds the same bytes."""
    reg, state = exported
    app = new_app(tmp_path, "target", json.loads(json.dumps(state)))
    prefix = IdentityModule.store_key.prefix

    assert dict(app.state.iterate(prefix)) == dict(reg.app.state.iterate(prefix))
