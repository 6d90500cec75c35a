"""The lifecycle of a run: one helper for every long piece of work recorded in a table.

A *run* is a row that says what a process is doing, so that the database (not the process,
not Prefect) tells what happened: the personnel sync, the export import, and any other
resumable work (the SOP ledger reuses this module for its step rows). The table needs the
lifecycle columns of ``sync_run`` (:data:`SYNC_RUNS` names them; another table passes its
own :class:`RunTable`)::

    run = runs.start(engine, lock="pegawai", values={"sumber": "simpeg", "mode": "full"})
    try:
        ... work, committing page by page ...
        runs.save_progress(conn, run.id, {"after": nip}, {"inserted": n})  # in the
                                                          # page's own transaction
    except BaseException as e:
        run.close_on_error(e)          # failed, or interrupted (Ctrl-C, SIGTERM, stop)
        raise
    run.finish(high_watermark=...)     # success

What it guarantees:

- **Start** (:func:`start`) first closes runs whose process is gone (:func:`close_dead_runs`),
  then inserts the row as ``running`` with its owner: host name, process id and a token of
  that process's start (a reused process id is not the owner). With a ``lock`` name, a
  partial unique index allows one running run per lock: a second start raises
  :class:`RunBusy` at once, naming the running one, across processes and on SQLite and
  PostgreSQL alike.
- **Liveness**: a run is alive while its owner process exists on the same host (checked at
  once, no timeout to wait for), or, for an owner on another host (PostgreSQL shared by two
  machines), while its heartbeat is younger than :data:`LEASE` (a thread renews it every
  :data:`HEARTBEAT_EVERY`; on SQLite, which only one host can reach, there is none).
- **Checkpoint** (:func:`save_progress`): written in the caller's transaction, with the data
  it describes, so a checkpoint never runs ahead of what was stored.
- **Close** (:meth:`Run.finish`, :meth:`Run.fail`, :meth:`Run.interrupted`): status,
  ``finished_at``, ``seconds``, counts, message. After an interrupt the bookkeeping waits at
  most :data:`CLOSE_TIMEOUT` for the database (an interrupted SQLite writer may still hold
  its lock) and never replaces the interrupt with its own error: a run it could not close
  is closed as interrupted by the next start, because its process is gone by then.
- **Resume** (:func:`resume_point`): the newest failed or interrupted run of a kind with a
  checkpoint and nothing successful after it.
- **Stop requests** (:func:`request_stop`, :func:`check_stop`): a signal handler or a
  Prefect hook asks the work to stop; loops call ``check_stop()`` between batches, so an
  interrupt that a library swallowed still stops the work at the next batch.

Status values are stored in English (``running``, ``success``, ``failed``,
``interrupted``) and shown in Indonesian (:data:`STATUS_LABEL`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, select, update
from sqlalchemy.exc import IntegrityError

from connectors import proses
from diklat.models import SyncRun
from diklat.models.base import utcnow

__all__ = ["utcnow"]  # re-exported: callers compare run times with it

log = logging.getLogger("diklat.runs")

RUNNING = "running"
SUCCESS = "success"
FAILED = "failed"
INTERRUPTED = "interrupted"
#: How each status is shown to an operator.
STATUS_LABEL: dict[str, str] = {
    RUNNING: "berjalan",
    SUCCESS: "berhasil",
    FAILED: "gagal",
    INTERRUPTED: "dihentikan",
}
#: The message of a run closed because its process disappeared.
DEAD_MESSAGE = (
    "proses berhenti tanpa menutup run (kill -9, mati listrik, mesin dimatikan); "
    "dilanjutkan oleh run berikutnya dari checkpoint"
)
#: The message of a run stopped by Ctrl-C, SIGTERM or a cancel.
INTERRUPTED_MESSAGE = "dihentikan; jalankan lagi untuk melanjutkan"

HEARTBEAT_EVERY = 15.0  # seconds
LEASE = dt.timedelta(seconds=60)  # a heartbeat older than this: an owner on another host died
CLOSE_TIMEOUT = 3.0  # seconds the close bookkeeping may wait for a locked SQLite database


@dataclass(frozen=True)
class RunTable:
    """A table holding runs: the lifecycle column names (defaults: ``sync_run``'s)."""

    table: Table
    status: str = "status"
    started_at: str = "started_at"
    finished_at: str = "finished_at"
    seconds: str = "seconds"
    error: str = "error"
    checkpoint: str = "checkpoint"
    lock: str = "kunci"
    host: str = "host"
    pid: str = "pid"
    pid_token: str = "pid_token"
    heartbeat_at: str = "heartbeat_at"
    flow_run_id: str = "flow_run_id"
    resumed_from: str = "resumed_from_id"

    def c(self, name: str) -> Any:
        return self.table.c[getattr(self, name)]


SYNC_RUNS = RunTable(SyncRun.__table__)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- errors


@dataclass
class RunningRun:
    """What an operator needs to know about a run that holds a lock."""

    id: int
    started_at: dt.datetime | None
    host: str | None
    pid: int | None
    what: str  # e.g. "simpeg full"


class RunBusy(RuntimeError):
    """Another live run holds the lock; nothing was started."""

    def __init__(self, lock: str, running: RunningRun | None) -> None:
        self.lock = lock
        self.running = running
        if running is None:
            text = f"pekerjaan lain sedang memegang kunci {lock!r}"
        else:
            mulai = (
                running.started_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
                if running.started_at
                else "?"
            )
            text = (
                f"run #{running.id} ({running.what}) masih berjalan sejak {mulai}, "
                f"proses {running.pid} di {running.host}"
            )
        super().__init__(f"{text}; tunggu sampai selesai lalu jalankan lagi")


class RunStopped(Exception):
    """Raised by :func:`check_stop` once a stop was requested (Ctrl-C, SIGTERM, a cancel)."""

    def __init__(self, reason: str | None = None) -> None:
        self.reason = reason or "stop"
        super().__init__(INTERRUPTED_MESSAGE)


def is_interrupt(e: BaseException) -> bool:
    """Ctrl-C, SIGTERM (also as Prefect's TerminationSignal), or a requested stop; also an
    error raised because one arrived inside a library (its cause or context is one, or, where
    a library keeps only the text, as pydantic's serializer does, it names it)."""
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, RunStopped) or not isinstance(cur, Exception):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return type(e).__name__ == "PydanticSerializationError" and "KeyboardInterrupt" in str(e)


