"""The socket server in-process: answers in order, and bad input closes only its connection."""

from __future__ import annotations

import asyncio

import pytest

from finchain.chain import FinchainApp
from finchain.crypto import generate_private_key
from finchain.engines.cometbft.adapter import AbciAdapter
from finchain.engines.cometbft.framing import FrameDecoder, encode_uvarint, frame
from finchain.engines.cometbft.server import AbciServer, CrashPoint
from finchain.engines.cometbft.wire import abci_types
from tests.functional.cometbft.genesis import Accounts, genesis_with_validators

pb = abci_types()
TIMEOUT = 10.0


def request(**kind) -> bytes:
    return frame(pb.Request(**kind).SerializeToString())


async def exchange(path, data: bytes, expect: int) -> tuple[list, bool]:
    """Send ``data``, read ``expect`` responses, then report whether the server closed."""
    reader, writer = await asyncio.open_unix_connection(str(path))
    writer.write(data)
    await writer.drain()
    decoder, responses = FrameDecoder(), []
    while len(responses) < expect:
        chunk = await asyncio.wait_for(reader.read(65536), TIMEOUT)
        if not chunk:
            break
        responses += [pb.Response.FromString(f) for f in decoder.feed(chunk)]
    try:
        closed = await asyncio.wait_for(reader.read(1), 0.3) == b""
    except TimeoutError:
        closed = False
    writer.close()
    return responses, closed


@pytest.fixture
def served(tmp_path):
    """Run ``scenario(server, socket_path)`` against a live server; return its result."""

    def run(scenario, **server_options):
        async def main():
            accounts = Accounts.create(1)
            key = generate_private_key("ed25519").public_key().data
            app = FinchainApp(tmp_path / "data")
            adapter = AbciAdapter(app, genesis=genesis_with_validators(accounts, [key]))
            server = AbciServer(adapter, **server_options)
            path = tmp_path / "abci.sock"
            await server.start_unix(path)
            stopped = asyncio.ensure_future(server.wait_stopped())
            try:
                return await asyncio.wait_for(scenario(server, path), TIMEOUT)
            finally:
                server.stop()
                await asyncio.wait_for(stopped, TIMEOUT)
                app.close()

        return asyncio.run(main())

    return run


def test_pipelined_requests_are_answered_in_order(served):
    async def scenario(_server, path):
        burst = b"".join(request(echo=pb.RequestEcho(message=str(i))) for i in range(200))
        return await exchange(
            path, burst + request(info=pb.RequestInfo()) + request(flush=pb.RequestFlush()), 202
        )

    responses, closed = served(scenario)
    assert [r.echo.message for r in responses[:200]] == [str(i) for i in range(200)]
    assert [r.WhichOneof("value") for r in responses[200:]] == ["info", "flush"]
    assert not closed


@pytest.mark.parametrize(
    "garbage",
    [
        b"\xff" * 11,  # a length prefix that never ends
        encode_uvarint(1 << 30),  # a frame larger than the limit
        frame(b"\x0a\xff\xff\xff\xff\x0f"),  # a frame that is not protobuf
        frame(b"\xaa\x07\x00"),  # protobuf, but no known request
    ],
)
def test_garbage_closes_that_connection_and_the_server_carries_on(served, garbage):
    async def scenario(_server, path):
        first = await exchange(path, request(echo=pb.RequestEcho(message="a")) + garbage, 1)
        second = await exchange(path, request(echo=pb.RequestEcho(message="b")), 1)
        return first, second

    (before, closed), (after, still_open) = served(scenario, max_frame=1 << 20)
    assert [r.echo.message for r in before] == ["a"], "requests before the garbage are answered"
    assert closed
    assert [r.echo.message for r in after] == ["b"] and not still_open


def test_the_server_stops_when_the_consensus_connection_closes(served):
    async def scenario(server, path):
        init = pb.RequestInitChain(chain_id="test-chain", initial_height=1)
        init.time.seconds = 1767225600
        responses, _ = await exchange(path, request(init_chain=init), 1)
        await asyncio.wait_for(server._stopped.wait(), TIMEOUT)
        return responses

    (response,) = served(scenario)
    assert response.WhichOneof("value") == "init_chain", response


def test_crash_point_parsing():
    assert CrashPoint.parse("finalize_block:7") == CrashPoint("finalize_block", 7)
    for bad in ["commit", "commit:x", "begin_block:3"]:
        with pytest.raises(ValueError, match="crash point"):
            CrashPoint.parse(bad)
