"""The SOP ledger: idempotent start and finish, rounds after a revision, deadlines in working
time, lateness, one query per (re)start, concurrent starts (both databases)."""

from __future__ import annotations

import datetime as dt
import multiprocessing

import pytest
from sqlalchemy import Engine, event, func, select

from diklat.db import make_engine, migrate, session_scope
from diklat.kegiatan import ledger
from diklat.kegiatan.data import kegiatan_by_kode
from diklat.models import SopStepLog
from diklat.mulai import simpan_kegiatan
from tests.sop_support import LENGKAP, siap

WITA = dt.timezone(dt.timedelta(hours=8))


def _kegiatan(engine: Engine, kode: str = "PD-1", **extra: object) -> None:
    siap(engine)
    with session_scope(engine) as s:
        simpan_kegiatan(
            s,
            {
                "kode": kode,
                "sop": "pengiriman-peserta",
                "nama": "Diklat Uji",
                "mulai": "2026-12-14",
                "selesai": "2026-12-18",
                **LENGKAP,
                "kriteria": {"unit": ["U1"]},
                **extra,
            },
        )


def test_start_and_finish_are_idempotent(engine: Engine) -> None:
    _kegiatan(engine)
    t0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=WITA)  # Monday
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, "PD-1")
        a = ledger.mulai(s, k, 13, tingkat=1, actor="analis_sdm", now=t0)
        b = ledger.mulai(s, k, 13, tingkat=1, now=t0 + dt.timedelta(hours=1))
        assert a.id == b.id and b.started_at == t0
        assert (a.waktu_min_s, a.waktu_max_s) == (15 * 60, 15 * 60)
        assert a.deadline == dt.datetime(2026, 12, 7, 9, 15, tzinfo=WITA)
        done = ledger.selesai(s, k, 13, tingkat=1, now=t0 + dt.timedelta(minutes=10))
        again = ledger.selesai(s, k, 13, tingkat=1, now=t0 + dt.timedelta(hours=5))
        assert done.id == again.id and again.finished_at == t0 + dt.timedelta(minutes=10)
        assert k.status == "berjalan"
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(SopStepLog)) == 1


def test_a_new_run_takes_over_an_open_wait(engine: Engine) -> None:
    """A run killed while waiting and started again: the waiting step points at the new run
    (whoever answers must find the run that waits now); a finished step keeps its run."""
    _kegiatan(engine)
    t0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=WITA)
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, "PD-1")
        a = ledger.tunggu(s, k, 13, tingkat=1, flow_run_id="run-lama", now=t0)
        b = ledger.tunggu(
            s, k, 13, tingkat=1, flow_run_id="run-baru", now=t0 + dt.timedelta(hours=1)
        )
        assert a.id == b.id and b.flow_run_id == "run-baru" and b.started_at == t0
        ledger.selesai(s, k, 13, tingkat=1, now=t0 + dt.timedelta(hours=2))
        c = ledger.tunggu(s, k, 13, tingkat=1, flow_run_id="run-ketiga")
        assert c.id == a.id and c.flow_run_id == "run-baru" and c.status == ledger.SELESAI


def test_deadline_across_a_weekend_and_a_holiday(engine: Engine) -> None:
    _kegiatan(engine)
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, "PD-1")
        # step 15: "1 s.d 2 hari" -> the upper bound, 2 working days, from Wednesday
        # 23 December 2026 10:00: Christmas (25), its cuti bersama and the weekend are off.
        start = dt.datetime(2026, 12, 23, 10, 0, tzinfo=WITA)
        row = ledger.tunggu(s, k, 15, now=start)
        from diklat.rules.kalender import kalender

        cal = kalender()
        days = []
        d = start.date()
        while len(days) < 2:
            d += dt.timedelta(days=1)
            if cal.is_hari_kerja(d):
                days.append(d)
        assert cal.is_hari_kerja(start.date())
        assert not cal.is_hari_kerja(dt.date(2026, 12, 25))  # Natal
        assert days[-1] >= dt.date(2026, 12, 28)
        assert row.deadline is not None
        assert row.deadline.astimezone(WITA) == dt.datetime.combine(days[-1], dt.time(10, 0), WITA)
        st = ledger.keadaan(s, k.id)[15]
        assert st.status == ledger.MENUNGGU
        assert not st.terlambat(start + dt.timedelta(days=1))
        assert st.terlambat(row.deadline + dt.timedelta(seconds=1))


