"""ABCI socket framing: each protobuf message is preceded by its length as a uvarint.

This is CometBFT's ``protoio`` delimited format (unsigned varint, as in Go's
``binary.Uvarint``). The decoder is fed whatever the socket delivers and hands
back whole frames; it refuses a length above ``max_frame`` as soon as the
prefix is read, so a peer cannot make us buffer gigabytes, and any malformed
prefix sets ``error`` (a :class:`FrameError`) for the server to close that
connection.
"""

from __future__ import annotations

MAX_FRAME_BYTES = 128 * 1024 * 1024
"""Above CometBFT's largest block (100 MiB) plus the request's own fields."""

_MAX_VARINT_BYTES = 10


class FrameError(ValueError):
    """The byte stream is not a sequence of well-formed frames within the size limit."""


def encode_uvarint(value: int) -> bytes:
    if value < 0:
        raise ValueError(f"uvarint cannot encode a negative number ({value})")
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def frame(payload: bytes) -> bytes:
    return encode_uvarint(len(payload)) + payload


class FrameDecoder:
    """Incremental reader of length-prefixed frames.

    Example::

        decoder = FrameDecoder()
        frames = decoder.feed(chunk)  # answer these, then:
        if decoder.error is not None:
            close_the_connection(decoder.error)
    """

    def __init__(self, max_frame: int = MAX_FRAME_BYTES) -> None:
        self._buffer = bytearray()
        self._max_frame = max_frame
        self.error: FrameError | None = None
        """Set once the stream is malformed; nothing after that point is ever returned."""

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        """Append ``data`` and return every frame it completes, in order.

        Frames that precede a malformed prefix are still returned (their sender
        deserves the answers); ``error`` then tells the caller to close.
        """
        if self.error is not None:
            return []
        self._buffer += data
        frames: list[bytes] = []
        pos = 0
        while True:
            try:
                header = self._read_length(pos)
            except FrameError as exc:
                self.error = exc
                self._buffer.clear()
                return frames
            if header is None:
                break
            length, start = header
            end = start + length
            if end > len(self._buffer):
                break
            frames.append(bytes(self._buffer[start:end]))
            pos = end
        del self._buffer[:pos]
        return frames

    def _read_length(self, pos: int) -> tuple[int, int] | None:
        """(payload length, payload start) of the frame at ``pos``; None if its prefix is cut."""
        value = 0
        for i in range(_MAX_VARINT_BYTES):
            if pos + i >= len(self._buffer):
                return None
            byte = self._buffer[pos + i]
            value |= (byte & 0x7F) << (7 * i)
            if value > self._max_frame:
                raise FrameError(f"a {value}+ byte frame exceeds the {self._max_frame}-byte limit")
            if byte < 0x80:
                return value, pos + i + 1
        raise FrameError(f"length prefix longer than {_MAX_VARINT_BYTES} bytes")
