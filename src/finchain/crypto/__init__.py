"""All of finchain's cryptography: signatures, hashes, AEAD, suites, keystore.

No other finchain package imports a crypto library; they import this.

Signatures::

    key = generate_private_key("sm2")
    sig = key.sign(message)
    verify_signature("sm2", key.public_key().data, message, sig)  # True; never raises

Hashes and suites::

    suite = get_suite("gm")            # SM2 / SM3 / SM4-GCM
    digest = suite.hash(data)          # == hash_bytes("sm3", data)
    h = hasher("sm3")                  # the fastest callable, for hot loops

Keys at rest::

    ks = Keystore(path)
    ks.create("alice", "sm2", passphrase)
    key = ks.load("alice", passphrase)

Errors are registered codes of codespace ``crypto`` (see ``finchain.crypto.errors``).
"""

from finchain.crypto.aead import AEAD_NAMES, Aead, get_aead
from finchain.crypto.errors import (
    ErrDecryptionFailed,
    ErrInvalidKey,
    ErrInvalidKeyName,
    ErrInvalidNonce,
    ErrKeyExists,
    ErrKeyNotFound,
    ErrMalformedKeystore,
    ErrUnknownAead,
    ErrUnknownHash,
    ErrUnknownScheme,
    ErrUnknownSuite,
    ErrWrongPassphrase,
)
from finchain.crypto.hashes import HASH_NAMES, hash_bytes, hasher
from finchain.crypto.keys import PrivateKey, PublicKey
from finchain.crypto.keystore import KeyInfo, Keystore
from finchain.crypto.schemes import (
    SCHEMES,
    generate_private_key,
    private_key_from_bytes,
    public_key_from_bytes,
    verify_signature,
)
from finchain.crypto.suites import SUITES, Suite, get_suite

__all__ = [
    "AEAD_NAMES",
    "HASH_NAMES",
    "SCHEMES",
    "SUITES",
    "Aead",
    "ErrDecryptionFailed",
    "ErrInvalidKey",
    "ErrInvalidKeyName",
    "ErrInvalidNonce",
    "ErrKeyExists",
    "ErrKeyNotFound",
    "ErrMalformedKeystore",
    "ErrUnknownAead",
    "ErrUnknownHash",
    "ErrUnknownScheme",
    "ErrUnknownSuite",
    "ErrWrongPassphrase",
    "KeyInfo",
    "Keystore",
    "PrivateKey",
    "PublicKey",
    "Suite",
    "generate_private_key",
    "get_aead",
    "get_suite",
    "hash_bytes",
    "hasher",
    "private_key_from_bytes",
    "public_key_from_bytes",
    "verify_signature",
]
