"""Crypto suites: the set of algorithms a chain fixes in its genesis.

``gm`` is the national-standard suite JR/T 0184-2020 expects (SM2, SM3,
SM4-GCM); ``intl`` the international one (Ed25519, SHA-256, AES-256-GCM).
A suite fixes what the chain hashes and encrypts with, and the scheme new
keys get by default; accounts may still hold keys of any scheme.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from finchain.crypto.aead import Aead, get_aead
from finchain.crypto.errors import ErrUnknownSuite, named
from finchain.crypto.hashes import hasher
from finchain.crypto.schemes import SCHEMES


@dataclass(frozen=True)
class Suite:
    """A named choice of hash, AEAD and default signature scheme.

    Example::

        suite = get_suite(genesis.crypto_suite)
        app_hash = suite.hash(root_bytes)
    """

    name: str
    hash_name: str
    aead_name: str
    default_scheme: str
    _hash: Callable[[bytes], bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Resolve names now so a typo fails at import, and hash() is one call.
        get_aead(self.aead_name)
        if self.default_scheme not in SCHEMES:
            raise ValueError(f"suite {self.name}: unknown scheme {self.default_scheme!r}")
        object.__setattr__(self, "_hash", hasher(self.hash_name))

    def hash(self, data: bytes) -> bytes:
        """The suite's 32-byte digest of ``data``."""
        return self._hash(data)

    @property
    def aead(self) -> Aead:
        """The suite's AEAD."""
        return get_aead(self.aead_name)


SUITES: dict[str, Suite] = {
    "gm": Suite(name="gm", hash_name="sm3", aead_name="sm4-gcm", default_scheme="sm2"),
    "intl": Suite(
        name="intl", hash_name="sha256", aead_name="aes-256-gcm", default_scheme="ed25519"
    ),
}


def get_suite(name: str) -> Suite:
    """The suite called ``name`` ("gm" or "intl"); ``ErrUnknownSuite`` otherwise."""
    return named(SUITES, name, ErrUnknownSuite, "crypto suite")
