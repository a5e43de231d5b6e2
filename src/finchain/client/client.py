"""The synchronous client: ``BaseClient``'s calls (_base.py) run with blocking I/O.

``AsyncClient`` (async_client.py) is its twin.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from finchain.client import _calls as calls
from finchain.client import regulator as reg
from finchain.client._base import BaseClient, BaseEventStream, Flow, Run, Sleep, Step
from finchain.client._transport import AuthSession, ClientState, require_open
from finchain.client.builders import Signer
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


class Client(BaseClient[httpx.BaseTransport]):
    """A node's HTTP API as typed Python calls.

    Example::

        with Client("http://127.0.0.1:8640") as client:
            alice = client.signer("FC67...", [("k1", alice_key)])
            receipt = client.submit_tx(alice.sign(transfer((bob, "CNY", 25))), mode="commit")
            print(client.balance(bob, "CNY").amount)

    Parameters:
        url: the node's API base URL.
        timeout: seconds per request (connect, read, write); commit-mode submissions add
            their wait on top.
        retries: extra attempts for reads (GET) after a transport error, 429, 502, 503 or
            504, and for submissions after a transport error other than a read timeout,
            429, 500, 502, 503 or 504 (safe: see ``submit_tx``).
        backoff: the first retry delay in seconds; it doubles each time (capped at 2 s).
        headers: sent with every request (e.g. an auth header of a gateway).
        token: a bearer token from an earlier login, for nodes that authenticate users;
            ``login()`` sets one. Shown to nobody: kept out of ``repr``.
        transport: an httpx transport (tests, proxies); default: real HTTP.
    """

    _http: httpx.Client

    def _connect(
        self, headers: Mapping[str, str] | None, transport: httpx.BaseTransport | None
    ) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, timeout=self.timeout, headers=headers, transport=transport
        )

    def _run(self, flow: Flow[T]) -> T:
        """Do the steps ``flow`` asks for until it returns."""
        run = Run(flow)
        while run.step is not None:
            run.answer(self._do(run.step))
        return run.result

    def _do(self, step: Step) -> httpx.Response | httpx.TransportError | None:
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            return None
        try:
            response = self._http.send(step.request, stream=step.stream)
        except httpx.TransportError as exc:
            return exc
        if step.stream and response.status_code != 200:
            response.read()
            response.close()
        return response

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Release connections; every later call raises ClientClosedError. Idempotent."""
        if self.state is not ClientState.CLOSED:
            self.state = ClientState.CLOSED
            self._http.close()

    def __enter__(self) -> Client:
        require_open(self.state, "enter a context")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- login (nodes with [api.auth] enabled) --------------------------------------------------

    def login(self, username: str, password: str) -> AuthSession:
        """Log in; later requests carry the returned bearer token. Never retried.

        Raises AuthenticationError (wrong username or password: the node does not
        say which), LockedOutError (too many failures: ``retry_after`` seconds, or
        until an administrator unlocks), BadRequestError (malformed username).
        """
        return self._run(self._login(username, password))

    def logout(self) -> None:
        """End this client's session on the node and stop sending its token.

        A token the node no longer knows (expired, revoked, node restarted) is
        already logged out: that is not an error.
        """
        self._run(self._logout())

    # -- reads ---------------------------------------------------------------------------------

    def health(self) -> bool:
        """True when the node says ``ok``; False when it says ``overloaded`` (503)."""
        return self._run(self._execute(calls.health()))

    def status(self) -> Status:
        return self._run(self._execute(calls.status()))

    def block(self, height: int | None = None) -> Block:
        """A committed block; ``None`` (default) is the latest."""
        return self._run(self._execute(calls.block(height)))

    def tx(self, tx_id: str | bytes) -> TxInfo:
        """A committed transaction with its inclusion proof; NotFoundError if not committed."""
        return self._run(self._execute(calls.tx(tx_id)))

    def account(
        self, account_id: str, *, height: int | None = None, prove: bool = False
    ) -> Account:
        return self._run(self._execute(calls.account(account_id, height, prove)))

    def balances(self, account_id: str, *, height: int | None = None) -> Balances:
        return self._run(self._execute(calls.balances(account_id, height)))

    def balance(
        self, account_id: str, asset: str, *, height: int | None = None, prove: bool = False
    ) -> Balance:
        return self._run(self._execute(calls.balance(account_id, asset, height, prove)))

    def asset(self, symbol: str, *, height: int | None = None, prove: bool = False) -> Asset:
        return self._run(self._execute(calls.asset(symbol, height, prove)))

    def assets(self, *, height: int | None = None) -> list[Asset]:
        return self._run(self._execute(calls.assets(height)))

    def query(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        height: int | None = None,
        prove: bool = False,
    ) -> QueryResult:
        """Any registered query path (``accounts/closed``, ``store`` with ``key`` in hex…)."""
        return self._run(self._execute(calls.query(path, params or {}, height, prove)))

    # -- writes --------------------------------------------------------------------------------

    def submit_tx(
        self, raw: bytes, *, mode: str = "sync", timeout: float | None = None, check: bool = True
    ) -> SubmitReceipt:
        """Submit one signed transaction; sent again after a failure that may be transient.

        Sending again is safe: a tx id is the hash of the signed bytes and the node never
        executes one twice. An answer caused by an earlier attempt (already in the mempool,
        nonce already used) is resolved by looking the tx up by id: the receipt is then the
        tx's real state (committed with its result, admitted, or undecided with
        ``timed_out`` and a ``note``), never a refusal of a tx that went through.

        Parameters:
            raw: the signed transaction (``Signer.sign``).
            mode: ``async`` (queued), ``sync`` (check_tx result) or ``commit`` (wait for the block).
            timeout: commit mode: seconds to wait for inclusion (node default 10).
            check: raise TxRejectedError / TxFailedError / TxTimeoutError when the receipt
                says so; with False, return the receipt whatever it says.
        """
        return self._run(self._submit_tx(raw, mode, timeout, check))

    def submit_batch(
        self, raws: Sequence[bytes], *, mode: str = "sync", timeout: float | None = None
    ) -> list[SubmitReceipt]:
        """Submit many transactions in one request; receipts in order, never raised on.

        Sent again after a failure that may be transient, as ``submit_tx`` is.
        """
        return self._run(self._submit_batch(raws, mode, timeout))

    def wait_for_tx(
        self, tx_id: str | bytes, *, timeout: float = 30.0, poll_interval: float = 0.2
    ) -> TxInfo:
        """Poll until ``tx_id`` is committed; TxTimeoutError after ``timeout`` seconds.

        A committed transaction is returned even if its execution failed: check
        ``result.ok``.
        """
        return self._run(self._wait_for_tx(tx_id, timeout, poll_interval))

    def signer(
        self, account_id: str, keys: Sequence[tuple[str, PrivateKey]], *, chain_id: str = ""
    ) -> Signer:
        """A Signer for ``account_id`` starting at the account's next nonce on the node.

        ``chain_id`` defaults to the node's; the keys are ``(key id on the account, key)``.
        """
        return self._run(self._signer(account_id, keys, chain_id))

    def use_regulator(
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
        return self._run(self._use_regulator(account_id, keys, chain_id, suite))

    # -- the regulator's view (after use_regulator) ----------------------------------------

    def regulator_whoami(self) -> dict[str, Any]:
        """The regulator account the node proved this client's signatures to come from."""
        return self._run(self._execute(reg.whoami()))

    def regulator_did(self, did: str) -> dict[str, Any]:
        """Everything behind ``did``: ``{"height", "value"}`` with its controller and bound
        accounts, each with holdings (amount, frozen, spendable) and interventions."""
        return self._run(self._execute(reg.did_view(did)))

    def regulator_institution(
        self, did: str, *, limit: int = 20, cursor: str = ""
    ) -> dict[str, Any]:
        """A page of the accounts whose KYC claim institution ``did`` recorded (pass
        ``value["next_cursor"]`` back as ``cursor`` for the next)."""
        return self._run(self._execute(reg.institution_view(did, limit, cursor)))

    def regulator_account(self, account_id: str) -> dict[str, Any]:
        """One account's full present state, as the regulator's view composes it."""
        return self._run(self._execute(reg.account_view(account_id)))

    def regulator_flows(self, *, from_: str = "", to: str = "", asset: str = "") -> dict[str, Any]:
        """Transfers between institutions in ``[from_, to)`` (RFC 3339 or ns), from the
        node's SQL index: count and total per (from, to, asset)."""
        return self._run(self._execute(reg.flows(from_, to, asset)))

    def regulator_history(
        self, account_id: str, *, after_height: int = 0, limit: int = 100
    ) -> dict[str, Any]:
        """A page of every indexed event naming ``account_id``; pass
        ``next_after_height`` back as ``after_height``."""
        return self._run(self._execute(reg.history(account_id, after_height, limit)))

    def regulator_past_alerts(
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
        return self._run(self._execute(call))

    def regulator_report(
        self, report_type: str, *, fmt: str = "json", from_: str = "", to: str = ""
    ) -> bytes:
        """The report file of ``report_type`` (``flows`` or an alert report type) as
        ``fmt`` (csv, json, pdf), exactly as the indexer renders it."""
        return self._run(self._download(reg.report(report_type, from_, to, fmt)))

    # -- events --------------------------------------------------------------------------------

    def events(
        self,
        *,
        account: str = "",
        asset: str = "",
        types: Sequence[str] = (),
        idle_timeout: float = 60.0,
    ) -> EventStream:
        """Open the event stream (from the next block on); use it in a ``with`` block.

        ``idle_timeout`` bounds the silence tolerated: the node sends a keep-alive
        every 15 s by default, so a longer silence means the connection is dead.
        """
        call = calls.events(account, asset, types)
        return EventStream(self, self._run(self._open_stream(call, idle_timeout)))

    def regulator_alerts(
        self,
        *,
        report_type: str = "",
        institution: str = "",
        last_event_id: str = "",
        idle_timeout: float = 60.0,
    ) -> AlertStream:
        """Open the alert stream (after ``use_regulator``); use it in a ``with`` block.

        ``last_event_id``: resume after that alert (an ``Alert.id``): every alert since
        comes first, then the live ones. Without it: alerts from the next block on.
        """
        call = reg.alerts(report_type, institution)
        headers = {"Last-Event-ID": last_event_id} if last_event_id else None
        return AlertStream(self, self._run(self._open_stream(call, idle_timeout, headers)))


class AlertStream(BaseEventStream):
    """Iterate for ``Alert``s until the node ends the stream; ``last_id`` is the id of the
    last one read (reconnect with it as ``last_event_id`` to miss nothing).

    Made once the node said ``connected``: every alert committed after that arrives.
    """

    def __init__(self, client: Client, response: httpx.Response) -> None:
        super().__init__(client)
        self._response = response
        self._alerts = reg.AlertParser()
        self._lines = response.iter_lines()
        self.last_id = ""
        with self._reading(str(response.url)):
            for line in self._lines:
                if line == ": connected":
                    break

    def __iter__(self) -> Iterator[reg.Alert]:
        with self._reading(str(self._response.url)):
            for line in self._lines:
                alert = self._alerts.feed(line)
                if alert is not None:
                    self.last_id = alert.id
                    yield alert

    def close(self) -> None:
        self.closed = True
        self._response.close()

    def __enter__(self) -> AlertStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class EventStream(BaseEventStream):
    """Iterate for StreamEvents until the node ends the stream; ``close()`` to stop early."""

    def __init__(self, client: Client, response: httpx.Response) -> None:
        super().__init__(client)
        self._response = response

    def __iter__(self) -> Iterator[StreamEvent]:
        with self._reading(str(self._response.url)):
            for line in self._response.iter_lines():
                event = self._parser.feed(line)
                if event is not None:
                    yield event

    def close(self) -> None:
        self.closed = True
        self._response.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
