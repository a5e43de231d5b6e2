"""``finchain data``: data assets with encrypted payloads off chain, grants, recorded access.

The owner's data key never touches the disk in clear: ``register`` seals it to
the owner's own SM2 key (``--owner-key``, a keystore entry) in a key file
next to the payload; ``grant`` opens it there and re-seals it to the grantee's
keyAgreement key from its DID document. ``open`` records the access on chain
first, then decrypts (``finchain.datarights.open_asset``).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.common import (
    DEFAULT_HOME,
    DEFAULT_URL,
    HomeOpt,
    JsonOpt,
    KeystoreOpt,
    PassphraseFileOpt,
    UrlOpt,
    open_keystore,
)
from finchain.cli.online import (
    AccountOpt,
    FromOpt,
    TimeoutOpt,
    WaitOpt,
    connect,
    event_value,
    report,
    send,
    signer,
    unlock,
)
from finchain.cli.output import CliError, emit, failures
from finchain.client import Client
from finchain.client import datarights_builders as drb
from finchain.crypto import EncryptionKey, open_sealed, seal
from finchain.datarights import (
    ClientLedger,
    PayloadStore,
    encrypt_payload,
    grant_message,
    key_agreement_method,
    open_asset,
)
from finchain.datarights.access import suite_of_hash
from finchain.modules.identity.types import time_ns_of

app = typer.Typer(
    help="Data rights: register encrypted data, grant, revoke, open (recorded), forget.",
    no_args_is_help=True,
)

_OWNER_CONTEXT = b"finchain/datarights/owner-key/v1\x00"
AssetOpt = Annotated[int, typer.Option("--asset", help="the asset id")]
StoreOpt = Annotated[
    Path, typer.Option("--store", help="local payload store directory (content-addressed)")
]
DidOpt = Annotated[str, typer.Option("--grantee", help="the grantee DID")]
KeyFileOpt = Annotated[
    Path, typer.Option("--key-file", help="the owner's sealed data-key file (from register)")
]


def _suite(client: Client) -> str:
    return suite_of_hash(client.status().hash_name)


def _encryption_key(
    name: str, home: Path, keystore: Path | None, passphrase_file: Path | None
) -> EncryptionKey:
    ((_, key),) = unlock(open_keystore(home, keystore), [name], home, passphrase_file)
    return EncryptionKey(key)


def _time(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise CliError(f"{text!r} must be an RFC 3339 time with a zone, like 2026-01-01T00:00:00Z")
    return time_ns_of(moment)


@app.command("register")
def register(
    file: Annotated[Path, typer.Argument(help="the data (encrypted here; only a hash is sent)")],
    from_: FromOpt,
    owner: Annotated[str, typer.Option("--owner", help="the owner DID (--from must control it)")],
    owner_key: Annotated[
        str, typer.Option("--owner-key", help="keystore SM2 key the data key is sealed to")
    ],
    title: Annotated[str, typer.Option("--title")],
    purpose: Annotated[list[str], typer.Option("--purpose", help="allowed purpose (repeat)")],
    store_dir: StoreOpt,
    terms: Annotated[str, typer.Option("--terms", help="terms of use (short text)")] = "",
    account: AccountOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = 10.0,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Encrypt FILE into --store, register it, and write FILE.fckey (the sealed data key)."""
    with failures(), connect(url) as client:
        suite = _suite(client)
        chain_id = client.status().chain_id
        sealed = encrypt_payload(
            file.read_bytes(), suite, chain_id=chain_id, owner=owner, version=1
        )
        own = _encryption_key(owner_key, home, keystore, passphrase_file)
        store = PayloadStore(store_dir, suite=suite)
        address = store.put(sealed.blob)
        who = signer(
            client,
            from_,
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        message = drb.register_asset(
            owner,
            sealed.content_hash,
            sealed.key_id,
            title=title,
            purposes=purpose,
            terms=terms,
            location=store.uri(address),
        )
        receipt = send(client, who, message, wait=wait, timeout=timeout)
        asset = event_value(receipt, "data_asset_registered", "asset")
        key_file = file.with_name(file.name + ".fckey")
        if receipt.ok and asset is not None:
            wrapped = seal(
                own.scheme,
                own.public_key,
                sealed.data_key,
                context=_OWNER_CONTEXT + sealed.content_hash,
            )
            key_file.write_text(
                json.dumps(
                    {
                        "asset": int(asset),
                        "version": 1,
                        "address": address,
                        "sealed_key": base64.b64encode(wrapped).decode(),
                    }
                )
            )
        report(
            receipt,
            as_json=json_out,
            extra={"asset": asset, "address": address, "key_file": str(key_file)},
        )


def _data_key(key_file: Path, own: EncryptionKey, client: Client) -> tuple[dict[str, Any], bytes]:
    entry = json.loads(key_file.read_text())
    record = client.query("datarights/asset", {"asset": str(entry["asset"])}).value
    version = record["version_list"][entry["version"] - 1]
    data_key = open_sealed(
        own.scheme,
        own,
        base64.b64decode(entry["sealed_key"]),
        context=_OWNER_CONTEXT + bytes.fromhex(version["hash"]),
    )
    return entry, data_key


@app.command("grant")
def grant(
    from_: FromOpt,
    grantee: DidOpt,
    key_file: KeyFileOpt,
    owner_key: Annotated[str, typer.Option("--owner-key", help="keystore key of register")],
    purpose: Annotated[list[str], typer.Option("--purpose", help="granted purpose (repeat)")],
    until: Annotated[str, typer.Option("--until", help="end of access, RFC 3339")],
    since: Annotated[str | None, typer.Option("--since", help="start, RFC 3339")] = None,
    account: AccountOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = 10.0,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Grant --grantee access, sealing the data key to its DID's keyAgreement key."""
    with failures(), connect(url) as client:
        own = _encryption_key(owner_key, home, keystore, passphrase_file)
        entry, data_key = _data_key(key_file, own, client)
        document = client.query("identity/resolve", {"did": grantee}).value.get("didDocument")
        if not document:
            raise CliError(f"{grantee} does not resolve on this chain")
        message = grant_message(
            data_key,
            chain_id=client.status().chain_id,
            asset=entry["asset"],
            version=entry["version"],
            grantee=grantee,
            method=key_agreement_method(document),
            purposes=purpose,
            not_before=0 if since is None else _time(since),
            not_after=_time(until),
        )
        who = signer(
            client,
            from_,
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        report(send(client, who, message, wait=wait, timeout=timeout), as_json=json_out)


@app.command("revoke")
def revoke(
    from_: FromOpt,
    asset: AssetOpt,
    grantee: DidOpt,
    account: AccountOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = 10.0,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """End --grantee's grant now (then publish a new version under a new key)."""
    with failures(), connect(url) as client:
        who = signer(
            client,
            from_,
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        receipt = send(client, who, drb.revoke(asset, grantee), wait=wait, timeout=timeout)
        report(receipt, as_json=json_out)


@app.command("open")
def open_(
    from_: FromOpt,
    asset: AssetOpt,
    grantee: DidOpt,
    key: Annotated[str, typer.Option("--key", help="keystore SM2 keyAgreement key")],
    purpose: Annotated[str, typer.Option("--purpose")],
    payload: Annotated[Path, typer.Option("--payload", help="the encrypted payload file")],
    out: Annotated[Path, typer.Option("--out", help="where to write the plaintext")],
    version: Annotated[int, typer.Option("--version")] = 1,
    account: AccountOpt = None,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record the access on chain, then decrypt --payload into --out."""
    with failures(), connect(url) as client:
        private = _encryption_key(key, home, keystore, passphrase_file)
        who = signer(
            client,
            from_,
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        data = open_asset(
            ClientLedger(client, who),
            asset=asset,
            grantee=grantee,
            purpose=purpose,
            version=version,
            key=private,
            blob=payload.read_bytes(),
        )
        out.write_bytes(data)
        emit(
            {"asset": asset, "version": version, "bytes": len(data), "out": str(out)},
            as_json=json_out,
        )


@app.command("access-log")
def access_log(
    asset: AssetOpt,
    cursor: Annotated[str | None, typer.Option("--cursor")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
    url: UrlOpt = DEFAULT_URL,
    json_out: JsonOpt = False,
) -> None:
    """Every recorded access of an asset (grantee, version, purpose, height, time)."""
    with failures(), connect(url) as client:
        params = {"asset": str(asset), "limit": str(limit)}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.query("datarights/access_log", params).value
        if json_out:
            emit(page, as_json=True)
        else:
            emit(page["items"], as_json=False, title=f"data asset #{asset} accesses")


@app.command("forget")
def forget(
    from_: FromOpt,
    asset: AssetOpt,
    version: Annotated[int, typer.Option("--version")],
    store_dir: Annotated[
        Path | None, typer.Option("--store", help="also delete the payload from this store")
    ] = None,
    account: AccountOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = 10.0,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Delete a version's payload (right to be forgotten); hash and history stay on chain."""
    with failures(), connect(url) as client:
        who = signer(
            client,
            from_,
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        receipt = send(client, who, drb.forget(asset, version), wait=wait, timeout=timeout)
        deleted = False
        if store_dir is not None and receipt.ok:
            record = client.query("datarights/asset", {"asset": str(asset)}).value
            location = record["version_list"][version - 1]["location"]
            store = PayloadStore(store_dir, suite=_suite(client))
            deleted = store.delete(store.address_from_uri(location))
        report(receipt, as_json=json_out, extra={"payload_deleted": deleted})
