"""Data rights through real blocks: grant, use, revoke, rotate, forget, and the access log.

The default chain has accounts 1..3 (Ed25519 account keys). Account 1 owns
the data (its DID has an Ed25519 authentication key); accounts 2 and 3 are
grantees whose DIDs carry an SM2 keyAgreement key the data keys are sealed to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from finchain.app import TxResult
from finchain.chain import FinchainApp
from finchain.client import datarights_builders as drb
from finchain.client import identity_builders as ib
from finchain.codec import RawMsg
from finchain.crypto import EncryptionKey, ErrDecryptionFailed, generate_private_key
from finchain.errors import ErrorCode, FinchainError
from finchain.modules.accounts.types import account_id
from finchain.modules.datarights.errors import (
    ErrAccessNotRecorded,
    ErrAssetNotFound,
    ErrBadGenesis,
    ErrBadKeyAgreement,
    ErrBadWraps,
    ErrGranteeInactive,
    ErrGrantExists,
    ErrNoActiveGrant,
    ErrNoKeyForVersion,
    ErrNotGrantee,
    ErrNotOwner,
    ErrOutsideWindow,
    ErrOwnerInactive,
    ErrPurposeNotAllowed,
    ErrPurposeNotGranted,
    ErrVersionForgotten,
    ErrVersionNotFound,
    ErrWindowOver,
)
from finchain.modules.datarights.keys import STORE
from finchain.offchain.datarights import (
    PayloadStore,
    decrypt_payload,
    encrypt_payload,
    grant_message,
    key_agreement_method,
    open_asset,
    rotate,
    unwrap_key,
    wrap_context,
)
from tests.harness import CHAIN_ID, Chain

A = {n: account_id(n) for n in range(1, 4)}
SUITE = "intl"
SECOND = 1_000_000_000
DATA = b"customer ledger, Q3: 1,204 rows of account balances"


class World:
    """A chain, three DIDs, a payload store, and the steps the scenarios are written in."""

    def __init__(self, chain: Chain, root: Path) -> None:
        self.chain = chain
        self.app = chain.app
        self.store = PayloadStore(root, suite=SUITE)
        self.ka_keys: dict[int, EncryptionKey] = {}
        self.dids = {who: self._make_did(who) for who in (1, 2, 3)}

    # -- plumbing ---------------------------------------------------------------------------

    def send(self, who: int, *msgs: RawMsg) -> TxResult:
        signer = self.chain.signer(who)
        signer.nonce = self.app.accounts.nonce(self.app.state, A[who])
        (result,) = self.chain.block(signer.sign(*msgs))
        return result

    def ok(self, who: int, *msgs: RawMsg) -> TxResult:
        result = self.send(who, *msgs)
        assert result.ok, result.log
        return result

    def query(self, path: str, **params: Any) -> Any:
        return self.app.query(f"datarights/{path}", params).value

    def idle(self, blocks: int) -> None:
        for _ in range(blocks):
            self.chain.block()

    def _make_did(self, who: int) -> str:
        auth = generate_private_key("ed25519")
        agreement = generate_private_key("sm2")
        self.ka_keys[who] = EncryptionKey(agreement)
        result = self.ok(
            who,
            ib.create_did(
                [ib.did_key("auth", auth), ib.did_key("ka", agreement, ["keyAgreement"])]
            ),
        )
        (event,) = [e for e in result.events if e.type == "did_created"]
        return str(event.get("did"))

    def document(self, who: int) -> dict[str, Any]:
        return self.app.query("identity/resolve", {"did": self.dids[who]}).value["didDocument"]

    # -- owner steps ------------------------------------------------------------------------

    def register(self, data: bytes = DATA, purposes: tuple[str, ...] = ("audit", "scoring")):
        sealed = encrypt_payload(data, SUITE, chain_id=CHAIN_ID, owner=self.dids[1], version=1)
        address = self.store.put(sealed.blob)
        result = self.ok(
            1,
            drb.register_asset(
                self.dids[1],
                sealed.content_hash,
                sealed.key_id,
                title="Q3 ledger",
                purposes=purposes,
                terms="internal audit only",
                location=self.store.uri(address),
            ),
        )
        (event,) = [e for e in result.events if e.type == "data_asset_registered"]
        return int(str(event.get("asset"))), sealed, address

    def grant_msg(
        self,
        asset: int,
        data_key: bytes,
        who: int,
        *,
        version: int = 1,
        purposes: tuple[str, ...] = ("audit",),
        start: int = 0,
        length: int = 100 * SECOND,
    ) -> RawMsg:
        now = self.chain.time_ns
        return grant_message(
            data_key,
            chain_id=CHAIN_ID,
            asset=asset,
            version=version,
            grantee=self.dids[who],
            method=key_agreement_method(self.document(who)),
            purposes=purposes,
            not_before=now + start,
            not_after=now + start + length,
        )

    # -- grantee steps ----------------------------------------------------------------------

    def access(self, who: int, asset: int, *, purpose: str = "audit", version: int = 1):
        return self.send(
            who, drb.record_access(asset, self.dids[who], purpose=purpose, version=version)
        )

    def open(self, who: int, asset: int, blob: bytes, *, version: int = 1) -> bytes:
        return open_asset(
            ChainLedger(self, who),
            asset=asset,
            grantee=self.dids[who],
            purpose="audit",
            version=version,
            key=self.ka_keys[who],
            blob=blob,
        )

    def log(self, asset: int) -> list[dict[str, Any]]:
        return list(self.query("access_log", asset=asset)["items"])


class ChainLedger:
    """open_asset's Ledger over the in-process chain, as account ``who``."""

    chain_id = CHAIN_ID

    def __init__(self, world: World, who: int) -> None:
        self.world = world
        self.who = who

    def commit(self, msg: RawMsg) -> None:
        result = self.world.send(self.who, msg)
        if not result.ok:
            raise ErrAccessNotRecorded(f"{result.codespace}:{result.code} {result.log}")

    def query(self, path: str, params: Mapping[str, str]) -> Any:
        return self.world.app.query(path, dict(params)).value


