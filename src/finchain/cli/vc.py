"""``finchain vc``: issue, present and verify W3C verifiable credentials; manage status lists.

Issuing and presenting are offline: they sign files with a DID key from the
keystore (Ed25519 keys give ``eddsa-jcs-2022`` proofs, SM2 keys ``sm2-jcs-2025``).
Verifying asks a node (``--url``) for what a verifier must trust: the
issuer's DID document at issuance, its accreditation, schemas and the
status-list anchors. A status list credential lives in a local file that the
issuer publishes at its URL; ``revoke``/``suspend``/``unsuspend`` flip a bit,
re-sign the file and anchor its digest on chain in one command, so a verifier
holding the new file sees the change from the anchoring block on, and one
holding a stale copy sees that it is stale. Those steps are the SDK's
(``finchain.offchain.vc.statuschange``, ``finchain.client.status_lists``); the
commands read and write the files.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.common import load_json_file, write_json_file
from finchain.cli.identity_shared import (
    DEFAULT_KEY_ID,
    KeyIdOpt,
    check_did,
    claims_argument,
    read_document,
    when,
)
from finchain.cli.online import require_same_chain
from finchain.cli.output import CliError, emit, stderr, stdout
from finchain.cli.txflags import (
    KeyOptions,
    NodeOptions,
    TxOptions,
    key_command,
    query_command,
    tx_command,
)
from finchain.client import credentials_builders as cb
from finchain.client.status_lists import publish_status_list
from finchain.client.trust import ChainTrust
from finchain.offchain.vc import (
    StatusChange,
    StatusList,
    VerificationResult,
    build_credential,
    build_presentation,
    build_status_list_credential,
    credential_status_index,
    issue,
    revoke_credential,
    schema_id,
    set_status_bit,
    sign_presentation,
    status_entry,
    suspend_credential,
    unsuspend_credential,
    verify_credential,
    verify_presentation,
)
from finchain.offchain.vc.proofs import suite_for_scheme
from finchain.offchain.vc.statuschange import resign_status_list
from finchain.offchain.vc.statuslist import MIN_BITS, STATUS_PURPOSES

app = typer.Typer(
    help="Verifiable credentials: issue, present, verify; status lists and schemas.",
    no_args_is_help=True,
)
status_app = typer.Typer(
    help="An issuer's status list: a local signed file, anchored on chain.",
    no_args_is_help=True,
)
schema_app = typer.Typer(help="Credential schemas in the chain's registry.", no_args_is_help=True)
app.add_typer(status_app, name="status-list")
app.add_typer(schema_app, name="schema")

KeyOpt = Annotated[str, typer.Option("--key", help="keystore key of the DID that signs")]
OutOpt = Annotated[Path, typer.Option("--out", help="file to write")]
StatusListsOpt = Annotated[
    list[Path],
    typer.Option(
        "--status-list", help="a status list credential file (repeat); its anchor is checked"
    ),
]
AtOpt = Annotated[
    str | None, typer.Option("--at", help="verify as of this RFC 3339 time (default: now)")
]
ListFileArg = Annotated[Path, typer.Argument(help="the status list credential file")]
PurposeOpt = Annotated[
    str, typer.Option("--purpose", help=f"status purpose: {', '.join(STATUS_PURPOSES)}")
]


def _now() -> datetime:
    return when(None, "now")


def _purpose(purpose: str) -> str:
    if purpose not in STATUS_PURPOSES:
        raise CliError(f"--purpose must be one of {', '.join(STATUS_PURPOSES)}, not {purpose!r}")
    return purpose


@key_command(app, "issue")
def issue_cmd(
    issuer: Annotated[str, typer.Option("--issuer", help="the issuer's DID")],
    key: KeyOpt,
    subject: Annotated[str, typer.Option("--subject", help="the holder's DID")],
    type_: Annotated[
        list[str], typer.Option("--type", help="credential type, e.g. KycTierCredential (repeat)")
    ],
    out: OutOpt,
    key_id: KeyIdOpt = DEFAULT_KEY_ID,
    claims: Annotated[
        str | None, typer.Option("--claims", help="subject claims: JSON object or @FILE")
    ] = None,
    schema: Annotated[str | None, typer.Option("--schema", help="the schema id (hex)")] = None,
    credential_id: Annotated[
        str | None, typer.Option("--id", help="the credential's id (URL or urn:uuid:…)")
    ] = None,
    valid_from: Annotated[
        str | None, typer.Option("--valid-from", help="RFC 3339 (default: now)")
    ] = None,
    valid_until: Annotated[str | None, typer.Option("--valid-until", help="RFC 3339")] = None,
    status_list: Annotated[
        list[str],
        typer.Option("--status-list", help="URL of a status list credential (repeat)"),
    ] = [],  # noqa: B006 - Typer reads the default, never mutated
    status_index: Annotated[
        int | None, typer.Option("--status-index", help="this credential's bit", min=0)
    ] = None,
    purpose: Annotated[
        list[str],
        typer.Option(
            "--purpose", help="each --status-list's purpose, in order (default: revocation)"
        ),
    ] = [],  # noqa: B006
    *,
    opts: KeyOptions,
) -> None:
    """Sign a credential about --subject and write it to --out (offline)."""
    check_did(issuer, "--issuer")
    check_did(subject, "--subject")
    if bool(status_list) != (status_index is not None):
        raise CliError("give --status-list URL and --status-index N together")
    purposes = purpose or ["revocation"] * len(status_list)
    if len(purposes) != len(status_list):
        raise CliError("give one --purpose per --status-list, in the same order")
    status = [
        status_entry(purpose=_purpose(p), list_url=u, index=status_index or 0)
        for u, p in zip(status_list, purposes, strict=True)
    ]
    start = when(valid_from, "--valid-from")
    credential = build_credential(
        issuer=issuer,
        subject={**claims_argument(claims), "id": subject},
        types=type_,
        valid_from=start,
        valid_until=None if valid_until is None else when(valid_until, "--valid-until"),
        credential_id=credential_id,
        schema_id=schema,
        status=status,
    )
    signing = opts.key(key)
    secured = issue(credential, signing, f"{issuer}#{key_id}", created=_now())
    write_json_file(out, secured)
    opts.emit(
        {
            "out": str(out),
            "issuer": issuer,
            "subject": subject,
            "cryptosuite": suite_for_scheme(signing.scheme).name,
        }
    )


def _status_lists(files: list[Path]) -> dict[str, dict[str, Any]]:
    lists = {}
    for path in files:
        document = read_document(path, "status list")
        list_id = document.get("id")
        if not isinstance(list_id, str):
            raise CliError(f"status list file {path} has no string id")
        lists[list_id] = document
    return lists


def _print_result(result: VerificationResult, *, as_json: bool, what: str) -> None:
    if as_json:
        emit(result.to_dict(), as_json=True)
    else:
        rows = [c.to_dict() for c in result.checks]
        for index, nested in enumerate(result.credentials):
            rows += [
                {**c.to_dict(), "name": f"credential[{index}].{c.name}"} for c in nested.checks
            ]
        emit(rows, as_json=False, title=what)
    if not result.verified:
        stderr.print(
            f"error: {what} NOT verified: {', '.join(result.reasons)}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
        raise typer.Exit(1)
    if not as_json:
        stdout.print(f"{what} verified")


# A verdict on a credential rests on the chain's DID documents, accreditations and
# status lists: one read from another chain is a verdict about another chain.
_VERIFY_REFUSAL = "to verify against it"


def _verify(
    q: NodeOptions,
    status_list: list[Path],
    at: str | None,
    what: str,
    check: Callable[..., VerificationResult],
) -> None:
    """Print ``check(trust, now=--at)``: ``trust`` is the node's chain (refused if it is not
    the home's) with the status list files given."""
    now = when(at, "--at")
    lists = _status_lists(status_list)
    with q.connect() as client:
        require_same_chain(client, q.home, refusing=_VERIFY_REFUSAL)
        result = check(ChainTrust(client, status_lists=lists), now=now)
    _print_result(result, as_json=q.json, what=what)


