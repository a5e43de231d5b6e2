"""What ``Client`` and ``AsyncClient`` share: the logic of every call, written once, no I/O.

Each call is a *flow*: a generator that yields the steps it needs done (``Send`` this
request, ``Sleep`` this long) and is sent each step's outcome back: the response, or the
``httpx.TransportError`` the request raised. Retries and their backoff, the lookups after
a resubmission, polling for a tx, logins and opening the event stream are flows.
``Client`` does each step with blocking I/O, ``AsyncClient`` awaits it (``_run``); neither
decides anything, so the two cannot drift apart.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

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
from finchain.client.regulator import RequestSigner
from finchain.client.types import SubmitReceipt, TxInfo
from finchain.crypto import PrivateKey

T = TypeVar("T")
TransportT = TypeVar("TransportT", httpx.BaseTransport, httpx.AsyncBaseTransport)


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``request``; the outcome is the response or the transport error it raised.

    ``stream``: send it for a streamed body; a 200 comes back unread, any other status
    read and closed.
    """

    request: httpx.Request
    stream: bool = False


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds``; the outcome is None."""

    seconds: float


Step = Send | Sleep
#: A call's logic: yields steps, is sent their outcomes, returns the call's result.
Flow = Generator[Step, Any, T]


class Run(Generic[T]):
    """A flow being driven: ``step`` is what it asks for next; None once it returned ``result``."""

    def __init__(self, flow: Flow[T]) -> None:
        self._flow = flow
        self.step: Step | None = None
        self.result: T
        self.answer(None)

    def answer(self, outcome: httpx.Response | httpx.TransportError | None) -> None:
        """Hand the outcome of ``step`` to the flow and take its next step."""
        try:
            self.step = self._flow.send(outcome)
        except StopIteration as done:
            self.step, self.result = None, done.value


class BaseClient(Generic[TransportT]):
    """A node's HTTP API without the I/O: ``Client`` and ``AsyncClient`` add it.

    Parameters: see ``Client``.
    """

    _http: httpx.Client | httpx.AsyncClient

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.1,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
        transport: TransportT | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.backoff = Backoff(retries=retries, base=backoff)
        self.state = ClientState.OPEN
        self._http = self._connect(headers, transport)
        set_token(self._http.headers, token)

    def _connect(
        self, headers: Mapping[str, str] | None, transport: TransportT | None
    ) -> httpx.Client | httpx.AsyncClient:
        """The httpx client that does the I/O."""
        raise NotImplementedError

    # -- flows -----------------------------------------------------------------------------------

    def _exchange(
        self, call: calls.Call[Any], request: httpx.Request, *, url: str, stream: bool = False
    ) -> Flow[tuple[httpx.Response, int]]:
        """Send ``request`` again while ``call`` allows; the last answer and the attempts.

        ``url`` names the node in a TransportError.
        """
        attempt = 0
        while True:
            outcome = yield Send(request, stream)
            if isinstance(outcome, httpx.TransportError):
                retry = call.retries_after(outcome) and self.backoff.should_retry_transport(attempt)
                if not retry:
                    raise transport_error(
                        outcome, what=call.what, method=call.method, url=url, attempts=attempt + 1
                    ) from outcome
                delay = self.backoff.delay(attempt)
            elif self.backoff.should_retry_status(outcome.status_code, attempt, call.retry_status):
                delay = self.backoff.delay(attempt, outcome.headers.get("retry-after"))
            else:
                return outcome, attempt + 1
            yield Sleep(delay)
            attempt += 1

    def _send(self, call: calls.Call[T]) -> Flow[tuple[T, int]]:
        """The call's result and how many times it was sent."""
        require_open(self.state, call.what)
        request = self._http.build_request(
            call.method,
            call.path,
            params=call.params,
            content=None if call.body is None else orjson.dumps(call.body),
            headers=None if call.body is None else calls.JSON_HEADERS,
            timeout=timeout_for(self.timeout, call.extra_wait),
        )
        response, attempts = yield from self._exchange(call, request, url=self.url + call.path)
        return calls.interpret(call, response.status_code, response.content), attempts

    def _download(self, call: calls.Call[Any]) -> Flow[bytes]:
        """The body of a 2xx answer as it came (a report file), retried as ``call`` allows."""
        require_open(self.state, call.what)
        request = self._http.build_request(
            call.method,
            call.path,
            params=call.params,
            timeout=timeout_for(self.timeout, call.extra_wait),
        )
        response, _ = yield from self._exchange(call, request, url=self.url + call.path)
        if not 200 <= response.status_code < 300:
            raise calls.error_from(response.status_code, response.content, what=call.what)
        return response.content

    def _execute(self, call: calls.Call[T]) -> Flow[T]:
        result, _ = yield from self._send(call)
        return result

    def _login(self, username: str, password: str) -> Flow[AuthSession]:
        session = yield from self._execute(login_call(username, password))
        set_token(self._http.headers, session.token)
        return session

    def _logout(self) -> Flow[None]:
        if "Authorization" not in self._http.headers:
            return
        try:
            yield from self._execute(logout_call())
        except AuthenticationError:
            pass  # a token the node no longer knows is logged out already
        finally:
            set_token(self._http.headers, None)

    def _submit_tx(
        self, raw: bytes, mode: str, timeout: float | None, check: bool
    ) -> Flow[SubmitReceipt]:
        receipt, attempts = yield from self._send(calls.submit(raw, mode, timeout))
        if attempts > 1:
            [receipt] = yield from self._resolve([receipt], mode)
        if check and (error := receipt_error(receipt)) is not None:
            raise error
        return receipt

    def _submit_batch(
        self, raws: Sequence[bytes], mode: str, timeout: float | None
    ) -> Flow[list[SubmitReceipt]]:
        receipts, attempts = yield from self._send(calls.submit_batch(raws, mode, timeout))
        if attempts > 1:
            receipts = yield from self._resolve(receipts, mode)
        return receipts

    def _resolve(self, receipts: list[SubmitReceipt], mode: str) -> Flow[list[SubmitReceipt]]:
        """Receipts of a resubmission, with refusals an earlier attempt caused looked up."""
        resolved = []
        for receipt in receipts:
            if needs_lookup(receipt):
                try:
                    found: TxInfo | None = yield from self._execute(calls.tx(receipt.tx_id))
                    failure = ""
                except NotFoundError:
                    found, failure = None, ""
                except (ApiError, TransportError, ProtocolError) as exc:
                    found, failure = None, str(exc)
                receipt = resolve_resubmitted(receipt, mode, committed=found, lookup_error=failure)
            resolved.append(receipt)
        return resolved

    def _wait_for_tx(
        self, tx_id: str | bytes, timeout: float, poll_interval: float
    ) -> Flow[TxInfo]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                info: TxInfo = yield from self._execute(calls.tx(tx_id))
                return info
            except NotFoundError:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise wait_timeout_error(calls.tx_id_hex(tx_id), timeout)
            yield Sleep(min(poll_interval, remaining))

    def _signer(
        self, account_id: str, keys: Sequence[tuple[str, PrivateKey]], chain_id: str
    ) -> Flow[Signer]:
        chain = chain_id or (yield from self._execute(calls.status())).chain_id
        account = yield from self._execute(calls.account(account_id, None, False))
        return Signer(chain, account_id, list(keys), nonce=account.nonce)

    def _use_regulator(
        self, account_id: str, keys: Sequence[tuple[str, PrivateKey]], chain_id: str, suite: str
    ) -> Flow[RequestSigner]:
        """Sign requests to ``/v1/regulator/`` from now on (chain id and suite: the node's)."""
        if not (chain_id and suite):
            status = yield from self._execute(calls.status())
            chain_id, suite = chain_id or status.chain_id, suite or status.suite
        signer = RequestSigner(chain_id, suite, account_id, keys)
        self._http.auth = signer
        return signer

    def _open_stream(
        self,
        call: calls.Call[None],
        idle_timeout: float,
        headers: Mapping[str, str] | None = None,
    ) -> Flow[httpx.Response]:
        """The event stream's response, its body not read yet."""
        require_open(self.state, call.what)
        request = self._http.build_request(
            call.method,
            call.path,
            params=call.params,
            headers=headers,
            timeout=httpx.Timeout(self.timeout, read=idle_timeout),
        )
        response, _ = yield from self._exchange(call, request, url=str(request.url), stream=True)
        if response.status_code != 200:
            raise calls.error_from(response.status_code, response.content, what=call.what)
        return response


class BaseEventStream:
    """What the sync and async event streams share: the SSE parser and their errors."""

    def __init__(self, client: BaseClient[Any]) -> None:
        self._client = client
        self._parser = SseParser()
        self.closed = False

    @property
    def keepalives(self) -> int:
        """Keep-alive (comment) lines seen: proof the connection is alive while idle."""
        return self._parser.comments

    @contextmanager
    def _reading(self, url: str) -> Iterator[None]:
        """Around reading the stream: its errors as the SDK's (none once closed on purpose)."""
        what = "read the event stream"
        require_open(self._client.state, what)
        try:
            yield
        except httpx.TransportError as exc:
            if self.closed:
                return
            require_open(self._client.state, what)
            raise transport_error(exc, what=what, method="GET", url=url, attempts=1) from exc
        except httpx.StreamClosed:
            require_open(self._client.state, what)
