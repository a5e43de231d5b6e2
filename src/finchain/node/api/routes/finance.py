"""Open-finance reads: resource routes over the settlement, escrow, netting, securities,
lending and receivables queries.

Each route answers exactly what ``GET /v1/query/{path}`` answers for its query
path (docs/api.md "Open finance"); the route only names the resource in the URL.
Reads of one record by id take ``?height=`` and ``?prove=true`` (proofs of the
state entries read, against the app hash); listings and schedules iterate
state, so they are served at the latest height only and cannot be proven. An
unknown id is the module's not-found code (404), a malformed one a 400: the
query checks ids itself (``tx:25``), FastAPI only bounds their length so that
an oversized value never reaches the node.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import WithJsonSchema

from finchain.modules.escrow.types import STATUSES
from finchain.modules.evidence.types import HASH_ALGS, HASH_BYTES
from finchain.modules.securities.types import ISIN_SHAPE, MAX_PAYMENTS
from finchain.node.api.context import Ctx
from finchain.node.api.errors import ErrBadParameter
from finchain.node.api.models import QueryModel
from finchain.node.api.responses import JSONResponse
from finchain.node.api.routes.common import (
    ACCOUNT_PATTERN,
    HeightParam,
    ListingHeightParam,
    ProveParam,
    answer_query,
    errors,
)

router = APIRouter(tags=["finance"])
_DOC = {200: {"model": QueryModel}, **errors(400, 404)}
_LISTING_DOC = {200: {"model": QueryModel}, **errors(400)}  # an unknown account lists nothing
_MAX_ID = 2**63 - 1
#: Longer than any valid value of these parameters; beyond it FastAPI answers ``api:11``.
_MAX_LEN = 64
#: An ISIN's shape; the check digit (ISO 6166) is verified too, which no pattern can say.
ISIN_PATTERN = f"^{ISIN_SHAPE.pattern}$"


IdPath = Annotated[
    str,
    Path(max_length=_MAX_LEN, description="the record's id (a decimal number)"),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": _MAX_ID}),
]
AccountFilter = Annotated[
    str | None,
    Query(max_length=_MAX_LEN, description="account id (FC + 12 digits, check digits verified)"),
    WithJsonSchema({"type": "string", "pattern": ACCOUNT_PATTERN}),
]
AccountParam = Annotated[
    str,
    Query(max_length=_MAX_LEN, description="account id (FC + 12 digits, check digits verified)"),
    WithJsonSchema({"type": "string", "pattern": ACCOUNT_PATTERN}),
]
IsinPath = Annotated[
    str,
    Path(
        max_length=_MAX_LEN,
        description="ISIN (ISO 6166, check digit verified)",
        json_schema_extra={"pattern": ISIN_PATTERN},
    ),
]
PaymentPath = Annotated[
    str,
    Path(max_length=_MAX_LEN, description="index of the payment in the security's schedule"),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_PAYMENTS + 1}),
]
TimeParam = Annotated[
    str | None,
    Query(
        max_length=_MAX_LEN,
        description="nanoseconds since the epoch, not before the loan's last change "
        "(default: that change)",
    ),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": _MAX_ID}),
]
Limit200 = Annotated[
    str | None,
    Query(max_length=_MAX_LEN, description="entries per page (default 50)"),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 200}),
]
Limit1000 = Annotated[
    str | None,
    Query(max_length=_MAX_LEN, description="entries per page (default 100)"),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 1_000}),
]
IdCursor = Annotated[
    str | None,
    Query(max_length=_MAX_LEN, description="next_cursor of the previous page"),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": _MAX_ID}),
]


def _given(**params: Any) -> dict[str, Any]:
    """The parameters the client gave (FastAPI passes None for the others)."""
    return {name: value for name, value in params.items() if value is not None}


# -- settlement -----------------------------------------------------------------------------------


@router.get(
    "/settlement/instructions/{instruction_id}",
    summary="A settlement instruction: legs, status, lots settled, last failure reason",
    responses=_DOC,
)
async def instruction(
    instruction_id: IdPath, ctx: Ctx, height: HeightParam = None, prove: ProveParam = False
) -> JSONResponse:
    return await answer_query(ctx, "settlement/instruction", {"id": instruction_id}, height, prove)


@router.get(
    "/settlement/instructions",
    summary="A page of the instructions a party authorised, by reference",
    responses=_LISTING_DOC,
)
async def instructions(
    ctx: Ctx,
    party: AccountParam,
    limit: Limit200 = None,
    after: Annotated[
        str | None,
        Query(max_length=_MAX_LEN, description="next of the previous page (a reference)"),
    ] = None,
    height: ListingHeightParam = None,
) -> JSONResponse:
    params = _given(party=party, limit=limit, after=after)
    return await answer_query(ctx, "settlement/by_party", params, height, False)


# -- escrow ---------------------------------------------------------------------------------------


@router.get(
    "/escrows/{escrow_id}",
    summary="An escrow: conditions, approvals, status (and preimage once released)",
    responses=_DOC,
)
async def escrow(
    escrow_id: IdPath, ctx: Ctx, height: HeightParam = None, prove: ProveParam = False
) -> JSONResponse:
    return await answer_query(ctx, "escrow/escrow", {"id": escrow_id}, height, prove)


@router.get(
    "/escrows",
    summary="A page of the escrows of a payer or of a payee (exactly one), by id",
    responses=_LISTING_DOC,
)
async def escrows(
    ctx: Ctx,
    payer: AccountFilter = None,
    payee: AccountFilter = None,
    status: Annotated[
        str | None,
        Query(max_length=_MAX_LEN, description="only escrows in this status"),
        WithJsonSchema({"type": "string", "enum": list(STATUSES)}),
    ] = None,
    limit: Limit200 = None,
    cursor: IdCursor = None,
    height: ListingHeightParam = None,
) -> JSONResponse:
    if (payer is None) == (payee is None):
        raise ErrBadParameter("give exactly one of 'payer' or 'payee'", parameter="payer")
    role, account = ("payer", payer) if payer is not None else ("payee", payee)
    params = _given(**{role: account}, status=status, limit=limit, cursor=cursor)
    return await answer_query(ctx, f"escrow/by_{role}", params, height, False)


# -- netting --------------------------------------------------------------------------------------


@router.get(
    "/netting/cycles/{cycle_id}",
    summary="A clearing cycle; once settled its report (gross, net, saved) and each "
    "member's net (a settled cycle's positions are a listing: prove it while open)",
    responses=_DOC,
)
async def cycle(
    cycle_id: IdPath, ctx: Ctx, height: HeightParam = None, prove: ProveParam = False
) -> JSONResponse:
    return await answer_query(ctx, "netting/cycle", {"cycle": cycle_id}, height, prove)


@router.get(
    "/netting/cycles/{cycle_id}/unsettled",
    summary="A page of the obligations the cycle's close removed, with their reason",
    responses=_DOC,
)
async def unsettled(
    cycle_id: IdPath,
    ctx: Ctx,
    cursor: IdCursor = None,
    limit: Limit1000 = None,
    height: ListingHeightParam = None,
) -> JSONResponse:
    params = _given(cycle=cycle_id, cursor=cursor, limit=limit)
    return await answer_query(ctx, "netting/unsettled", params, height, False)


# -- securities -----------------------------------------------------------------------------------


@router.get(
    "/securities/{isin}", summary="A security's terms, status and units outstanding", responses=_DOC
)
async def security(
    isin: IsinPath, ctx: Ctx, height: HeightParam = None, prove: ProveParam = False
) -> JSONResponse:
    return await answer_query(ctx, "securities/security", {"isin": isin}, height, prove)


@router.get(
    "/securities/{isin}/schedule",
    summary="A security's payments (coupons, redemption, call) with their status and amounts",
    responses=_DOC,
)
async def security_schedule(
    isin: IsinPath, ctx: Ctx, height: ListingHeightParam = None
) -> JSONResponse:
    return await answer_query(ctx, "securities/schedule", {"isin": isin}, height, False)


@router.get(
    "/securities/{isin}/payments/{payment}/holders",
    summary="The holders of record of one payment and what it pays each",
    responses=_DOC,
)
async def holders(
    isin: IsinPath, payment: PaymentPath, ctx: Ctx, height: ListingHeightParam = None
) -> JSONResponse:
    params = {"isin": isin, "payment": payment}
    return await answer_query(ctx, "securities/holders_of_record", params, height, False)


# -- lending --------------------------------------------------------------------------------------


@router.get(
    "/loans/{loan_id}", summary="A loan, with what it owes at time_ns while active", responses=_DOC
)
async def loan(
    loan_id: IdPath,
    ctx: Ctx,
    time_ns: TimeParam = None,
    height: HeightParam = None,
    prove: ProveParam = False,
) -> JSONResponse:
    params = _given(loan_id=loan_id, time_ns=time_ns)
    return await answer_query(ctx, "lending/loan", params, height, prove)


@router.get(
    "/loans/{loan_id}/schedule",
    summary="A loan's instalments: fixed ones with their payments, later ones projected",
    responses=_DOC,
)
async def loan_schedule(
    loan_id: IdPath, ctx: Ctx, height: HeightParam = None, prove: ProveParam = False
) -> JSONResponse:
    return await answer_query(ctx, "lending/schedule", {"loan_id": loan_id}, height, prove)


@router.get(
    "/loans/{loan_id}/ltv",
    summary="A loan's loan-to-value at time_ns with the latest price, and whether it is "
    "above the margin-call threshold",
    responses=_DOC,
)
async def loan_ltv(
    loan_id: IdPath,
    ctx: Ctx,
    time_ns: TimeParam = None,
    height: HeightParam = None,
    prove: ProveParam = False,
) -> JSONResponse:
    params = _given(loan_id=loan_id, time_ns=time_ns)
    return await answer_query(ctx, "lending/ltv", params, height, prove)


@router.get(
    "/loans",
    summary="A page of the loans an account lends or borrows, by id",
    responses=_LISTING_DOC,
)
async def loans(
    ctx: Ctx,
    account: AccountParam,
    limit: Limit200 = None,
    cursor: IdCursor = None,
    height: ListingHeightParam = None,
) -> JSONResponse:
    params = _given(account=account, limit=limit, cursor=cursor)
    return await answer_query(ctx, "lending/loans", params, height, False)


# -- receivables ----------------------------------------------------------------------------------


@router.get("/invoices/{invoice_id}", summary="An invoice by id", responses=_DOC)
async def invoice(
    invoice_id: IdPath, ctx: Ctx, height: HeightParam = None, prove: ProveParam = False
) -> JSONResponse:
    return await answer_query(ctx, "receivables/invoice", {"id": invoice_id}, height, prove)


@router.get(
    "/invoices",
    summary="A page of the invoices a holder holds or a buyer owes, or the one invoice of a "
    "document hash (exactly one of holder, buyer, hash_alg and hash)",
    responses=_DOC,  # 404: no invoice for the document hash
)
async def invoices(
    ctx: Ctx,
    holder: AccountFilter = None,
    buyer: AccountFilter = None,
    hash_alg: Annotated[
        str | None,
        Query(max_length=_MAX_LEN, description="with hash: the invoice of that document"),
        WithJsonSchema({"type": "string", "enum": list(HASH_ALGS)}),
    ] = None,
    hash_hex: Annotated[
        str | None,
        Query(alias="hash", max_length=_MAX_LEN, description="the document hash, lowercase hex"),
        WithJsonSchema({"type": "string", "pattern": f"^[0-9a-f]{{{2 * HASH_BYTES}}}$"}),
    ] = None,
    limit: Limit200 = None,
    cursor: IdCursor = None,
    height: ListingHeightParam = None,
) -> JSONResponse:
    by_hash = hash_alg is not None or hash_hex is not None
    if [holder is not None, buyer is not None, by_hash].count(True) != 1:
        raise ErrBadParameter(
            "give exactly one of 'holder', 'buyer', or 'hash_alg' with 'hash'", parameter="holder"
        )
    if by_hash:
        if limit is not None or cursor is not None:
            raise ErrBadParameter("a document hash names one invoice: no 'limit' or 'cursor'")
        params = _given(hash_alg=hash_alg, hash=hash_hex)
        return await answer_query(ctx, "receivables/by_hash", params, height, False)
    role, account = ("holder", holder) if holder is not None else ("buyer", buyer)
    params = _given(**{role: account}, limit=limit, cursor=cursor)
    return await answer_query(ctx, f"receivables/by_{role}", params, height, False)