def refused(result: TxResult, error: ErrorCode) -> None:
    assert (result.codespace, result.code) == (error.codespace, error.code), result.log
    assert result.events == ()


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(Chain(tmp_path / "db"), tmp_path / "payloads")


def test_grant_then_open_records_the_access_on_chain(world: World) -> None:
    asset, sealed, address = world.register()
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2))

    assert world.open(2, asset, world.store.get(address)) == DATA

    (entry,) = world.log(asset)
    assert entry["grantee"] == world.dids[2]
    assert (entry["account"], entry["purpose"], entry["version"]) == (A[2], "audit", 1)
    assert entry["height"] == world.app.height
    assert entry["time_ns"] == world.chain.time_ns
    (by_grantee,) = world.query("accesses_by", grantee=world.dids[2])["items"]
    assert by_grantee == entry
    assert world.query("asset", asset=asset)["accesses"] == 1


def test_every_successful_access_is_a_queryable_record_and_an_event(world: World) -> None:
    asset, sealed, _ = world.register()
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2, purposes=("audit", "scoring")))
    world.ok(1, world.grant_msg(asset, sealed.data_key, 3))
    results = [
        world.access(2, asset),
        world.access(3, asset),
        world.access(2, asset, purpose="scoring"),
    ]
    for result in results:
        assert result.ok, result.log
        assert [e.type for e in result.events] == ["data_accessed"]
    log = world.log(asset)
    assert [(e["seq"], e["grantee"], e["purpose"]) for e in log] == [
        (0, world.dids[2], "audit"),
        (1, world.dids[3], "audit"),
        (2, world.dids[2], "scoring"),
    ]
    page = world.query("access_log", asset=asset, limit="2")
    assert len(page["items"]) == 2 and page["next_cursor"] == "2"
    rest = world.query("access_log", asset=asset, limit="2", cursor=page["next_cursor"])
    assert rest["items"] == log[2:] and rest["next_cursor"] is None
    mine = world.query("accesses_by", grantee=world.dids[2])["items"]
    assert [e["seq"] for e in mine] == [0, 2]


