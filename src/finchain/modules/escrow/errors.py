"""Error codes of the escrow module (codespace ``escrow``).

Malformed fields (a wrong type, an unknown field, a bad account id) fail with
``tx:6`` like every module's; the rules of an escrow's terms (amount, conditions,
deadlines) and every refusal that depends on the chain's state have the codes
below, whether a transaction or another module's keeper call broke them.

Not to be confused with ``crypto:*`` escrow codes: those belong to identity
escrow (sealed identities for regulators), an unrelated feature.

Exception tree::

    FinchainError (finchain.errors)    .codespace == "escrow", .code below
"""

from finchain.errors import register

CODESPACE = "escrow"

ErrUnknownEscrow = register(CODESPACE, 2, "no escrow has this id")
ErrNotOpen = register(CODESPACE, 3, "the escrow is already released, refunded or cancelled")
ErrNoConditions = register(CODESPACE, 4, "an escrow needs at least one release condition")
ErrBadThreshold = register(CODESPACE, 5, "approval threshold must be 1..number of approvers")
ErrBadDeadline = register(
    CODESPACE, 6, "expiry missing or not in the future, or a time lock not before the expiry"
)
ErrInvalidAmount = register(CODESPACE, 7, "the amount to lock must be positive")
ErrInsufficientFunds = register(CODESPACE, 8, "the payer's spendable balance is below the amount")
ErrInvalidParty = register(
    CODESPACE, 9, "payee or approver is the payer, does not exist, or is closed"
)
ErrWrongPreimage = register(CODESPACE, 10, "the preimage does not hash to the hash lock")
ErrTimeLocked = register(CODESPACE, 11, "the escrow's time lock has not passed yet")
ErrNotApprover = register(CODESPACE, 12, "the signer is not a named approver of the escrow")
ErrAlreadyApproved = register(CODESPACE, 13, "the approver has already approved the escrow")
ErrNotApproved = register(CODESPACE, 14, "fewer approvals than the escrow's threshold")
ErrEvidenceMissing = register(CODESPACE, 15, "the evidence the escrow names is not recorded")
ErrEvidenceIncomplete = register(
    CODESPACE, 16, "the evidence is recorded but not every co-signer has signed it"
)
ErrEvidenceMismatch = register(
    CODESPACE, 17, "the evidence has another submitter or lacks a required co-signer"
)
ErrExpired = register(CODESPACE, 18, "the escrow has reached its expiry and can only be refunded")
ErrNotExpired = register(CODESPACE, 19, "the escrow has not reached its expiry")
ErrNotParty = register(CODESPACE, 20, "only the payer or the payee may consent to cancel")
ErrAlreadyConsented = register(CODESPACE, 21, "this party has already consented to cancel")
ErrPayerFrozen = register(CODESPACE, 22, "the payer's account is frozen: no pay-out until lifted")
ErrUnknownAsset = register(CODESPACE, 23, "the asset does not exist")
ErrControlled = register(
    CODESPACE, 24, "the escrow is controlled by a module: only that module settles it"
)
ErrBadGenesis = register(CODESPACE, 25, "invalid escrow genesis")
