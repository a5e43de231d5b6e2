"""Error codes of the cbdc module (codespace ``cbdc``).

Malformed messages fail with ``tx:6``; a message only governance may send fails
with ``gov:20``. Every refusal below leaves the state untouched.
"""

from finchain.errors import register

CODESPACE = "cbdc"

ErrNotDesignated = register(CODESPACE, 2, "no central bank and CBDC asset are designated yet")
ErrBadDesignation = register(CODESPACE, 3, "the asset cannot serve as the CBDC of that account")
ErrAlreadyDesignated = register(CODESPACE, 4, "a central bank and CBDC are already designated")
ErrNotCentralBank = register(CODESPACE, 5, "only the central bank may do this")
ErrUnknownOperator = register(CODESPACE, 6, "account is not an authorised operator")
ErrQuotaExceeded = register(CODESPACE, 7, "issuance would exceed the operator's quota")
ErrBadQuota = register(CODESPACE, 8, "quota below what the operator already holds issued")
ErrDuplicateReserve = register(CODESPACE, 9, "a reserve with this reference already exists")
ErrUnknownReserve = register(CODESPACE, 10, "no reserve of this operator has this reference")
ErrExceedsReserve = register(CODESPACE, 11, "amount exceeds the reserve it would release")
ErrBadAccount = register(CODESPACE, 12, "account does not exist, is closed, or has another role")
ErrWalletExists = register(CODESPACE, 13, "the account already has a wallet")
ErrUnknownWallet = register(CODESPACE, 14, "the account has no wallet")
ErrNotWalletOperator = register(CODESPACE, 15, "the wallet is registered under another operator")
ErrBadGenesis = register(CODESPACE, 16, "invalid cbdc genesis")