def test_access_before_the_window_opens_or_after_it_closes_is_refused(world: World) -> None:
    asset, sealed, _ = world.register()
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2, start=5 * SECOND, length=3 * SECOND))
    refused(world.access(2, asset), ErrOutsideWindow)
    world.idle(4)
    assert world.access(2, asset).ok
    world.idle(4)
    refused(world.access(2, asset), ErrOutsideWindow)
    assert len(world.log(asset)) == 1


def test_a_purpose_outside_the_grant_or_the_asset_is_refused(world: World) -> None:
    asset, sealed, _ = world.register(purposes=("audit", "scoring"))
    refused(
        world.send(1, world.grant_msg(asset, sealed.data_key, 2, purposes=("marketing",))),
        ErrPurposeNotAllowed,
    )
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2, purposes=("audit",)))
    refused(world.access(2, asset, purpose="scoring"), ErrPurposeNotGranted)
    assert world.log(asset) == []


def test_revoked_grantee_is_refused_and_rotation_shuts_it_out_of_new_versions(
    world: World,
) -> None:
    asset, sealed, address = world.register()
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2))
    world.ok(1, world.grant_msg(asset, sealed.data_key, 3))
    assert world.open(2, asset, world.store.get(address)) == DATA
    old = world.query("wrapped_key", asset=asset, grantee=world.dids[2], version=1)
    kept_key = unwrap_key(
        bytes.fromhex(old["wrapped_key"]),
        world.ka_keys[2],
        context=wrap_context(CHAIN_ID, asset, 1, world.dids[2]),
    )

    revocation = world.ok(1, drb.revoke(asset, world.dids[2]))
    assert [e.type for e in revocation.events] == ["data_access_revoked"]
    refused(world.access(2, asset), ErrNoActiveGrant)
    with pytest.raises(FinchainError) as raised:
        world.open(2, asset, world.store.get(address))
    assert raised.value.error is ErrAccessNotRecorded

    new_data = DATA + b" (restated)"
    rotation = rotate(
        new_data,
        SUITE,
        chain_id=CHAIN_ID,
        asset=asset,
        owner=world.dids[1],
        version=2,
        keep=[(world.dids[3], key_agreement_method(world.document(3)))],
    )
    new_address = world.store.put(rotation.payload.blob)
    world.ok(1, rotation.message)

    assert world.open(3, asset, world.store.get(new_address), version=2) == new_data
    refused(world.access(2, asset, version=2), ErrNoActiveGrant)
    with pytest.raises(FinchainError) as raised:
        decrypt_payload(
            world.store.get(new_address),
            kept_key,
            SUITE,
            chain_id=CHAIN_ID,
            owner=world.dids[1],
            version=2,
            content_hash=rotation.payload.content_hash,
        )
    assert raised.value.error is ErrDecryptionFailed
    grants = world.query("grants", asset=asset)["items"]
    assert [(g["grantee"], g["revoked"]) for g in grants] == [
        (world.dids[2], True),
        (world.dids[3], False),
    ]
    assert [e["grantee"] for e in world.log(asset)] == [world.dids[2], world.dids[3]]


def test_regrant_after_revocation_and_no_second_active_grant(world: World) -> None:
    asset, sealed, _ = world.register()
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2))
    refused(world.send(1, world.grant_msg(asset, sealed.data_key, 2)), ErrGrantExists)
    world.ok(1, drb.revoke(asset, world.dids[2]))
    refused(world.send(1, drb.revoke(asset, world.dids[2])), ErrNoActiveGrant)
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2))
    assert world.access(2, asset).ok
    to_grantee = world.query("grants_to", grantee=world.dids[2])["items"]
    assert [g["revoked"] for g in to_grantee] == [True, False]
    assert world.log(asset)[0]["grant"] == to_grantee[1]["id"]


