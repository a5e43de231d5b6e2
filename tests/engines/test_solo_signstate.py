"""The solo validator's signing record: the rules that keep it from signing twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finchain.engines.solo.errors import ErrDoubleSign, ErrSignState
from finchain.engines.solo.signstate import SignState
from finchain.errors import FinchainError

H5, H5_OTHER, H6 = b"\x05" * 32, b"\x55" * 32, b"\x06" * 32


def recorded(tmp_path: Path, height: int, block_hash: bytes) -> SignState:
    state = SignState.open(tmp_path / "validator_state.json")
    state.record(height, block_hash)
    return SignState.open(tmp_path / "validator_state.json")


def test_record_is_durable_private_and_read_back(tmp_path: Path) -> None:
    state = recorded(tmp_path, 5, H5)
    assert (state.last.height, state.last.block_hash) == (5, H5)
    path = tmp_path / "validator_state.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text()) == {"height": "5", "block_hash": H5.hex()}
    assert not (tmp_path / "validator_state.json.tmp").exists()


def test_a_missing_record_is_a_new_validator(tmp_path: Path) -> None:
    state = SignState.open(tmp_path / "validator_state.json")
    assert state.last.height == 0
    state.check_sign(1, H6)


@pytest.mark.parametrize(
    ("height", "block_hash", "allowed"),
    [(6, H6, True), (5, H5, True), (5, H5_OTHER, False), (4, H5, False), (1, H6, False)],
)
def test_never_signs_another_block_at_or_below_the_record(
    tmp_path: Path, height: int, block_hash: bytes, allowed: bool
) -> None:
    state = recorded(tmp_path, 5, H5)
    if allowed:
        state.check_sign(height, block_hash)
    else:
        with pytest.raises(FinchainError) as info:
            state.check_sign(height, block_hash)
        assert ErrDoubleSign.matches(info.value)


def test_start_refuses_a_database_behind_the_record(tmp_path: Path) -> None:
    state = recorded(tmp_path, 5, H5)
    with pytest.raises(FinchainError) as info:
        state.check_start(3, {3: H6})
    assert ErrSignState.matches(info.value) and "signed block 5" in info.value.message


def test_start_refuses_another_block_at_the_recorded_height(tmp_path: Path) -> None:
    state = recorded(tmp_path, 5, H5)
    with pytest.raises(FinchainError) as info:
        state.check_start(5, {5: H5_OTHER})
    assert ErrSignState.matches(info.value)


def test_start_catches_up_after_a_crash_between_commit_and_record(tmp_path: Path) -> None:
    state = recorded(tmp_path, 5, H5)
    state.check_start(6, {5: H5, 6: H6})
    assert SignState.open(tmp_path / "validator_state.json").last.height == 6


@pytest.mark.parametrize(
    "text", ["", "{", '{"height": "x", "block_hash": ""}', '{"height": "3", "block_hash": "ab"}']
)
def test_a_malformed_record_is_refused(tmp_path: Path, text: str) -> None:
    (tmp_path / "validator_state.json").write_text(text)
    with pytest.raises(FinchainError) as info:
        SignState.open(tmp_path / "validator_state.json")
    assert ErrSignState.matches(info.value)
