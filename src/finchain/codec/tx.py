"""The transaction envelope.

Wire form (canonical DAG-CBOR)::

    {"body": {"chain_id": str, "account": str, "nonce": int,
              "msgs": [{"type": str, "value": {...}}, ...],
              "memo": str, "expiry": int},
     "sigs": [{"key": str, "sig": bytes}, ...]}

Every field is always present (``memo`` may be empty, ``expiry`` 0 means none),
so each meaning has exactly one encoding. Signers sign ``SIGN_DOMAIN`` followed
by the canonical body bytes: the chain id inside the body stops replay on
another chain, and the domain prefix stops a transaction signature from being
mistaken for any other object the same key signs (credentials, DID updates).
The transaction id is the suite hash of the complete signed bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from finchain.codec.cbor import decode, encode, encode_trusted
from finchain.codec.errors import ErrFloat, ErrSchema
from finchain.errors import FinchainError

SIGN_DOMAIN = b"finchain/tx/v1\x00"
BODY_FIELDS = frozenset({"chain_id", "account", "nonce", "msgs", "memo", "expiry"})
MAX_UINT64 = 2**64 - 1


@dataclass(frozen=True, slots=True)
class RawMsg:
    """A message before its module parses it: a type URL and its field map."""

    type: str
    value: dict[str, Any]

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.type, "value": self.value}


@dataclass(frozen=True, slots=True)
class TxSignature:
    key_id: str
    signature: bytes


@dataclass(frozen=True, slots=True)
class TxBody:
    chain_id: str
    account: str
    nonce: int
    msgs: tuple[RawMsg, ...]
    memo: str = ""
    expiry: int = 0

    def to_obj(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "account": self.account,
            "nonce": self.nonce,
            "msgs": [m.to_obj() for m in self.msgs],
            "memo": self.memo,
            "expiry": self.expiry,
        }

    def encode(self) -> bytes:
        return encode(self.to_obj())

    def sign_bytes(self) -> bytes:
        return SIGN_DOMAIN + self.encode()


@dataclass(frozen=True, slots=True)
class Tx:
    """A decoded signed transaction together with the exact bytes it came from."""

    body: TxBody
    signatures: tuple[TxSignature, ...]
    raw: bytes
    body_bytes: bytes

    def sign_bytes(self) -> bytes:
        return SIGN_DOMAIN + self.body_bytes


def encode_tx(body: TxBody, signatures: Sequence[TxSignature]) -> bytes:
    return encode(
        {
            "body": body.to_obj(),
            "sigs": [{"key": s.key_id, "sig": s.signature} for s in signatures],
        }
    )


def sign_tx(body: TxBody, signers: Sequence[tuple[str, Callable[[bytes], bytes]]]) -> bytes:
    """Sign ``body`` with each ``(key_id, sign)`` pair and return the wire bytes."""
    message = body.sign_bytes()
    return encode_tx(body, [TxSignature(key_id, sign(message)) for key_id, sign in signers])


def decode_tx(data: bytes, *, max_size: int) -> Tx:
    """Parse wire bytes into a Tx, enforcing the canonical form and the envelope schema."""
    obj = decode(data, max_size=max_size)  # refuses floats anywhere (ErrFloat)
    _expect_keys(obj, {"body", "sigs"}, "transaction")
    body_obj = obj["body"]
    _expect_keys(body_obj, BODY_FIELDS, "transaction body")
    chain_id = _expect(body_obj["chain_id"], str, "body.chain_id")
    account = _expect(body_obj["account"], str, "body.account")
    nonce = _uint(body_obj["nonce"], "body.nonce")
    memo = _expect(body_obj["memo"], str, "body.memo")
    expiry = _uint(body_obj["expiry"], "body.expiry")
    msgs_obj = _expect(body_obj["msgs"], list, "body.msgs")
    msgs = []
    for i, m in enumerate(msgs_obj):
        _expect_keys(m, {"type", "value"}, f"body.msgs[{i}]")
        value = _expect(m["value"], dict, f"body.msgs[{i}].value")
        msgs.append(RawMsg(_expect(m["type"], str, f"body.msgs[{i}].type"), value))
    sigs = []
    for i, s in enumerate(_expect(obj["sigs"], list, "sigs")):
        _expect_keys(s, {"key", "sig"}, f"sigs[{i}]")
        sigs.append(
            TxSignature(
                _expect(s["key"], str, f"sigs[{i}].key"), _expect(s["sig"], bytes, f"sigs[{i}].sig")
            )
        )
    body = TxBody(chain_id, account, nonce, tuple(msgs), memo, expiry)
    return Tx(body, tuple(sigs), data, _body_slice(data, obj["sigs"]))


_BODY_HEAD = b"\xa2\x64body"
_SIGS_KEY = b"\x64sigs"


def _body_slice(data: bytes, sigs_obj: list[Any]) -> bytes:
    """The body's bytes, cut out of the envelope instead of encoded again.

    ``data`` is canonical (checked by decode), and in canonical order "body"
    precedes "sigs", so the envelope is exactly
    ``a2 64"body" <body> 64"sigs" <sigs>``.
    """
    tail = _SIGS_KEY + encode_trusted(sigs_obj)  # its types were checked field by field
    if not (data.startswith(_BODY_HEAD) and data.endswith(tail)):
        raise ErrSchema("transaction envelope is not laid out as {body, sigs}")
    return data[len(_BODY_HEAD) : len(data) - len(tail)]


def _expect_keys(obj: Any, keys: frozenset[str] | set[str], what: str) -> None:
    if not isinstance(obj, dict):
        raise ErrSchema(f"{what} must be a map, got {type(obj).__name__}")
    if obj.keys() != keys:
        missing = sorted(keys - obj.keys())
        unknown = sorted(obj.keys() - keys)
        raise ErrSchema(f"{what}: missing fields {missing}, unknown fields {unknown}")


def _wrong_type(value: Any, what: str, expected: str) -> FinchainError:
    if isinstance(value, float):
        return ErrFloat(f"{what} is a floating-point number; use integers or decimal strings")
    return ErrSchema(f"{what} must be {expected}, got {type(value).__name__}")


def _expect(value: Any, kind: type, what: str) -> Any:
    if type(value) is not kind:
        raise _wrong_type(value, what, kind.__name__)
    return value


def _uint(value: Any, what: str) -> int:
    if type(value) is not int or not 0 <= value <= MAX_UINT64:
        raise _wrong_type(value, what, "an unsigned 64-bit integer")
    return int(value)
