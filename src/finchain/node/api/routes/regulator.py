"""The regulator's view (``/v1/regulator/…``): penetrating queries on chain state and alerts.

Every route depends on ``require_regulator``: the caller proves, per request,
the keys of an account the chain lists as a regulator (docs/regulation/regulator.md).
"""

from __future__ import annotations

from fastapi import APIRouter

from finchain.node.api.regulator_auth import Regulator
from finchain.node.api.responses import JSONResponse
from finchain.node.api.routes.common import error_response, errors

router = APIRouter(prefix="/regulator", tags=["regulator"])
#: Every regulator route can answer these besides 200: bad parameters, the signature
#: refusals (401), not a regulator (403), and the node's own statuses.
REGULATOR_ERRORS = {
    **errors(400),
    401: error_response(
        "Finchain-Signature missing, malformed, stale, replayed, by an unknown account or "
        "key, not verifying or short of the threshold (regauth:2-9)"
    ),
    403: error_response(
        "the signing account is not active (regauth:10) or not a regulator (regauth:11)"
    ),
}


@router.get(
    "/whoami",
    summary="The regulator account this request was proven to come from",
    responses=REGULATOR_ERRORS,
)
async def whoami(regulator: Regulator) -> JSONResponse:
    return JSONResponse(
        {
            "account": regulator.account,
            "name": regulator.name,
            "height": regulator.height,
            "keys": list(regulator.key_ids),
        }
    )
