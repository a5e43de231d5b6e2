"""Batch verification of Ed25519 signatures, with the verdict of each one.

A block carries a thousand signatures; checked together in one multi-scalar
multiplication they cost about half as much as one by one. This is safe for
consensus only because both paths follow ZIP 215 (see
:mod:`finchain.crypto.ed25519`): the batch verdict is exactly the conjunction
of the single verdicts, whatever the batch's random coefficients, so batching
changes the speed and never the outcome. When a batch fails, the native side
re-verifies that chunk item by item, so the result names exactly the invalid
items.
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain import native
from finchain.crypto.ed25519 import admissible


def verify_batch(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """``[ed25519.verify_raw(*item) for item in items]``, computed faster.

    Never raises: a malformed item (wrong type or size, small-order key) is just
    False. Releases the GIL while it verifies, so two threads can share the work.

    Example::

        verdicts = verify_batch([(public_key, message, signature), ...])
        valid = [item for item, ok in zip(items, verdicts) if ok]

    Parameters:
        items: ``(public_key, message, signature)`` triples of raw bytes: a
            32-byte key, any message, a 64-byte signature.
    """
    verdicts = [False] * len(items)
    indices: list[int] = []
    screened: list[tuple[bytes, bytes, bytes]] = []
    for index, item in enumerate(items):
        if type(item) is tuple and len(item) == 3 and admissible(*item):
            indices.append(index)
            screened.append(item)
    for index, valid in zip(indices, native.verify_batch(screened), strict=True):
        verdicts[index] = valid
    return verdicts


__all__ = ["verify_batch"]
