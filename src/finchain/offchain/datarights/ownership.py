"""The owner's workflows over a node: register data, grant access, rotate the data key.

Each function does the whole job a data owner does, in the order that never
loses a key: encrypt the payload into a local :class:`PayloadStore`, seal the
version's data key to the owner's own key in the key file (``FILE.fckey``,
:mod:`~finchain.offchain.datarights.keyfile`) *before* the transaction is
sent, send it, and undo the local changes if the chain refused it. Sending is
the caller's: ``send`` signs one message as the owner's account and returns
the receipt (``finchain.client.sending.sender(client, owner_signer)`` re-signs
when another transaction took the nonce). The transactions wait for their
block: the asset id and the current version come from it.

Example::

    send = sender(client, alice_signer)
    owner_key = EncryptionKey(keystore.load("alice-data", pw))
    done = register_data(client, send, data, owner=alice_did, owner_key=owner_key,
                         title="loan book", purposes=["audit"], store_dir=Path("payloads"),
                         key_file=Path("ledger.csv.fckey"))
    grant_data(client, send, key_file=done.key_file, owner_key=owner_key, grantee=bank_did,
               purposes=["audit"], not_before=0, not_after=until_ns)
    # after revoke(asset, grantee): the next version under a key the revoked grantee lacks
    rotate_data_key(client, send, data_v2, key_file=done.key_file, owner_key=owner_key,
                    store_dir=Path("payloads"))

Errors: :class:`DataKeyError` (nothing sent) for inputs that do not fit the chain;
the chain's refusal is in the returned ``receipt`` (``receipt.ok`` is false).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finchain.client import Client, SubmitReceipt
from finchain.client import datarights_builders as drb
from finchain.client.sending import Send
from finchain.codec import RawMsg
from finchain.crypto import EncryptionKey
from finchain.modules.datarights import events
from finchain.offchain.datarights.access import suite_of_hash
from finchain.offchain.datarights.keyfile import DataKeyError, KeyFile, current_key, seal_for_owner
from finchain.offchain.datarights.owner import grant_message, rotate
from finchain.offchain.datarights.payload import encrypt_payload
from finchain.offchain.datarights.store import PayloadStore
from finchain.offchain.datarights.wrapping import key_agreement_method

_PAGE = "200"
KEY_FILE_SUFFIX = ".fckey"

# The owner's key, or a function that unlocks it: called once the inputs were checked
# against the chain, so a wrong file fails before anybody is asked for a passphrase.
OwnerKey = EncryptionKey | Callable[[], EncryptionKey]


def _unlocked(owner_key: OwnerKey) -> EncryptionKey:
    return owner_key if isinstance(owner_key, EncryptionKey) else owner_key()


@dataclass(frozen=True, slots=True)
class Registered:
    """A registration: ``asset`` is None unless it was seen committed."""

    asset: int | None
    address: str
    key_file: Path
    receipt: SubmitReceipt


@dataclass(frozen=True, slots=True)
class Granted:
    asset: int
    version: int
    grant: str | None
    receipt: SubmitReceipt


@dataclass(frozen=True, slots=True)
class Rotated:
    """A new version under a new data key, wrapped for the ``kept`` grantees."""

    asset: int
    version: int
    address: str
    kept: list[str]
    receipt: SubmitReceipt


def asset_record(client: Client, asset: int) -> dict[str, Any]:
    """The ``datarights/asset`` answer: owner, terms, hash, ``version_list``."""
    return dict(client.query("datarights/asset", {"asset": str(asset)}).value)


def asset_grants(client: Client, asset: int) -> list[dict[str, Any]]:
    """Every grant of the asset, revoked ones included, in the order granted."""
    items: list[dict[str, Any]] = []
    params = {"asset": str(asset), "limit": _PAGE}
    while True:
        page = client.query("datarights/grants", params).value
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


def grantee_key_method(client: Client, grantee: str, key_id: str | None) -> dict[str, Any]:
    """The grantee's keyAgreement method (from its current DID document) to wrap to."""
    document = client.query("identity/resolve", {"did": grantee}).value.get("didDocument")
    if not document:
        raise DataKeyError(f"{grantee} does not resolve on this chain: check the DID")
    return key_agreement_method(document, key_id)


def key_file_for(data_file: Path) -> Path:
    """Where the key file of the data in ``data_file`` goes: ``FILE.fckey`` beside it."""
    return data_file.with_name(data_file.name + KEY_FILE_SUFFIX)


