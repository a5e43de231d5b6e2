"""Overlay prefix iteration (kept from a sorted key list) against a plain model."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import example, given, settings
from hypothesis import strategies as st

from finchain.core.kv import Overlay


class Committed:
    """A committed store as a sorted dict."""

    def __init__(self, items: dict[bytes, bytes]) -> None:
        self.items = items

    def get(self, key: bytes) -> bytes | None:
        return self.items.get(key)

    def iterate(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        return iter(sorted((k, v) for k, v in self.items.items() if k.startswith(prefix)))


KEYS = st.lists(st.sampled_from([b"a", b"b", b"\xff"]), max_size=2).map(b"".join)
OPS = st.lists(
    st.tuples(
        st.sampled_from(["set", "delete", "iterate", "flush", "begin"]),
        KEYS,
        st.binary(min_size=1, max_size=2),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@example({}, [("iterate", b"", b"1"), ("set", b"a", b"1"), ("iterate", b"", b"1")])
@example(
    {}, [("iterate", b"", b"1"), ("set", b"a", b"1"), ("flush", b"", b"1"), ("iterate", b"", b"1")]
)
@example({b"a": b"1"}, [("iterate", b"", b"1"), ("delete", b"a", b"1"), ("iterate", b"", b"1")])
@example(  # more keys added between two scans than are bisected in one by one
    {b"b5": b"1"},
    [("iterate", b"", b"1")]
    + [("set", b"b%d" % (i * 7 % 20), b"2") for i in range(20)]
    + [("iterate", b"b", b"1"), ("flush", b"", b"1"), ("iterate", b"b", b"1")],
)
@given(st.dictionaries(KEYS, st.binary(min_size=1, max_size=2), max_size=8), OPS)
def test_prefix_iteration_matches_a_plain_merge(
    committed: dict[bytes, bytes], ops: list[tuple[str, bytes, bytes]]
) -> None:
    block = Overlay(Committed(dict(committed)))
    tx = Overlay(block)
    model = dict(committed)  # what the transaction sees
    flushed = dict(committed)  # what the block sees
    for op, key, value in ops:
        if op == "set":
            tx.set(key, value)
            model[key] = value
        elif op == "delete":
            tx.delete(key)
            model.pop(key, None)
        elif op == "flush":
            tx.flush_into(block)
            tx = Overlay(block)
            flushed = dict(model)
        elif op == "begin":  # the transaction is dropped
            tx = Overlay(block)
            model = dict(flushed)
        else:
            prefix = key[:1]  # short prefixes: most keys fall under one
            want = sorted((k, v) for k, v in model.items() if k.startswith(prefix))
            assert list(tx.iterate(prefix)) == want
            block_want = sorted((k, v) for k, v in flushed.items() if k.startswith(prefix))
            assert list(block.iterate(prefix)) == block_want
        for k in {key, b"", b"a"}:
            assert tx.get(k) == model.get(k)
