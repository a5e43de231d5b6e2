"""The grantee's side: record the access on chain, and only then unwrap and decrypt.

``open_asset`` is the one door an honest client uses, so every opening leaves
a ``datarights/record_access`` in a committed block first: if the chain
refuses (no grant, revoked, outside the window, wrong purpose, deleted
payload) the function raises before any key is touched. A dishonest grantee
that kept an unwrapped key can decrypt the versions that key encrypts offline,
unrecorded; that is why revocation rotates the key for later versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from finchain.client import Client
from finchain.client import datarights_builders as drb
from finchain.client.builders import Signer
from finchain.client.sending import Send, sender
from finchain.codec import RawMsg
from finchain.crypto import SUITES, EncryptionKey
from finchain.modules.datarights.errors import ErrAccessNotRecorded, ErrWrongDataKey
from finchain.offchain.datarights.payload import decrypt_payload, key_id_of
from finchain.offchain.datarights.wrapping import unwrap_key, wrap_context


class Ledger(Protocol):
    """What ``open_asset`` needs from a chain: commit one message, answer queries."""

    chain_id: str

    def commit(self, msg: RawMsg) -> None:
        """Sign and submit ``msg``; return once committed, raise ``ErrAccessNotRecorded`` if not."""
        ...

    def query(self, path: str, params: Mapping[str, str]) -> Any: ...


class ClientLedger:
    """A :class:`Ledger` over a node's HTTP API and the grantee account's signer.

    The access is sent by ``send`` if given (one message in, its receipt out: the
    caller's own sending path), else by ``finchain.client.sending.send_tx``, which
    re-signs when another transaction of the account took the nonce.
    """

    def __init__(
        self, client: Client, signer: Signer, *, timeout: float = 10.0, send: Send | None = None
    ) -> None:
        self.client = client
        self.signer = signer
        self.chain_id = signer.chain_id
        self._send = send or sender(client, signer, wait=True, timeout=timeout)

    def commit(self, msg: RawMsg) -> None:
        receipt = self._send(msg)
        if not receipt.ok or not receipt.committed:
            result = receipt.deliver if receipt.deliver is not None else receipt.check
            code = "timeout" if result is None else f"{result.codespace}:{result.code}"
            log = "not committed within the wait" if result is None else result.log
            raise ErrAccessNotRecorded(
                f"access was not recorded (tx {receipt.tx_id}, {code}): {log}",
                tx_id=receipt.tx_id,
                code=code,
            )

    def query(self, path: str, params: Mapping[str, str]) -> Any:
        return self.client.query(path, params).value


def suite_of_hash(hash_alg: str) -> str:
    """The suite whose hash the chain uses (``sm3`` → ``gm``, ``sha256`` → ``intl``)."""
    for suite in SUITES.values():
        if suite.hash_name == hash_alg:
            return suite.name
    raise ErrAccessNotRecorded(f"the chain reports an unknown hash {hash_alg!r}")


def open_asset(
    ledger: Ledger,
    *,
    asset: int,
    grantee: str,
    purpose: str,
    version: int,
    key: EncryptionKey,
    blob: bytes,
) -> bytes:
    """Record the access, then return the plaintext of ``blob`` (version ``version``).

    Example::

        ledger = ClientLedger(client, grantee_signer)
        data = open_asset(ledger, asset=7, grantee=did, purpose="audit", version=2,
                          key=load_encryption_key(keystore, "bank-ka", pw), blob=blob)

    Parameters:
        key: the grantee's keyAgreement private key (sm2) the data key was wrapped to.
        blob: the encrypted payload (from the asset's location or a ``PayloadStore``).

    Raises ``ErrAccessNotRecorded`` (nothing was opened), then
    ``ErrWrongDataKey``, ``ErrDecryptionFailed`` or ``ErrPayloadMismatch``.
    """
    ledger.commit(drb.record_access(asset, grantee, purpose=purpose, version=version))
    params = {"asset": str(asset), "grantee": grantee, "version": str(version)}
    info = ledger.query("datarights/wrapped_key", params)
    record = ledger.query("datarights/asset", {"asset": str(asset)})
    suite = suite_of_hash(str(record["hash_alg"]))
    context = wrap_context(ledger.chain_id, asset, version, grantee)
    data_key = unwrap_key(bytes.fromhex(info["wrapped_key"]), key, context=context)
    if key_id_of(data_key, suite).hex() != info["key_id"]:
        raise ErrWrongDataKey(
            f"the key wrapped for {grantee} is not the key of version {version}: "
            "ask the owner to re-grant"
        )
    return decrypt_payload(
        blob,
        data_key,
        suite,
        chain_id=ledger.chain_id,
        owner=str(record["owner"]),
        version=version,
        content_hash=bytes.fromhex(info["hash"]),
    )
