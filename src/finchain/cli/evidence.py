"""``finchain evidence``: record and co-sign document hashes, anchor batches, show records.

A document never leaves the machine: commands hash it locally (streamed) and
send only the digest. ``--alg`` picks the hash (default: the chain suite's,
``sm3`` on a ``gm`` chain). ``receipt`` saves an offline receipt; ``verify``
(which needs no node) lives in ``cli/evidence_verify.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from finchain.cli import evidence_verify
from finchain.cli.common import (
    DEFAULT_URL,
    JsonOpt,
    UrlOpt,
    document_digest,
    hash_alg_option,
)
from finchain.cli.online import HeightOpt, ProveOpt, proof_status
from finchain.cli.output import CliError, emit, failures, stderr
from finchain.cli.txflags import NodeOptions, TxOptions, query_command, tx_command
from finchain.client import evidence_builders as eb
from finchain.modules.evidence.types import HASH_BYTES
from finchain.offchain.anchoring import anchor_hashes, collect_files, hash_file, hash_files
from finchain.offchain.anchoring.proofs import parse_anchor_proof, read_jsonl
from finchain.offchain.receipts import dumps
from finchain.offchain.receipts.fetch import fetch_receipt

app = typer.Typer(
    help="Evidence: record, co-sign, anchor and show document hashes (online, via --url).",
    no_args_is_help=True,
)

FileArg = Annotated[
    Path | None, typer.Argument(help="the document (hashed here; only the hash is sent)")
]
HashOpt = Annotated[
    str | None, typer.Option("--hash", help="the document's hash as 64 hex digits, instead of FILE")
]
AlgOpt = Annotated[
    str | None,
    typer.Option("--alg", help="sm3 or sha256 (default: the chain suite's hash)"),
]


def _metadata(pairs: list[str]) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--meta {pair!r} must be KEY=VALUE")
        if key in metadata:
            raise CliError(f"--meta {key} given twice")
        metadata[key] = value
    return metadata


@tx_command(app, "record")
def record(
    kind: Annotated[str, typer.Option("--kind", help="what the document is: contract, invoice…")],
    file: FileArg = None,
    hex_hash: HashOpt = None,
    alg: AlgOpt = None,
    meta: Annotated[
        list[str], typer.Option("--meta", help="KEY=VALUE published with the hash (repeat)")
    ] = [],  # noqa: B006 - Typer reads the default, it is never mutated
    cosigner: Annotated[
        list[str],
        typer.Option("--cosigner", help="account that must co-sign (id or name; repeat)"),
    ] = [],  # noqa: B006
    *,
    tx: TxOptions,
) -> None:
    """Record that FILE (or --hash) exists, signed by --from.

    With --cosigner the record stays pending until each has run `finchain evidence cosign`.
    """
    metadata = _metadata(meta)
    cosigners = [tx.resolve(c) for c in cosigner]
    with tx.session() as s:
        hash_alg = hash_alg_option(s.client, alg)
        digest = document_digest(file, hex_hash, hash_alg)
        message = eb.record(hash_alg, digest, kind=kind, metadata=metadata, cosigners=cosigners)
        receipt = s.send(message)
    extra = {"hash_alg": hash_alg, "hash": digest.hex(), "submitter": s.account}
    tx.report(receipt, extra)


@tx_command(app, "cosign")
def cosign(
    file: FileArg = None,
    hex_hash: HashOpt = None,
    alg: AlgOpt = None,
    *,
    tx: TxOptions,
) -> None:
    """Co-sign recorded evidence as one of the accounts it names."""
    with tx.session() as s:
        hash_alg = hash_alg_option(s.client, alg)
        digest = document_digest(file, hex_hash, hash_alg)
        receipt = s.send(eb.cosign(hash_alg, digest))
    tx.report(receipt, {"hash_alg": hash_alg, "hash": digest.hex(), "cosigner": s.account})


@query_command(app, "show", names=True)
def show(
    file: FileArg = None,
    hex_hash: HashOpt = None,
    alg: AlgOpt = None,
    submitter: Annotated[
        str | None, typer.Option("--submitter", help="list this account's records")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="list from this time (RFC 3339 or ns)")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="list before this time (RFC 3339 or ns)")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="records per page")] = 50,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="next_cursor of the previous page")
    ] = None,
    height: HeightOpt = None,
    prove: ProveOpt = False,
    *,
    q: NodeOptions,
) -> None:
    """The record of FILE (or --hash), or a page of records.

    Without FILE or --hash: records by --submitter and/or time (--since, --until).
    """
    with q.connect() as client:
        if file is None and hex_hash is None:
            if prove:
                raise CliError("a listing cannot be proven: name one document to --prove it")
            params = {"limit": str(limit)}
            for name, value in (("from", since), ("to", until), ("cursor", cursor)):
                if value is not None:
                    params[name] = value
            path = "evidence/by_time"
            if submitter is not None:
                params["submitter"] = q.resolve(submitter)
                path = "evidence/by_submitter"
            page = client.query(path, params, height=height).value
            if q.json:
                emit(page, as_json=True)
                return
            emit([_row(r) for r in page["records"]], as_json=False, title="evidence")
            if page["next_cursor"] is not None:
                stderr.print(f"more: --cursor {page['next_cursor']}", markup=False)
            return
        hash_alg = hash_alg_option(client, alg)
        digest = document_digest(file, hex_hash, hash_alg)
        found = client.query(
            "evidence/record",
            {"hash_alg": hash_alg, "hash": digest.hex()},
            height=height,
            prove=prove,
        )
        data: dict[str, Any] = dict(found.value)
        if found.proof is not None:
            data["proof"] = proof_status(client, found.proof)
        q.emit(data, title=f"evidence {hash_alg} {digest.hex()[:16]}…")


def _row(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "hash": f"{record['hash_alg']}:{record['hash']}",
        "kind": record["kind"],
        "submitter": record["submitter"],
        "height": record["height"],
        "status": record["status"],
    }


@tx_command(app, "anchor", wait=False, timeout=30.0)
def anchor(
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="FILE.jsonl (one proof per line) or a DIR of <hash>.anchor.json files"
        ),
    ],
    paths: Annotated[
        list[Path] | None, typer.Argument(help="files and directories to anchor (recursive)")
    ] = None,
    hashes: Annotated[
        Path | None,
        typer.Option("--hashes", help="a file of document hashes, one hex digest per line"),
    ] = None,
    alg: AlgOpt = None,
    *,
    tx: TxOptions,
) -> None:
    """Anchor many documents with one transaction, writing a proof per document.

    Only the Merkle root of the documents' hashes goes on chain; each document's
    anchor proof (its path to that root) is written to --out.
    """
    with tx.session() as s:
        if not paths and hashes is None:
            raise CliError("name files or directories to anchor, or --hashes FILE")
        hash_alg = hash_alg_option(s.client, alg)
        who = s.signer
        with _progress(quiet=tx.json) as progress:
            files = collect_files(paths or [])
            digests = hash_files(files, hash_alg, progress=progress)
            if hashes is not None:
                digests += _read_hashes(hashes)
            result = anchor_hashes(
                s.client,
                who,
                digests,
                hash_alg=hash_alg,
                out=out,
                timeout=tx.timeout,
                progress=progress,
            )
        summary = {
            "hash_alg": hash_alg,
            "root": result.root.hex(),
            "documents": result.tree.leaf_count,
            "files": len(files),
            "tx_id": result.anchor.tx_id.hex(),
            "height": result.anchor.height,
            "resumed": result.resumed,
            "out": str(out),
        }
        tx.emit(summary, title="anchored")


def _read_hashes(path: Path) -> list[bytes]:
    try:
        lines = path.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read --hashes file {path}: {exc}") from None
    try:
        digests = [bytes.fromhex(line) for line in lines]
    except ValueError:
        raise CliError(f"--hashes file {path} must hold one hex digest per line") from None
    if any(len(d) != HASH_BYTES for d in digests):
        raise CliError(f"--hashes file {path}: every digest must be {HASH_BYTES} bytes")
    return digests


_STAGES = {
    "hash": "hashing files",
    "tree": "building the tree",
    "anchor": "anchoring the root",
    "write": "writing proofs",
}


@contextmanager
def _progress(*, quiet: bool) -> Iterator[Any]:
    """A Rich progress bar on stderr fed by ``progress(stage, done, total)``; silent for --json."""
    if quiet:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield update


def _anchor_proof(path: Path, document: Path | None) -> dict[str, Any]:
    """One anchor proof: the whole of a .json file, or the line of a .jsonl for ``document``."""
    if path.suffix != ".jsonl":
        try:
            return parse_anchor_proof(json.loads(path.read_text())).to_json()
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot read the anchor proof {path}: {exc}") from None
    if document is None:
        raise CliError(f"{path} holds a whole batch: name the document with --document FILE")
    digests: dict[str, bytes] = {}
    for proof in read_jsonl(path):
        if proof.hash_alg not in digests:
            digests[proof.hash_alg] = hash_file(document, proof.hash_alg)
        if proof.document_hash == digests[proof.hash_alg]:
            return proof.to_json()
    raise CliError(f"{document} is not one of the documents anchored in {path}")


@app.command("receipt")
def receipt(
    out: Annotated[Path, typer.Option("--out", help="where to write the receipt (JSON)")],
    tx_id: Annotated[
        str | None,
        typer.Argument(help="the evidence/record transaction (hex); omit with --anchor-proof"),
    ] = None,
    anchor_proof: Annotated[
        Path | None,
        typer.Option(
            "--anchor-proof",
            help="a batched document's anchor proof (.json), or the batch's .jsonl with --document",
        ),
    ] = None,
    document: Annotated[
        Path | None, typer.Option("--document", help="the document whose line of a .jsonl to use")
    ] = None,
    url: UrlOpt = DEFAULT_URL,
    json_out: JsonOpt = False,
) -> None:
    """Fetch a receipt from the node and save it: afterwards it verifies with no node at all.

    For a document recorded on its own give the recording TX_ID; for a document of an
    anchored batch give its anchor proof (the transaction is read from it).
    """
    with failures():
        anchor = None if anchor_proof is None else _anchor_proof(anchor_proof, document)
        if anchor is not None:
            tx_id = anchor["anchor"]["tx_id"]
        if tx_id is None:
            raise CliError("give the recording transaction id or --anchor-proof")
        built = fetch_receipt(url, tx_id, anchor=anchor)
        try:
            out.write_bytes(dumps(built))
        except OSError as exc:
            raise CliError(f"cannot write {out}: {exc.strerror or exc}") from None
        emit(
            {
                "receipt": str(out),
                "tx_id": tx_id,
                "height": built["block"]["height"],
                "chain_id": built["chain"]["chain_id"],
                "document": built["document"]["hash"],
            },
            as_json=json_out,
        )


app.command("verify")(evidence_verify.verify)
