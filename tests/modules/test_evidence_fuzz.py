"""Fuzzing the evidence parsers: any input parses or fails with a registered code, never a crash."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.core.errors import ErrBadQuery, ErrInvalidMsg
from finchain.errors import FinchainError
from finchain.modules.evidence import queries
from finchain.modules.evidence.errors import ErrRecordNotFound
from finchain.modules.evidence.keeper import EvidenceView
from finchain.modules.evidence.messages import MsgCosign, MsgRecord
from tests.support import code

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=80),
    st.binary(max_size=40),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=20), st.dictionaries(st.text(max_size=40), inner, max_size=20)
    ),
    max_leaves=40,
)
_near_valid = st.fixed_dictionaries(
    {
        "hash_alg": st.sampled_from(["sm3", "sha256", "md5", "", "SHA256"]),
        "hash": st.one_of(st.binary(min_size=30, max_size=34), _values),
        "kind": st.one_of(st.sampled_from(["contract", "batch_root", "Kind", ""]), _values),
        "metadata": st.one_of(
            st.dictionaries(st.text(max_size=40), st.text(max_size=300), max_size=20), _values
        ),
        "cosigners": st.one_of(st.lists(st.sampled_from(["FC671234567890", "FC00"])), _values),
    },
    optional={"extra": _values},
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_near_valid, st.dictionaries(st.text(max_size=12), _values, max_size=6), _values))
def test_message_parsers_accept_or_refuse_with_invalid_msg(value: Any) -> None:
    for cls in (MsgRecord, MsgCosign):
        try:
            msg = cls.from_value(value)
        except FinchainError as exc:
            assert exc.error is ErrInvalidMsg, exc
            continue
        assert cls.from_value(msg.to_value()) == msg


class _Empty:
    def get(self, key: bytes) -> bytes | None:
        return None

    def iterate(self, prefix: bytes) -> Any:
        return iter(())


_params = st.dictionaries(
    st.sampled_from(["hash_alg", "hash", "submitter", "from", "to", "limit", "cursor"]),
    st.one_of(
        st.text(max_size=70),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from(["sha256", "0" * 64, "2026-01-01T00:00:00+08:00", "FC671234567890"]),
        st.none(),
    ),
)


@pytest.mark.parametrize("query", [queries.record, queries.by_submitter, queries.by_time])
@settings(max_examples=300, deadline=None)
@given(params=_params)
def test_query_parsers_refuse_with_bad_query(query: Any, params: dict[str, Any]) -> None:
    try:
        query(EvidenceView(), _Empty(), params)
    except FinchainError as exc:
        assert exc.error is ErrBadQuery or (exc.codespace, exc.code) == code(ErrRecordNotFound), exc
