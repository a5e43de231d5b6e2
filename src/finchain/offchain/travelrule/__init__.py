"""FATF R.16 travel-rule envelopes: build, seal to the beneficiary institution and the
regulators, hash for ``aml/travel_record``, open and check (``envelope.py``)."""

from finchain.offchain.travelrule.envelope import (
    Envelope,
    Party,
    Recipient,
    check_record,
    envelope_hash,
    open_envelope,
    recipients_of,
    seal_envelope,
)
from finchain.offchain.travelrule.errors import (
    ErrEnvelopeMismatch,
    ErrInvalidEnvelope,
    ErrNotARecipient,
)

__all__ = [
    "Envelope",
    "ErrEnvelopeMismatch",
    "ErrInvalidEnvelope",
    "ErrNotARecipient",
    "Party",
    "Recipient",
    "check_record",
    "envelope_hash",
    "open_envelope",
    "recipients_of",
    "seal_envelope",
]
