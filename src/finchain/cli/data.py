"""``finchain data``: data assets with encrypted payloads off chain, grants, recorded access.

The owner's data keys never touch the disk in clear: ``register`` and
``rotate`` seal each version's key to the owner's own keystore key
(``--owner-key``) in ``FILE.fckey``; ``grant`` opens it there and re-seals it
to the grantee's keyAgreement key from its DID document. Those workflows are
the SDK's (``finchain.offchain.datarights``: ``register_data``, ``grant_data``,
``rotate_data_key``); ``open`` records the access on chain first, then
decrypts (``open_asset``). See docs/data-rights.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from finchain.cli.common import time_option
from finchain.cli.identity_shared import check_did
from finchain.cli.output import CliError, emit, stderr
from finchain.cli.txflags import NodeOptions, TxOptions, query_command, tx_command
from finchain.client import datarights_builders as drb
from finchain.errors import FinchainError
from finchain.modules.datarights.errors import ErrAccessNotRecorded
from finchain.offchain.datarights import (
    ClientLedger,
    PayloadStore,
    asset_grants,
    asset_record,
    grant_data,
    key_file_for,
    open_asset,
    register_data,
    rotate_data_key,
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


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None


def _version(record: dict[str, Any], number: int) -> dict[str, Any]:
    versions = record["version_list"]
    if not 1 <= number <= len(versions):
        raise CliError(f"data asset #{record['id']} has versions 1 to {len(versions)}")
    return dict(versions[number - 1])


@tx_command(app, "register", wait=False)
def register(
    file: ReadableFile,
    owner: Annotated[str, typer.Option("--owner", help="the owner DID (--from must control it)")],
    owner_key: OwnerKeyOpt,
    title: Annotated[str, typer.Option("--title")],
    purpose: Annotated[list[str], typer.Option("--purpose", help="allowed purpose (repeat)")],
    store_dir: StoreOpt,
    terms: Annotated[str, typer.Option("--terms", help="terms of use (short text)")] = "",
    *,
    tx: TxOptions,
) -> None:
    """Encrypt FILE into --store, register it, and write FILE.fckey (the sealed data key).

    Always waits for the block: the asset id the chain assigns goes into FILE.fckey.
    """
    check_did(owner, "--owner")
    data = _read(file)
    done = tx.run(
        register_data,
        data,
        owner=owner,
        owner_key=lambda: tx.encryption_key(owner_key),
        title=title,
        purposes=purpose,
        store_dir=store_dir,
        key_file=key_file_for(file),
        terms=terms,
    )
    extra = {"asset": done.asset, "address": done.address, "key_file": str(done.key_file)}
    tx.report(done.receipt, extra)


@tx_command(app, "grant")
def grant(
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
    *,
    tx: TxOptions,
) -> None:
    """Grant --grantee access to the current version, sealing its data key to the grantee."""
    check_did(grantee, "--grantee")
    not_before = 0 if since is None else time_option(since, "--since")
    not_after = time_option(until, "--until")
    done = tx.run(
        grant_data,
        key_file=key_file,
        owner_key=lambda: tx.encryption_key(owner_key),
        grantee=grantee,
        purposes=purpose,
        not_before=not_before,
        not_after=not_after,
        key_id=key_id,
    )
    tx.report(done.receipt, {"asset": done.asset, "version": done.version, "grant": done.grant})


@tx_command(app, "revoke")
def revoke(asset: AssetOpt, grantee: GranteeOpt, *, tx: TxOptions) -> None:
    """End --grantee's grant now; then `rotate`, since a key already unwrapped stays known."""
    check_did(grantee, "--grantee")
    tx.broadcast(drb.revoke(asset, grantee), extra={"asset": asset, "grantee": grantee})


