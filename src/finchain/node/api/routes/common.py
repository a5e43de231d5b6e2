"""Parameters, documented error responses and lookups shared by the routers.

The OpenAPI document states every rule the API enforces and every status a
route can answer (``docs/api.md`` §3). Rules the route checks itself (with its
own ``api`` code, e.g. ``api:7`` for a bad tx id) are *documented* here with
``json_schema_extra`` or ``WithJsonSchema`` rather than enforced by FastAPI,
which would answer every violation with the one generic ``api:11``.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import WithJsonSchema

from finchain.modules.accounts.types import ACCOUNT_ID
from finchain.modules.bank.types import SYMBOL
from finchain.node.api.context import ApiContext
from finchain.node.api.encode import query_json
from finchain.node.api.errors import ErrNotFound
from finchain.node.api.models import ErrorModel
from finchain.node.api.parse import MAX_HEIGHT, TX_ID_PATTERN, parse_tx_id
from finchain.node.api.responses import JSONResponse
from finchain.service.interface import TxView

HeightParam = Annotated[
    int | None,
    Query(ge=0, le=MAX_HEIGHT, description="answer as of this committed height (default: latest)"),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_HEIGHT}),
]
#: Listings are served at the latest height only: an earlier one is a 400 ``tx:25``.
ListingHeightParam = Annotated[
    int | None,
    Query(ge=0, le=MAX_HEIGHT, description="listings: only the latest height (omit it)"),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_HEIGHT}),
]
ProveParam = Annotated[
    bool, Query(description="also return Merkle proofs of the answer against the app hash")
]

#: An account id: ``FC``, two ISO 7064 check digits, a 10-digit number (the check digits
#: are verified too, which no pattern can say: a wrong one is a 400 ``tx:25``).
ACCOUNT_PATTERN = f"^{ACCOUNT_ID.pattern}$"
SYMBOL_PATTERN = f"^{SYMBOL.pattern}$"

AccountPath = Annotated[
    str,
    Path(
        description="account id (FC + 12 digits, check digits verified)",
        json_schema_extra={"pattern": ACCOUNT_PATTERN},
    ),
]
AssetPath = Annotated[
    str, Path(description="asset symbol", json_schema_extra={"pattern": SYMBOL_PATTERN})
]
TxIdPath = Annotated[
    str,
    Path(description="tx id: 64 hex characters", json_schema_extra={"pattern": TX_ID_PATTERN}),
]
BlockHeightPath = Annotated[
    str,
    Path(description="a committed height (no leading zeros) or 'latest'"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "enum": ["latest"]},
                {"type": "integer", "minimum": 1, "maximum": MAX_HEIGHT},
            ]
        }
    ),
]

#: What each error status means, wherever it is served; the body is always ``ErrorModel``.
STATUS_NOTES: dict[int, str] = {
    400: "invalid request: a parameter or body field (api:2/5/6/7/8/11/15/16) "
    "or the chain's own code (e.g. tx:25)",
    401: "bearer token missing, invalid or expired (auth:3), or wrong credentials (auth:2)",
    403: "the user lacks the role this route group needs (auth:4)",
    404: "not found (api:9 or the chain's not-found code)",
    408: "request body not received within body_timeout + size / body_min_rate (api:16); "
    "the connection is closed",
    413: "request body over max_body_bytes (api:4)",
    415: "request body not sent as application/json (api:3)",
    423: "username or client address locked out (auth:5, auth:6); Retry-After",
    429: "too many requests, uploads or event streams in flight (api:12); Retry-After",
    500: "internal error (code 1 of a codespace): a bug or damaged storage; see the node log",
    503: "node overloaded (api:13), shutting down (node:5), mempool full (mempool:2), "
    "CometBFT unreachable (cometbft:2) or session limit (auth:7); Retry-After",
    504: "the node did not answer within request_timeout (api:14)",
}

#: Statuses any route that calls the node may answer: admission, its calls' deadline and slots.
NODE_STATUSES = (429, 500, 503, 504)
#: Statuses of any route with a request body (the admission guard and the body parser).
BODY_STATUSES = (400, 408, 413, 415)


def errors(*statuses: int, node: bool = True) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries with the error body: ``statuses``, and with ``node``
    those of a route that calls the node (``NODE_STATUSES``)."""
    every = sorted({*statuses, *(NODE_STATUSES if node else ())})
    return {status: error_response(STATUS_NOTES[status]) for status in every}


def error_response(description: str) -> dict[str, Any]:
    """One OpenAPI response with the JSON error body (whatever the route's own media type)."""
    schema = {"$ref": f"#/components/schemas/{ErrorModel.__name__}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


async def answer_query(
    ctx: ApiContext, path: str, params: dict[str, Any], height: int | None, prove: bool
) -> JSONResponse:
    """The node's answer to query ``path`` (chain errors keep their codes) as the response."""
    response = await ctx.call(
        partial(ctx.node.query, path, params, height=height, prove=prove), what=f"query {path}"
    )
    return JSONResponse(query_json(response, prove=prove))


async def committed_tx(ctx: ApiContext, tx_id: str) -> TxView:
    """The committed tx of a ``TxIdPath``; 404 when the node has none by that id."""
    raw_id = parse_tx_id(tx_id.lower())
    view = await ctx.call(partial(ctx.node.tx, raw_id), what="tx lookup")
    if view is None:
        raise ErrNotFound(
            f"no committed transaction {raw_id.hex()}: it may be pending, refused or unknown",
            tx_id=raw_id.hex(),
        )
    return view
