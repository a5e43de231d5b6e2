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
    check_new_passphrase(passphrase)   # the strength rule for new keys (crypto:20)
    ks.create("alice", "sm2", passphrase)
    key = ks.load("alice", passphrase)
    passphrase = read_passphrase_file(path)   # mode 0600 or refused (crypto:21)

Sealing (encryption to a public key, bound to a context; see ``finchain.crypto.sealing``)::

    key = generate_encryption_key("sm2")          # or "x25519"
    sealed = seal("sm2", key.public_key, secret, context=b"chain-1/escrow")
    secret = open_sealed("sm2", key, sealed, context=b"chain-1/escrow")

Secret sharing: ``finchain.crypto.shamir`` (``split``, ``combine``).

Errors are registered codes of codespace ``crypto`` (see ``finchain.crypto.errors``).
"""

from finchain.crypto.aead import AEAD_NAMES, Aead, get_aead
from finchain.crypto.errors import (
    ErrDecryptionFailed,
    ErrInvalidEscrow,
    ErrInvalidKey,
    ErrInvalidKeyName,
    ErrInvalidNonce,
    ErrInvalidSealInput,
    ErrInvalidSharing,
    ErrKeyExists,
    ErrKeyNotFound,
    ErrMalformedKeystore,
    ErrNotARegulator,
    ErrNotEnoughShares,
    ErrPassphraseFile,
    ErrUnknownAead,
    ErrUnknownEncryptionScheme,
    ErrUnknownHash,
    ErrUnknownScheme,
    ErrUnknownSuite,
    ErrWeakPassphrase,
    ErrWrongPassphrase,
)
from finchain.crypto.hashes import HASH_NAMES, hash_bytes, hasher
from finchain.crypto.keys import PrivateKey, PublicKey
from finchain.crypto.keystore import KeyInfo, Keystore
from finchain.crypto.passphrase import (
    MIN_PASSPHRASE_CHARS,
    check_new_passphrase,
    check_passphrase_file_mode,
    read_passphrase_file,
)
from finchain.crypto.schemes import (
    SCHEMES,
    generate_private_key,
    private_key_from_bytes,
    public_key_from_bytes,
    verify_signature,
)
from finchain.crypto.sealing import (
    SEALING_SCHEMES,
    EncryptionKey,
    check_encryption_public_key,
    encryption_public_key,
    generate_encryption_key,
    load_encryption_key,
    open_sealed,
    seal,
    store_encryption_key,
)
from finchain.crypto.suites import SUITES, Suite, get_suite

__all__ = [
    "AEAD_NAMES",
    "HASH_NAMES",
    "MIN_PASSPHRASE_CHARS",
    "SCHEMES",
    "SEALING_SCHEMES",
    "SUITES",
    "Aead",
    "EncryptionKey",
    "ErrDecryptionFailed",
    "ErrInvalidEscrow",
    "ErrInvalidKey",
    "ErrInvalidKeyName",
    "ErrInvalidNonce",
    "ErrInvalidSealInput",
    "ErrInvalidSharing",
    "ErrKeyExists",
    "ErrKeyNotFound",
    "ErrMalformedKeystore",
    "ErrNotARegulator",
    "ErrNotEnoughShares",
    "ErrPassphraseFile",
    "ErrUnknownAead",
    "ErrUnknownEncryptionScheme",
    "ErrUnknownHash",
    "ErrUnknownScheme",
    "ErrUnknownSuite",
    "ErrWeakPassphrase",
    "ErrWrongPassphrase",
    "KeyInfo",
    "Keystore",
    "PrivateKey",
    "PublicKey",
    "Suite",
    "check_encryption_public_key",
    "check_new_passphrase",
    "check_passphrase_file_mode",
    "encryption_public_key",
    "generate_encryption_key",
    "generate_private_key",
    "get_aead",
    "get_suite",
    "hash_bytes",
    "hasher",
    "load_encryption_key",
    "open_sealed",
    "private_key_from_bytes",
    "public_key_from_bytes",
    "read_passphrase_file",
    "seal",
    "store_encryption_key",
    "verify_signature",
]
