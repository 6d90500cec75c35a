"""Outgoing-letter register: format, yearly reset, idempotency, voiding, concurrency, CLI."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from diklat.db import make_engine, migrate, session_scope
from diklat.models import Naskah, RegisterCounter, RegisterEntry
from diklat.naskah.register import RegisterError, entries, register_naskah, void
from diklat.settings import reset_settings_cache

D = dt.date(2026, 11, 23)
#: The register's "today" in these tests (a test moves it forward as days pass).
HARI = [D]


@pytest.fixture(autouse=True)
def _agency_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The register's "today" (closed years, default dates, nothing dated ahead) is fixed
    for these tests."""
    import diklat.naskah.register

    HARI[0] = D
    monkeypatch.setattr(diklat.naskah.register, "today", lambda settings=None: HARI[0])


def make_naskah(
    engine: Engine, n: int, *, jenis: str = "surat_panggilan", status: str = "ditandatangani"
) -> list[int]:
    with session_scope(engine) as s:
        rows = [
            Naskah(
                jenis=jenis,
                kunci=f"k{i}",
                versi=1,
                status=status,
                hal=f"Hal {i}",
                tujuan="Kepala Dinas",
            )
            for i in range(n)
        ]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def reg(engine: Engine, naskah_id: int, tanggal: dt.date = D) -> RegisterEntry:
    with session_scope(engine) as s:
        return register_naskah(s, naskah_id, tanggal)


def test_number_format_and_sequence(engine: Engine) -> None:
    ids = make_naskah(engine, 3)
    sk = make_naskah(engine, 1, jenis="sk_panitia")[0]
    tugas = make_naskah(engine, 1, jenis="surat_tugas")[0]
    nomor = [reg(engine, i).nomor for i in ids] + [reg(engine, sk).nomor, reg(engine, tugas).nomor]
    assert nomor == [
        "800.2.4.2/001/BKPSDM/2026",
        "800.2.4.2/002/BKPSDM/2026",
        "800.2.4.2/003/BKPSDM/2026",
        "800.2.4.2/001/KEP/BKPSDM/2026",  # decrees: the register of keputusan
        "800.1.4.1/004/BKPSDM/2026",  # one sequence per unit, whatever the classification
    ]
    with session_scope(engine) as s:
        n = s.get(Naskah, ids[0])
        assert n is not None
        assert (n.status, n.nomor, n.tanggal, n.klasifikasi) == (
            "terdaftar",
            "800.2.4.2/001/BKPSDM/2026",
            D,
            "800.2.4.2",
        )


def test_classification_from_settings_and_custom_format(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "DIKLAT_NASKAH__NOMOR_FORMAT", "{klasifikasi}/{urut:04d}/{unit}/{bulan_romawi}/{tahun}"
    )
    monkeypatch.setenv("DIKLAT_INSTANSI__KODE_UNIT", "BKPSDM.3")
    reset_settings_cache()
    tugas = make_naskah(engine, 1, jenis="surat_tugas")[0]
    assert reg(engine, tugas).nomor == "800.1.4.1/0001/BKPSDM.3/XI/2026"


def test_yearly_reset(engine: Engine) -> None:
    ids = make_naskah(engine, 4)
    with pytest.raises(RegisterError, match="belum tiba"):  # never numbered ahead
        reg(engine, ids[0], dt.date(2026, 12, 30))
    HARI[0] = dt.date(2026, 12, 30)
    assert reg(engine, ids[0], dt.date(2026, 12, 30)).urut == 1
    HARI[0] = dt.date(2026, 12, 31)
    assert reg(engine, ids[1], dt.date(2026, 12, 31)).urut == 2
    HARI[0] = dt.date(2027, 1, 4)
    e = reg(engine, ids[2], dt.date(2027, 1, 4))
    assert (e.urut, e.tahun, e.nomor) == (1, 2027, "800.2.4.2/001/BKPSDM/2027")
    HARI[0] = dt.date(2027, 1, 5)
    assert reg(engine, ids[3], dt.date(2027, 1, 5)).urut == 2


def test_idempotent(engine: Engine) -> None:
    a, b = make_naskah(engine, 2)
    first = reg(engine, a)
    again = reg(engine, a, dt.date(2026, 12, 1))  # a later call changes nothing
    assert (again.id, again.nomor, again.tanggal) == (first.id, first.nomor, D)
    assert reg(engine, b).urut == 2  # the repeat did not use a number
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(RegisterEntry)) == 2


def test_only_signed_letters_get_a_number(engine: Engine) -> None:
    draf = make_naskah(engine, 1, status="draf")[0]
    paraf = make_naskah(engine, 1, status="paraf")[0]
    for i in (draf, paraf):
        with pytest.raises(RegisterError, match="ditandatangani"):
            reg(engine, i)
    with pytest.raises(RegisterError, match="tidak ada"):
        reg(engine, 999999)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(RegisterEntry)) == 0
        # a refused registration does not advance the counter
        assert s.scalar(select(func.count()).select_from(RegisterCounter)) == 0


