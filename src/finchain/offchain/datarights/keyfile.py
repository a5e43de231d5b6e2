"""The owner's data-key file (``FILE.fckey``): every version's data key, sealed to the owner.

The chain holds each version's data key only wrapped to grantees, so the
owner keeps its own copy: every version's key sealed to the owner's keystore
key (sealing context: a domain label and the version's content hash). A
version is added to the file *before* its transaction is sent, so a reply
lost in transit never loses the only copy of a key; an entry whose
transaction never committed is harmless, because keys are picked by the
content hash the chain reports for the current version.

Format ``finchain-data-keys/v1`` (JSON)::

    {"format": …, "chain_id": …, "owner": DID, "asset": N or null (pending),
     "tx_id": registration tx while pending,
     "versions": [{"version": n, "hash": hex, "address": hex, "sealed_key": base64}, …]}

Errors: :class:`DataKeyError` (a ``ValueError``) for a file that is unreadable,
malformed, of another chain, or without the chain's current version.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from finchain.crypto import EncryptionKey, open_sealed, seal
from finchain.crypto.errors import ErrDecryptionFailed
from finchain.errors import FinchainError
from finchain.offchain.datarights.payload import key_id_of

FORMAT = "finchain-data-keys/v1"
_OWNER_CONTEXT = b"finchain/datarights/owner-key/v1\x00"
_MAX_FILE = 1 << 20


class DataKeyError(ValueError):
    """The owner's key file or inputs do not fit the chain (unreadable or malformed file,
    another chain, a stale copy, the wrong owner key, an existing file, a grantee without a
    key): nothing was sent and no key file was changed."""


@dataclass(frozen=True, slots=True)
class VersionKey:
    """One version's data key, sealed to the owner's key."""

    version: int
    content_hash: bytes
    address: str
    sealed_key: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "hash": self.content_hash.hex(),
            "address": self.address,
            "sealed_key": base64.b64encode(self.sealed_key).decode(),
        }


@dataclass(frozen=True, slots=True)
class KeyFile:
    """The owner's keys of one asset (``asset`` is None until registration committed)."""

    chain_id: str
    owner: str
    asset: int | None
    versions: tuple[VersionKey, ...]
    tx_id: str = ""

    def with_version(self, entry: VersionKey) -> KeyFile:
        kept = tuple(v for v in self.versions if v.version != entry.version)
        return replace(self, versions=(*kept, entry))

    def without_version(self, number: int) -> KeyFile:
        return replace(self, versions=tuple(v for v in self.versions if v.version != number))

    def check_chain(self, chain_id: str, path: Path) -> None:
        """Refuse a key file of another chain than the node's."""
        if self.chain_id != chain_id:
            raise DataKeyError(
                f"{path} holds keys of chain {self.chain_id!r}, the node is {chain_id!r}"
            )

    def write(self, path: Path) -> None:
        """Replace ``path`` atomically (owner-only permissions): never a half-written key file."""
        text = json.dumps(
            {
                "format": FORMAT,
                "chain_id": self.chain_id,
                "owner": self.owner,
                "asset": self.asset,
                "tx_id": self.tx_id,
                "versions": [v.to_json() for v in self.versions],
            },
            indent=2,
        )
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text + "\n")
        os.replace(partial, path)

    @classmethod
    def read(cls, path: Path) -> KeyFile:
        """Parse ``path``; ``DataKeyError`` naming the file for anything unreadable or malformed."""
        try:
            if path.stat().st_size > _MAX_FILE:
                raise ValueError("larger than 1 MiB")
            obj = json.loads(path.read_text())
            if obj.get("format") != FORMAT:
                raise ValueError(f"format is not {FORMAT}")
            asset = obj["asset"]
            if asset is not None and (type(asset) is not int or asset < 1):
                raise ValueError("asset must be a positive integer or null")
            versions = tuple(
                VersionKey(
                    _positive(v["version"]),
                    bytes.fromhex(v["hash"]),
                    str(v["address"]),
                    base64.b64decode(v["sealed_key"], validate=True),
                )
                for v in obj["versions"]
            )
            return cls(str(obj["chain_id"]), str(obj["owner"]), asset, versions, str(obj["tx_id"]))
        except OSError as exc:
            raise DataKeyError(f"cannot read key file {path}: {exc.strerror}") from None
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise DataKeyError(
                f"{path} is not a finchain data key file ({exc}): use the FILE.fckey "
                "that `finchain data register` wrote"
            ) from None


def _positive(value: Any) -> int:
    if type(value) is not int or value < 1:
        raise ValueError("version must be a positive integer")
    return value


def seal_for_owner(
    own: EncryptionKey, number: int, content_hash: bytes, address: str, data_key: bytes
) -> VersionKey:
    """The entry for version ``number``: ``data_key`` sealed to the owner's own key."""
    sealed = seal(own.scheme, own.public_key, data_key, context=_OWNER_CONTEXT + content_hash)
    return VersionKey(number, content_hash, address, sealed)


def current_key(
    path: Path, keys: KeyFile, own: EncryptionKey, record: dict[str, Any], suite: str
) -> tuple[VersionKey, bytes]:
    """The entry and data key of the asset's current version, checked against the chain.

    ``record`` is the ``datarights/asset`` answer. Grants and rotations file
    keys under the current version, so a key file that lacks it (another copy
    was rotated) is refused rather than used to wrap a stale key.
    """
    if keys.asset is None and not keys.tx_id:
        raise DataKeyError(
            f"{path}: the registration never reached the chain; delete the file and register again"
        )
    if keys.asset is None:
        raise DataKeyError(
            f"{path}: the registration (tx {keys.tx_id}) was not seen committed; check it with "
            f"`finchain tx show {keys.tx_id}`"
        )
    current = record["version_list"][-1]
    matching = [
        v
        for v in keys.versions
        if v.version == current["number"] and v.content_hash.hex() == current["hash"]
    ]
    if not matching:
        raise DataKeyError(
            f"{path} has no key for data asset #{keys.asset} version {current['number']} "
            "(the current one): use the key file that `finchain data rotate` updated"
        )
    entry = matching[0]
    try:
        data_key = open_sealed(
            own.scheme, own, entry.sealed_key, context=_OWNER_CONTEXT + entry.content_hash
        )
    except FinchainError as exc:
        if not ErrDecryptionFailed.matches(exc):
            raise
        raise DataKeyError(
            f"the owner key (--owner-key) does not open the key of version {entry.version} "
            f"in {path}: give the key the asset was registered with"
        ) from None
    if key_id_of(data_key, suite).hex() != current["key_id"]:
        raise DataKeyError(
            f"{path}: the key of version {entry.version} does not match the chain's key id"
        )
    return entry, data_key
