"""The SOP ledger: which step of which training is done, in progress or waiting, in which round.

One row of ``sop_step_log`` per (training, step, round). This module owns those rows:

* :func:`mulai` starts a step (idempotent: a started step is returned as it is). The row
  records the start, the actor, the step's standard time from the SOP catalogue and its
  deadline in working time (office hours, weekends, holidays and cuti bersama, see
  :mod:`diklat.rules.kalender`). :func:`tunggu` is the same for a step that waits for a
  person (a paraf, a signature, an operator's input).
* :func:`selesai` finishes it (idempotent; a step finished without an explicit start starts
  and ends at the same moment).
* :func:`kembalikan` is a revision ("dikembalikan untuk diperbaiki", the catalogue's
  ``return_to``): the steps from ``return_to`` up to the deciding step are closed as
  ``dikembalikan`` and the next :func:`mulai` of each opens its next round.
* :func:`keadaan` reads the state of every step of a training in **one query**: a flow that
  restarts from the top (a resumed Prefect run) asks it once and skips what is done.

Functions take a ``Session`` and never commit (the caller owns the transaction). Concurrent
starts of the same step in two processes meet the unique key (training, step, round): the
loser re-reads the winner's row. No Prefect here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diklat.models import Kegiatan, SopStepLog
from diklat.models.base import utcnow
from diklat.rules.kalender import KalenderKerja, kalender
from diklat.sop.catalogue import Sop, Step, get_sop

BERJALAN, MENUNGGU, SELESAI, DIKEMBALIKAN, GAGAL = (
    "berjalan", "menunggu", "selesai", "dikembalikan", "gagal")
#: Shown for a step of the training's path that has no row yet.
BELUM = "belum"
TERBUKA = frozenset({BERJALAN, MENUNGGU})


class LedgerError(ValueError):
    pass


@dataclass(frozen=True)
class Langkah:
    """The latest round of one step of one training, as a plain value."""

    no: int
    putaran: int
    status: str
    mulai: dt.datetime
    selesai: dt.datetime | None
    tenggat: dt.datetime | None
    actor: str | None
    note: str | None

    @property
    def selesai_ok(self) -> bool:
        return self.status == SELESAI

    def terlambat(self, now: dt.datetime | None = None) -> bool:
        """Past its deadline: still open after it, or finished after it."""
        if self.tenggat is None:
            return False
        if self.status in TERBUKA:
            return (now or utcnow()) > self.tenggat
        return self.status == SELESAI and self.selesai is not None and self.selesai > self.tenggat


def _to_langkah(r: SopStepLog) -> Langkah:
    return Langkah(no=r.step_no, putaran=r.putaran, status=r.status, mulai=r.started_at,
                   selesai=r.finished_at, tenggat=r.deadline, actor=r.actor, note=r.note)


def _latest(session: Session, kegiatan_id: int, no: int) -> SopStepLog | None:
    return session.execute(
        select(SopStepLog).where(SopStepLog.kegiatan_id == kegiatan_id,
                                 SopStepLog.step_no == no)
        .order_by(SopStepLog.putaran.desc()).limit(1)).scalar_one_or_none()


def _step(kegiatan: Kegiatan, no: int) -> tuple[Sop, Step]:
    sop = get_sop(kegiatan.sop)
    try:
        step = sop.step(no)
    except KeyError:
        raise LedgerError(f"SOP {sop.code} tidak punya langkah {no}") from None
    if not step.applies(kegiatan.kondisi):
        raise LedgerError(f"langkah {no} tidak berlaku untuk kegiatan {kegiatan.kode} "
                          f"(kondisi {step.kondisi})")
    return sop, step


def _seconds(d: Any, kal: KalenderKerja) -> int | None:
    return None if d is None else d.menit(kal.hari_menit) * 60


def mulai(session: Session, kegiatan: Kegiatan, no: int, *, actor: str | None = None,
          status: str = BERJALAN, flow_run_id: str | None = None,
          now: dt.datetime | None = None, kal: KalenderKerja | None = None) -> SopStepLog:
    """Start step ``no`` of a training (its current round); the started row if it already is.
    A step closed by a revision (``dikembalikan``) opens its next round."""
    if status not in TERBUKA:
        raise LedgerError(f"status awal harus {BERJALAN} atau {MENUNGGU}")
    latest = _latest(session, kegiatan.id, no)
    if latest is not None and latest.status != DIKEMBALIKAN:
        changed = False
        if status == MENUNGGU and latest.status == BERJALAN:
            latest.status = MENUNGGU
            changed = True
        if (flow_run_id and latest.status in TERBUKA
                and latest.flow_run_id != flow_run_id):
            # a new run of the training (after a crash or a restart) took the step over:
            # whoever answers a wait must find the run that waits now
            latest.flow_run_id = flow_run_id
            changed = True
        if changed:
            session.flush()
        return latest
    _sop, step = _step(kegiatan, no)
    kal = kal or kalender()
    start = now or utcnow()
    hi = step.waktu_max
    row = SopStepLog(
        kegiatan_id=kegiatan.id, step_no=no, putaran=(latest.putaran + 1) if latest else 1,
        status=status, started_at=start, actor=actor or ",".join(step.pelaksana),
        waktu_min_s=_seconds(step.waktu_min, kal), waktu_max_s=_seconds(hi, kal),
        deadline=kal.deadline(start, hi).astimezone(dt.UTC) if hi is not None else None,
        flow_run_id=flow_run_id)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another process started it first: take its row
        again = _latest(session, kegiatan.id, no)
        assert again is not None
        return again
    if kegiatan.status == "direncanakan":
        kegiatan.status = "berjalan"
    return row


def tunggu(session: Session, kegiatan: Kegiatan, no: int, **kw: Any) -> SopStepLog:
    """Start step ``no`` as waiting for a person."""
    return mulai(session, kegiatan, no, status=MENUNGGU, **kw)


def selesai(session: Session, kegiatan: Kegiatan, no: int, *, actor: str | None = None,
            note: str | None = None, flow_run_id: str | None = None,
            now: dt.datetime | None = None, kal: KalenderKerja | None = None) -> SopStepLog:
    """Finish step ``no`` (its current round). Idempotent."""
    row = _latest(session, kegiatan.id, no)
    moment = now or utcnow()
    if row is None or row.status == DIKEMBALIKAN:
        row = mulai(session, kegiatan, no, actor=actor, flow_run_id=flow_run_id, now=moment,
                    kal=kal)
    if row.status == SELESAI:
        return row
    row.status = SELESAI
    row.finished_at = moment
    if actor:
        row.actor = actor
    if note:
        row.note = note
    session.flush()
    _maybe_finished(session, kegiatan)
    return row


def gagal(session: Session, kegiatan: Kegiatan, no: int, note: str,
          now: dt.datetime | None = None) -> SopStepLog:
    row = _latest(session, kegiatan.id, no) or mulai(session, kegiatan, no, now=now)
    if row.status in TERBUKA:
        row.status, row.finished_at, row.note = GAGAL, now or utcnow(), note[:2000]
        session.flush()
    return row


def kembalikan(session: Session, kegiatan: Kegiatan, dari: int, ke: int, note: str,
               now: dt.datetime | None = None) -> list[int]:
    """A revision at step ``dari`` sends the work back to step ``ke``: the latest rounds of
    the steps ``ke..dari`` of the training's path are closed as ``dikembalikan``; the next
    :func:`mulai` of each opens its next round. Returns the steps closed now."""
    if ke > dari:
        raise LedgerError(f"langkah kembali {ke} sesudah langkah {dari}")
    sop = get_sop(kegiatan.sop)
    nos = [s.no for s in sop.steps_for(kegiatan.kondisi) if ke <= s.no <= dari]
    moment = now or utcnow()
    closed = []
    for no in nos:
        row = _latest(session, kegiatan.id, no)
        if row is None or row.status == DIKEMBALIKAN:
            continue
        row.status = DIKEMBALIKAN
        row.finished_at = row.finished_at or moment
        row.note = note[:2000]
        closed.append(no)
    session.flush()
    return closed


def keadaan(session: Session, kegiatan_id: int) -> dict[int, Langkah]:
    """The latest round of every step of a training that has one, in ONE query."""
    rows = session.execute(
        select(SopStepLog).where(SopStepLog.kegiatan_id == kegiatan_id)
        .order_by(SopStepLog.step_no, SopStepLog.putaran)).scalars()
    return {r.step_no: _to_langkah(r) for r in rows}  # later rounds overwrite earlier ones


def selesai_semua(state: dict[int, Langkah], nos: Iterable[int]) -> bool:
    return all(no in state and state[no].status == SELESAI for no in nos)


def _maybe_finished(session: Session, kegiatan: Kegiatan) -> None:
    path = [s.no for s in get_sop(kegiatan.sop).steps_for(kegiatan.kondisi)]
    if kegiatan.status != "selesai" and selesai_semua(keadaan(session, kegiatan.id), path):
        kegiatan.status = "selesai"


def laporan_langkah(session: Session, kegiatan: Kegiatan,
                    now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every step of the training's path with its state (``belum`` when not started):
    ``no, kegiatan, putaran, status, mulai, selesai, tenggat, terlambat`` (instants in the
    agency's time zone)."""
    from zoneinfo import ZoneInfo

    from diklat.settings import get_settings

    tz = ZoneInfo(get_settings().timezone)
    state = keadaan(session, kegiatan.id)
    now = now or utcnow()

    def local(d: dt.datetime | None) -> str | None:
        return d.astimezone(tz).isoformat(timespec="seconds") if d else None

    out = []
    for step in get_sop(kegiatan.sop).steps_for(kegiatan.kondisi):
        lg = state.get(step.no)
        out.append({
            "no": step.no,
            "kegiatan": step.kegiatan,
            "putaran": lg.putaran if lg else None,
            "status": lg.status if lg else BELUM,
            "mulai": local(lg.mulai) if lg else None,
            "selesai": local(lg.selesai) if lg else None,
            "tenggat": local(lg.tenggat) if lg else None,
            "terlambat": lg.terlambat(now) if lg else False,
            "waktu": step.waktu,
        })
    return out
