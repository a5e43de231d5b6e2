"""DID records: the syntax of ``did:finchain``, verification methods, services, versions.

A DID is assigned by the chain from a counter, never derived from a key, so
every key of a DID can be rotated while the identifier (and every credential
naming it) stays. The syntax itself lives in ``finchain.formats.did``, shared with
the off-chain verifier; this module turns its errors into ``identity`` codes.

Every check that a record's content must pass lives here (``Method.parse``,
``Service.parse``, ``DidRecord.check``), so messages, genesis import and the
keeper apply exactly the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from finchain.core.schema import expect_fields, get_bytes, get_list, get_str
from finchain.crypto import SCHEMES, public_key_from_bytes
from finchain.errors import FinchainError
from finchain.formats import did as dids
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
ENDPOINT_SCHEMES = ("https", "wss")
FRAGMENT = dids.KEY_ID
SERVICE_TYPE = re.compile(r"[A-Z][A-Za-z0-9]{0,63}")
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


@dataclass(frozen=True, slots=True)
class Method:
    """A verification method: a key under ``<did>#<id>`` and the relationships it serves."""

    id: str
    scheme: str
    public_key: bytes
    relationships: tuple[str, ...]

    def to_obj(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scheme": self.scheme,
            "public_key": self.public_key,
            "relationships": list(self.relationships),
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Method:
        """A method read back from state (checked when it was written)."""
        return cls(obj["id"], obj["scheme"], obj["public_key"], tuple(obj["relationships"]))

    @classmethod
    def parse(cls, obj: Any) -> Method:
        """A method from a message or genesis; ErrInvalidMethod says which part is wrong."""
        expect_fields(obj, {"id", "scheme", "public_key", "relationships"}, "verification method")
        key_id = fragment(obj, "id")
        scheme, public_key = parse_key(obj.get("scheme"), obj.get("public_key"), key_id)
        relationships = parse_relationships(obj, "relationships", key_id)
        method = cls(key_id, scheme, public_key, relationships)
        method.check()
        return method

    def check(self) -> None:
        """keyAgreement is for encryption keys: an Ed25519 key is a signature-only key."""
        if KEY_AGREEMENT in self.relationships and self.scheme == "ed25519":
            raise ErrInvalidMethod(
                f"method {self.id!r}: an ed25519 key cannot serve keyAgreement; "
                "use an sm2 or secp256k1 key for key agreement"
            )


def fragment(obj: dict[str, Any], name: str) -> str:
    """A method or service id (the part after ``#``)."""
    value = get_str(obj, name, max_len=32)
    if not FRAGMENT.fullmatch(value):
        raise ErrInvalidMethod(f"field {name!r}: {value!r} must match {FRAGMENT.pattern}")
    return value


def parse_key(scheme: object, public_key: object, key_id: str) -> tuple[str, bytes]:
    """A public key in finchain.crypto's canonical bytes, loaded to prove it is on its curve."""
    if type(scheme) is not str or scheme not in SCHEMES:
        raise ErrInvalidMethod(
            f"method {key_id!r}: unknown key scheme {str(scheme)[:20]!r}; use one of {SCHEMES}"
        )
    data = get_bytes({"public_key": public_key}, "public_key", max_len=65)
    try:
        public_key_from_bytes(scheme, data)
    except FinchainError as exc:
        raise ErrInvalidMethod(f"method {key_id!r}: {exc.message}") from None
    return scheme, data


def parse_relationships(obj: dict[str, Any], name: str, key_id: str) -> tuple[str, ...]:
    items = get_list(obj, name, max_items=len(RELATIONSHIPS))
    unknown = [r for r in items if r not in RELATIONSHIPS]
    if unknown or len(set(items)) != len(items):
        raise ErrInvalidMethod(
            f"method {key_id!r}: relationships must be distinct names among {list(RELATIONSHIPS)}"
        )
    return tuple(r for r in RELATIONSHIPS if r in items)


@dataclass(frozen=True, slots=True)
class Service:
    """A DID Core service: ``<did>#<id>``, a type, and one https/wss endpoint URL."""

    id: str
    type: str
    endpoint: str

    def to_obj(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "endpoint": self.endpoint}

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Service:
        return cls(obj["id"], obj["type"], obj["endpoint"])

    @classmethod
    def parse(cls, obj: Any) -> Service:
        expect_fields(obj, {"id", "type", "endpoint"}, "service")
        service_id = get_str(obj, "id", max_len=32)
        if not FRAGMENT.fullmatch(service_id):
            raise ErrInvalidService(f"service id {service_id!r} must match {FRAGMENT.pattern}")
        kind = get_str(obj, "type", max_len=64)
        if not SERVICE_TYPE.fullmatch(kind):
            raise ErrInvalidService(
                f"service {service_id!r}: type {kind!r} must match {SERVICE_TYPE.pattern} "
                "(e.g. LinkedDomains)"
            )
        return cls(service_id, kind, _endpoint(obj, service_id))


def _endpoint(obj: dict[str, Any], service_id: str) -> str:
    """An absolute https/wss URL with a host, no user info, only RFC 3986 characters.

    User info is refused because a URL on chain is public forever: a password
    in it would be published to every node.
    """
    url = get_str(obj, "endpoint", max_len=MAX_ENDPOINT_BYTES)
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
        raise ErrInvalidService(f"service {service_id!r}: endpoint {url[:80]!r} {problem}")
    return url


@dataclass(frozen=True, slots=True)
class DidRecord:
    """One version of a DID as the registry stores it.

    ``controller_account`` is the finchain account that controls the DID on
    chain; ``controllers`` are DIDs (W3C ``controller``) whose controller
    accounts may update it too. ``version`` starts at 1 and grows by one with
    every change; ``created_*`` are fixed at creation, ``updated_*`` are those
    of this version. A deactivated record keeps no keys or services.
    """

    did: str
    controller_account: str
    controllers: tuple[str, ...]
    methods: tuple[Method, ...]
    services: tuple[Service, ...]
    version: int
    created_ns: int
    created_height: int
    updated_ns: int
    updated_height: int
    deactivated: bool = False

    def to_obj(self) -> dict[str, Any]:
        return {
            "did": self.did,
            "controller_account": self.controller_account,
            "controllers": list(self.controllers),
            "methods": [m.to_obj() for m in self.methods],
            "services": [s.to_obj() for s in self.services],
            "version": self.version,
            "created_ns": self.created_ns,
            "created_height": self.created_height,
            "updated_ns": self.updated_ns,
            "updated_height": self.updated_height,
            "deactivated": self.deactivated,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> DidRecord:
        return cls(
            obj["did"],
            obj["controller_account"],
            tuple(obj["controllers"]),
            tuple(Method.from_obj(m) for m in obj["methods"]),
            tuple(Service.from_obj(s) for s in obj["services"]),
            obj["version"],
            obj["created_ns"],
            obj["created_height"],
            obj["updated_ns"],
            obj["updated_height"],
            obj["deactivated"],
        )

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
            methods=self.methods if methods is None else tuple(sorted(methods, key=_by_id)),
            services=self.services if services is None else tuple(sorted(services, key=_by_id)),
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
            method.check()


def _by_id(item: Method | Service) -> str:
    return item.id


def record_to_json(record: DidRecord) -> dict[str, Any]:
    """The JSON form (genesis files): public keys in hex."""
    obj = record.to_obj()
    for method in obj["methods"]:
        method["public_key"] = method["public_key"].hex()
    return obj


def method_from_json(obj: Any) -> Method:
    if not isinstance(obj, dict) or not isinstance(obj.get("public_key"), str):
        raise ErrInvalidMethod("each method needs a hex 'public_key'")
    try:
        raw = bytes.fromhex(obj["public_key"])
    except ValueError:
        raise ErrInvalidMethod(f"public key of {str(obj.get('id'))[:40]!r} is not hex") from None
    return Method.parse({**obj, "public_key": raw})