# --------------------------------------------------------------------------- stop requests

_stop = threading.Event()
_stop_reason: list[str] = []


def request_stop(reason: str) -> bool:
    """Ask every run in this process to stop at its next :func:`check_stop`. Returns True
    the first time (a second request changes nothing)."""
    first = not _stop.is_set()
    if first:
        _stop_reason[:] = [reason]
        _stop.set()
    return first


def stop_requested() -> bool:
    return _stop.is_set()


def check_stop() -> None:
    """Raise :class:`RunStopped` when a stop was requested."""
    if _stop.is_set():
        raise RunStopped(_stop_reason[0] if _stop_reason else None)


def clear_stop() -> None:
    """Forget a stop request (a long-lived process starting new work; tests)."""
    _stop.clear()
    _stop_reason.clear()


# --------------------------------------------------------------------------- owners


# Process identity lives in one place (also used by delivery claims and PDF work folders).
HOST = proses.HOST
pid_token = proses.pid_token
pid_alive = proses.pid_alive
_pid_exists = proses.pid_alive


#: Runs started by this process and not closed yet: (table name, id).
_live: set[tuple[str, int]] = set()
_live_lock = threading.Lock()


def owner_alive(spec: RunTable, row: Any, now: dt.datetime | None = None) -> bool:
    """Is the process that started this run still running it?"""
    host, pid, token = (
        getattr(row, spec.host),
        getattr(row, spec.pid),
        getattr(row, spec.pid_token),
    )
    if host == HOST and pid is not None:
        if pid == os.getpid():
            with _live_lock:
                return (spec.table.name, int(row.id)) in _live
        if not _pid_exists(pid):
            return False
        return token is None or pid_token(pid) in (None, token)
    beat = getattr(row, spec.heartbeat_at) or getattr(row, spec.started_at)
    if beat is None:
        return False
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=dt.UTC)
    return (now or utcnow()) - beat < LEASE


