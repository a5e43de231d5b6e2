"""Messages of the identity module: create, update, rotate, deactivate, bind, unbind.

Parsers check everything that needs no state (shapes, key encodings, URLs,
limits); the keeper checks the rest against the stored DID.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from finchain.core.errors import ErrInvalidMsg
from finchain.core.msgs import Msg
from finchain.core.schema import expect_fields, get_bytes, get_int, get_list, get_str, get_str_list
from finchain.modules.accounts.types import is_account_id
from finchain.modules.identity.types import (
    MAX_CONTROLLERS,
    MAX_DID_BYTES,
    MAX_METHODS,
    MAX_SERVICES,
    Method,
    Service,
    fragment,
    parse_did,
    parse_key,
    parse_relationships,
)

MAX_SIGNATURE_BYTES = 128
MAX_NONCE = 2**64 - 1
_UPDATE_FIELDS = {
    "add_methods",
    "remove_methods",
    "set_relationships",
    "add_services",
    "remove_services",
    "controllers",
    "controller_account",
}


def did_field(value: dict[str, Any], name: str = "did") -> str:
    text = get_str(value, name, max_len=MAX_DID_BYTES)
    parse_did(text)
    return text


def _controllers(value: dict[str, Any]) -> tuple[str, ...]:
    items = get_str_list(value, "controllers", max_items=MAX_CONTROLLERS, max_len=MAX_DID_BYTES)
    for item in items:
        parse_did(item)
    return tuple(sorted(items))


def _methods(value: dict[str, Any], name: str) -> tuple[Method, ...]:
    methods = tuple(Method.parse(m) for m in get_list(value, name, max_items=MAX_METHODS))
    _distinct([m.id for m in methods], name)
    return tuple(sorted(methods, key=lambda m: m.id))


def _services(value: dict[str, Any], name: str) -> tuple[Service, ...]:
    services = tuple(Service.parse(s) for s in get_list(value, name, max_items=MAX_SERVICES))
    _distinct([s.id for s in services], name)
    return tuple(sorted(services, key=lambda s: s.id))


def _ids(value: dict[str, Any], name: str, limit: int) -> tuple[str, ...]:
    items = get_str_list(value, name, max_items=limit, max_len=32)
    return tuple(sorted(fragment({"id": item}, "id") for item in items))


def _distinct(ids: list[str], name: str) -> None:
    if len(set(ids)) != len(ids):
        raise ErrInvalidMsg(f"field {name!r} lists the same id twice")


def _account(value: dict[str, Any], name: str) -> str:
    account = get_str(value, name, max_len=14)
    if not is_account_id(account):
        raise ErrInvalidMsg(f"field {name!r}: {account!r} is not a valid account id")
    return account


@dataclass(frozen=True, slots=True)
class MsgCreateDid(Msg):
    """Register a new DID controlled by the signer; the chain assigns the identifier.

    The new DID is in the ``did_created`` event of the transaction result.
    """

    TYPE = "identity/create_did"
    methods: tuple[Method, ...]
    services: tuple[Service, ...]
    controllers: tuple[str, ...]

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"methods", "services", "controllers"}, cls.TYPE)
        return cls(_methods(value, "methods"), _services(value, "services"), _controllers(value))

    def to_value(self) -> dict[str, Any]:
        return {
            "methods": [m.to_obj() for m in self.methods],
            "services": [s.to_obj() for s in self.services],
            "controllers": list(self.controllers),
        }


@dataclass(frozen=True, slots=True)
class RelationshipChange:
    """The new relationship list of one existing method."""

    id: str
    relationships: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MsgUpdateDid(Msg):
    """Change a DID document; fields left out stay as they are. One new version per message.

    Applied in this order: remove methods, add methods, set relationships,
    remove services, add services, replace the controller DIDs, hand the DID
    to another controller account. The result must be a valid document.
    """

    TYPE = "identity/update_did"
    did: str
    add_methods: tuple[Method, ...] = ()
    remove_methods: tuple[str, ...] = ()
    set_relationships: tuple[RelationshipChange, ...] = ()
    add_services: tuple[Service, ...] = ()
    remove_services: tuple[str, ...] = ()
    controllers: tuple[str, ...] | None = None
    controller_account: str | None = None

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"did"}, cls.TYPE, _UPDATE_FIELDS)
        if not _UPDATE_FIELDS & value.keys():
            raise ErrInvalidMsg(
                f"{cls.TYPE}: give at least one of {sorted(_UPDATE_FIELDS)} to change"
            )
        msg = cls(
            did_field(value),
            _methods(value, "add_methods") if "add_methods" in value else (),
            _ids(value, "remove_methods", MAX_METHODS) if "remove_methods" in value else (),
            _relationship_changes(value) if "set_relationships" in value else (),
            _services(value, "add_services") if "add_services" in value else (),
            _ids(value, "remove_services", MAX_SERVICES) if "remove_services" in value else (),
            _controllers(value) if "controllers" in value else None,
            _account(value, "controller_account") if "controller_account" in value else None,
        )
        msg.validate()
        return msg

    def validate(self) -> None:
        replaced = {m.id for m in self.add_methods} & set(self.remove_methods)
        if replaced:
            raise ErrInvalidMsg(
                f"methods {sorted(replaced)} are both removed and added: to replace a key "
                "under the same id use identity/rotate_key"
            )
        if {s.id for s in self.add_services} & set(self.remove_services):
            raise ErrInvalidMsg(
                "a service id is both removed and added: remove it in its own update"
            )

    def to_value(self) -> dict[str, Any]:
        value: dict[str, Any] = {"did": self.did}
        if self.add_methods:
            value["add_methods"] = [m.to_obj() for m in self.add_methods]
        if self.remove_methods:
            value["remove_methods"] = list(self.remove_methods)
        if self.set_relationships:
            value["set_relationships"] = [
                {"id": c.id, "relationships": list(c.relationships)} for c in self.set_relationships
            ]
        if self.add_services:
            value["add_services"] = [s.to_obj() for s in self.add_services]
        if self.remove_services:
            value["remove_services"] = list(self.remove_services)
        if self.controllers is not None:
            value["controllers"] = list(self.controllers)
        if self.controller_account is not None:
            value["controller_account"] = self.controller_account
        return value


def _relationship_changes(value: dict[str, Any]) -> tuple[RelationshipChange, ...]:
    changes = []
    for item in get_list(value, "set_relationships", max_items=MAX_METHODS):
        expect_fields(item, {"id", "relationships"}, "relationship change")
        key_id = fragment(item, "id")
        changes.append(
            RelationshipChange(key_id, parse_relationships(item, "relationships", key_id))
        )
    _distinct([c.id for c in changes], "set_relationships")
    return tuple(sorted(changes, key=lambda c: c.id))


@dataclass(frozen=True, slots=True)
class MsgRotateKey(Msg):
    """Replace the key behind ``<did>#<key_id>``, keeping the id and its relationships."""

    TYPE = "identity/rotate_key"
    did: str
    key_id: str
    scheme: str
    public_key: bytes

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"did", "key_id", "scheme", "public_key"}, cls.TYPE)
        did = did_field(value)
        key_id = fragment(value, "key_id")
        scheme, public_key = parse_key(value.get("scheme"), value.get("public_key"), key_id)
        return cls(did, key_id, scheme, public_key)

    def to_value(self) -> dict[str, Any]:
        return {
            "did": self.did,
            "key_id": self.key_id,
            "scheme": self.scheme,
            "public_key": self.public_key,
        }