def test_void_keeps_entry_and_never_reuses(engine: Engine) -> None:
    a, b, c = make_naskah(engine, 3)
    ea, eb = reg(engine, a), reg(engine, b)
    with session_scope(engine) as s:
        with pytest.raises(RegisterError, match="alasan"):
            void(s, eb.nomor, "  ")
        v = void(s, eb.nomor, "salah alamat tujuan")
        assert (v.status, v.alasan_batal) == ("batal", "salah alamat tujuan")
        assert v.dibatalkan_at is not None
        assert void(s, eb.id, "lagi").alasan_batal == "salah alamat tujuan"  # unchanged
        nb = s.get(Naskah, b)
        assert nb is not None and nb.status == "dibatalkan" and nb.nomor == eb.nomor
    assert reg(engine, c).urut == 3  # 2 stays voided, never given again
    with pytest.raises(RegisterError, match="dibatalkan"):
        reg(engine, b)
    with session_scope(engine) as s:
        rows = entries(s, 2026)
        assert [(e.urut, e.status) for e in rows] == [(1, "aktif"), (2, "batal"), (3, "aktif")]
        assert rows[0].nomor == ea.nomor
        with pytest.raises(RegisterError, match="tidak ada"):
            void(s, "800/999/X/2026", "x")


def test_rollback_gives_the_number_back(engine: Engine) -> None:
    a, b = make_naskah(engine, 2)
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        assert register_naskah(s, a, D).urut == 1
        raise RuntimeError("crash before commit")
    assert reg(engine, b).urut == 1  # no gap
    assert reg(engine, a).urut == 2


# --------------------------------------------------------------------------- concurrency


def _register_all(url: str, ids: list[int], out: multiprocessing.Queue | None = None) -> None:
    eng = make_engine(url)
    got = []
    try:
        for i in ids:
            with session_scope(eng) as s:
                got.append(register_naskah(s, i, D).urut)
    finally:
        eng.dispose()
    if out is not None:
        out.put(got)


def _check_consecutive(engine: Engine, total: int) -> None:
    with Session(engine) as s:
        rows = s.execute(
            select(RegisterEntry.urut, RegisterEntry.nomor, RegisterEntry.naskah_id)
        ).all()
        counter = s.execute(select(RegisterCounter.last_urut)).scalar_one()
    assert sorted(r[0] for r in rows) == list(range(1, total + 1))
    assert len({r[1] for r in rows}) == total
    assert len({r[2] for r in rows}) == total
    assert counter == total


