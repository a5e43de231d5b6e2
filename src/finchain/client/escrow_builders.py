"""Message builders of the escrow module (conditional payments).

Not the identity escrow of ``finchain.client.escrow`` (sealed identities for
regulators): this is money locked until conditions hold.

Each builds the message object and returns ``msg.to_raw()``: the wire form comes
from the message's declaration, never spelled here. Builders do not check their
arguments; the chain refuses a malformed message with ``tx:6`` and broken terms
with ``escrow:*``.

Example (a hashed time-locked payment, released by revealing the secret)::

    from finchain.client import escrow_builders as esb

    secret = os.urandom(32)
    payer.sign(esb.create(payee_id, "CNY", 10_000,
                          hash_lock=esb.hash_lock("sha256", secret), expiry_height=500))
    payee.sign(esb.release(escrow_id, preimage=secret))
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.codec import RawMsg
from finchain.crypto import hash_bytes
from finchain.modules.escrow.messages import (
    MsgApprove,
    MsgCancel,
    MsgCreate,
    MsgRefund,
    MsgRelease,
)
from finchain.modules.escrow.types import Conditions, EvidenceCondition, HashLock


def hash_lock(hash_alg: str, preimage: bytes) -> HashLock:
    """The lock that ``preimage`` opens, under ``hash_alg`` (``sha256`` or ``sm3``)."""
    return HashLock(hash_alg, hash_bytes(hash_alg, preimage))


def evidence(
    hash_alg: str, digest: bytes, *, submitter: str = "", cosigners: Sequence[str] = ()
) -> EvidenceCondition:
    """The condition "a complete evidence record of ``digest`` exists".

    Parameters:
        submitter: the account that must have recorded it ("" : anyone).
        cosigners: accounts that must be among the record's co-signers.
    """
    return EvidenceCondition(hash_alg, digest, submitter, tuple(sorted(cosigners)))


def create(
    payee: str,
    asset: str,
    amount: int,
    *,
    hash_lock: HashLock | None = None,
    not_before_height: int = 0,
    not_before_time: int = 0,
    approvers: Sequence[str] = (),
    threshold: int = 0,
    evidence: EvidenceCondition | None = None,
    expiry_height: int = 0,
    expiry_time: int = 0,
    reference: str = "",
) -> RawMsg:
    """Lock ``amount`` of the signer's ``asset`` for ``payee``; every condition given must hold
    for the release.

    Parameters:
        hash_lock: ``hash_lock(alg, secret)``: the releaser reveals ``secret``.
        not_before_height, not_before_time: release at or after them (time in ns).
        approvers, threshold: ``threshold`` of ``approvers`` must each send ``approve``.
        evidence: ``evidence(alg, digest, …)``: a complete evidence record must exist.
        expiry_height, expiry_time: the deadline (at least one; time in ns); from then on
            the escrow goes back to the signer.
        reference: the caller's reference (a contract or trade number), at most 64 bytes.
    """
    conditions = Conditions(
        hash_lock,
        not_before_height,
        not_before_time,
        tuple(sorted(approvers)),
        threshold,
        evidence,
    )
    return MsgCreate(
        payee, asset, amount, conditions, expiry_height, expiry_time, reference
    ).to_raw()


def approve(escrow_id: int) -> RawMsg:
    """Approve the release, as one of the escrow's named approvers."""
    return MsgApprove(escrow_id).to_raw()


def release(escrow_id: int, *, preimage: bytes = b"") -> RawMsg:
    """Pay the escrow to its payee; ``preimage`` opens its hash lock (if it has one)."""
    return MsgRelease(escrow_id, preimage).to_raw()


def refund(escrow_id: int) -> RawMsg:
    """Return an expired escrow to its payer."""
    return MsgRefund(escrow_id).to_raw()


def cancel(escrow_id: int) -> RawMsg:
    """Consent to cancel, as payer or payee; the second consent cancels."""
    return MsgCancel(escrow_id).to_raw()
