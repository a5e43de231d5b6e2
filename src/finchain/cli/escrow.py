"""``finchain escrow``: conditional payments (lock, approve, release, refund, cancel, show).

Not the identity escrow of ``finchain kyc`` (sealed identities for
regulators): this locks money until conditions hold (docs/finance/escrow.md).
A hash lock's secret never has to be typed: ``--secret-file`` hashes it locally
at ``create`` and reveals it at ``release``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.amounts import to_units
from finchain.cli.common import hash_alg_option, hash_hex_option, time_option
from finchain.cli.output import CliError, stderr
from finchain.cli.txflags import NodeOptions, TxOptions, query_command, tx_command
from finchain.client import escrow_builders as esb
from finchain.modules.escrow.types import STATUSES, HashLock

app = typer.Typer(
    help="Escrow: lock funds until a hash lock, time lock, approvals or evidence allow release.",
    no_args_is_help=True,
)

IdArg = Annotated[int, typer.Argument(help="the escrow id", min=1)]
SecretFileOpt = Annotated[
    Path | None, typer.Option("--secret-file", help="file holding the hash lock's secret")
]
AlgOpt = Annotated[
    str | None, typer.Option("--alg", help="sm3 or sha256 (default: the chain suite's hash)")
]


def _secret(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read --secret-file {path}: {exc.strerror}") from None


@tx_command(app, "create")
def create(
    payee: Annotated[str, typer.Argument(help="who is paid on release (id or name)")],
    amount: Annotated[str, typer.Argument(help="amount in the asset's units, e.g. 100.00")],
    asset: Annotated[str, typer.Argument(help="asset symbol, e.g. CNY")],
    expiry_height: Annotated[
        int, typer.Option("--expiry-height", min=0, help="refund to the payer from this height")
    ] = 0,
    expiry_time: Annotated[
        str | None, typer.Option("--expiry-time", help="refund from this time (RFC 3339 or ns)")
    ] = None,
    secret_file: SecretFileOpt = None,
    hash_lock: Annotated[
        str | None, typer.Option("--hash-lock", help="the lock as 64 hex digits (not the secret)")
    ] = None,
    alg: AlgOpt = None,
    not_before_height: Annotated[
        int, typer.Option("--not-before-height", min=0, help="time lock: release from this height")
    ] = 0,
    not_before_time: Annotated[
        str | None, typer.Option("--not-before-time", help="time lock (RFC 3339 or ns)")
    ] = None,
    approver: Annotated[
        list[str], typer.Option("--approver", help="an approver (id or name; repeat)")
    ] = [],  # noqa: B006 - Typer reads the default, it is never mutated
    threshold: Annotated[
        int, typer.Option("--threshold", min=0, help="approvals needed (default: all approvers)")
    ] = 0,
    evidence: Annotated[
        str | None, typer.Option("--evidence", help="hash of a document that must be notarised")
    ] = None,
    evidence_submitter: Annotated[
        str | None, typer.Option("--evidence-submitter", help="who must have recorded it")
    ] = None,
    evidence_cosigner: Annotated[
        list[str], typer.Option("--evidence-cosigner", help="a required co-signer (repeat)")
    ] = [],  # noqa: B006
    reference: Annotated[str, typer.Option("--reference", help="contract or trade number")] = "",
    *,
    tx: TxOptions,
) -> None:
    """Lock AMOUNT of ASSET from --from for PAYEE; every condition given must hold to release.

    Give --expiry-height or --expiry-time (or both: the first reached). The escrow's id
    is in the receipt (``escrow_id``).
    """
    if secret_file is not None and hash_lock is not None:
        raise CliError("give --secret-file or --hash-lock, not both")
    payee_id = tx.resolve(payee)
    approvers = [tx.resolve(a) for a in approver]
    times = (
        0 if expiry_time is None else time_option(expiry_time, "--expiry-time"),
        0 if not_before_time is None else time_option(not_before_time, "--not-before-time"),
    )
    submitter = "" if evidence_submitter is None else tx.resolve(evidence_submitter)
    cosigners = [tx.resolve(c) for c in evidence_cosigner]
    if (submitter or cosigners) and evidence is None:
        raise CliError("--evidence-submitter and --evidence-cosigner need --evidence HASH")
    with tx.session() as s:
        units = to_units(amount, s.client.asset(asset).decimals)
        needs_alg = secret_file is not None or hash_lock is not None or evidence is not None
        hash_alg = hash_alg_option(s.client, alg) if needs_alg else ""
        lock = None
        if secret_file is not None:
            lock = esb.hash_lock(hash_alg, _secret(secret_file))
        elif hash_lock is not None:
            lock = HashLock(hash_alg, hash_hex_option(hash_lock, "--hash-lock"))
        condition = None
        if evidence is not None:
            digest = hash_hex_option(evidence, "--evidence")
            condition = esb.evidence(hash_alg, digest, submitter=submitter, cosigners=cosigners)
        message = esb.create(
            payee_id,
            asset,
            units,
            hash_lock=lock,
            not_before_height=not_before_height,
            not_before_time=times[1],
            approvers=approvers,
            threshold=threshold or len(approvers),
            evidence=condition,
            expiry_height=expiry_height,
            expiry_time=times[0],
            reference=reference,
        )
        receipt = s.send(message)
    events = receipt.deliver.events if receipt.deliver is not None else ()
    created = [e for e in events if e.type == "escrow_created"]
    extra: dict[str, Any] = {"payer": s.account, "payee": payee_id, "asset": asset, "units": units}
    if created:
        extra["escrow_id"] = int(created[0].get("escrow_id") or 0)
    tx.report(receipt, extra)


@tx_command(app, "approve")
def approve(escrow_id: IdArg, *, tx: TxOptions) -> None:
    """Approve the release of ESCROW_ID, as one of its approvers."""
    with tx.session() as s:
        receipt = s.send(esb.approve(escrow_id))
    tx.report(receipt, {"escrow_id": escrow_id, "approver": s.account})


@tx_command(app, "release")
def release(
    escrow_id: IdArg,
    secret_file: SecretFileOpt = None,
    *,
    tx: TxOptions,
) -> None:
    """Pay ESCROW_ID to its payee; --secret-file reveals its hash lock's secret."""
    preimage = b"" if secret_file is None else _secret(secret_file)
    with tx.session() as s:
        receipt = s.send(esb.release(escrow_id, preimage=preimage))
    tx.report(receipt, {"escrow_id": escrow_id, "by": s.account})


