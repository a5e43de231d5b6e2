"""DID records: the syntax of ``did:finchain``, verification methods, services, versions.

A DID is assigned by the chain from a counter, never derived from a key, so
every key of a DID can be rotated while the identifier (and every credential
naming it) stays. The syntax itself lives in ``finchain.formats.did``, shared with
the off-chain verifier; this module turns its errors into ``identity`` codes.

Every rule a record's content must pass is declared here, once: the field
codecs (``DID``, ``KEY_ID``, ``SCHEME``, ``RELATIONSHIP_SET``, ``SERVICE_ID``,
``SERVICE_TYPE``, ``ENDPOINT``) and the cross-field ``check`` of
``Method`` and ``DidRecord``. Messages, genesis import, state reads and the
keeper apply exactly the same rules. Shapes are refused with ``tx:6``; a
malformed DID with ``identity:2``, a bad method with ``identity:7``, a bad
service with ``identity:10``, as the method specification says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import (
    HEIGHT,
    PUBLIC_KEY,
    TIME_NS,
    Checked,
    Codec,
    Flag,
    Integer,
    ListOf,
    Nested,
    Record,
    Text,
    wire,
)
from finchain.crypto import SCHEMES, public_key_from_bytes
from finchain.errors import ErrorCode, FinchainError
from finchain.formats import did as dids
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.identity.errors import (
    ErrForeignDid,
    ErrInvalidDid,
    ErrInvalidMethod,
    ErrInvalidService,
    ErrTooMany,
)

AUTHENTICATION = "authentication"
ASSERTION_METHOD = "assertionMethod"
KEY_AGREEMENT = "keyAgreement"
CAPABILITY_INVOCATION = "capabilityInvocation"
CAPABILITY_DELEGATION = "capabilityDelegation"
RELATIONSHIPS = (
    AUTHENTICATION,
    ASSERTION_METHOD,
    KEY_AGREEMENT,
    CAPABILITY_INVOCATION,
    CAPABILITY_DELEGATION,
)
"""The DID Core verification relationships, in the order documents list them."""

MAX_METHODS = 32
MAX_SERVICES = 16
MAX_CONTROLLERS = 8
MAX_BOUND_ACCOUNTS = 64
MAX_ENDPOINT_BYTES = 512
MAX_DID_BYTES = 80
MAX_TIME = 2**63 - 1
ENDPOINT_SCHEMES = ("https", "wss")
FRAGMENT = dids.KEY_ID
SERVICE_TYPE_NAME = re.compile(r"[A-Z][A-Za-z0-9]{0,63}")
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def did_for(chain_id: str, number: int) -> str:
    """The DID the registry of ``chain_id`` assigns to counter value ``number``."""
    try:
        return dids.make_did(chain_id, number)
    except FinchainError as exc:
        raise ErrInvalidDid(exc.message) from None


def parse_did(text: object) -> tuple[str, int]:
    """``(chain_id, number)`` of a well-formed DID (check digits verified); ErrInvalidDid else."""
    try:
        parsed = dids.parse_did(text)
    except FinchainError as exc:
        raise ErrInvalidDid(exc.message) from None
    return parsed.chain_id, parsed.number


def number_on_chain(chain_id: str, text: object) -> int:
    """The counter value of a DID of this chain; ErrForeignDid for a DID of another chain."""
    did_chain, number = parse_did(text)
    if did_chain != chain_id:
        raise ErrForeignDid(
            f"{text} is registered on chain {did_chain!r}, not on {chain_id!r}: "
            "resolve it with that chain's resolver"
        )
    return number


def rfc3339(time_ns: int) -> str:
    """A block time as DID Core metadata spells it: UTC, whole seconds, ``Z``."""
    moment = _EPOCH + timedelta(seconds=time_ns // 1_000_000_000)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def time_ns_of(moment: datetime) -> int:
    """Integer nanoseconds since the epoch of an aware datetime (no float on the way)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


# -- field codecs -------------------------------------------------------------------------------


def _did(value: str, name: str) -> str:
    parse_did(value)
    return value


def _did_ref(value: str, name: str) -> str:
    try:
        dids.parse_did(value)
    except FinchainError as exc:
        raise ErrInvalidMsg(f"field {name!r}: {exc.message}") from None
    return value


def _fragment(error: ErrorCode) -> Callable[[str, str], str]:
    def check(value: str, name: str) -> str:
        if not FRAGMENT.fullmatch(value):
            raise error(f"field {name!r}: {value!r} must match {FRAGMENT.pattern}")
        return value

    return check


class _Choice:
    """One of a few names; anything else is refused with a module's own code."""

    def __init__(self, choices: Sequence[str], error: ErrorCode, what: str) -> None:
        self.choices = frozenset(choices)
        self._error = error
        self._what = what

    def decode(self, value: Any, name: str) -> str:
        if type(value) is not str or value not in self.choices:
            raise self._error(f"field {name!r}: {str(value)[:20]!r} is not {self._what}")
        return value

    def encode(self, value: str) -> str:
        return value


