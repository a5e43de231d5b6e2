"""Verify an evidence receipt offline: no node, no store, no database, no network.

The SDK's pure-Python verifier. It reads the receipt (``docs/receipts.md``)
and what the caller trusts (a genesis file or a validator-set document), and
checks, in order, each step a third party needs, reporting every one:

==============  ====================================================  ============
step            what it shows                                         fails with
==============  ====================================================  ============
receipt         the document is a well-formed version 1 receipt       receipts:2
document        the file's hash is the receipt's document hash        receipts:4
batch           the document's path leads to the anchored batch root  receipts:5
tx id           the tx bytes hash (suite hash) to the tx id           receipts:6
record          the tx is an ``evidence/record`` of that hash or root receipts:7
inclusion       the tx's Merkle path reaches the header's tx root     receipts:8
header          the header hashes to the block hash that was signed   receipts:9
chain           receipt, header, tx and trusted file name one chain   receipts:10
validators      the receipt's validator set is the trusted one        receipts:11
signatures      every commit signature verifies over this header      receipts:12
quorum          valid signatures hold more than 2/3 of the power      receipts:13
==============  ====================================================  ============

Verification stops meaning at the first failure; later steps are listed as
"not run". Imports: the standard library, ``finchain.light`` (the shared
verification package, standard library only) and ``finchain.offchain.receipts``
(the format), plus PyNaCl (Ed25519) and gmssl-pyx (SM2) when a signature is
checked, as ``finchain.light``'s signature hook. Nothing here touches the node,
the store, the codec (libipld) or ``finchain.crypto``.

Example::

    from finchain.client.receipt_verify import verify_receipt

    result = verify_receipt(Path("r.json").read_bytes(), json.loads(genesis_text),
                            file=Path("contract.pdf").read_bytes())
    for step in result.steps:
        print(step.name, step.status, step.detail)
    assert result.ok, result.error
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from finchain.errors import ErrorCode, FinchainError
from finchain.light import cbor, cometbft, rfc6962, solo
from finchain.light.validators import Quorum
from finchain.offchain.receipts.errors import (
    ErrBadSignature,
    ErrBatchPath,
    ErrBelowQuorum,
    ErrHeaderAltered,
    ErrInclusion,
    ErrMalformedReceipt,
    ErrNotRecorded,
    ErrTxAltered,
    ErrUntrustedValidators,
    ErrWrongChain,
    ErrWrongFile,
)
from finchain.offchain.receipts.format import (
    BATCH_ROOT_KIND,
    MAX_TX_BYTES,
    RECORD_TYPE,
    Receipt,
    TrustedSet,
    loads,
    parse_receipt,
    parse_trust,
    set_hash,
)
from finchain.offchain.receipts.primitives import hash_function, verify_signature

__all__ = ["STEPS", "ReceiptVerification", "Step", "verify_receipt"]

STEPS = (
    "receipt",
    "document",
    "batch",
    "tx id",
    "record",
    "inclusion",
    "header",
    "chain",
    "validators",
    "signatures",
    "quorum",
)
OK, FAILED, SKIPPED, NOT_RUN = "ok", "failed", "skipped", "not run"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Step:
    """One check: its name, ``ok`` / ``failed`` / ``skipped`` (does not apply) / ``not run``."""

    name: str
    status: str
    detail: str
    code: str = ""  # "codespace:code" of a failure

    def to_json(self) -> dict[str, str]:
        return {"step": self.name, "status": self.status, "detail": self.detail, "code": self.code}


@dataclass(frozen=True, slots=True)
class ReceiptVerification:
    """The verdict and every step; ``error`` is the first failure as a registered error."""

    steps: tuple[Step, ...]
    error: FinchainError | None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def failure(self) -> Step | None:
        return next((s for s in self.steps if s.status == FAILED), None)

    def to_json(self) -> dict[str, Any]:
        return {"valid": self.ok, "steps": [s.to_json() for s in self.steps]}


class _Failed(Exception):
    def __init__(self, error: FinchainError) -> None:
        self.error = error


class _Run:
    """The steps done so far; ``check`` records one and stops the run at a failure."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def check(
        self, name: str, ok: bool, good: str, bad: Callable[[], str], code: ErrorCode
    ) -> None:
        if ok:
            self.steps.append(Step(name, OK, good))
            return
        error = code(bad())
        self.steps.append(Step(name, FAILED, error.message, f"{error.codespace}:{error.code}"))
        raise _Failed(error)

    def skip(self, name: str, why: str) -> None:
        self.steps.append(Step(name, SKIPPED, why))

    def result(self, error: FinchainError | None) -> ReceiptVerification:
        done = {s.name for s in self.steps}
        rest = [Step(n, NOT_RUN, "an earlier step failed") for n in STEPS if n not in done]
        return ReceiptVerification((*self.steps, *rest), error)


