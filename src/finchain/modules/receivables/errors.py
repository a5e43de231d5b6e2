"""Error codes of the receivables module (codespace ``receivables``).

Malformed messages fail with ``tx:6`` (invalid message) and malformed queries
with ``tx:25``, like every module's, except a zero amount or price, which has
its own code below. The other codes are refusals that depend on what the chain
already holds. A refused message changes nothing.

Exception tree::

    FinchainError (finchain.errors)    .codespace == "receivables", .code below
"""

from finchain.errors import register

CODESPACE = "receivables"

ErrInvoiceNotFound = register(CODESPACE, 2, "no invoice has this id or document hash")
ErrDocumentRegistered = register(
    CODESPACE, 3, "an invoice with this document hash is already registered"
)
ErrReferenceUsed = register(CODESPACE, 4, "the supplier already registered this invoice reference")
ErrAlreadyFinanced = register(CODESPACE, 5, "the invoice has already been financed")
ErrNotBuyer = register(CODESPACE, 6, "only the invoice's buyer may do this")
ErrNotHolder = register(CODESPACE, 7, "only the invoice's current holder may do this")
ErrNotConfirmed = register(CODESPACE, 8, "the buyer has not confirmed the invoice")
ErrAlreadyConfirmed = register(CODESPACE, 9, "the buyer has already confirmed the invoice")
ErrMaturityPassed = register(CODESPACE, 10, "the maturity is not after the current block time")
ErrMatured = register(
    CODESPACE, 11, "the invoice has reached its maturity: it can no longer be financed"
)
ErrZeroAmount = register(CODESPACE, 12, "an invoice amount or a price must be positive")
ErrPriceAboveFace = register(CODESPACE, 13, "the price exceeds the invoice's face amount")
ErrAlreadyPaid = register(CODESPACE, 14, "the invoice has already been paid")
ErrNoOffer = register(CODESPACE, 15, "no financing offer to the signer is open on the invoice")
ErrTermsMismatch = register(
    CODESPACE, 16, "the asset or amount given differs from the invoice's or the offer's"
)
ErrInvalidParty = register(
    CODESPACE, 17, "the named account is the signer, the buyer itself, absent or not active"
)
ErrWrongHashAlg = register(CODESPACE, 18, "documents must be hashed with the chain suite's hash")
ErrNotOverdue = register(CODESPACE, 19, "the invoice is not overdue")
ErrBadGenesis = register(CODESPACE, 20, "invalid receivables genesis")
ErrOpenInvoices = register(
    CODESPACE, 21, "the account holds or owes unpaid invoices and cannot close"
)
ErrHolderClosed = register(
    CODESPACE, 22, "the invoice's holder account is closed: the claim cannot be confirmed"
)
ErrBuyerFrozen = register(CODESPACE, 23, "the buyer's account is frozen: it may not pay")
