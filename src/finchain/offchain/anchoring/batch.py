"""Anchoring a batch of document hashes with one transaction.

Many documents, one on-chain record: the batcher builds the Merkle tree of
the document hashes, records only its root (an ``evidence/record`` of kind
``batch_root``, committed before anything is written), then writes one anchor
proof per document (``proofs.py``). A million documents cost one transaction.

Running it again for the same batch is safe: the chain refuses a second
record of the root, and the batcher then takes the anchor from the existing
record if the same account made it, so proofs lost after an interrupted run
can be written again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from finchain.client import Client, Signer, TxError, TxRejectedError
from finchain.client import evidence_builders as eb
from finchain.modules.evidence.errors import ErrRecordExists
from finchain.modules.evidence.types import BATCH_ROOT, HASH_ALGS, HASH_BYTES
from finchain.offchain.anchoring.errors import ErrAnchorConflict, ErrBadDocumentHash, ErrEmptyBatch
from finchain.offchain.anchoring.proofs import (
    Anchor,
    AnchorProof,
    proof_of,
    write_directory,
    write_jsonl,
)
from finchain.offchain.anchoring.tree import BatchTree, ProgressFn


@dataclass(frozen=True)
class AnchorResult:
    """The anchored batch: its tree (for proofs), where the root went, and what was written."""

    tree: BatchTree
    documents: list[bytes]
    anchor: Anchor
    resumed: bool
    """True if the root was already on chain from an earlier run of the same account."""
    written: Path | None

    @property
    def root(self) -> bytes:
        return self.tree.root

    def proof(self, index: int) -> AnchorProof:
        """The anchor proof of ``documents[index]``."""
        return proof_of(self.tree, index, self.documents[index], self.anchor)


def anchor_hashes(
    client: Client,
    signer: Signer,
    hashes: Sequence[bytes],
    *,
    hash_alg: str,
    out: Path | None = None,
    timeout: float = 30.0,
    progress: ProgressFn | None = None,
) -> AnchorResult:
    """Anchor ``hashes`` (32-byte ``hash_alg`` digests) in one transaction; write proofs.

    Example::

        with Client(url) as client:
            me = client.signer(account, [("k1", key)])
            result = anchor_hashes(client, me, digests, hash_alg="sha256",
                                   out=Path("proofs.jsonl"))

    Parameters:
        client, signer: who records the root (commit mode: this waits for the block).
        hashes: document hashes; a repeated hash is anchored once, at its first place.
        hash_alg: ``sm3`` or ``sha256``: the documents' hash, and the tree's.
        out: ``*.jsonl`` for one file with a proof per line (large batches), any other
            path for a directory of ``<hash>.anchor.json`` files; None writes nothing
            (take proofs from the result).
        timeout: seconds to wait for the anchoring transaction's block.
        progress: ``progress(stage, done, total)`` for stages ``tree``, ``anchor``, ``write``.

    Raises ``ErrEmptyBatch`` / ``ErrBadDocumentHash`` before anything is sent, the
    SDK's ``TxError`` if the chain refuses the record, ``ErrAnchorConflict`` if
    another account recorded the same root first.
    """
    documents = _documents(hashes, hash_alg)
    tree = BatchTree(hash_alg, documents, progress=progress)
    if progress is not None:
        progress("anchor", 0, 1)
    anchor, resumed = _record_root(client, signer, tree, timeout)
    if progress is not None:
        progress("anchor", 1, 1)
    if out is not None:
        if out.suffix == ".jsonl":
            write_jsonl(out, tree, documents, anchor, progress=progress)
        else:
            write_directory(out, tree, documents, anchor, progress=progress)
    return AnchorResult(tree, documents, anchor, resumed, out)


def _documents(hashes: Sequence[bytes], hash_alg: str) -> list[bytes]:
    if hash_alg not in HASH_ALGS:
        raise ErrBadDocumentHash(f"unknown hash {hash_alg!r}: use one of {list(HASH_ALGS)}")
    documents = list(dict.fromkeys(hashes))
    if not documents:
        raise ErrEmptyBatch("give at least one document (a file or a hash) to anchor")
    for digest in documents:
        if type(digest) is not bytes or len(digest) != HASH_BYTES:
            raise ErrBadDocumentHash(f"document hash {digest!r:.80} is not {HASH_BYTES} bytes")
    return documents


def _record_root(
    client: Client, signer: Signer, tree: BatchTree, timeout: float
) -> tuple[Anchor, bool]:
    message = eb.record_batch_root(tree.hash_alg, tree.root, tree.leaf_count)
    raw = signer.sign(message, nonce=signer.nonce)
    try:
        receipt = client.submit_tx(raw, mode="commit", timeout=timeout)
    except TxRejectedError as exc:  # never admitted: the nonce is still free
        if not exc.matches(ErrRecordExists):
            raise
        return _existing_anchor(client, signer, tree), True
    except TxError:
        signer.nonce += 1  # failed in a block, or may still be included: the nonce is spent
        raise
    signer.nonce += 1
    assert receipt.height is not None  # commit mode with check=True: committed
    return Anchor(bytes.fromhex(receipt.tx_id), receipt.height), False


def _existing_anchor(client: Client, signer: Signer, tree: BatchTree) -> Anchor:
    found = client.query(
        "evidence/record", {"hash_alg": tree.hash_alg, "hash": tree.root.hex()}
    ).value
    mine = found["submitter"] == signer.account and found["kind"] == BATCH_ROOT
    if not mine or found["metadata"].get("count") != str(tree.leaf_count) or not found["tx_id"]:
        raise ErrAnchorConflict(
            f"root {tree.root.hex()} was recorded by {found['submitter']} at height "
            f"{found['height']}, not as this batch by {signer.account}: anchor proofs would "
            "point at someone else's record"
        )
    return Anchor(bytes.fromhex(found["tx_id"]), int(found["height"]))
