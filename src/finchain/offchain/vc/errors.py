"""Error codes of the verifiable-credentials library (codespace ``vc``).

These are raised for input that cannot be processed at all: a malformed key,
multibase string, JSON value, DID or proof, or a trust source that does not
know a DID, schema or status list. A credential that parses but fails a check
(bad signature, expired, revoked, ...) does not raise: the verifier reports
it as a reason in its result (see ``finchain.offchain.vc.verifier``).

Exception tree::

    FinchainError (finchain.errors)    .codespace == "vc", .code below, .message says what to do
"""

from finchain.errors import register

CODESPACE = "vc"

ErrMalformedMultibase = register(CODESPACE, 2, "malformed multibase string")
ErrMalformedKey = register(CODESPACE, 3, "malformed public key encoding")
ErrUnsupportedKey = register(CODESPACE, 4, "unsupported key type, curve or multicodec")
ErrMalformedJson = register(CODESPACE, 5, "value is not canonicalisable JSON")
ErrInvalidDid = register(CODESPACE, 6, "malformed DID or verification-method id")
ErrMalformedProof = register(CODESPACE, 7, "malformed data integrity proof or proof options")
ErrUnsupportedCryptosuite = register(CODESPACE, 8, "unsupported proof type or cryptosuite")
ErrKeyMismatch = register(CODESPACE, 9, "signing key does not match the verification method")
ErrMalformedCredential = register(CODESPACE, 10, "malformed verifiable credential")
ErrMalformedStatusList = register(CODESPACE, 11, "malformed bitstring status list")
ErrStatusIndexRange = register(CODESPACE, 12, "status list index out of range")
ErrMalformedPresentation = register(CODESPACE, 13, "malformed verifiable presentation")
ErrUnknownDid = register(CODESPACE, 14, "DID unknown or deactivated")
ErrUnknownSchema = register(CODESPACE, 15, "credential schema unknown")
ErrUnknownStatusList = register(CODESPACE, 16, "status list credential or anchor unknown")
ErrInvalidTime = register(CODESPACE, 17, "malformed or non-UTC date-time")
ErrInvalidSchema = register(CODESPACE, 18, "invalid JSON Schema or schema id")
ErrInvalidTrustData = register(CODESPACE, 19, "invalid trust source data")
