"""Message builders of the evidence module (see ``finchain.client.builders`` for the rest).

Each builds the message object and returns ``msg.to_raw()``: the wire form comes
from the message's declaration, never spelled here. Builders do not check their
arguments; the chain refuses a malformed message with ``tx:6``.

Example::

    from finchain.client import evidence_builders as eb

    raw = alice.sign(eb.record("sha256", digest, kind="contract", cosigners=[bob_id]))
    ...
    bob.sign(eb.cosign("sha256", digest))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from finchain.codec import RawMsg
from finchain.modules.evidence.messages import MsgCosign, MsgRecord
from finchain.modules.evidence.types import BATCH_ROOT, tree_name


def record(
    hash_alg: str,
    digest: bytes,
    *,
    kind: str,
    metadata: Mapping[str, str] | None = None,
    cosigners: Sequence[str] = (),
) -> RawMsg:
    """Record ``digest`` (a 32-byte ``hash_alg`` hash of a document), signed by the sender.

    Parameters:
        hash_alg: ``sm3`` or ``sha256``, whichever hashed the document.
        digest: the document's hash; the document itself never goes on chain.
        kind: a short label such as ``contract`` or ``invoice``.
        metadata: up to 16 short string pairs (1 KiB encoded), e.g. a reference number.
        cosigners: accounts that must each sign ``cosign`` before the record is complete.
    """
    meta = tuple(sorted((metadata or {}).items()))
    return MsgRecord(hash_alg, digest, kind, meta, tuple(sorted(cosigners))).to_raw()


def record_batch_root(hash_alg: str, root: bytes, count: int) -> RawMsg:
    """Anchor the RFC 6962 root of ``count`` document hashes (``offchain.anchoring.batch``)."""
    return record(
        hash_alg,
        root,
        kind=BATCH_ROOT,
        metadata={"count": str(count), "tree": tree_name(hash_alg)},
    )


def cosign(hash_alg: str, digest: bytes) -> RawMsg:
    """Co-sign a recorded hash as one of the accounts its record names."""
    return MsgCosign(hash_alg, digest).to_raw()
