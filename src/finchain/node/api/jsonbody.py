"""Request bodies decoded strictly: an object with a duplicate key is refused.

Starlette's ``Request.json()`` (``json.loads``) keeps the last of two equal
keys, so ``{"tx": A, "tx": B}`` submits B while a log, a proxy or an auditor
reading the same bytes with another parser may see A. A body has one meaning
or none: a duplicate key anywhere in it is ``api:19`` (and ``NaN``, ``Infinity``,
a byte order mark or UTF-16, which ``json.loads`` takes, are ``api:2``).

``StrictJsonRoute`` decodes the body of a route that takes one before FastAPI
sees it, so the refusal carries its own code instead of FastAPI's generic "error
parsing the body"; FastAPI then reads the decoded value from the request's
cache. Every router whose routes take a JSON body uses it (a test walks the app).
``json.loads`` with ``object_pairs_hook`` stays in the C scanner and calls the
hook once per object: a 500-transaction batch is one object, and the hook costs
about 1% of its decoding (``docs/api.md`` §7 has the measurement).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from finchain.node.api.errors import ErrDuplicateKey, ErrMalformedJson


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads_strict(raw: bytes) -> Any:
    """JSON text (UTF-8, RFC 8259) → value; ErrDuplicateKey or ErrMalformedJson say what is wrong.

    Stricter than ``json.loads`` in three ways: a repeated key in an object, a byte order
    mark or another encoding than UTF-8, and ``NaN``/``Infinity`` (not JSON) are refused.

    Example::

        loads_strict(b'{"tx": "AAAA"}')                 # {'tx': 'AAAA'}
        loads_strict(b'{"tx": "AAAA", "tx": "BBBB"}')   # raises ErrDuplicateKey (api:19)
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ErrMalformedJson(
            f"request body is not valid JSON: not UTF-8 at byte {exc.start}"
        ) from None
    try:
        return json.loads(text, object_pairs_hook=_unique_object, parse_constant=_no_constant)
    except _DuplicateKey as exc:
        shown = exc.key if len(exc.key) <= 64 else exc.key[:64] + "…"
        raise ErrDuplicateKey(
            f"request body has the key {shown!r} twice in one object: "
            "send each field once (parsers disagree on which one counts)",
            key=shown,
        ) from None
    except json.JSONDecodeError as exc:
        raise ErrMalformedJson(
            f"request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError as exc:  # _no_constant
        raise ErrMalformedJson(f"request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ErrMalformedJson("request body is not valid JSON: nested too deeply") from None


class _StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads_strict(await self.body())
        return self._json


def _is_json(content_type: str | None) -> bool:
    """FastAPI's own test: ``application/json`` or ``application/<anything>+json``."""
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class StrictJsonRoute(APIRoute):
    """An ``APIRoute`` whose JSON body is decoded by ``loads_strict`` (``route_class=``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def strict_handler(request: Request) -> Response:
            strict = _StrictJsonRequest(request.scope, request.receive)
            if _is_json(strict.headers.get("content-type")) and await strict.body():
                await strict.json()  # raises with an api code; FastAPI reads the cached value
            return await handler(strict)

        return strict_handler
