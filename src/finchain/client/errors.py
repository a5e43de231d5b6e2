"""Exceptions raised by the SDK; every one says what failed and what to do.

Exception tree::

    ClientError                 any SDK error; .message
    ├── ClientClosedError       the client was closed: create a new one
    ├── TransportError          no usable answer from the node (after retries); .method .url
    │   ├── ConnectError        could not connect: is the node running, is the URL right?
    │   └── RequestTimeout      no answer within the client's timeout
    ├── ProtocolError           the answer is not the finchain API (wrong URL, proxy page)
    ├── ApiError                the node answered with an error; .status .code .codespace
    │   │                       .message .details; .matches(ErrorCode)
    │   ├── BadRequestError     4xx: the request is wrong; fix it, do not retry
    │   │   ├── NotFoundError   404: no such tx, block, account, asset or route
    │   │   └── AuthError       the node's user authentication refused the request
    │   │       ├── AuthenticationError  401: log in (again): no, invalid or expired token,
    │   │       │                        or wrong username or password
    │   │       ├── PermissionDeniedError  403: the user lacks the role
    │   │       └── LockedOutError  423: too many failed logins; .retry_after seconds
    │   ├── RateLimitedError    429: too many requests in flight; back off and retry
    │   └── ServerError         5xx
    │       ├── UnavailableError    503: node overloaded or shutting down; retry later
    │       └── NodeTimeoutError    504: the node did not answer within its request timeout
    └── TxError                 a submitted transaction did not succeed; .tx_id .code
        │                       .codespace .receipt
        ├── TxRejectedError     check_tx refused it: it never entered the mempool
        ├── TxFailedError       included in a block but its execution failed (nonce used)
        └── TxTimeoutError      not committed within the wait; it may still be

Matching a chain error::

    from finchain.modules.accounts.errors import ErrAccountNotFound
    try:
        client.account("FC00...")
    except NotFoundError as exc:
        if exc.matches(ErrAccountNotFound): ...

GET requests are retried on TransportError, 429, 502, 503 and 504; submissions on
the same and 500, but not after a read timeout (the node has the request). A
resubmission is safe: the node never executes one tx id twice, and the client
looks up a tx the node refuses because of an earlier attempt (``mempool:3``,
``tx:13``), so the receipt says committed, admitted or undecided (TxTimeoutError),
never a refusal of a tx that went through (docs/api.md §5). After a TransportError
on a submission, look the tx up with ``client.tx(tx_id)`` or ``wait_for_tx``
before signing anything that reuses its nonce.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from finchain.client.types import SubmitReceipt
    from finchain.errors import ErrorCode

__all__ = [
    "ApiError",
    "AuthError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ClientError",
    "ConnectError",
    "LockedOutError",
    "NodeTimeoutError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitedError",
    "RequestTimeout",
    "ServerError",
    "TransportError",
    "TxError",
    "TxFailedError",
    "TxRejectedError",
    "TxTimeoutError",
    "UnavailableError",
]


class ClientError(Exception):
    """Base of every SDK error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ClientClosedError(ClientError):
    pass


class TransportError(ClientError):
    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class ConnectError(TransportError):
    pass


class RequestTimeout(TransportError):
    pass


class ProtocolError(ClientError):
    pass


class _CodedError(ClientError):
    """An error with a registered ``(codespace, code)``: the stable way to tell errors apart."""

    def __init__(self, message: str, *, code: int, codespace: str) -> None:
        super().__init__(message)
        self.code = code
        self.codespace = codespace

    def matches(self, error: ErrorCode) -> bool:
        """True if this is ``error`` (a registered code such as ``ErrAccountNotFound``)."""
        return (self.codespace, self.code) == (error.codespace, error.code)


class ApiError(_CodedError):
    """An error answer of the node: ``(codespace, code)`` is stable, the status a hint."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: int,
        codespace: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=code, codespace=codespace)
        self.status = status
        self.details = dict(details or {})

    def __str__(self) -> str:
        return f"[{self.codespace}:{self.code}] {self.message} (HTTP {self.status})"


class BadRequestError(ApiError):
    pass


class NotFoundError(BadRequestError):
    pass


class AuthError(BadRequestError):
    pass


class AuthenticationError(AuthError):
    pass


class PermissionDeniedError(AuthError):
    pass


class LockedOutError(AuthError):
    """Refused until the lockout ends (``retry_after`` seconds) or an administrator unlocks."""

    @property
    def retry_after(self) -> int | None:
        value = self.details.get("retry_after")
        return value if isinstance(value, int) and not isinstance(value, bool) else None


class RateLimitedError(ApiError):
    pass


class ServerError(ApiError):
    pass


class UnavailableError(ServerError):
    pass


class NodeTimeoutError(ServerError):
    pass


class TxError(_CodedError):
    """A transaction that did not succeed; ``receipt`` is what the node reported."""

    def __init__(
        self, message: str, *, tx_id: str, code: int, codespace: str, receipt: SubmitReceipt | None
    ) -> None:
        super().__init__(message, code=code, codespace=codespace)
        self.tx_id = tx_id
        self.receipt = receipt

    def __str__(self) -> str:
        return f"[{self.codespace}:{self.code}] tx {self.tx_id}: {self.message}"


class TxRejectedError(TxError):
    pass


class TxFailedError(TxError):
    pass


class TxTimeoutError(TxError):
    pass


#: The exception of each HTTP status that has its own; otherwise ServerError (5xx) or
#: BadRequestError.
_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    423: LockedOutError,
    429: RateLimitedError,
    503: UnavailableError,
    504: NodeTimeoutError,
}


def api_error(status: int, body: dict[str, Any]) -> ApiError:
    """The exception for an error answer (``body`` already checked to have the fields)."""
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else BadRequestError)
    return cls(
        body["message"],
        status=status,
        code=body["code"],
        codespace=body["codespace"],
        details=body.get("details") or {},
    )