def verify_receipt(
    receipt: bytes | Mapping[str, Any],
    trust: Mapping[str, Any] | TrustedSet,
    *,
    file: bytes | IO[bytes] | None = None,
) -> ReceiptVerification:
    """Check ``receipt`` against ``trust`` (and ``file``), reporting every step.

    Parameters:
        receipt: the receipt file's bytes (which must be in canonical form, so no
            byte can change unnoticed) or its parsed JSON value.
        trust: a finchain genesis, a CometBFT genesis or a validator-set document
            (parsed JSON), or a ``TrustedSet``. Raises ``receipts:3
            ErrMalformedTrust`` if it cannot be read: that is the caller's input.
        file: the document itself (bytes or a binary stream), to check its hash.

    Never raises for anything wrong with the receipt or the file: it fails a step.
    """
    trusted = trust if isinstance(trust, TrustedSet) else parse_trust(trust)
    run = _Run()
    try:
        parsed = _parse(run, receipt)
        _document(run, parsed, file)
        _batch(run, parsed)
        body = _tx(run, parsed)
        _inclusion(run, parsed)
        _header(run, parsed)
        _chain(run, parsed, body, trusted)
        _validators(run, parsed, trusted)
        _commit(run, parsed, trusted)
    except _Failed as failed:
        return run.result(failed.error)
    return run.result(None)


# -- the steps ---------------------------------------------------------------------------------


def _parse(run: _Run, receipt: bytes | Mapping[str, Any]) -> Receipt:
    try:
        document = (
            loads(receipt, ErrMalformedReceipt, canonical=True)
            if isinstance(receipt, bytes)
            else receipt
        )
        parsed = parse_receipt(document)
    except FinchainError as exc:
        run.steps.append(Step("receipt", FAILED, exc.message, f"{exc.codespace}:{exc.code}"))
        raise _Failed(exc) from None
    batched = "batched" if parsed.batch else "not batched"
    run.check(
        "receipt",
        True,
        f"version 1 receipt: chain {parsed.chain_id!r} ({parsed.engine}, suite {parsed.suite}), "
        f"block {parsed.height}, {len(parsed.validators)} validators, {batched}",
        str,
        ErrMalformedReceipt,
    )
    return parsed


def _document(run: _Run, r: Receipt, file: bytes | IO[bytes] | None) -> None:
    if file is None:
        run.skip("document", "no file given: only the document hash is proven")
        return
    digest = hashlib.new(r.hash_alg)
    if isinstance(file, bytes):
        digest.update(file)
    else:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    got = digest.digest()
    run.check(
        "document",
        got == r.document_hash,
        f"{r.hash_alg} of the file is the document hash {r.document_hash.hex()}",
        lambda: (
            f"{r.hash_alg} of the file is {got.hex()}, the receipt's document hash is "
            f"{r.document_hash.hex()}: this is not the document, or it was altered"
        ),
        ErrWrongFile,
    )


def _batch(run: _Run, r: Receipt) -> None:
    b = r.batch
    if b is None:
        run.skip("batch", "not batched: the transaction records the document hash itself")
        return
    h = hash_function(r.hash_alg)
    reached = rfc6962.fold(
        h, b.leaf_index, b.leaf_count, rfc6962.leaf_hash(h, r.document_hash), b.path
    )
    run.check(
        "batch",
        reached == b.root,
        f"leaf {b.leaf_index} of {b.leaf_count} reaches batch root {b.root.hex()} "
        f"({len(b.path)} levels, RFC 6962 over {r.hash_alg})",
        lambda: (
            f"the path of leaf {b.leaf_index} of {b.leaf_count} does not lead to batch root "
            f"{b.root.hex()}: a sibling hash was altered or swapped, or the position is wrong"
        ),
        ErrBatchPath,
    )


