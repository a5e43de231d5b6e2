"""Passphrases that protect keys: a minimum strength for new keys, files only their owner reads.

The rule for a passphrase that will protect a **new** key file (``finchain init``,
``keys new``, ``keys import``, ``keys export``), shaped like NIST SP 800-63B
§5.1.1.2 (length and a block list, no composition rules):

1. at least ``MIN_PASSPHRASE_CHARS`` (12) characters after Unicode NFC
   normalisation (the form the keystore derives the key from);
2. at least ``MIN_DISTINCT_CHARS`` (5) different characters, and not one short
   unit repeated (``aaaaaaaaaaaa``, ``abcabcabcabc``, ``adminadminadmin``);
3. not a run of the alphabet, the digits or a keyboard row (``123456789012``,
   ``abcdefghijkl``, ``qwertyuiopas``), forwards or backwards;
4. not in ``COMMON_PASSPHRASES`` (compared case-insensitively, spaces ignored).

Why this and not an estimator such as zxcvbn: a stolen keystore file is
attacked offline, where only the passphrase's unpredictability and scrypt's
cost (32 MiB per guess) count. Length is the one property a user controls
that reliably raises that; the block list removes what guessing lists try
first. An estimator needs a large dictionary and a package pinned for its
scores, and its verdict changes between versions, so a passphrase accepted
today could be refused tomorrow; this rule is short, reproducible and says
exactly what to change. It is a floor, not a guarantee: a long random
passphrase (``openssl rand -base64 24``) or four or more random words is what
to use.

Unlocking an existing key is never subject to the rule. ``finchain ...
--insecure-passphrase`` skips it for throw-away development keys.

A passphrase file must be readable by its owner only (mode 0600 or 0400):
anyone who can read it can open the key, so ``read_passphrase_file`` refuses
any file that grants the group or others a permission bit.

Errors: ``ErrWeakPassphrase`` (crypto:20) says which part of the rule failed;
``ErrPassphraseFile`` (crypto:21) names the file and what to do. Neither
carries the passphrase.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path

from finchain.crypto.errors import ErrPassphraseFile, ErrWeakPassphrase
from finchain.errors import FinchainError

MIN_PASSPHRASE_CHARS = 12
MIN_DISTINCT_CHARS = 5
_SEQUENCES = (
    "0123456789" * 3,
    "abcdefghijklmnopqrstuvwxyz" * 2,
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertyuiop" * 2,
    "asdfghjkl" * 2,
    "zxcvbnm" * 3,
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)
#: The first entries of public breach-derived guessing lists that reach 12
#: characters, and the obvious ones for this project. Compared after case
#: folding with white space removed.
COMMON_PASSPHRASES = frozenset(
    {
        "1q2w3e4r5t6y",
        "1q2w3e4r5t6y7u8i",
        "abc123abc123",
        "administrator",
        "baseball1234",
        "blockchain123",
        "blockchain1234",
        "changeme1234",
        "changemenow!",
        "correcthorsebatterystaple",
        "dragon123456",
        "finchain1234",
        "finchainpassphrase",
        "finchainpassword",
        "football1234",
        "iloveyou1234",
        "letmein12345",
        "masterpassword",
        "monkey123456",
        "mypassphrase",
        "mypassword123",
        "passphrase12",
        "passphrase123",
        "passphrase1234",
        "password1234",
        "password12345",
        "password123!",
        "password123456",
        "princess1234",
        "qwerty123456",
        "qwertyuiop123",
        "sunshine1234",
        "superman1234",
        "trustno1trustno1",
        "validator1234",
        "welcome12345",
        "zaq12wsxcde3",
    }
)


def normalized(passphrase: str) -> str:
    """The form the keystore derives keys from (NFC): what the rule measures."""
    return unicodedata.normalize("NFC", passphrase)


def check_new_passphrase(passphrase: str) -> None:
    """Refuse a passphrase for a new key that fails the module's rule (ErrWeakPassphrase).

    Example::

        check_new_passphrase("plum orbit velvet canyon")   # passes
        check_new_passphrase("secret")                     # raises crypto:20

    Parameters:
        passphrase: the candidate, as typed or read from a file.
    """
    text = normalized(passphrase)
    hint = (
        "choose a longer one (several random words, or `openssl rand -base64 24` in a "
        "0600 file), or pass --insecure-passphrase for a throw-away development key"
    )
    if len(text) < MIN_PASSPHRASE_CHARS:
        raise ErrWeakPassphrase(
            f"the passphrase has {len(text)} character{'' if len(text) == 1 else 's'}; "
            f"a new key needs at least {MIN_PASSPHRASE_CHARS}: {hint}"
        )
    folded = "".join(text.casefold().split())
    if len(set(folded)) < MIN_DISTINCT_CHARS or _repeats_a_unit(folded):
        raise ErrWeakPassphrase(f"the passphrase repeats a few characters: {hint}")
    if any(folded in seq or folded[::-1] in seq for seq in _SEQUENCES):
        raise ErrWeakPassphrase(f"the passphrase is a run of the keyboard or alphabet: {hint}")
    if folded in COMMON_PASSPHRASES:
        raise ErrWeakPassphrase(
            f"the passphrase is on the list of common passphrases guessed first: {hint}"
        )


def is_strong(passphrase: str) -> bool:
    """Whether ``check_new_passphrase`` would accept ``passphrase``."""
    try:
        check_new_passphrase(passphrase)
    except FinchainError as exc:
        if ErrWeakPassphrase.matches(exc):
            return False
        raise
    return True


def _repeats_a_unit(text: str) -> bool:
    size = len(text)
    units = (u for u in range(1, size // 2 + 1) if size % u == 0)
    return any(text == text[:unit] * (size // unit) for unit in units)


def check_passphrase_file_mode(path: Path) -> None:
    """Refuse a passphrase file that the group or other users may read (ErrPassphraseFile)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        raise ErrPassphraseFile(f"passphrase file {path} does not exist") from None
    except OSError as exc:
        raise ErrPassphraseFile(f"cannot read passphrase file {path}: {exc.strerror}") from None
    if mode & 0o077:
        raise ErrPassphraseFile(
            f"passphrase file {path} is readable or writable by other users (mode {mode:04o}): "
            f"run `chmod 600 {path}`"
        )


def read_passphrase_file(path: Path) -> str:
    """The passphrase in ``path``: its first line without the line ending.

    The file must be mode 0600 or stricter and hold a non-empty first line;
    otherwise ErrPassphraseFile names the file and what to do.
    """
    check_passphrase_file_mode(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ErrPassphraseFile(f"cannot read passphrase file {path}: {reason}") from None
    lines = text.splitlines()
    first = lines[0] if lines else ""
    if not first:
        raise ErrPassphraseFile(
            f"passphrase file {path} is empty: write the passphrase on its first line"
        )
    return first