# --------------------------------------------------------------------------- dead runs


@dataclass
class ClosedRun:
    """A run found dead and closed as interrupted (for the Prefect side to close too)."""

    id: int
    flow_run_id: str | None


def close_dead_runs(
    engine: Engine, spec: RunTable = SYNC_RUNS, where: Any = None
) -> list[ClosedRun]:
    """Close every ``running`` row whose owner is gone as ``interrupted`` (its checkpoint
    stays, so the next run continues it). ``where`` narrows the rows looked at."""
    t = spec.table
    stmt = select(t).where(spec.c("status") == RUNNING)
    if where is not None:
        stmt = stmt.where(where)
    closed: list[ClosedRun] = []
    now = utcnow()
    with engine.begin() as conn:
        for row in conn.execute(stmt).all():
            if owner_alive(spec, row, now):
                continue
            started = getattr(row, spec.started_at)
            values: dict[str, Any] = {
                spec.status: INTERRUPTED,
                spec.finished_at: now,
                spec.error: DEAD_MESSAGE,
            }
            if started is not None:
                if started.tzinfo is None:
                    started = started.replace(tzinfo=dt.UTC)
                beat = getattr(row, spec.heartbeat_at) or started
                if beat.tzinfo is None:
                    beat = beat.replace(tzinfo=dt.UTC)
                values[spec.seconds] = max(0.0, (beat - started).total_seconds())
            res = conn.execute(
                update(t)
                .where(and_(t.c.id == row.id, spec.c("status") == RUNNING))
                .values(**values)
            )
            if res.rowcount:
                closed.append(ClosedRun(int(row.id), getattr(row, spec.flow_run_id, None)))
    if closed:
        log.warning(
            "runs %s left running by a process that is gone: closed as interrupted",
            [c.id for c in closed],
        )
    return closed


# --------------------------------------------------------------------------- a run