def _tx(run: _Run, r: Receipt) -> dict[str, Any]:
    got = hash_function(r.hash_name)(r.tx)
    run.check(
        "tx id",
        got == r.tx_id,
        f"{r.hash_name} of the {len(r.tx)} tx bytes is the tx id {r.tx_id.hex()}",
        lambda: (
            f"{r.hash_name} of the tx bytes is {got.hex()}, not the tx id {r.tx_id.hex()}: "
            "the transaction or its id was altered"
        ),
        ErrTxAltered,
    )
    body, problem = _records(r)
    anchored = r.batch.root if r.batch else r.document_hash
    what = (
        f"batch root {anchored.hex()} ({r.batch.leaf_count} leaves)"
        if r.batch
        else f"document hash {anchored.hex()}"
    )
    run.check(
        "record",
        not problem,
        f"the tx is an {RECORD_TYPE} of the {r.hash_alg} {what}",
        lambda: f"the tx does not record the {r.hash_alg} {what}: {problem}",
        ErrNotRecorded,
    )
    return body


def _records(r: Receipt) -> tuple[dict[str, Any], str]:
    """The tx body, and why the tx does not record the receipt's anchor ("" if it does).

    A batch is anchored by a record of kind ``batch_root`` whose metadata gives the
    leaf count and the tree, which is what makes the receipt's ``leaf_count`` trustworthy.
    """
    try:
        tx = cbor.decode(r.tx, max_size=MAX_TX_BYTES)
    except cbor.CborError as exc:
        return {}, f"it does not decode as canonical DAG-CBOR ({exc})"
    body = tx.get("body") if isinstance(tx, dict) else None
    if not isinstance(body, dict) or not isinstance(body.get("chain_id"), str):
        return {}, "it is not a finchain transaction envelope {body: {chain_id, msgs, ...}, sigs}"
    msgs = body.get("msgs")
    records = [
        m["value"]
        for m in (msgs if isinstance(msgs, list) else [])
        if isinstance(m, dict) and m.get("type") == RECORD_TYPE and isinstance(m.get("value"), dict)
    ]
    anchored = r.batch.root if r.batch else r.document_hash
    naming = [v for v in records if v.get("hash_alg") == r.hash_alg and v.get("hash") == anchored]
    if not naming:
        return body, f"none of its {len(records)} {RECORD_TYPE} messages names that hash"
    if r.batch is None:
        if any(v.get("kind") != BATCH_ROOT_KIND for v in naming):
            return body, ""
        return body, "it records that hash as a batch root, not as a document"
    meta = {"count": str(r.batch.leaf_count), "tree": f"rfc6962-{r.hash_alg}"}
    if any(v.get("kind") == BATCH_ROOT_KIND and v.get("metadata") == meta for v in naming):
        return body, ""
    return body, f"it records that hash, but not as a {BATCH_ROOT_KIND} with metadata {meta}"


def _inclusion(run: _Run, r: Receipt) -> None:
    if r.engine == "solo":
        h, data, root, name = hash_function(r.hash_name), r.tx, r.header["tx_root"], "tx_root"
    else:
        h, root, name = hash_function("sha256"), r.header["data_hash"], "data_hash"
        data = hashlib.sha256(r.tx).digest()  # CometBFT's leaves are the txs' SHA-256
    current = rfc6962.fold_sides(h, rfc6962.leaf_hash(h, data), r.tx_path)
    run.check(
        "inclusion",
        current == root,
        f"the tx's {len(r.tx_path)}-level path reaches the header's {name} {root.hex()}",
        lambda: (
            f"the tx's path reaches {current.hex()}, not the header's {name} {root.hex()}: "
            "a sibling was altered or swapped, or the tx is not in this block"
        ),
        ErrInclusion,
    )


