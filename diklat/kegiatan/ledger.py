"""The SOP ledger: which step of which training is done, in progress or waiting, in which round,
by whom, against which deadline.

One row of ``sop_step_log`` per (training, step, level, round). A step without levels has the
one level 0; a step whose approval has several officials (a paraf chain of Kabid, Sekretaris,
Kepala; two officials' dispositions) has one row per level, each with its own start, deadline
and actor, so that the record says who waited how long. This module owns those rows:

* :func:`mulai` starts a step or one level of it (idempotent: a started row is returned as it
  is). The row records the start, the actor (a role code, or ``sistem`` when the system does
  the step itself), the person who acted once known, the step's standard time from the SOP
  catalogue and its deadline in working time in the SOP's own time zone (office hours,
  weekends, holidays and cuti bersama, see :mod:`diklat.rules.kalender`). :func:`tunggu` is the
  same for a row that waits for a person (a paraf, a signature, an operator's input).
* :func:`selesai` finishes it (idempotent; a step finished without an explicit start starts
  and ends at the same moment).
* :func:`kembalikan` is a revision ("dikembalikan untuk diperbaiki", the catalogue's
  ``return_to``): the current round of every step from ``return_to`` up to the deciding step
  is closed as ``dikembalikan``; the next :func:`mulai` of any of their levels opens the next
  round of that step, so every level of a repeated step carries the same round number.
* :func:`keadaan` reads the state of every step of a training in **one query**: a flow that
  restarts from the top (a resumed Prefect run) asks it once and skips what is done. A step
  with levels is done when every level the catalogue gives it has finished in its current
  round.

Functions take a ``Session`` and never commit (the caller owns the transaction). Concurrent
starts of the same row in two processes meet the unique key (training, step, level, round):
the loser re-reads the winner's row. No Prefect here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diklat import waktu
from diklat.models import Kegiatan, SopStepLog
from diklat.models.base import utcnow
from diklat.rules.kalender import KalenderKerja, kalender
from diklat.sop.catalogue import Sop, Step, get_sop


class StatusLangkah(StrEnum):
    """The status of one ledger row (a step, or one level of it, in one round)."""

    BERJALAN = "berjalan"
    MENUNGGU = "menunggu"
    SELESAI = "selesai"
    DIKEMBALIKAN = "dikembalikan"
    GAGAL = "gagal"


BERJALAN, MENUNGGU, SELESAI, DIKEMBALIKAN, GAGAL = (
    StatusLangkah.BERJALAN,
    StatusLangkah.MENUNGGU,
    StatusLangkah.SELESAI,
    StatusLangkah.DIKEMBALIKAN,
    StatusLangkah.GAGAL,
)
#: Shown for a step of the training's path that has no row yet.
BELUM = "belum"
TERBUKA = frozenset({BERJALAN, MENUNGGU})
#: The moves a row may make (a row starts ``berjalan`` or ``menunggu``). A closed round is
#: never reopened: the next :func:`mulai` opens the next round in a row of its own. A row
#: done may still be sent back by a revision (``dikembalikan``) or end with its training
#: cancelled only while open (``gagal``).
PINDAH: dict[str, frozenset[str]] = {
    BERJALAN: frozenset({MENUNGGU, SELESAI, GAGAL, DIKEMBALIKAN}),
    MENUNGGU: frozenset({SELESAI, GAGAL, DIKEMBALIKAN}),
    SELESAI: frozenset({DIKEMBALIKAN}),
    DIKEMBALIKAN: frozenset(),
    GAGAL: frozenset(),
}


def pindah(row: SopStepLog, ke: str) -> bool:
    """Move a ledger row to status ``ke`` by the table :data:`PINDAH`. The status it already
    has: ``False`` (a resumed run asks again). A move the table does not allow raises
    :class:`LedgerError`, never a silent rewrite of the record."""
    if row.status == ke:
        return False
    if ke not in PINDAH.get(row.status, frozenset()):
        raise LedgerError(
            f"langkah {row.step_no} tingkat {row.tingkat}: status {row.status} "
            f"tidak dapat menjadi {ke}"
        )
    row.status = str(ke)
    return True


#: The actor recorded for a step the system does by itself (drafting from the training's
#: data, numbering, sending): true about who did it, never a person's name.
SISTEM = "sistem"


class LedgerError(ValueError):
    pass


@dataclass(frozen=True)
class Oleh:
    """Who did a step: a person (NIP and name as recorded then)."""

    nip: str
    nama: str


@dataclass(frozen=True)
class Langkah:
    """The current round of one step of one training (all its levels together), as a plain
    value."""

    no: int
    putaran: int
    status: str
    mulai: dt.datetime
    selesai: dt.datetime | None
    tenggat: dt.datetime | None
    actor: str | None
    note: str | None
    oleh: str | None = None  # the name of who acted last, when a person did

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


def _rows(session: Session, kegiatan_id: int, no: int) -> list[SopStepLog]:
    return list(
        session.execute(
            select(SopStepLog)
            .where(SopStepLog.kegiatan_id == kegiatan_id, SopStepLog.step_no == no)
            .order_by(SopStepLog.putaran, SopStepLog.tingkat)
        ).scalars()
    )


def putaran_kini(rows: Sequence[SopStepLog]) -> tuple[int, bool]:
    """The step's current round and whether a revision closed it (its next row opens the
    round after)."""
    if not rows:
        return 1, False
    top = max(r.putaran for r in rows)
    closed = any(r.putaran == top and r.status in (DIKEMBALIKAN, GAGAL) for r in rows)
    return top, closed


def _latest(session: Session, kegiatan_id: int, no: int, tingkat: int = 0) -> SopStepLog | None:
    return session.execute(
        select(SopStepLog)
        .where(
            SopStepLog.kegiatan_id == kegiatan_id,
            SopStepLog.step_no == no,
            SopStepLog.tingkat == tingkat,
        )
        .order_by(SopStepLog.putaran.desc())
        .limit(1)
    ).scalar_one_or_none()


def _step(kegiatan: Kegiatan, no: int) -> tuple[Sop, Step]:
    sop = get_sop(kegiatan.sop)
    try:
        step = sop.step(no)
    except KeyError:
        raise LedgerError(f"SOP {sop.code} tidak punya langkah {no}") from None
    if not step.applies(kegiatan.kondisi):
        raise LedgerError(
            f"langkah {no} tidak berlaku untuk kegiatan {kegiatan.kode} (kondisi {step.kondisi})"
        )
    return sop, step


def kalender_sop(kegiatan: Kegiatan) -> KalenderKerja:
    """Office hours in the time zone of the training's SOP (SOP 002 is a WIB office's)."""
    return kalender(timezone=get_sop(kegiatan.sop).timezone)


def _seconds(d: Any, kal: KalenderKerja) -> int | None:
    return None if d is None else d.menit(kal.hari_menit) * 60


def _set_oleh(row: SopStepLog, oleh: Oleh | None) -> None:
    if oleh is not None:
        row.oleh_nip, row.oleh_nama = oleh.nip, oleh.nama[:200]


def mulai(
    session: Session,
    kegiatan: Kegiatan,
    no: int,
    *,
    tingkat: int = 0,
    actor: str | None = None,
    oleh: Oleh | None = None,
    status: str = BERJALAN,
    flow_run_id: str | None = None,
    now: dt.datetime | None = None,
    kal: KalenderKerja | None = None,
) -> SopStepLog:
    """Start step ``no`` (level ``tingkat``) of a training in its current round; the started
    row if it already is. A step closed by a revision opens its next round."""
    if status not in TERBUKA:
        raise LedgerError(f"status awal harus {BERJALAN} atau {MENUNGGU}")
    rows = _rows(session, kegiatan.id, no)
    current, closed = putaran_kini(rows)
    mine = next((r for r in rows if r.tingkat == tingkat and r.putaran == current), None)
    if mine is not None and not closed and mine.status != DIKEMBALIKAN:
        changed = False
        if status == MENUNGGU and mine.status == BERJALAN:
            pindah(mine, MENUNGGU)
            changed = True
        if flow_run_id and mine.status in TERBUKA and mine.flow_run_id != flow_run_id:
            # a new run of the training (after a crash or a restart) took the step over:
            # whoever answers a wait must find the run that waits now
            mine.flow_run_id = flow_run_id
            changed = True
        if changed:
            session.flush()
        return mine
    _sop, step = _step(kegiatan, no)
    kal = kal or kalender_sop(kegiatan)
    start = now or utcnow()
    hi = step.waktu_max
    row = SopStepLog(
        kegiatan_id=kegiatan.id,
        step_no=no,
        tingkat=tingkat,
        putaran=current + 1 if closed else current,
        status=status,
        started_at=start,
        actor=actor or ",".join(step.pelaksana),
        waktu_min_s=_seconds(step.waktu_min, kal),
        waktu_max_s=_seconds(hi, kal),
        deadline=kal.deadline(start, hi).astimezone(dt.UTC) if hi is not None else None,
        flow_run_id=flow_run_id,
    )
    _set_oleh(row, oleh)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another process started it first: take its row
        again = _latest(session, kegiatan.id, no, tingkat)
        assert again is not None
        return again
    if kegiatan.status == "direncanakan":
        kegiatan.status = "berjalan"
    return row


def tunggu(session: Session, kegiatan: Kegiatan, no: int, **kw: Any) -> SopStepLog:
    """Start step ``no`` (or one of its levels) as waiting for a person."""
    return mulai(session, kegiatan, no, status=MENUNGGU, **kw)


@lru_cache(maxsize=64)
def _levels(sop_code: str, kondisi: tuple[str, ...]) -> dict[int, list[int]]:
    return get_sop(sop_code).tingkat_langkah(kondisi)


def tingkat_dari(kegiatan: Kegiatan, no: int) -> list[int]:
    """The levels step ``no`` has on the training's path (``[0]`` for a step without)."""
    return _levels(kegiatan.sop, tuple(sorted(kegiatan.kondisi))).get(no, [0])


