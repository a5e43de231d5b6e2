"""The regulator's index-backed views: flows between institutions, an account's history,
past alerts and reports (CSV, JSON, PDF), read from the node's SQL index.

The index (``finchain.indexer``, filled by ``finchain index run``) is configured per
node (``[indexer] db``); these routes only read it, one connection per request on a
worker thread (an ``Index`` is not shared between threads). Each answer names the
index's ``indexed_height``: what it says is true of the chain up to that block.
A node without an index answers 503 with what to configure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar, cast

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from finchain.errors import register
from finchain.indexer import Index, IndexerError, open_index, render
from finchain.indexer.reports import FORMATS, MAX_LIMIT
from finchain.node.api.context import ApiContext, Ctx
from finchain.node.api.errors import ErrBadParameter
from finchain.node.api.regulator_auth import Regulator
from finchain.node.api.responses import JSONResponse
from finchain.node.api.routes.common import AccountPath, error_response
from finchain.node.api.routes.regulator import REGULATOR_ERRORS

T = TypeVar("T")
CODESPACE = "regindex"
ErrNoIndex = register(CODESPACE, 2, "this node has no SQL index configured")
ErrIndexUnavailable = register(CODESPACE, 3, "the node's SQL index cannot be read")

router = APIRouter(prefix="/regulator", tags=["regulator"])
INDEX_ERRORS = {
    **REGULATOR_ERRORS,
    503: error_response(
        "no index configured (regindex:2) or it cannot be read (regindex:3); node overloaded "
        "or shutting down (api:13, node:5)"
    ),
}
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json", "pdf": "application/pdf"}
_TIME_DOC = "RFC 3339 time with a zone, or nanoseconds since the epoch"
FromParam = Annotated[
    str, Query(alias="from", max_length=40, description=f"inclusive; {_TIME_DOC}")
]
ToParam = Annotated[str, Query(alias="to", max_length=40, description=f"exclusive; {_TIME_DOC}")]
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"at most {MAX_LIMIT}")]
NAME = re.compile("[a-z0-9_]{1,64}")
MAX_TIME_NS = 2**63 - 1


def time_param(text: str, name: str) -> int | None:
    """Nanoseconds since the epoch from digits or an RFC 3339 time with a zone; "" : None."""
    if not text:
        return None
    value = _parse_time(text, name)
    if value > MAX_TIME_NS:
        raise ErrBadParameter(
            f"{name} is past the last time a block can carry (2262-04-11, int64 ns)",
            parameter=name,
        )
    return value


def _parse_time(text: str, name: str) -> int:
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None or moment.year < 1970:
        raise ErrBadParameter(
            f"{name} {text[:40]!r} must be an RFC 3339 time with a zone after 1970, like "
            "2027-01-04T00:00:00Z, or nanoseconds since the epoch",
            parameter=name,
        )
    delta = moment - datetime.fromisoformat("1970-01-01T00:00:00+00:00")
    return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000


def time_range(from_: str, to: str) -> tuple[int | None, int | None]:
    start, end = time_param(from_, "from"), time_param(to, "to")
    if start is not None and end is not None and end <= start:
        raise ErrBadParameter("'to' must be later than 'from' (the range is [from, to))")
    return start, end


def index_url(request: Request) -> str:
    return cast(str, getattr(request.app.state, "finchain_index_url", ""))


async def read_index(ctx: ApiContext, url: str, read: Callable[[Index], T], what: str) -> T:
    """``read(index)`` on a worker thread with its own connection; the node's error codes."""
    if not url:
        raise ErrNoIndex(
            "this node serves no SQL index: set [indexer] db in its config.toml to the "
            "database `finchain index run` fills, and restart it"
        )

    def work() -> T:
        try:
            with open_index(url) as index:
                return read(index)
        except IndexerError as exc:
            raise ErrIndexUnavailable(f"{exc}") from None

    return await ctx.call(work, what=what)