@tx_command(app, "refund")
def refund(escrow_id: IdArg, *, tx: TxOptions) -> None:
    """Return an expired ESCROW_ID to its payer (the chain also does it at the expiry)."""
    with tx.session() as s:
        receipt = s.send(esb.refund(escrow_id))
    tx.report(receipt, {"escrow_id": escrow_id, "by": s.account})


@tx_command(app, "cancel")
def cancel(escrow_id: IdArg, *, tx: TxOptions) -> None:
    """Consent to cancel ESCROW_ID, as payer or payee; the second consent cancels it."""
    with tx.session() as s:
        receipt = s.send(esb.cancel(escrow_id))
    tx.report(receipt, {"escrow_id": escrow_id, "party": s.account})


@query_command(app, "show")
def show(escrow_id: IdArg, *, q: NodeOptions) -> None:
    """ESCROW_ID: parties, amount, conditions, approvals, status (and the revealed preimage)."""
    with q.connect() as client:
        found = client.query("escrow/escrow", {"id": str(escrow_id)}).value
    q.emit(found, title=f"escrow #{escrow_id}")


_COLUMNS = ("id", "payer", "payee", "asset", "amount", "status", "expiry_height", "expiry_time")


@query_command(app, "list", names=True)
def list_escrows(
    payer: Annotated[
        str | None, typer.Option("--payer", help="escrows this account funded")
    ] = None,
    payee: Annotated[
        str | None, typer.Option("--payee", help="escrows paying this account")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help=f"only these: {', '.join(STATUSES)}")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200)] = 50,
    cursor: Annotated[str | None, typer.Option("--cursor")] = None,
    *,
    q: NodeOptions,
) -> None:
    """A page of escrows by --payer or --payee (one of them)."""
    if (payer is None) == (payee is None):
        raise CliError("give --payer ACCOUNT or --payee ACCOUNT (one of them)")
    role, account = ("payer", payer) if payer is not None else ("payee", payee)
    assert account is not None
    params = {role: q.resolve(account), "limit": str(limit)}
    if status is not None:
        params["status"] = status
    if cursor is not None:
        params["cursor"] = cursor
    with q.connect() as client:
        page = client.query(f"escrow/by_{role}", params).value
    if q.json:
        q.emit(page)
        return
    q.emit([{k: e[k] for k in _COLUMNS} for e in page["escrows"]], title=f"escrows by {role}")
    if page["next_cursor"] is not None:
        stderr.print(f"more: --cursor {page['next_cursor']}", markup=False)


__all__ = ["app"]
