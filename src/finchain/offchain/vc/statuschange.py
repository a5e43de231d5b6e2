"""Revoke, suspend and unsuspend a credential: flip its bit in the issuer's status list.

``revoke_credential``, ``suspend_credential`` and ``unsuspend_credential`` are
:class:`StatusChange` values: call one with the credential, the issuer's
current list credential and the issuer's DID key.

A change is three steps: find the credential's entry for the purpose in the
list, set or clear that bit, and re-sign the list credential (its id, issuer,
purpose and validity window kept). The result is a new signed list whose
digest the issuer then anchors on chain as the list's next version
(``finchain.client.status_lists.publish_status_list``), so verifiers see the
change from the anchoring block on. Keep the new document before anchoring
it: the anchored digest is of exactly those bytes.

Example::

    new_list = revoke_credential(credential, status_list, bank_key, created=now)
    Path("revocation.json").write_text(json.dumps(new_list))
    publish_status_list(client, send, new_list)          # finchain.client.status_lists

Errors: :class:`StatusChangeError` when the credential and the list do not
fit together (nothing changes); ``ErrMalformedCredential`` /
``ErrMalformedStatusList`` / ``ErrStatusIndexRange`` for malformed documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from finchain.crypto import PrivateKey
from finchain.offchain.vc.credentials import read_credential
from finchain.offchain.vc.statuslist import (
    REVOCATION,
    SUSPENSION,
    build_status_list_credential,
    issue_status_list_credential,
    read_status_list,
)


class StatusChangeError(ValueError):
    """The credential has no entry of that purpose in that list, or the list has another
    purpose: the inputs do not fit together, and nothing was changed."""


def credential_status_index(
    credential: dict[str, Any], status_list: dict[str, Any], purpose: str
) -> int:
    """The bit of ``credential`` in ``status_list`` (a list credential) for ``purpose``.

    Raises :class:`StatusChangeError` if the credential names no such entry in this
    list, or if the list is not a ``purpose`` list.
    """
    info = read_credential(credential)
    list_id = status_list.get("id")
    entries = [e for e in info.status if e.purpose == purpose and e.list_url == list_id]
    if not entries:
        raise StatusChangeError(
            f"the credential has no {purpose} entry in status list {str(list_id)[:120]}"
        )
    if read_status_list(status_list)[0] != purpose:
        raise StatusChangeError(f"status list {str(list_id)[:120]} is not a {purpose} list")
    return entries[0].index


def with_status(status_list: dict[str, Any], index: int, value: bool) -> dict[str, Any]:
    """The unsigned list credential with bit ``index`` set (``value``) or cleared; its id,
    issuer, purpose and validity window kept. Sign it with :func:`resign_status_list`."""
    purpose, bits = read_status_list(status_list)
    if value:
        bits.set(index)
    else:
        bits.clear(index)
    info = read_credential(status_list)
    if info.valid_from is None:
        raise StatusChangeError("the status list credential has no validFrom")
    return build_status_list_credential(
        list_id=str(status_list["id"]),
        issuer=info.issuer,
        purpose=purpose,
        status=bits,
        valid_from=info.valid_from,
        valid_until=info.valid_until,
    )


def resign_status_list(
    unsigned: dict[str, Any], key: PrivateKey, *, key_id: str = "k1", created: datetime
) -> dict[str, Any]:
    """Sign a list credential as its issuer's DID key ``<issuer>#<key_id>``."""
    method = f"{unsigned['issuer']}#{key_id}"
    return issue_status_list_credential(unsigned, key, method, created=created)


def set_status_bit(
    status_list: dict[str, Any],
    index: int,
    value: bool,
    key: PrivateKey,
    *,
    key_id: str = "k1",
    created: datetime,
) -> dict[str, Any]:
    """``status_list`` with bit ``index`` set or cleared, re-signed by the issuer's key."""
    return resign_status_list(
        with_status(status_list, index, value), key, key_id=key_id, created=created
    )


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One kind of change: set (``value``) or clear the credential's ``purpose`` bit.

    Calling it changes a credential's status in its issuer's list:
    ``revoke_credential(credential, status_list, key, created=now)`` is the list with
    the credential's revocation bit set, re-signed as ``<issuer>#<key_id>``.
    """

    purpose: str
    value: bool

    def __call__(
        self,
        credential: dict[str, Any],
        status_list: dict[str, Any],
        key: PrivateKey,
        *,
        key_id: str = "k1",
        created: datetime,
    ) -> dict[str, Any]:
        index = credential_status_index(credential, status_list, self.purpose)
        return set_status_bit(status_list, index, self.value, key, key_id=key_id, created=created)


revoke_credential = StatusChange(REVOCATION, True)  # for good: verifiers answer "revoked"
suspend_credential = StatusChange(SUSPENSION, True)  # until unsuspended: "suspended"
unsuspend_credential = StatusChange(SUSPENSION, False)  # lifts a suspension