@router.get(
    "/flows",
    summary="Transfers between institutions in a time range: count and total per pair and asset",
    responses=INDEX_ERRORS,
)
async def flows(
    regulator: Regulator,
    ctx: Ctx,
    request: Request,
    from_: FromParam = "",
    to: ToParam = "",
    asset: Annotated[str, Query(max_length=64, description="only this asset")] = "",
) -> JSONResponse:
    start, end = time_range(from_, to)

    def read(index: Index) -> dict[str, Any]:
        found = index.flows(start, end, asset or None)
        return {
            "indexed_height": index.last_indexed_height(),
            "from_ns": start,
            "to_ns": end,
            "flows": [{**f, "total": str(f["total"])} for f in found],
        }

    return JSONResponse(await read_index(ctx, index_url(request), read, "index flows"))


@router.get(
    "/accounts/{account}/history",
    summary="Every indexed event naming the account, in chain order (paged by whole blocks)",
    responses=INDEX_ERRORS,
)
async def history(
    account: AccountPath,
    regulator: Regulator,
    ctx: Ctx,
    request: Request,
    after_height: Annotated[int, Query(ge=0, description="the previous page's next")] = 0,
    limit: LimitParam = 100,
) -> JSONResponse:
    def read(index: Index) -> dict[str, Any]:
        items = index.account_history(account, limit=limit, after_height=after_height)
        return {
            "indexed_height": index.last_indexed_height(),
            "account": account,
            "items": items,
            "next_after_height": items[-1]["height"] if items else None,
        }

    return JSONResponse(await read_index(ctx, index_url(request), read, "index history"))


@router.get(
    "/alerts",
    summary="Past alerts from the index, in chain order (paged by alert id)",
    responses=INDEX_ERRORS,
)
async def alerts(
    regulator: Regulator,
    ctx: Ctx,
    request: Request,
    report_type: Annotated[str, Query(max_length=64, pattern="^[a-z0-9_]*$")] = "",
    from_: FromParam = "",
    to: ToParam = "",
    after_id: Annotated[int, Query(ge=0, description="the previous page's next_after_id")] = 0,
    limit: LimitParam = 100,
) -> JSONResponse:
    start, end = time_range(from_, to)

    def read(index: Index) -> dict[str, Any]:
        found = index.alerts(
            report_type=report_type or None,
            from_ns=start,
            to_ns=end,
            after_id=after_id or None,
            limit=limit,
        )
        return {
            "indexed_height": index.last_indexed_height(),
            "alerts": [{**a, "amount": str(a["amount"])} for a in found],
            "next_after_id": found[-1]["id"] if len(found) == limit else None,
        }

    return JSONResponse(await read_index(ctx, index_url(request), read, "index alerts"))


@router.get(
    "/reports/{report_type}",
    summary="A report of one alert report type (or 'flows') over a time range, with "
    "statistics per rule and per institution: CSV, JSON or PDF",
    responses={
        200: {
            "description": "the report file",
            "content": {media: {} for media in MEDIA.values()},
        },
        **INDEX_ERRORS,
    },
    response_class=Response,
)
async def report(
    report_type: str,
    regulator: Regulator,
    ctx: Ctx,
    request: Request,
    from_: FromParam = "",
    to: ToParam = "",
    fmt: Annotated[
        str, Query(alias="format", max_length=8, description="csv, json or pdf")
    ] = "json",
) -> Response:
    """``flows`` is the flows between institutions; any other name an alert report type
    (``large_value``, ``structuring``…). The file is the indexer's, byte for byte."""
    if not NAME.fullmatch(report_type):
        raise ErrBadParameter(
            f"report type {report_type[:40]!r} must be snake_case (a-z, 0-9, _)",
            parameter="report_type",
        )
    if fmt not in FORMATS:
        raise ErrBadParameter(f"format must be one of {', '.join(FORMATS)}", parameter="format")
    start, end = time_range(from_, to)

    def read(index: Index) -> tuple[bytes, int]:
        made = index.report(report_type, start, end)
        return render(made, fmt), index.last_indexed_height()

    data, height = await read_index(ctx, index_url(request), read, "index report")
    name = f"{report_type}.{fmt}"
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Indexed-Height": str(height),
        },
    )