@query_command(app, "verify")
def verify(
    file: Annotated[Path, typer.Argument(help="the credential file")],
    status_list: StatusListsOpt = [],  # noqa: B006
    at: AtOpt = None,
    *,
    q: NodeOptions,
) -> None:
    """Run every check on a credential and print each; exit 1 unless all pass."""
    credential = load_json_file(file, "credential")
    _verify(q, status_list, at, "credential", partial(verify_credential, credential))


@key_command(app, "present")
def present(
    holder: Annotated[str, typer.Option("--holder", help="the holder's DID")],
    key: KeyOpt,
    challenge: Annotated[str, typer.Option("--challenge", help="the verifier's challenge")],
    domain: Annotated[str, typer.Option("--domain", help="the verifier's domain")],
    files: Annotated[list[Path], typer.Argument(help="credential files to enclose")],
    out: OutOpt,
    key_id: KeyIdOpt = DEFAULT_KEY_ID,
    *,
    opts: KeyOptions,
) -> None:
    """Wrap credentials in a presentation signed for one verifier's challenge (offline)."""
    check_did(holder, "--holder")
    credentials = [read_document(path, "credential") for path in files]
    presentation = build_presentation(holder=holder, credentials=credentials)
    secured = sign_presentation(
        presentation,
        opts.key(key),
        f"{holder}#{key_id}",
        created=_now(),
        challenge=challenge,
        domain=domain,
    )
    write_json_file(out, secured)
    opts.emit({"out": str(out), "holder": holder, "credentials": len(files)})


