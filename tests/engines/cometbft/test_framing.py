"""The uvarint frame codec and request parsing: whatever arrives, the reader never crashes."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.chain import FinchainApp
from finchain.engines.cometbft.adapter import AbciAdapter, MalformedRequest
from finchain.engines.cometbft.framing import (
    FrameDecoder,
    FrameError,
    encode_uvarint,
    frame,
)


def chunks_of(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def test_uvarint_matches_go_binary_putuvarint():
    assert encode_uvarint(0) == b"\x00"
    assert encode_uvarint(127) == b"\x7f"
    assert encode_uvarint(300) == b"\xac\x02"
    assert encode_uvarint(2**63) == b"\x80" * 9 + b"\x01"


@given(
    payloads=st.lists(st.binary(max_size=300), max_size=8),
    cuts=st.lists(st.integers(min_value=0), max_size=12),
)
def test_frames_survive_any_split(payloads, cuts):
    stream = b"".join(frame(p) for p in payloads)
    decoder = FrameDecoder()
    got = [f for chunk in chunks_of(stream, cuts) for f in decoder.feed(chunk)]
    assert got == payloads
    assert decoder.buffered == 0


@settings(max_examples=2000)
@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(min_value=0), max_size=6))
def test_random_bytes_give_frames_or_an_error_never_an_exception(data, cuts):
    decoder = FrameDecoder(max_frame=1024)
    for chunk in chunks_of(data, cuts):
        for payload in decoder.feed(chunk):
            assert len(payload) <= 1024
    assert decoder.buffered <= 1024 + 10, "never buffers more than one frame and its prefix"
    if decoder.error is not None:
        assert decoder.feed(b"\x00") == [], "nothing is read past a malformed prefix"


def test_oversized_length_is_refused_before_the_payload_arrives():
    decoder = FrameDecoder(max_frame=1000)
    assert decoder.feed(frame(b"ok") + encode_uvarint(1001)) == [b"ok"]
    assert "exceeds the 1000-byte limit" in str(decoder.error)
    early = FrameDecoder(max_frame=1000)
    early.feed(encode_uvarint(2**40 - 1)[:2])
    assert isinstance(early.error, FrameError)


def test_overlong_prefix_is_refused():
    decoder = FrameDecoder()
    decoder.feed(b"\x80" * 11)
    assert "longer than 10 bytes" in str(decoder.error)


def test_partial_prefix_waits_for_more():
    decoder = FrameDecoder()
    assert decoder.feed(b"\xac") == []
    assert decoder.feed(b"\x02" + b"x" * 299) == []
    assert decoder.feed(b"x") == [b"x" * 300]


@pytest.fixture(scope="module")
def adapter(tmp_path_factory):
    app = FinchainApp(tmp_path_factory.mktemp("parse") / "data")
    yield AbciAdapter(app)
    app.close()


@settings(max_examples=2000)
@given(payload=st.binary(max_size=300))
def test_any_frame_parses_to_a_known_request_or_is_malformed(adapter, payload):
    try:
        request = adapter.parse(payload)
    except MalformedRequest:
        return
    assert request.WhichOneof("value") is not None
