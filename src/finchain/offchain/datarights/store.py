"""A local, content-addressed store of encrypted payloads.

A payload is filed under the lowercase hex suite hash of its encrypted bytes,
so the address names exactly one blob and a reader detects a swapped file.
Files are written to a temporary name and renamed, so a crash never leaves a
half-written payload under a real address. ``delete`` is the right to be
forgotten: it removes the bytes (the on-chain hash and history stay; send
``datarights/forget`` to record it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from finchain.crypto import get_suite
from finchain.modules.datarights.errors import ErrPayloadMismatch, ErrPayloadNotFound

_ADDRESS = re.compile(r"[0-9a-f]{64}")
URI_SCHEME = "finchain-payload"


class PayloadStore:
    """Encrypted payloads under ``root``, addressed by their suite hash.

    Example::

        store = PayloadStore(home / "payloads", suite="gm")
        address = store.put(sealed.blob)
        blob = store.get(address)
        store.delete(address)
    """

    def __init__(self, root: Path, *, suite: str) -> None:
        self.root = Path(root)
        self._suite = get_suite(suite)

    def address_of(self, blob: bytes) -> str:
        return self._suite.hash(blob).hex()

    def uri(self, address: str) -> str:
        """The ``location`` to register: ``finchain-payload:<address>``."""
        return f"{URI_SCHEME}:{self._check(address)}"

    def put(self, blob: bytes) -> str:
        """File ``blob`` and return its address (idempotent)."""
        address = self.address_of(blob)
        path = self._path(address)
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.partial")
            partial.write_bytes(blob)
            os.replace(partial, path)
        return address

    def get(self, address: str) -> bytes:
        """The blob at ``address``; ``ErrPayloadNotFound`` or ``ErrPayloadMismatch``."""
        path = self._path(address)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            raise ErrPayloadNotFound(
                f"no payload {address} in {self.root} (deleted, or never stored here)"
            ) from None
        if self.address_of(blob) != address:
            raise ErrPayloadMismatch(f"payload file {path} does not hash to its address")
        return blob

    def has(self, address: str) -> bool:
        return self._path(address).exists()

    def delete(self, address: str) -> bool:
        """Remove the payload; False if it was not there."""
        try:
            self._path(address).unlink()
        except FileNotFoundError:
            return False
        return True

    @staticmethod
    def address_from_uri(location: str) -> str:
        """The address inside a ``finchain-payload:`` location."""
        scheme, _, address = location.partition(":")
        if scheme != URI_SCHEME or not _ADDRESS.fullmatch(address):
            raise ErrPayloadNotFound(f"location {location[:80]!r} is not a {URI_SCHEME}: address")
        return address

    def _check(self, address: str) -> str:
        if not isinstance(address, str) or not _ADDRESS.fullmatch(address):
            raise ErrPayloadNotFound(f"{str(address)[:80]!r} is not a payload address (64 hex)")
        return address

    def _path(self, address: str) -> Path:
        return self.root / self._check(address)
