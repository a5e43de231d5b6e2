"""Error codes of the identity module (codespace ``identity``).

Exception tree::

    FinchainError (finchain.errors)    .codespace == "identity", .code below
"""

from finchain.errors import register

CODESPACE = "identity"

ErrInvalidDid = register(CODESPACE, 2, "malformed did:finchain DID")
ErrForeignDid = register(CODESPACE, 3, "DID belongs to another chain")
ErrDidNotFound = register(CODESPACE, 4, "DID not found")
ErrNotController = register(CODESPACE, 5, "signer does not control the DID")
ErrDeactivated = register(CODESPACE, 6, "DID is deactivated")
ErrInvalidMethod = register(CODESPACE, 7, "invalid verification method or relationship")
ErrMethodExists = register(CODESPACE, 8, "verification method id already in the DID document")
ErrMethodNotFound = register(CODESPACE, 9, "verification method not in the DID document")
ErrInvalidService = register(CODESPACE, 10, "invalid service")
ErrServiceExists = register(CODESPACE, 11, "service id already in the DID document")
ErrServiceNotFound = register(CODESPACE, 12, "service not in the DID document")
ErrInvalidController = register(CODESPACE, 13, "invalid controller DID or controller account")
ErrTooMany = register(CODESPACE, 14, "limit of the DID document exceeded")
ErrAlreadyBound = register(CODESPACE, 15, "account is already bound to a DID")
ErrNotBound = register(CODESPACE, 16, "account is not bound to this DID")
ErrBadBindingProof = register(CODESPACE, 17, "DID-side binding proof does not verify")
ErrStaleBindingNonce = register(CODESPACE, 18, "binding proof names another nonce")
ErrNoChange = register(CODESPACE, 19, "update changes nothing")
ErrBadGenesis = register(CODESPACE, 20, "invalid identity genesis")
ErrControllerCloses = register(CODESPACE, 21, "account still controls an active DID")
