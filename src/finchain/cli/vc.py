"""``finchain vc``: issue, present and verify W3C verifiable credentials; manage status lists.

Issuing and presenting are offline: they sign files with a DID key from the
keystore (Ed25519 keys give ``eddsa-jcs-2022`` proofs, SM2 keys ``sm2-jcs-2025``).
Verifying asks a node (``--url``) for what a verifier must trust: the
issuer's DID document at issuance, its accreditation, schemas and the
status-list anchors. A status list credential lives in a local file that the
issuer publishes at its URL; ``revoke``/``suspend``/``unsuspend`` flip a bit,
re-sign the file and anchor its digest on chain in one command, so a verifier
holding the new file sees the change from the anchoring block on, and one
holding a stale copy sees that it is stale.
"""

from __future__ import annotations

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
    load_json_file,
    write_json_file,
)
from finchain.cli.identity_shared import (
    DEFAULT_KEY_ID,
    KeyIdOpt,
    check_did,
    claims_argument,
    query_or_none,
    read_document,
    unlock_key,
    when,
)
from finchain.cli.online import (
    AccountOpt,
    FromOpt,
    TimeoutOpt,
    WaitOpt,
    connect,
    report,
    require_same_chain,
    send,
    signer,
)
from finchain.cli.output import CliError, emit, failures, stderr, stdout
from finchain.client import Client
from finchain.client import credentials_builders as cb
from finchain.client.trust import ChainTrust
from finchain.offchain.vc import (
    StatusList,
    VerificationResult,
    anchor_digest,
    build_credential,
    build_presentation,
    build_status_list_credential,
    issue,
    issue_status_list_credential,
    read_credential,
    schema_id,
    sign_presentation,
    status_entry,
    verify_credential,
    verify_presentation,
)
from finchain.offchain.vc.proofs import suite_for_scheme
from finchain.offchain.vc.statuslist import MIN_BITS, STATUS_PURPOSES, read_status_list

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


def _purpose(purpose: str) -> str:
    if purpose not in STATUS_PURPOSES:
        raise CliError(f"--purpose must be one of {', '.join(STATUS_PURPOSES)}, not {purpose!r}")
    return purpose


@app.command("issue")
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
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Sign a credential about --subject and write it to --out (offline)."""
    with failures():
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
        signing = unlock_key(key, home=home, keystore=keystore, passphrase_file=passphrase_file)
        secured = issue(credential, signing, f"{issuer}#{key_id}", created=when(None, "now"))
        write_json_file(out, secured)
        emit(
            {
                "out": str(out),
                "issuer": issuer,
                "subject": subject,
                "cryptosuite": suite_for_scheme(signing.scheme).name,
            },
            as_json=json_out,
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


@app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="the credential file")],
    status_list: StatusListsOpt = [],  # noqa: B006
    at: AtOpt = None,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    json_out: JsonOpt = False,
) -> None:
    """Run every check on a credential and print each; exit 1 unless all pass."""
    with failures():
        credential = load_json_file(file, "credential")
        lists = _status_lists(status_list)
        now = when(at, "--at")
        with connect(url, home=home) as client:
            require_same_chain(client, home, refusing=_VERIFY_REFUSAL)
            result = verify_credential(credential, ChainTrust(client, status_lists=lists), now=now)
    _print_result(result, as_json=json_out, what="credential")


@app.command("present")
def present(
    holder: Annotated[str, typer.Option("--holder", help="the holder's DID")],
    key: KeyOpt,
    challenge: Annotated[str, typer.Option("--challenge", help="the verifier's challenge")],
    domain: Annotated[str, typer.Option("--domain", help="the verifier's domain")],
    files: Annotated[list[Path], typer.Argument(help="credential files to enclose")],
    out: OutOpt,
    key_id: KeyIdOpt = DEFAULT_KEY_ID,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Wrap credentials in a presentation signed for one verifier's challenge (offline)."""
    with failures():
        check_did(holder, "--holder")
        credentials = [read_document(path, "credential") for path in files]
        presentation = build_presentation(holder=holder, credentials=credentials)
        signing = unlock_key(key, home=home, keystore=keystore, passphrase_file=passphrase_file)
        secured = sign_presentation(
            presentation,
            signing,
            f"{holder}#{key_id}",
            created=when(None, "now"),
            challenge=challenge,
            domain=domain,
        )
        write_json_file(out, secured)
        emit({"out": str(out), "holder": holder, "credentials": len(files)}, as_json=json_out)


@app.command("verify-presentation")
def verify_presentation_cmd(
    file: Annotated[Path, typer.Argument(help="the presentation file")],
    challenge: Annotated[str, typer.Option("--challenge", help="the challenge you sent")],
    domain: Annotated[str, typer.Option("--domain", help="your domain")],
    status_list: StatusListsOpt = [],  # noqa: B006
    at: AtOpt = None,
    url: UrlOpt = DEFAULT_URL,
    home: HomeOpt = DEFAULT_HOME,
    json_out: JsonOpt = False,
) -> None:
    """Check the holder's proof, challenge and domain, and every enclosed credential."""
    with failures():
        presentation = load_json_file(file, "presentation")
        lists = _status_lists(status_list)
        now = when(at, "--at")
        with connect(url, home=home) as client:
            require_same_chain(client, home, refusing=_VERIFY_REFUSAL)
            result = verify_presentation(
                presentation,
                ChainTrust(client, status_lists=lists),
                challenge=challenge,
                domain=domain,
                now=now,
            )
    _print_result(result, as_json=json_out, what="presentation")