def selesai(
    session: Session,
    kegiatan: Kegiatan,
    no: int,
    *,
    tingkat: int | None = None,
    actor: str | None = None,
    oleh: Oleh | None = None,
    note: str | None = None,
    bukti: list[dict[str, Any]] | None = None,
    flow_run_id: str | None = None,
    now: dt.datetime | None = None,
    kal: KalenderKerja | None = None,
) -> SopStepLog:
    """Finish step ``no`` in its current round: one level (``tingkat``), or the whole step
    (every level the catalogue gives it) when ``tingkat`` is ``None``. Idempotent."""
    if tingkat is None:
        row = None
        for lv in tingkat_dari(kegiatan, no):
            row = selesai(
                session,
                kegiatan,
                no,
                tingkat=lv,
                actor=actor,
                oleh=oleh,
                note=note,
                bukti=bukti,
                flow_run_id=flow_run_id,
                now=now,
                kal=kal,
            )
        assert row is not None
        return row
    row = mulai(
        session,
        kegiatan,
        no,
        tingkat=tingkat,
        actor=actor,
        oleh=oleh,
        flow_run_id=flow_run_id,
        now=now,
        kal=kal,
    )
    if row.status == SELESAI:
        return row
    moment = now or utcnow()
    pindah(row, SELESAI)
    row.finished_at = max(moment, row.started_at)
    if actor:
        row.actor = actor
    _set_oleh(row, oleh)
    if note:
        row.note = note[:4000]
    if bukti:
        row.bukti_json = json.dumps(bukti, ensure_ascii=False, sort_keys=True)
    session.flush()
    _maybe_finished(session, kegiatan)
    return row


