"""Error codes of the ``store`` codespace.

Codes are part of the wire contract, so a code never changes meaning and a
retired code is never reused. Messages say what went wrong and what to do.

Exception tree (all are :class:`finchain.errors.FinchainError`, told apart by
``.code`` or ``ErrX.matches(exc)``)::

    FinchainError
      store:2   ErrUnknownVersion     version never committed (in the future, or before the first)
      store:3   ErrVersionPruned      version committed but dropped by pruning (keep_recent)
      store:4   ErrBadVersion         apply() called with a version that does not follow the last
      store:5   ErrNothingPending     stage()/mark_committed() without a pending apply()/stage()
      store:6   ErrBadHeight          block height does not follow the last stored height
      store:7   ErrDatabase           the database cannot be opened or used (locked, closed, I/O)
      store:8   ErrCorrupt            data the store wrote is missing or unreadable
      store:9   ErrUnknownHash        hash name not supported by the store
      store:10  ErrConfigMismatch     opened with settings that differ from the stored ones
      store:11  ErrInvalidWrite       a key or value that is not bytes
      store:12  ErrInvalidProof       tx proof requested for an index outside the block
"""

from __future__ import annotations

from finchain.errors import register

CODESPACE = "store"

ErrUnknownVersion = register(CODESPACE, 2, "unknown state version")
ErrVersionPruned = register(CODESPACE, 3, "state version pruned")
ErrBadVersion = register(CODESPACE, 4, "version does not follow the last committed version")
ErrNothingPending = register(CODESPACE, 5, "nothing pending to stage or commit")
ErrBadHeight = register(CODESPACE, 6, "block height does not follow the last stored height")
ErrDatabase = register(CODESPACE, 7, "database unavailable")
ErrCorrupt = register(CODESPACE, 8, "store data missing or corrupt")
ErrUnknownHash = register(CODESPACE, 9, "unsupported hash name")
ErrConfigMismatch = register(CODESPACE, 10, "store settings differ from the stored ones")
ErrInvalidWrite = register(CODESPACE, 11, "state keys and values must be bytes")
ErrInvalidProof = register(CODESPACE, 12, "cannot build the requested proof")
