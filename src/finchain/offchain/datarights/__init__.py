"""Data rights, client side: encrypted payloads off chain, wrapped keys, recorded access.

The owner encrypts each version with a fresh data key under the suite's AEAD
(:func:`encrypt_payload`), keeps the bytes off chain (:class:`PayloadStore` or
any URL), registers the hash and a key commitment on chain, and grants by
sealing the data key to the grantee's keyAgreement key (:func:`grant_message`).
After a revocation :func:`rotate` makes the next version under a new key
wrapped only for the remaining grantees. A grantee opens with
:func:`open_asset`, which records the access on chain first. See
docs/data-rights.md.

The owner's whole workflows over a node, with the owner's own copy of every
data key in a key file (:class:`KeyFile`, ``FILE.fckey``):
:func:`register_data`, :func:`grant_data` and :func:`rotate_data_key`
(``finchain.offchain.datarights.ownership``).
"""

from finchain.offchain.datarights.access import ClientLedger, Ledger, open_asset
from finchain.offchain.datarights.keyfile import (
    DataKeyError,
    KeyFile,
    VersionKey,
    current_key,
    seal_for_owner,
)
from finchain.offchain.datarights.owner import Rotation, grant_message, method_fragment, rotate
from finchain.offchain.datarights.ownership import (
    Granted,
    Registered,
    Rotated,
    asset_grants,
    asset_record,
    grant_data,
    grantee_key_method,
    key_file_for,
    register_data,
    rotate_data_key,
)
from finchain.offchain.datarights.payload import (
    EncryptedPayload,
    decrypt_payload,
    encrypt_payload,
    key_id_of,
)
from finchain.offchain.datarights.store import PayloadStore
from finchain.offchain.datarights.wrapping import (
    key_agreement_method,
    unwrap_key,
    wrap_context,
    wrap_key,
)

__all__ = [
    "ClientLedger",
    "DataKeyError",
    "EncryptedPayload",
    "Granted",
    "KeyFile",
    "Ledger",
    "PayloadStore",
    "Registered",
    "Rotated",
    "Rotation",
    "VersionKey",
    "asset_grants",
    "asset_record",
    "current_key",
    "decrypt_payload",
    "encrypt_payload",
    "grant_data",
    "grant_message",
    "grantee_key_method",
    "key_agreement_method",
    "key_file_for",
    "key_id_of",
    "method_fragment",
    "open_asset",
    "register_data",
    "rotate",
    "rotate_data_key",
    "seal_for_owner",
    "unwrap_key",
    "wrap_context",
    "wrap_key",
]
