"""One live run per training: which flow run drives a training now (issue 23, items 5 and 6).

A training's SOP run may be started twice (two clicks, an operator restarting what looks
stuck), resumed in a new process after a suspend, or left behind by a process that died
(kill -9, a Prefect server killed mid-run). :func:`ambil` is called when a run starts (the
training's first task) and decides, in the database, who drives training ``kode``:

* the lock is a ``kunci_kegiatan`` row per training code, taken **before** the training's own
  row is created (``INSERT ... ON CONFLICT DO NOTHING`` then a compare-and-set on the holder
  observed), so two starts of a new training never race to create it;
* the holder is a flow run and the process running it (host, process id, a token of the
  process's start; a heartbeat every :data:`HEARTBEAT_EVERY` on PostgreSQL for holders on
  another host). It is **live** while that process exists (same host, checked at once) or
  its heartbeat is younger than :data:`runs.LEASE` (another host), **and** its flow run has
  not ended (``selesai``, asked only of a live process: a long-lived process that ran the
  training before, a test, the demo);
* the same flow run takes its lock again (a suspended run resumed in a new process); a run
  whose holder is gone or ended takes it over; while the holder is live, a second start is
  refused with one line naming it (:class:`KegiatanSedangBerjalan`): it may not join, because
  two runs would wait for the same officials and operators.

What the run that took over must close elsewhere (the previous holder's flow run, left
Running or Suspended in Prefect) is returned in :attr:`Diambil.sebelumnya`; the Prefect side
is :mod:`tasks.kunci`. No Prefect here.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table, and_, select, update

from connectors import proses
from diklat import runs
from diklat.models import KunciKegiatan
from diklat.models.base import utcnow

log = logging.getLogger("diklat.kegiatan.kunci")

T: Table = KunciKegiatan.__table__  # type: ignore[assignment]
K = T.c
HEARTBEAT_EVERY = runs.HEARTBEAT_EVERY


class KegiatanSedangBerjalan(RuntimeError):
    """Another live run drives the training; nothing was started (one line)."""

    def __init__(
        self,
        kode: str,
        flow_run_id: str | None,
        host: str | None,
        pid: int | None,
        sejak: dt.datetime | None,
    ) -> None:
        self.kode, self.flow_run_id = kode, flow_run_id
        mulai = sejak.astimezone().strftime("%Y-%m-%d %H:%M:%S") if sejak else "?"
        super().__init__(
            f"kegiatan {kode} sedang dijalankan oleh run {flow_run_id or '?'} sejak {mulai} "
            f"(proses {pid} di {host}); lanjutkan run itu, atau batalkan dulu lalu jalankan "
            "lagi"
        )


@dataclass(frozen=True)
class Diambil:
    """The lock taken: ``sebelumnya`` is the flow run that held it before (ended, or its
    process gone), to be closed in the orchestrator; None when there was none or it was
    this same flow run."""

    kode: str
    flow_run_id: str
    sebelumnya: str | None


def _owner_alive(row: Any, now: dt.datetime) -> bool:
    """Is the process holding the row still there (not: is its flow run still going)?"""
    if row.pid is None:
        return False
    if row.host == proses.HOST:
        if row.pid == os.getpid():
            return True
        if not proses.pid_alive(row.pid):
            return False
        return row.pid_token is None or proses.pid_token(row.pid) in (None, row.pid_token)
    beat = row.heartbeat_at or row.sejak
    if beat is None:
        return False
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=dt.UTC)
    return now - beat < runs.LEASE


def hidup(
    row: Any, selesai: Callable[[str], bool] | None = None, now: dt.datetime | None = None
) -> bool:
    """Does a live run hold this lock row? ``selesai(flow_run_id)`` tells whether a flow run
    has ended (asked only when the holding process is there)."""
    if row is None or row.flow_run_id is None:
        return False
    if not _owner_alive(row, now or utcnow()):
        return False
    return not (selesai is not None and selesai(row.flow_run_id))


def _insert_ignore(conn: Any, kode: str) -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    stmt: Any = postgresql.insert(T) if conn.dialect.name == "postgresql" else sqlite.insert(T)
    conn.execute(stmt.values(kode=kode).on_conflict_do_nothing(index_elements=["kode"]))


def _same(col: Any, value: Any) -> Any:
    return col.is_(None) if value is None else col == value


def ambil(
    engine: Engine, kode: str, flow_run_id: str, *, selesai: Callable[[str], bool] | None = None
) -> Diambil:
    """Make flow run ``flow_run_id`` (in this process) the one that drives training
    ``kode``; :class:`KegiatanSedangBerjalan` when another live run does (see the module
    docstring). Safe against concurrent starts on SQLite and PostgreSQL: the holder observed
    is replaced by compare-and-set, so of two starts exactly one wins."""
    with engine.begin() as conn:
        _insert_ignore(conn, kode)
    pid = os.getpid()
    for _ in range(5):
        with engine.connect() as conn:
            row = conn.execute(select(T).where(K.kode == kode)).one()
        same_run = row.flow_run_id == flow_run_id
        if not same_run and hidup(row, selesai):
            raise KegiatanSedangBerjalan(kode, row.flow_run_id, row.host, row.pid, row.sejak)
        now = utcnow()
        with engine.begin() as conn:
            got = conn.execute(
                update(T)
                .where(
                    and_(
                        K.kode == kode,
                        _same(K.flow_run_id, row.flow_run_id),
                        _same(K.pid, row.pid),
                        _same(K.pid_token, row.pid_token),
                        _same(K.host, row.host),
                    )
                )
                .values(
                    flow_run_id=flow_run_id,
                    host=proses.HOST,
                    pid=pid,
                    pid_token=proses.pid_token(pid),
                    sejak=now,
                    heartbeat_at=now,
                )
            ).rowcount
        if got:
            _heartbeat(engine)
            if row.flow_run_id and not same_run:
                log.info("training %s taken over from flow run %s", kode, row.flow_run_id)
            return Diambil(kode, flow_run_id, None if same_run else row.flow_run_id)
    # Five lost compare-and-sets in a row: another start keeps winning; it holds the lock.
    with engine.connect() as conn:
        row = conn.execute(select(T).where(K.kode == kode)).one()
    raise KegiatanSedangBerjalan(kode, row.flow_run_id, row.host, row.pid, row.sejak)


def run_tercatat(engine: Engine, kode: str) -> str | None:
    """The flow run the training's row names as its run (None for a new training)."""
    from diklat.models import Kegiatan

    with engine.connect() as conn:
        return conn.execute(
            select(Kegiatan.flow_run_id).where(Kegiatan.kode == kode)
        ).scalar_one_or_none()


