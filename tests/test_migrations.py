"""The Alembic migrations create exactly the schema the models describe (both databases)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from diklat.models import Base


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_fast_head_check_agrees_with_alembic(sqlite_url: str) -> None:
    """``ensure_schema`` recognises an up-to-date database without Alembic: its reading of
    the migration files must give Alembic's head, and an old database is still migrated."""
    from sqlalchemy import create_engine, text

    from diklat.db import current_versions, ensure_schema, head_revision, migrate, newest_revision

    assert newest_revision() == head_revision() is not None
    migrate(sqlite_url, "0001")
    assert current_versions(sqlite_url) == ["0001"]
    ensure_schema(sqlite_url)
    assert current_versions(sqlite_url) == [head_revision()]
    eng = create_engine(sqlite_url)
    with eng.connect() as c:
        assert c.execute(text("SELECT count(*) FROM sync_request")).scalar_one() == 0
    eng.dispose()
