"""Error codes of the HTTP API (codespace ``api``) and the one JSON shape every error takes.

Every error response, whatever raised it, has the body::

    {"code": 4, "codespace": "api", "message": "what went wrong and what to do", "details": {}}

Chain errors keep the ``(codespace, code)`` the application gave them, so a
client matches ``bank:4`` the same whether it came from check_tx or a query.
Errors of the API itself (bad input, limits) use codespace ``api``. The HTTP
status is derived from the code, never the other way round: clients should
match on ``(codespace, code)``, the status is a hint for proxies and retries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from finchain.errors import ErrorCode, FinchainError, internal, register
from finchain.node.api.encode import to_json
from finchain.node.api.responses import JSONResponse

ErrInternal = internal("api")
ErrMalformedJson = register("api", 2, "request body is not valid JSON")
ErrContentType = register("api", 3, "unsupported content type: send application/json")
ErrBodyTooLarge = register("api", 4, "request body too large")
ErrUnknownField = register("api", 5, "request body has a field the endpoint does not take")
ErrInvalidBody = register("api", 6, "request body has a missing or mistyped field")
ErrInvalidHex = register("api", 7, "invalid hex string")
ErrInvalidBase64 = register("api", 8, "invalid base64 string")
ErrNotFound = register("api", 9, "not found")
ErrMethodNotAllowed = register("api", 10, "method not allowed on this path")
ErrBadParameter = register("api", 11, "invalid path or query parameter")
ErrTooManyRequests = register("api", 12, "too many requests in flight; retry with backoff")
ErrOverloaded = register("api", 13, "node overloaded; retry with backoff")
ErrTimeout = register("api", 14, "the node did not answer within the request timeout")
ErrBatchTooLarge = register("api", 15, "too many transactions in one batch")
ErrRequestTimeout = register("api", 16, "the request was not received within its deadline")
ErrBadRequest = register("api", 17, "malformed HTTP request")
ErrHeadTooLarge = register("api", 18, "request head too large")
ErrDuplicateKey = register("api", 19, "request body has a duplicate key in an object")

_API_STATUS: dict[ErrorCode, int] = {
    ErrInternal: 500,
    ErrMalformedJson: 400,
    ErrContentType: 415,
    ErrBodyTooLarge: 413,
    ErrUnknownField: 400,
    ErrInvalidBody: 400,
    ErrInvalidHex: 400,
    ErrInvalidBase64: 400,
    ErrNotFound: 404,
    ErrMethodNotAllowed: 405,
    ErrBadParameter: 400,
    ErrTooManyRequests: 429,
    ErrOverloaded: 503,
    ErrTimeout: 504,
    ErrBatchTooLarge: 400,
    ErrRequestTimeout: 408,
    ErrBadRequest: 400,
    ErrHeadTooLarge: 431,
    ErrDuplicateKey: 400,
}

# Chain and node codes whose meaning is "no such thing" or "try later"; every other
# registered code is a client error (400) except each codespace's internal code 1 (500).
_CHAIN_STATUS: dict[tuple[str, int], int] = {
    ("accounts", 4): 404,  # account not found
    ("bank", 2): 404,  # unknown asset
    ("evidence", 3): 404,  # no evidence recorded for the hash
    ("settlement", 2): 404,  # unknown instruction
    ("escrow", 2): 404,  # unknown escrow
    ("netting", 2): 404,  # unknown clearing cycle
    ("securities", 4): 404,  # unknown security
    ("securities", 19): 404,  # no payment of that index
    ("lending", 2): 404,  # unknown loan
    ("receivables", 2): 404,  # unknown invoice (id or document hash)
    ("tx", 24): 404,  # unknown query path
    ("node", 5): 503,  # shutting down
    ("node", 7): 503,  # block production halted: submit to another node
    ("store", 7): 500,  # the node's database failed (I/O)
    ("store", 8): 500,  # the node's database is damaged: never a value
    ("node", 6): 404,  # not found
    ("mempool", 2): 503,  # mempool full
    ("cometbft", 2): 503,  # the node's CometBFT unreachable
    ("auth", 2): 401,  # invalid username or password
    ("auth", 3): 401,  # bearer token missing, invalid or expired
    ("auth", 4): 403,  # the user lacks the role
    ("auth", 5): 423,  # username locked out
    ("auth", 6): 423,  # client address locked out
    ("auth", 7): 503,  # session limit reached
    ("auth", 13): 500,  # the node's user or lockout file is broken
    # regulator request signatures (node.api.regulator_auth): 401 prove, 403 not allowed
    **{("regauth", code): 401 for code in range(2, 10)},
    ("regauth", 10): 403,  # the signing account is frozen or closed
    ("regauth", 11): 403,  # the signing account is not a regulator
    ("regauth", 12): 503,  # replay cache full
    ("regindex", 2): 503,  # the node has no SQL index configured
    ("regindex", 3): 503,  # the node's SQL index cannot be read
}

#: Errors after which the same request may succeed later; they carry ``Retry-After``.
RETRYABLE_STATUS = frozenset({429, 503})


def http_status(codespace: str, code: int) -> int:
    """The HTTP status an error with this code is served with."""
    if codespace == "api":
        for error, status in _API_STATUS.items():
            if error.code == code:
                return status
    if code == 1:
        return 500
    return _CHAIN_STATUS.get((codespace, code), 400)


def error_body(
    codespace: str, code: int, message: str, details: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "code": code,
        "codespace": codespace,
        "message": message,
        "details": dict(details or {}),
    }


def encode_error(exc: FinchainError) -> tuple[int, bytes]:
    """The HTTP status and the JSON body bytes of ``exc``, for code below the framework."""
    body = error_body(exc.codespace, exc.code, exc.message, to_json(exc.details))
    return http_status(exc.codespace, exc.code), json.dumps(body).encode()


def error_response(exc: FinchainError, *, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The JSON response for a registered error, with ``Retry-After`` when retrying helps."""
    status = http_status(exc.codespace, exc.code)
    all_headers = dict(headers or {})
    if status in RETRYABLE_STATUS:
        all_headers.setdefault("Retry-After", "1")
    body = error_body(exc.codespace, exc.code, exc.message, to_json(exc.details))
    return JSONResponse(body, status_code=status, headers=all_headers)
