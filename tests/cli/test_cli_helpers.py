"""Amount scaling and account-name resolution: the small rules users rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finchain.cli import accountbook
from finchain.cli.amounts import from_units, to_units
from finchain.cli.output import CliError
from finchain.crypto import Keystore
from finchain.modules.accounts.types import account_id
from tests.cli.conftest import PASSPHRASE, make_chain


@pytest.mark.parametrize(
    ("text", "decimals", "units"),
    [("12.5", 2, 1250), ("12", 2, 1200), ("0.01", 2, 1), ("7", 0, 7), ("1_000.000", 3, 1000000)],
)
def test_to_units_scales_exactly(text: str, decimals: int, units: int) -> None:
    assert to_units(text, decimals) == units
    assert to_units(from_units(units, decimals), decimals) == units


@pytest.mark.parametrize("text", ["1.001", "-1", "1e3", "0.00", "", "1.2.3", "NaN"])
def test_to_units_refuses(text: str) -> None:
    with pytest.raises(CliError):
        to_units(text, 2)


def test_from_units_pads() -> None:
    assert from_units(5, 2) == "0.05" and from_units(1234, 2) == "12.34" and from_units(3, 0) == "3"


def test_resolution_order(tmp_path: Path) -> None:
    chain = make_chain(tmp_path)
    home = chain.home.path
    store = Keystore(chain.home.keystore_dir)
    # a genesis account found through its keystore key
    assert accountbook.resolve("alice", home, store) == chain.ids["alice"]
    # an id is taken as is; the address book wins over genesis
    other = account_id(42)
    assert accountbook.resolve(other, home, store) == other
    accountbook.remember(home, "alice", other)
    assert accountbook.resolve("alice", home, store) == other
    assert json.loads((home / "accounts.json").read_text()) == {"alice": other}
    with pytest.raises(CliError, match="unknown account"):
        accountbook.resolve("nobody", home, store)
    with pytest.raises(CliError, match="not an account id"):
        accountbook.remember(home, "x", "FC000000000000")
    assert store.load("bob", PASSPHRASE)  # the keystore was only read
