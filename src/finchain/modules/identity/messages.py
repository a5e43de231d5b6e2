"""Messages of the identity module: create, update, rotate, deactivate, bind, unbind.

Each message's fields are declared with the codecs of ``types.py``, which
check everything that needs no state (shapes, key encodings, URLs, limits);
the keeper checks the rest against the stored DID.
"""

from __future__ import annotations

from dataclasses import dataclass

from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import PUBLIC_KEY, Blob, Integer, wire
from finchain.core.msgs import Msg
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.identity.types import (
    CONTROLLERS,
    DID,
    KEY_ID,
    METHOD_IDS,
    METHODS,
    RELATIONSHIP_CHANGES,
    SCHEME,
    SERVICE_IDS,
    SERVICES,
    Method,
    RelationshipChange,
    Service,
    check_key,
)

MAX_SIGNATURE_BYTES = 128
MAX_NONCE = 2**64 - 1


@dataclass(frozen=True, slots=True)
class MsgCreateDid(Msg):
    """Register a new DID controlled by the signer; the chain assigns the identifier.

    The new DID is in the ``did_created`` event of the transaction result.
    """

    TYPE = "identity/create_did"
    methods: tuple[Method, ...] = wire(METHODS)
    services: tuple[Service, ...] = wire(SERVICES)
    controllers: tuple[str, ...] = wire(CONTROLLERS)


@dataclass(frozen=True, slots=True)
class MsgUpdateDid(Msg):
    """Change a DID document; fields left out (None) stay as they are. One new version per message.

    Applied in this order: remove methods, add methods, set relationships,
    remove services, add services, replace the controller DIDs, hand the DID
    to another controller account. The result must be a valid document. At
    least one field besides ``did`` must be given.
    """

    TYPE = "identity/update_did"
    did: str = wire(DID)
    add_methods: tuple[Method, ...] | None = wire(METHODS, default=None)
    remove_methods: tuple[str, ...] | None = wire(METHOD_IDS, default=None)
    set_relationships: tuple[RelationshipChange, ...] | None = wire(
        RELATIONSHIP_CHANGES, default=None
    )
    add_services: tuple[Service, ...] | None = wire(SERVICES, default=None)
    remove_services: tuple[str, ...] | None = wire(SERVICE_IDS, default=None)
    controllers: tuple[str, ...] | None = wire(CONTROLLERS, default=None)
    controller_account: str | None = wire(ACCOUNT, default=None)

    def check(self) -> None:
        changes = (
            self.add_methods,
            self.remove_methods,
            self.set_relationships,
            self.add_services,
            self.remove_services,
            self.controllers,
            self.controller_account,
        )
        if all(change is None for change in changes):
            raise ErrInvalidMsg(
                f"{self.TYPE}: give at least one of add_methods, remove_methods, "
                "set_relationships, add_services, remove_services, controllers, "
                "controller_account to change"
            )
        replaced = {m.id for m in self.add_methods or ()} & set(self.remove_methods or ())
        if replaced:
            raise ErrInvalidMsg(
                f"methods {sorted(replaced)} are both removed and added: to replace a key "
                "under the same id use identity/rotate_key"
            )
        if {s.id for s in self.add_services or ()} & set(self.remove_services or ()):
            raise ErrInvalidMsg(
                "a service id is both removed and added: remove it in its own update"
            )


@dataclass(frozen=True, slots=True)
class MsgRotateKey(Msg):
    """Replace the key behind ``<did>#<key_id>``, keeping the id and its relationships."""

    TYPE = "identity/rotate_key"
    did: str = wire(DID)
    key_id: str = wire(KEY_ID)
    scheme: str = wire(SCHEME)
    public_key: bytes = wire(PUBLIC_KEY)

    def check(self) -> None:
        check_key(self.key_id, self.scheme, self.public_key)


@dataclass(frozen=True, slots=True)
class MsgDeactivateDid(Msg):
    """Deactivate a DID for good: no later update, every bound account unbound."""

    TYPE = "identity/deactivate_did"
    did: str = wire(DID)


@dataclass(frozen=True, slots=True)
class MsgRetireDid(Msg):
    """Deactivate a DID by governance decision (a compromised or abandoned DID whose
    controller cannot or will not act). Same effect as ``identity/deactivate_did``."""

    TYPE = "identity/retire_did"
    GOVERNED = True
    did: str = wire(DID)


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
    did: str = wire(DID)
    key_id: str = wire(KEY_ID)
    nonce: int = wire(Integer(low=0, high=MAX_NONCE))
    signature: bytes = wire(Blob(max_len=MAX_SIGNATURE_BYTES))


@dataclass(frozen=True, slots=True)
class MsgUnbindAccount(Msg):
    """End a binding; sent by the bound account itself or by a controller of the DID."""

    TYPE = "identity/unbind_account"
    did: str = wire(DID)
    account: str = wire(ACCOUNT)


ALL_MSGS: tuple[type[Msg], ...] = (
    MsgCreateDid,
    MsgUpdateDid,
    MsgRotateKey,
    MsgDeactivateDid,
    MsgRetireDid,
    MsgBindAccount,
    MsgUnbindAccount,
)
