"""One small database interface over SQLite (stdlib ``sqlite3``) and PostgreSQL (psycopg 3).

Everything above this module writes one SQL dialect: ``?`` placeholders, portable types
(``BIGINT``, ``INTEGER``, ``TEXT``) and ``INSERT … ON CONFLICT``, which both databases
accept; the PostgreSQL side turns ``?`` into ``%s``. Reads run in autocommit; writes run
in :meth:`Database.transaction`, which commits everything or nothing.

URLs:

- ``sqlite:///abs/path/index.db`` (an absolute path after ``sqlite://``), or
  ``sqlite:relative/path.db``; the file is created, WAL mode;
- ``postgresql://user@host:port/dbname`` (or ``postgres://``), any libpq URL.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from finchain.indexer.errors import (
    BadDatabaseUrl,
    DatabaseError,
    DatabaseUnavailable,
    SchemaTooNew,
)
from finchain.indexer.schema import MIGRATIONS

Params = Sequence[Any]
_URL_HINT = (
    "use sqlite:///ABSOLUTE/PATH.db, sqlite:RELATIVE/PATH.db or postgresql://USER@HOST:PORT/DBNAME"
)


class Database:
    """A connection to the index; ``dialect`` is ``"sqlite"`` or ``"postgresql"``.

    Not thread-safe: each thread opens its own (the indexer writes from one, report
    readers open their own).
    """

    dialect: str
    url: str

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        raise NotImplementedError

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        raise NotImplementedError

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> None:
        """Insert many rows into ``table`` (a constant name, never user input)."""
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        self.executemany(sql, rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together, or (on any exception) not at all."""
        raise NotImplementedError
        yield  # pragma: no cover

    def close(self) -> None:
        raise NotImplementedError

    def has_table(self, name: str) -> bool:
        raise NotImplementedError

    #: the driver's exceptions for a lost or unusable connection, and for any other failure
    _lost: tuple[type[Exception], ...] = ()
    _failed: tuple[type[Exception], ...] = ()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Driver exceptions become the indexer's, so callers (the CLI, API routes) need not
        know the driver: connection trouble is DatabaseUnavailable, the rest DatabaseError."""
        try:
            yield
        except self._lost as exc:
            raise DatabaseUnavailable(f"the index database {self.url} failed: {exc}") from exc
        except self._failed as exc:
            raise DatabaseError(f"the index database {self.url} refused: {exc}") from exc

    def schema_version(self) -> int:
        """The highest applied migration (0 for an empty database); writes nothing, so a
        reader with SELECT rights only may ask."""
        if not self.has_table("schema_version"):
            return 0
        rows = self.query("SELECT MAX(version) FROM schema_version")
        return int(rows[0][0] or 0)

    def migrate(self) -> list[int]:
        """Apply the migrations not yet recorded, each in one transaction; returns their numbers.

        Idempotent: a second call applies nothing. A database written by a newer finchain
        (a version this code does not know) is refused rather than written to.
        """
        applied: list[int] = []
        newest = MIGRATIONS[-1][0]
        self.execute(_VERSION_TABLE)
        current = self.schema_version()
        if current > newest:
            raise SchemaTooNew(
                f"the index at {self.url} has schema version {current}, newer than this "
                f"finchain's {newest}: run a newer finchain, or index into a new database"
            )
        for version, name, text in MIGRATIONS:
            if version <= current:
                continue
            with self.transaction():
                # re-read inside the transaction: another process may have migrated meanwhile
                if self.query("SELECT 1 FROM schema_version WHERE version = ?", (version,)):
                    continue
                for statement in _statements(text):
                    self.execute(statement)
                self.execute(
                    "INSERT INTO schema_version (version, name) VALUES (?, ?)", (version, name)
                )
            applied.append(version)
        return applied


_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
)


def _statements(text: str) -> list[str]:
    return [s.strip() for s in re.split(r";\s*$", text, flags=re.MULTILINE) if s.strip()]


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, url: str, path: Path, *, create: bool) -> None:
        self.url = url
        if not path.parent.is_dir():
            raise BadDatabaseUrl(
                f"{url}: the directory {path.parent} does not exist: create it, or name "
                "another path"
            )
        if not create and not path.exists():
            raise DatabaseUnavailable(
                f"no index at {path}: `finchain index run --db {url}` creates and fills it"
            )
        try:
            # autocommit; transactions are begun explicitly (BEGIN IMMEDIATE for writes)
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA busy_timeout = 10000")
            self._conn.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL: a killed process never loses a commit; a power cut may drop the
            # last few, which the indexer then simply indexes again (the height went with them)
            self._conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise DatabaseUnavailable(f"cannot open the SQLite index {path}: {exc}") from exc
        self._in_tx = False

    _lost = (sqlite3.OperationalError,)
    _failed = (sqlite3.Error,)

    def execute(self, sql: str, params: Params = ()) -> int:
        with self._errors():
            return self._conn.execute(sql, tuple(params)).rowcount

    def has_table(self, name: str) -> bool:
        found = self.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return bool(found)

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        with self._errors():
            return self._conn.execute(sql, tuple(params)).fetchall()

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if rows:
            with self._errors():
                self._conn.executemany(sql, rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_tx:
            raise RuntimeError("transactions do not nest")
        self.execute("BEGIN IMMEDIATE")
        self._in_tx = True
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self.execute("COMMIT")
        finally:
            self._in_tx = False

    def close(self) -> None:
        self._conn.close()


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = _redacted(url)
        self._lost, self._failed = (psycopg.OperationalError,), (psycopg.Error,)
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.ProgrammingError as exc:  # a malformed conninfo
            raise BadDatabaseUrl(f"{self.url}: {exc}; {_URL_HINT}") from exc
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise DatabaseUnavailable(
                f"cannot connect to PostgreSQL at {self.url}: {reason}; is the server "
                "running, and do the user, password and database name in the URL exist?"
            ) from exc

    def execute(self, sql: str, params: Params = ()) -> int:
        with self._errors():
            cursor = self._conn.execute(_pg(sql), tuple(params))
            return int(cursor.rowcount)

    def has_table(self, name: str) -> bool:
        return bool(self.query("SELECT to_regclass(?) IS NOT NULL", (name,))[0][0])

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        with self._errors():
            cursor = self._conn.execute(_pg(sql), tuple(params))
            return list(cursor.fetchall())

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if rows:
            with self._errors(), self._conn.cursor() as cursor:
                cursor.executemany(_pg(sql), rows)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> None:
        """COPY: several times faster than row-by-row INSERTs, same constraints checked."""
        if not rows:
            return
        with (
            self._errors(),
            self._conn.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._errors(), self._conn.transaction():
            yield

    def close(self) -> None:
        self._conn.close()


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


def _redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def connect(url: str, *, migrate: bool = True) -> Database:
    """Open the index at ``url`` and bring its schema up to date; ``migrate=False`` (readers)
    changes nothing, and does not create a SQLite file that is not there.

    Raises :class:`BadDatabaseUrl` for a URL that names no database this code can open,
    :class:`DatabaseUnavailable` when the database cannot be reached.
    """
    db: Database
    if url.startswith("sqlite:"):
        rest = url[len("sqlite:") :]
        if rest.startswith("//"):
            rest = rest[2:]
            if not rest.startswith("/"):
                raise BadDatabaseUrl(
                    f"{url}: after sqlite:// comes an absolute path (sqlite:///var/index.db); "
                    "for a relative one write sqlite:index.db"
                )
        if not rest or rest.endswith("/"):
            raise BadDatabaseUrl(f"{url}: names no file; {_URL_HINT}")
        db = SqliteDatabase(url, Path(rest), create=migrate)
    elif url.startswith(("postgresql://", "postgres://")):
        try:
            urlsplit(url).port  # noqa: B018 - raises for a port that is not a number
        except ValueError as exc:
            raise BadDatabaseUrl(f"{_redacted(url)}: {exc}; {_URL_HINT}") from None
        db = PostgresDatabase(url)
    else:
        raise BadDatabaseUrl(f"{url[:120]!r} is not an index database URL; {_URL_HINT}")
    if migrate:
        try:
            db.migrate()
        except BaseException:
            db.close()
            raise
    return db
