"""The bank module's key layout: the only place its store keys are spelled."""

from __future__ import annotations

from finchain.core.collections import StoreKey

PREFIX = b"bank/"
STORE = StoreKey("bank", PREFIX)
ASSET = PREFIX + b"asset/"
SUPPLY = PREFIX + b"supply/"
BALANCE = PREFIX + b"bal/"


def asset(symbol: str) -> bytes:
    return ASSET + symbol.encode()


def supply(symbol: str) -> bytes:
    return SUPPLY + symbol.encode()


def balances_of(account: str) -> bytes:
    return BALANCE + account.encode() + b"/"


def balance(account: str, symbol: str) -> bytes:
    return BALANCE + account.encode() + b"/" + symbol.encode()


def split_account_symbol(key: bytes, prefix: bytes) -> tuple[str, str]:
    account, symbol = key[len(prefix) :].split(b"/", 1)
    return account.decode(), symbol.decode()
