"""Error codes of transaction admission and execution (codespace ``tx``), and the two of
governance's authority rule that the application itself enforces."""

from finchain.errors import register

ErrWrongChain = register("tx", 2, "transaction is for another chain")
ErrTooManyMsgs = register("tx", 3, "too many messages in one transaction")
ErrTooManySigs = register("tx", 4, "too many signatures in one transaction")
ErrUnknownMsg = register("tx", 5, "unknown message type")
ErrInvalidMsg = register("tx", 6, "invalid message")
ErrExpired = register("tx", 7, "transaction expired")
ErrUnknownAccount = register("tx", 8, "unknown account")
ErrInsufficientWeight = register("tx", 9, "signatures do not reach the account's threshold")
ErrBadSignature = register("tx", 10, "invalid signature")
ErrDuplicateSignature = register("tx", 11, "two signatures by the same key")
ErrUnknownKey = register("tx", 12, "signature by a key the account does not hold")
ErrBadNonce = register("tx", 13, "wrong nonce (replayed or out of order)")
ErrAccountFrozen = register("tx", 14, "account is frozen")
ErrAccountClosed = register("tx", 15, "account is closed")
ErrResetLock = register("tx", 16, "account is inside a key-reset lock window")
ErrOutOfBudget = register("tx", 17, "transaction exceeded its cost budget")
ErrPolicyRejected = register("tx", 18, "rejected by a chain policy")
ErrMemoTooLong = register("tx", 19, "memo too long")
ErrEmptyTx = register("tx", 20, "transaction has no messages or no signatures")
ErrWrongHeight = register("tx", 21, "block height out of sequence")
ErrNotInitialized = register("tx", 22, "chain not initialised")
ErrBadGenesis = register("tx", 23, "invalid genesis")
ErrUnknownQuery = register("tx", 24, "unknown query path")
ErrBadQuery = register("tx", 25, "invalid query")

# Governance's authority rule (R19), enforced by the application's router and decoder;
# released in the ``gov`` codespace, so they keep it.
ErrNotGoverned = register("gov", 19, "message may not be carried by a proposal")
ErrGovernanceOnly = register("gov", 20, "message may only be executed by a passed proposal")
