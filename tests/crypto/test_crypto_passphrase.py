"""The strength rule for new keys' passphrases, and passphrase files only their owner reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from finchain.crypto import (
    ErrPassphraseFile,
    ErrWeakPassphrase,
    check_new_passphrase,
    read_passphrase_file,
)
from finchain.crypto.passphrase import COMMON_PASSPHRASES, MIN_PASSPHRASE_CHARS, is_strong
from finchain.errors import FinchainError


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        ("", "has 0 characters"),
        ("x", "has 1 character;"),
        ("eleven char", "has 11 characters"),
        ("aaaaaaaaaaaaaaaa", "repeats"),
        ("abcabcabcabc", "repeats"),
        ("aaaaaaaaaaab", "repeats"),  # 2 distinct characters
        ("123456789012", "run of the keyboard or alphabet"),
        ("ZYXWVUTSRQPO", "run of the keyboard or alphabet"),
        ("qwertyuiopas", "run of the keyboard or alphabet"),
        ("Password1234", "common passphrases"),
        ("pass word 1234", "common passphrases"),  # spaces and case do not hide it
        ("Correct Horse Battery Staple", "common passphrases"),
    ],
)
def test_weak_passphrases_are_refused_with_the_reason(candidate: str, reason: str) -> None:
    with pytest.raises(FinchainError) as raised:
        check_new_passphrase(candidate)
    assert ErrWeakPassphrase.matches(raised.value) and raised.value.code == 20
    assert reason in raised.value.message
    assert "--insecure-passphrase" in raised.value.message
    if len(candidate) > 3:
        assert candidate not in raised.value.message  # never echoes the secret


@pytest.mark.parametrize(
    "candidate",
    [
        "plum orbit velvet canyon",
        "k3#Vq9!xT2pL",  # exactly 12, random
        "Zr8Lq2x0bYc1Ke7W",
        "红色的狐狸跳过了懒惰的狗儿们",  # 14 characters: counted as characters, not bytes
    ],
)
def test_strong_passphrases_pass(candidate: str) -> None:
    check_new_passphrase(candidate)
    assert is_strong(candidate)


def test_the_rule_counts_nfc_characters() -> None:
    # "é" typed as e + combining accent is one character once normalised, as the keystore sees it
    decomposed = "cafe\u0301" * 2 + "xyz"  # 13 code points, 11 after NFC
    assert len(decomposed) == 13
    with pytest.raises(FinchainError, match="has 11 characters"):
        check_new_passphrase(decomposed)


def test_every_common_entry_is_refused_and_long_enough_to_matter() -> None:
    for entry in COMMON_PASSPHRASES:
        assert len(entry) >= MIN_PASSPHRASE_CHARS, entry  # shorter ones fail on length anyway
        assert not is_strong(entry.upper())


def _file(path: Path, text: str, mode: int) -> Path:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_owner_only_files_are_read_first_line_only(tmp_path: Path, mode: int) -> None:
    path = _file(tmp_path / "pass", "plum orbit velvet canyon\nsecond line\n", mode)
    assert read_passphrase_file(path) == "plum orbit velvet canyon"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602])
def test_files_others_may_read_or_write_are_refused(tmp_path: Path, mode: int) -> None:
    path = _file(tmp_path / "pass", "plum orbit velvet canyon\n", mode)
    with pytest.raises(FinchainError) as raised:
        read_passphrase_file(path)
    assert ErrPassphraseFile.matches(raised.value) and raised.value.code == 21
    assert f"chmod 600 {path}" in raised.value.message and f"{mode:04o}" in raised.value.message
    assert "plum" not in raised.value.message


def test_missing_and_empty_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FinchainError, match="does not exist") as raised:
        read_passphrase_file(tmp_path / "absent")
    assert ErrPassphraseFile.matches(raised.value)
    for text in ("", "\n", "\nsecond line\n"):
        path = _file(tmp_path / "empty", text, 0o600)
        with pytest.raises(FinchainError, match="is empty") as raised:
            read_passphrase_file(path)
        assert ErrPassphraseFile.matches(raised.value)
