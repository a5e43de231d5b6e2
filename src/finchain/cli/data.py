"""``finchain data``: data assets with encrypted payloads off chain, grants, recorded access.

The owner's data keys never touch the disk in clear: ``register`` and
``rotate`` seal each version's key to the owner's own keystore key
(``--owner-key``) in ``FILE.fckey`` (``finchain.cli.datakeys``); ``grant``
opens it there and re-seals it to the grantee's keyAgreement key from its DID
document. ``open`` records the access on chain first, then decrypts
(``finchain.offchain.datarights.open_asset``). See docs/data-rights.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

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
from finchain.cli.datakeys import KeyFile, current_key, seal_for_owner
from finchain.cli.identity_shared import check_did
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
from finchain.cli.output import CliError, emit, failures, stderr
from finchain.client import Client
from finchain.client import datarights_builders as drb
from finchain.codec import RawMsg
from finchain.crypto import EncryptionKey
from finchain.errors import FinchainError
from finchain.modules.datarights import events
from finchain.modules.datarights.errors import ErrAccessNotRecorded
from finchain.modules.identity.types import time_ns_of
from finchain.offchain.datarights import (
    ClientLedger,
    PayloadStore,
    encrypt_payload,
    grant_message,
    key_agreement_method,
    open_asset,
    rotate,
)
from finchain.offchain.datarights.access import suite_of_hash

app = typer.Typer(
    help="Data rights: register encrypted data, grant, revoke, open (recorded), rotate, forget.",
    no_args_is_help=True,
)

AssetOpt = Annotated[int, typer.Option("--asset", help="the asset id", min=1)]
StoreOpt = Annotated[
    Path, typer.Option("--store", help="local payload store directory (content-addressed)")
]
GranteeOpt = Annotated[str, typer.Option("--grantee", help="the grantee DID")]
KeyFileOpt = Annotated[
    Path,
    typer.Option(
        "--key-file", help="the owner's data-key file (FILE.fckey from register)", dir_okay=False
    ),
]
OwnerKeyOpt = Annotated[
    str, typer.Option("--owner-key", help="keystore key the owner's data keys are sealed to")
]
ReadableFile = Annotated[
    Path, typer.Argument(help="the data (encrypted here; only a hash is sent)", dir_okay=False)
]
_PAGE = "200"


def _suite(client: Client) -> str:
    return suite_of_hash(client.status().hash_name)


def _encryption_key(
    name: str, home: Path, keystore: Path | None, passphrase_file: Path | None
) -> EncryptionKey:
    ((_, key),) = unlock(open_keystore(home, keystore), [name], home, passphrase_file)
    return EncryptionKey(key)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None


def _time(text: str, option: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise CliError(
            f"{option} {text!r} must be an RFC 3339 time with a zone, like 2026-01-01T00:00:00Z"
        )
    return time_ns_of(moment)


def _asset(client: Client, asset: int) -> dict[str, Any]:
    return dict(client.query("datarights/asset", {"asset": str(asset)}).value)


def _version(record: dict[str, Any], number: int) -> dict[str, Any]:
    versions = record["version_list"]
    if not 1 <= number <= len(versions):
        raise CliError(f"data asset #{record['id']} has versions 1 to {len(versions)}")
    return dict(versions[number - 1])


def _grants(client: Client, asset: int) -> list[dict[str, Any]]:
    """Every grant of the asset, revoked ones included, in the order granted."""
    items: list[dict[str, Any]] = []
    params = {"asset": str(asset), "limit": _PAGE}
    while True:
        page = client.query("datarights/grants", params).value
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


def _key_method(client: Client, grantee: str, key_id: str | None) -> dict[str, Any]:
    """The grantee's keyAgreement method (from its current DID document) to wrap to."""
    document = client.query("identity/resolve", {"did": grantee}).value.get("didDocument")
    if not document:
        raise CliError(f"{grantee} does not resolve on this chain: check the DID")
    return key_agreement_method(document, key_id)


