"""Builders for the identity module's messages (DIDs and account binding).

Each builds the message object and returns its wire form (``Msg.to_raw``); the
chain parses and checks it again.

Example::

    from finchain.client import identity_builders as ib

    create = ib.create_did([ib.did_key("k1", did_key)])
    # after the block: did = the "did" attribute of the did_created event
    bind = ib.bind_account(chain_id, did, account, nonce=signer.nonce, key_id="k1", did_key=did_key)
    signer.sign(bind)  # the account side; the DID side signed inside bind_account
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from finchain.codec import RawMsg
from finchain.crypto import PrivateKey, PublicKey
from finchain.modules.identity import messages as idm
from finchain.modules.identity.binding import binding_statement
from finchain.modules.identity.types import Method, RelationshipChange, Service

DEFAULT_RELATIONSHIPS = ("authentication", "assertionMethod", "capabilityInvocation")


def did_key(
    key_id: str,
    key: PrivateKey | PublicKey,
    relationships: Sequence[str] = DEFAULT_RELATIONSHIPS,
) -> dict[str, object]:
    """A verification method entry: ``<did>#<key_id>`` serving ``relationships``."""
    public = key.public_key() if isinstance(key, PrivateKey) else key
    return Method(key_id, public.scheme, public.data, tuple(relationships)).to_obj()


def service(service_id: str, service_type: str, endpoint: str) -> dict[str, str]:
    return Service(service_id, service_type, endpoint).to_obj()


def _methods(entries: Sequence[Mapping[str, Any]]) -> tuple[Method, ...]:
    return tuple(Method.from_obj(dict(entry)) for entry in entries)


def _services(entries: Sequence[Mapping[str, Any]]) -> tuple[Service, ...]:
    return tuple(Service.from_obj(dict(entry)) for entry in entries)


def create_did(
    methods: Sequence[dict[str, object]],
    *,
    services: Sequence[dict[str, str]] = (),
    controllers: Sequence[str] = (),
) -> RawMsg:
    """Register a DID controlled by the signing account; the chain assigns its id."""
    return idm.MsgCreateDid(_methods(methods), _services(services), tuple(controllers)).to_raw()


def update_did(
    did: str,
    *,
    add_methods: Sequence[dict[str, object]] = (),
    remove_methods: Sequence[str] = (),
    set_relationships: dict[str, Sequence[str]] | None = None,
    add_services: Sequence[dict[str, str]] = (),
    remove_services: Sequence[str] = (),
    controllers: Sequence[str] | None = None,
    controller_account: str | None = None,
) -> RawMsg:
    """Change a DID document; what is not given stays as it is (one new version)."""
    changes = tuple(
        RelationshipChange(key_id, tuple(rels))
        for key_id, rels in sorted((set_relationships or {}).items())
    )
    return idm.MsgUpdateDid(
        did,
        add_methods=_methods(add_methods) or None,
        remove_methods=tuple(remove_methods) or None,
        set_relationships=changes or None,
        add_services=_services(add_services) or None,
        remove_services=tuple(remove_services) or None,
        controllers=None if controllers is None else tuple(controllers),
        controller_account=controller_account,
    ).to_raw()


def rotate_did_key(did: str, key_id: str, new_key: PrivateKey | PublicKey) -> RawMsg:
    """Replace the key of ``<did>#<key_id>``, keeping the id and its relationships."""
    public = new_key.public_key() if isinstance(new_key, PrivateKey) else new_key
    return idm.MsgRotateKey(did, key_id, public.scheme, public.data).to_raw()


def deactivate_did(did: str) -> RawMsg:
    """Deactivate for ever: no later update, resolution says ``deactivated``."""
    return idm.MsgDeactivateDid(did).to_raw()


def bind_account(
    chain_id: str, did: str, account: str, *, nonce: int, key_id: str, did_key: PrivateKey
) -> RawMsg:
    """Bind ``account`` to ``did``: the DID's authentication key signs here, the account
    signs the transaction, whose nonce must be ``nonce``."""
    statement = binding_statement(chain_id, did, account, nonce)
    return idm.MsgBindAccount(did, key_id, nonce, did_key.sign(statement)).to_raw()


def unbind_account(did: str, account: str) -> RawMsg:
    return idm.MsgUnbindAccount(did, account).to_raw()
