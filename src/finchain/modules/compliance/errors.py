"""Error codes of the compliance module (codespace ``compliance``).

Malformed messages fail with ``tx:6`` and malformed queries with ``tx:25``; a
message only governance may send fails with ``gov:20`` in a transaction. The
codes below are stable: wallets and banks branch on them. ``compliance:6``
(a rule denied the transaction) carries the details ``{"rule", "ruleset"}``.

Exception tree::

    FinchainError (finchain.errors)    .codespace == "compliance", .code below
"""

from finchain.errors import register

CODESPACE = "compliance"

ErrNotRegulator = register(CODESPACE, 2, "signer is not a registered regulator")
ErrBadRuleSet = register(CODESPACE, 3, "rule set does not compile or breaks the rule language")
ErrUnknownRuleSet = register(CODESPACE, 4, "no rule set has this version")
ErrBadActivation = register(CODESPACE, 5, "activation height or rule-set state does not allow it")
ErrDenied = register(CODESPACE, 6, "a compliance rule denied the transaction")
ErrRuleError = register(CODESPACE, 7, "a compliance rule could not be evaluated (fail closed)")
ErrNotApprover = register(CODESPACE, 8, "signer is not an approver of this held transaction")
ErrAlreadyApproved = register(CODESPACE, 9, "approver has already approved this transaction")
ErrUnknownHeld = register(CODESPACE, 10, "no held transaction has this id")
ErrNotHeld = register(CODESPACE, 11, "the transaction is no longer awaiting approval")
ErrNotKycInstitution = register(
    CODESPACE, 12, "signer does not control an accredited issuer holding a KYC claim on the account"
)
ErrUnknownAsset = register(CODESPACE, 13, "asset does not exist")
ErrBadParams = register(CODESPACE, 14, "invalid compliance parameters")
ErrBadGenesis = register(CODESPACE, 15, "invalid compliance genesis")
