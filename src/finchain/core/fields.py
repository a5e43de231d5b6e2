"""Declared fields: one declaration gives a record its strict decoder, its encoder and its types.

Messages and state records are dataclasses whose fields name a codec::

    @dataclass(frozen=True, slots=True)
    class Output(Record):
        to: str = wire(ACCOUNT_ID)
        asset: str = wire(SYMBOL)
        amount: int = wire(AMOUNT)

    Output.from_obj({"to": "FC…", "asset": "CNY", "amount": "5"})  # strict
    Output("FC…", "CNY", 5).to_obj()  # {"to": "FC…", "asset": "CNY", "amount": "5"}

``from_obj`` refuses a value that is not a map, a missing or unknown field, and
any field its codec refuses, with ``tx:6`` (``ErrInvalidMsg``) naming the field:
the same checks for a message from a transaction, a record from genesis and an
SDK's builder, written once. A field declared with ``default=`` may be absent
on the wire; ``to_obj`` then leaves it out when it holds that default, so a
value round-trips to the same map (and the same canonical bytes).

JSON (genesis files, query answers) has no byte strings: ``to_json`` and
``from_json`` give a record's JSON form, where each ``Blob`` is lowercase hex
and every other field is as on the wire. A codec with its own JSON form has
``decode_json`` / ``encode_json``; the others are used as they are. A record's
``DERIVED`` properties (a grant's ``revoked``) follow its fields in the JSON form
for a reader's sake; ``from_json`` takes them or their absence, never a contradiction.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from finchain.codec import parse_amount
from finchain.core.errors import ErrInvalidMsg
from finchain.errors import FinchainError

T = TypeVar("T")
_NO_DEFAULT: Any = dataclasses.MISSING

__all__ = [
    "AMOUNT",
    "DIGEST",
    "HEIGHT",
    "PUBLIC_KEY",
    "TIME_NS",
    "Amount",
    "Blob",
    "Checked",
    "Codec",
    "Flag",
    "Integer",
    "ListOf",
    "Nested",
    "OneOf",
    "Optional",
    "Plain",
    "Record",
    "Text",
    "decode_json",
    "encode_json",
    "wire",
]


class Codec(Protocol[T]):
    """A field's wire form: ``decode`` is strict and names the field when it refuses."""

    def decode(self, value: Any, name: str) -> T: ...

    def encode(self, value: T) -> Any: ...


def wire(codec: Codec[Any], *, default: Any = _NO_DEFAULT) -> Any:
    """Declare a dataclass field's codec (and, with ``default``, that it may be absent)."""
    if default is _NO_DEFAULT:
        return dataclasses.field(metadata={"wire": codec})
    return dataclasses.field(default=default, metadata={"wire": codec})


def _refuse(name: str, what: str) -> FinchainError:
    return ErrInvalidMsg(f"field {name!r} must be {what}")


def decode_json(codec: Codec[T], value: Any, name: str) -> T:
    """A field from its JSON form: the codec's ``decode_json`` if it has one, else ``decode``."""
    decode = getattr(codec, "decode_json", None)
    return codec.decode(value, name) if decode is None else decode(value, name)


def encode_json(codec: Codec[T], value: T) -> Any:
    """A field's JSON form: the codec's ``encode_json`` if it has one, else ``encode``."""
    encode = getattr(codec, "encode_json", None)
    return codec.encode(value) if encode is None else encode(value)


_HEX = re.compile(r"(?:[0-9a-f]{2})*")


class Text:
    """A string of 1 to ``max_len`` UTF-8 bytes (``allow_empty``: 0 too).

    ``pattern`` must match the whole string, or ``check`` must accept it; ``what``
    names the expected value in the refusal (``"an account id"``).
    """

    def __init__(
        self,
        *,
        max_len: int = 128,
        allow_empty: bool = False,
        pattern: str | None = None,
        check: Callable[[str], bool] | None = None,
        what: str = "",
    ) -> None:
        self.max_len = max_len
        self.allow_empty = allow_empty
        self._pattern = re.compile(pattern) if pattern else None
        self._check = check
        self._what = what

    def decode(self, value: Any, name: str) -> str:
        if type(value) is not str:
            raise _refuse(name, "a string")
        if not value and not self.allow_empty:
            raise ErrInvalidMsg(f"field {name!r} must not be empty")
        if len(value.encode()) > self.max_len:
            raise ErrInvalidMsg(f"field {name!r} is longer than {self.max_len} bytes")
        if (self._pattern is not None and not self._pattern.fullmatch(value)) or (
            self._check is not None and not self._check(value)
        ):
            shown = self._what or (
                f"matching {self._pattern.pattern}" if self._pattern else "valid"
            )
            raise ErrInvalidMsg(f"field {name!r}: {value[:80]!r} is not {shown}")
        return value

    def encode(self, value: str) -> str:
        return value