def gagal(
    session: Session,
    kegiatan: Kegiatan,
    no: int,
    note: str,
    *,
    tingkat: int = 0,
    oleh: Oleh | None = None,
    now: dt.datetime | None = None,
) -> SopStepLog:
    """The step (level) ends without being done: refused, or stopped past its hard limit.
    Idempotent: the failed row is returned as it is; a later start opens the next round."""
    last = _latest(session, kegiatan.id, no, tingkat)
    if last is not None and last.status == GAGAL:
        return last
    row = mulai(session, kegiatan, no, tingkat=tingkat, now=now)
    if row.status in TERBUKA:
        pindah(row, GAGAL)
        row.finished_at, row.note = now or utcnow(), note[:2000]
        _set_oleh(row, oleh)
        session.flush()
    return row


def kembalikan(
    session: Session,
    kegiatan: Kegiatan,
    dari: int,
    ke: int,
    note: str,
    now: dt.datetime | None = None,
) -> list[int]:
    """A revision at step ``dari`` sends the work back to step ``ke``: the current round of
    every step ``ke..dari`` of the training's path is closed as ``dikembalikan`` (rows that
    were done or waiting; a level not reached yet gets no row); the next :func:`mulai` of any
    of their levels opens the next round. Returns the steps closed now."""
    if ke > dari:
        raise LedgerError(f"langkah kembali {ke} sesudah langkah {dari}")
    sop = get_sop(kegiatan.sop)
    nos = [s.no for s in sop.steps_for(kegiatan.kondisi) if ke <= s.no <= dari]
    moment = now or utcnow()
    closed = []
    for no in nos:
        rows = _rows(session, kegiatan.id, no)
        current, already = putaran_kini(rows)
        if not rows or already:
            continue
        for row in rows:
            if row.putaran == current and row.status not in (DIKEMBALIKAN, GAGAL):
                pindah(row, DIKEMBALIKAN)
                row.finished_at = row.finished_at or moment
                row.note = note[:2000]
        closed.append(no)
    session.flush()
    return closed


