"""Anchor an issuer's status list on chain: its digest as the list's next version.

A verifier trusts a status list credential only if its digest
(``anchor_digest``: the suite hash of its JCS form, proof included) is the
one the issuer anchored, and it learns from which block on. After every
change (``finchain.offchain.vc.statuschange``: revoke, suspend, unsuspend),
the issuer anchors the new document as the next version:

Example::

    from finchain.client.sending import sender
    from finchain.offchain.vc import revoke_credential

    new_list = revoke_credential(credential, status_list, issuer_did_key, created=now)
    save(new_list)                                   # the anchored bytes: keep them first
    published = publish_status_list(client, sender(client, issuer_signer), new_list)
    assert published.receipt.ok, published.receipt
    published.version, published.digest

The issuer's account (the signer behind ``send``) must control the issuer DID.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finchain.client import credentials_builders as cb
from finchain.client.client import Client
from finchain.client.errors import ApiError
from finchain.client.sending import Send
from finchain.client.types import SubmitReceipt
from finchain.codec import RawMsg
from finchain.offchain.vc import anchor_digest, read_credential
from finchain.offchain.vc.statuslist import read_status_list

_NOT_FOUND_CODESPACE = "credentials"


@dataclass(frozen=True, slots=True)
class StatusListAnchor:
    """The anchoring of one version of a status list: what was (or is to be) sent."""

    list_id: str
    version: int
    digest: bytes
    message: RawMsg


@dataclass(frozen=True, slots=True)
class PublishedStatusList:
    """A sent anchor and its receipt (``receipt.ok``: the version is on chain)."""

    list_id: str
    version: int
    digest: bytes
    receipt: SubmitReceipt


def latest_version(client: Client, list_id: str) -> int:
    """The latest anchored version of list ``list_id`` (0: never anchored)."""
    try:
        found = client.query("credentials/status_list", {"list_id": list_id}).value
    except ApiError as exc:
        if exc.status == 404 or exc.codespace == _NOT_FOUND_CODESPACE:
            return 0
        raise
    return int(found["latest"]["version"])


def status_list_anchor(client: Client, status_list: dict[str, Any]) -> StatusListAnchor:
    """The ``credentials/anchor_status_list`` message that anchors ``status_list`` (a
    signed list credential) as its list's next version, under the chain's hash."""
    list_id = str(status_list["id"])
    purpose, _ = read_status_list(status_list)
    issuer = read_credential(status_list).issuer
    version = latest_version(client, list_id) + 1
    digest = anchor_digest(status_list, client.status().hash_name)
    message = cb.anchor_status_list(
        issuer, list_id, version=version, digest=digest, purpose=purpose
    )
    return StatusListAnchor(list_id, version, digest, message)


def publish_status_list(
    client: Client, send: Send, status_list: dict[str, Any]
) -> PublishedStatusList:
    """Anchor ``status_list`` as its list's next version through ``send`` (for example
    ``finchain.client.sending.sender(client, issuer_signer)``); the receipt tells whether
    the chain took it."""
    anchor = status_list_anchor(client, status_list)
    receipt = send(anchor.message)
    return PublishedStatusList(anchor.list_id, anchor.version, anchor.digest, receipt)
