"""Importing SIASN's export file into the database (SQLite and PostgreSQL): counts, run record,
quarantine, refusals leave the database unchanged, idempotence, --full, rollback on failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from test_siasn_export_reader import NIPS, base_row, export_text, write_export

from diklat.models import Karantina, Pegawai, SyncRun, UnitKerja
from diklat.pegawai.personnel import PersonnelWriter
from diklat.pegawai.siasn_export import (
    REQUIRED_COLUMNS,
    ExportRefused,
    ImportFailed,
    import_export,
)


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything an import may touch, to compare before/after."""
    with engine.connect() as c:
        return {
            "pegawai": sorted(tuple(r) for r in c.execute(select(Pegawai.__table__))),
            "unit": sorted(tuple(r) for r in c.execute(select(UnitKerja.__table__))),
            "run": sorted(tuple(r) for r in c.execute(select(SyncRun.__table__))),
            "karantina": sorted(tuple(r) for r in c.execute(select(Karantina.__table__))),
        }


def pegawai(engine: Engine) -> dict[str, Any]:
    with engine.connect() as c:
        return {r.nip: r for r in c.execute(select(Pegawai.__table__))}


def mixed_rows() -> list[dict[str, str]]:
    rows = [base_row(n) for n in NIPS]
    rows[1]["unor_id"] = "'4002"
    rows[1]["unor_nama"] = "Dinas Pendidikan"
    rows.append(base_row("198501012010012000"))  # serial 000: invalid NIP
    rows.append(base_row(NIPS[0]))  # duplicate NIP
    rows.append(base_row("199105052019031004", unor_id="null", unor_nama="null"))  # no unit
    rows.append(base_row("199206062019032005", tanggal_lahir="31-02-1992"))  # bad date
    return rows


def test_import_lands_rows_units_run_and_quarantine(engine: Engine, tmp_path: Path) -> None:
    path = write_export(
        tmp_path / "export.csv", mixed_rows(), delimiter=";", bom=True, newline="\r\n"
    )
    res = import_export(engine, path)
    assert (res.inserted, res.updated, res.unchanged, res.quarantined, res.deactivated) == (
        4,
        0,
        0,
        4,
        0,
    )
    assert res.status == "success" and res.rows == 8 and res.mode == "file"

    rows = pegawai(engine)
    assert set(rows) == set(NIPS)
    p0 = rows[NIPS[0]]
    assert p0.nama == "Siti Aminah" and p0.gelar_depan == "Dr." and p0.jenis_kelamin == "P"
    assert p0.golongan == "III/a" and p0.pangkat == "Penata Muda" and p0.jenis_pegawai == "PNS"
    assert p0.jenis_jabatan == "Fungsional Tertentu" and p0.sumber == "siasn-export"
    assert p0.nomor_hp == "081234567890" and p0.aktif
    assert rows[NIPS[2]].jenis_pegawai == "PPPK"
    with engine.connect() as c:
        units = {u.kode: u for u in c.execute(select(UnitKerja.__table__))}
        run = c.execute(select(SyncRun.__table__)).one()
        kar = list(c.execute(select(Karantina.__table__).order_by(Karantina.baris)))
    assert set(units) == {"4001", "4002"} and units["4002"].nama == "Dinas Pendidikan"
    assert rows[NIPS[1]].unit_id == units["4002"].id
    assert (run.sumber, run.mode, run.status, run.file_name) == (
        "siasn-export",
        "file",
        "success",
        "export.csv",
    )
    assert run.file_sha256 == res.file_sha256 and len(run.file_sha256) == 64
    assert (run.inserted, run.quarantined, run.id) == (4, 4, res.sync_run_id)
    assert [k.baris for k in kar] == [6, 7, 8, 9]
    assert "NIP tidak valid" in kar[0].alasan and "ganda" in kar[1].alasan
    assert "unit" in kar[2].alasan and "tanggal_lahir" in kar[3].alasan
    for k in kar:
        assert k.sumber == "siasn-export" and k.sync_run_id == res.sync_run_id
        for secret in ("6402010101850001", "081234567890", "Mawar", "123456789012345", "siti@"):
            assert secret not in (k.payload or "")
    assert json.loads(kar[0].payload)["nama"] == "Siti Aminah"


def test_same_file_twice_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.csv", [base_row(n) for n in NIPS])
    first = import_export(engine, path)
    before = snapshot(engine)
    second = import_export(engine, path)
    assert first.inserted == 4
    assert (second.inserted, second.updated, second.unchanged, second.quarantined) == (0, 0, 4, 0)
    after = snapshot(engine)
    assert after["pegawai"] == before["pegawai"] and after["unit"] == before["unit"]
    assert len(after["run"]) == 2


def test_changed_rows_are_updated(engine: Engine, tmp_path: Path) -> None:
    import_export(engine, write_export(tmp_path / "a.csv", [base_row(n) for n in NIPS]))
    rows = [base_row(n) for n in NIPS]
    rows[0]["gol_akhir_nama"] = "III/b"
    res = import_export(engine, write_export(tmp_path / "b.csv", rows))
    assert (res.inserted, res.updated, res.unchanged) == (0, 1, 3)
    assert pegawai(engine)[NIPS[0]].pangkat == "Penata Muda Tingkat I"


