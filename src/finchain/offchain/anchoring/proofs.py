"""The anchor proof: one document's place in an anchored batch (``finchain-anchor/v1``).

::

    {"version": "finchain-anchor/v1",
     "document": {"hash_alg": "sha256", "hash": "<64 hex>"},
     "batch": {"root": "<64 hex>", "leaf_index": 7, "leaf_count": 1000,
               "path": ["<64 hex>", ...]},
     "anchor": {"tx_id": "<64 hex>", "height": 42}}

The batch part is checked here, offline (the path leads from the document
hash to the root); that the root is on chain is what the anchor part points
to, and what an offline receipt (docs/receipts.md) adds the proofs for. The
format is documented in docs/evidence.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finchain.crypto import hasher
from finchain.light import rfc6962
from finchain.modules.evidence.types import HASH_ALGS
from finchain.offchain.anchoring.errors import ErrMalformedAnchorProof
from finchain.offchain.anchoring.tree import BatchTree, ProgressFn

VERSION = "finchain-anchor/v1"
MAX_PATH = 64
_HEX32 = re.compile(r"[0-9a-f]{64}")
_WRITE_CHUNK = 4096


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where the batch root went on chain: the recording transaction and its block."""

    tx_id: bytes
    height: int


@dataclass(frozen=True, slots=True)
class AnchorProof:
    hash_alg: str
    document_hash: bytes
    root: bytes
    leaf_index: int
    leaf_count: int
    path: tuple[bytes, ...]
    anchor: Anchor

    def verify_path(self) -> bool:
        """True iff the path leads from the document hash to the batch root."""
        h = hasher(self.hash_alg)
        leaf = rfc6962.leaf_hash(h, self.document_hash)
        return rfc6962.verify_path(h, self.root, self.leaf_index, self.leaf_count, leaf, self.path)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "document": {"hash_alg": self.hash_alg, "hash": self.document_hash.hex()},
            "batch": {
                "root": self.root.hex(),
                "leaf_index": self.leaf_index,
                "leaf_count": self.leaf_count,
                "path": [node.hex() for node in self.path],
            },
            "anchor": {"tx_id": self.anchor.tx_id.hex(), "height": self.anchor.height},
        }


def proof_of(tree: BatchTree, index: int, document_hash: bytes, anchor: Anchor) -> AnchorProof:
    return AnchorProof(
        tree.hash_alg,
        document_hash,
        tree.root,
        index,
        tree.leaf_count,
        tuple(tree.path(index)),
        anchor,
    )


def parse_anchor_proof(obj: Any) -> AnchorProof:
    """The proof in ``obj`` (parsed JSON), checked field by field; never trusts its path.

    Raises ``ErrMalformedAnchorProof`` naming the first bad field.
    """
    top = _fields(obj, {"version", "document", "batch", "anchor"}, "anchor proof")
    if top["version"] != VERSION:
        raise ErrMalformedAnchorProof(f"version must be {VERSION!r}, got {top['version']!r}")
    document = _fields(top["document"], {"hash_alg", "hash"}, "document")
    batch = _fields(top["batch"], {"root", "leaf_index", "leaf_count", "path"}, "batch")
    anchor = _fields(top["anchor"], {"tx_id", "height"}, "anchor")
    hash_alg = document["hash_alg"]
    if hash_alg not in HASH_ALGS:
        raise ErrMalformedAnchorProof(f"document.hash_alg must be one of {list(HASH_ALGS)}")
    count = _int(batch, "leaf_count", low=1)
    index = _int(batch, "leaf_index", low=0)
    if index >= count:
        raise ErrMalformedAnchorProof("batch.leaf_index must be below batch.leaf_count")
    path = batch["path"]
    if not isinstance(path, list) or len(path) > MAX_PATH:
        raise ErrMalformedAnchorProof(f"batch.path must be a list of at most {MAX_PATH} hashes")
    return AnchorProof(
        hash_alg,
        _hash(document["hash"], "document.hash"),
        _hash(batch["root"], "batch.root"),
        index,
        count,
        tuple(_hash(node, "batch.path[]") for node in path),
        Anchor(_hash(anchor["tx_id"], "anchor.tx_id"), _int(anchor, "height", low=1)),
    )


def write_jsonl(
    path: Path,
    tree: BatchTree,
    documents: list[bytes],
    anchor: Anchor,
    *,
    progress: ProgressFn | None = None,
) -> None:
    """One proof per line, in leaf order; each line is the key-sorted compact JSON of
    :meth:`AnchorProof.to_json` (built as text: a million lines in seconds)."""
    root, alg, count = tree.root.hex(), tree.hash_alg, tree.leaf_count
    head = f'{{"anchor":{{"height":{anchor.height},"tx_id":"{anchor.tx_id.hex()}"}},"batch":{{'
    tail = f'],"root":"{root}"}},"document":{{"hash":"'
    end = f'","hash_alg":"{alg}"}},"version":"{VERSION}"}}\n'
    lines: list[str] = []
    with path.open("w", encoding="ascii") as out:
        for index, hex_path in enumerate(tree.hex_paths()):
            lines.append(
                f'{head}"leaf_count":{count},"leaf_index":{index},"path":[{hex_path}'
                f"{tail}{documents[index].hex()}{end}"
            )
            if len(lines) == _WRITE_CHUNK:
                out.write("".join(lines))
                lines.clear()
                if progress is not None:
                    progress("write", index + 1, count)
        out.write("".join(lines))
    if progress is not None:
        progress("write", count, count)


def write_directory(
    directory: Path,
    tree: BatchTree,
    documents: list[bytes],
    anchor: Anchor,
    *,
    progress: ProgressFn | None = None,
) -> None:
    """One ``<document hash>.anchor.json`` file per document (for small batches)."""
    directory.mkdir(parents=True, exist_ok=True)
    for index, document in enumerate(documents):
        text = json.dumps(
            proof_of(tree, index, document, anchor).to_json(), indent=2, sort_keys=True
        )
        (directory / f"{document.hex()}.anchor.json").write_text(text + "\n", encoding="ascii")
        if progress is not None and (index + 1) % 256 == 0:
            progress("write", index + 1, len(documents))
    if progress is not None:
        progress("write", len(documents), len(documents))


def read_jsonl(path: Path) -> Iterator[AnchorProof]:
    """The proofs of a JSON-lines file, parsed strictly, in file order."""
    with path.open(encoding="ascii") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                yield parse_anchor_proof(json.loads(line))
            except ValueError:
                raise ErrMalformedAnchorProof(f"{path} line {number} is not JSON") from None


def _fields(value: Any, names: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != names:
        raise ErrMalformedAnchorProof(f"{what} must be an object with exactly {sorted(names)}")
    return value


def _int(value: dict[str, Any], name: str, *, low: int) -> int:
    item = value[name]
    if type(item) is not int or not low <= item < 2**63:
        raise ErrMalformedAnchorProof(f"{name} must be an integer >= {low}")
    return item


def _hash(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not _HEX32.fullmatch(value):
        raise ErrMalformedAnchorProof(f"{what} must be 64 lowercase hex digits")
    return bytes.fromhex(value)
