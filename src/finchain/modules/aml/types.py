"""Sanctions lists and travel-rule records: the records the chain keeps, declared once.

Other modules may import this file (the import contract allows ``types``).

**The list hash.** A list version is built from several messages, so its hash
is a chain over the entries in increasing order, which the chain extends by
one step per entry and anyone can recompute from the published list::

    h_0 = H("finchain/aml/sanctions/v1" 00)
    h_i = H(h_{i-1} || len(e_i) (1 byte) || e_i (UTF-8))      entries e_1 < e_2 < ... < e_n

``H`` is the chain suite's hash (SM3 on ``gm``, SHA-256 on ``intl``, the choice
credentials and the app hash make); entries compare as UTF-8 bytes. Adding in
order makes the encoding canonical (one list, one hash) and refuses duplicates
for free. :func:`list_hash` computes it off chain.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, replace

from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import (
    DIGEST,
    HEIGHT,
    TIME_NS,
    Blob,
    Checked,
    Integer,
    ListOf,
    OneOf,
    Record,
    Text,
    wire,
)
from finchain.crypto import HASH_NAMES, hasher
from finchain.formats.did import is_did
from finchain.modules.accounts.types import ACCOUNT, is_account_id

MAX_ENTRIES_PER_MSG = 500
"""Entries one ``aml/list_add`` carries: 500 DIDs are ~25 KB, well inside a transaction."""
MAX_LIST_SIZE = 1_000_000
"""Entries one list version may hold (the consolidated UN and national lists are ~10^4)."""
MAX_VERSION = 2**63 - 1
MAX_ENTRY_BYTES = 80
MAX_COVERS = 64
"""Message indexes one travel record may cover (a transaction holds at most this many)."""

LIST_DOMAIN = b"finchain/aml/sanctions/v1\x00"

# List states. The active list is the one ``ACTIVE`` names; a sealed list stays
# queryable after a later version replaces it.
DRAFT = "draft"
SEALED = "sealed"
DISCARDED = "discarded"
STATES = (DRAFT, SEALED, DISCARDED)


def is_entry(text: str) -> bool:
    """A list entry: a finchain account id or a finchain DID."""
    return is_account_id(text) or is_did(text)


ENTRY = Text(max_len=MAX_ENTRY_BYTES, check=is_entry, what="an account id or a DID")


def increasing(entries: tuple[str, ...], name: str) -> tuple[str, ...]:
    """``entries`` if strictly increasing as UTF-8 bytes (a sorted set), else ``tx:6``."""
    for before, after in itertools.pairwise(entries):
        if before.encode() >= after.encode():
            raise ErrInvalidMsg(
                f"field {name!r}: entries must be strictly increasing (as UTF-8 bytes): "
                f"{after!r} follows {before!r}; sort the list and drop duplicates"
            )
    return entries


ENTRIES = Checked(ListOf(ENTRY, max_items=MAX_ENTRIES_PER_MSG, min_items=1), increasing)
"""A chunk of a list: 1 to 500 entries in strictly increasing order."""
VERSION = Integer(low=1, high=MAX_VERSION)
COUNT = Integer(low=0, high=MAX_LIST_SIZE)
HASH_ALG = OneOf(*HASH_NAMES)
MSG_INDEX = Integer(low=0, high=MAX_COVERS - 1)
COVERS = ListOf(MSG_INDEX, max_items=MAX_COVERS, min_items=1, unique=True, sort=True)
"""The transaction's message indexes a travel record covers: a set, held sorted."""
TX_ID = Blob(max_len=32)


def chain_start(hash_alg: str) -> bytes:
    """``h_0``: the hash of an empty list."""
    return hasher(hash_alg)(LIST_DOMAIN)


def chain_step(hash_alg: str, previous: bytes, entry: str) -> bytes:
    """``h_i`` from ``h_{i-1}`` and the next entry (at most 80 bytes, so one length byte)."""
    raw = entry.encode()
    return hasher(hash_alg)(previous + bytes([len(raw)]) + raw)


def list_hash(hash_alg: str, entries: Iterable[str]) -> bytes:
    """The hash of a whole list, as the chain computes it when the list is sealed.

    Sorts and de-duplicates ``entries`` first, so it is the hash of the *set*.

    Example::

        digest = list_hash("sm3", ["FC000000000017", "did:finchain:chain-1:000000000042"])
    """
    digest = chain_start(hash_alg)
    for entry in sorted(set(entries), key=str.encode):
        digest = chain_step(hash_alg, digest, entry)
    return digest


@dataclass(frozen=True, slots=True)
class SanctionsList(Record):
    """One version of the sanctions list, from its first entry to its seal.

    ``hash`` is the running chain hash ``h_count`` (final once sealed) and
    ``last`` the greatest entry so far (the next one must be greater).
    """

    WHAT = "sanctions list"
    version: int = wire(VERSION)
    publisher: str = wire(ACCOUNT)
    state: str = wire(OneOf(*STATES))
    hash_alg: str = wire(HASH_ALG)
    hash: bytes = wire(DIGEST)
    count: int = wire(COUNT)
    last: str = wire(Text(max_len=MAX_ENTRY_BYTES, allow_empty=True))
    opened_height: int = wire(HEIGHT)
    closed_height: int = wire(HEIGHT)
    closed_time_ns: int = wire(TIME_NS)

    def extended(self, entries: tuple[str, ...]) -> SanctionsList:
        """This draft with ``entries`` (already checked to follow ``last``) appended."""
        digest = self.hash
        for entry in entries:
            digest = chain_step(self.hash_alg, digest, entry)
        return replace(self, hash=digest, count=self.count + len(entries), last=entries[-1])

    def closed(self, state: str, height: int, time_ns: int) -> SanctionsList:
        return replace(self, state=state, closed_height=height, closed_time_ns=time_ns)


@dataclass(frozen=True, slots=True)
class TravelRecord(Record):
    """The on-chain trace of a travel-rule envelope: its hash and the two institutions.

    The envelope itself (names, accounts, addresses or ids of originator and
    beneficiary) stays off chain, encrypted to the beneficiary institution and
    the regulators (``finchain.offchain.travelrule``). ``covers`` are the
    indexes, in transaction ``tx_id``, of the messages whose transfers it
    accompanies.
    """

    WHAT = "travel-rule record"
    hash_alg: str = wire(HASH_ALG)
    envelope_hash: bytes = wire(DIGEST)
    originator_institution: str = wire(Text(max_len=MAX_ENTRY_BYTES, check=is_did, what="a DID"))
    beneficiary_institution: str = wire(Text(max_len=MAX_ENTRY_BYTES, check=is_did, what="a DID"))
    covers: tuple[int, ...] = wire(COVERS)
    account: str = wire(ACCOUNT)
    tx_id: bytes = wire(TX_ID)
    height: int = wire(HEIGHT)
    time_ns: int = wire(TIME_NS)