@dataclass
class Run:
    """A started run (see the module docstring). ``closed_dead``: runs found dead and
    closed when this one started (their Prefect flow runs may still say Running)."""

    engine: Engine
    id: int
    spec: RunTable = SYNC_RUNS
    closed_dead: list[ClosedRun] = field(default_factory=list)
    status: str = RUNNING
    _beat: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    # -- heartbeat
    def _start_heartbeat(self) -> None:
        if self.engine.dialect.name == "sqlite":  # one host only: the process id suffices
            return
        self._thread = threading.Thread(
            target=self._heartbeat, name=f"run-{self.id}-beat", daemon=True
        )
        self._thread.start()

    def _heartbeat(self) -> None:
        t = self.spec.table
        while not self._beat.wait(HEARTBEAT_EVERY):
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        update(t)
                        .where(t.c.id == self.id)
                        .values({self.spec.heartbeat_at: utcnow()})
                    )
            except Exception:  # a missed beat is harmless; the lease is four beats long
                log.debug("heartbeat of run %s failed", self.id, exc_info=True)

    def _stop_heartbeat(self) -> None:
        self._beat.set()
        with _live_lock:
            _live.discard((self.spec.table.name, self.id))

    # -- updates
    def update(self, **values: Any) -> None:
        """Change columns of the run row (e.g. the mode once the plan is known)."""
        t = self.spec.table
        with self.engine.begin() as conn:
            conn.execute(update(t).where(t.c.id == self.id).values(**values))

    def save_progress(
        self, checkpoint: Mapping[str, Any] | None = None, values: Mapping[str, Any] | None = None
    ) -> None:
        """:func:`save_progress` in a transaction of its own."""
        with self.engine.begin() as conn:
            save_progress(conn, self.id, checkpoint, values, spec=self.spec)

    # -- closing
    def finish(self, **values: Any) -> None:
        """Mark the run successful (``values``: counts, watermark...)."""
        self._close(SUCCESS, None, values, timeout=None)

    def fail(self, message: str, **values: Any) -> None:
        self._close(FAILED, message, values, timeout=None)

    def interrupted(self, message: str = INTERRUPTED_MESSAGE, **values: Any) -> None:
        """Closed by an interrupt: whatever else runs in this process is asked to stop too
        (until :func:`clear_stop`)."""
        request_stop("interrupted")
        self._close(INTERRUPTED, message, values, timeout=CLOSE_TIMEOUT)

    def close_on_error(self, e: BaseException, message: str | None = None, **values: Any) -> None:
        """Close after ``e``: interrupted for an interrupt, else failed with ``message``
        (default: :func:`safe_error`). Never raises for an interrupt."""
        if is_interrupt(e):
            self.interrupted(message or INTERRUPTED_MESSAGE, **values)
        else:
            self.fail(message or safe_error(e), **values)

    def _close(
        self, status: str, error: str | None, values: Mapping[str, Any], timeout: float | None
    ) -> None:
        self._stop_heartbeat()
        spec, t = self.spec, self.spec.table
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                if timeout is not None and conn.dialect.name == "sqlite":
                    conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
                started = conn.execute(
                    select(spec.c("started_at")).where(t.c.id == self.id)
                ).scalar_one()
                if started.tzinfo is None:
                    started = started.replace(tzinfo=dt.UTC)
                vals = {
                    spec.status: status,
                    spec.finished_at: now,
                    spec.error: error[:4000] if error else None,
                    spec.seconds: (now - started).total_seconds(),
                    **values,
                }
                conn.execute(update(t).where(t.c.id == self.id).values(**vals))
                if timeout is not None and conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("PRAGMA busy_timeout = 30000")
        except Exception:
            if status != INTERRUPTED:
                raise
            # The next start closes it (its process is gone by then); the interrupt wins.
            log.warning(
                "run %s: could not record the interrupt; the next run will", self.id, exc_info=True
            )
            return
        self.status = status


def start(
    engine: Engine,
    values: Mapping[str, Any],
    *,
    lock: str | None = None,
    spec: RunTable = SYNC_RUNS,
    describe: Callable[[Any], str] | None = None,
    flow_run_id: str | None = None,
) -> Run:
    """Close dead runs, then insert a ``running`` row owned by this process (``values``:
    the table's own columns). With ``lock``, raise :class:`RunBusy` when a live run holds
    it. ``describe(row)`` names a running run in the refusal."""
    check_stop()
    closed = close_dead_runs(engine, spec)
    t = spec.table
    pid = os.getpid()
    now = utcnow()
    row = {
        **values,
        spec.status: RUNNING,
        spec.started_at: now,
        spec.lock: lock,
        spec.host: HOST,
        spec.pid: pid,
        spec.pid_token: pid_token(pid),
        spec.heartbeat_at: now,
        spec.flow_run_id: flow_run_id,
    }
    key: tuple[str, int] | None = None
    try:
        with engine.begin() as conn:
            run_id = conn.execute(t.insert().values(**row)).inserted_primary_key
            assert run_id is not None
            # Known as live *before* the commit makes the row visible: another thread of
            # this process starting a run must never take it for a dead one.
            key = (t.name, int(run_id[0]))
            with _live_lock:
                _live.add(key)
    except IntegrityError:
        if key is not None:
            with _live_lock:
                _live.discard(key)
        if lock is None:
            raise
        raise RunBusy(lock, _holder(engine, spec, lock, describe)) from None
    except BaseException:
        if key is not None:
            with _live_lock:
                _live.discard(key)
        raise
    assert key is not None
    run = Run(engine, key[1], spec, closed)
    run._start_heartbeat()
    return run


