"""Exception handlers: every failure leaves the API as the one JSON error shape.

Request validation failures are sorted into stable ``api`` codes by the
pydantic error *type* (``json_invalid``, ``extra_forbidden``, our own
``invalid_base64``…), which pydantic keeps stable, never by message text.

An unexpected exception is answered by :class:`LastResort`, not by Starlette's
``ServerErrorMiddleware``: that one re-raises after sending its 500, and
uvicorn then logs the error a second time and closes the connection, so the
client's next request on that keep-alive connection was reset.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from finchain.errors import FinchainError
from finchain.node.api.errors import (
    ErrBadParameter,
    ErrInternal,
    ErrInvalidBase64,
    ErrInvalidBody,
    ErrMalformedJson,
    ErrMethodNotAllowed,
    ErrNotFound,
    ErrUnknownField,
    encode_error,
    error_response,
)
from finchain.node.api.responses import JSONResponse

log = logging.getLogger("finchain.api")
_PARAM_LOCATIONS = frozenset({"query", "path", "header", "cookie"})
_MAX_REPORTED = 20


def _where(error: dict[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ())[1:]) or "body"


def classify(errors: Sequence[Any]) -> FinchainError:
    """The one ``api`` error that best describes a list of pydantic validation errors."""
    found = [e for e in errors if isinstance(e, dict)]
    details = {
        "errors": [
            {"loc": [str(p) for p in e.get("loc", ())], "type": e.get("type"), "msg": e.get("msg")}
            for e in found[:_MAX_REPORTED]
        ]
    }

    def first(predicate: Any) -> dict[str, Any] | None:
        return next((e for e in found if predicate(e)), None)

    if (e := first(lambda e: e.get("type") == "json_invalid")) is not None:
        reason = e.get("ctx", {}).get("error", "")
        return ErrMalformedJson(f"request body is not valid JSON: {reason}".rstrip(": "), **details)
    if (e := first(lambda e: e.get("loc", ("",))[0] in _PARAM_LOCATIONS)) is not None:
        name = e["loc"][-1]
        return ErrBadParameter(f"parameter {name!r}: {e.get('msg')}", parameter=name, **details)
    unknown = [_where(e) for e in found if e.get("type") == "extra_forbidden"]
    if unknown:
        return ErrUnknownField(
            f"unknown field(s) {', '.join(unknown)}: check the spelling against /docs", **details
        )
    if (e := first(lambda e: e.get("type") == "invalid_base64")) is not None:
        return ErrInvalidBase64(f"{_where(e)}: {e.get('msg')}", **details)
    e = found[0] if found else {}
    return ErrInvalidBody(f"{_where(e)}: {e.get('msg', 'invalid request body')}", **details)


async def _finchain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FinchainError)
    return error_response(exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(classify(exc.errors()))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        error = ErrNotFound(f"no route {request.url.path}: see /docs for the endpoints")
    elif exc.status_code == 405:
        error = ErrMethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
    elif exc.status_code == 400:  # FastAPI's "error parsing the body" (e.g. not UTF-8)
        error = ErrMalformedJson("request body could not be parsed as UTF-8 JSON")
    else:
        error = ErrBadParameter(str(exc.detail))
    return error_response(error, headers=exc.headers)


def _internal() -> FinchainError:
    return ErrInternal("internal error: see the node log")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """Only for an error outside :class:`LastResort` (the connection then closes)."""
    log.error("unhandled error serving %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(_internal())


class LastResort:
    """Pure ASGI middleware, outermost of the app's own: an unexpected exception becomes
    the JSON 500 ``api:1``, logged once with its traceback, and the connection stays
    usable for the client's next request.

    The log names the method and path only (no query string, headers or body, where
    credentials and personal data travel); the client gets a generic message. An
    exception after the response has started cannot be answered any more: it is
    logged and the response left unfinished, which makes the server close the
    connection (the only way the client can tell the answer is incomplete).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            log.error(
                "unhandled error serving %s %s",
                scope.get("method"),
                scope.get("path"),
                exc_info=exc,
            )
            if started:
                return
            status, payload = encode_error(_internal())
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})


def install(app: FastAPI) -> None:
    app.add_exception_handler(FinchainError, _finchain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
