"""The node's HTTP API (FastAPI): ``create_app(node, limits=ApiLimits())``.

Served by the node process (``finchain node``) over any ``NodeService``.
Endpoints, conventions, error codes and limits: docs/api.md.
"""

from finchain.node.api.app import create_app
from finchain.node.api.limits import ApiLimits

__all__ = ["ApiLimits", "create_app"]
