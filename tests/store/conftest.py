from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from finchain.store import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "db")
    yield database
    database.close()
