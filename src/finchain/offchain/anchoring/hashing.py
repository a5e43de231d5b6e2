"""Hashing documents on the client: streamed in chunks, so a file of any size costs
one chunk of memory. Only the digest ever leaves the machine."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from finchain.modules.evidence.types import HASH_ALGS
from finchain.offchain.anchoring.errors import ErrBadDocumentHash, ErrUnreadableDocument
from finchain.offchain.anchoring.tree import ProgressFn

CHUNK = 1 << 20


def _require_alg(hash_alg: str) -> None:
    if hash_alg not in HASH_ALGS:
        raise ErrBadDocumentHash(f"unknown hash {hash_alg!r}: use one of {list(HASH_ALGS)}")


def hash_file(
    path: Path, hash_alg: str, *, progress: ProgressFn | None = None, done: int = 0, total: int = 0
) -> bytes:
    """The ``hash_alg`` digest of the file's bytes (``progress`` counts bytes from ``done``)."""
    _require_alg(hash_alg)
    digest = hashlib.new(hash_alg)
    try:
        with path.open("rb") as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress("hash", done, total)
    except OSError as exc:
        raise ErrUnreadableDocument(f"cannot read {path}: {exc.strerror or exc}") from None
    return digest.digest()


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and every regular file under the directories named.

    Directories are walked in sorted order without following symbolic links
    to directories, so the same tree always gives the same list (and the same
    batch root).
    """
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            for folder, subdirs, files in os.walk(path):
                subdirs.sort()
                found.extend(Path(folder) / name for name in sorted(files))
        else:
            raise ErrUnreadableDocument(f"{path} is neither a file nor a directory")
    return [p for p in found if p.is_file()]


def hash_files(
    paths: list[Path], hash_alg: str, *, progress: ProgressFn | None = None
) -> list[bytes]:
    """The digest of each file, in order (``progress`` counts bytes over all files)."""
    _require_alg(hash_alg)
    try:
        total = sum(p.stat().st_size for p in paths)
    except OSError as exc:
        raise ErrUnreadableDocument(f"cannot read {exc.filename}: {exc.strerror}") from None
    digests, done = [], 0
    for path in paths:
        digests.append(hash_file(path, hash_alg, progress=progress, done=done, total=total))
        done += path.stat().st_size
    return digests