# -- status lists ---------------------------------------------------------------------------


def _signed_list(
    unsigned: dict[str, Any],
    *,
    key_name: str,
    key_id: str,
    home: Path,
    keystore: Path | None,
    passphrase_file: Path | None,
) -> dict[str, Any]:
    signing = unlock_key(key_name, home=home, keystore=keystore, passphrase_file=passphrase_file)
    issuer = str(unsigned["issuer"])
    return issue_status_list_credential(
        unsigned, signing, f"{issuer}#{key_id}", created=when(None, "now")
    )


def _with_bit(document: dict[str, Any], index: int, value: bool) -> dict[str, Any]:
    """The unsigned list credential with bit ``index`` set to ``value`` (validity kept)."""
    purpose, bits = read_status_list(document)
    if value:
        bits.set(index)
    else:
        bits.clear(index)
    info = read_credential(document)
    assert info.valid_from is not None  # every list this command writes has one
    return build_status_list_credential(
        list_id=str(document["id"]),
        issuer=info.issuer,
        purpose=purpose,
        status=bits,
        valid_from=info.valid_from,
        valid_until=info.valid_until,
    )


@status_app.command("create")
def status_create(
    issuer: Annotated[str, typer.Option("--issuer", help="the issuer's DID")],
    key: KeyOpt,
    list_url: Annotated[str, typer.Option("--id", help="the URL where the list is published")],
    out: OutOpt,
    purpose: PurposeOpt = "revocation",
    size: Annotated[int, typer.Option("--size", help="number of bits", min=MIN_BITS)] = MIN_BITS,
    key_id: KeyIdOpt = DEFAULT_KEY_ID,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write a new, all-clear status list credential (then `publish` it)."""
    with failures():
        if out.exists():
            raise CliError(f"{out} exists: a status list is created once; use set/clear")
        unsigned = build_status_list_credential(
            list_id=list_url,
            issuer=check_did(issuer, "--issuer"),
            purpose=_purpose(purpose),
            status=StatusList(size),
            valid_from=when(None, "now"),
        )
        signed = _signed_list(
            unsigned,
            key_name=key,
            key_id=key_id,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        write_json_file(out, signed)
        emit({"out": str(out), "id": list_url, "purpose": purpose, "size": size}, as_json=json_out)


def _flip(
    path: Path,
    index: int,
    value: bool,
    *,
    key: str,
    key_id: str,
    home: Path,
    keystore: Path | None,
    passphrase_file: Path | None,
) -> dict[str, Any]:
    document = read_document(path, "status list")
    signed = _signed_list(
        _with_bit(document, index, value),
        key_name=key,
        key_id=key_id,
        home=home,
        keystore=keystore,
        passphrase_file=passphrase_file,
    )
    write_json_file(path, signed)
    return signed


@status_app.command("set")
def status_set(
    file: ListFileArg,
    index: Annotated[int, typer.Argument(help="the bit to set", min=0)],
    key: KeyOpt,
    key_id: KeyIdOpt = DEFAULT_KEY_ID,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Set a bit and re-sign the file (not yet anchored: run `publish`)."""
    with failures():
        _flip(
            file,
            index,
            True,
            key=key,
            key_id=key_id,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        emit({"file": str(file), "index": index, "bit": 1}, as_json=json_out)


@status_app.command("clear")
def status_clear(
    file: ListFileArg,
    index: Annotated[int, typer.Argument(help="the bit to clear", min=0)],
    key: KeyOpt,
    key_id: KeyIdOpt = DEFAULT_KEY_ID,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Clear a bit and re-sign the file (not yet anchored: run `publish`)."""
    with failures():
        _flip(
            file,
            index,
            False,
            key=key,
            key_id=key_id,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        emit({"file": str(file), "index": index, "bit": 0}, as_json=json_out)


def _anchor(
    client: Client,
    document: dict[str, Any],
    *,
    from_: list[str],
    account: str | None,
    home: Path,
    keystore: Path | None,
    passphrase_file: Path | None,
    wait: bool,
    timeout: float,
    json_out: bool,
) -> None:
    """Anchor the digest of ``document`` as the list's next version, and report."""
    list_id = str(document["id"])
    purpose, _ = read_status_list(document)
    issuer = read_credential(document).issuer
    found = query_or_none(client, "credentials/status_list", {"list_id": list_id}, "credentials")
    version = 1 if found is None else int(found["latest"]["version"]) + 1
    digest = anchor_digest(document, client.status().hash_name)
    who = signer(
        client,
        from_,
        account=account,
        home=home,
        keystore=keystore,
        passphrase_file=passphrase_file,
    )
    msg = cb.anchor_status_list(issuer, list_id, version=version, digest=digest, purpose=purpose)
    receipt = send(client, who, msg, wait=wait, timeout=timeout)
    report(
        receipt,
        as_json=json_out,
        extra={"list_id": list_id, "version": version, "digest": digest.hex()},
    )


@status_app.command("publish")
def status_publish(
    file: ListFileArg,
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
    """Anchor the file's digest on chain as the list's next version (the issuer's account
    signs); then publish the file at its URL."""
    with failures(), connect(url, home=home) as client:
        _anchor(
            client,
            read_document(file, "status list"),
            from_=from_,
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
            wait=wait,
            timeout=timeout,
            json_out=json_out,
        )


def _change_status(
    credential_file: Path,
    list_file: Path,
    purpose: str,
    value: bool,
    *,
    key: str,
    key_id: str,
    from_: list[str],
    account: str | None,
    url: str,
    home: Path,
    keystore: Path | None,
    passphrase_file: Path | None,
    wait: bool,
    timeout: float,
    json_out: bool,
) -> None:
    with failures():
        info = read_credential(read_document(credential_file, "credential"))
        document = read_document(list_file, "status list")
        entries = [
            e for e in info.status if e.purpose == purpose and e.list_url == document.get("id")
        ]
        if not entries:
            raise CliError(
                f"{credential_file} has no {purpose} entry in status list "
                f"{str(document.get('id'))[:120]} ({list_file})"
            )
        if read_status_list(document)[0] != purpose:
            raise CliError(f"{list_file} is not a {purpose} list")
        signed = _flip(
            list_file,
            entries[0].index,
            value,
            key=key,
            key_id=key_id,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        with connect(url, home=home) as client:
            _anchor(
                client,
                signed,
                from_=from_,
                account=account,
                home=home,
                keystore=keystore,
                passphrase_file=passphrase_file,
                wait=wait,
                timeout=timeout,
                json_out=json_out,
            )


CredentialArg = Annotated[Path, typer.Argument(help="the credential file")]
ListOpt = Annotated[Path, typer.Option("--list", help="the issuer's status list file")]


@app.command("revoke")
def revoke(
    credential: CredentialArg,
    list_file: ListOpt,
    key: KeyOpt,
    from_: FromOpt,
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
    """Revoke a credential for good: set its revocation bit, re-sign, anchor."""
    _change_status(
        credential,
        list_file,
        "revocation",
        True,
        key=key,
        key_id=key_id,
        from_=from_,
        account=account,
        url=url,
        home=home,
        keystore=keystore,
        passphrase_file=passphrase_file,
        wait=wait,
        timeout=timeout,
        json_out=json_out,
    )


@app.command("suspend")
def suspend(
    credential: CredentialArg,
    list_file: ListOpt,
    key: KeyOpt,
    from_: FromOpt,
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
    """Suspend a credential: set its suspension bit, re-sign, anchor."""
    _change_status(
        credential,
        list_file,
        "suspension",
        True,
        key=key,
        key_id=key_id,
        from_=from_,
        account=account,
        url=url,
        home=home,
        keystore=keystore,
        passphrase_file=passphrase_file,
        wait=wait,
        timeout=timeout,
        json_out=json_out,
    )


@app.command("unsuspend")
def unsuspend(
    credential: CredentialArg,
    list_file: ListOpt,
    key: KeyOpt,
    from_: FromOpt,
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
    """Lift a suspension: clear the suspension bit, re-sign, anchor."""
    _change_status(
        credential,
        list_file,
        "suspension",
        False,
        key=key,
        key_id=key_id,
        from_=from_,
        account=account,
        url=url,
        home=home,
        keystore=keystore,
        passphrase_file=passphrase_file,
        wait=wait,
        timeout=timeout,
        json_out=json_out,
    )


# -- schemas --------------------------------------------------------------------------------


@schema_app.command("register")
def schema_register(
    name: Annotated[str, typer.Argument(help="schema name, e.g. kyc-tier")],
    version: Annotated[int, typer.Argument(help="version number (grows)", min=1)],
    credential_type: Annotated[str, typer.Argument(help="the credential type it describes")],
    file: Annotated[Path, typer.Argument(help="the JSON Schema (Draft 2020-12)")],
    issuer: Annotated[str, typer.Option("--issuer", help="the accredited issuer's DID")],
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
    """Register a schema (sent in canonical JCS form); prints its id for `vc issue --schema`."""
    with failures(), connect(url, home=home) as client:
        document = read_document(file, "schema")
        identifier = schema_id(document, client.status().hash_name)
        who = signer(
            client,
            from_,
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        msg = cb.register_schema(
            check_did(issuer, "--issuer"), name, version, credential_type, document
        )
        receipt = send(client, who, msg, wait=wait, timeout=timeout)
        report(receipt, as_json=json_out, extra={"schema_id": identifier})
