"""Builders for the identity module's messages (DIDs and account binding).

Example::

    from finchain.client import identity_builders as ib

    create = ib.create_did([ib.did_key("k1", did_key)])
    # after the block: did = the "did" attribute of the did_created event
    bind = ib.bind_account(chain_id, did, account, nonce=signer.nonce, key_id="k1", did_key=did_key)
    signer.sign(bind)  # the account side; the DID side signed inside bind_account
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.codec import RawMsg
from finchain.crypto import PrivateKey, PublicKey
from finchain.modules.identity import messages as idm
from finchain.modules.identity.binding import binding_statement

DEFAULT_RELATIONSHIPS = ("authentication", "assertionMethod", "capabilityInvocation")


def did_key(
    key_id: str,
    key: PrivateKey | PublicKey,
    relationships: Sequence[str] = DEFAULT_RELATIONSHIPS,
) -> dict[str, object]:
    """A verification method entry: ``<did>#<key_id>`` serving ``relationships``."""
    public = key.public_key() if isinstance(key, PrivateKey) else key
    return {
        "id": key_id,
        "scheme": public.scheme,
        "public_key": public.data,
        "relationships": list(relationships),
    }


def service(service_id: str, service_type: str, endpoint: str) -> dict[str, str]:
    return {"id": service_id, "type": service_type, "endpoint": endpoint}


def create_did(
    methods: Sequence[dict[str, object]],
    *,
    services: Sequence[dict[str, str]] = (),
    controllers: Sequence[str] = (),
) -> RawMsg:
    """Register a DID controlled by the signing account; the chain assigns its id."""
    return RawMsg(
        idm.MsgCreateDid.TYPE,
        {"methods": list(methods), "services": list(services), "controllers": list(controllers)},
    )


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
    value: dict[str, object] = {"did": did}
    if add_methods:
        value["add_methods"] = list(add_methods)
    if remove_methods:
        value["remove_methods"] = list(remove_methods)
    if set_relationships:
        value["set_relationships"] = [
            {"id": key_id, "relationships": list(rels)}
            for key_id, rels in sorted(set_relationships.items())
        ]
    if add_services:
        value["add_services"] = list(add_services)
    if remove_services:
        value["remove_services"] = list(remove_services)
    if controllers is not None:
        value["controllers"] = list(controllers)
    if controller_account is not None:
        value["controller_account"] = controller_account
    return RawMsg(idm.MsgUpdateDid.TYPE, value)


def rotate_did_key(did: str, key_id: str, new_key: PrivateKey | PublicKey) -> RawMsg:
    """Replace the key of ``<did>#<key_id>``, keeping the id and its relationships."""
    public = new_key.public_key() if isinstance(new_key, PrivateKey) else new_key
    return RawMsg(
        idm.MsgRotateKey.TYPE,
        {"did": did, "key_id": key_id, "scheme": public.scheme, "public_key": public.data},
    )


def deactivate_did(did: str) -> RawMsg:
    """Deactivate for ever: no later update, resolution says ``deactivated``."""
    return RawMsg(idm.MsgDeactivateDid.TYPE, {"did": did})


def bind_account(
    chain_id: str, did: str, account: str, *, nonce: int, key_id: str, did_key: PrivateKey
) -> RawMsg:
    """Bind ``account`` to ``did``: the DID's authentication key signs here, the account
    signs the transaction, whose nonce must be ``nonce``."""
    statement = binding_statement(chain_id, did, account, nonce)
    return RawMsg(
        idm.MsgBindAccount.TYPE,
        {"did": did, "key_id": key_id, "nonce": nonce, "signature": did_key.sign(statement)},
    )


def unbind_account(did: str, account: str) -> RawMsg:
    return RawMsg(idm.MsgUnbindAccount.TYPE, {"did": did, "account": account})
