"""Assembling the FastAPI application over any ``NodeService``."""

from __future__ import annotations

from fastapi import FastAPI

from finchain.node.api import handlers, openapi
from finchain.node.api.calls import NodeCalls
from finchain.node.api.context import ApiContext
from finchain.node.api.fastsubmit import FastSubmit
from finchain.node.api.guard import Gate, Guard
from finchain.node.api.limits import ApiLimits
from finchain.node.api.regulator_auth import RegulatorAuth
from finchain.node.api.routes import auth as auth_routes
from finchain.node.api.routes import (
    chain,
    events,
    evidence,
    finance,
    regulator_index,
    resolver,
    state,
    txs,
)
from finchain.node.api.routes import receipts as receipt_routes
from finchain.node.api.routes import regulator as regulator_routes
from finchain.node.auth.gate import AuthGate
from finchain.node.auth.service import Authenticator
from finchain.service.interface import NodeService

API_VERSION = "1"
DESCRIPTION = """The HTTP API of a finchain node.

Errors always have the body `{"code", "codespace", "message", "details"}`; match
on `(codespace, code)`. Hashes and ids are lowercase hex, raw transactions
standard padded base64, amounts decimal strings, heights integers.
See docs/api.md for the error codes and limits.
"""


def create_app(
    node: NodeService,
    *,
    limits: ApiLimits | None = None,
    auth: Authenticator | None = None,
    index_url: str = "",
) -> FastAPI:
    """The API app; the caller owns ``node`` (starts it before serving, stops it after).

    Example::

        node = open_solo_node(home, instant=True)
        node.start()
        uvicorn.run(create_app(node, limits=ApiLimits()), port=8640,
                    timeout_graceful_shutdown=5)  # ends open event streams on exit

    Parameters:
        node: any implementation of ``NodeService`` (solo or CometBFT).
        limits: request bounds; ``ApiLimits()`` defaults when omitted.
        auth: user logins (``[api.auth]``): adds ``/v1/auth/*`` and puts the route
            groups of ``required_for`` behind bearer tokens. None: no authentication.
        index_url: the SQL index (``[indexer] db``) the regulator's report routes read;
            "" : none, those routes answer 503.
    """
    limits = limits or ApiLimits()
    app = FastAPI(
        title="finchain node API",
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    openapi.install(app, limits=limits, auth=auth)
    gate = Gate()
    app.state.finchain = ApiContext(
        node=node, limits=limits, gate=gate, calls=NodeCalls(limits.max_concurrency)
    )
    for module in (txs, chain, state, events, evidence, finance):
        app.include_router(module.router, prefix="/v1")
    app.include_router(receipt_routes.router, prefix="/v1")
    app.state.finchain_regulator = RegulatorAuth()  # per-request signatures of regulators
    app.state.finchain_index_url = index_url
    app.include_router(regulator_routes.router, prefix="/v1")
    app.include_router(regulator_index.router, prefix="/v1")
    app.include_router(resolver.router)  # the DIF driver path has no /v1
    handlers.install(app)
    app.add_middleware(FastSubmit, node=node, limits=limits)  # behind Guard: body already read
    app.add_middleware(Guard, limits=limits, gate=gate, router=app.router)
    if auth is not None:
        app.state.finchain_auth = auth_routes.AuthContext(
            auth, NodeCalls(auth_routes.MAX_CONCURRENT_LOGINS)
        )
        app.include_router(auth_routes.router, prefix="/v1")
        app.add_middleware(AuthGate, auth=auth)  # before admission and body reads
    app.add_middleware(handlers.LastResort)  # outermost: catches what every layer raises
    return app
