"""The suite's own plumbing: a test database copied from the session's migrated template is
the same as one migrated from nothing (schema, indexes, revision and any rows migrations
write)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from diklat.db import migrate
from tests.conftest import _migrated


def _dump(path: Path) -> list[str]:
    """The database as SQL, each statement's lines sorted: Alembic's batch mode rebuilds a
    table with its constraints in an order that differs between two migrations from
    nothing, which is no difference in the schema."""
    con = sqlite3.connect(path)
    try:
        return sorted("\n".join(sorted(line.strip().rstrip(",").strip()
                                        for line in stmt.splitlines()))
                      for stmt in con.iterdump())
    finally:
        con.close()


def test_a_copy_of_the_template_is_a_migrated_database(tmp_path: Path,
                                                        _sqlite_template: Path) -> None:
    fresh, copied = tmp_path / "fresh.db", tmp_path / "sub" / "copied.db"
    migrate(f"sqlite:///{fresh}")
    _migrated(f"sqlite:///{copied}", _sqlite_template)
    assert copied.exists()
    assert _dump(copied) == _dump(fresh)
    assert any("alembic_version" in line for line in _dump(copied))
