"""The accounts module's key layout: the only place its store keys are spelled."""

from __future__ import annotations

from finchain.core.collections import StoreKey

PREFIX = b"accounts/"
STORE = StoreKey("accounts", PREFIX)
ACCOUNT = PREFIX + b"a/"
NONCE = PREFIX + b"n/"
NEXT_NUMBER = PREFIX + b"next"
CLOSED = PREFIX + b"closed/"
RESET = PREFIX + b"reset/"
RESET_DUE = PREFIX + b"due/"


def account(account_id: str) -> bytes:
    return ACCOUNT + account_id.encode()


def nonce(account_id: str) -> bytes:
    return NONCE + account_id.encode()


def closed(account_id: str) -> bytes:
    return CLOSED + account_id.encode()


def reset(account_id: str) -> bytes:
    return RESET + account_id.encode()


def reset_due_prefix(height: int) -> bytes:
    return RESET_DUE + height.to_bytes(8, "big") + b"/"


def reset_due(height: int, account_id: str) -> bytes:
    return reset_due_prefix(height) + account_id.encode()
