"""Error codes of the accounts module (codespace ``accounts``)."""

from finchain.errors import register

ErrInvalidPolicy = register("accounts", 2, "invalid key policy")
ErrInvalidKey = register("accounts", 3, "invalid public key")
ErrAccountNotFound = register("accounts", 4, "account not found")
ErrKeyExists = register("accounts", 5, "key id already on the account")
ErrKeyNotFound = register("accounts", 6, "key id not on the account")
ErrWouldLock = register("accounts", 7, "change would leave the account unable to sign")
ErrNotRecoveryAccount = register("accounts", 8, "signer is not the account's recovery account")
ErrNoResetPending = register("accounts", 9, "no key reset is pending")
ErrResetPending = register("accounts", 10, "a key reset is already pending")
ErrNotEmpty = register("accounts", 11, "account still holds assets")
ErrInvalidAccountId = register("accounts", 12, "malformed account id")
ErrAccountNotActive = register("accounts", 13, "account is not active")
ErrBadGenesis = register("accounts", 14, "invalid accounts genesis")
ErrMfaRequired = register(
    "accounts", 15, "operation needs signatures from more distinct key factors"
)