def test_concurrent_processes_postgres(pg_url: str) -> None:
    migrate(pg_url)
    engine = make_engine(pg_url)
    ids = make_naskah(engine, 800)
    engine.dispose()
    # spawn, not fork: the session may already run threads (Prefect harness, servers), and a
    # forked child can inherit a lock held by one of them.
    ctx = multiprocessing.get_context("spawn")
    q: multiprocessing.Queue = ctx.Queue()
    procs = [ctx.Process(target=_register_all, args=(pg_url, ids[k::8], q)) for k in range(8)]
    for p in procs:
        p.start()
    results = [q.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sum(len(r) for r in results) == 800
    for r in results:  # each process saw its own numbers rise
        assert r == sorted(r)
    _check_consecutive(engine, 800)
    # a second round in parallel on the same documents: all idempotent, nothing new
    procs = [ctx.Process(target=_register_all, args=(pg_url, ids[k::8])) for k in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0
    _check_consecutive(engine, 800)
    engine.dispose()


def test_concurrent_threads_sqlite(sqlite_engine: Engine, sqlite_url: str) -> None:
    ids = make_naskah(sqlite_engine, 800)
    errors: list[BaseException] = []

    def work(part: list[int]) -> None:
        try:
            _register_all(sqlite_url, part)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(ids[k::8],)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not errors, errors[:3]
    _check_consecutive(sqlite_engine, 800)


def test_same_document_registered_concurrently_once(engine: Engine, db_url: str) -> None:
    (a,) = make_naskah(engine, 1)
    results: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        eng = make_engine(db_url)
        with session_scope(eng) as s:
            nomor = register_naskah(s, a, D).nomor
        eng.dispose()
        with lock:
            results.append(nomor)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 6 and len(set(results)) == 1
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(RegisterEntry)) == 1


# --------------------------------------------------------------------------- CLI


def test_cli_list_export_void(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    monkeypatch.setenv("DIKLAT_DATABASE_URL", sqlite_url)
    # importing cli.main sets PREFECT_HOME when unset; keep that inside this test
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    reset_settings_cache()
    migrate(sqlite_url)
    eng = make_engine(sqlite_url)
    ids = make_naskah(eng, 3)
    for i in ids:
        reg(eng, i)
    last = make_naskah(eng, 1, jenis="surat_tugas")[0]
    HARI[0] = dt.date(2027, 1, 4)
    reg(eng, last, dt.date(2027, 1, 4))
    eng.dispose()
    runner = CliRunner()

    r = runner.invoke(
        app, ["register", "void", "800.2.4.2/002/BKPSDM/2026", "--alasan", "salah ketik hal"]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["register", "list", "--year", "2026", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [x["nomor"] for x in rows] == [f"800.2.4.2/00{k}/BKPSDM/2026" for k in (1, 2, 3)]
    assert {
        "nomor",
        "urut",
        "klasifikasi",
        "unit",
        "tahun",
        "status",
        "naskah_id",
        "tanggal",
        "hal",
    } <= set(rows[0])
    assert [x["status"] for x in rows] == ["aktif", "batal", "aktif"]
    assert rows[0]["naskah_id"] == ids[0] and rows[0]["tahun"] == 2026

    r = runner.invoke(app, ["register", "list", "--year", "2026"])
    assert r.exit_code == 0 and "800.2.4.2/003/BKPSDM/2026" in r.stdout

    r = runner.invoke(app, ["register", "void", "NOPE/1", "--alasan", "x"])
    assert r.exit_code == 1

    out = tmp_path / "register.xlsx"
    r = runner.invoke(app, ["register", "export", "--year", "2026", "--out", str(out)])
    assert r.exit_code == 0, r.output
    import openpyxl

    ws = openpyxl.load_workbook(out).active
    assert ws is not None
    values = list(ws.values)
    assert values[0][:3] == ("No. Urut", "Nomor Surat", "Tanggal")
    assert [v[1] for v in values[1:]] == [x["nomor"] for x in rows]
    assert values[2][7] == "Batal" and values[2][8] == "salah ketik hal"


def test_keputusan_in_the_letters_series_when_configured(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIKLAT_NASKAH__SERI_KEPUTUSAN", "")
    reset_settings_cache()
    a = make_naskah(engine, 1)[0]
    sk = make_naskah(engine, 1, jenis="sk_panitia")[0]
    assert [reg(engine, a).nomor, reg(engine, sk).nomor] == [
        "800.2.4.2/001/BKPSDM/2026",
        "800.2.4.2/002/BKPSDM/2026",
    ]


def test_dates_run_forward_and_closed_years_are_refused(engine: Engine) -> None:
    ids = make_naskah(engine, 5)
    reg(engine, ids[0], dt.date(2026, 11, 20))
    with pytest.raises(RegisterError, match="lebih awal dari nomor aktif terakhir"):
        reg(engine, ids[1], dt.date(2026, 11, 19))
    with pytest.raises(RegisterError, match="sudah ditutup"):
        reg(engine, ids[1], dt.date(2025, 12, 30))
    with (
        pytest.raises(RegisterError, match="tidak dapat dibaca; tulis YYYY-MM-DD"),
        session_scope(engine) as s,
    ):
        register_naskah(s, ids[1], "31/31/2026")
    # a refusal gave nothing away: the next number is 2
    assert reg(engine, ids[1], dt.date(2026, 11, 20)).urut == 2
    # nothing is numbered ahead of its day: it would block the series until then
    with pytest.raises(RegisterError, match="belum tiba"):
        reg(engine, ids[2], dt.date(2026, 11, 25))
    # a voided number does not hold the date back
    HARI[0] = dt.date(2026, 11, 25)
    e = reg(engine, ids[2], dt.date(2026, 11, 25))
    with session_scope(engine) as s:
        void(s, e.nomor, "salah tanggal")
    assert reg(engine, ids[3], dt.date(2026, 11, 21)).urut == 4


def test_bundle_numbered_in_one_transaction(engine: Engine) -> None:
    from diklat.naskah.register import register_bundel

    single = make_naskah(engine, 1)[0]
    reg(engine, single)
    ids = make_naskah(engine, 5)
    with session_scope(engine) as s:
        first = register_bundel(s, ids[:2], D)  # a run that stopped after two members
    with session_scope(engine) as s:
        out = register_bundel(s, ids, D)
    assert [e.urut for e in out] == [2, 3, 4, 5, 6]
    assert [e.nomor for e in out[:2]] == [e.nomor for e in first]
    with session_scope(engine) as s:
        assert s.scalar(select(RegisterCounter.last_urut)) == 6
        assert {
            n.status for n in s.execute(select(Naskah).where(Naskah.id.in_(ids))).scalars()
        } == {"terdaftar"}
    draft = make_naskah(engine, 1, status="draf")[0]
    more = make_naskah(engine, 1)[0]
    with pytest.raises(RegisterError, match="ditandatangani"), session_scope(engine) as s:
        register_bundel(s, [more, draft], D)
    with session_scope(engine) as s:  # refused as a whole: nothing given
        assert s.scalar(select(RegisterCounter.last_urut)) == 6
