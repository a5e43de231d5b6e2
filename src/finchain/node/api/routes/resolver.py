"""DID resolution over HTTP in the shape of a DIF Universal Resolver driver.

``GET /1.0/identifiers/{did}`` answers with a DID Resolution result
(``didDocument``, ``didDocumentMetadata``, ``didResolutionMetadata``) so a
Universal Resolver deployment can use a finchain node as its ``did:finchain``
driver unchanged. ``versionId`` and ``versionTime`` select a past version.
HTTP statuses follow the driver contract: 200 resolved, 400 invalid DID or
DID URL, 404 not found, 406 unsupported representation, 410 deactivated; each
with a resolution result as its body. Only admission, overload and timeouts
(429, 500, 503, 504) answer with the API's JSON error body.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import WithJsonSchema
from starlette.convertors import Convertor, register_url_convertor

from finchain.node.api.context import Ctx
from finchain.node.api.responses import JSONResponse
from finchain.node.api.routes.common import errors

router = APIRouter(tags=["identity"])


class _AnyText(Convertor[str]):
    """Starlette's ``:path`` (``.*``) stops at a newline, so ``/1.0/identifiers/a%0Ab`` found
    no route (a JSON 404); this one takes anything, and the resolver answers invalidDid."""

    regex = "[\\s\\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("did_text", _AnyText())

RESOLUTION_TYPE = 'application/ld+json;profile="https://w3id.org/did-resolution"'
DID_DOCUMENT_TYPES = ("application/did+ld+json", "application/did+json")
#: ``did:finchain:<chain id>:<12 digits>`` (``finchain.offchain.vc.dids``); the last two digits are
#: check digits, which no pattern can verify: a wrong one is a 400 ``invalidDid``.
DID_PATTERN = "^did:finchain:[a-z0-9][a-z0-9-]{0,48}[a-z0-9]:[0-9]{12}$"
VERSION_ID_PATTERN = "^[1-9][0-9]{0,17}$"
#: An XML Schema dateTimeStamp (``finchain.formats.times``): a zone is required.
VERSION_TIME_PATTERN = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.][0-9]{1,6})?"
    "(?:Z|[+-][0-9]{2}:[0-9]{2})$"
)


class ResolutionResponse(JSONResponse):
    """A DID Resolution result (the route's default media type, for the OpenAPI document)."""

    media_type = RESOLUTION_TYPE


def _result(description: str) -> dict[str, Any]:
    return {"description": description, "content": {RESOLUTION_TYPE: {"schema": _RESULT_SCHEMA}}}


_RESULT_SCHEMA = {"$ref": "#/components/schemas/DidResolutionModel"}
_DOCUMENT_SCHEMA = {"type": "object", "description": "the DID document alone (W3C DID Core)"}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "resolved: the result, or with Accept: application/did+ld+json "
        "or application/did+json the document alone",
        "content": {
            RESOLUTION_TYPE: {"schema": _RESULT_SCHEMA},
            **{kind: {"schema": _DOCUMENT_SCHEMA} for kind in DID_DOCUMENT_TYPES},
        },
    },
    400: _result("invalidDid or invalidDidUrl (a bad versionId or versionTime, or both given)"),
    404: _result("notFound: no such DID, or no such version"),
    406: _result("representationNotSupported: the Accept header names no type served here"),
    410: _result("the DID is deactivated; the result still carries its last document"),
    **errors(),
}
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
    "/1.0/identifiers/{did:did_text}",
    summary="Resolve a did:finchain DID (DIF Universal Resolver driver interface)",
    responses=RESPONSES,
    response_class=ResolutionResponse,
)
async def resolve(
    did: Annotated[
        str,
        Path(
            description="did:finchain:<chain id>:<10 digits + 2 check digits>",
            json_schema_extra={"pattern": DID_PATTERN},
        ),
    ],
    request: Request,
    ctx: Ctx,
    version_id: Annotated[
        str | None,
        Query(alias="versionId", description="a past version, 1 to the latest"),
        WithJsonSchema({"type": "string", "pattern": VERSION_ID_PATTERN}),
    ] = None,
    version_time: Annotated[
        str | None,
        Query(alias="versionTime", description="the version in force at this time"),
        WithJsonSchema({"type": "string", "pattern": VERSION_TIME_PATTERN}),
    ] = None,
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
