"""Error codes of the ``crypto`` codespace.

Codes are part of the wire contract (wallets and auditors match on them), so a
code never changes meaning and a retired code is never reused. Messages say
what went wrong and what to do; they never carry a private key, a secret, a
passphrase or a derived key, because messages end up in logs and API replies.

Exception tree (all are :class:`finchain.errors.FinchainError`, told apart by
``.code`` or ``ErrX.matches(exc)``)::

    FinchainError
      crypto:2   ErrUnknownScheme       signature scheme not in SCHEMES
      crypto:3   ErrInvalidKey          malformed public key, secret or AEAD key
      crypto:4   ErrUnknownHash         hash name not in HASH_NAMES
      crypto:5   ErrUnknownSuite        suite name not in SUITES
      crypto:6   ErrDecryptionFailed    AEAD authentication failed
      crypto:7   ErrWrongPassphrase     keystore passphrase does not open the key
      crypto:8   ErrMalformedKeystore   keystore document unreadable or inconsistent
      crypto:9   ErrKeyNotFound         no key of that name in the keystore
      crypto:10  ErrKeyExists           a key of that name is already stored
      crypto:11  ErrInvalidKeyName      name outside [A-Za-z0-9][A-Za-z0-9_.-]{0,63}
      crypto:12  ErrUnknownAead         AEAD name not known
      crypto:13  ErrInvalidNonce        AEAD nonce of the wrong size
      crypto:14  ErrUnknownEncryptionScheme  sealing scheme not in SEALING_SCHEMES
      crypto:15  ErrInvalidSealInput    plaintext or context to seal: not bytes, or too large
      crypto:16  ErrInvalidSharing      bad secret-sharing parameters or shares
      crypto:17  ErrInvalidEscrow       malformed escrow, identity link or request
      crypto:18  ErrNotARegulator       the account holds no share of the escrow
      crypto:19  ErrNotEnoughShares     too few valid shares to open the escrow
      crypto:20  ErrWeakPassphrase      a new key's passphrase fails the strength rule
      crypto:21  ErrPassphraseFile      passphrase file missing, empty or readable by others
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from finchain.errors import ErrorCode, register

V = TypeVar("V")

CODESPACE = "crypto"

ErrUnknownScheme = register(CODESPACE, 2, "unknown signature scheme")
ErrInvalidKey = register(CODESPACE, 3, "invalid key")
ErrUnknownHash = register(CODESPACE, 4, "unknown hash function")
ErrUnknownSuite = register(CODESPACE, 5, "unknown crypto suite")
ErrDecryptionFailed = register(CODESPACE, 6, "decryption failed")
ErrWrongPassphrase = register(CODESPACE, 7, "wrong passphrase")
ErrMalformedKeystore = register(CODESPACE, 8, "malformed keystore document")
ErrKeyNotFound = register(CODESPACE, 9, "key not found")
ErrKeyExists = register(CODESPACE, 10, "key already exists")
ErrInvalidKeyName = register(CODESPACE, 11, "invalid key name")
ErrUnknownAead = register(CODESPACE, 12, "unknown AEAD algorithm")
ErrInvalidNonce = register(CODESPACE, 13, "invalid nonce")
ErrUnknownEncryptionScheme = register(CODESPACE, 14, "unknown encryption scheme")
ErrInvalidSealInput = register(CODESPACE, 15, "invalid input to seal")
ErrInvalidSharing = register(CODESPACE, 16, "invalid secret sharing")
ErrInvalidEscrow = register(CODESPACE, 17, "invalid escrow")
ErrNotARegulator = register(CODESPACE, 18, "not a regulator of the escrow")
ErrNotEnoughShares = register(CODESPACE, 19, "not enough valid escrow shares")
ErrWeakPassphrase = register(CODESPACE, 20, "passphrase too weak to protect a new key")
ErrPassphraseFile = register(
    CODESPACE, 21, "passphrase file unusable: missing, empty, or readable by other users"
)


def named(table: Mapping[str, V], name: str, error: ErrorCode, what: str) -> V:
    """``table[name]``; for any other name, ``error`` saying it is no known ``what``."""
    try:
        return table[name]
    except (KeyError, TypeError):
        raise error(f"unknown {what} {name!r}: use one of {', '.join(table)}") from None
