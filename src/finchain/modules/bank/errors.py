"""Error codes of the bank module (codespace ``bank``)."""

from finchain.errors import register

ErrUnknownAsset = register("bank", 2, "unknown asset")
ErrAssetExists = register("bank", 3, "asset symbol already taken")
ErrInsufficientFunds = register("bank", 4, "insufficient spendable balance")
ErrNotMinter = register("bank", 5, "signer may not mint this asset")
ErrNotBurner = register("bank", 6, "signer may not burn this asset")
ErrMaxSupply = register("bank", 7, "mint would exceed the asset's maximum supply")
ErrOverflow = register("bank", 8, "amount overflows 2^127 - 1")
ErrUnknownRecipient = register("bank", 9, "recipient account does not exist")
ErrRecipientClosed = register("bank", 10, "recipient account is closed")
ErrInvalidAsset = register("bank", 11, "invalid asset definition")
ErrHoldsAssets = register("bank", 12, "account still holds assets")
ErrFrozenAmount = register("bank", 13, "invalid frozen-amount change")
ErrBadGenesis = register("bank", 14, "invalid bank genesis")
ErrAssetPaused = register("bank", 15, "transfers of the asset are paused by a regulator")
