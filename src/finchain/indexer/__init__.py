"""The SQL index of the chain: a follower writing blocks, txs, events, transfers, alerts and
interventions into SQLite or PostgreSQL, and the regulator's reports over it.

``finchain index run`` runs the follower as its own process; ``finchain dev`` runs one over
SQLite in its home. ``finchain.indexer.reports`` is the read side (``open_index``,
``render``). docs/regulation/indexer.md explains the schema and the crash-safety argument.
"""

from __future__ import annotations

from finchain.indexer.db import Database, connect
from finchain.indexer.errors import (
    BadDatabaseUrl,
    ChainMismatch,
    DatabaseError,
    DatabaseUnavailable,
    IndexerError,
    SchemaTooNew,
    SourceError,
)
from finchain.indexer.follower import Indexer, IndexStatus, index_status
from finchain.indexer.reports import Index, Report, open_index, render
from finchain.indexer.source import BlockSource, ChainTip, HttpSource

__all__ = [
    "BadDatabaseUrl",
    "BlockSource",
    "ChainMismatch",
    "ChainTip",
    "Database",
    "DatabaseError",
    "DatabaseUnavailable",
    "HttpSource",
    "Index",
    "IndexStatus",
    "Indexer",
    "IndexerError",
    "Report",
    "SchemaTooNew",
    "SourceError",
    "connect",
    "index_status",
    "open_index",
    "render",
]
