"""Error codes of client-side anchoring (codespace ``anchor``).

Exception tree::

    FinchainError (finchain.errors)    .codespace == "anchor", .code below

Failures of the node or of the anchoring transaction surface as the SDK's
``ClientError`` family (``finchain.client.errors``), unchanged.
"""

from finchain.errors import register

CODESPACE = "anchor"

ErrEmptyBatch = register(CODESPACE, 2, "nothing to anchor: no document hashes")
ErrBadDocumentHash = register(CODESPACE, 3, "document hash is not 32 bytes of a known algorithm")
ErrUnreadableDocument = register(CODESPACE, 4, "document file missing or unreadable")
ErrMalformedAnchorProof = register(CODESPACE, 5, "malformed anchor proof document")
ErrAnchorConflict = register(CODESPACE, 6, "batch root already recorded by someone else")
