"""User login and logout (only when ``[api.auth] enabled``): bearer tokens for the other routes.

Login runs scrypt, which is slow and memory-hard by design, on a small pool
of its own (``MAX_CONCURRENT_LOGINS`` threads): a flood of logins gets 503
quickly instead of exhausting the node's memory or starving its other calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from finchain.errors import FinchainError
from finchain.node.api.calls import NodeCalls
from finchain.node.api.context import Ctx
from finchain.node.api.errors import error_response
from finchain.node.api.jsonbody import StrictJsonRoute
from finchain.node.api.responses import JSONResponse
from finchain.node.api.routes.common import BODY_STATUSES, errors
from finchain.node.auth.errors import ErrAuthStore
from finchain.node.auth.gate import auth_headers, bearer_token, store_failure
from finchain.node.auth.passwords import MAX_PASSWORD_CHARS
from finchain.node.auth.service import Authenticator, Principal, iso_time

router = APIRouter(tags=["auth"], route_class=StrictJsonRoute)
#: scrypt runs at once, each 128 MiB at the default cost.
MAX_CONCURRENT_LOGINS = 2


@dataclass
class AuthContext:
    auth: Authenticator
    logins: NodeCalls


def get_auth(request: Request) -> AuthContext:
    return cast(AuthContext, request.app.state.finchain_auth)


Auth = Annotated[AuthContext, Depends(get_auth)]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    password: str = Field(max_length=MAX_PASSWORD_CHARS, repr=False)


class LoginModel(BaseModel):
    token: str
    token_type: str
    expires_at: str
    expires_in: int
    username: str
    roles: list[str]


class SessionModel(BaseModel):
    username: str
    roles: list[str]
    expires_at: str


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _refusal(exc: FinchainError, *, token_given: bool) -> JSONResponse:
    if ErrAuthStore.matches(exc):
        exc = store_failure(exc)
    return error_response(exc, headers=auth_headers(exc, token_given=token_given))


@router.post(
    "/auth/login",
    summary="Log in with username and password; returns a bearer token",
    responses={200: {"model": LoginModel}, **errors(*BODY_STATUSES, 401, 423)},
)
async def login(body: LoginRequest, request: Request, ctx: Ctx, auth: Auth) -> JSONResponse:
    """The same 401 answers an unknown user, a wrong password and a disabled user.

    After ``max_failures`` failures in a row the username is locked (423 with
    ``Retry-After``), even for the right password, until the lockout ends or an
    administrator runs ``finchain users unlock``.
    """
    try:
        grant = await auth.logins.run(
            partial(auth.auth.login, body.username, body.password, address=client_address(request)),
            timeout=ctx.limits.request_timeout,
            what="login",
        )
    except FinchainError as exc:
        return _refusal(exc, token_given=False)
    payload: dict[str, Any] = {
        "token": grant.token,
        "token_type": "Bearer",
        "expires_at": iso_time(grant.expires_at),
        "expires_in": auth.auth.settings.token_ttl_seconds,
        "username": grant.username,
        "roles": list(grant.roles),
    }
    return JSONResponse(payload, headers={"Cache-Control": "no-store"})


@router.post(
    "/auth/logout",
    summary="End the session of the bearer token",
    # No node call (no 503/504); the body, even empty, passes the admission guard.
    responses={200: {"model": SessionModel}, **errors(*BODY_STATUSES, 401, 429, 500, node=False)},
)
async def logout(request: Request, auth: Auth) -> JSONResponse:
    token = bearer_token(request.headers.get("authorization"))
    try:
        principal = auth.auth.logout(token, address=client_address(request))
    except FinchainError as exc:
        return _refusal(exc, token_given=token is not None)
    return JSONResponse(_session_json(principal))


@router.get(
    "/auth/session",
    summary="Who the bearer token belongs to, its roles and when it expires",
    responses={200: {"model": SessionModel}, **errors(401, 429, 500, node=False)},
)
async def session(request: Request, auth: Auth) -> JSONResponse:
    token = bearer_token(request.headers.get("authorization"))
    try:
        principal = auth.auth.authenticate(token)
    except FinchainError as exc:
        return _refusal(exc, token_given=token is not None)
    return JSONResponse(_session_json(principal))


def _session_json(principal: Principal) -> dict[str, Any]:
    return {
        "username": principal.username,
        "roles": list(principal.roles),
        "expires_at": iso_time(principal.expires_at),
    }
