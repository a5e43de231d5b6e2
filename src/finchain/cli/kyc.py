"""``finchain kyc``: KYC tier claims on accounts, and m-of-n de-anonymisation by regulators.

The bank records a claim (``record``): the tier, an expiry, a salted hash of
the KYC credential (the salt is written next to the credential file and never
sent) and, for tiers 1 and 2, the customer's real identity sealed so that only
m of the chain's n regulators together can read it (docs/escrow.md). A
regulator asks (``disclose request``), m-1 others approve by re-sealing their
share to it (``disclose approve``), and the requester reads the identity
(``disclose open``) with its encryption key from the keystore.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.identity_shared import check_did, read_document, time_ns, when
from finchain.cli.online import event_value
from finchain.cli.output import CliError, emit
from finchain.cli.txflags import (
    KeyOptions,
    NodeOptions,
    TxOptions,
    key_command,
    query_command,
    tx_command,
)
from finchain.client import Client
from finchain.client import credentials_builders as cb
from finchain.client.escrow import build_escrow, decode_link, encode_link, open_escrow, reseal_share
from finchain.modules.credentials.types import MAX_TIER

app = typer.Typer(
    help="KYC tier claims and regulators' m-of-n disclosure (online).",
    no_args_is_help=True,
)
disclose_app = typer.Typer(
    help="Regulators: request, approve and open a de-anonymisation.", no_args_is_help=True
)
app.add_typer(disclose_app, name="disclose")

SALT_SUFFIX = ".salt"
IDENTITY_FIELDS = ("name", "id_number", "kyc_ref")
IssuerOpt = Annotated[str, typer.Option("--issuer", help="the issuer's (bank's) DID")]
AccountArgOpt = Annotated[
    str, typer.Option("--account", help="the customer's account (id or name)")
]
EncKeyOpt = Annotated[
    str, typer.Option("--enc-key", help="keystore key the regulator registered for escrows")
]


def _identity(text: str | None) -> dict[str, str]:
    if text is None:
        raise CliError(
            "tiers 1 and 2 escrow the real identity: give --identity "
            '\'{"name": …, "id_number": …, "kyc_ref": …}\''
        )
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CliError(f"--identity is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or set(data) != set(IDENTITY_FIELDS):
        raise CliError(
            f"--identity must be a JSON object with exactly {', '.join(IDENTITY_FIELDS)}"
        )
    if not all(isinstance(v, str) and v for v in data.values()):
        raise CliError("--identity values must be non-empty strings")
    return data


def _regulators(client: Client) -> tuple[list[tuple[str, str, bytes]], int]:
    found = client.query("credentials/regulators").value
    regulators = [
        (str(r["account"]), str(r["scheme"]), bytes.fromhex(r["public_key"]))
        for r in found["regulators"]
    ]
    return regulators, int(found["disclosure_threshold"])


def _write_salt(credential: Path, salt: bytes) -> Path:
    """The salt beside the credential, readable by its owner only: whoever holds both can
    prove the on-chain hash is of this credential."""
    path = credential.with_name(credential.name + SALT_SUFFIX)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(salt.hex() + "\n")
    return path


@tx_command(app, "record", account=False)
def record(
    issuer: IssuerOpt,
    customer: AccountArgOpt,
    subject: Annotated[str, typer.Option("--subject", help="the DID bound to the account")],
    tier: Annotated[int, typer.Option("--tier", help="0 anonymous, 1 basic, 2 full", min=0)],
    expires: Annotated[str, typer.Option("--expires", help="RFC 3339 expiry of the claim")],
    credential: Annotated[Path, typer.Option("--credential", help="the KYC credential file")],
    identity: Annotated[
        str | None,
        typer.Option("--identity", help='JSON {"name", "id_number", "kyc_ref"} to escrow'),
    ] = None,
    *,
    tx: TxOptions,
) -> None:
    """Record the issuer's KYC tier claim on an account (the issuer's account signs)."""
    if tier > MAX_TIER:
        raise CliError(f"--tier must be 0 to {MAX_TIER}")
    check_did(issuer, "--issuer")
    check_did(subject, "--subject")
    target = tx.resolve(customer)
    document = read_document(credential, "credential")
    expires_ns = time_ns(when(expires, "--expires"))
    with tx.session() as s:
        status = s.client.status()
        escrow = None
        if tier > 0:
            person = _identity(identity)
            link = encode_link(account=target, did=subject, issuer=issuer, **person)
            regulators, threshold = _regulators(s.client)
            if not regulators:
                raise CliError("the chain has no regulators yet: tiers 1 and 2 need them")
            escrow = build_escrow(
                link, regulators, threshold, suite=status.suite, chain_id=status.chain_id
            )
        salt = cb.new_kyc_salt()
        digest = cb.kyc_credential_hash(document, salt, status.hash_name)
        msg = cb.record_kyc(
            issuer,
            target,
            subject,
            tier=tier,
            expires_ns=expires_ns,
            credential_hash=digest,
            escrow=escrow,
        )
        receipt = s.send(msg)
    salt_file = _write_salt(credential, salt) if receipt.ok else None
    extra = {
        "account": target,
        "tier": tier,
        "credential_hash": digest.hex(),
        "salt_file": None if salt_file is None else str(salt_file),
    }
    tx.report(receipt, extra)


@query_command(app, "show", names=True)
def show(
    customer: Annotated[str, typer.Argument(help="the account (id or name)")],
    *,
    q: NodeOptions,
) -> None:
    """The KYC claims on an account (escrows as ciphertext) and its tier now."""
    target = q.resolve(customer)
    now = time_ns(when(None, "now"))
    with q.connect() as client:
        claims = client.query("credentials/kyc", {"account": target}).value["claims"]
        at = {"account": target, "time_ns": str(now)}
        tier = client.query("credentials/kyc_tier", at).value["tier"]
    if q.json:
        emit({"account": target, "tier": tier, "claims": claims}, as_json=True)
        return
    emit({"account": target, "tier": tier}, as_json=False)
    columns = ("issuer", "subject", "tier", "expires_ns", "status", "height")
    rows = [{k: c[k] for k in columns} for c in claims]
    if rows:
        emit(rows, as_json=False, title="claims")


@tx_command(app, "revoke", account=False)
def revoke(issuer: IssuerOpt, customer: AccountArgOpt, *, tx: TxOptions) -> None:
    """Revoke the issuer's claim (the escrow stays: revoking never hides an identity)."""
    target = tx.resolve(customer)
    msg = cb.revoke_kyc(check_did(issuer, "--issuer"), target)
    tx.broadcast(msg, extra={"account": target, "issuer": issuer})


