"""The solo validator's record of the last block it signed, kept outside the database.

CometBFT's validators keep ``priv_validator_state.json`` so that no restart, crash
or restored backup can make them sign two different blocks at one height. The
solo validator does the same with ``HOME/validator_state.json``::

    {"height": "5985", "block_hash": "9f0c…"}

written with an fsync and an atomic rename after each block's commit batch is
durable and before anyone can read the block (the node holds its lock through
both). A signature over a block never leaves the process before its commit, so
recording after the commit is enough: a crash between the two leaves the record
one block behind the database, which the next start repairs from the block itself.

The rules (:meth:`SignState.check_start`, :meth:`SignState.check_sign`):

- the database ends below the recorded height → refuse to start: committed blocks
  were lost (a damaged or restored database), and producing again would sign
  different blocks at heights this validator already signed;
- the database ends at the recorded height with another block hash → refuse;
- never sign at a height at or below the record, unless it is the very block recorded.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from finchain.engines.solo.errors import ErrDoubleSign, ErrSignState

__all__ = ["SignState", "SignedBlock"]

log = logging.getLogger("finchain.node")
FILE_NAME = "validator_state.json"
_HINT = (
    "restore the whole home (data/ and validator_state.json together) from a backup taken "
    "at or after that height; see docs/OPERATIONS.md, 'Storage damage'"
)


@dataclass(frozen=True, slots=True)
class SignedBlock:
    """The last block this validator signed: height 0 and no hash before the first."""

    height: int
    block_hash: bytes


class SignState:
    """The record in ``path``; created with height 0 when a chain starts.

    Example::

        state = SignState.open(home / "validator_state.json", db_height=app.height,
                               block_hash_at=lambda h: header_hash_of(h))
        state.check_sign(height, block_hash)   # before signing
        ...commit...
        state.record(height, block_hash)       # after the commit is durable
    """

    def __init__(self, path: Path, last: SignedBlock) -> None:
        self.path = path
        self.last = last

    @classmethod
    def open(cls, path: Path) -> SignState:
        """Read the record; a missing file reads as height 0 (a new validator)."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path, SignedBlock(0, b""))
        except OSError as exc:
            raise ErrSignState(f"cannot read {path}: {exc.strerror}", path=str(path)) from None
        return cls(path, _parse(path, text))

    def check_start(self, db_height: int, block_hash_at: dict[int, bytes]) -> None:
        """Refuse a database that ends before the last signed block or disagrees with it.

        ``block_hash_at`` maps heights to the hashes of the database's blocks, for
        at least the recorded height and ``db_height`` (when they are >= 1).
        """
        last = self.last
        if db_height < last.height:
            raise ErrSignState(
                f"this validator signed block {last.height} ({last.block_hash.hex()}) but the "
                f"database ends at height {db_height}: committed blocks were lost, and "
                f"producing again would sign different blocks at heights {db_height + 1}.."
                f"{last.height}. The node will not start: {_HINT}",
                signed_height=last.height,
                database_height=db_height,
            )
        if last.height >= 1 and block_hash_at.get(last.height) != last.block_hash:
            found = block_hash_at.get(last.height, b"").hex() or "nothing"
            raise ErrSignState(
                f"this validator signed block {last.height} with hash {last.block_hash.hex()} "
                f"but the database holds {found} at that height: the database is not the one "
                f"this validator signed into. The node will not start: {_HINT}",
                signed_height=last.height,
            )
        if db_height > last.height:
            # A crash after a commit, before its record; or a home older than this file.
            log.info(
                "validator state behind the database; recording its last block",
                extra={"recorded": last.height, "height": db_height},
            )
            self.record(db_height, block_hash_at[db_height])

    def check_sign(self, height: int, block_hash: bytes) -> None:
        """ErrDoubleSign unless signing block ``height`` with ``block_hash`` is allowed."""
        last = self.last
        if height < last.height or (height == last.height and block_hash != last.block_hash):
            raise ErrDoubleSign(
                f"refusing to sign block {height} ({block_hash.hex()}): this validator already "
                f"signed block {last.height} ({last.block_hash.hex()})",
                height=height,
                signed_height=last.height,
            )

    def record(self, height: int, block_hash: bytes) -> None:
        """Durably replace the record (temp file, fsync, rename, fsync of the directory)."""
        text = json.dumps({"height": str(height), "block_hash": block_hash.hex()}) + "\n"
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, text.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise ErrSignState(
                f"cannot write {self.path}: {exc.strerror}; block production stops until it can",
                path=str(self.path),
            ) from None
        self.last = SignedBlock(height, block_hash)


def _parse(path: Path, text: str) -> SignedBlock:
    try:
        data = json.loads(text)
        height = int(data["height"])
        block_hash = bytes.fromhex(data["block_hash"])
        if height < 0 or (height > 0 and len(block_hash) != 32):
            raise ValueError("out of range")
    except (ValueError, KeyError, TypeError) as exc:
        raise ErrSignState(
            f"{path} is malformed ({exc}): it must hold "
            '{"height": "<decimal>", "block_hash": "<64 hex>"}; restore it from a backup',
            path=str(path),
        ) from None
    return SignedBlock(height, block_hash)