def test_a_version_without_a_key_for_the_grantee_is_refused(world: World) -> None:
    asset, sealed, _ = world.register()
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2))
    rotation = rotate(
        DATA, SUITE, chain_id=CHAIN_ID, asset=asset, owner=world.dids[1], version=2, keep=[]
    )
    world.ok(1, rotation.message)
    refused(world.access(2, asset, version=2), ErrNoKeyForVersion)
    assert world.access(2, asset, version=1).ok
    refused(world.access(2, asset, version=3), ErrVersionNotFound)


def test_forget_keeps_the_hash_and_the_history(world: World) -> None:
    asset, sealed, address = world.register()
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2))
    assert world.access(2, asset).ok
    before = world.query("asset", asset=asset)

    assert world.store.delete(address)
    result = world.ok(1, drb.forget(asset, 1))
    assert [e.type for e in result.events] == ["data_payload_forgotten"]

    after = world.query("asset", asset=asset)
    (version,) = after["version_list"]
    assert version["hash"] == sealed.content_hash.hex()
    assert version["forgotten"] and version["forgotten_height"] == world.app.height
    assert version["location"] == before["version_list"][0]["location"]
    assert len(world.log(asset)) == 1
    refused(world.access(2, asset), ErrVersionForgotten)
    refused(world.send(1, drb.forget(asset, 1)), ErrVersionForgotten)
    assert not world.store.has(address)


def test_only_the_owner_may_grant_revoke_add_versions_or_forget(world: World) -> None:
    asset, sealed, _ = world.register()
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2))
    refused(world.send(2, world.grant_msg(asset, sealed.data_key, 3)), ErrNotOwner)
    refused(world.send(3, drb.revoke(asset, world.dids[2])), ErrNotOwner)
    refused(world.send(2, drb.forget(asset, 1)), ErrNotOwner)
    rotation = rotate(
        DATA, SUITE, chain_id=CHAIN_ID, asset=asset, owner=world.dids[1], version=2, keep=[]
    )
    refused(world.send(2, rotation.message), ErrNotOwner)
    refused(
        world.send(
            2,
            drb.register_asset(
                world.dids[1], sealed.content_hash, sealed.key_id, title="x", purposes=["audit"]
            ),
        ),
        ErrNotOwner,
    )
    assert world.query("asset", asset=asset)["active_grants"] == 1


def test_only_the_grantee_records_its_access(world: World) -> None:
    asset, sealed, _ = world.register()
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2))
    stolen = drb.record_access(asset, world.dids[2], purpose="audit", version=1)
    refused(world.send(3, stolen), ErrNotGrantee)
    refused(world.access(3, asset), ErrNoActiveGrant)
    assert world.log(asset) == []


def test_grant_must_seal_to_an_sm2_key_agreement_key_of_an_active_did(world: World) -> None:
    asset, sealed, _ = world.register()
    method = key_agreement_method(world.document(2))
    good = grant_message(
        sealed.data_key,
        chain_id=CHAIN_ID,
        asset=asset,
        version=1,
        grantee=world.dids[2],
        method=method,
        purposes=["audit"],
        not_before=0,
        not_after=world.chain.time_ns + 100 * SECOND,
    )
    wrong_key = RawMsg(good.type, {**good.value, "key_id": "auth"})
    refused(world.send(1, wrong_key), ErrBadKeyAgreement)

    secp = generate_private_key("secp256k1")
    world.ok(
        2, ib.update_did(world.dids[2], add_methods=[ib.did_key("k2", secp, ["keyAgreement"])])
    )
    refused(world.send(1, RawMsg(good.type, {**good.value, "key_id": "k2"})), ErrBadKeyAgreement)

    over = RawMsg(good.type, {**good.value, "not_after": world.chain.time_ns})
    refused(world.send(1, over), ErrWindowOver)

    world.ok(3, RawMsg("identity/deactivate_did", {"did": world.dids[3]}))
    gone = RawMsg(good.type, {**good.value, "grantee": world.dids[3]})
    refused(world.send(1, gone), ErrGranteeInactive)
    world.ok(1, good)