class Integer:
    """An integer in ``[low, high]`` (CBOR integer on the wire; never a bool or a float)."""

    def __init__(self, *, low: int, high: int) -> None:
        self.low = low
        self.high = high

    def decode(self, value: Any, name: str) -> int:
        if type(value) is not int or not self.low <= value <= self.high:
            raise _refuse(name, f"an integer in [{self.low}, {self.high}]")
        return value

    def encode(self, value: int) -> int:
        return value


class Amount:
    """An amount in the asset's smallest unit, a canonical decimal string on the wire.

    ``zero`` allows "0" (a "no maximum" supply); amounts are otherwise 1 .. 2^127 - 1.
    """

    def __init__(self, *, zero: bool = False) -> None:
        self.zero = zero

    def decode(self, value: Any, name: str) -> int:
        if self.zero and value == "0":
            return 0
        try:
            return parse_amount(value, field=name)
        except FinchainError as exc:
            raise ErrInvalidMsg(exc.message) from None

    def encode(self, value: int) -> str:
        return str(value)


AMOUNT = Amount()


class Blob:
    """Bytes of exactly ``size``, or ``min_len`` to ``max_len`` (a CBOR byte string on the wire).

    In JSON: lowercase hex.
    """

    def __init__(self, *, max_len: int = 1024, size: int | None = None, min_len: int = 0) -> None:
        self.max_len = max_len
        self.size = size
        self.min_len = min_len

    def decode(self, value: Any, name: str) -> bytes:
        if type(value) is not bytes:
            raise _refuse(name, "a byte string")
        if self.size is not None and len(value) != self.size:
            raise _refuse(name, f"{self.size} bytes")
        if len(value) > self.max_len:
            raise ErrInvalidMsg(f"field {name!r} is longer than {self.max_len} bytes")
        if len(value) < self.min_len:
            raise ErrInvalidMsg(f"field {name!r} is shorter than {self.min_len} bytes")
        return value

    def encode(self, value: bytes) -> bytes:
        return value

    def decode_json(self, value: Any, name: str) -> bytes:
        longest = self.max_len if self.size is None else self.size
        if type(value) is not str or len(value) > 2 * longest or not _HEX.fullmatch(value):
            raise _refuse(name, f"lowercase hex of at most {longest} bytes")
        return self.decode(bytes.fromhex(value), name)

    def encode_json(self, value: bytes) -> str:
        return value.hex()


#: A block height (``Context.height``); 0 where none applies yet.
HEIGHT = Integer(low=0, high=2**63 - 1)
#: A block time, integer nanoseconds since the Unix epoch (``Context.time_ns``).
TIME_NS = Integer(low=0, high=2**63 - 1)
#: A 32-byte hash (SHA-256 or SM3, as the chain's suite or the record's ``hash_alg`` says).
DIGEST = Blob(size=32)
#: A public key of a scheme finchain.crypto knows (at most 65 bytes; the scheme checks the rest).
PUBLIC_KEY = Blob(max_len=65)


class Flag:
    def decode(self, value: Any, name: str) -> bool:
        if type(value) is not bool:
            raise _refuse(name, "true or false")
        return value

    def encode(self, value: bool) -> bool:
        return value


class OneOf:
    """One of a fixed set of strings."""

    def __init__(self, *choices: str) -> None:
        self.choices = frozenset(choices)

    def decode(self, value: Any, name: str) -> str:
        if type(value) is not str or value not in self.choices:
            raise _refuse(name, f"one of {sorted(self.choices)}")
        return value

    def encode(self, value: str) -> str:
        return value


