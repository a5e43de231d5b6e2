"""The asynchronous twin of ``Client`` (client.py): ``BaseClient``'s calls, awaited."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import anyio
import httpx

from finchain.client import _calls as calls
from finchain.client import regulator as reg
from finchain.client._base import BaseClient, BaseEventStream, Flow, Run, Sleep, Step
from finchain.client._transport import AuthSession, ClientState, require_open
from finchain.client.builders import Signer
from finchain.client.errors import ClientClosedError
from finchain.client.regulator import RequestSigner
from finchain.client.types import (
    Account,
    Asset,
    Balance,
    Balances,
    Block,
    QueryResult,
    Status,
    StreamEvent,
    SubmitReceipt,
    TxInfo,
)
from finchain.crypto import PrivateKey

T = TypeVar("T")


class AsyncClient(BaseClient[httpx.AsyncBaseTransport]):
    """A node's HTTP API as typed, awaitable Python calls.

    Example::

        async with AsyncClient("http://127.0.0.1:8640") as client:
            alice = await client.signer("FC67...", [("k1", alice_key)])
            tx = alice.sign(transfer((bob, "CNY", 25)))
            receipt = await client.submit_tx(tx, mode="commit")
            async with client.events(account=bob) as stream:
                async for event in stream: ...

    Parameters: those of ``Client``; ``transport`` is an ``httpx.AsyncBaseTransport``.
    Each method is ``Client``'s, awaited: its full description is there.
    """

    _http: httpx.AsyncClient

    def _connect(
        self, headers: Mapping[str, str] | None, transport: httpx.AsyncBaseTransport | None
    ) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url, timeout=self.timeout, headers=headers, transport=transport
        )

    async def _run(self, flow: Flow[T]) -> T:
        """Do the steps ``flow`` asks for, awaiting each, until it returns."""
        run = Run(flow)
        while run.step is not None:
            run.answer(await self._do(run.step))
        return run.result

    async def _do(self, step: Step) -> httpx.Response | httpx.TransportError | None:
        if isinstance(step, Sleep):
            await anyio.sleep(step.seconds)
            return None
        try:
            response = await self._http.send(step.request, stream=step.stream)
        except httpx.TransportError as exc:
            return exc
        if step.stream and response.status_code != 200:
            await response.aread()
            await response.aclose()
        return response

    # -- lifecycle -----------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Release connections; every later call raises ClientClosedError. Idempotent."""
        if self.state is not ClientState.CLOSED:
            self.state = ClientState.CLOSED
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        require_open(self.state, "enter a context")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- login (nodes with [api.auth] enabled) --------------------------------------------------

    async def login(self, username: str, password: str) -> AuthSession:
        """Log in (never retried): ``Client.login``."""
        return await self._run(self._login(username, password))

    async def logout(self) -> None:
        """End this client's session on the node: ``Client.logout``."""
        await self._run(self._logout())

    # -- reads ---------------------------------------------------------------------------------

    async def health(self) -> bool:
        """True when the node says ``ok``; False when it says ``overloaded`` (503)."""
        return await self._run(self._execute(calls.health()))

    async def status(self) -> Status:
        return await self._run(self._execute(calls.status()))

    async def block(self, height: int | None = None) -> Block:
        """A committed block; ``None`` (default) is the latest."""
        return await self._run(self._execute(calls.block(height)))

    async def tx(self, tx_id: str | bytes) -> TxInfo:
        """A committed transaction with its inclusion proof; NotFoundError if not committed."""
        return await self._run(self._execute(calls.tx(tx_id)))

    async def account(
        self, account_id: str, *, height: int | None = None, prove: bool = False
    ) -> Account:
        return await self._run(self._execute(calls.account(account_id, height, prove)))

    async def balances(self, account_id: str, *, height: int | None = None) -> Balances:
        return await self._run(self._execute(calls.balances(account_id, height)))

    async def balance(
        self, account_id: str, asset: str, *, height: int | None = None, prove: bool = False
    ) -> Balance:
        return await self._run(self._execute(calls.balance(account_id, asset, height, prove)))

    async def asset(self, symbol: str, *, height: int | None = None, prove: bool = False) -> Asset:
        return await self._run(self._execute(calls.asset(symbol, height, prove)))

    async def assets(self, *, height: int | None = None) -> list[Asset]:
        return await self._run(self._execute(calls.assets(height)))

    async def query(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        height: int | None = None,
        prove: bool = False,
    ) -> QueryResult:
        """Any registered query path (``accounts/closed``, ``store`` with ``key`` in hex…)."""
        return await self._run(self._execute(calls.query(path, params or {}, height, prove)))

    # -- writes --------------------------------------------------------------------------------

    async def submit_tx(
        self, raw: bytes, *, mode: str = "sync", timeout: float | None = None, check: bool = True
    ) -> SubmitReceipt:
        """Submit one signed transaction, resent after a transient failure: ``Client.submit_tx``."""
        return await self._run(self._submit_tx(raw, mode, timeout, check))

    async def submit_batch(
        self, raws: Sequence[bytes], *, mode: str = "sync", timeout: float | None = None
    ) -> list[SubmitReceipt]:
        """Submit many transactions in one request: ``Client.submit_batch``."""
        return await self._run(self._submit_batch(raws, mode, timeout))

    async def wait_for_tx(
        self, tx_id: str | bytes, *, timeout: float = 30.0, poll_interval: float = 0.2
    ) -> TxInfo:
        """Poll until ``tx_id`` is committed: ``Client.wait_for_tx``."""
        return await self._run(self._wait_for_tx(tx_id, timeout, poll_interval))

    async def signer(
        self, account_id: str, keys: Sequence[tuple[str, PrivateKey]], *, chain_id: str = ""
    ) -> Signer:
        """A Signer for ``account_id`` at its next nonce on the node: ``Client.signer``."""
        return await self._run(self._signer(account_id, keys, chain_id))

    async def use_regulator(
        self,
        account_id: str,
        keys: Sequence[tuple[str, PrivateKey]],
        *,
        chain_id: str = "",
        suite: str = "",
    ) -> RequestSigner:
        """Sign every later request to ``/v1/regulator/`` as regulator ``account_id``.

        ``keys`` are ``(key id on the account, key)``, enough weight for its threshold;
        ``chain_id`` and ``suite`` default to the node's (one status call).
        """
        return await self._run(self._use_regulator(account_id, keys, chain_id, suite))

    # -- the regulator's view (after use_regulator) ----------------------------------------

    async def regulator_whoami(self) -> dict[str, Any]:
        """The regulator account the node proved this client's signatures to come from."""
        return await self._run(self._execute(reg.whoami()))

    async def regulator_did(self, did: str) -> dict[str, Any]:
        """Everything behind ``did``: ``{"height", "value"}`` with its controller and bound
        accounts, each with holdings (amount, frozen, spendable) and interventions."""
        return await self._run(self._execute(reg.did_view(did)))

    async def regulator_institution(
        self, did: str, *, limit: int = 20, cursor: str = ""
    ) -> dict[str, Any]:
        """A page of the accounts whose KYC claim institution ``did`` recorded (pass
        ``value["next_cursor"]`` back as ``cursor`` for the next)."""
        return await self._run(self._execute(reg.institution_view(did, limit, cursor)))

    async def regulator_account(self, account_id: str) -> dict[str, Any]:
        """One account's full present state, as the regulator's view composes it."""
        return await self._run(self._execute(reg.account_view(account_id)))

    async def regulator_flows(
        self, *, from_: str = "", to: str = "", asset: str = ""
    ) -> dict[str, Any]:
        """Transfers between institutions in ``[from_, to)`` (RFC 3339 or ns), from the
        node's SQL index: count and total per (from, to, asset)."""
        return await self._run(self._execute(reg.flows(from_, to, asset)))

    async def regulator_history(
        self, account_id: str, *, after_height: int = 0, limit: int = 100
    ) -> dict[str, Any]:
        """A page of every indexed event naming ``account_id``; pass
        ``next_after_height`` back as ``after_height``."""
        return await self._run(self._execute(reg.history(account_id, after_height, limit)))

    async def regulator_past_alerts(
        self,
        *,
        report_type: str = "",
        from_: str = "",
        to: str = "",
        after_id: int = 0,
        limit: int = 100,
    ) -> dict[str, Any]:
        """A page of past alerts from the index; pass ``next_after_id`` back as ``after_id``."""
        call = reg.past_alerts(report_type, from_, to, after_id, limit)
        return await self._run(self._execute(call))

    async def regulator_report(
        self, report_type: str, *, fmt: str = "json", from_: str = "", to: str = ""
    ) -> bytes:
        """The report file of ``report_type`` (``flows`` or an alert report type) as
        ``fmt`` (csv, json, pdf), exactly as the indexer renders it."""
        return await self._run(self._download(reg.report(report_type, from_, to, fmt)))

    # -- events --------------------------------------------------------------------------------

    def events(
        self,
        *,
        account: str = "",
        asset: str = "",
        types: Sequence[str] = (),
        idle_timeout: float = 60.0,
    ) -> AsyncEventStream:
        """The event stream (from the next block on), opened by ``async with``::

            async with client.events(account=bob) as stream:
                async for event in stream: ...

        ``idle_timeout``: as ``Client.events``.
        """
        return AsyncEventStream(self, calls.events(account, asset, types), idle_timeout)


class AsyncEventStream(BaseEventStream):
    """StreamEvents until the node ends the stream; opened by ``async with`` (or on the
    first ``async for``), closed by leaving the block or ``aclose()``."""

    _client: AsyncClient

    def __init__(self, client: AsyncClient, call: calls.Call[None], idle_timeout: float) -> None:
        super().__init__(client)
        self._call = call
        self._idle_timeout = idle_timeout
        self._response: httpx.Response | None = None

    async def open(self) -> None:
        """Connect (with the client's retries); a no-op once open."""
        if self.closed:
            raise ClientClosedError("cannot reopen a closed event stream; open a new one")
        if self._response is None:
            opening = self._client._open_stream(self._call, self._idle_timeout)
            self._response = await self._client._run(opening)

    async def __aiter__(self) -> AsyncIterator[StreamEvent]:
        await self.open()
        assert self._response is not None
        with self._reading(str(self._response.url)):
            async for line in self._response.aiter_lines():
                event = self._parser.feed(line)
                if event is not None:
                    yield event

    async def aclose(self) -> None:
        self.closed = True
        if self._response is not None:
            await self._response.aclose()

    async def __aenter__(self) -> AsyncEventStream:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()