def _relationships(items: tuple[str, ...], name: str) -> tuple[str, ...]:
    if len(set(items)) != len(items):
        raise ErrInvalidMethod(
            f"field {name!r}: relationships must be distinct names among {list(RELATIONSHIPS)}"
        )
    return tuple(r for r in RELATIONSHIPS if r in items)


def _service_type(value: str, name: str) -> str:
    if not SERVICE_TYPE_NAME.fullmatch(value):
        raise ErrInvalidService(
            f"service type {value!r} must match {SERVICE_TYPE_NAME.pattern} (e.g. LinkedDomains)"
        )
    return value


def _endpoint(url: str, name: str) -> str:
    """An absolute https/wss URL with a host, no user info, only RFC 3986 characters.

    User info is refused because a URL on chain is public forever: a password
    in it would be published to every node.
    """
    problem = ""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on an invalid port
    except ValueError:
        problem = "is not a valid URL"
    else:
        if not _URL_CHARS.fullmatch(url):
            problem = "holds characters outside RFC 3986 (percent-encode them)"
        elif parts.scheme not in ENDPOINT_SCHEMES:
            problem = f"must use one of the schemes {list(ENDPOINT_SCHEMES)}"
        elif not parts.hostname:
            problem = "has no host"
        elif "@" in parts.netloc:
            problem = "must not carry user info (it would be public on chain)"
    if problem:
        raise ErrInvalidService(f"endpoint {url[:80]!r} {problem}")
    return url


def _by_id(items: tuple[Any, ...], name: str) -> tuple[Any, ...]:
    """Methods, services or relationship changes: ids distinct, kept sorted by id."""
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise ErrInvalidMsg(f"field {name!r} lists the same id twice")
    return tuple(sorted(items, key=lambda item: item.id))


DID: Codec[str] = Checked(Text(max_len=MAX_DID_BYTES), _did)
"""A well-formed ``did:finchain`` DID (of any chain; the keeper checks which)."""
DID_REF: Codec[str] = Checked(Text(max_len=MAX_DID_BYTES), _did_ref)
"""A DID named by another module's record or message: well formed, or ``tx:6`` saying why
(whether it exists and who controls it is this module's answer, through its keeper)."""
BOUND_DID = Text(max_len=256, allow_empty=True)
"""The DID an account was bound to when another module recorded it ("" for none), kept as
given."""
KEY_ID: Codec[str] = Checked(Text(max_len=32), _fragment(ErrInvalidMethod))
"""A verification method's id, the fragment after ``#``."""
SERVICE_ID: Codec[str] = Checked(Text(max_len=32), _fragment(ErrInvalidService))
SCHEME: Codec[str] = _Choice(SCHEMES, ErrInvalidMethod, f"a key scheme (one of {SCHEMES})")
RELATIONSHIP_SET: Codec[tuple[str, ...]] = Checked(
    ListOf(
        _Choice(RELATIONSHIPS, ErrInvalidMethod, f"a relationship (one of {list(RELATIONSHIPS)})"),
        max_items=len(RELATIONSHIPS),
    ),
    _relationships,
)
"""Distinct relationship names, held in the order of ``RELATIONSHIPS``."""
SERVICE_TYPE: Codec[str] = Checked(Text(max_len=64), _service_type)
ENDPOINT: Codec[str] = Checked(Text(max_len=MAX_ENDPOINT_BYTES), _endpoint)
CONTROLLERS: Codec[tuple[str, ...]] = ListOf(DID, max_items=MAX_CONTROLLERS, unique=True, sort=True)
"""Controller DIDs, a set: held sorted."""


def check_key(key_id: str, scheme: str, public_key: bytes) -> None:
    """The key must load as a point of its curve, in finchain.crypto's canonical bytes."""
    try:
        public_key_from_bytes(scheme, public_key)
    except FinchainError as exc:
        raise ErrInvalidMethod(f"method {key_id!r}: {exc.message}") from None


# -- records ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Method(Record):
    """A verification method: a key under ``<did>#<id>`` and the relationships it serves."""

    WHAT = "verification method"
    id: str = wire(KEY_ID)
    scheme: str = wire(SCHEME)
    public_key: bytes = wire(PUBLIC_KEY)
    relationships: tuple[str, ...] = wire(RELATIONSHIP_SET)

    def check(self) -> None:
        """The key is on its curve (checked once, when a method is decoded), and its use."""
        check_key(self.id, self.scheme, self.public_key)
        self.check_use()

    def check_use(self) -> None:
        """keyAgreement is for encryption keys: an Ed25519 key is a signature-only key."""
        if KEY_AGREEMENT in self.relationships and self.scheme == "ed25519":
            raise ErrInvalidMethod(
                f"method {self.id!r}: an ed25519 key cannot serve keyAgreement; "
                "use an sm2 or secp256k1 key for key agreement"
            )


