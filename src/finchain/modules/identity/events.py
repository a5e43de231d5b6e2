"""Event types and constructors of the identity module (attributes in a fixed order).

Every new version of a DID emits exactly one of ``did_created``,
``did_updated``, ``did_key_rotated`` or ``did_deactivated`` with the version
number, so an indexer following events alone knows when to re-resolve.
"""

from __future__ import annotations

from finchain.core.events import Event

DID_CREATED = "did_created"
DID_UPDATED = "did_updated"
DID_KEY_ROTATED = "did_key_rotated"
DID_DEACTIVATED = "did_deactivated"
ACCOUNT_BOUND = "did_account_bound"
ACCOUNT_UNBOUND = "did_account_unbound"


def did_created(did: str, controller_account: str) -> Event:
    return Event(DID_CREATED, (("did", did), ("controller_account", controller_account)))


def did_changed(kind: str, did: str, version: int, signer: str) -> Event:
    """Updated, key rotated or deactivated: the DID, its new version, and who sent it."""
    return Event(kind, (("did", did), ("version", str(version)), ("signer", signer)))


def key_rotated(did: str, version: int, signer: str, key_id: str) -> Event:
    return Event(
        DID_KEY_ROTATED,
        (("did", did), ("version", str(version)), ("signer", signer), ("key_id", key_id)),
    )


def account_bound(did: str, account: str) -> Event:
    return Event(ACCOUNT_BOUND, (("did", did), ("account", account)))


def account_unbound(did: str, account: str, reason: str) -> Event:
    return Event(ACCOUNT_UNBOUND, (("did", did), ("account", account), ("reason", reason)))
