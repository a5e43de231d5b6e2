"""Error codes of the credentials module (codespace ``credentials``).

Malformed fields are refused by the message parsers with ``tx:6`` (invalid
message), as in every module; the codes here are the refusals that need state.
"""

from finchain.errors import register

CODESPACE = "credentials"

ErrNotGovernance = register(CODESPACE, 2, "only a passed governance proposal may do this")
ErrUnknownDid = register(CODESPACE, 3, "DID unknown or deactivated")
ErrNotController = register(CODESPACE, 4, "signer does not control the DID")
ErrIssuerExists = register(CODESPACE, 5, "issuer already accredited")
ErrUnknownIssuer = register(CODESPACE, 6, "issuer was never accredited")
ErrNotAccredited = register(CODESPACE, 7, "issuer not accredited for this credential type")
ErrSchemaExists = register(CODESPACE, 8, "schema content already registered")
ErrSchemaVersion = register(CODESPACE, 9, "schema name owned by another issuer or version not new")
ErrUnknownSchema = register(CODESPACE, 10, "schema not found")
ErrStatusListOwner = register(CODESPACE, 11, "status list belongs to another issuer")
ErrStatusListVersion = register(CODESPACE, 12, "status list version is not the next one")
ErrUnknownStatusList = register(CODESPACE, 13, "status list never anchored")
ErrSubjectNotBound = register(CODESPACE, 14, "subject DID not bound to the account")
ErrInvalidExpiry = register(CODESPACE, 15, "expiry is not after the current block time")
ErrUnknownClaim = register(CODESPACE, 16, "no KYC claim by this issuer for this account")
ErrEscrowMismatch = register(CODESPACE, 17, "escrow does not match the regulator set")
ErrWrongSuiteKey = register(CODESPACE, 18, "encryption key scheme does not match the suite")
ErrRegulatorExists = register(CODESPACE, 19, "account is already a regulator")
ErrNotRegulator = register(CODESPACE, 20, "account is not a regulator")
ErrRegulatorAccount = register(CODESPACE, 21, "regulator account does not exist or is not active")
ErrThreshold = register(CODESPACE, 22, "disclosure threshold out of range")
ErrUnknownRequest = register(CODESPACE, 23, "disclosure request not found")
ErrRequestClosed = register(CODESPACE, 24, "disclosure request is granted or expired")
ErrAlreadyApproved = register(CODESPACE, 25, "regulator already approved this request")
ErrNoShare = register(CODESPACE, 26, "regulator holds no share of this escrow")
ErrClaimChanged = register(CODESPACE, 27, "claim replaced since the request was filed")
ErrNoEscrow = register(CODESPACE, 28, "claim has no escrow to disclose")
ErrStatusListPurpose = register(CODESPACE, 29, "status list purpose differs from its first anchor")
ErrBadGenesis = register(CODESPACE, 30, "invalid credentials genesis")
ErrRegulatorCloses = register(CODESPACE, 31, "a regulator's account cannot be closed")
