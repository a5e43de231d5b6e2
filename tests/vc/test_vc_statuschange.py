"""Status changes as library calls: revoke, suspend, unsuspend a credential in its issuer's list.

``finchain vc revoke|suspend|unsuspend`` are these functions plus a file write and an
anchoring transaction; here the new list is anchored in an in-memory trust source and
the verifier's verdict follows each change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from finchain.offchain.vc import (
    StatusChangeError,
    credential_status_index,
    read_credential,
    revoke_credential,
    set_status_bit,
    suspend_credential,
    unsuspend_credential,
    verify_credential,
)
from finchain.offchain.vc.statuslist import read_status_list
from finchain.offchain.vc.verifier import REVOKED, SUSPENDED
from tests.vc.world import NOW, REVOCATION_URL, SUSPENSION_URL, World

CHANGED = datetime(2025, 3, 1, tzinfo=UTC)


def anchor(world: World, url: str, status_list: dict[str, Any]) -> None:
    world.trust.add_status_list(url, status_list, hash_name=world.hash_name, height=9)


@pytest.mark.parametrize("scheme", ["ed25519", "sm2"])
def test_suspend_unsuspend_and_revoke_move_the_verdict(scheme: str) -> None:
    world = World(scheme=scheme, hash_name="sm3" if scheme == "sm2" else "sha256")
    credential = world.credential()
    assert verify_credential(credential, world.trust, now=NOW).verified
    suspensions = world.publish(SUSPENSION_URL)

    suspended = suspend_credential(credential, suspensions, world.bank_key, created=CHANGED)
    anchor(world, SUSPENSION_URL, suspended)
    assert verify_credential(credential, world.trust, now=NOW).reasons == (SUSPENDED,)

    lifted = unsuspend_credential(credential, suspended, world.bank_key, created=CHANGED)
    anchor(world, SUSPENSION_URL, lifted)
    assert verify_credential(credential, world.trust, now=NOW).verified

    revoked = revoke_credential(
        credential, world.publish(REVOCATION_URL), world.bank_key, created=CHANGED
    )
    anchor(world, REVOCATION_URL, revoked)
    assert verify_credential(credential, world.trust, now=NOW).reasons == (REVOKED,)


def test_the_new_list_keeps_id_issuer_purpose_and_window_and_only_that_bit_moves() -> None:
    world = World()
    credential = world.credential()
    before = world.publish(REVOCATION_URL)
    after = revoke_credential(credential, before, world.bank_key, key_id="k1", created=CHANGED)
    for name in ("id", "issuer", "validFrom"):
        assert after[name] == before[name]
    assert after["proof"]["verificationMethod"] == f"{world.bank_did}#k1"
    assert after["proof"]["created"] == "2025-03-01T00:00:00Z"
    index = credential_status_index(credential, before, "revocation")
    purpose, bits = read_status_list(after)
    assert purpose == "revocation" and bits.get(index)
    by_index = set_status_bit(before, index, True, world.bank_key, created=CHANGED)
    assert by_index == after  # revoke_credential is set_status_bit at the credential's index
    _, old = read_status_list(before)
    old.set(index)
    assert old.to_bytes() == bits.to_bytes()
    assert read_credential(after).valid_from == read_credential(before).valid_from


def test_inputs_that_do_not_fit_are_refused_before_anything_is_signed() -> None:
    world = World()
    credential = world.credential()
    revocations = world.publish(REVOCATION_URL)
    suspensions = world.publish(SUSPENSION_URL)
    with pytest.raises(StatusChangeError, match="no suspension entry in status list"):
        suspend_credential(credential, revocations, world.bank_key, created=CHANGED)
    with pytest.raises(StatusChangeError, match="no revocation entry"):
        revoke_credential(credential, suspensions, world.bank_key, created=CHANGED)
    # an entry pointing at the right list, but the list says it is for another purpose
    odd = world.credential(
        status=[{"type": "BitstringStatusListEntry", "id": f"{SUSPENSION_URL}#5",
                 "statusPurpose": "revocation", "statusListIndex": "5",
                 "statusListCredential": SUSPENSION_URL}],
    )  # fmt: skip
    with pytest.raises(StatusChangeError, match="is not a revocation list"):
        revoke_credential(odd, suspensions, world.bank_key, created=CHANGED)
    assert issubclass(StatusChangeError, ValueError)