@tx_command(disclose_app, "request", account=False)
def disclose_request(
    issuer: IssuerOpt,
    customer: AccountArgOpt,
    reason: Annotated[str, typer.Option("--reason", help="why (kept in the audit record)")],
    *,
    tx: TxOptions,
) -> None:
    """Ask to open the escrow of the issuer's claim on an account; prints the request id."""
    target = tx.resolve(customer)
    msg = cb.request_disclosure(target, check_did(issuer, "--issuer"), reason)
    with tx.session() as s:
        receipt = s.send(msg)
    request_id = event_value(receipt, "disclosure_requested", "request_id")
    tx.report(receipt, {"request_id": None if request_id is None else int(request_id)})


def _request_and_escrow(client: Client, request_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request and the escrow of the claim it is about (bytes back from hex)."""
    request = client.query("credentials/disclosure", {"request_id": str(request_id)}).value
    claims = client.query("credentials/kyc", {"account": request["account"]}).value["claims"]
    for claim in claims:
        if claim["issuer"] == request["issuer"] and claim["escrow"] is not None:
            found = claim["escrow"]
            escrow = {
                "threshold": found["threshold"],
                "regulators": found["regulators"],
                "ciphertext": bytes.fromhex(found["ciphertext"]),
                "shares": [bytes.fromhex(s) for s in found["shares"]],
            }
            return request, escrow
    raise CliError(
        f"request {request_id}: no escrowed claim by {request['issuer']} on {request['account']}"
    )


RequestArg = Annotated[int, typer.Argument(help="the disclosure request id", min=1)]


@tx_command(disclose_app, "approve")
def disclose_approve(request_id: RequestArg, enc_key: EncKeyOpt, *, tx: TxOptions) -> None:
    """Approve a request: open your share of the escrow and re-seal it to the requester."""
    with tx.session() as s:
        request, escrow = _request_and_escrow(s.client, request_id)
        regulators, _ = _regulators(s.client)
        requester = [r for r in regulators if r[0] == request["requester"]]
        if not requester:
            raise CliError(f"requester {request['requester']} is no longer a regulator")
        who = s.signer
        key = tx.encryption_key(enc_key)
        _, scheme, public_key = requester[0]
        share = reseal_share(
            escrow,
            who.account,
            key,
            scheme,
            public_key,
            chain_id=who.chain_id,
            request_id=request_id,
        )
        receipt = s.send(cb.approve_disclosure(request_id, share))
    tx.report(receipt, {"request_id": request_id})


@key_command(disclose_app, "open", online=True)
def disclose_open(
    request_id: RequestArg,
    enc_key: EncKeyOpt,
    regulator: Annotated[str, typer.Option("--as", help="your regulator account (id or name)")],
    *,
    opts: KeyOptions,
) -> None:
    """Read the escrowed identity of a granted request (the requester, with its key)."""
    with opts.connect() as client:
        me = opts.resolve(regulator)
        request, escrow = _request_and_escrow(client, request_id)
        if request["status"] != "granted":
            raise CliError(
                f"request {request_id} is {request['status']}: it opens once "
                f"{request['required']} regulators have approved"
            )
        if request["requester"] != me:
            raise CliError(f"request {request_id} was filed by {request['requester']}, not {me}")
        shares = [bytes.fromhex(a["share"]) for a in request["approvals"]]
        link = open_escrow(
            escrow,
            shares,
            opts.encryption_key(enc_key),
            chain_id=client.status().chain_id,
            request_id=request_id,
            my_account=me,
        )
        opts.emit(decode_link(link), title=f"disclosure {request_id}")
