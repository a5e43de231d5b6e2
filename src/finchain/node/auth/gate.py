"""The ASGI layer that puts route groups behind bearer tokens (``[api.auth] required_for``).

It sits in front of everything else, so a request without a valid token is
refused before its body is read or it takes an admission slot. Route groups:
``read`` is every GET (and HEAD) under ``/v1`` including the event stream,
and DID resolution under ``/1.0/identifiers/``;
``submit`` is every other method, so a write endpoint added later is
protected by default. ``/v1/health`` and ``/v1/auth/*`` (which check tokens
themselves) are never gated; neither are ``/docs`` and ``/openapi.json``.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from finchain.errors import FinchainError
from finchain.node.api.errors import error_response, http_status
from finchain.node.auth.errors import ErrAuthStore
from finchain.node.auth.service import Authenticator

log = logging.getLogger("finchain.auth")
REALM = 'Bearer realm="finchain"'
_READ_METHODS = frozenset({"GET", "HEAD"})
_OPEN_PATHS = frozenset({"/v1/health"})
RESOLVER_PREFIX = "/1.0/identifiers/"  # DID resolution reads state like any GET under /v1


def route_group(method: str, path: str) -> str | None:
    """The group a request belongs to, or None when no token is ever needed."""
    if path.startswith(RESOLVER_PREFIX):
        return "read"
    if not path.startswith("/v1/") or path in _OPEN_PATHS or path.startswith("/v1/auth/"):
        return None
    return "read" if method in _READ_METHODS else "submit"


def bearer_token(value: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def auth_headers(exc: FinchainError, *, token_given: bool) -> dict[str, str]:
    """``WWW-Authenticate`` for 401/403 (RFC 6750) and ``Retry-After`` for a lockout."""
    status = http_status(exc.codespace, exc.code)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = REALM + (', error="invalid_token"' if token_given else "")
    elif status == 403:
        headers["WWW-Authenticate"] = REALM + ', error="insufficient_scope"'
    retry_after = exc.details.get("retry_after")
    if isinstance(retry_after, int):
        headers["Retry-After"] = str(retry_after)
    return headers


def store_failure(exc: FinchainError) -> FinchainError:
    """Log a broken user or lockout file in full; tell the client only that it is the node's."""
    log.error("authentication store unusable: %s", exc.message)
    return ErrAuthStore("the node cannot read its user store: its operator must check the log")


class AuthGate:
    """Pure ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, *, auth: Authenticator) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        group = (
            route_group(scope.get("method", ""), scope.get("path", ""))
            if scope["type"] == "http"
            else None
        )
        if group is None or not self.auth.required(group):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        raw = headers.get(b"authorization")
        token = bearer_token(None if raw is None else raw.decode("latin-1"))
        try:
            self.auth.authorize(token, group)
        except FinchainError as exc:
            if ErrAuthStore.matches(exc):
                exc = store_failure(exc)
            response_headers = auth_headers(exc, token_given=token is not None)
            if scope.get("method") not in _READ_METHODS:
                response_headers["Connection"] = "close"  # the body is left unread
            await error_response(exc, headers=response_headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)
