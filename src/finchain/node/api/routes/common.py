"""Parameters and documented error responses shared by the routers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from finchain.node.api.models import ErrorModel

HeightParam = Annotated[
    int | None,
    Query(ge=0, le=2**63 - 1, description="answer as of this committed height (default: latest)"),
]
ProveParam = Annotated[
    bool, Query(description="also return Merkle proofs of the answer against the app hash")
]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries: every error has the same JSON body."""
    return {status: {"model": ErrorModel} for status in (*statuses, 429, 503, 504)}