def pemegang(engine: Engine, kode: str) -> Any | None:
    """The lock row of training ``kode`` (None when it was never started as a run)."""
    with engine.connect() as conn:
        return conn.execute(select(T).where(K.kode == kode)).first()


def yatim(engine: Engine) -> list[Any]:
    """Lock rows whose holding process is gone from this host (killed, its machine or the
    Prefect server stopped under it): their flow runs cannot be running any more."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(T).where(K.flow_run_id.is_not(None), K.host == proses.HOST)
        ).all()
    now = utcnow()
    return [r for r in rows if not _owner_alive(r, now)]


# --------------------------------------------------------------------------- heartbeat

_beating: set[str] = set()  # engine URLs whose rows this process renews
_beat_lock = threading.Lock()


def _heartbeat(engine: Engine) -> None:
    """Renew ``heartbeat_at`` of every lock this process holds, every HEARTBEAT_EVERY (one
    thread per process and database; PostgreSQL only: SQLite is reached from one host)."""
    if engine.dialect.name == "sqlite":
        return
    key = engine.url.render_as_string(hide_password=False)
    with _beat_lock:
        if key in _beating:
            return
        _beating.add(key)
    pid, token = os.getpid(), proses.pid_token(os.getpid())

    def beat() -> None:
        while True:
            threading.Event().wait(HEARTBEAT_EVERY)
            try:
                with engine.begin() as conn:
                    conn.execute(
                        update(T)
                        .where(K.host == proses.HOST, K.pid == pid, _same(K.pid_token, token))
                        .values(heartbeat_at=utcnow())
                    )
            except Exception:  # a missed beat is harmless: the lease is four beats long
                log.debug("heartbeat of training locks failed", exc_info=True)

    threading.Thread(target=beat, name="kunci-kegiatan-beat", daemon=True).start()