class Plain:
    """A value taken as it is, after a caller's own check (a nested map with its own rules)."""

    def __init__(self, check: Callable[[Any, str], Any]) -> None:
        self._check = check

    def decode(self, value: Any, name: str) -> Any:
        return self._check(value, name)

    def encode(self, value: Any) -> Any:
        return value


class Checked(Generic[T]):
    """``base``'s value, then ``check(value, name)``: a rule beyond the shape, which may raise
    a module's own code (``identity:2`` for a malformed DID) or return the value normalised.

    The JSON form is ``base``'s, so a ``Blob`` or a list of records stays hex in genesis.
    """

    def __init__(self, base: Codec[T], check: Callable[[T, str], T]) -> None:
        self.base = base
        self._check = check

    def decode(self, value: Any, name: str) -> T:
        return self._check(self.base.decode(value, name), name)

    def encode(self, value: T) -> Any:
        return self.base.encode(value)

    def decode_json(self, value: Any, name: str) -> T:
        return self._check(decode_json(self.base, value, name), name)

    def encode_json(self, value: T) -> Any:
        return encode_json(self.base, value)


class Optional(Generic[T]):
    """``codec``'s value, or None (CBOR null on the wire)."""

    def __init__(self, codec: Codec[T]) -> None:
        self.codec = codec

    def decode(self, value: Any, name: str) -> T | None:
        return None if value is None else self.codec.decode(value, name)

    def encode(self, value: T | None) -> Any:
        return None if value is None else self.codec.encode(value)

    def decode_json(self, value: Any, name: str) -> T | None:
        return None if value is None else decode_json(self.codec, value, name)

    def encode_json(self, value: T | None) -> Any:
        return None if value is None else encode_json(self.codec, value)


class ListOf(Generic[T]):
    """A list of ``min_items`` to ``max_items`` values, held as a tuple.

    ``unique`` refuses repeats; ``sort`` keeps the decoded tuple sorted (a set on
    the wire: the order the sender chose carries no meaning).
    """

    def __init__(
        self,
        codec: Codec[T],
        *,
        max_items: int,
        min_items: int = 0,
        unique: bool = False,
        sort: bool = False,
    ) -> None:
        self.codec = codec
        self.max_items = max_items
        self.min_items = min_items
        self.unique = unique
        self.sort = sort

    def decode(self, value: Any, name: str) -> tuple[T, ...]:
        return self._decode(value, name, self.codec.decode)

    def encode(self, value: tuple[T, ...]) -> list[Any]:
        return [self.codec.encode(item) for item in value]

    def decode_json(self, value: Any, name: str) -> tuple[T, ...]:
        codec = self.codec
        return self._decode(value, name, lambda item, at: decode_json(codec, item, at))

    def encode_json(self, value: tuple[T, ...]) -> list[Any]:
        return [encode_json(self.codec, item) for item in value]

    def _decode(self, value: Any, name: str, decode: Callable[[Any, str], T]) -> tuple[T, ...]:
        if type(value) is not list:
            raise _refuse(name, "a list")
        if not self.min_items <= len(value) <= self.max_items:
            raise ErrInvalidMsg(
                f"field {name!r} must hold {self.min_items} to {self.max_items} items"
            )
        try:
            items = tuple(decode(item, name) for item in value)
        except FinchainError:  # decode again, naming each item, for the refusal's message
            items = tuple(decode(item, f"{name}[{i}]") for i, item in enumerate(value))
        if self.unique and len(set(items)) != len(items):
            raise ErrInvalidMsg(f"field {name!r} holds duplicates")
        return tuple(sorted(items)) if self.sort else items  # type: ignore[type-var]


class Nested(Generic[T]):
    """A record (``Record`` subclass) as a nested map."""

    def __init__(self, cls: type[Record]) -> None:
        self.cls = cls

    def decode(self, value: Any, name: str) -> T:
        return self.cls.from_obj(value, what=name)  # type: ignore[return-value]

    def encode(self, value: T) -> Any:
        return value.to_obj()  # type: ignore[attr-defined]

    def decode_json(self, value: Any, name: str) -> T:
        return self.cls.from_json(value, what=name)  # type: ignore[return-value]

    def encode_json(self, value: T) -> Any:
        return value.to_json()  # type: ignore[attr-defined]