def _aggregate(no: int, rows: list[SopStepLog], levels: Sequence[int]) -> Langkah:
    """One step's current round from its level rows."""
    current, _closed = putaran_kini(rows)
    now_rows = [r for r in rows if r.putaran == current]
    statuses = {r.status for r in now_rows}
    done = {r.tingkat for r in now_rows if r.status == SELESAI}
    if GAGAL in statuses:
        status = GAGAL
    elif DIKEMBALIKAN in statuses:
        status = DIKEMBALIKAN
    elif set(levels or [0]) <= done:
        status = SELESAI
    elif MENUNGGU in statuses:
        status = MENUNGGU
    else:
        status = BERJALAN
    open_rows = [r for r in now_rows if r.status in TERBUKA]
    last = max(now_rows, key=lambda r: (r.finished_at or r.started_at, r.tingkat))
    deadline_row = open_rows[0] if open_rows else last
    return Langkah(
        no=no,
        putaran=current,
        status=status,
        mulai=min(r.started_at for r in now_rows),
        selesai=max((r.finished_at for r in now_rows if r.finished_at), default=None)
        if status not in TERBUKA
        else None,
        tenggat=deadline_row.deadline,
        actor=last.actor,
        note=last.note,
        oleh=last.oleh_nama,
    )


def keadaan(session: Session, kegiatan_id: int) -> dict[int, Langkah]:
    """The current round of every step of a training that has a row, in ONE query (plus
    the training itself)."""
    k = session.get(Kegiatan, kegiatan_id)
    levels = get_sop(k.sop).tingkat_langkah(k.kondisi) if k is not None else {}
    by_step: dict[int, list[SopStepLog]] = {}
    for r in session.execute(
        select(SopStepLog)
        .where(SopStepLog.kegiatan_id == kegiatan_id)
        .order_by(SopStepLog.step_no, SopStepLog.putaran, SopStepLog.tingkat)
    ).scalars():
        by_step.setdefault(r.step_no, []).append(r)
    return {no: _aggregate(no, rows, levels.get(no, [0])) for no, rows in by_step.items()}


def riwayat(session: Session, kegiatan_id: int) -> list[SopStepLog]:
    """Every row of a training's ledger: every round of every level of every step."""
    return list(
        session.execute(
            select(SopStepLog)
            .where(SopStepLog.kegiatan_id == kegiatan_id)
            .order_by(SopStepLog.step_no, SopStepLog.putaran, SopStepLog.tingkat)
        ).scalars()
    )


def selesai_semua(state: dict[int, Langkah], nos: Iterable[int]) -> bool:
    return all(no in state and state[no].status == SELESAI for no in nos)


def _maybe_finished(session: Session, kegiatan: Kegiatan) -> None:
    path = [s.no for s in get_sop(kegiatan.sop).steps_for(kegiatan.kondisi)]
    if kegiatan.status == "berjalan" and selesai_semua(keadaan(session, kegiatan.id), path):
        kegiatan.status = "selesai"
        kegiatan.status_at = utcnow()


def laporan_langkah(
    session: Session, kegiatan: Kegiatan, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Every step of the training's path with its state (``belum`` when not started):
    ``no``/``langkah``, ``kegiatan``, ``putaran``, ``status``, ``mulai``, ``selesai``,
    ``tenggat``, ``terlambat``, ``oleh`` (who acted last, or ``sistem``), ``rekonstruksi``
    (the step was reconstructed, not in the source SOP), instants in the agency's time zone."""
    tz = waktu.zona()
    state = keadaan(session, kegiatan.id)
    now = now or utcnow()

    def local(d: dt.datetime | None) -> str | None:
        return d.astimezone(tz).isoformat(timespec="seconds") if d else None

    out = []
    for step in get_sop(kegiatan.sop).steps_for(kegiatan.kondisi):
        lg = state.get(step.no)
        out.append(
            {
                "no": step.no,
                "langkah": step.no,
                "kegiatan": step.kegiatan,
                "putaran": lg.putaran if lg else None,
                "status": lg.status if lg else BELUM,
                "mulai": local(lg.mulai) if lg else None,
                "selesai": local(lg.selesai) if lg else None,
                "tenggat": local(lg.tenggat) if lg else None,
                "terlambat": lg.terlambat(now) if lg else False,
                "waktu": step.waktu,
                "oleh": (lg.oleh or (SISTEM if lg.actor == SISTEM else None)) if lg else None,
                "rekonstruksi": step.reconstructed,
            }
        )
    return out