def test_revision_opens_the_next_round(engine: Engine) -> None:
    _kegiatan(engine)
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, "PD-1")
        for no in (12, 13):
            ledger.selesai(s, k, no)
        ledger.tunggu(s, k, 14, tingkat=2)  # the Kabid's level of the chain
        closed = ledger.kembalikan(s, k, dari=14, ke=13, note="perbaiki dasar")
        assert closed == [13, 14]
        assert ledger.kembalikan(s, k, dari=14, ke=13, note="lagi") == []  # idempotent
        r13 = ledger.mulai(s, k, 13, tingkat=1)
        assert r13.putaran == 2
        ledger.selesai(s, k, 13, tingkat=1)
        r14 = ledger.tunggu(s, k, 14, tingkat=2)
        assert r14.putaran == 2
        st = ledger.keadaan(s, k.id)
        assert (st[12].putaran, st[12].status) == (1, ledger.SELESAI)
        assert (st[13].putaran, st[13].status) == (2, ledger.SELESAI)
        assert (st[14].putaran, st[14].status) == (2, ledger.MENUNGGU)
        with pytest.raises(ledger.LedgerError, match="tidak berlaku"):
            ledger.mulai(s, k, 16)  # the Sekda step is not on this training's path


def test_state_is_one_query(engine: Engine) -> None:
    _kegiatan(engine)
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, "PD-1")
        for no in range(1, 20):
            if no != 16:
                ledger.selesai(s, k, no)
        kid = k.id
    statements: list[str] = []

    def count(conn, cursor, statement, *a):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with session_scope(engine) as s:
            st = ledger.keadaan(s, kid)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(st) == 18 and ledger.selesai_semua(st, [1, 2, 15, 19])
    assert len([x for x in statements if "sop_step_log" in x]) == 1


def test_training_finishes_with_its_last_step(engine: Engine) -> None:
    _kegiatan(engine, kondisi=["kewenangan_sekda"])
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, "PD-1")
        for no in range(1, 24):
            ledger.selesai(s, k, no)
        assert k.status == "berjalan"
        ledger.selesai(s, k, 24)
        assert k.status == "selesai"


def _start(url: str, barrier: multiprocessing.synchronize.Barrier) -> int:  # type: ignore[name-defined]
    eng = make_engine(url)
    barrier.wait()
    with session_scope(eng) as s:
        k = kegiatan_by_kode(s, "PD-1")
        row = ledger.mulai(s, k, 9)
        rid = row.id
    eng.dispose()
    return rid


def test_concurrent_starts_make_one_row(pg_url: str) -> None:
    migrate(pg_url)
    eng = make_engine(pg_url)
    _kegiatan(eng)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as m:
        barrier = m.Barrier(4)
        with ctx.Pool(4) as pool:
            ids = pool.starmap(_start, [(pg_url, barrier)] * 4)
    assert len(set(ids)) == 1
    with session_scope(eng) as s:
        assert s.scalar(select(func.count()).select_from(SopStepLog)) == 1
    eng.dispose()


def test_a_ledger_row_moves_only_as_the_table_allows() -> None:
    """One transition table for the ledger's rows (issue 24): a done row can be sent back by
    a revision but never reopened or failed; a failed or returned row never moves again;
    asking for the status it has is a no-op."""
    from diklat.kegiatan.ledger import (
        BERJALAN,
        DIKEMBALIKAN,
        GAGAL,
        MENUNGGU,
        SELESAI,
        LedgerError,
        StatusLangkah,
        pindah,
    )
    from diklat.models import SopStepLog

    row = SopStepLog(step_no=3, tingkat=1, status=BERJALAN)
    assert pindah(row, MENUNGGU) and row.status == "menunggu"
    assert not pindah(row, MENUNGGU)
    assert pindah(row, SELESAI) and row.status == StatusLangkah.SELESAI
    for ke in (BERJALAN, MENUNGGU, GAGAL):
        with pytest.raises(LedgerError, match="langkah 3 tingkat 1: status selesai"):
            pindah(row, ke)
    assert pindah(row, DIKEMBALIKAN)
    for ke in (BERJALAN, MENUNGGU, SELESAI, GAGAL):
        with pytest.raises(LedgerError):
            pindah(row, ke)
    failed = SopStepLog(step_no=4, tingkat=0, status="menunggu")
    assert pindah(failed, GAGAL)
    with pytest.raises(LedgerError):
        pindah(failed, SELESAI)
    assert type(row.status) is str  # stored as the plain value
