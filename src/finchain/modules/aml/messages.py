"""Messages of the aml module.

Sanctions lists: a registered regulator builds a list version with one or more
``aml/list_add`` (entries in increasing order, continuing where the last chunk
stopped), then ``aml/list_seal`` with the hash and count it computed itself;
the chain compares them with what it received and makes the list active.
``aml/list_discard`` drops a draft. Travel rule: ``aml/travel_record``, carried
in the same transaction as the transfers it covers.
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.fields import DIGEST, Text, wire
from finchain.core.msgs import Msg
from finchain.formats.did import is_did
from finchain.modules.aml.types import (
    COUNT,
    COVERS,
    ENTRIES,
    MAX_ENTRY_BYTES,
    VERSION,
)

INSTITUTION = Text(max_len=MAX_ENTRY_BYTES, check=is_did, what="an institution's DID")


@dataclass(frozen=True, slots=True)
class MsgListAdd(Msg):
    """Append ``entries`` (account ids or DIDs, strictly increasing, each greater than the
    draft's last entry) to list ``version``: the next version, opened by this message if
    no draft is open, else the open draft of the same publisher."""

    TYPE = "aml/list_add"
    version: int = wire(VERSION)
    entries: tuple[str, ...] = wire(ENTRIES)


@dataclass(frozen=True, slots=True)
class MsgListSeal(Msg):
    """Seal draft ``version``: ``count`` entries hashing to ``hash`` (``types.list_hash``
    with the chain suite's hash). On a match the list becomes the active one."""

    TYPE = "aml/list_seal"
    version: int = wire(VERSION)
    count: int = wire(COUNT)
    hash: bytes = wire(DIGEST)


@dataclass(frozen=True, slots=True)
class MsgListDiscard(Msg):
    """Drop draft ``version`` (any regulator: a draft left by a removed regulator must not
    block the next version). Its number is not reused."""

    TYPE = "aml/list_discard"
    version: int = wire(VERSION)


@dataclass(frozen=True, slots=True)
class MsgTravelRecord(Msg):
    """FATF R.16: the transfers at message indexes ``covers`` of this transaction travel with
    the envelope whose suite hash is ``envelope_hash``, sent by ``originator_institution``
    to ``beneficiary_institution`` (both DIDs)."""

    TYPE = "aml/travel_record"
    covers: tuple[int, ...] = wire(COVERS)
    envelope_hash: bytes = wire(DIGEST)
    originator_institution: str = wire(INSTITUTION)
    beneficiary_institution: str = wire(INSTITUTION)


ALL_MSGS: tuple[type[Msg], ...] = (MsgListAdd, MsgListSeal, MsgListDiscard, MsgTravelRecord)