@tx_command(app, "rotate", wait=False)
def rotate_key(
    file: ReadableFile,
    key_file: KeyFileOpt,
    owner_key: OwnerKeyOpt,
    store_dir: StoreOpt,
    *,
    tx: TxOptions,
) -> None:
    """Publish FILE as the next version under a new data key, wrapped for every active grantee.

    Run it after `revoke`: the revoked grantee gets no key for the new version.
    The new key is added to --key-file before the transaction is sent.
    """
    data = _read(file)
    done = tx.run(
        rotate_data_key,
        data,
        key_file=key_file,
        owner_key=lambda: tx.encryption_key(owner_key),
        store_dir=store_dir,
    )
    extra = {"asset": done.asset, "version": done.version, "address": done.address}
    tx.report(done.receipt, {**extra, "kept": done.kept})


@tx_command(app, "open", wait=False, timeout=None)
def open_(
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
    *,
    tx: TxOptions,
) -> None:
    """Record the access on chain, then decrypt the payload into --out.

    The payload comes from --payload FILE or from --store DIR at the location the
    chain holds for the version. Nothing is decrypted unless the access committed.
    """
    with tx.session() as s:
        check_did(grantee, "--grantee")
        if (payload is None) == (store_dir is None):
            raise CliError("give the encrypted payload as --payload FILE or --store DIR (one)")
        record = asset_record(s.client, asset)
        number = len(record["version_list"]) if version is None else version
        location = _version(record, number)["location"]
        if payload is not None:
            blob = _read(payload)
        else:
            assert store_dir is not None
            store = PayloadStore(store_dir, suite=suite_of_hash(record["hash_alg"]))
            blob = store.get(store.address_from_uri(location))
        private = tx.encryption_key(key)
        try:
            data = open_asset(
                ClientLedger(s.client, s.signer, send=s.sender()),
                asset=asset,
                grantee=grantee,
                purpose=purpose,
                version=number,
                key=private,
                blob=blob,
            )
        except FinchainError as exc:
            if ErrAccessNotRecorded.matches(exc):
                _not_recorded(exc, as_json=tx.json)
            raise
    out.write_bytes(data)
    tx.emit({"asset": asset, "version": number, "bytes": len(data), "out": str(out)})


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


@query_command(app, "show")
def show(asset: AssetOpt, *, q: NodeOptions) -> None:
    """The asset: owner, terms, every version (hash, location, forgotten) and every grant."""
    with q.connect() as client:
        record = asset_record(client, asset)
        grants = asset_grants(client, asset)
        if q.json:
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


@query_command(app, "access-log")
def access_log(
    asset: AssetOpt,
    cursor: Annotated[str | None, typer.Option("--cursor")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200)] = 50,
    *,
    q: NodeOptions,
) -> None:
    """Every recorded access of an asset (grantee, version, purpose, height, time)."""
    with q.connect() as client:
        params = {"asset": str(asset), "limit": str(limit)}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.query("datarights/access_log", params).value
        if q.json:
            emit(page, as_json=True)
        elif page["items"]:
            emit(page["items"], as_json=False, title=f"data asset #{asset} accesses")
            if page["next_cursor"] is not None:
                emit(f"more: --cursor {page['next_cursor']}", as_json=False)
        else:
            emit(f"data asset #{asset}: no recorded access", as_json=False)


@tx_command(app, "forget")
def forget(
    asset: AssetOpt,
    version: Annotated[int, typer.Option("--version", min=1)],
    store_dir: Annotated[
        Path | None, typer.Option("--store", help="also delete the payload from this store")
    ] = None,
    *,
    tx: TxOptions,
) -> None:
    """Record that a version's payload is deleted (right to be forgotten), and delete it.

    The hash, grants and access log stay on chain. With --store the local payload
    is deleted once the chain recorded the deletion; its address is checked first.
    """
    with tx.session() as s:
        store, address = None, ""
        if store_dir is not None:
            record = asset_record(s.client, asset)
            store = PayloadStore(store_dir, suite=suite_of_hash(record["hash_alg"]))
            address = store.address_from_uri(_version(record, version)["location"])
        receipt = s.send(drb.forget(asset, version))
    deleted = store is not None and receipt.ok and receipt.committed and store.delete(address)
    tx.report(receipt, {"asset": asset, "version": version, "payload_deleted": deleted})
