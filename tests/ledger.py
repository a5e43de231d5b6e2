"""The bank's own invariants, checked from outside after every step of a state machine.

Every module that moves money does it through the bank, so every module's property test
asks the same of the ledger: each holding positive with its frozen part within it, and
each asset's supply equal to the sum of its holdings.
"""

from __future__ import annotations

from finchain.chain import FinchainApp


def checked_holdings(app: FinchainApp) -> dict[tuple[str, str], tuple[int, int]]:
    """``(account, asset) -> (balance, frozen)`` of every holding, once the ledger's rules
    are asserted: balance > 0, 0 <= frozen <= balance, supply = sum of balances per asset."""
    bank, state = app.bank, app.state
    holdings: dict[tuple[str, str], tuple[int, int]] = {}
    sums: dict[str, int] = {}
    for account, asset, balance, frozen in bank.all_holdings(state):
        assert balance > 0 and 0 <= frozen <= balance, (account, asset, balance, frozen)
        holdings[(account, asset)] = (balance, frozen)
        sums[asset] = sums.get(asset, 0) + balance
    for found in bank.iterate_assets(state):
        assert bank.supply(state, found.symbol) == sums.pop(found.symbol, 0), found.symbol
    assert not sums, f"holdings in unknown assets {sorted(sums)}"
    return holdings
