"""Event types and constructors of the aml module (attributes in a fixed order).

``sanctions_list_sealed`` is the moment a list takes effect: it names the new
active version and the one it replaced (0: none).
"""

from __future__ import annotations

from finchain.core.events import Event
from finchain.modules.aml.types import SanctionsList, TravelRecord

LIST_ENTRIES_ADDED = "sanctions_list_entries_added"
LIST_SEALED = "sanctions_list_sealed"
LIST_DISCARDED = "sanctions_list_discarded"
TRAVEL_RECORDED = "travel_recorded"


def entries_added(found: SanctionsList, added: int) -> Event:
    return Event(
        LIST_ENTRIES_ADDED,
        (
            ("version", str(found.version)),
            ("publisher", found.publisher),
            ("added", str(added)),
            ("count", str(found.count)),
        ),
    )


def sealed(found: SanctionsList, previous: int) -> Event:
    return Event(
        LIST_SEALED,
        (
            ("version", str(found.version)),
            ("publisher", found.publisher),
            ("hash_alg", found.hash_alg),
            ("hash", found.hash.hex()),
            ("count", str(found.count)),
            ("previous", str(previous)),
        ),
    )


def discarded(found: SanctionsList, by: str) -> Event:
    return Event(
        LIST_DISCARDED,
        (("version", str(found.version)), ("publisher", found.publisher), ("by", by)),
    )


def travel_recorded(record: TravelRecord) -> Event:
    return Event(
        TRAVEL_RECORDED,
        (
            ("hash_alg", record.hash_alg),
            ("envelope_hash", record.envelope_hash.hex()),
            ("originator_institution", record.originator_institution),
            ("beneficiary_institution", record.beneficiary_institution),
            ("covers", ",".join(str(i) for i in record.covers)),
            ("account", record.account),
        ),
    )