@app.command("register")
def register(
    file: ReadableFile,
    from_: FromOpt,
    owner: Annotated[str, typer.Option("--owner", help="the owner DID (--from must control it)")],
    owner_key: OwnerKeyOpt,
    title: Annotated[str, typer.Option("--title")],
    purpose: Annotated[list[str], typer.Option("--purpose", help="allowed purpose (repeat)")],
    store_dir: StoreOpt,
    terms: Annotated[str, typer.Option("--terms", help="terms of use (short text)")] = "",
    account: AccountOpt = None,
    timeout: TimeoutOpt = 10.0,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Encrypt FILE into --store, register it, and write FILE.fckey (the sealed data key).

    Always waits for the block: the asset id the chain assigns goes into FILE.fckey.
    """
    with failures():
        check_did(owner, "--owner")
        key_path = file.with_name(file.name + ".fckey")
        if key_path.exists():
            raise CliError(
                f"{key_path} exists (the keys of an asset registered from {file.name}): "
                "move it away, or register a copy of the data under another name"
            )
        data = _read(file)
        with connect(url, home=home) as client:
            status = client.status()
            suite = suite_of_hash(status.hash_name)
            own = _encryption_key(owner_key, home, keystore, passphrase_file)
            who = signer(
                client,
                from_,
                account=account,
                home=home,
                keystore=keystore,
                passphrase_file=passphrase_file,
            )
            sealed = encrypt_payload(data, suite, chain_id=status.chain_id, owner=owner, version=1)
            store = PayloadStore(store_dir, suite=suite)
            address = store.put(sealed.blob)
            entry = seal_for_owner(own, 1, sealed.content_hash, address, sealed.data_key)
            keys = KeyFile(status.chain_id, owner, None, (entry,))
            keys.write(key_path)
            message = drb.register_asset(
                owner,
                sealed.content_hash,
                sealed.key_id,
                title=title,
                purposes=purpose,
                terms=terms,
                location=store.uri(address),
            )
            receipt = send(client, who, message, wait=True, timeout=timeout)
        asset = event_value(receipt, events.ASSET_REGISTERED, "asset")
        if not receipt.ok:  # refused: nothing on chain refers to the payload or the key
            key_path.unlink()
            store.delete(address)
        elif asset is not None:
            KeyFile(status.chain_id, owner, int(asset), (entry,)).write(key_path)
        else:  # not seen committed yet: keep the key, and how to find out
            KeyFile(status.chain_id, owner, None, (entry,), receipt.tx_id).write(key_path)
        report(
            receipt,
            as_json=json_out,
            extra={
                "asset": None if asset is None else int(asset),
                "address": address,
                "key_file": str(key_path),
            },
        )


@app.command("grant")
def grant(
    from_: FromOpt,
    grantee: GranteeOpt,
    key_file: KeyFileOpt,
    owner_key: OwnerKeyOpt,
    purpose: Annotated[list[str], typer.Option("--purpose", help="granted purpose (repeat)")],
    until: Annotated[str, typer.Option("--until", help="end of access, RFC 3339")],
    since: Annotated[str | None, typer.Option("--since", help="start, RFC 3339")] = None,
    key_id: Annotated[
        str | None,
        typer.Option("--key-id", help="the grantee's keyAgreement key id (default: the first)"),
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
    """Grant --grantee access to the current version, sealing its data key to the grantee."""
    with failures():
        check_did(grantee, "--grantee")
        not_before = 0 if since is None else _time(since, "--since")
        not_after = _time(until, "--until")
        keys = KeyFile.read(key_file)
        with connect(url, home=home) as client:
            status = client.status()
            _same_chain(keys, status.chain_id, key_file)
            own = _encryption_key(owner_key, home, keystore, passphrase_file)
            record = _asset(client, keys.asset) if keys.asset is not None else {}
            entry, data_key = current_key(
                key_file, keys, own, record, suite_of_hash(status.hash_name)
            )
            message = grant_message(
                data_key,
                chain_id=status.chain_id,
                asset=int(record["id"]),
                version=entry.version,
                grantee=grantee,
                method=_key_method(client, grantee, key_id),
                purposes=purpose,
                not_before=not_before,
                not_after=not_after,
            )
            who = signer(
                client,
                from_,
                account=account,
                home=home,
                keystore=keystore,
                passphrase_file=passphrase_file,
            )
            receipt = send(client, who, message, wait=wait, timeout=timeout)
        report(
            receipt,
            as_json=json_out,
            extra={
                "asset": record["id"],
                "version": entry.version,
                "grant": event_value(receipt, events.ACCESS_GRANTED, "grant"),
            },
        )


def _same_chain(keys: KeyFile, chain_id: str, path: Path) -> None:
    if keys.chain_id != chain_id:
        raise CliError(f"{path} holds keys of chain {keys.chain_id!r}, the node is {chain_id!r}")


@app.command("revoke")
def revoke(
    from_: FromOpt,
    asset: AssetOpt,
    grantee: GranteeOpt,
    account: AccountOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = 10.0,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """End --grantee's grant now; then `rotate`, since a key already unwrapped stays known."""
    with failures(), connect(url, home=home) as client:
        check_did(grantee, "--grantee")
        who = signer(
            client,
            from_,
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        receipt = send(client, who, drb.revoke(asset, grantee), wait=wait, timeout=timeout)
        report(receipt, as_json=json_out, extra={"asset": asset, "grantee": grantee})


@app.command("rotate")
def rotate_key(
    file: ReadableFile,
    from_: FromOpt,
    key_file: KeyFileOpt,
    owner_key: OwnerKeyOpt,
    store_dir: StoreOpt,
    account: AccountOpt = None,
    timeout: TimeoutOpt = 10.0,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Publish FILE as the next version under a new data key, wrapped for every active grantee.

    Run it after `revoke`: the revoked grantee gets no key for the new version.
    The new key is added to --key-file before the transaction is sent.
    """
    with failures():
        data = _read(file)
        keys = KeyFile.read(key_file)
        with connect(url, home=home) as client:
            status = client.status()
            suite = suite_of_hash(status.hash_name)
            _same_chain(keys, status.chain_id, key_file)
            own = _encryption_key(owner_key, home, keystore, passphrase_file)
            record = _asset(client, keys.asset) if keys.asset is not None else {}
            entry, _ = current_key(key_file, keys, own, record, suite)
            active = [g for g in _grants(client, int(record["id"])) if not g["revoked"]]
            keep = [
                (g["grantee"], _key_method(client, g["grantee"], g["key_method"])) for g in active
            ]
            number = entry.version + 1
            rotation = rotate(
                data,
                suite,
                chain_id=status.chain_id,
                asset=int(record["id"]),
                owner=str(record["owner"]),
                version=number,
                keep=keep,
            )
            store = PayloadStore(store_dir, suite=suite)
            address = store.put(rotation.payload.blob)
            # The location names the encrypted bytes, known only once rotate() encrypted them.
            message = RawMsg(
                rotation.message.type, {**rotation.message.value, "location": store.uri(address)}
            )
            payload = rotation.payload
            keys = keys.with_version(
                seal_for_owner(own, number, payload.content_hash, address, payload.data_key)
            )
            keys.write(key_file)
            who = signer(
                client,
                from_,
                account=account,
                home=home,
                keystore=keystore,
                passphrase_file=passphrase_file,
            )
            receipt = send(client, who, message, wait=True, timeout=timeout)
        if not receipt.ok:
            keys.without_version(number).write(key_file)
            store.delete(address)
        report(
            receipt,
            as_json=json_out,
            extra={
                "asset": record["id"],
                "version": number,
                "address": address,
                "kept": [grantee for grantee, _ in keep],
            },
        )


@app.command("open")
def open_(
    from_: FromOpt,
    asset: AssetOpt,
    grantee: GranteeOpt,
    key: Annotated[str, typer.Option("--key", help="keystore SM2 keyAgreement key")],
    purpose: Annotated[str, typer.Option("--purpose")],
    out: Annotated[Path, typer.Option("--out", help="where to write the plaintext")],
    payload: Annotated[
        Path | None, typer.Option("--payload", help="the encrypted payload file", dir_okay=False)
    ] = None,
    store_dir: Annotated[
        Path | None,
        typer.Option("--store", help="payload store holding the version's finchain-payload:"),
    ] = None,
    version: Annotated[
        int | None, typer.Option("--version", help="default: the current version", min=1)
    ] = None,
    account: AccountOpt = None,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record the access on chain, then decrypt the payload into --out.

    The payload comes from --payload FILE or from --store DIR at the location the
    chain holds for the version. Nothing is decrypted unless the access committed.
    """
    with failures(), connect(url, home=home) as client:
        check_did(grantee, "--grantee")
        if (payload is None) == (store_dir is None):
            raise CliError("give the encrypted payload as --payload FILE or --store DIR (one)")
        record = _asset(client, asset)
        number = len(record["version_list"]) if version is None else version
        location = _version(record, number)["location"]
        if payload is not None:
            blob = _read(payload)
        else:
            assert store_dir is not None
            store = PayloadStore(store_dir, suite=suite_of_hash(record["hash_alg"]))
            blob = store.get(store.address_from_uri(location))
        private = _encryption_key(key, home, keystore, passphrase_file)
        who = signer(
            client,
            from_,
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        try:
            data = open_asset(
                ClientLedger(client, who),
                asset=asset,
                grantee=grantee,
                purpose=purpose,
                version=number,
                key=private,
                blob=blob,
            )
        except FinchainError as exc:
            if ErrAccessNotRecorded.matches(exc):
                _not_recorded(exc, as_json=json_out)
            raise
        out.write_bytes(data)
        emit(
            {"asset": asset, "version": number, "bytes": len(data), "out": str(out)},
            as_json=json_out,
        )


def _not_recorded(exc: FinchainError, *, as_json: bool) -> NoReturn:
    """Report the chain's own refusal code (``datarights:10`` …) rather than the wrapper's."""
    code = str(exc.details.get("code", ""))
    codespace, sep, number = code.partition(":")
    if not sep:  # not committed within the wait: no chain code to show
        raise exc
    if as_json:
        emit(
            {
                "recorded": False,
                "tx_id": exc.details.get("tx_id"),
                "codespace": codespace,
                "code": int(number),
                "log": exc.message,
            },
            as_json=True,
        )
    stderr.print(f"error [{code}] {exc.message}", highlight=False, soft_wrap=True, markup=False)
    raise typer.Exit(1)


@app.command("show")
def show(
    asset: AssetOpt,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    json_out: JsonOpt = False,
) -> None:
    """The asset: owner, terms, every version (hash, location, forgotten) and every grant."""
    with failures(), connect(url, home=home) as client:
        record = _asset(client, asset)
        grants = _grants(client, asset)
        if json_out:
            emit({**record, "grants": grants}, as_json=True)
            return
        versions = record.pop("version_list")
        emit(record, as_json=False, title=f"data asset #{asset}")
        emit([_columns(v, _VERSION_COLUMNS) for v in versions], as_json=False, title="versions")
        if grants:
            emit([_columns(g, _GRANT_COLUMNS) for g in grants], as_json=False, title="grants")


_VERSION_COLUMNS = ("number", "hash", "location", "height", "forgotten")
_GRANT_COLUMNS = ("id", "grantee", "purposes", "not_after", "granted_version", "revoked")


def _columns(row: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The columns a person reads in a terminal (``--json`` has them all)."""
    return {name: row[name] for name in names}


@app.command("access-log")
def access_log(
    asset: AssetOpt,
    cursor: Annotated[str | None, typer.Option("--cursor")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200)] = 50,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    json_out: JsonOpt = False,
) -> None:
    """Every recorded access of an asset (grantee, version, purpose, height, time)."""
    with failures(), connect(url, home=home) as client:
        params = {"asset": str(asset), "limit": str(limit)}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.query("datarights/access_log", params).value
        if json_out:
            emit(page, as_json=True)
        elif page["items"]:
            emit(page["items"], as_json=False, title=f"data asset #{asset} accesses")
            if page["next_cursor"] is not None:
                emit(f"more: --cursor {page['next_cursor']}", as_json=False)
        else:
            emit(f"data asset #{asset}: no recorded access", as_json=False)


@app.command("forget")
def forget(
    from_: FromOpt,
    asset: AssetOpt,
    version: Annotated[int, typer.Option("--version", min=1)],
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
    """Record that a version's payload is deleted (right to be forgotten), and delete it.

    The hash, grants and access log stay on chain. With --store the local payload
    is deleted once the chain recorded the deletion; its address is checked first.
    """
    with failures(), connect(url, home=home) as client:
        store, address = None, ""
        if store_dir is not None:
            record = _asset(client, asset)
            store = PayloadStore(store_dir, suite=suite_of_hash(record["hash_alg"]))
            address = store.address_from_uri(_version(record, version)["location"])
        who = signer(
            client,
            from_,
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        receipt = send(client, who, drb.forget(asset, version), wait=wait, timeout=timeout)
        deleted = store is not None and receipt.ok and receipt.committed and store.delete(address)
        report(
            receipt,
            as_json=json_out,
            extra={"asset": asset, "version": version, "payload_deleted": deleted},
        )
