"""Parsing a Server-Sent Events stream, one line at a time (no I/O)."""

from __future__ import annotations

import json

from finchain.client.errors import ProtocolError
from finchain.client.types import StreamEvent


class SseParser:
    """Feed lines (without their newline); a complete event comes back on its blank line.

    Comment lines (``: keep-alive``) only prove the connection is alive; they are counted
    in ``comments`` and otherwise ignored, as the SSE spec says.
    """

    def __init__(self) -> None:
        self._data: list[str] = []
        self.comments = 0

    def feed(self, line: str) -> StreamEvent | None:
        if line.startswith(":"):
            self.comments += 1
            return None
        if line:
            name, _, value = line.partition(":")
            if name == "data":
                self._data.append(value[1:] if value.startswith(" ") else value)
            return None  # "event" and "id" are repeated inside data; unknown fields ignored
        if not self._data:
            return None
        payload, self._data = "\n".join(self._data), []
        try:
            return StreamEvent.from_json(json.loads(payload))
        except (ValueError, KeyError, TypeError):
            raise ProtocolError(f"malformed event on the stream: {payload[:100]!r}") from None
