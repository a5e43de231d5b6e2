"""Client-side evidence anchoring: hash documents, anchor a batch root, write proofs.

Example::

    from finchain.offchain.anchoring import anchor_hashes, collect_files, hash_files

    files = collect_files([Path("contracts/")])
    digests = hash_files(files, "sm3")
    with Client(url) as client:
        me = client.signer(account, [("k1", key)])
        result = anchor_hashes(client, me, digests, hash_alg="sm3", out=Path("proofs.jsonl"))
    assert result.proof(0).verify_path()

Formats and the offline check: docs/evidence.md. Errors: ``finchain.offchain.anchoring.errors``.
"""

from finchain.offchain.anchoring.batch import AnchorResult, anchor_hashes
from finchain.offchain.anchoring.hashing import collect_files, hash_file, hash_files
from finchain.offchain.anchoring.proofs import (
    VERSION,
    Anchor,
    AnchorProof,
    parse_anchor_proof,
    read_jsonl,
    write_directory,
    write_jsonl,
)
from finchain.offchain.anchoring.tree import BatchTree, ProgressFn

__all__ = [
    "VERSION",
    "Anchor",
    "AnchorProof",
    "AnchorResult",
    "BatchTree",
    "ProgressFn",
    "anchor_hashes",
    "collect_files",
    "hash_file",
    "hash_files",
    "parse_anchor_proof",
    "read_jsonl",
    "write_directory",
    "write_jsonl",
]
