"""Event types and constructors of the data-rights module (attributes in a fixed order).

``data_accessed`` is the on-chain trace of every use: a subscriber auditing an
asset listens for it (the same facts are queryable with ``datarights/access_log``).
"""

from __future__ import annotations

from finchain.core.events import Event

ASSET_REGISTERED = "data_asset_registered"
VERSION_ADDED = "data_version_added"
ACCESS_GRANTED = "data_access_granted"
ACCESS_REVOKED = "data_access_revoked"
ACCESSED = "data_accessed"
PAYLOAD_FORGOTTEN = "data_payload_forgotten"


def registered(asset: int, owner: str, digest: bytes) -> Event:
    return Event(
        ASSET_REGISTERED, (("asset", str(asset)), ("owner", owner), ("hash", digest.hex()))
    )


def version_added(asset: int, version: int, digest: bytes, wraps: int) -> Event:
    return Event(
        VERSION_ADDED,
        (
            ("asset", str(asset)),
            ("version", str(version)),
            ("hash", digest.hex()),
            ("wraps", str(wraps)),
        ),
    )


def granted(asset: int, grantee: str, grant: int, not_before: int, not_after: int) -> Event:
    return Event(
        ACCESS_GRANTED,
        (
            ("asset", str(asset)),
            ("grantee", grantee),
            ("grant", str(grant)),
            ("not_before", str(not_before)),
            ("not_after", str(not_after)),
        ),
    )


def revoked(asset: int, grantee: str, grant: int) -> Event:
    return Event(
        ACCESS_REVOKED, (("asset", str(asset)), ("grantee", grantee), ("grant", str(grant)))
    )


def accessed(asset: int, seq: int, grantee: str, version: int, purpose: str) -> Event:
    return Event(
        ACCESSED,
        (
            ("asset", str(asset)),
            ("seq", str(seq)),
            ("grantee", grantee),
            ("version", str(version)),
            ("purpose", purpose),
        ),
    )


def forgotten(asset: int, version: int) -> Event:
    return Event(PAYLOAD_FORGOTTEN, (("asset", str(asset)), ("version", str(version))))