def _header(run: _Run, r: Receipt) -> None:
    if r.engine == "solo":
        computed = solo.header_hash(r.header, hash_function(r.hash_name))
        signed = computed
        how = f"{r.hash_name} of the header's canonical bytes"
    else:
        computed = cometbft.header_hash(r.header)
        signed = r.commit["block_id"]["hash"]
        how = "CometBFT's header hash, which the commit's block ID names"
    heights = {r.height, r.header["height"], r.commit.get("height", r.height)}
    run.check(
        "header",
        computed == r.block_hash == signed and len(heights) == 1,
        f"{how}: {computed.hex()} at height {r.height}",
        lambda: (
            "the header hashes to "
            f"{computed.hex()}, but the block hash is {r.block_hash.hex()} and the commit signs "
            f"{signed.hex()} (heights {sorted(heights)}): the header was altered"
        ),
        ErrHeaderAltered,
    )


def _chain(run: _Run, r: Receipt, body: Mapping[str, Any], trusted: TrustedSet) -> None:
    named = {r.chain_id, r.header["chain_id"], body["chain_id"]}
    suite_ok = trusted.suite is None or trusted.suite == r.suite
    run.check(
        "chain",
        named == {trusted.chain_id} and suite_ok,
        f"receipt, header and tx are of chain {trusted.chain_id!r}, as the trusted "
        f"{trusted.source}",
        lambda: (
            f"the receipt names chain(s) {sorted(named)} (suite {r.suite}); the trusted "
            f"{trusted.source} is chain {trusted.chain_id!r}"
            + (f" (suite {trusted.suite})" if trusted.suite else "")
        ),
        ErrWrongChain,
    )


def _validators(run: _Run, r: Receipt, trusted: TrustedSet) -> None:
    ours = set_hash(r.engine, r.validators)
    theirs = set_hash(r.engine, trusted.validators)
    if r.engine == "cometbft":
        in_header = r.header["validators_hash"] == ours
        where = "and the header's validators_hash names it"
    else:
        in_header = r.header["proposer"] in {v.public_key for v in r.validators}
        where = "and the header's proposer is in it"
    run.check(
        "validators",
        ours == theirs and in_header,
        f"{len(r.validators)} validators, set hash {ours.hex()}, equal the trusted "
        f"{trusted.source}'s {where}",
        lambda: (
            f"the receipt's validator set (hash {ours.hex()}) is not the trusted "
            f"{trusted.source}'s (hash {theirs.hex()})"
            + ("" if in_header else ", nor the one the header names")
            + ": verify with the validator set of that height (see docs/receipts.md)"
        ),
        ErrUntrustedValidators,
    )


def _commit(run: _Run, r: Receipt, trusted: TrustedSet) -> None:
    quorum = Quorum(trusted.validators, verify_signature)
    bad = ""
    solo_bytes = solo.header_sign_bytes(r.header) if r.engine == "solo" else b""
    for sig in r.commit["signatures"]:
        address = sig["validator_address"]
        validator = quorum.signer(address)
        if validator is None:
            bad = f"a signature names unknown or repeated validator {address.hex()}"
            break
        if r.engine == "solo":
            message, votes = solo_bytes, True
        else:
            message = cometbft.vote_sign_bytes(r.header["chain_id"], r.commit, sig)
            votes = sig["block_id_flag"] == cometbft.FLAG_COMMIT
        if not quorum.add(validator, message, sig["signature"], counts=votes):
            bad = (
                f"the signature of validator {address.hex()} does not verify over this header "
                "(the header, the commit or the signature was altered)"
            )
            break
    run.check(
        "signatures",
        not bad,
        f"{len(quorum.seen)} signature(s) by trusted validators verify over this header",
        lambda: bad,
        ErrBadSignature,
    )
    signed, total = quorum.signed, quorum.total
    run.check(
        "quorum",
        quorum.reached,
        f"{quorum.counted} validators holding {signed} of {total} voting power signed: "
        "more than 2/3",
        lambda: (
            f"valid signatures hold {signed} of {total} voting power; more than 2/3 "
            f"({2 * total // 3 + 1}) is needed"
        ),
        ErrBelowQuorum,
    )