@dataclass(frozen=True, slots=True)
class MsgDeactivateDid(Msg):
    """Deactivate a DID for good: no later update, every bound account unbound."""

    TYPE = "identity/deactivate_did"
    did: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"did"}, cls.TYPE)
        return cls(did_field(value))

    def to_value(self) -> dict[str, Any]:
        return {"did": self.did}


@dataclass(frozen=True, slots=True)
class MsgRetireDid(Msg):
    """Deactivate a DID by governance decision (a compromised or abandoned DID whose
    controller cannot or will not act). Same effect as ``identity/deactivate_did``."""

    TYPE = "identity/retire_did"
    GOVERNED = True
    did: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"did"}, cls.TYPE)
        return cls(did_field(value))

    def to_value(self) -> dict[str, Any]:
        return {"did": self.did}


@dataclass(frozen=True, slots=True)
class MsgBindAccount(Msg):
    """Bind the signing account to ``did``; both sides prove control.

    The account side is the transaction's own signature. The DID side is
    ``signature``, by the DID's ``authentication`` method ``key_id``, over
    :func:`finchain.modules.identity.binding.binding_statement` of the chain
    id, the DID, the account and ``nonce``, which must be the nonce of this
    very transaction: the proof is good for one transaction only.
    """

    TYPE = "identity/bind_account"
    did: str
    key_id: str
    nonce: int
    signature: bytes

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"did", "key_id", "nonce", "signature"}, cls.TYPE)
        return cls(
            did_field(value),
            fragment(value, "key_id"),
            get_int(value, "nonce", low=0, high=MAX_NONCE),
            get_bytes(value, "signature", max_len=MAX_SIGNATURE_BYTES),
        )

    def to_value(self) -> dict[str, Any]:
        return {
            "did": self.did,
            "key_id": self.key_id,
            "nonce": self.nonce,
            "signature": self.signature,
        }


@dataclass(frozen=True, slots=True)
class MsgUnbindAccount(Msg):
    """End a binding; sent by the bound account itself or by a controller of the DID."""

    TYPE = "identity/unbind_account"
    did: str
    account: str

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Self:
        expect_fields(value, {"did", "account"}, cls.TYPE)
        return cls(did_field(value), _account(value, "account"))

    def to_value(self) -> dict[str, Any]:
        return {"did": self.did, "account": self.account}


ALL_MSGS: tuple[type[Msg], ...] = (
    MsgCreateDid,
    MsgUpdateDid,
    MsgRotateKey,
    MsgDeactivateDid,
    MsgRetireDid,
    MsgBindAccount,
    MsgUnbindAccount,
)
