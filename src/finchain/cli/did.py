"""``finchain did``: create, resolve, change, deactivate and bind ``did:finchain`` DIDs.

Two kinds of key meet here. ``--from`` names the keystore key(s) of the
**account** that signs the transaction: the account controls the DID and is
the only authority the chain checks for changes (docs/did-method.md §3).
``--key`` names the keystore key **inside** the DID document, which the DID
subject uses to sign credentials, presentations and binding proofs.
"""

from __future__ import annotations

from typing import Annotated

import typer

from finchain.cli.identity_shared import DEFAULT_KEY_ID, KeyIdOpt, check_did
from finchain.cli.online import event_value
from finchain.cli.output import CliError, CommandFailed, emit
from finchain.cli.txflags import KeyOptions, NodeOptions, TxOptions, query_command, tx_command
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
    opts: KeyOptions, name: str, key_id: str, relationships: list[str]
) -> dict[str, object]:
    """A method entry from a key's public part: no passphrase is needed to publish a key."""
    [info] = opts.public_keys([name])
    return ib.did_key(key_id, info.public_key, relationships)


@tx_command(app, "create")
def create(
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
    *,
    tx: TxOptions,
) -> None:
    """Register a new DID controlled by the --from account; prints the DID the chain assigned."""
    if not tx.signers:
        raise CliError("name the controlling account's key with --from NAME")
    method = _public_method(tx, key or tx.signers[0], key_id, _relationships(relationship))
    msg = ib.create_did(
        [method],
        services=_services(service),
        controllers=[check_did(c, "--controller") for c in controller],
    )
    with tx.session() as s:
        receipt = s.send(msg)
    did = event_value(receipt, "did_created", "did")
    tx.report(receipt, {"did": did, "controller_account": s.account})


@query_command(app, "show")
def show(
    did: DidArg,
    version_id: Annotated[
        int | None, typer.Option("--version-id", help="resolve this version", min=1)
    ] = None,
    version_time: Annotated[
        str | None,
        typer.Option("--version-time", help="resolve the version in force at this RFC 3339 time"),
    ] = None,
    *,
    q: NodeOptions,
) -> None:
    """Resolve a DID (a DID Resolution result); exit 1 when it cannot be resolved."""
    params = {"did": did}
    if version_id is not None:
        params["versionId"] = str(version_id)
    if version_time is not None:
        params["versionTime"] = version_time
    with q.connect() as client:
        result = client.query("identity/resolve", params).value
    error = result.get("didResolutionMetadata", {}).get("error")
    if q.json:
        emit(result, as_json=True)
    elif error is None:
        meta = result.get("didDocumentMetadata", {})
        emit({**meta, "document": result.get("didDocument")}, as_json=False, title=did)
    if error is not None:
        message = result["didResolutionMetadata"].get("errorMessage", "")
        raise CommandFailed(f"cannot resolve {did[:120]}: {error} {message}".rstrip())


@tx_command(app, "update")
def update(
    did: DidArg,
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
    *,
    tx: TxOptions,
) -> None:
    """Add or remove keys and services (one new version of the document)."""
    check_did(did)
    methods = (
        []
        if add_key is None
        else [_public_method(tx, add_key, key_id, _relationships(relationship))]
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
    tx.broadcast(msg, extra={"did": did})


@tx_command(app, "rotate-key")
def rotate_key(
    did: DidArg,
    new_key: Annotated[str, typer.Option("--new-key", help="keystore key replacing the old one")],
    key_id: KeyIdOpt = DEFAULT_KEY_ID,
    *,
    tx: TxOptions,
) -> None:
    """Replace the key of <did>#<key-id>; credentials signed before stay verifiable."""
    [info] = tx.public_keys([new_key])
    msg = ib.rotate_did_key(check_did(did), key_id, info.public_key)
    tx.broadcast(msg, extra={"did": did, "key_id": key_id})


@tx_command(app, "deactivate")
def deactivate(did: DidArg, *, tx: TxOptions) -> None:
    """Deactivate for ever: resolvers answer 410 and verifiers stop trusting its keys."""
    tx.broadcast(ib.deactivate_did(check_did(did)), extra={"did": did})


@tx_command(app, "bind")
def bind(
    did: DidArg,
    did_key: Annotated[
        str, typer.Option("--did-key", help="keystore key of <did>#<key-id> (signs the proof)")
    ],
    key_id: KeyIdOpt = DEFAULT_KEY_ID,
    *,
    tx: TxOptions,
) -> None:
    """Bind the --from account to DID: the DID key signs the binding statement for this
    transaction's nonce, the account signs the transaction."""
    with tx.session() as s:
        check_did(did)
        who = s.signer
        key = tx.key(did_key)

        def bound() -> list[RawMsg]:  # the binding statement names the tx's nonce
            return [
                ib.bind_account(
                    who.chain_id, did, who.account, nonce=who.nonce, key_id=key_id, did_key=key
                )
            ]

        receipt = s.send_built(bound)
    tx.report(receipt, {"did": did, "account": who.account})


@tx_command(app, "unbind")
def unbind(
    did: DidArg,
    bound: Annotated[
        str | None,
        typer.Option("--bound-account", help="the account to unbind (default: the signer's)"),
    ] = None,
    *,
    tx: TxOptions,
) -> None:
    """Unbind an account from DID (sent by the bound account or a controlling account)."""
    with tx.session() as s:
        check_did(did)
        target = tx.resolve(bound) if bound else s.account
        receipt = s.send(ib.unbind_account(did, target))
    tx.report(receipt, {"did": did, "account": target})
