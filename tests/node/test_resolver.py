"""The DIF Universal Resolver route ``/1.0/identifiers/{did}`` over a real solo node.

Statuses follow the driver contract (200, 400, 404, 406, 410); ``versionId``
selects a past version; ``Accept`` picks the full resolution result or the bare
DID document.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from finchain.client import identity_builders as ib
from finchain.crypto import generate_private_key
from finchain.service.interface import SubmitMode
from tests.client.live import LiveNode, live_node, serve

RESULT = 'application/ld+json;profile="https://w3id.org/did-resolution"'


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    with live_node(tmp_path_factory.mktemp("resolver")) as node:
        yield node


@pytest.fixture(scope="module")
def http(live: LiveNode) -> Iterator[httpx.Client]:
    with serve(live.app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def commit(live: LiveNode, raw: bytes) -> dict[str, str]:
    (result,) = live.node.submit([raw], SubmitMode.COMMIT, timeout=10)
    assert result.deliver is not None and result.deliver.ok, result
    return {k: v for e in result.deliver.events for k, v in e.attributes}


@pytest.fixture(scope="module")
def dids(live: LiveNode) -> dict[str, str]:
    """alice's DID at version 2 (a key added), and bob's DID, deactivated."""
    alice, bob = live.signer("alice"), live.signer("bob")
    key = generate_private_key("ed25519")
    made = commit(live, alice.sign(ib.create_did([ib.did_key("k1", key)])))["did"]
    other = generate_private_key("ed25519")
    commit(live, alice.sign(ib.update_did(made, add_methods=[ib.did_key("k2", other)])))
    gone = commit(live, bob.sign(ib.create_did([ib.did_key("k1", key)])))["did"]
    commit(live, bob.sign(ib.deactivate_did(gone)))
    return {"active": made, "deactivated": gone}


def test_resolves_current_and_past_versions(http: httpx.Client, dids: dict[str, str]) -> None:
    did = dids["active"]
    current = http.get(f"/1.0/identifiers/{did}")
    assert current.status_code == 200 and current.headers["content-type"] == RESULT
    body = current.json()
    assert body["didDocument"]["id"] == did
    assert body["didDocumentMetadata"]["versionId"] == "2"
    assert {m["id"] for m in body["didDocument"]["verificationMethod"]} == {
        f"{did}#k1",
        f"{did}#k2",
    }
    first = http.get(f"/1.0/identifiers/{did}", params={"versionId": "1"}).json()
    assert first["didDocumentMetadata"]["versionId"] == "1"
    assert [m["id"] for m in first["didDocument"]["verificationMethod"]] == [f"{did}#k1"]


def test_accept_negotiation(http: httpx.Client, dids: dict[str, str]) -> None:
    did = dids["active"]
    bare = http.get(f"/1.0/identifiers/{did}", headers={"Accept": "application/did+json"})
    assert bare.status_code == 200
    assert bare.headers["content-type"].startswith("application/did+json")
    assert bare.json()["id"] == did and "didDocument" not in bare.json()
    refused = http.get(f"/1.0/identifiers/{did}", headers={"Accept": "text/html"})
    assert refused.status_code == 406
    assert refused.json()["didResolutionMetadata"]["error"] == "representationNotSupported"


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("did:finchain:test-solo:000000000100", 400, "invalidDid"),  # bad check digits
        ("did:example:123", 400, None),
        ("did:finchain:test-solo:999999999951", 404, "notFound"),
    ],
)
def test_errors(http: httpx.Client, path: str, status: int, error: str | None) -> None:
    response = http.get(f"/1.0/identifiers/{path}")
    assert response.status_code in ((status,) if error else (status, 501))
    body = response.json()
    assert body["didDocument"] is None
    if error is not None:
        assert body["didResolutionMetadata"]["error"] == error


def test_bad_version_and_missing_version(http: httpx.Client, dids: dict[str, str]) -> None:
    did = dids["active"]
    bad = http.get(f"/1.0/identifiers/{did}", params={"versionId": "zero"})
    assert bad.status_code == 400
    assert bad.json()["didResolutionMetadata"]["error"] == "invalidDidUrl"
    missing = http.get(f"/1.0/identifiers/{did}", params={"versionId": "9"})
    assert missing.status_code == 404


def test_deactivated_is_410_with_its_document(http: httpx.Client, dids: dict[str, str]) -> None:
    response = http.get(f"/1.0/identifiers/{dids['deactivated']}")
    assert response.status_code == 410
    assert response.json()["didDocumentMetadata"]["deactivated"] is True
