"""The index's schema as numbered migrations, one SQL text each, run on SQLite and PostgreSQL alike.

A migration is applied in one transaction together with its row in ``schema_version``,
so a crash leaves either the old version or the new one; applying again skips what is
recorded (idempotent). A new version is appended here, never edited in place: databases
in the field already ran the old text.
"""

from __future__ import annotations

#: (version, name, SQL statements separated by ";" at a line's end)
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "initial",
        """
-- finchain indexer schema, version 1. Runs unchanged on SQLite and PostgreSQL:
-- portable types only (BIGINT, INTEGER, TEXT), amounts as decimal TEXT (exact past
-- int64; the indexer sums them as Python ints), no autoincrement (ids are assigned by
-- the indexer inside the block's transaction, so both databases number rows alike).

CREATE TABLE indexer_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    chain_id TEXT NOT NULL,
    genesis_hash TEXT NOT NULL,
    last_indexed_height BIGINT NOT NULL
);

CREATE TABLE blocks (
    height BIGINT PRIMARY KEY,
    block_hash TEXT NOT NULL,
    time_ns BIGINT NOT NULL,
    num_txs INTEGER NOT NULL
);

CREATE TABLE txs (
    height BIGINT NOT NULL,
    tx_index INTEGER NOT NULL,
    hash TEXT NOT NULL,
    time_ns BIGINT NOT NULL,
    code INTEGER NOT NULL,
    codespace TEXT NOT NULL,
    info TEXT NOT NULL,
    log TEXT NOT NULL,
    PRIMARY KEY (height, tx_index)
);
CREATE INDEX txs_hash ON txs (hash);

-- tx_index -1: a block-level event (begin/end block: expiries, lapsed interventions)
CREATE TABLE events (
    height BIGINT NOT NULL,
    tx_index INTEGER NOT NULL,
    event_index INTEGER NOT NULL,
    type TEXT NOT NULL,
    time_ns BIGINT NOT NULL,
    PRIMARY KEY (height, tx_index, event_index)
);
CREATE INDEX events_type ON events (type, time_ns);

CREATE TABLE event_attributes (
    height BIGINT NOT NULL,
    tx_index INTEGER NOT NULL,
    event_index INTEGER NOT NULL,
    attr_index INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (height, tx_index, event_index, attr_index)
);
CREATE INDEX event_attributes_value ON event_attributes (value);

-- kind: transfer (bank transfer event), mint (cash in: sender = minter), burn (cash out:
-- recipient empty). Institutions as recorded by KYC at the time of the block.
CREATE TABLE transfers (
    height BIGINT NOT NULL,
    tx_index INTEGER NOT NULL,
    event_index INTEGER NOT NULL,
    time_ns BIGINT NOT NULL,
    tx_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    asset TEXT NOT NULL,
    amount TEXT NOT NULL,
    sender_institution TEXT NOT NULL,
    recipient_institution TEXT NOT NULL,
    PRIMARY KEY (height, tx_index, event_index)
);
CREATE INDEX transfers_sender ON transfers (sender, height);
CREATE INDEX transfers_recipient ON transfers (recipient, height);
CREATE INDEX transfers_time ON transfers (time_ns);

CREATE TABLE alerts (
    id BIGINT PRIMARY KEY,
    height BIGINT NOT NULL,
    tx_index INTEGER NOT NULL,
    event_index INTEGER NOT NULL,
    time_ns BIGINT NOT NULL,
    rule TEXT NOT NULL,
    report_type TEXT NOT NULL,
    ruleset TEXT NOT NULL,
    tx_hash TEXT NOT NULL,
    account TEXT NOT NULL,
    counterparty TEXT NOT NULL,
    asset TEXT NOT NULL,
    amount TEXT NOT NULL,
    institution TEXT NOT NULL,
    counterparty_institution TEXT NOT NULL,
    UNIQUE (height, tx_index, event_index)
);
CREATE INDEX alerts_type_time ON alerts (report_type, time_ns);

CREATE TABLE interventions (
    height BIGINT NOT NULL,
    tx_index INTEGER NOT NULL,
    event_index INTEGER NOT NULL,
    time_ns BIGINT NOT NULL,
    tx_hash TEXT NOT NULL,
    event_type TEXT NOT NULL,
    intervention_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    PRIMARY KEY (height, tx_index, event_index)
);
CREATE INDEX interventions_account ON interventions (account, height);

-- account -> the DID of the institution that issued its current KYC claim
CREATE TABLE account_institutions (
    account TEXT PRIMARY KEY,
    institution TEXT NOT NULL,
    height BIGINT NOT NULL
);
""",
    ),
)
