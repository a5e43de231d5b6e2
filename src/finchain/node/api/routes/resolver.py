"""DID resolution over HTTP in the shape of a DIF Universal Resolver driver.

``GET /1.0/identifiers/{did}`` answers with a DID Resolution result
(``didDocument``, ``didDocumentMetadata``, ``didResolutionMetadata``) so a
Universal Resolver deployment can use a finchain node as its ``did:finchain``
driver unchanged. ``versionId`` and ``versionTime`` select a past version.
HTTP statuses follow the driver contract: 200 resolved, 400 invalid DID or
DID URL, 404 not found, 406 unsupported representation, 410 deactivated.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Query, Request

from finchain.node.api.context import Ctx
from finchain.node.api.responses import JSONResponse

router = APIRouter(tags=["identity"])

RESOLUTION_TYPE = 'application/ld+json;profile="https://w3id.org/did-resolution"'
DID_DOCUMENT_TYPES = ("application/did+ld+json", "application/did+json")
_STATUS_OF_ERROR = {
    "invalidDid": 400,
    "invalidDidUrl": 400,
    "notFound": 404,
    "representationNotSupported": 406,
    "methodNotSupported": 501,
}


def _wanted(accept: str) -> str | None:
    """The representation the client asked for: the document alone, the full result, or none."""
    if not accept or "*/*" in accept or "did-resolution" in accept:
        return RESOLUTION_TYPE
    if "application/ld+json" in accept or "application/json" in accept:
        return RESOLUTION_TYPE
    for kind in DID_DOCUMENT_TYPES:
        if kind in accept:
            return kind
    return None


def _status(result: dict[str, Any]) -> int:
    error = result.get("didResolutionMetadata", {}).get("error")
    if error is not None:
        return _STATUS_OF_ERROR.get(error, 500)
    if result.get("didDocumentMetadata", {}).get("deactivated"):
        return 410
    return 200


@router.get(
    "/1.0/identifiers/{did:path}",
    summary="Resolve a did:finchain DID (DIF Universal Resolver driver interface)",
)
async def resolve(
    did: str,
    request: Request,
    ctx: Ctx,
    version_id: str | None = Query(None, alias="versionId"),
    version_time: str | None = Query(None, alias="versionTime"),
) -> JSONResponse:
    params: dict[str, Any] = {"did": did}
    if version_id is not None:
        params["versionId"] = version_id
    if version_time is not None:
        params["versionTime"] = version_time
    response = await ctx.call(
        partial(ctx.node.query, "identity/resolve", params, height=None, prove=False),
        what="DID resolution",
    )
    result: dict[str, Any] = response.value
    wanted = _wanted(request.headers.get("accept", ""))
    if wanted is None:
        result = {
            "didDocument": None,
            "didDocumentMetadata": {},
            "didResolutionMetadata": {"error": "representationNotSupported"},
        }
        wanted = RESOLUTION_TYPE
    status = _status(result)
    if wanted != RESOLUTION_TYPE and status == 200:
        return JSONResponse(result["didDocument"], media_type=wanted)
    return JSONResponse(result, status_code=status, media_type=RESOLUTION_TYPE)
