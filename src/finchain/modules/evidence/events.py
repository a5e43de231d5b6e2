"""Event types and constructors of the evidence module (attributes in a fixed order).

``evidence_completed`` is emitted exactly once per record, in the transaction
that made it complete: the recording one when it names no co-signer, else the
last co-signature. A subscriber waiting for multi-party evidence listens for it.
"""

from __future__ import annotations

from finchain.core.events import Event

EVIDENCE_RECORDED = "evidence_recorded"
EVIDENCE_COSIGNED = "evidence_cosigned"
EVIDENCE_COMPLETED = "evidence_completed"


def recorded(hash_alg: str, digest: bytes, kind: str, submitter: str, cosigners: int) -> Event:
    return Event(
        EVIDENCE_RECORDED,
        (
            ("hash_alg", hash_alg),
            ("hash", digest.hex()),
            ("kind", kind),
            ("submitter", submitter),
            ("cosigners", str(cosigners)),
        ),
    )


def cosigned(hash_alg: str, digest: bytes, cosigner: str, outstanding: int) -> Event:
    return Event(
        EVIDENCE_COSIGNED,
        (
            ("hash_alg", hash_alg),
            ("hash", digest.hex()),
            ("cosigner", cosigner),
            ("outstanding", str(outstanding)),
        ),
    )


def completed(hash_alg: str, digest: bytes, submitter: str) -> Event:
    return Event(
        EVIDENCE_COMPLETED,
        (("hash_alg", hash_alg), ("hash", digest.hex()), ("submitter", submitter)),
    )
