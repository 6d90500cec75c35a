"""The suite's own plumbing: a test database copied from the session's migrated template is
the same as one migrated from nothing (tables, columns, keys, indexes, revision, and any
rows the migrations write)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text

from diklat.db import migrate
from tests.conftest import _migrated


def _default(value: Any) -> str | None:
    """A column default as what it means: "the time of the insert" is spelled
    ``CURRENT_TIMESTAMP`` or, once Prefect's server modules are imported in the process (its
    SQLite compilation of ``now()``), ``strftime('%Y-%m-%d %H:%M:%f000', 'now')``."""
    if not value:
        return None
    text_ = str(value).strip("()")
    if "CURRENT_TIMESTAMP" in text_ or ("strftime" in text_ and "'now'" in text_):
        return "now"
    return text_


def _schema(path: Path) -> dict[str, Any]:
    """The schema as data. Alembic's batch mode on SQLite rebuilds tables with their
    constraints in another order and a default as ``(CURRENT_TIMESTAMP)`` or without the
    parentheses from one migration from nothing to the next: no difference in the schema."""
    eng = create_engine(f"sqlite:///{path}")
    try:
        ins = inspect(eng)
        out: dict[str, Any] = {}
        with eng.connect() as c:
            for t in sorted(ins.get_table_names()):
                cols = sorted(
                    (col["name"], str(col["type"]), col["nullable"], _default(col["default"]))
                    for col in ins.get_columns(t)
                )
                out[t] = {
                    "columns": cols,
                    "pk": ins.get_pk_constraint(t)["constrained_columns"],
                    "fks": sorted(
                        (
                            tuple(f["constrained_columns"]),
                            f["referred_table"],
                            tuple(f["referred_columns"]),
                        )
                        for f in ins.get_foreign_keys(t)
                    ),
                    # a unique constraint may come back as a unique index after a rebuild
                    "unique": sorted(
                        {tuple(u["column_names"]) for u in ins.get_unique_constraints(t)}
                        | {tuple(i["column_names"]) for i in ins.get_indexes(t) if i["unique"]}
                    ),
                    "indexes": sorted(
                        {tuple(i["column_names"]) for i in ins.get_indexes(t) if not i["unique"]}
                    ),
                    "rows": sorted(map(tuple, c.execute(text(f'SELECT * FROM "{t}"')))),
                }
        return out
    finally:
        eng.dispose()


def test_a_copy_of_the_template_is_a_migrated_database(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    fresh, copied = tmp_path / "fresh.db", tmp_path / "sub" / "copied.db"
    migrate(f"sqlite:///{fresh}")
    _migrated(f"sqlite:///{copied}", _sqlite_template)
    assert copied.exists()
    schema = _schema(copied)
    assert schema == _schema(fresh)
    assert "alembic_version" in schema and schema["alembic_version"]["rows"]
    assert len(schema) > 20  # the whole product schema, not an empty file
