"""Error codes of the shared formats (multibase, Multikey/JWK, did:finchain, dateTimeStamp).

They were released in the ``vc`` codespace, when these formats lived in the VC
library, and keep it: a code never changes meaning or place.
"""

from finchain.errors import register

CODESPACE = "vc"

ErrMalformedMultibase = register(CODESPACE, 2, "malformed multibase string")
ErrMalformedKey = register(CODESPACE, 3, "malformed public key encoding")
ErrUnsupportedKey = register(CODESPACE, 4, "unsupported key type, curve or multicodec")
ErrInvalidDid = register(CODESPACE, 6, "malformed DID or verification-method id")
ErrInvalidTime = register(CODESPACE, 17, "malformed or non-UTC date-time")