def test_add_version_wraps_only_for_active_grantees(world: World) -> None:
    asset, sealed, _ = world.register()
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2))
    stray = rotate(
        DATA,
        SUITE,
        chain_id=CHAIN_ID,
        asset=asset,
        owner=world.dids[1],
        version=2,
        keep=[(world.dids[3], key_agreement_method(world.document(3)))],
    )
    refused(world.send(1, stray.message), ErrBadWraps)
    assert world.query("asset", asset=asset)["versions"] == 1


def test_unknown_asset_and_state_stays_consistent(world: World) -> None:
    refused(
        world.send(2, drb.record_access(9, world.dids[2], purpose="audit", version=1)),
        ErrAssetNotFound,
    )
    asset, sealed, _ = world.register()
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2))
    world.ok(1, drb.revoke(asset, world.dids[2]))
    assert world.app.check_invariants() == []
    exported = world.app.export_genesis()["datarights"]
    assert [a["id"] for a in exported["assets"]] == [asset]
    assert [(g["id"], g["revoked"]) for g in exported["grants"]] == [(1, True)]
    (wrap,) = exported["wrapped_keys"]
    assert (wrap["grant"], wrap["version"], wrap["key_method"]) == (1, 1, "ka")


def test_grants_end_when_the_owner_did_is_deactivated(world: World) -> None:
    """Nobody can revoke for a deactivated owner (a DID governance retired because it was
    compromised, say), so its grants must not run on: access is refused, nothing logged."""
    asset, sealed, _ = world.register()
    world.ok(1, world.grant_msg(asset, sealed.data_key, 2))
    assert world.access(2, asset).ok
    world.ok(1, RawMsg("identity/deactivate_did", {"did": world.dids[1]}))

    result = world.access(2, asset)
    refused(result, ErrOwnerInactive)
    assert world.dids[1] in result.log
    assert len(world.log(asset)) == 1
    refused(world.send(1, drb.revoke(asset, world.dids[2])), ErrNotOwner)


# -- genesis: the whole state out and back in ---------------------------------------------------


def entries(app: FinchainApp) -> list[tuple[bytes, bytes]]:
    """Every committed state entry of the data-rights module."""
    return list(app.state.iterate(STORE.prefix))


def carried(world: World, path: Path, section: Any) -> FinchainApp:
    """A fresh chain whose genesis holds ``section`` as its data-rights state, a month later."""
    app_state = {**world.chain.genesis.app_state, "datarights": section}
    genesis = replace(world.chain.genesis, genesis_time="2026-02-01T00:00:00Z", app_state=app_state)
    app = FinchainApp(path)
    app.init_chain(genesis)
    return app


def busy_world(world: World) -> None:
    """Two assets, grants revoked and given again, a rotation, a deletion, accesses in one block."""
    first, sealed, _ = world.register()
    second, other, _ = world.register(b"second ledger", purposes=("audit",))
    world.ok(1, world.grant_msg(first, sealed.data_key, 2, purposes=("audit", "scoring")))
    world.ok(1, world.grant_msg(first, sealed.data_key, 3))
    world.ok(1, world.grant_msg(second, other.data_key, 2))
    assert world.access(2, first).ok
    signer = world.chain.signer(2)
    signer.nonce = world.app.accounts.nonce(world.app.state, A[2])
    both = [  # the grantee's own order crosses the assets' logs within one block
        signer.sign(drb.record_access(second, world.dids[2], purpose="audit", version=1)),
        signer.sign(drb.record_access(first, world.dids[2], purpose="scoring", version=1)),
    ]
    assert all(r.ok for r in world.chain.block(*both))
    world.ok(1, drb.revoke(first, world.dids[3]))
    keep = [(world.dids[2], key_agreement_method(world.document(2)))]
    world.ok(
        1,
        rotate(
            DATA, SUITE, chain_id=CHAIN_ID, asset=first, owner=world.dids[1], version=2, keep=keep
        ).message,
    )
    world.ok(1, drb.forget(first, 1))
    world.ok(1, world.grant_msg(first, sealed.data_key, 3, version=2))
    assert world.access(3, first, version=2).ok
    assert world.access(2, first, version=2).ok


