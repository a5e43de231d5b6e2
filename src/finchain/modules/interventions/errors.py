"""Error codes of the interventions module (codespace ``interventions``).

Malformed messages fail with ``tx:6`` and malformed queries with ``tx:25``; a
message only governance may send fails with ``gov:20``. The codes below are
the refusals that depend on what the chain holds. Every refusal leaves the
state untouched.

Exception tree::

    FinchainError (finchain.errors)    .codespace == "interventions", .code below
"""

from finchain.errors import register

CODESPACE = "interventions"

ErrNotOfficer = register(CODESPACE, 2, "signer is not an authorised intervention officer")
ErrAlreadyApproved = register(CODESPACE, 3, "officer has already approved this intervention")
ErrUnknownIntervention = register(CODESPACE, 4, "no intervention has this id")
ErrNotProposed = register(CODESPACE, 5, "intervention is no longer awaiting approval")
ErrProposalLapsed = register(CODESPACE, 6, "intervention lapsed before enough officers approved")
ErrNoCourtOrder = register(CODESPACE, 7, "a forced transfer needs a court-order reference")
ErrBadOfficers = register(CODESPACE, 8, "invalid officer set or threshold")
ErrUnknownAsset = register(CODESPACE, 9, "asset does not exist")
ErrUnknownAccount = register(CODESPACE, 10, "account does not exist or is closed")
ErrBadTarget = register(
    CODESPACE, 11, "the intervention to undo is not of that kind or not in effect"
)
ErrExceedsHold = register(CODESPACE, 12, "amount exceeds what the intervention holds frozen")
ErrAlreadyInEffect = register(CODESPACE, 13, "account already frozen or asset already paused")
ErrBadDeadline = register(CODESPACE, 14, "expiry or approval deadline is not valid")
ErrBadIntervention = register(CODESPACE, 15, "intervention lacks a field its kind needs")
ErrBadGenesis = register(CODESPACE, 16, "invalid interventions genesis")
