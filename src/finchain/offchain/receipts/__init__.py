"""Evidence receipts: one JSON document proving, offline, that a document was recorded.

Format: ``docs/receipts.md`` (version 1). Assemble one from a node's material
and the document's anchor proof (:func:`assemble`); write it with
:func:`dumps` (its canonical bytes, which verification requires); check it
with ``finchain.client.receipt_verify.verify_receipt`` or ``finchain evidence
verify``. The package reads and checks through ``finchain.light`` (standard
library only), and signatures through PyNaCl and gmssl-pyx (``primitives``),
so the verifier depends on no node, store, codec or database (``fetch``, the
one online step, is not imported here).

Example::

    receipt = assemble(client_material, anchor_proof)
    Path("receipt.json").write_bytes(dumps(receipt))
"""

from finchain.light.validators import Validator
from finchain.offchain.receipts.assemble import assemble
from finchain.offchain.receipts.errors import (
    ErrBadSignature,
    ErrBatchPath,
    ErrBelowQuorum,
    ErrHeaderAltered,
    ErrInclusion,
    ErrMalformedReceipt,
    ErrMalformedTrust,
    ErrMaterial,
    ErrNotRecorded,
    ErrTxAltered,
    ErrUntrustedValidators,
    ErrWrongChain,
    ErrWrongFile,
)
from finchain.offchain.receipts.format import (
    VERSION,
    Receipt,
    TrustedSet,
    dumps,
    loads,
    parse_receipt,
    parse_trust,
    set_hash,
    valset_document,
)

__all__ = [
    "VERSION",
    "ErrBadSignature",
    "ErrBatchPath",
    "ErrBelowQuorum",
    "ErrHeaderAltered",
    "ErrInclusion",
    "ErrMalformedReceipt",
    "ErrMalformedTrust",
    "ErrMaterial",
    "ErrNotRecorded",
    "ErrTxAltered",
    "ErrUntrustedValidators",
    "ErrWrongChain",
    "ErrWrongFile",
    "Receipt",
    "TrustedSet",
    "Validator",
    "assemble",
    "dumps",
    "loads",
    "parse_receipt",
    "parse_trust",
    "set_hash",
    "valset_document",
]