def _holder(
    engine: Engine, spec: RunTable, lock: str, describe: Callable[[Any], str] | None
) -> RunningRun | None:
    t = spec.table
    with engine.connect() as conn:
        row = conn.execute(
            select(t).where(spec.c("lock") == lock, spec.c("status") == RUNNING)
        ).first()
    if row is None:
        return None
    return RunningRun(
        int(row.id),
        getattr(row, spec.started_at),
        getattr(row, spec.host),
        getattr(row, spec.pid),
        describe(row) if describe else "",
    )


def lock_holder(
    engine: Engine,
    lock: str,
    describe: Callable[[Any], str] | None = None,
    spec: RunTable = SYNC_RUNS,
) -> RunBusy | None:
    """The refusal a start would give now, or None when the lock is free or held by a dead
    run (which the start will close): lets a command refuse before it sets anything else in
    motion. Closes nothing itself."""
    t = spec.table
    with engine.connect() as conn:
        rows = conn.execute(
            select(t).where(spec.c("lock") == lock, spec.c("status") == RUNNING)
        ).all()
    for row in rows:
        if owner_alive(spec, row):
            return RunBusy(
                lock,
                RunningRun(
                    int(row.id),
                    getattr(row, spec.started_at),
                    getattr(row, spec.host),
                    getattr(row, spec.pid),
                    describe(row) if describe else "",
                ),
            )
    return None


def own_latest(engine: Engine, since: dt.datetime, spec: RunTable = SYNC_RUNS) -> Any | None:
    """The newest run this process started since ``since`` (what a command just did, when
    its orchestrator could not tell it)."""
    t = spec.table
    with engine.connect() as conn:
        return conn.execute(
            select(t)
            .where(
                spec.c("host") == HOST, spec.c("pid") == os.getpid(), spec.c("started_at") >= since
            )
            .order_by(t.c.id.desc())
            .limit(1)
        ).first()


def save_progress(
    conn: Connection,
    run_id: int,
    checkpoint: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    *,
    spec: RunTable = SYNC_RUNS,
) -> None:
    """Store the resume point and counts (``values``: column -> value) of a run in the
    caller's transaction (the one that wrote the data they describe)."""
    vals: dict[str, Any] = dict(values or {})
    if checkpoint is not None:
        vals[spec.checkpoint] = json.dumps(dict(checkpoint), default=str)
    if vals:
        t = spec.table
        conn.execute(update(t).where(t.c.id == run_id).values(**vals))


def resume_point(engine: Engine, where: Any, spec: RunTable = SYNC_RUNS) -> Any | None:
    """The row to continue: the newest run matching ``where`` that is not running, if it
    failed or was interrupted with a checkpoint (a success after it means nothing is owed)."""
    t = spec.table
    with engine.connect() as conn:
        last = conn.execute(
            select(t).where(where, spec.c("status") != RUNNING).order_by(t.c.id.desc()).limit(1)
        ).first()
    if last is None or getattr(last, spec.status) not in (FAILED, INTERRUPTED):
        return None
    if not getattr(last, spec.checkpoint):
        return None
    return last


def checkpoint_of(row: Any, spec: RunTable = SYNC_RUNS) -> dict[str, Any]:
    try:
        cp = json.loads(getattr(row, spec.checkpoint) or "{}")
    except ValueError:
        return {}
    return cp if isinstance(cp, dict) else {}


def safe_error(e: BaseException) -> str:
    """A message for a run row or a log: the driver's own first line for database errors,
    never SQLAlchemy's rendering of the statement's parameters (e-mail addresses, phone
    numbers)."""
    orig = getattr(e, "orig", None)
    src = orig if orig is not None else e
    lines = str(src).strip().splitlines()
    return f"{type(src).__name__}: {lines[0] if lines else ''}"[:500]
