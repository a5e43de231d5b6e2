"""Message builders of the aml module (see ``finchain.client.builders`` for the rest).

Each builds the message object and returns ``msg.to_raw()``. ``list_messages``
splits a whole list into the chunks and the seal a regulator signs, computing
the hash the chain will compare (the suite's hash: ``"sm3"`` on a gm chain,
``"sha256"`` on intl).

Example::

    from finchain.client import aml_builders as amlb

    for raw in amlb.list_messages(version=3, entries=names, hash_alg="sm3"):
        regulator.sign(raw)          # one transaction each, in order
    customer.sign(transfer_raw, amlb.travel_record([0], envelope_hash, bank_a, bank_b))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from finchain.codec import RawMsg
from finchain.modules.aml.messages import MsgListAdd, MsgListDiscard, MsgListSeal, MsgTravelRecord
from finchain.modules.aml.types import MAX_ENTRIES_PER_MSG, list_hash


def list_add(version: int, entries: Sequence[str]) -> RawMsg:
    """A chunk of list ``version`` (1..500 entries, increasing, after the previous chunk)."""
    return MsgListAdd(version, tuple(entries)).to_raw()


def list_seal(version: int, count: int, digest: bytes) -> RawMsg:
    """Seal ``version``: it must hold ``count`` entries hashing to ``digest``."""
    return MsgListSeal(version, count, digest).to_raw()


def list_discard(version: int) -> RawMsg:
    return MsgListDiscard(version).to_raw()


def list_messages(
    *, version: int, entries: Iterable[str], hash_alg: str, chunk: int = MAX_ENTRIES_PER_MSG
) -> list[RawMsg]:
    """Every ``aml/list_add`` chunk of the whole list, then its ``aml/list_seal``.

    ``entries`` are sorted (as UTF-8 bytes) and de-duplicated first. An empty list
    is only the seal (an empty version lifts every designation).
    """
    ordered = sorted(set(entries), key=str.encode)
    chunk = max(1, min(chunk, MAX_ENTRIES_PER_MSG))
    msgs = [list_add(version, ordered[i : i + chunk]) for i in range(0, len(ordered), chunk)]
    msgs.append(list_seal(version, len(ordered), list_hash(hash_alg, ordered)))
    return msgs


def travel_record(
    covers: Sequence[int],
    envelope_hash: bytes,
    originator_institution: str,
    beneficiary_institution: str,
) -> RawMsg:
    """The travel-rule record for messages ``covers`` of the same transaction."""
    return MsgTravelRecord(
        tuple(sorted(covers)), envelope_hash, originator_institution, beneficiary_institution
    ).to_raw()
