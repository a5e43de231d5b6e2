"""Documents are hashed streamed, in a fixed order, and only the digest is kept."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from finchain.errors import FinchainError
from finchain.offchain.anchoring import collect_files, hash_file, hash_files
from finchain.offchain.anchoring.errors import ErrBadDocumentHash, ErrUnreadableDocument
from finchain.offchain.anchoring.hashing import CHUNK
from tests.support import code


@pytest.mark.parametrize("alg", ["sm3", "sha256"])
def test_hash_file_streams_multi_chunk_files(tmp_path: Path, alg: str) -> None:
    data = bytes(range(256)) * (CHUNK // 256 * 2 + 7)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    seen: list[tuple[str, int, int]] = []
    assert hash_file(path, alg, progress=lambda *a: seen.append(a), total=len(data)) == (
        hashlib.new(alg, data).digest()
    )
    assert [s[1] for s in seen] == [CHUNK, 2 * CHUNK, len(data)]


def test_collect_files_walks_directories_in_sorted_order(tmp_path: Path) -> None:
    for name in ("b/2.txt", "b/1.txt", "a.txt", "c/d/e.txt"):
        (tmp_path / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "docs" / name).write_text(name)
    (tmp_path / "single.txt").write_text("x")
    found = collect_files([tmp_path / "single.txt", tmp_path / "docs"])
    relative = [str(p.relative_to(tmp_path)) for p in found]
    assert relative == [
        "single.txt",
        "docs/a.txt",
        "docs/b/1.txt",
        "docs/b/2.txt",
        "docs/c/d/e.txt",
    ]
    digests = hash_files(found, "sha256")
    assert digests[1] == hashlib.sha256(b"a.txt").digest()


def test_missing_path_and_unknown_algorithm(tmp_path: Path) -> None:
    with pytest.raises(FinchainError) as err:
        collect_files([tmp_path / "nope"])
    assert (err.value.codespace, err.value.code) == code(ErrUnreadableDocument)
    (tmp_path / "f").write_text("x")
    with pytest.raises(FinchainError) as err:
        hash_file(tmp_path / "f", "md5")
    assert (err.value.codespace, err.value.code) == code(ErrBadDocumentHash)
