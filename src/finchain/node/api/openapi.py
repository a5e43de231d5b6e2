"""The OpenAPI document (``/openapi.json``): exactly what this node's API accepts and answers.

FastAPI derives the document from the routes, which declare their parameters'
rules (``routes/common.py``) and every status they answer (``errors(...)``).
This module finishes it with what the routes cannot say by themselves:

- FastAPI documents a 422 for every route with parameters or a body; this API
  never sends one (a failed validation is a 400 with an ``api`` code,
  ``handlers.py``), so every 422 and its ``HTTPValidationError`` schema go;
- the bounds that are this node's configuration, not code: ``maxItems`` of a
  batch (``max_batch``) and the largest commit-mode ``timeout``
  (``request_timeout``);
- the event stream is typed by its ``itemSchema`` (one SSE event, OpenAPI 3.2's
  form, which FastAPI also writes for its own SSE routes), not as one string;
- with ``[api.auth]``, the bearer scheme, and 401/403 on every gated operation;
- the regulator's request signature (``Finchain-Signature``) on ``/v1/regulator/…``,
  required together with the bearer token where that is required too.

``tests/functional/test_api_schemathesis.py`` holds the document to the API's behaviour.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI

from finchain.node.api.limits import ApiLimits
from finchain.node.api.models import EXTRA_SCHEMA_MODELS
from finchain.node.api.routes.common import errors
from finchain.node.auth.gate import route_group
from finchain.node.auth.service import Authenticator

_REF_TEMPLATE = "#/components/schemas/{model}"
_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_SUBMIT_PATHS = ("/v1/txs", "/v1/txs/batch")
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
BEARER = "bearer"
SIGNATURE = "finchainSignature"
REGULATOR_PREFIX = "/v1/regulator/"


def install(app: FastAPI, *, limits: ApiLimits, auth: Authenticator | None) -> None:
    """Serve the finished document at ``app.openapi_url`` (built once, on first use)."""
    built: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        base = FastAPI.openapi(app)  # FastAPI's own, cached by FastAPI
        if built.get("base") is not base:
            built["base"] = base
            built["doc"] = finish(copy.deepcopy(base), limits=limits, auth=auth)
        document: dict[str, Any] = built["doc"]
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def finish(doc: dict[str, Any], *, limits: ApiLimits, auth: Authenticator | None) -> dict[str, Any]:
    """``doc`` (FastAPI's document, changed in place) with the changes the docstring lists."""
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in _VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    for model in EXTRA_SCHEMA_MODELS:
        schema = model.model_json_schema(ref_template=_REF_TEMPLATE)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    batch = schemas.get("SubmitBatchRequest", {}).get("properties", {}).get("txs")
    if batch is not None:
        batch["maxItems"] = limits.max_batch
    for path, method, operation in _operations(doc):
        operation.get("responses", {}).pop("422", None)
        for response in operation.get("responses", {}).values():
            stream = response.get("content", {}).get("text/event-stream")
            if stream is not None and "itemSchema" in stream:
                stream.pop("schema", None)  # FastAPI's {"type": "string"} for the whole stream
        if path in _SUBMIT_PATHS:
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "timeout":
                    parameter["schema"]["maximum"] = limits.request_timeout
        group = route_group(method.upper(), path)
        if auth is not None and group is not None and auth.required(group):
            operation["security"] = [{BEARER: []}]
            operation["responses"].update(
                {str(status): entry for status, entry in errors(401, 403, node=False).items()}
            )
            operation["responses"] = dict(
                sorted(operation["responses"].items(), key=lambda item: item[0])
            )
        if path.startswith(REGULATOR_PREFIX):
            needed = operation.get("security", [{}])
            operation["security"] = [{**requirement, SIGNATURE: []} for requirement in needed]
            doc["components"].setdefault("securitySchemes", {})[SIGNATURE] = {
                "type": "apiKey",
                "in": "header",
                "name": "Finchain-Signature",
                "description": "a regulator account's signature over the request "
                "(docs/regulation/regulator.md)",
            }
    if auth is not None:
        doc["components"].setdefault("securitySchemes", {})[BEARER] = {
            "type": "http",
            "scheme": "bearer",
            "description": "a token from POST /v1/auth/login",
        }
    return doc


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in doc.get("paths", {}).items()
        for method, operation in item.items()
        if method in _HTTP_METHODS
    ]
