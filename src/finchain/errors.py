"""The one registry of finchain error codes.

Every failure a client can see carries a ``(codespace, code)`` pair that never
changes meaning once released: wallets, SDKs and auditors match on it. Codes
are registered at import time by the package that raises them; registering the
same pair twice is a programming error and fails at start-up, so two modules
can never silently share a code. Code 1 of every codespace is reserved for
internal errors. A retired code is never reused.

Exception tree::

    FinchainError                 any registered error; .codespace .code .message .details
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INTERNAL_CODE = 1
_REGISTRY: dict[tuple[str, int], ErrorCode] = {}


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """A registered (codespace, code) with its fixed description.

    Calling it builds the exception to raise::

        raise ErrInsufficientFunds("account FC.. holds 5 CNY, needs 7: lower the amount")
    """

    codespace: str
    code: int
    description: str

    def __call__(self, message: str = "", **details: Any) -> FinchainError:
        return FinchainError(self, message or self.description, details)

    def matches(self, exc: BaseException) -> bool:
        return isinstance(exc, FinchainError) and exc.error == self


class FinchainError(Exception):
    """An error with a stable code. ``message`` says what went wrong and what to do."""

    def __init__(self, error: ErrorCode, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.error = error
        self.message = message
        self.details = dict(details or {})

    @property
    def codespace(self) -> str:
        return self.error.codespace

    @property
    def code(self) -> int:
        return self.error.code

    def __str__(self) -> str:
        return f"[{self.codespace}:{self.code}] {self.message}"


def register(codespace: str, code: int, description: str) -> ErrorCode:
    """Register a code; fails on a duplicate pair or on the reserved internal code."""
    if not codespace or not codespace.replace("_", "").isalnum() or not codespace.islower():
        raise ValueError(f"codespace {codespace!r} must be lower-case alphanumeric")
    if code == INTERNAL_CODE and (codespace, code) in _REGISTRY:
        raise ValueError(f"code 1 is reserved for internal errors in codespace {codespace!r}")
    if code < 1:
        raise ValueError(f"error code must be >= 1, got {code}")
    key = (codespace, code)
    if key in _REGISTRY:
        raise ValueError(f"error {codespace}:{code} is already registered ({_REGISTRY[key]})")
    error = ErrorCode(codespace, code, description)
    _REGISTRY[key] = error
    return error


def internal(codespace: str) -> ErrorCode:
    """The reserved internal error of a codespace (registered on first use)."""
    key = (codespace, INTERNAL_CODE)
    if key not in _REGISTRY:
        _REGISTRY[key] = ErrorCode(codespace, INTERNAL_CODE, "internal error")
    return _REGISTRY[key]


def lookup(codespace: str, code: int) -> ErrorCode | None:
    """Turn a (codespace, code) received from a node back into its definition."""
    return _REGISTRY.get((codespace, code))


def all_codes() -> list[ErrorCode]:
    """Every registered code, ordered, for the documentation table and its test."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def import_all_codes() -> None:
    """Import every finchain module, so that every code is registered (docs, tests).

    Codes register at import time; a process only sees those of the modules it
    loaded. The documentation must list all of them.
    """
    import importlib
    import pkgutil

    import finchain

    for info in pkgutil.walk_packages(finchain.__path__, "finchain."):
        importlib.import_module(info.name)


def to_abci(exc: BaseException) -> tuple[int, str, str]:
    """Map any exception to ABCI's (code, codespace, log).

    Unregistered exceptions become the internal error of codespace ``finchain``
    with a generic log: their text could leak internals, so it never reaches clients.
    """
    if isinstance(exc, FinchainError):
        return exc.code, exc.codespace, exc.message
    err = internal("finchain")
    return err.code, err.codespace, "internal error: see the node log"


ErrInternal = internal("finchain")
