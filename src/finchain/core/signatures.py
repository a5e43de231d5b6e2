"""Signatures verified once: the cache the ante checks read and the block pre-pass fills.

A block's signatures are verified in a batch before its transactions run
(``verified_jobs``); each success lands in the ``SignatureCache``, so the ante
decorator that checks an account's signatures finds it there instead of
verifying again. The entry names the tx id (the hash of the complete signed
bytes), the scheme and the key with its signature, so it stands for one pure
fact and can never vouch for anything else; a miss simply verifies again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from finchain.crypto import verify_signature
from finchain.crypto.batch import verify_batch
from finchain.crypto.ed25519 import NAME as ED25519

__all__ = ["SignatureCache", "SignatureJob", "verified_jobs"]

_VERIFIED_CACHE_SIZE = 200_000
Entry = tuple[bytes, str, bytes]  # (tx id, scheme, public key ‖ signature)


class SignatureCache:
    """Signatures already verified, keyed by ``(tx id, scheme, public key ‖ signature)``."""

    def __init__(self, size: int = _VERIFIED_CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[Entry, None] = OrderedDict()

    def __contains__(self, entry: Entry) -> bool:
        return entry in self._entries

    def add(self, entry: Entry) -> None:
        self._entries[entry] = None
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)


@dataclass(frozen=True, slots=True)
class SignatureJob:
    entry: Entry
    scheme: str
    public_key: bytes
    message: bytes
    signature: bytes

    def verify(self) -> bool:
        return verify_signature(self.scheme, self.public_key, self.message, self.signature)


def verified_jobs(jobs: Sequence[SignatureJob]) -> list[SignatureJob]:
    """The jobs whose signature is valid: the Ed25519 ones in one batch, the others singly.

    Batching halves the cost of a block's Ed25519 checks and, under ZIP 215
    (finchain.crypto.batch), gives each job exactly its single verdict, so what
    lands in the signature cache is what single verification would have said.
    """
    batched = [job for job in jobs if job.scheme == ED25519]
    verdicts = verify_batch([(job.public_key, job.message, job.signature) for job in batched])
    valid = [job for job, ok in zip(batched, verdicts, strict=True) if ok]
    return valid + [job for job in jobs if job.scheme != ED25519 and job.verify()]
