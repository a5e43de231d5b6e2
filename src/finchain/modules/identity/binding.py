"""The statement a DID's authentication key signs to bind an account to the DID.

``BINDING_DOMAIN`` followed by the canonical DAG-CBOR map of the chain id, the
DID, the account and the account's nonce for the binding transaction. The
domain prefix keeps this signature from ever being taken for a transaction
(``finchain/tx/v1``) or a credential proof made with the same key; the chain
id stops replay on another chain; the nonce stops replay on this one, because
an account's nonce is used by exactly one transaction.

Example (client side)::

    statement = binding_statement("finchain-1", did, "FC..", nonce=account_nonce)
    signature = did_auth_key.sign(statement)
"""

from __future__ import annotations

from finchain.codec import encode

BINDING_DOMAIN = b"finchain/did-bind/v1\x00"


def binding_statement(chain_id: str, did: str, account: str, nonce: int) -> bytes:
    """The exact bytes the DID side signs (see the module docstring)."""
    return BINDING_DOMAIN + encode(
        {"chain_id": chain_id, "did": did, "account": account, "nonce": nonce}
    )
