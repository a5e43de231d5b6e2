"""What the governance module needs from the accounts module and from the application."""

from __future__ import annotations

from typing import Any, Protocol

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.msgs import Msg
from finchain.core.params import ChainParams


class AccountStatusView(Protocol):
    """A member must be an existing, active account."""

    def status(self, reader: KVReader, account: str) -> str | None: ...


class ChainParamsStore(Protocol):
    """The chain parameters kept by the application (state key ``app/params``).

    Governance replaces them; the application reloads them when the block commits,
    so a change applies from the next block on, on every node at the same height.
    """

    def chain_params(self, reader: KVReader) -> ChainParams: ...

    def set_chain_params(self, ctx: Context, params: ChainParams) -> None: ...


class MsgRouter(Protocol):
    """The application's message routes, for ``exec`` actions.

    ``parse`` refuses unknown types, invalid fields and messages that are not
    ``GOVERNED``; ``deliver`` runs the message's handler in the given context.
    """

    def parse_governed(self, msg_type: str, value: dict[str, Any]) -> Msg: ...

    def deliver(self, ctx: Context, msg: Msg) -> None: ...