class Record:
    """A dataclass whose fields are declared with ``wire``: ``from_obj`` and ``to_obj``.

    A subclass may override ``check`` for rules across fields; it runs after every
    field decoded.
    """

    __slots__ = ()
    WHAT: ClassVar[str] = ""  # how a refusal names the record ("" : the class name)
    DERIVED: ClassVar[tuple[str, ...]] = ()
    """Properties the JSON form adds after the fields (``to_json``); ``from_json`` accepts
    each left out, and refuses one that disagrees with the record the fields make."""

    @classmethod
    def from_obj(cls, obj: Any, *, what: str = "") -> Self:
        fields = _check_names(cls, obj, what)
        values = {}
        for name, codec, required, default in fields:
            if name in obj:
                values[name] = codec.decode(obj[name], name)
            elif not required:
                values[name] = default
        record = cls(**values)
        record.check()
        return record

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, codec, required, default in _wire_fields(type(self)):
            value = getattr(self, name)
            if required or value != default:
                out[name] = codec.encode(value)
        return out

    @classmethod
    def from_json(cls, obj: Any, *, what: str = "") -> Self:
        """The record from its JSON form (``to_json``), as strictly as ``from_obj``."""
        given = obj
        if cls.DERIVED and isinstance(obj, dict):
            obj = {k: v for k, v in obj.items() if k not in cls.DERIVED}
        fields = _check_names(cls, obj, what)
        values = {}
        for name, codec, required, default in fields:
            if name in obj:
                values[name] = decode_json(codec, obj[name], name)
            elif not required:
                values[name] = default
        record = cls(**values)
        record.check()
        for name in cls.DERIVED:
            if name in given and given[name] != getattr(record, name):
                shown = what or cls.WHAT
                raise ErrInvalidMsg(f"{shown}: {name} {given[name]!r} disagrees with the record")
        return record

    def to_json(self) -> dict[str, Any]:
        """The JSON form: ``to_obj`` with bytes as lowercase hex, then ``DERIVED``."""
        out: dict[str, Any] = {}
        for name, codec, required, default in _wire_fields(type(self)):
            value = getattr(self, name)
            if required or value != default:
                out[name] = encode_json(codec, value)
        for name in self.DERIVED:
            out[name] = getattr(self, name)
        return out

    def check(self) -> None:
        """Rules across fields, after each field decoded; raise ``ErrInvalidMsg``."""


_Fields = tuple[tuple[str, Codec[Any], bool, Any], ...]
_FIELDS: dict[type, _Fields] = {}
#: Per record class: (all field names, required field names), filled with ``_FIELDS``.
_NAMES: dict[type, tuple[frozenset[str], frozenset[str]]] = {}


def _check_names(cls: type[Record], obj: Any, what: str) -> _Fields:
    """The declared fields of ``cls``, once ``obj`` is a map of all the required ones, no other."""
    fields = _wire_fields(cls)
    names, required = _NAMES[cls]
    if isinstance(obj, dict) and obj.keys() <= names and required <= obj.keys():
        return fields  # every transaction's records pass here: set comparisons only
    label = what or cls.WHAT or cls.__name__
    if not isinstance(obj, dict):
        raise ErrInvalidMsg(f"{label} must be a map")
    unknown = obj.keys() - names
    missing = [f[0] for f in fields if f[2] and f[0] not in obj]
    raise ErrInvalidMsg(
        f"{label}: missing fields {sorted(missing)}, unknown fields {sorted(unknown)}"
    )


def _wire_fields(cls: type) -> _Fields:
    """``(name, codec, required, default)`` of each declared field, in declaration order."""
    known = _FIELDS.get(cls)
    if known is not None:
        return known
    found = []
    for f in dataclasses.fields(cls):
        codec = f.metadata.get("wire")
        if codec is None:
            raise TypeError(f"{cls.__name__}.{f.name} has no wire codec: declare it with wire()")
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        found.append((f.name, codec, required, None if required else f.default))
    _NAMES[cls] = (frozenset(f[0] for f in found), frozenset(f[0] for f in found if f[2]))
    _FIELDS[cls] = tuple(found)
    return _FIELDS[cls]
