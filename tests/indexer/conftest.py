"""Fixtures for the indexer: a throw-away PostgreSQL cluster, and a database URL per dialect.

The cluster is Debian's PostgreSQL (``make install`` installs it), started the way an
operator would: ``initdb`` into a temp directory and ``pg_ctl start`` on a free
127.0.0.1 port, as the ``postgres`` user when the tests run as root (PostgreSQL refuses
to run as root), stopped at the end of the session. Each test gets a new database in it.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.functional.conftest import node_factory, seed  # noqa: F401 - fixtures, re-exported
from tests.support import free_port


@dataclass(frozen=True)
class PgCluster:
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg

        name = f"ix_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run "
            "`make install`, which installs Debian's postgresql package"
        )
    return Path(found[-1]).parent


def _run(args: list[str], user: str | None, **kw: Any) -> None:
    result = subprocess.run(args, user=user, capture_output=True, text=True, timeout=120, **kw)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bin_dir = _pg_bin()
    as_root = os.geteuid() == 0
    run_as = "postgres" if as_root else None
    base = Path(tempfile.mkdtemp(prefix="finchain-pg-"))
    data = base / "data"
    if as_root:
        shutil.chown(base, user="postgres")
    port = free_port()
    _run(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        run_as,
        cwd=base,
    )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1"
    _run(
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(base / "log"),
            "-w",
            "-t",
            "60",
            "start",
        ],
        run_as,
        cwd=base,
    )
    try:
        yield PgCluster(port, "postgres")
    finally:
        subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            user=run_as,
            capture_output=True,
            timeout=60,
            cwd=base,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path / 'index.db'}"


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    return pg_cluster.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that takes it runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'index.db'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database()
