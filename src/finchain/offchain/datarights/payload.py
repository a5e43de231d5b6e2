"""Payload encryption: a fresh data key per version, the suite's AEAD, a bound header.

Layout of an encrypted payload (what the store keeps and ``location`` points at)::

    "FCDR" || 01 || nonce (12) || AEAD ciphertext || tag (16)

The associated data binds the suite, chain, owner DID, version number and the
content hash, so a payload cannot be passed off as another owner's, another
chain's or another version's. The asset id is not bound: the chain assigns it
when the first version is registered, after the payload is encrypted; the
content hash and owner already pin the payload, and :func:`decrypt_payload`
checks the plaintext against the on-chain hash, the real integrity check.

``key_id`` is the on-chain commitment to a data key: the suite hash of a
domain label and the key. A grantee checks the key it unwrapped against it
before decrypting, so a wrong key is reported as such rather than as a
tampered payload.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from finchain.crypto import get_suite
from finchain.crypto.errors import ErrDecryptionFailed
from finchain.modules.datarights.errors import ErrPayloadMismatch

MAGIC = b"FCDR\x01"
_NONCE = 12
_TAG = 16
_AAD_LABEL = b"finchain/datarights/payload/v1\x00"
_KEY_ID_LABEL = b"finchain/datarights/key-id/v1\x00"


@dataclass(frozen=True, slots=True)
class EncryptedPayload:
    """One encrypted version: ``blob`` goes off chain, ``content_hash`` and ``key_id`` on chain.

    ``data_key`` is the secret: it leaves this object only wrapped to a grantee.
    """

    blob: bytes
    content_hash: bytes
    key_id: bytes
    data_key: bytes = field(repr=False)


def key_id_of(data_key: bytes, suite: str) -> bytes:
    """The on-chain commitment to ``data_key`` (32 bytes; reveals nothing of a random key)."""
    return get_suite(suite).hash(_KEY_ID_LABEL + data_key)


def payload_aad(suite: str, chain_id: str, owner: str, version: int, content_hash: bytes) -> bytes:
    return (
        b"\x00".join(
            (
                _AAD_LABEL + suite.encode(),
                chain_id.encode(),
                owner.encode(),
                version.to_bytes(8, "big"),
            )
        )
        + content_hash
    )


def encrypt_payload(
    data: bytes,
    suite: str,
    *,
    chain_id: str,
    owner: str,
    version: int,
    data_key: bytes | None = None,
) -> EncryptedPayload:
    """Encrypt ``data`` for version ``version`` of an asset owned by ``owner``.

    Example::

        sealed = encrypt_payload(report, "gm", chain_id="bank-chain", owner=did, version=1)
        address = store.put(sealed.blob)  # register with sealed.content_hash, sealed.key_id

    Parameters:
        suite: the chain's suite (``gm``: SM3 + SM4-GCM, ``intl``: SHA-256 + AES-256-GCM).
        data_key: normally omitted (a fresh random key); tests pass one to be reproducible.
    """
    chosen = get_suite(suite)
    aead = chosen.aead
    key = os.urandom(aead.key_size) if data_key is None else data_key
    content_hash = chosen.hash(data)
    nonce = os.urandom(_NONCE)
    aad = payload_aad(suite, chain_id, owner, version, content_hash)
    blob = MAGIC + nonce + aead.encrypt(key, nonce, data, aad)
    return EncryptedPayload(blob, content_hash, key_id_of(key, suite), key)


def decrypt_payload(
    blob: bytes,
    data_key: bytes,
    suite: str,
    *,
    chain_id: str,
    owner: str,
    version: int,
    content_hash: bytes,
) -> bytes:
    """The plaintext of ``blob``, checked against the version's on-chain ``content_hash``.

    Raises ``ErrDecryptionFailed`` (crypto) if the blob, key or binding is wrong,
    ``ErrPayloadMismatch`` if it decrypts to data whose hash is not ``content_hash``.
    """
    if not isinstance(blob, bytes) or len(blob) < len(MAGIC) + _NONCE + _TAG:
        raise ErrDecryptionFailed("not an encrypted finchain data payload: too short")
    if not blob.startswith(MAGIC):
        raise ErrDecryptionFailed("not an encrypted finchain data payload (FCDR v1 header)")
    chosen = get_suite(suite)
    nonce = blob[len(MAGIC) : len(MAGIC) + _NONCE]
    aad = payload_aad(suite, chain_id, owner, version, content_hash)
    data = chosen.aead.decrypt(data_key, nonce, blob[len(MAGIC) + _NONCE :], aad)
    if chosen.hash(data) != content_hash:
        raise ErrPayloadMismatch(
            f"payload of version {version} decrypts, but not to the content registered on chain"
        )
    return data