def register_data(
    client: Client,
    send: Send,
    data: bytes,
    *,
    owner: str,
    owner_key: OwnerKey,
    title: str,
    purposes: list[str],
    store_dir: Path,
    key_file: Path,
    terms: str = "",
) -> Registered:
    """Encrypt ``data`` into ``store_dir`` as version 1, write ``key_file`` (its data key
    sealed to ``owner_key``; never over an existing file), and register the asset.

    ``send`` signs as an account that controls the ``owner`` DID. If the chain refuses,
    the key file and the stored payload are removed again; if the outcome is unknown
    (not seen committed), the key file keeps the key and the transaction id.
    """
    if key_file.exists():
        raise DataKeyError(
            f"{key_file} exists (the keys of an asset registered from the same file): "
            "move it away, or register a copy of the data under another name"
        )
    status = client.status()
    suite = suite_of_hash(status.hash_name)
    own = _unlocked(owner_key)
    sealed = encrypt_payload(data, suite, chain_id=status.chain_id, owner=owner, version=1)
    store = PayloadStore(store_dir, suite=suite)
    address = store.put(sealed.blob)
    entry = seal_for_owner(own, 1, sealed.content_hash, address, sealed.data_key)
    KeyFile(status.chain_id, owner, None, (entry,)).write(key_file)
    message = drb.register_asset(
        owner,
        sealed.content_hash,
        sealed.key_id,
        title=title,
        purposes=purposes,
        terms=terms,
        location=store.uri(address),
    )
    receipt = send(message)
    asset = _event(receipt, events.ASSET_REGISTERED, "asset")
    if not receipt.ok:  # refused: nothing on chain refers to the payload or the key
        key_file.unlink()
        store.delete(address)
    elif asset is not None:
        KeyFile(status.chain_id, owner, int(asset), (entry,)).write(key_file)
    else:  # not seen committed yet: keep the key, and how to find out
        KeyFile(status.chain_id, owner, None, (entry,), receipt.tx_id).write(key_file)
    return Registered(None if asset is None else int(asset), address, key_file, receipt)


@dataclass(frozen=True, slots=True)
class _Current:
    """The key file checked against the chain, and the asset's current version."""

    keys: KeyFile
    own: EncryptionKey
    record: dict[str, Any]
    version: int
    data_key: bytes
    suite: str


def _current(client: Client, key_file: Path, owner_key: OwnerKey) -> _Current:
    keys = KeyFile.read(key_file)
    status = client.status()
    keys.check_chain(status.chain_id, key_file)
    suite = suite_of_hash(status.hash_name)
    own = _unlocked(owner_key)
    record = asset_record(client, keys.asset) if keys.asset is not None else {}
    entry, data_key = current_key(key_file, keys, own, record, suite)
    return _Current(keys, own, record, entry.version, data_key, suite)


def grant_data(
    client: Client,
    send: Send,
    *,
    key_file: Path,
    owner_key: OwnerKey,
    grantee: str,
    purposes: list[str],
    not_before: int,
    not_after: int,
    key_id: str | None = None,
) -> Granted:
    """Grant ``grantee`` access to the asset's current version for ``purposes`` between
    ``not_before`` and ``not_after`` (ns), sealing its data key to the grantee's
    keyAgreement key ``key_id`` (default: the first) from its DID document."""
    now = _current(client, key_file, owner_key)
    asset = int(now.record["id"])
    message = grant_message(
        now.data_key,
        chain_id=now.keys.chain_id,
        asset=asset,
        version=now.version,
        grantee=grantee,
        method=grantee_key_method(client, grantee, key_id),
        purposes=purposes,
        not_before=not_before,
        not_after=not_after,
    )
    receipt = send(message)
    grant = _event(receipt, events.ACCESS_GRANTED, "grant")
    return Granted(asset, now.version, grant, receipt)


def rotate_data_key(
    client: Client,
    send: Send,
    data: bytes,
    *,
    key_file: Path,
    owner_key: OwnerKey,
    store_dir: Path,
) -> Rotated:
    """Publish ``data`` as the asset's next version under a fresh data key, wrapped for
    every grantee whose grant is not revoked (run it after a revocation).

    The new key goes into ``key_file`` before the transaction is sent; if the chain
    refuses, it is taken out again and the stored payload deleted.
    """
    now = _current(client, key_file, owner_key)
    asset = int(now.record["id"])
    active = [g for g in asset_grants(client, asset) if not g["revoked"]]
    keep = [
        (g["grantee"], grantee_key_method(client, g["grantee"], g["key_method"])) for g in active
    ]
    number = now.version + 1
    rotation = rotate(
        data,
        now.suite,
        chain_id=now.keys.chain_id,
        asset=asset,
        owner=str(now.record["owner"]),
        version=number,
        keep=keep,
    )
    store = PayloadStore(store_dir, suite=now.suite)
    address = store.put(rotation.payload.blob)
    # The location names the encrypted bytes, known only once rotate() encrypted them.
    message = RawMsg(
        rotation.message.type, {**rotation.message.value, "location": store.uri(address)}
    )
    payload = rotation.payload
    keys = now.keys.with_version(
        seal_for_owner(now.own, number, payload.content_hash, address, payload.data_key)
    )
    keys.write(key_file)
    receipt = send(message)
    if not receipt.ok:
        keys.without_version(number).write(key_file)
        store.delete(address)
    return Rotated(asset, number, address, [grantee for grantee, _ in keep], receipt)


def _event(receipt: SubmitReceipt, event_type: str, attribute: str) -> str | None:
    """The first ``attribute`` of an ``event_type`` event in the executed result."""
    if receipt.deliver is None:
        return None
    for event in receipt.deliver.events:
        if event.type == event_type:
            return event.get(attribute)
    return None
