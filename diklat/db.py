"""Engine and session factory, and schema migration (Alembic) for the product database.

The caller decides a session's life: ``with session_scope() as s:`` opens one short
transaction and commits it. Helpers take a session; they never open their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from diklat.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


#: Database back ends the product supports (and ships a driver for).
SUPPORTED = ("sqlite", "postgresql")


class DatabaseUnusable(RuntimeError):
    """The configured database cannot be used; the message says why and what to do."""


def check_url(url: str) -> URL:
    """The parsed URL, or :class:`DatabaseUnusable` for an unsupported or malformed URL and
    for a SQLite file in a folder that does not exist (only the product's own ``var``
    folder is created: a typo elsewhere must not silently make a new empty database)."""
    from diklat.settings import mask_url

    try:
        u = make_url(url)
    except Exception:
        raise DatabaseUnusable(
            f"URL basis data tidak terbaca: {mask_url(url)!r}; contoh "
            "sqlite:///var/diklat.db atau postgresql+psycopg://user@host/db"
        ) from None
    backend = u.get_backend_name()
    if backend not in SUPPORTED:
        raise DatabaseUnusable(
            f"basis data {backend!r} tidak didukung ({mask_url(url)}); pakai SQLite "
            "(sqlite:///var/diklat.db) atau PostgreSQL (postgresql+psycopg://...)"
        )
    if backend == "postgresql" and u.drivername not in ("postgresql", "postgresql+psycopg"):
        raise DatabaseUnusable(
            f"driver {u.drivername!r} tidak terpasang; pakai postgresql+psycopg://..."
        )
    if backend == "sqlite":
        db = u.database
        if db and db != ":memory:" and not db.startswith("file:"):
            settings = get_settings()
            if (
                settings.var_dir_tebakan
                and url == settings.database_url
                and not Path(db).expanduser().exists()
            ):
                raise DatabaseUnusable(
                    f"folder proyek diklat-flows tidak ditemukan dari {Path.cwd()}: basis data "
                    "tidak dibuat di sini; jalankan dari folder proyek, atau setel "
                    "DIKLAT_VAR_DIR (folder data) atau DIKLAT_DATABASE_URL"
                )
            folder = Path(db).expanduser().resolve().parent
            if not folder.is_dir():
                var = Path(get_settings().var_dir).resolve()
                if folder == var or folder.is_relative_to(var):
                    folder.mkdir(parents=True, exist_ok=True)
                else:
                    raise DatabaseUnusable(
                        f"folder basis data SQLite {folder} tidak ada; buat foldernya atau "
                        "perbaiki DIKLAT_DATABASE_URL"
                    )
    return u


def make_engine(url: str) -> Engine:
    u = check_url(url)
    if u.get_backend_name() == "sqlite":
        # hide_parameters: error messages never list the values written (e-mail, phone).
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: a 50k-row upsert stays in memory
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: the settings' database), one per URL per process."""
    return _engine_for(url or get_settings().database_url)


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error."""
    with session_factory(engine)() as session, session.begin():
        yield session


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` (idempotent). Two processes migrating a
    fresh database at once: the one that loses the race finds the schema made."""
    from alembic import command

    url = url or get_settings().database_url
    engine = get_engine(url)
    cfg = alembic_config(url)
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:
            if sqlite:
                # SQLite rebuilds a table to alter it (batch mode): with foreign keys enforced
                # the DROP of a referenced table fails. The pragma only acts outside a
                # transaction.
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.commit()
            try:
                with conn.begin():
                    if conn.dialect.name == "postgresql":  # one migrating process at a time
                        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7204711)")
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
            finally:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()
    except Exception:
        if revision == "head" and current_revision(url) == head_revision():
            return
        raise


_schema_ready: set[str] = set()


def ensure_schema(url: str | None = None) -> None:
    """Migrate the product database once per process (a command does it before its flow
    starts; the flow then finds it done). A database already at the newest revision is
    recognised with one query, without loading Alembic (a fifth of a second per command)."""
    url = url or get_settings().database_url
    if url in _schema_ready:
        return
    if current_versions(url) != [newest_revision()]:
        migrate(url)
    _schema_ready.add(url)


class SkemaBelumSiap(RuntimeError):
    """The database is not at the schema this code needs; a flow never migrates it (the
    command line, ``diklat init``, ``diklat up`` and the deployments' start do)."""


def require_schema(url: str | None = None) -> None:
    """What a flow checks instead of migrating: the database is at the newest revision
    (one query, once per process). Otherwise one line saying what to run."""
    url = url or get_settings().database_url
    if url in _schema_ready:
        return
    have, need = current_versions(url), newest_revision()
    if have != [need]:
        where = f"pada revisi {', '.join(have)}" if have else "belum disiapkan"
        raise SkemaBelumSiap(
            f"skema basis data {where}, kode ini memerlukan revisi {need}: jalankan "
            "`diklat init` (atau `diklat up`) untuk memperbaruinya, lalu ulangi run ini"
        )
    _schema_ready.add(url)


def current_versions(url: str) -> list[str]:
    """The revisions recorded in the database (empty for a new or unreadable one)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with get_engine(url).connect() as conn:
            return [
                str(v)
                for v in conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
            ]
    except SQLAlchemyError:
        return []


def newest_revision() -> str | None:
    """The head of ``migrations/versions`` read from the files' ``revision`` and
    ``down_revision`` lines (no Alembic import): the revision nobody revises."""
    import re

    revs: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev = re.search(r"^revision\b[^=]*=\s*['\"]([^'\"]+)['\"]", text, re.M)
        down = re.search(r"^down_revision\b[^=]*=\s*(.+)$", text, re.M)
        if rev:
            revs.add(rev.group(1))
        if down:
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = revs - parents
    return heads.pop() if len(heads) == 1 else None


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
