"""``finchain did``: create, resolve, change, deactivate and bind ``did:finchain`` DIDs.

Two kinds of key meet here. ``--from`` names the keystore key(s) of the
**account** that signs the transaction: the account controls the DID and is
the only authority the chain checks for changes (docs/did-method.md §3).
``--key`` names the keystore key **inside** the DID document, which the DID
subject uses to sign credentials, presentations and binding proofs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli import accountbook
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
from finchain.cli.identity_shared import DEFAULT_KEY_ID, KeyIdOpt, check_did, unlock_key
from finchain.cli.online import (
    AccountOpt,
    FromOpt,
    TimeoutOpt,
    WaitOpt,
    connect,
    event_value,
    report,
    send,
    send_built,
    sign_and_send,
    signer,
)
from finchain.cli.output import CliError, emit, failures
from finchain.client import identity_builders as ib
from finchain.codec import RawMsg

app = typer.Typer(
    help="DIDs: create, show, update, rotate keys, deactivate, bind to accounts (online).",
    no_args_is_help=True,
)

DidArg = Annotated[str, typer.Argument(help="the DID (did:finchain:<chain-id>:<12 digits>)")]
RELATIONSHIPS = (
    "authentication",
    "assertionMethod",
    "keyAgreement",
    "capabilityInvocation",
    "capabilityDelegation",
)
RelationshipOpt = Annotated[
    list[str],
    typer.Option(
        "--relationship",
        help=f"what the key may do (repeat; default: {', '.join(ib.DEFAULT_RELATIONSHIPS)})",
    ),
]
ServiceOpt = Annotated[
    list[str], typer.Option("--service", help="a service as ID,TYPE,URL (repeat)")
]


def _relationships(given: list[str]) -> list[str]:
    chosen = given or list(ib.DEFAULT_RELATIONSHIPS)
    for name in chosen:
        if name not in RELATIONSHIPS:
            raise CliError(
                f"--relationship must be one of {', '.join(RELATIONSHIPS)}, not {name!r}"
            )
    if len(set(chosen)) != len(chosen):
        raise CliError("--relationship lists a relationship twice")
    return chosen


def _services(given: list[str]) -> list[dict[str, str]]:
    services = []
    for text in given:
        parts = text.split(",", 2)
        if len(parts) != 3 or not all(parts):
            raise CliError(f"--service {text!r} must be ID,TYPE,URL")
        services.append(ib.service(*parts))
    return services


def _public_method(
    name: str, key_id: str, relationships: list[str], home: Path, keystore: Path | None
) -> dict[str, object]:
    """A method entry from a key's public part: no passphrase is needed to publish a key."""
    return ib.did_key(key_id, open_keystore(home, keystore).info(name).public_key, relationships)


def _send_and_report(
    msg: RawMsg,
    *,
    from_: list[str],
    account: str | None,
    url: str,
    home: Path,
    keystore: Path | None,
    passphrase_file: Path | None,
    wait: bool,
    timeout: float,
    json_out: bool,
    extra: dict[str, Any],
) -> None:
    _, receipt = sign_and_send(
        url,
        from_,
        msg,
        account=account,
        home=home,
        keystore=keystore,
        passphrase_file=passphrase_file,
        wait=wait,
        timeout=timeout,
    )
    report(receipt, as_json=json_out, extra=extra)


