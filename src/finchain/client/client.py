"""The synchronous client; ``AsyncClient`` (async_client.py) is its twin."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx
import orjson

from finchain.client import _calls as calls
from finchain.client._retry import Backoff
from finchain.client._sse import SseParser
from finchain.client._transport import (
    AuthSession,
    ClientState,
    login_call,
    logout_call,
    needs_lookup,
    receipt_error,
    require_open,
    resolve_resubmitted,
    set_token,
    timeout_for,
    transport_error,
    wait_timeout_error,
)
from finchain.client.builders import Signer
from finchain.client.errors import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    ProtocolError,
    TransportError,
)
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


class Client:
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

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.1,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.backoff = Backoff(retries=retries, base=backoff)
        self.state = ClientState.OPEN
        self._http = httpx.Client(
            base_url=self.url, timeout=timeout, headers=headers, transport=transport
        )
        set_token(self._http.headers, token)

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
        session = self._execute(login_call(username, password))
        set_token(self._http.headers, session.token)
        return session

    def logout(self) -> None:
        """End this client's session on the node and stop sending its token.

        A token the node no longer knows (expired, revoked, node restarted) is
        already logged out: that is not an error.
        """
        if "Authorization" not in self._http.headers:
            return
        try:
            self._execute(logout_call())
        except AuthenticationError:
            pass
        finally:
            set_token(self._http.headers, None)

    # -- reads ---------------------------------------------------------------------------------

    def health(self) -> bool:
        """True when the node says ``ok``; False when it says ``overloaded`` (503)."""
        return self._execute(calls.health())

    def status(self) -> Status:
        return self._execute(calls.status())

    def block(self, height: int | None = None) -> Block:
        """A committed block; ``None`` (default) is the latest."""
        return self._execute(calls.block(height))

    def tx(self, tx_id: str | bytes) -> TxInfo:
        """A committed transaction with its inclusion proof; NotFoundError if not committed."""
        return self._execute(calls.tx(tx_id))

    def account(
        self, account_id: str, *, height: int | None = None, prove: bool = False
    ) -> Account:
        return self._execute(calls.account(account_id, height, prove))

    def balances(self, account_id: str, *, height: int | None = None) -> Balances:
        return self._execute(calls.balances(account_id, height))

    def balance(
        self, account_id: str, asset: str, *, height: int | None = None, prove: bool = False
    ) -> Balance:
        return self._execute(calls.balance(account_id, asset, height, prove))

    def asset(self, symbol: str, *, height: int | None = None, prove: bool = False) -> Asset:
        return self._execute(calls.asset(symbol, height, prove))

    def assets(self, *, height: int | None = None) -> list[Asset]:
        return self._execute(calls.assets(height))

    def query(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        height: int | None = None,
        prove: bool = False,
    ) -> QueryResult:
        """Any registered query path (``accounts/closed``, ``store`` with ``key`` in hex…)."""
        return self._execute(calls.query(path, params or {}, height, prove))

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
        receipt, attempts = self._send(calls.submit(raw, mode, timeout))
        if attempts > 1:
            [receipt] = self._resolve([receipt], mode)
        if check and (error := receipt_error(receipt)) is not None:
            raise error
        return receipt

    def submit_batch(
        self, raws: Sequence[bytes], *, mode: str = "sync", timeout: float | None = None
    ) -> list[SubmitReceipt]:
        """Submit many transactions in one request; receipts in order, never raised on.

        Sent again after a failure that may be transient, as ``submit_tx`` is.
        """
        receipts, attempts = self._send(calls.submit_batch(raws, mode, timeout))
        return self._resolve(receipts, mode) if attempts > 1 else receipts

    def wait_for_tx(
        self, tx_id: str | bytes, *, timeout: float = 30.0, poll_interval: float = 0.2
    ) -> TxInfo:
        """Poll until ``tx_id`` is committed; TxTimeoutError after ``timeout`` seconds.

        A committed transaction is returned even if its execution failed: check
        ``result.ok``.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.tx(tx_id)
            except NotFoundError:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise wait_timeout_error(calls.tx_id_hex(tx_id), timeout)
            time.sleep(min(poll_interval, remaining))

    def signer(
        self, account_id: str, keys: Sequence[tuple[str, PrivateKey]], *, chain_id: str = ""
    ) -> Signer:
        """A Signer for ``account_id`` starting at the account's next nonce on the node.

        ``chain_id`` defaults to the node's; the keys are ``(key id on the account, key)``.
        """
        chain = chain_id or self.status().chain_id
        return Signer(chain, account_id, list(keys), nonce=self.account(account_id).nonce)

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
        what = "open the event stream"
        require_open(self.state, what)
        request = self._http.build_request(
            "GET",
            "/v1/events",
            params=calls.events_params(account, asset, types),
            timeout=httpx.Timeout(self.timeout, read=idle_timeout),
        )
        attempt = 0
        while True:
            try:
                response = self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                if self.backoff.should_retry_transport(attempt):
                    time.sleep(self.backoff.delay(attempt))
                    attempt += 1
                    continue
                raise transport_error(
                    exc, what=what, method="GET", url=str(request.url), attempts=attempt + 1
                ) from exc
            if response.status_code == 200:
                return EventStream(self, response)
            content = response.read()
            response.close()
            retry_after = response.headers.get("retry-after")
            if self.backoff.should_retry_status(response.status_code, attempt):
                time.sleep(self.backoff.delay(attempt, retry_after))
                attempt += 1
                continue
            raise calls.error_from(response.status_code, content, what=what)

    # -- machinery -----------------------------------------------------------------------------

    def _resolve(self, receipts: list[SubmitReceipt], mode: str) -> list[SubmitReceipt]:
        """Receipts of a resubmission, with refusals an earlier attempt caused looked up."""
        resolved = []
        for receipt in receipts:
            if needs_lookup(receipt):
                try:
                    found: TxInfo | None = self.tx(receipt.tx_id)
                    failure = ""
                except NotFoundError:
                    found, failure = None, ""
                except (ApiError, TransportError, ProtocolError) as exc:
                    found, failure = None, str(exc)
                receipt = resolve_resubmitted(receipt, mode, committed=found, lookup_error=failure)
            resolved.append(receipt)
        return resolved

    def _execute(self, call: calls.Call[T]) -> T:
        return self._send(call)[0]

    def _send(self, call: calls.Call[T]) -> tuple[T, int]:
        """The call's result and how many times it was sent."""
        require_open(self.state, call.what)
        timeout = timeout_for(self.timeout, call.extra_wait)
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    call.method,
                    call.path,
                    params=call.params,
                    content=None if call.body is None else orjson.dumps(call.body),
                    headers=None if call.body is None else calls.JSON_HEADERS,
                    timeout=timeout,
                )
            except httpx.TransportError as exc:
                if call.retries_after(exc) and self.backoff.should_retry_transport(attempt):
                    time.sleep(self.backoff.delay(attempt))
                    attempt += 1
                    continue
                raise transport_error(
                    exc,
                    what=call.what,
                    method=call.method,
                    url=self.url + call.path,
                    attempts=attempt + 1,
                ) from exc
            status = response.status_code
            if self.backoff.should_retry_status(status, attempt, call.retry_status):
                time.sleep(self.backoff.delay(attempt, response.headers.get("retry-after")))
                attempt += 1
                continue
            return calls.interpret(call, status, response.content), attempt + 1


class EventStream:
    """Iterate for StreamEvents until the node ends the stream; ``close()`` to stop early."""

    def __init__(self, client: Client, response: httpx.Response) -> None:
        self._client = client
        self._response = response
        self._parser = SseParser()
        self.closed = False

    @property
    def keepalives(self) -> int:
        """Keep-alive (comment) lines seen: proof the connection is alive while idle."""
        return self._parser.comments

    def __iter__(self) -> Iterator[StreamEvent]:
        what = "read the event stream"
        require_open(self._client.state, what)
        try:
            for line in self._response.iter_lines():
                event = self._parser.feed(line)
                if event is not None:
                    yield event
        except httpx.TransportError as exc:
            if self.closed:
                return
            require_open(self._client.state, what)
            raise transport_error(
                exc, what=what, method="GET", url=str(self._response.url), attempts=1
            ) from exc
        except httpx.StreamClosed:
            require_open(self._client.state, what)

    def close(self) -> None:
        self.closed = True
        self._response.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
