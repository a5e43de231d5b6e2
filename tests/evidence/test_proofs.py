"""Anchor proof documents: the JSON-lines writer, the per-file writer and the strict parser."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.errors import FinchainError
from finchain.offchain.anchoring import (
    Anchor,
    BatchTree,
    parse_anchor_proof,
    read_jsonl,
    write_directory,
    write_jsonl,
)
from finchain.offchain.anchoring.errors import ErrMalformedAnchorProof
from finchain.offchain.anchoring.proofs import proof_of

ANCHOR = Anchor(b"\xaa" * 32, 12)


def docs(n: int) -> list[bytes]:
    return [hashlib.sha256(b"doc %d" % i).digest() for i in range(n)]


def test_jsonl_lines_are_the_canonical_json_of_each_proof(tmp_path: Path) -> None:
    documents = docs(13)
    tree = BatchTree("sm3", documents)
    out = tmp_path / "proofs.jsonl"
    seen: list[tuple[str, int, int]] = []
    write_jsonl(out, tree, documents, ANCHOR, progress=lambda *a: seen.append(a))
    lines = out.read_text().splitlines()
    assert len(lines) == 13 and seen[-1] == ("write", 13, 13)
    for index, line in enumerate(lines):
        expected = proof_of(tree, index, documents[index], ANCHOR).to_json()
        assert line == json.dumps(expected, sort_keys=True, separators=(",", ":"))
    parsed = list(read_jsonl(out))
    assert all(p.verify_path() for p in parsed)
    assert [p.leaf_index for p in parsed] == list(range(13))


def test_single_document_batch_has_an_empty_path(tmp_path: Path) -> None:
    (document,) = docs(1)
    tree = BatchTree("sha256", [document])
    write_jsonl(tmp_path / "one.jsonl", tree, [document], ANCHOR)
    (parsed,) = read_jsonl(tmp_path / "one.jsonl")
    assert parsed.path == () and parsed.root == tree.root and parsed.verify_path()


def test_directory_output_one_file_per_document(tmp_path: Path) -> None:
    documents = docs(3)
    tree = BatchTree("sha256", documents)
    write_directory(tmp_path / "out", tree, documents, ANCHOR)
    for document in documents:
        obj = json.loads((tmp_path / "out" / f"{document.hex()}.anchor.json").read_text())
        parsed = parse_anchor_proof(obj)
        assert parsed.document_hash == document and parsed.verify_path()
        assert obj["anchor"] == {"tx_id": "aa" * 32, "height": 12}


def test_tampering_breaks_the_path() -> None:
    documents = docs(9)
    good = proof_of(BatchTree("sha256", documents), 4, documents[4], ANCHOR).to_json()
    assert parse_anchor_proof(good).verify_path()
    for mutate in (
        lambda d: d["document"].update(hash=documents[5].hex()),
        lambda d: d["batch"].update(leaf_index=5),
        lambda d: d["batch"].update(path=d["batch"]["path"][::-1]),
        lambda d: d["batch"].update(root="00" * 32),
        lambda d: d["document"].update(hash_alg="sm3"),
    ):
        bad = json.loads(json.dumps(good))
        mutate(bad)
        assert not parse_anchor_proof(bad).verify_path()


def _valid() -> dict[str, Any]:
    documents = docs(5)
    return proof_of(BatchTree("sha256", documents), 2, documents[2], ANCHOR).to_json()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(version="finchain-anchor/v2"),
        lambda d: d.pop("anchor"),
        lambda d: d.update(extra=1),
        lambda d: d["document"].update(hash_alg="md5"),
        lambda d: d["document"].update(hash="AB" * 32),
        lambda d: d["batch"].update(leaf_index=5),
        lambda d: d["batch"].update(leaf_count=True),
        lambda d: d["batch"].update(path="00" * 32),
        lambda d: d["batch"].update(path=["00" * 32] * 65),
        lambda d: d["anchor"].update(height=0),
    ],
)
def test_malformed_documents_are_refused(mutate: Any) -> None:
    document = _valid()
    mutate(document)
    with pytest.raises(FinchainError) as err:
        parse_anchor_proof(document)
    assert err.value.error is ErrMalformedAnchorProof


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=70),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        _json,
        st.builds(lambda: _valid()),
        st.dictionaries(st.sampled_from(["version", "document", "batch", "anchor"]), _json),
    )
)
def test_parser_never_crashes(value: Any) -> None:
    try:
        parsed = parse_anchor_proof(value)
    except FinchainError as exc:
        assert exc.error is ErrMalformedAnchorProof
    else:
        assert isinstance(parsed.verify_path(), bool)
