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
from finchain.formats.errors import ErrInvalidDid as ErrInvalidDid
from finchain.formats.errors import ErrInvalidTime as ErrInvalidTime
from finchain.formats.errors import ErrMalformedKey as ErrMalformedKey
from finchain.formats.errors import ErrMalformedMultibase as ErrMalformedMultibase
from finchain.formats.errors import ErrUnsupportedKey as ErrUnsupportedKey

CODESPACE = "vc"
# Codes 2, 3, 4, 6 and 17 are raised by the formats the library shares with the chain
# (finchain.formats), which register them under this codespace.
__all__ = [
    "ErrInvalidDid",
    "ErrInvalidTime",
    "ErrMalformedKey",
    "ErrMalformedMultibase",
    "ErrUnsupportedKey",
]

ErrMalformedJson = register(CODESPACE, 5, "value is not canonicalisable JSON")
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
ErrInvalidSchema = register(CODESPACE, 18, "invalid JSON Schema or schema id")
ErrInvalidTrustData = register(CODESPACE, 19, "invalid trust source data")
