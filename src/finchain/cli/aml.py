"""``finchain aml``: sanctions lists and travel-rule envelopes (docs/regulation/aml.md).

A regulator publishes a list from a file of account ids and DIDs (one per line,
``#`` comments): ``list-publish`` sends it in ordered chunks and seals it with the
hash and count computed here, so the chain's copy is checked against the file.
``check`` answers whether an account or DID is on the active list.
``default-rules`` writes the built-in rule set for ``finchain rules publish``.

Travel rule: ``travel seal`` encrypts an envelope (JSON, see the docs) to the
beneficiary institution and the chain's regulators and prints its hash;
``travel pay`` sends the transfer with its ``aml/travel_record`` in one
transaction; ``travel open`` decrypts an envelope with a keystore key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.amounts import to_units
from finchain.cli.output import CliError
from finchain.cli.txflags import (
    KeyOptions,
    NodeOptions,
    TxOptions,
    key_command,
    query_command,
    tx_command,
)
from finchain.client import Client
from finchain.client import aml_builders as amlb
from finchain.client import builders as b
from finchain.crypto import encryption_public_key
from finchain.crypto.sealing import check_encryption_public_key
from finchain.errors import FinchainError
from finchain.formats.did import is_did
from finchain.modules.aml.types import MAX_ENTRIES_PER_MSG, is_entry, list_hash
from finchain.modules.compliance import builtins
from finchain.offchain.travelrule import (
    Envelope,
    Party,
    Recipient,
    envelope_hash,
    open_envelope,
    seal_envelope,
)
from finchain.offchain.travelrule.envelope import SEALING_SCHEME

app = typer.Typer(
    help="Anti-money-laundering: sanctions lists and travel-rule envelopes.",
    no_args_is_help=True,
)
travel_app = typer.Typer(help="FATF R.16 travel-rule envelopes.", no_args_is_help=True)
app.add_typer(travel_app, name="travel")

ListFile = Annotated[
    Path, typer.Argument(help="one account id or DID per line; '#' starts a comment")
]
VersionOpt = Annotated[int | None, typer.Option("--version", min=1, help="a list version")]


def read_entries(path: Path) -> list[str]:
    """The entries of a list file, sorted as the chain wants them (duplicates dropped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    entries = set()
    for number, line in enumerate(lines, start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if not is_entry(entry):
            raise CliError(f"{path}:{number}: {entry[:60]!r} is neither an account id nor a DID")
        entries.add(entry)
    return sorted(entries, key=str.encode)


def _active(client: Client) -> dict[str, Any]:
    found: dict[str, Any] = client.query("aml/active", {}).value
    return found


@tx_command(app, "list-publish")
def list_publish(
    file: ListFile,
    seal: Annotated[
        bool, typer.Option("--seal/--no-seal", help="seal after the last chunk")
    ] = True,
    chunk: Annotated[
        int, typer.Option("--chunk", min=1, max=MAX_ENTRIES_PER_MSG, help="entries per tx")
    ] = MAX_ENTRIES_PER_MSG,
    *,
    tx: TxOptions,
) -> None:
    """Publish FILE as the next sanctions list version (one transaction per chunk, then
    the seal); the list takes effect when sealed."""
    entries = read_entries(file)
    with tx.session() as s:
        version = int(_active(s.client)["next_version"])
        hash_alg = s.client.status().hash_name
        msgs = amlb.list_messages(version=version, entries=entries, hash_alg=hash_alg, chunk=chunk)
        if not seal:
            msgs = msgs[:-1]
        if not msgs:
            raise CliError("the file lists no entry: seal an empty list with --seal")
        receipt = None
        for msg in msgs:
            receipt = s.send(msg)
            if not receipt.ok:
                break
    assert receipt is not None
    tx.report(
        receipt,
        {
            "version": version,
            "count": len(entries),
            "hash_alg": hash_alg,
            "hash": list_hash(hash_alg, entries).hex(),
            "sealed": seal and receipt.ok,
        },
    )


@tx_command(app, "seal")
def seal_list(
    file: ListFile,
    version: Annotated[int, typer.Option("--version", min=1, help="the draft's version")],
    *,
    tx: TxOptions,
) -> None:
    """Seal draft --version as FILE (its count and hash computed here must match the chain's)."""
    entries = read_entries(file)
    with tx.session() as s:
        hash_alg = s.client.status().hash_name
        digest = list_hash(hash_alg, entries)
        receipt = s.send(amlb.list_seal(version, len(entries), digest))
    tx.report(receipt, {"version": version, "count": len(entries), "hash": digest.hex()})


@tx_command(app, "discard")
def discard(
    version: Annotated[int, typer.Argument(help="the draft's version", min=1)], *, tx: TxOptions
) -> None:
    """Discard the draft VERSION (any regulator); its number is not reused."""
    with tx.session() as s:
        receipt = s.send(amlb.list_discard(version))
    tx.report(receipt, {"version": version})


@query_command(app, "show")
def show(version: VersionOpt = None, *, q: NodeOptions) -> None:
    """The active sanctions list (or --version): hash, count, publisher, state."""
    with q.connect() as client:
        if version is None:
            q.emit(_active(client), title="active sanctions list")
        else:
            found = client.query("aml/list", {"version": str(version)}).value
            q.emit(found, title=f"sanctions list {version}")


@query_command(app, "check", names=True)
def check(
    address: Annotated[str, typer.Argument(help="an account (id or name) or a DID")],
    version: VersionOpt = None,
    *,
    q: NodeOptions,
) -> None:
    """Whether ADDRESS is on the active list (or on sealed --version)."""
    entry = address if is_did(address) else q.resolve(address)
    params = {"address": entry}
    if version is not None:
        params["version"] = str(version)
    with q.connect() as client:
        q.emit(client.query("aml/check", params).value, title="sanctions check")


@query_command(app, "default-rules")
def default_rules(
    out: Annotated[Path, typer.Option("--out", help="where to write the rule set (JSON)")],
    asset: Annotated[str, typer.Option("--asset", help="the asset the rules watch")] = "CNY",
    tiers: Annotated[
        Path | None,
        typer.Option("--tiers", help='tier limits, JSON: {"0": {"balance": "10000", ...}, ...}'),
    ] = None,
    verified: Annotated[
        bool,
        typer.Option("--verified/--no-verified", help="verified identity for regulated assets"),
    ] = True,
    *,
    q: NodeOptions,
) -> None:
    """Write the built-in rule set for --asset (its decimals read from the chain), ready for
    ``finchain rules publish``."""
    limits = None
    if tiers is not None:
        try:
            raw = json.loads(tiers.read_text(encoding="utf-8"))
            limits = {int(tier): dict(given) for tier, given in raw.items()}
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            raise CliError(f"--tiers {tiers}: {exc}") from None
    with q.connect() as client:
        decimals = client.asset(asset).decimals
    try:
        ruleset = builtins.default_ruleset(
            asset=asset, decimals=decimals, verified=verified, tiers=limits
        )
    except FinchainError as exc:
        raise CliError(exc.message) from None
    out.write_text(json.dumps(ruleset, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    q.emit(
        {"out": str(out), "decimals": decimals, "rules": [r["id"] for r in ruleset["rules"]]},
        title="built-in rules",
    )


# -- travel rule ----------------------------------------------------------------------------------


def _party(obj: object, role: str, q: NodeOptions) -> Party:
    if not isinstance(obj, dict) or not isinstance(obj.get("account"), str):
        raise CliError(f"the envelope's {role} must be an object with an account")
    fields = {k: v for k, v in obj.items() if k != "account"}
    try:
        return Party(account=q.resolve(obj["account"]), **fields)
    except TypeError:
        raise CliError(f"the envelope's {role} has unknown fields: {sorted(fields)}") from None


def _envelope(path: Path, client: Client, q: NodeOptions) -> Envelope:
    """The envelope JSON file, with its amount (in the asset's units) in base units."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read the envelope {path}: {exc}") from None
    if not isinstance(obj, dict):
        raise CliError("the envelope file holds one JSON object")
    asset, amount = obj.get("asset"), obj.get("amount")
    if not isinstance(asset, str) or not isinstance(amount, str):
        raise CliError("the envelope names 'asset' and 'amount' (a string such as \"1500.00\")")
    envelope = Envelope(
        originator=_party(obj.get("originator"), "originator", q),
        beneficiary=_party(obj.get("beneficiary"), "beneficiary", q),
        originator_institution=str(obj.get("originator_institution", "")),
        beneficiary_institution=str(obj.get("beneficiary_institution", "")),
        chain_id=client.status().chain_id,
        asset=asset,
        amount=to_units(amount, client.asset(asset).decimals),
        reference=str(obj.get("reference", "")),
    )
    envelope.check()
    return envelope


def _beneficiary_key(text: str, suite: str, q: NodeOptions) -> tuple[str, bytes]:
    """``--beneficiary-key``: the public key in hex, or a keystore key's public part."""
    scheme = SEALING_SCHEME[suite]
    if all(c in "0123456789abcdef" for c in text.lower()) and len(text) % 2 == 0:
        key = bytes.fromhex(text)
        check_encryption_public_key(scheme, key)
        return scheme, key
    found = encryption_public_key(q.store().info(text).public_key)
    if found[0] != scheme:
        raise CliError(f"key {text} is {found[0]}; this {suite} chain seals with {scheme}")
    return found


@query_command(travel_app, "seal", names=True)
def travel_seal(
    envelope_file: Annotated[Path, typer.Argument(help="the envelope, JSON (docs)")],
    out: Annotated[Path, typer.Option("--out", help="where to write the sealed envelope")],
    beneficiary_key: Annotated[
        str,
        typer.Option(
            "--beneficiary-key",
            help="the beneficiary institution's encryption key: hex, or a keystore key name",
        ),
    ],
    regulator: Annotated[
        list[str] | None,
        typer.Option("--regulator", help="seal to these regulators only (default: all)"),
    ] = None,
    *,
    q: NodeOptions,
) -> None:
    """Seal ENVELOPE_FILE to the beneficiary institution and the chain's regulators; print
    the hash that goes into aml/travel_record."""
    with q.connect() as client:
        suite = client.status().suite
        envelope = _envelope(envelope_file, client, q)
        regulators = client.query("credentials/regulators", {}).value["regulators"]
    wanted = None if not regulator else {q.resolve(r) for r in regulator}
    recipients: list[Recipient] = [
        (envelope.beneficiary_institution, *_beneficiary_key(beneficiary_key, suite, q))
    ]
    for found in regulators:
        if wanted is None or found["account"] in wanted:
            scheme, public = found["scheme"], bytes.fromhex(found["public_key"])
            recipients.append((found["account"], scheme, public))
    if wanted is not None and len(recipients) - 1 != len(wanted):
        raise CliError("a --regulator named is not a registered regulator")
    sealed = seal_envelope(envelope, recipients, suite=suite)
    out.write_bytes(sealed)
    q.emit(
        {
            "envelope_hash": envelope_hash(sealed, suite=suite).hex(),
            "recipients": [to for to, _, _ in recipients],
            "out": str(out),
        },
        title="sealed envelope",
    )


@tx_command(travel_app, "pay")
def travel_pay(
    envelope_file: Annotated[Path, typer.Argument(help="the envelope, JSON (as sealed)")],
    sealed_file: Annotated[Path, typer.Argument(help="the sealed envelope")],
    *,
    tx: TxOptions,
) -> None:
    """Pay the envelope's beneficiary its amount, with the travel record of SEALED_FILE in
    the same transaction (message 0: the transfer; message 1: the record)."""
    with tx.session() as s:
        envelope = _envelope(envelope_file, s.client, tx)
        if envelope.originator.account != s.account:
            raise CliError(
                f"the envelope's originator is {envelope.originator.account}, not {s.account}"
            )
        sealed = sealed_file.read_bytes()
        digest = envelope_hash(sealed, suite=s.client.status().suite)
        receipt = s.send(
            b.transfer((envelope.beneficiary.account, envelope.asset, envelope.amount)),
            amlb.travel_record(
                [0], digest, envelope.originator_institution, envelope.beneficiary_institution
            ),
        )
    tx.report(receipt, {"envelope_hash": digest.hex()})


@key_command(travel_app, "open")
def travel_open(
    sealed_file: Annotated[Path, typer.Argument(help="the sealed envelope")],
    recipient: Annotated[
        str, typer.Option("--as", help="your DID (institution) or account id (regulator)")
    ],
    key: Annotated[str, typer.Option("--key", help="the keystore key to decrypt with")],
    *,
    opts: KeyOptions,
) -> None:
    """Decrypt SEALED_FILE as --as with keystore key --key; print the envelope."""
    try:
        sealed = sealed_file.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {sealed_file}: {exc}") from None
    account = recipient if is_did(recipient) else opts.resolve(recipient)
    opened = open_envelope(sealed, account, opts.encryption_key(key))
    shown = {
        "originator": opened.originator.to_obj(),
        "beneficiary": opened.beneficiary.to_obj(),
        "originator_institution": opened.originator_institution,
        "beneficiary_institution": opened.beneficiary_institution,
        "chain_id": opened.chain_id,
        "asset": opened.asset,
        "amount_units": str(opened.amount),
        "reference": opened.reference,
    }
    opts.emit(shown, title="travel-rule envelope")


__all__ = ["app", "read_entries"]