@query_command(app, "verify-presentation")
def verify_presentation_cmd(
    file: Annotated[Path, typer.Argument(help="the presentation file")],
    challenge: Annotated[str, typer.Option("--challenge", help="the challenge you sent")],
    domain: Annotated[str, typer.Option("--domain", help="your domain")],
    status_list: StatusListsOpt = [],  # noqa: B006
    at: AtOpt = None,
    *,
    q: NodeOptions,
) -> None:
    """Check the holder's proof, challenge and domain, and every enclosed credential."""
    presentation = load_json_file(file, "presentation")
    check = partial(verify_presentation, presentation, challenge=challenge, domain=domain)
    _verify(q, status_list, at, "presentation", check)


# -- status lists ---------------------------------------------------------------------------


@key_command(status_app, "create")
def status_create(
    issuer: Annotated[str, typer.Option("--issuer", help="the issuer's DID")],
    key: KeyOpt,
    list_url: Annotated[str, typer.Option("--id", help="the URL where the list is published")],
    out: OutOpt,
    purpose: PurposeOpt = "revocation",
    size: Annotated[int, typer.Option("--size", help="number of bits", min=MIN_BITS)] = MIN_BITS,
    key_id: KeyIdOpt = DEFAULT_KEY_ID,
    *,
    opts: KeyOptions,
) -> None:
    """Write a new, all-clear status list credential (then `publish` it)."""
    if out.exists():
        raise CliError(f"{out} exists: a status list is created once; use set/clear")
    unsigned = build_status_list_credential(
        list_id=list_url,
        issuer=check_did(issuer, "--issuer"),
        purpose=_purpose(purpose),
        status=StatusList(size),
        valid_from=when(None, "now"),
    )
    signed = resign_status_list(unsigned, opts.key(key), key_id=key_id, created=_now())
    write_json_file(out, signed)
    opts.emit({"out": str(out), "id": list_url, "purpose": purpose, "size": size})