def test_genesis_export_imports_into_the_same_state_entry_for_entry(
    world: World, tmp_path: Path
) -> None:
    busy_world(world)
    assert world.app.check_invariants() == []
    exported = world.app.export_genesis()["datarights"]
    assert [len(exported[t]) for t in ("assets", "versions", "grants", "accesses")] == [2, 3, 4, 5]
    mine = world.query("accesses_by", grantee=world.dids[2])["items"]
    assert [(a["asset"], a["seq"], a["grantee_seq"]) for a in mine] == [
        (1, 0, 0),
        (2, 0, 1),
        (1, 1, 2),
        (1, 3, 3),
    ]

    again = carried(world, tmp_path / "carried", exported)
    assert entries(again) == entries(world.app), "records, indexes, lists and counters"
    assert again.export_genesis()["datarights"] == exported
    assert again.check_invariants() == []
    assert again.query("datarights/accesses_by", {"grantee": world.dids[2]}).value == {
        "grantee": world.dids[2],
        "items": mine,
        "next_cursor": None,
    }
    fresh = carried(world, tmp_path / "empty", {"assets": []})
    assert entries(fresh) == [] and fresh.export_genesis()["datarights"] == {"assets": []}


def test_genesis_that_disagrees_with_itself_is_refused(world: World, tmp_path: Path) -> None:
    busy_world(world)
    exported = world.app.export_genesis()["datarights"]

    def changed(table: str, index: int, **fields: Any) -> dict[str, Any]:
        rows = [dict(row) for row in exported[table]]
        rows[index].update(fields)
        return {**exported, table: rows}

    def without(table: str, index: int) -> dict[str, Any]:
        return {**exported, table: [r for i, r in enumerate(exported[table]) if i != index]}

    for name, section in (
        ("asset id gap", changed("assets", 1, id=3)),
        ("version count", changed("assets", 1, versions=2)),
        ("missing version", without("versions", 2)),
        ("grant count", changed("assets", 0, grants=2)),
        ("active count", changed("assets", 0, active_grants=3)),
        ("two active grants", changed("grants", 2, asset=1, grantee=world.dids[2])),
        ("grant id gap", changed("grants", 3, id=7)),
        ("grant purpose", changed("grants", 2, purposes=["scoring"])),
        ("derived revoked", changed("grants", 0, revoked=True)),
        ("derived forgotten", changed("versions", 0, forgotten=False)),
        ("wrap of no grant", changed("wrapped_keys", -1, grant=9)),
        ("wrap of no version", changed("wrapped_keys", -1, version=9)),
        ("access log gap", changed("accesses", 1, seq=5)),
        ("access grant", changed("accesses", 0, grant=2)),
        ("grantee order", changed("accesses", 0, grantee_seq=2)),
        ("grantee seq gap", changed("accesses", 3, grantee_seq=7)),
        ("bad hex", changed("versions", 0, hash="XY" * 32)),
        ("unknown table", {**exported, "notes": []}),
        ("future", changed("assets", 0, time_ns=2**62)),
    ):
        with pytest.raises(FinchainError) as err:
            carried(world, tmp_path / name.replace(" ", "-"), section)
        assert ErrBadGenesis.matches(err.value), (name, err.value)
