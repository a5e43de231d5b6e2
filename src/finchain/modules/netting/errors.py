"""Error codes of the netting module (codespace ``netting``).

Malformed messages fail with ``tx:6`` and malformed queries with ``tx:25``, like
every module's; the codes below are the netting refusals. Each leaves the state
untouched (a refused transaction writes nothing).

Exception tree::

    FinchainError (finchain.errors)    .codespace == "netting", .code below
"""

from finchain.errors import register

CODESPACE = "netting"

ErrUnknownCycle = register(CODESPACE, 2, "no clearing cycle has this id")
ErrNotMember = register(CODESPACE, 3, "the payer or the payee is not a member of the cycle")
ErrCycleClosed = register(CODESPACE, 4, "the cycle no longer accepts obligations")
ErrZeroAmount = register(CODESPACE, 5, "an obligation's amount must be positive")
ErrSelfObligation = register(CODESPACE, 6, "a member cannot owe itself")
ErrWrongAsset = register(CODESPACE, 7, "the obligation names another asset than the cycle")
ErrTooManyObligations = register(CODESPACE, 8, "too many obligations in one message")
ErrBadClose = register(CODESPACE, 9, "the cycle's close height or time is invalid")
ErrUnknownAsset = register(CODESPACE, 10, "the settlement asset does not exist")
ErrInvalidMember = register(CODESPACE, 11, "a member account does not exist or is not active")
ErrOverflow = register(CODESPACE, 12, "the cycle's gross value would exceed 2^127 - 1")
ErrBadGenesis = register(CODESPACE, 13, "invalid netting genesis")