def _bit_command(name: str, value: bool) -> None:
    """Register ``vc status-list NAME``: set (``value`` True) or clear a bit of a list file."""

    def command(
        file: ListFileArg,
        index: int,
        key: KeyOpt,
        key_id: KeyIdOpt = DEFAULT_KEY_ID,
        *,
        opts: KeyOptions,
    ) -> None:
        document = read_document(file, "status list")
        signed = set_status_bit(
            document, index, value, opts.key(key), key_id=key_id, created=_now()
        )
        write_json_file(file, signed)
        opts.emit({"file": str(file), "index": index, "bit": int(value)})

    command.__doc__ = (
        f"{name.capitalize()} a bit and re-sign the file (not yet anchored: run `publish`)."
    )
    # the index's help names the command: set here, as the body's annotations are strings
    command.__annotations__["index"] = Annotated[
        int, typer.Argument(help=f"the bit to {name}", min=0)
    ]
    key_command(status_app, name)(command)


_bit_command("set", True)
_bit_command("clear", False)


def _publish(tx: TxOptions, document: dict[str, Any]) -> None:
    """Anchor ``document``'s digest as its list's next version, and report."""
    published = tx.run(publish_status_list, document)
    extra = {
        "list_id": published.list_id,
        "version": published.version,
        "digest": published.digest.hex(),
    }
    tx.report(published.receipt, extra)


@tx_command(status_app, "publish")
def status_publish(file: ListFileArg, *, tx: TxOptions) -> None:
    """Anchor the file's digest on chain as the list's next version (the issuer's account
    signs); then publish the file at its URL."""
    _publish(tx, read_document(file, "status list"))


CredentialArg = Annotated[Path, typer.Argument(help="the credential file")]
ListOpt = Annotated[Path, typer.Option("--list", help="the issuer's status list file")]


def _status_command(name: str, change: StatusChange, doc: str) -> None:
    """Register ``vc NAME``: ``change`` the credential's bit in the list file, re-sign and
    save the file, then anchor it (the SDK's ``finchain.offchain.vc.statuschange`` and
    ``finchain.client.status_lists``)."""

    def command(
        credential: CredentialArg,
        list_file: ListOpt,
        key: KeyOpt,
        key_id: KeyIdOpt = DEFAULT_KEY_ID,
        *,
        tx: TxOptions,
    ) -> None:
        issued = read_document(credential, "credential")
        document = read_document(list_file, "status list")
        credential_status_index(issued, document, change.purpose)  # refused before a prompt
        signed = change(issued, document, tx.key(key), key_id=key_id, created=_now())
        write_json_file(list_file, signed)  # kept before anchoring: the anchor is of these bytes
        _publish(tx, signed)

    command.__doc__ = doc
    tx_command(app, name)(command)


for _name, _change, _doc in (
    ("revoke", revoke_credential, "Revoke a credential for good: set its revocation bit"),
    ("suspend", suspend_credential, "Suspend a credential: set its suspension bit"),
    ("unsuspend", unsuspend_credential, "Lift a suspension: clear the suspension bit"),
):
    _status_command(_name, _change, f"{_doc}, re-sign, anchor.")


# -- schemas --------------------------------------------------------------------------------


@tx_command(schema_app, "register")
def schema_register(
    name: Annotated[str, typer.Argument(help="schema name, e.g. kyc-tier")],
    version: Annotated[int, typer.Argument(help="version number (grows)", min=1)],
    credential_type: Annotated[str, typer.Argument(help="the credential type it describes")],
    file: Annotated[Path, typer.Argument(help="the JSON Schema (Draft 2020-12)")],
    issuer: Annotated[str, typer.Option("--issuer", help="the accredited issuer's DID")],
    *,
    tx: TxOptions,
) -> None:
    """Register a schema (sent in canonical JCS form); prints its id for `vc issue --schema`."""
    with tx.session() as s:
        document = read_document(file, "schema")
        identifier = schema_id(document, s.client.status().hash_name)
        msg = cb.register_schema(
            check_did(issuer, "--issuer"), name, version, credential_type, document
        )
        receipt = s.send(msg)
    tx.report(receipt, {"schema_id": identifier})