def test_fields_not_in_export_are_kept(engine: Engine, tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.csv", [base_row(n) for n in NIPS])
    import_export(engine, path)
    # A SIASN refresh adds eselon and tmt_pensiun, which the export does not carry.
    import datetime as dt

    from diklat.pegawai.siasn_export import inspect_export, read_batches

    recs = next(read_batches(inspect_export(path))).records
    for r in recs:
        r.update(eselon="IV.a", tmt_pensiun=dt.date(2045, 1, 1))
    with engine.begin() as conn:
        w = PersonnelWriter(conn, None, sumber="siasn")
        assert w.write(recs).updated == 4
    res = import_export(engine, path)
    assert (res.updated, res.unchanged) == (0, 4)
    assert {p.eselon for p in pegawai(engine).values()} == {"IV.a"}


def test_truncated_last_line(engine: Engine, tmp_path: Path) -> None:
    text = export_text([base_row(n) for n in NIPS]).rstrip("\n")
    path = tmp_path / "t.csv"
    path.write_text(text[: text.rfind("\n") + 100], encoding="utf-8")
    res = import_export(engine, path)
    assert (res.inserted, res.quarantined) == (3, 1)
    assert set(pegawai(engine)) == set(NIPS[:3])
    with engine.connect() as c:
        k = c.execute(select(Karantina.__table__)).one()
    assert k.baris == 5 and "terpotong" in k.alasan and k.kunci == NIPS[3]


@pytest.mark.parametrize("case", ["missing_column", "empty", "xlsx", "binary"])
def test_refused_files_leave_database_unchanged(engine: Engine, tmp_path: Path, case: str) -> None:
    import_export(engine, write_export(tmp_path / "ok.csv", [base_row(n) for n in NIPS[:2]]))
    before = snapshot(engine)
    path = tmp_path / f"{case}.csv"
    if case == "missing_column":
        cols = [c for c in REQUIRED_COLUMNS if c != "nama"]
        write_export(path, [base_row(n) for n in NIPS], columns=cols)
        expect = "kolom wajib tidak ada.*nama"
    elif case == "empty":
        path.write_bytes(b"")
        expect = "kosong"
    elif case == "xlsx":
        path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
        expect = "bukan file teks"
    else:
        path.write_bytes(bytes(range(256)) * 10)
        expect = "bukan file teks"
    with pytest.raises(ExportRefused, match=expect):
        import_export(engine, path, full=True)
    assert snapshot(engine) == before


def test_full_deactivates_missing_never_deletes(engine: Engine, tmp_path: Path) -> None:
    import_export(engine, write_export(tmp_path / "a.csv", [base_row(n) for n in NIPS]))
    smaller = write_export(tmp_path / "b.csv", [base_row(n) for n in NIPS[:3]])
    plain = import_export(engine, smaller)
    assert plain.deactivated == 0 and all(p.aktif for p in pegawai(engine).values())
    full = import_export(engine, smaller, full=True)
    assert (full.deactivated, full.unchanged, full.mode) == (1, 3, "file-full")
    rows = pegawai(engine)
    assert len(rows) == 4 and not rows[NIPS[3]].aktif and rows[NIPS[0]].aktif
    with engine.connect() as c:
        run = c.execute(select(SyncRun.__table__).where(SyncRun.id == full.sync_run_id)).one()
    assert (run.mode, run.deactivated, run.status) == ("file-full", 1, "success")
    # Back in the file: active again.
    again = import_export(
        engine, write_export(tmp_path / "c.csv", [base_row(n) for n in NIPS]), full=True
    )
    assert (again.updated, again.deactivated) == (1, 0) and pegawai(engine)[NIPS[3]].aktif


def test_failure_midway_rolls_everything_back(engine: Engine, tmp_path: Path) -> None:
    import_export(engine, write_export(tmp_path / "a.csv", [base_row(n) for n in NIPS[:2]]))
    before = snapshot(engine)
    rows = [base_row(n, gol_akhir_nama="IV/a") for n in NIPS]
    path = write_export(tmp_path / "b.csv", rows)
    calls: list[int] = []

    def boom(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise OSError("disk penuh (simulasi)")

    with pytest.raises(ImportFailed, match="disk penuh") as ei:
        import_export(engine, path, batch_size=2, progress=boom, full=True)
    after = snapshot(engine)
    assert after["pegawai"] == before["pegawai"] and after["unit"] == before["unit"]
    assert after["karantina"] == before["karantina"]
    with engine.connect() as c:
        run = c.execute(select(SyncRun.__table__).where(SyncRun.id == ei.value.sync_run_id)).one()
        n = c.execute(select(func.count()).select_from(Pegawai)).scalar_one()
    assert run.status == "failed" and "disk penuh" in run.error and run.inserted == 0
    assert n == 2
