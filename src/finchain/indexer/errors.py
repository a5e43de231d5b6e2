"""The indexer's exceptions (off chain: they carry no chain error code).

::

    IndexerError
    ├── BadDatabaseUrl       the --db URL names nothing this code can open
    ├── DatabaseUnavailable  the database cannot be reached or opened, or its connection failed
    ├── DatabaseError        the database refused a statement (a constraint, a permission)
    ├── SchemaTooNew         the index was written by a newer finchain
    ├── ChainMismatch        the index holds another chain than the node serves
    └── SourceError          the node's API answered something unusable
"""

from __future__ import annotations


class IndexerError(Exception):
    """Base of every indexer failure; the message says what to do."""


class BadDatabaseUrl(IndexerError):
    pass


class DatabaseUnavailable(IndexerError):
    pass


class DatabaseError(IndexerError):
    pass


class SchemaTooNew(IndexerError):
    pass


class ChainMismatch(IndexerError):
    pass


class SourceError(IndexerError):
    pass
