"""Error codes of the ``receipts`` codespace.

A receipt fails for one precise reason, and callers (the CLI, an auditor's
script, a wallet) match on it, so every reason a verification can give has its
own code, and so do the ways the inputs themselves can be unusable.

Exception tree (all are :class:`finchain.errors.FinchainError`, told apart by
``.code`` or ``ErrX.matches(exc)``)::

    FinchainError
      receipts:2   ErrMalformedReceipt    not a well-formed receipt (the message names the field)
      receipts:3   ErrMalformedTrust      the trusted genesis or validator set cannot be read
      receipts:4   ErrWrongFile           the file's hash is not the receipt's document hash
      receipts:5   ErrBatchPath           the batch path does not lead to the anchored root
      receipts:6   ErrTxAltered           the tx bytes do not hash to the tx id
      receipts:7   ErrNotRecorded         the tx does not record the document hash or batch root
      receipts:8   ErrInclusion           the tx inclusion proof does not reach the header's tx root
      receipts:9   ErrHeaderAltered       the header does not hash to the committed block hash
      receipts:10  ErrWrongChain          the receipt is for another chain than the trusted one
      receipts:11  ErrUntrustedValidators the receipt's validator set is not the trusted one
      receipts:12  ErrBadSignature        a commit signature does not verify over the header
      receipts:13  ErrBelowQuorum         valid signatures hold no more than 2/3 of the power
      receipts:14  ErrMaterial            the node's receipt material does not fit the anchor proof
"""

from __future__ import annotations

from finchain.errors import register

CODESPACE = "receipts"

ErrMalformedReceipt = register(CODESPACE, 2, "malformed receipt")
ErrMalformedTrust = register(CODESPACE, 3, "malformed trusted genesis or validator set")
ErrWrongFile = register(CODESPACE, 4, "the file is not the receipt's document")
ErrBatchPath = register(CODESPACE, 5, "the batch path does not lead to the anchored root")
ErrTxAltered = register(CODESPACE, 6, "the transaction bytes do not match the tx id")
ErrNotRecorded = register(CODESPACE, 7, "the transaction does not record the document")
ErrInclusion = register(CODESPACE, 8, "the tx inclusion proof does not reach the tx root")
ErrHeaderAltered = register(CODESPACE, 9, "the header does not hash to the committed block")
ErrWrongChain = register(CODESPACE, 10, "the receipt is for another chain")
ErrUntrustedValidators = register(CODESPACE, 11, "the receipt's validator set is not trusted")
ErrBadSignature = register(CODESPACE, 12, "a commit signature does not verify")
ErrBelowQuorum = register(CODESPACE, 13, "signatures hold no more than 2/3 of the voting power")
ErrMaterial = register(CODESPACE, 14, "receipt material does not match the anchor proof")
