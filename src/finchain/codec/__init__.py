"""Canonical encoding (DAG-CBOR) and the transaction envelope."""

from finchain.codec.amounts import MAX_AMOUNT, format_amount, parse_amount
from finchain.codec.cbor import decode, decode_trusted, encode, encode_trusted
from finchain.codec.errors import (
    ErrAmount,
    ErrFloat,
    ErrMalformed,
    ErrNonCanonical,
    ErrSchema,
    ErrTooLarge,
)
from finchain.codec.tx import (
    SIGN_DOMAIN,
    RawMsg,
    Tx,
    TxBody,
    TxSignature,
    decode_tx,
    encode_tx,
    sign_tx,
)

__all__ = [
    "MAX_AMOUNT",
    "SIGN_DOMAIN",
    "ErrAmount",
    "ErrFloat",
    "ErrMalformed",
    "ErrNonCanonical",
    "ErrSchema",
    "ErrTooLarge",
    "RawMsg",
    "Tx",
    "TxBody",
    "TxSignature",
    "decode",
    "decode_trusted",
    "decode_tx",
    "encode",
    "encode_trusted",
    "encode_tx",
    "format_amount",
    "parse_amount",
    "sign_tx",
]
