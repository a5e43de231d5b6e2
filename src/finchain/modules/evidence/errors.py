"""Error codes of the evidence module (codespace ``evidence``).

Malformed messages fail with ``tx:6`` (invalid message) and malformed queries
with ``tx:25`` (invalid query), like every module's; the codes below are the
refusals that depend on what the chain already holds.

Exception tree::

    FinchainError (finchain.errors)    .codespace == "evidence", .code below
"""

from finchain.errors import register

CODESPACE = "evidence"

ErrRecordExists = register(CODESPACE, 2, "evidence for this hash is already recorded")
ErrRecordNotFound = register(CODESPACE, 3, "no evidence is recorded for this hash")
ErrNotCosigner = register(CODESPACE, 4, "signer is not a named co-signer of the evidence")
ErrAlreadyCosigned = register(CODESPACE, 5, "co-signer has already signed the evidence")
ErrRecordComplete = register(CODESPACE, 6, "evidence is already complete")
ErrInvalidCosigner = register(
    CODESPACE, 7, "co-signer is the submitter, or its account does not exist or is closed"
)
ErrBadGenesis = register(CODESPACE, 8, "invalid evidence genesis")
