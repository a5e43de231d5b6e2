"""The owner's workflows as SDK calls, against a real node over HTTP (in this process).

``register_data``, ``grant_data`` and ``rotate_data_key`` are what ``finchain data
register|grant|rotate`` run; here a Python caller uses them with its own signers:
register, grant two grantees, revoke one, rotate (a refused rotation first, which must
leave the key file and the store as they were), and the kept grantee opens the new
version while the revoked one has no key for it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from finchain.cli.inprocess import LocalChain, local_chain
from finchain.client import Client, Signer
from finchain.client import datarights_builders as drb
from finchain.client import identity_builders as ib
from finchain.client.sending import send_tx, sender
from finchain.crypto import EncryptionKey, PrivateKey, generate_private_key
from finchain.errors import FinchainError
from finchain.node.home import DEV_PASSPHRASE_FILE, Home
from finchain.offchain.datarights import (
    ClientLedger,
    DataKeyError,
    KeyFile,
    grant_data,
    key_file_for,
    open_asset,
    register_data,
    rotate_data_key,
)

DATA_V1 = b"loan,amount\n1,1000000.00\n"
DATA_V2 = DATA_V1 + b"2,250000.00\n"
HOUR_NS = 3600 * 10**9


@pytest.fixture(scope="module")
def api() -> Iterator[LocalChain]:
    with local_chain(suite="gm", instant=True, block_interval=0.2) as chain:
        yield chain


def signer_for(chain: LocalChain, client: Client, name: str) -> Signer:
    passphrase = (chain.home / DEV_PASSPHRASE_FILE).read_text()
    key = Home(chain.home).keystore().load(name, passphrase)
    return client.signer(chain.accounts[name], [("k1", key)])


def did_of(client: Client, who: Signer, key_agreement: PrivateKey | None = None) -> str:
    """A DID controlled by ``who``'s account (with an SM2 keyAgreement key ``ka1``)."""
    methods = [ib.did_key("k1", who.keys[0][1])]
    if key_agreement is not None:
        methods.append(ib.did_key("ka1", key_agreement, ["keyAgreement"]))
    receipt = send_tx(client, who, ib.create_did(methods))
    assert receipt.ok and receipt.deliver is not None, receipt
    [event] = [e for e in receipt.deliver.events if e.type == "did_created"]
    return str(event.get("did"))


def test_register_grant_revoke_rotate_as_library_calls(api: LocalChain, tmp_path: Path) -> None:
    store, data_file = tmp_path / "store", tmp_path / "ledger.csv"
    key_file = key_file_for(data_file)
    assert key_file == tmp_path / "ledger.csv.fckey"
    with Client(api.url) as client:
        alice, bob, carol = (signer_for(api, client, n) for n in ("alice", "bob", "operator"))
        bob_ka, carol_ka = generate_private_key("sm2"), generate_private_key("sm2")
        owner = did_of(client, alice)
        bob_did, carol_did = did_of(client, bob, bob_ka), did_of(client, carol, carol_ka)
        owner_key = EncryptionKey(generate_private_key("sm2"))
        send = sender(client, alice)

        unlocked: list[str] = []

        def unlock() -> EncryptionKey:  # called once the inputs were checked
            unlocked.append("owner")
            return owner_key

        done = register_data(
            client, send, DATA_V1, owner=owner, owner_key=unlock, title="loans",
            purposes=["audit"], store_dir=store, key_file=key_file,
        )  # fmt: skip
        assert done.receipt.ok and isinstance(done.asset, int) and unlocked == ["owner"]
        assert KeyFile.read(key_file).asset == done.asset
        assert [p.name for p in store.iterdir()] == [done.address]
        with pytest.raises(DataKeyError, match="exists"):
            register_data(
                client, send, DATA_V1, owner=owner, owner_key=unlock, title="again",
                purposes=["audit"], store_dir=store, key_file=key_file,
            )  # fmt: skip
        assert unlocked == ["owner"]  # refused before the key was asked for

        now = time.time_ns()
        for grantee in (bob_did, carol_did):
            granted = grant_data(
                client, send, key_file=key_file, owner_key=owner_key, grantee=grantee,
                purposes=["audit"], not_before=now - HOUR_NS, not_after=now + 24 * HOUR_NS,
            )  # fmt: skip
            assert granted.receipt.ok and (granted.asset, granted.version) == (done.asset, 1)
        assert send(drb.revoke(done.asset, bob_did)).ok

        # Sent by an account that does not own the asset: refused, and nothing local changes.
        refused = rotate_data_key(
            client, sender(client, bob), DATA_V2, key_file=key_file, owner_key=owner_key,
            store_dir=store,
        )  # fmt: skip
        assert not refused.receipt.ok and refused.version == 2
        assert [v.version for v in KeyFile.read(key_file).versions] == [1]
        assert [p.name for p in store.iterdir()] == [done.address]

        rotated = rotate_data_key(
            client, send, DATA_V2, key_file=key_file, owner_key=owner_key, store_dir=store
        )
        assert rotated.receipt.ok and (rotated.version, rotated.kept) == (2, [carol_did])
        assert [v.version for v in KeyFile.read(key_file).versions] == [1, 2]
        blob = (store / rotated.address).read_bytes()
        opened = open_asset(
            ClientLedger(client, carol), asset=done.asset, grantee=carol_did, purpose="audit",
            version=2, key=EncryptionKey(carol_ka), blob=blob,
        )  # fmt: skip
        assert opened == DATA_V2
        with pytest.raises(FinchainError):  # bob's grant is revoked: nothing to open
            open_asset(
                ClientLedger(client, bob), asset=done.asset, grantee=bob_did, purpose="audit",
                version=2, key=EncryptionKey(bob_ka), blob=blob,
            )  # fmt: skip

        other = tmp_path / "other.fckey"
        KeyFile("another-chain", owner, done.asset, KeyFile.read(key_file).versions).write(other)
        with pytest.raises(DataKeyError, match="keys of chain 'another-chain'"):
            grant_data(
                client, send, key_file=other, owner_key=owner_key, grantee=carol_did,
                purposes=["audit"], not_before=0, not_after=now + HOUR_NS,
            )  # fmt: skip