@app.command("create")
def create(
    from_: FromOpt,
    key: Annotated[
        str | None,
        typer.Option("--key", help="keystore key to publish in the document (default: --from)"),
    ] = None,
    key_id: KeyIdOpt = DEFAULT_KEY_ID,
    relationship: RelationshipOpt = [],  # noqa: B006 - Typer reads the default, never mutated
    service: ServiceOpt = [],  # noqa: B006
    controller: Annotated[
        list[str], typer.Option("--controller", help="a controller DID (repeat)")
    ] = [],  # noqa: B006
    account: AccountOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = 10.0,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Register a new DID controlled by the --from account; prints the DID the chain assigned."""
    with failures():
        if not from_:
            raise CliError("name the controlling account's key with --from NAME")
        method = _public_method(
            key or from_[0], key_id, _relationships(relationship), home, keystore
        )
        msg = ib.create_did(
            [method],
            services=_services(service),
            controllers=[check_did(c, "--controller") for c in controller],
        )
        who, receipt = sign_and_send(
            url,
            from_,
            msg,
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
            wait=wait,
            timeout=timeout,
        )
        did = event_value(receipt, "did_created", "did")
        report(receipt, as_json=json_out, extra={"did": did, "controller_account": who.account})


@app.command("show")
def show(
    did: DidArg,
    version_id: Annotated[
        int | None, typer.Option("--version-id", help="resolve this version", min=1)
    ] = None,
    version_time: Annotated[
        str | None,
        typer.Option("--version-time", help="resolve the version in force at this RFC 3339 time"),
    ] = None,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    json_out: JsonOpt = False,
) -> None:
    """Resolve a DID (a DID Resolution result); exit 1 when it cannot be resolved."""
    with failures():
        params = {"did": did}
        if version_id is not None:
            params["versionId"] = str(version_id)
        if version_time is not None:
            params["versionTime"] = version_time
        with connect(url, home=home) as client:
            result = client.query("identity/resolve", params).value
        error = result.get("didResolutionMetadata", {}).get("error")
        if json_out:
            emit(result, as_json=True)
        elif error is None:
            meta = result.get("didDocumentMetadata", {})
            emit({**meta, "document": result.get("didDocument")}, as_json=False, title=did)
        if error is not None:
            message = result["didResolutionMetadata"].get("errorMessage", "")
            raise CliError(f"cannot resolve {did[:120]}: {error} {message}".rstrip())


@app.command("update")
def update(
    did: DidArg,
    from_: FromOpt,
    add_key: Annotated[
        str | None, typer.Option("--add-key", help="keystore key to add as --key-id")
    ] = None,
    key_id: KeyIdOpt = "k2",
    relationship: RelationshipOpt = [],  # noqa: B006
    remove_key: Annotated[
        list[str], typer.Option("--remove-key", help="key id to remove (repeat)")
    ] = [],  # noqa: B006
    add_service: ServiceOpt = [],  # noqa: B006
    remove_service: Annotated[
        list[str], typer.Option("--remove-service", help="service id to remove (repeat)")
    ] = [],  # noqa: B006
    account: AccountOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = 10.0,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Add or remove keys and services (one new version of the document)."""
    with failures():
        check_did(did)
        methods = (
            []
            if add_key is None
            else [_public_method(add_key, key_id, _relationships(relationship), home, keystore)]
        )
        if not (methods or remove_key or add_service or remove_service):
            raise CliError(
                "nothing to change: give --add-key, --remove-key, --add-service or --remove-service"
            )
        msg = ib.update_did(
            did,
            add_methods=methods,
            remove_methods=remove_key,
            add_services=_services(add_service),
            remove_services=remove_service,
        )
        _send_and_report(
            msg,
            from_=from_,
            account=account,
            url=url,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
            wait=wait,
            timeout=timeout,
            json_out=json_out,
            extra={"did": did},
        )


@app.command("rotate-key")
def rotate_key(
    did: DidArg,
    from_: FromOpt,
    new_key: Annotated[str, typer.Option("--new-key", help="keystore key replacing the old one")],
    key_id: KeyIdOpt = DEFAULT_KEY_ID,
    account: AccountOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = 10.0,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Replace the key of <did>#<key-id>; credentials signed before stay verifiable."""
    with failures():
        public = open_keystore(home, keystore).info(new_key).public_key
        _send_and_report(
            ib.rotate_did_key(check_did(did), key_id, public),
            from_=from_,
            account=account,
            url=url,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
            wait=wait,
            timeout=timeout,
            json_out=json_out,
            extra={"did": did, "key_id": key_id},
        )


@app.command("deactivate")
def deactivate(
    did: DidArg,
    from_: FromOpt,
    account: AccountOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = 10.0,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Deactivate for ever: resolvers answer 410 and verifiers stop trusting its keys."""
    with failures():
        _send_and_report(
            ib.deactivate_did(check_did(did)),
            from_=from_,
            account=account,
            url=url,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
            wait=wait,
            timeout=timeout,
            json_out=json_out,
            extra={"did": did},
        )


@app.command("bind")
def bind(
    did: DidArg,
    from_: FromOpt,
    did_key: Annotated[
        str, typer.Option("--did-key", help="keystore key of <did>#<key-id> (signs the proof)")
    ],
    key_id: KeyIdOpt = DEFAULT_KEY_ID,
    account: AccountOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = 10.0,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Bind the --from account to DID: the DID key signs the binding statement for this
    transaction's nonce, the account signs the transaction."""
    with failures(), connect(url, home=home) as client:
        check_did(did)
        who = signer(
            client,
            from_,
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        key = unlock_key(did_key, home=home, keystore=keystore, passphrase_file=passphrase_file)

        def bound() -> list[RawMsg]:  # the binding statement names the tx's nonce
            return [
                ib.bind_account(
                    who.chain_id, did, who.account, nonce=who.nonce, key_id=key_id, did_key=key
                )
            ]

        receipt = send_built(client, who, bound, wait=wait, timeout=timeout)
        report(receipt, as_json=json_out, extra={"did": did, "account": who.account})


@app.command("unbind")
def unbind(
    did: DidArg,
    from_: FromOpt,
    bound: Annotated[
        str | None,
        typer.Option("--bound-account", help="the account to unbind (default: the signer's)"),
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
    """Unbind an account from DID (sent by the bound account or a controlling account)."""
    with failures(), connect(url, home=home) as client:
        check_did(did)
        who = signer(
            client,
            from_,
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        target = (
            accountbook.resolve(bound, home, open_keystore(home, keystore))
            if bound
            else who.account
        )
        receipt = send(client, who, ib.unbind_account(did, target), wait=wait, timeout=timeout)
        report(receipt, as_json=json_out, extra={"did": did, "account": target})
