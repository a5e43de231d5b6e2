"""The error registry: stable, unique codes."""

from __future__ import annotations

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
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "errors.md").read_text()
    for c in all_codes():
        assert f"| {c.codespace} | {c.code} |" in doc, (
            f"docs/errors.md lacks {c.codespace}:{c.code}"
        )
