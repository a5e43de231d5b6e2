"""Error codes of the data-rights module (codespace ``datarights``).

Malformed messages fail with ``tx:6`` (invalid message) and malformed queries
with ``tx:25`` (invalid query), like every module's; the codes below are the
refusals that depend on what the chain holds, plus the client-side failures
of ``finchain.offchain.datarights`` (codes 20 and up), so a caller handles both with
one ``except FinchainError``.

Exception tree::

    FinchainError (finchain.errors)    .codespace == "datarights", .code below
"""

from finchain.errors import register

CODESPACE = "datarights"

ErrAssetNotFound = register(CODESPACE, 2, "no data asset has this id")
ErrNotOwner = register(CODESPACE, 3, "signer does not control the asset owner's DID")
ErrNotGrantee = register(CODESPACE, 4, "signer does not control the grantee DID")
ErrGranteeInactive = register(CODESPACE, 5, "grantee DID is unknown or deactivated")
ErrPurposeNotAllowed = register(CODESPACE, 6, "purpose is not among the asset's purposes")
ErrGrantExists = register(CODESPACE, 7, "grantee already holds an active grant on the asset")
ErrNoActiveGrant = register(CODESPACE, 8, "grantee holds no active grant on the asset")
ErrOutsideWindow = register(CODESPACE, 9, "block time is outside the grant's window")
ErrPurposeNotGranted = register(CODESPACE, 10, "purpose is not covered by the grant")
ErrVersionNotFound = register(CODESPACE, 11, "asset has no such version")
ErrVersionForgotten = register(CODESPACE, 12, "payload of this version was deleted")
ErrNoKeyForVersion = register(CODESPACE, 13, "no data key is wrapped for the grantee and version")
ErrBadKeyAgreement = register(
    CODESPACE, 14, "key is not a usable keyAgreement key of the grantee DID"
)
ErrWindowOver = register(CODESPACE, 15, "grant window ends at or before the current block time")
ErrTooMany = register(CODESPACE, 16, "asset limit reached (versions or active grants)")
ErrBadWraps = register(CODESPACE, 17, "re-wrapped keys do not match the active grants")
ErrBadGenesis = register(CODESPACE, 18, "invalid data-rights genesis")
ErrPayloadMismatch = register(
    CODESPACE, 20, "decrypted payload does not match the on-chain content hash"
)
ErrPayloadNotFound = register(CODESPACE, 21, "payload is not in the local store")
ErrAccessNotRecorded = register(
    CODESPACE, 22, "the chain did not record the access, so the payload stays closed"
)
ErrWrongDataKey = register(CODESPACE, 23, "unwrapped data key does not match the version's key id")
ErrOwnerInactive = register(CODESPACE, 24, "asset owner DID is deactivated, so its grants ended")