@dataclass(frozen=True, slots=True)
class Service(Record):
    """A DID Core service: ``<did>#<id>``, a type, and one https/wss endpoint URL."""

    WHAT = "service"
    id: str = wire(SERVICE_ID)
    type: str = wire(SERVICE_TYPE)
    endpoint: str = wire(ENDPOINT)


@dataclass(frozen=True, slots=True)
class RelationshipChange(Record):
    """The new relationship list of one existing method."""

    WHAT = "relationship change"
    id: str = wire(KEY_ID)
    relationships: tuple[str, ...] = wire(RELATIONSHIP_SET)


METHODS: Codec[tuple[Method, ...]] = Checked(ListOf(Nested(Method), max_items=MAX_METHODS), _by_id)
"""Verification methods with distinct ids, held sorted by id."""
SERVICES: Codec[tuple[Service, ...]] = Checked(
    ListOf(Nested(Service), max_items=MAX_SERVICES), _by_id
)
RELATIONSHIP_CHANGES: Codec[tuple[RelationshipChange, ...]] = Checked(
    ListOf(Nested(RelationshipChange), max_items=MAX_METHODS), _by_id
)
METHOD_IDS: Codec[tuple[str, ...]] = ListOf(KEY_ID, max_items=MAX_METHODS, unique=True, sort=True)
SERVICE_IDS: Codec[tuple[str, ...]] = ListOf(KEY_ID, max_items=MAX_SERVICES, unique=True, sort=True)


@dataclass(frozen=True, slots=True)
class DidRecord(Record):
    """One version of a DID as the registry stores it.

    ``controller_account`` is the finchain account that controls the DID on
    chain; ``controllers`` are DIDs (W3C ``controller``) whose controller
    accounts may update it too. ``version`` starts at 1 and grows by one with
    every change; ``created_*`` are fixed at creation, ``updated_*`` are those
    of this version. A deactivated record keeps no keys or services.
    """

    WHAT = "DID record"
    did: str = wire(DID)
    controller_account: str = wire(ACCOUNT)
    controllers: tuple[str, ...] = wire(CONTROLLERS)
    methods: tuple[Method, ...] = wire(METHODS)
    services: tuple[Service, ...] = wire(SERVICES)
    version: int = wire(Integer(low=0, high=MAX_TIME))
    created_ns: int = wire(TIME_NS)
    created_height: int = wire(HEIGHT)
    updated_ns: int = wire(TIME_NS)
    updated_height: int = wire(HEIGHT)
    deactivated: bool = wire(Flag())

    def method(self, key_id: str) -> Method | None:
        for method in self.methods:
            if method.id == key_id:
                return method
        return None

    def service(self, service_id: str) -> Service | None:
        for service in self.services:
            if service.id == service_id:
                return service
        return None

    def with_content(
        self,
        *,
        methods: Sequence[Method] | None = None,
        services: Sequence[Service] | None = None,
        controllers: Sequence[str] | None = None,
        controller_account: str | None = None,
    ) -> DidRecord:
        """A copy with some content replaced, kept in canonical (sorted) order."""
        return replace(
            self,
            methods=self.methods if methods is None else tuple(sorted(methods, key=_id_of)),
            services=self.services if services is None else tuple(sorted(services, key=_id_of)),
            controllers=self.controllers if controllers is None else tuple(sorted(controllers)),
            controller_account=(
                self.controller_account if controller_account is None else controller_account
            ),
        )

    def check(self) -> None:
        """Rules over the whole document: limits, unique ids, no key listed twice."""
        if len(self.methods) > MAX_METHODS:
            raise ErrTooMany(f"a DID holds at most {MAX_METHODS} verification methods")
        if len(self.services) > MAX_SERVICES:
            raise ErrTooMany(f"a DID holds at most {MAX_SERVICES} services")
        if len(self.controllers) > MAX_CONTROLLERS:
            raise ErrTooMany(f"a DID lists at most {MAX_CONTROLLERS} controller DIDs")
        ids = [m.id for m in self.methods] + [s.id for s in self.services]
        if len(set(ids)) != len(ids):
            raise ErrInvalidMethod(
                "method and service ids share the fragment namespace of the document and must "
                "all differ"
            )
        keys = [(m.scheme, m.public_key) for m in self.methods]
        if len(set(keys)) != len(keys):
            raise ErrInvalidMethod("the same public key is listed under two method ids")
        for method in self.methods:
            method.check_use()


def _id_of(item: Method | Service) -> str:
    return item.id


@dataclass(frozen=True, slots=True)
class Binding(Record):
    """An account's binding: the DID (by number) it is bound to, and the height it was bound."""

    WHAT = "binding"
    number: int = wire(Integer(low=1, high=dids.MAX_NUMBER))
    height: int = wire(HEIGHT)
