"""Python SDK of finchain: a typed HTTP client, message builders and signing.

Example::

    from finchain.client import Client, builders as b

    with Client("http://127.0.0.1:8640") as client:
        alice = client.signer(alice_id, [("k1", alice_key)])  # fetches chain id and nonce
        receipt = client.submit_tx(alice.sign(b.transfer((bob_id, "CNY", 25))), mode="commit")
        info = client.tx(receipt.tx_id)
        assert info.verify_inclusion(client.status().hash_name)

``AsyncClient`` is the same surface, awaited. Errors: ``finchain.client.errors``
(its docstring draws the exception tree). Builders for every message:
``finchain.client.builders``.
"""

from finchain.client import builders
from finchain.client._transport import AuthSession
from finchain.client.async_client import AsyncClient, AsyncEventStream
from finchain.client.builders import Signer
from finchain.client.client import AlertStream, Client, EventStream
from finchain.client.errors import (
    ApiError,
    AuthenticationError,
    AuthError,
    BadRequestError,
    ClientClosedError,
    ClientError,
    ConnectError,
    LockedOutError,
    NodeTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitedError,
    RequestTimeout,
    ServerError,
    TransportError,
    TxError,
    TxFailedError,
    TxRejectedError,
    TxTimeoutError,
    UnavailableError,
)
from finchain.client.regulator import Alert, RequestSigner
from finchain.client.types import (
    Account,
    Asset,
    Balance,
    Balances,
    Block,
    Proof,
    ProofEntry,
    QueryResult,
    Status,
    StreamEvent,
    SubmitReceipt,
    TxInfo,
)

__all__ = [
    "Account",
    "Alert",
    "AlertStream",
    "ApiError",
    "Asset",
    "AsyncClient",
    "AsyncEventStream",
    "AuthError",
    "AuthSession",
    "AuthenticationError",
    "BadRequestError",
    "Balance",
    "Balances",
    "Block",
    "Client",
    "ClientClosedError",
    "ClientError",
    "ConnectError",
    "EventStream",
    "LockedOutError",
    "NodeTimeoutError",
    "NotFoundError",
    "PermissionDeniedError",
    "Proof",
    "ProofEntry",
    "ProtocolError",
    "QueryResult",
    "RateLimitedError",
    "RequestSigner",
    "RequestTimeout",
    "ServerError",
    "Signer",
    "Status",
    "StreamEvent",
    "SubmitReceipt",
    "TransportError",
    "TxError",
    "TxFailedError",
    "TxInfo",
    "TxRejectedError",
    "TxTimeoutError",
    "UnavailableError",
    "builders",
]
