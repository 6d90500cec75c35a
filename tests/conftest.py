"""Shared fixtures: databases (SQLite always; PostgreSQL when reachable), isolated settings.

PostgreSQL comes from ``DIKLAT_TEST_POSTGRES_URL`` (``.ci/run`` sets it). Each test that
uses it gets its own schema, so test runs in parallel never see each other's rows. Where no
server is reachable the PostgreSQL variants skip with the reason; with
``DIKLAT_REQUIRE_POSTGRES=1`` (CI) they fail instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from diklat.db import make_engine, migrate
from diklat.settings import reset_settings_cache

# pytest-xdist's workers run with COLUMNS=80 and LINES=24 set; the CLI's output, which tests
# read, must not depend on who runs the suite (a pipe gets the CLI's own width).
for _var in ("COLUMNS", "LINES"):
    os.environ.pop(_var, None)

PG_URL = os.environ.get("DIKLAT_TEST_POSTGRES_URL", "")
REQUIRE_PG = os.environ.get("DIKLAT_REQUIRE_POSTGRES") == "1"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own var dir and a settings cache that sees its env changes (and
    no stop request left by an interrupted run of an earlier test)."""
    from diklat import runs

    monkeypatch.setenv("DIKLAT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("DIKLAT_DATABASE_URL", raising=False)
    reset_settings_cache()
    runs.clear_stop()
    yield
    reset_settings_cache()
    runs.clear_stop()


def _pg_reachable() -> str | None:
    if not PG_URL:
        return "DIKLAT_TEST_POSTGRES_URL is not set"
    try:
        eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
    except Exception as e:  # pragma: no cover - depends on the machine
        return f"PostgreSQL at {PG_URL} not reachable: {e.__class__.__name__}"
    return None


_PG_PROBLEM = _pg_reachable()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if _PG_PROBLEM:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required (DIKLAT_REQUIRE_POSTGRES=1): {_PG_PROBLEM}")
        pytest.skip(_PG_PROBLEM)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    yield url
    # A test that failed with a transaction still open (its session never closed) would
    # make the DROP wait for ever: wait a little, then end the sessions still holding
    # locks in this schema, so one failure stays one failure instead of a hung suite.
    try:
        with admin.begin() as c:
            c.execute(text("SET LOCAL lock_timeout = '10s'"))
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    except Exception:
        with admin.begin() as c:
            c.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND state LIKE 'idle in transaction%'"
                )
            )
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Both databases: the test runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated to head for the whole session; tests get a copy."""
    path = tmp_path_factory.mktemp("template") / "head.db"
    migrate(f"sqlite:///{path}")
    return path


def _migrated(url: str, template: Path) -> None:
    """Bring the test's database to head: a fresh SQLite file is a copy of the session's
    migrated template (SQLite's backup API, a few milliseconds instead of running every
    migration again); anything else is migrated."""
    import sqlite3

    prefix = "sqlite:///"
    target = Path(url[len(prefix) :]) if url.startswith(prefix) else None
    if target is None or target.exists():
        migrate(url)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(template), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.fixture
def engine(db_url: str, _sqlite_template: Path) -> Iterator[Engine]:
    """A migrated engine on each database."""
    _migrated(db_url, _sqlite_template)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str, _sqlite_template: Path) -> Iterator[Engine]:
    _migrated(sqlite_url, _sqlite_template)
    eng = make_engine(sqlite_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """One real Prefect test server for the session's flow runs; its URL for subprocesses."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    from tests.prefect_support import drain_prefect_workers

    with prefect_test_harness(server_startup_timeout=120):
        try:
            yield str(PREFECT_API_URL.value())
        finally:
            # Bounded: the harness's own drain waits without limit (see prefect_support).
            drain_prefect_workers()


#: The longest modules, longest first (see the durations pytest prints at the end of a run).
LONGEST = (
    "test_pool",
    "test_crash",
    "test_prefect_ui",
    "test_sop_flows",
    "test_demo",
    "test_persetujuan_flow",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest modules first, then the other modules with ``slow`` tests, then the rest,
    each module's tests together and in their order. ``make test`` hands the tests out one at
    a time in this order to whichever pytest-xdist worker is free (``--dist load
    --maxschedchunk 1``), so the two-worker pool test starts at once and everything else
    fills in around it, instead of the run waiting for it alone at the end."""
    slow = {item.module.__name__ for item in items if item.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> tuple[int, int]:
        name = item.module.__name__
        if name.rsplit(".", 1)[-1] in LONGEST:
            return (0, LONGEST.index(name.rsplit(".", 1)[-1]))
        return (1 if name in slow else 2, 0)

    items.sort(key=rank)  # stable: each module's order kept
