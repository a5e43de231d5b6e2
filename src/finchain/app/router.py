"""Where a message or a query goes: the routes the modules registered.

Every node of a chain registers the same modules in the same order (the
composition root's list): the set of routes is part of the state machine.
Governance reaches other modules' ``GOVERNED`` messages through ``parse_governed``
and ``deliver`` (its ``MsgRouter``), so it never imports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.context import Context
from finchain.core.errors import ErrNotGoverned, ErrUnknownMsg
from finchain.core.module import Handler, Module, Query
from finchain.core.msgs import Msg

__all__ = ["Router"]


class Router:
    """Message types to (class, handler), query paths to functions."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[type[Msg], Handler]] = {}
        self.queries: dict[str, Query] = {}

    def register(self, module: Module) -> None:
        for cls, handler in module.msg_handlers().items():
            if cls.TYPE in self.routes:
                raise ValueError(f"message type {cls.TYPE} registered twice")
            self.routes[cls.TYPE] = (cls, handler)
        self.add_queries(module.queries())

    def add_queries(self, queries: Mapping[str, Query]) -> None:
        for path in queries:
            if path in self.queries:
                raise ValueError(f"query path {path} registered twice")
        self.queries.update(queries)

    def parse_governed(self, msg_type: str, value: dict[str, Any]) -> Msg:
        """A governed message from a proposal's ``exec`` action (governance's ``MsgRouter``)."""
        route = self.routes.get(msg_type)
        if route is None:
            raise ErrUnknownMsg(f"unknown message type {msg_type!r}")
        msg = route[0].from_value(value)
        msg.validate()
        if not msg.GOVERNED:
            raise ErrNotGoverned(
                f"{msg_type} is signed by an account, not executed by governance: "
                "send it in a transaction"
            )
        return msg

    def deliver(self, ctx: Context, msg: Msg) -> None:
        """Run ``msg``'s handler in ``ctx`` (governance's ``MsgRouter``)."""
        self.routes[msg.TYPE][1](ctx, msg)
