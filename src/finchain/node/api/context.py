"""What every route needs: the node, the limits, and the way to call the node safely."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar, cast

from fastapi import Depends, Request

from finchain.node.api.calls import NodeCalls
from finchain.node.api.guard import Gate
from finchain.node.api.limits import ApiLimits
from finchain.service.interface import NodeService

T = TypeVar("T")


@dataclass
class ApiContext:
    node: NodeService
    limits: ApiLimits
    gate: Gate
    calls: NodeCalls

    async def call(
        self, fn: Callable[[], T], *, what: str, timeout: float | None = None, hint: str = ""
    ) -> T:
        """Run a blocking node call on a worker thread under the request deadline."""
        deadline = self.limits.request_timeout if timeout is None else timeout
        return await self.calls.run(fn, timeout=deadline, what=what, hint=hint)


def get_context(request: Request) -> ApiContext:
    return cast(ApiContext, request.app.state.finchain)


Ctx = Annotated[ApiContext, Depends(get_context)]
