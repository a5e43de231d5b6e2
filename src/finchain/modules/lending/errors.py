"""Error codes of the lending module (codespace ``lending``).

Malformed messages fail with ``tx:6`` and malformed queries with ``tx:25``,
like every module's; the codes below are the refusals that depend on the terms
or on what the chain holds. A refused message leaves the state untouched.

Exception tree::

    FinchainError (finchain.errors)    .codespace == "lending", .code below
"""

from finchain.errors import register

CODESPACE = "lending"

ErrUnknownLoan = register(CODESPACE, 2, "no loan has this id")
ErrNotBorrower = register(CODESPACE, 3, "signer is not the loan's borrower")
ErrNotLender = register(CODESPACE, 4, "signer is not the loan's lender")
ErrLoanState = register(CODESPACE, 5, "the loan is not in a state that allows this")
ErrRateOutOfRange = register(CODESPACE, 6, "interest rate out of range")
ErrBadSchedule = register(CODESPACE, 7, "invalid repayment schedule")
ErrBadTerms = register(CODESPACE, 8, "invalid loan terms")
ErrLtvAboveLimit = register(CODESPACE, 9, "loan-to-value above the initial limit")
ErrNoPrice = register(CODESPACE, 10, "no price is posted for the collateral against the cash asset")
ErrStalePrice = register(CODESPACE, 11, "price is older than the oracle's maximum age")
ErrBadPrice = register(CODESPACE, 12, "price must be a positive ratio observed no later than now")
ErrNotOracle = register(CODESPACE, 13, "signer is not the appointed price oracle")
ErrRepayTooMuch = register(CODESPACE, 14, "repayment is more than the loan owes")
ErrInsufficientCollateral = register(
    CODESPACE, 15, "the borrower's spendable balance does not cover the collateral"
)
ErrOpenLoans = register(CODESPACE, 16, "the account is a party to an open loan")
ErrBadGenesis = register(CODESPACE, 17, "invalid lending genesis")
ErrTooManyPledges = register(
    CODESPACE, 18, "the loan already holds the most collateral escrows allowed"
)
