"""Retries: reads and submissions are sent again with backoff; other writes never are."""

from __future__ import annotations

import httpx
import pytest

from finchain.client import (
    Client,
    ConnectError,
    ProtocolError,
    RateLimitedError,
    RequestTimeout,
    ServerError,
    UnavailableError,
)
from finchain.client._calls import RESUBMIT_STATUS
from finchain.client._retry import MAX_RETRY_AFTER, Backoff
from tests.client.failing import Script, failing_server
from tests.support import free_port


class CountingTransport(httpx.HTTPTransport):
    """Real HTTP, counting the attempts by method."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts: dict[str, int] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts[request.method] = self.attempts.get(request.method, 0) + 1
        return super().handle_request(request)


def test_reads_are_retried_on_503_then_give_up_typed() -> None:
    script = Script(status=503)
    with failing_server(script) as url, Client(url, retries=3, backoff=0.001) as client:
        with pytest.raises(UnavailableError) as caught:
            client.status()
        assert script.attempts["GET"] == 4
        assert (caught.value.codespace, caught.value.code, caught.value.status) == ("api", 13, 503)


def test_submissions_are_retried_on_503_and_500_logins_never() -> None:
    script = Script(status=503)
    with failing_server(script) as url, Client(url, retries=5, backoff=0.001) as client:
        with pytest.raises(UnavailableError):
            client.submit_tx(b"signed bytes")
        with pytest.raises(UnavailableError):
            client.submit_batch([b"one", b"two"], mode="commit")
        assert script.attempts == {"POST": 12}
        with pytest.raises(UnavailableError):
            client.login("teller", "secret")  # each failed login counts towards a lockout
        assert script.attempts == {"POST": 13}
    internal = Script(status=500)
    with failing_server(internal) as url, Client(url, retries=2, backoff=0.001) as client:
        with pytest.raises(ServerError):
            client.submit_tx(b"signed bytes")
        with pytest.raises(ServerError):
            client.status()  # a read's 500 is not retried: it would fail the same way
    assert internal.attempts == {"POST": 3, "GET": 1}


def test_health_reports_overload_as_false_without_retrying() -> None:
    body = b'{"status": "overloaded", "details": {"exhausted": ["uploads"]}}'
    script = Script(status=503, body=body)
    with failing_server(script) as url, Client(url, retries=3, backoff=0.001) as client:
        assert client.health() is False
    assert script.attempts == {"GET": 1}


def test_a_read_succeeds_after_transient_429s() -> None:
    ok = b'{"status": "ok"}'
    script = Script(status=429, failures=2, ok_body=ok)
    with failing_server(script) as url, Client(url, retries=3, backoff=0.001) as client:
        assert client.health() is True
    assert script.attempts["GET"] == 3


def test_retries_zero_means_one_attempt() -> None:
    script = Script(status=429)
    with (
        failing_server(script) as url,
        Client(url, retries=0) as client,
        pytest.raises(RateLimitedError),
    ):
        client.health()
    assert script.attempts["GET"] == 1


def test_stopped_port_reads_and_submissions_retried() -> None:
    transport = CountingTransport()
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with Client(url, retries=2, backoff=0.001, transport=transport) as client:
        with pytest.raises(ConnectError, match="is the node running"):
            client.status()
        with pytest.raises(ConnectError, match="after 3 attempts"):
            client.submit_tx(b"signed bytes", mode="commit")
    assert transport.attempts == {"GET": 3, "POST": 3}


def test_a_submission_whose_answer_is_slow_is_not_resent() -> None:
    """A read timeout: the node has the request and works on it; sending it again only
    adds load, so the caller is told to look the tx up instead."""
    script = Script(status=200, failures=0, delay=1.0)
    with (
        failing_server(script) as url,
        Client(url, timeout=0.2, retries=3) as client,
        pytest.raises(RequestTimeout, match="look the transaction up by id"),
    ):
        client.submit_tx(b"signed bytes")
    assert script.attempts == {"POST": 1}


def test_answers_that_are_not_the_api_are_protocol_errors() -> None:
    html = Script(status=200, failures=10**9, body=b"<html>hi</html>", content_type="text/html")
    with (
        failing_server(html) as url,
        Client(url, retries=0) as client,
        pytest.raises(ProtocolError, match="not JSON"),
    ):
        client.status()
    proxy = Script(status=502, body=b"<html>bad gateway</html>", content_type="text/html")
    with (
        failing_server(proxy) as url,
        Client(url, retries=1, backoff=0.001) as client,
        pytest.raises(ProtocolError, match="HTTP 502"),
    ):
        client.status()
    assert proxy.attempts["GET"] == 2  # 502 is retryable for reads
    shape = Script(status=200, failures=0, ok_body=b'{"chain_id": 1}')
    with (
        failing_server(shape) as url,
        Client(url) as client,
        pytest.raises(ProtocolError, match="unexpected answer shape"),
    ):
        client.status()


def test_backoff_doubles_caps_and_honours_retry_after() -> None:
    backoff = Backoff(retries=5, base=0.1, cap=1.0)
    assert [backoff.delay(i) for i in range(5)] == [0.1, 0.2, 0.4, 0.8, 1.0]
    assert backoff.delay(0, "3") == 3.0
    assert backoff.delay(0, "3600") == MAX_RETRY_AFTER
    assert backoff.delay(0, "soon") == 0.1
    assert backoff.should_retry_status(503, 4) and not backoff.should_retry_status(503, 5)
    assert not backoff.should_retry_status(400, 0) and not backoff.should_retry_status(500, 0)
    assert backoff.should_retry_status(500, 0, RESUBMIT_STATUS)
