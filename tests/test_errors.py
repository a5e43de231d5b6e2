"""The error registry: stable, unique codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from finchain.errors import ErrInternal, all_codes, import_all_codes, lookup, register, to_abci

import_all_codes()


def test_duplicate_code_fails_at_registration():
    with pytest.raises(ValueError):
        register("bank", 2, "a second meaning for an existing code")


def test_every_registered_code_round_trips():
    codes = all_codes()
    assert len({(c.codespace, c.code) for c in codes}) == len(codes)
    for c in codes:
        assert lookup(c.codespace, c.code) is c


def test_unregistered_exceptions_do_not_leak_their_text():
    code, codespace, log = to_abci(RuntimeError("secret path /home/x/key.pem"))
    assert (code, codespace) == (ErrInternal.code, ErrInternal.codespace)
    assert "secret" not in log


def test_documented_codes_match_registry():
    """Every code finchain registers is in docs/errors.md (asked of a fresh process, so codes
    a test registers for its own module, like the writing-a-module walk-through, don't count)."""
    doc = (Path(__file__).parent.parent / "docs" / "errors.md").read_text()
    listing = subprocess.run(
        [
            sys.executable,
            "-c",
            "from finchain.errors import all_codes, import_all_codes; import_all_codes(); "
            "print('\\n'.join(f'{c.codespace} {c.code}' for c in all_codes()))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    codes = [line.split() for line in listing.stdout.splitlines()]
    assert len(codes) > 200
    for codespace, code in codes:
        assert f"| {codespace} | {code} |" in doc, f"docs/errors.md lacks {codespace}:{code}"
