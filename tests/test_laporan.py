"""Reports read back from the Excel files (both databases): SOP compliance (values, late rows
filled red, the SOP across trainings, the chart), 20 JP (one rule with the candidate criterion,
each training counted once, NIP as text), the participant report (sheets per agency,
attendance recap); the CLI's exit codes and one-line errors."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from diklat.db import session_scope
from diklat.excel import SOROT
from diklat.kegiatan import ledger
from diklat.kegiatan.data import daftar_calon, jp_tahun, kegiatan_by_kode, tetapkan_peserta
from diklat.laporan.posisi import posisi_kegiatan
from diklat.laporan.rekap import (
    kepatuhan,
    laporan_jp,
    laporan_peserta,
    tabel_artefak,
    tulis_kepatuhan,
)
from diklat.models import Arsip, Pegawai, Peserta, RiwayatDiklat
from diklat.mulai import simpan_kegiatan
from diklat.pegawai.personnel import PersonnelWriter
from tests.cli_support import Hasil, diklat
from tests.sop_support import LENGKAP, siap

WITA = dt.timezone(dt.timedelta(hours=8))
NIP = {
    1: "198501012010012001",
    2: "199002022015031002",
    3: "198703032011012003",
    4: "199104042016031004",
}
NOW = dt.datetime(2026, 3, 13, 12, 0, tzinfo=WITA)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=WITA)


def build(engine: Engine) -> dict[str, int]:
    """Two units, four employees, two trainings of SOP 002 with ledger rows, participants,
    and a training history: JP 2026 = 32, 12, 0, 24."""
    w = PersonnelWriter(engine, None, sumber="simpeg")
    w.upsert_units(
        [
            {"kode": "U1", "nama": "Dinas Pendidikan", "singkatan": "Disdik"},
            {"kode": "U2", "nama": "Inspektorat"},
        ]
    )
    w.write(
        [
            {
                "nip": NIP[1],
                "nama": "Siti Aminah",
                "gelar_belakang": "S.E.",
                "unit_kode": "U1",
                "golongan": "III/a",
                "jabatan": "Analis Kepegawaian",
            },
            {
                "nip": NIP[2],
                "nama": "Budi",
                "unit_kode": "U1",
                "golongan": "II/b",
                "jabatan": "Pengadministrasi",
            },
            {
                "nip": NIP[3],
                "nama": "Rina",
                "unit_kode": "U2",
                "golongan": "III/b",
                "jabatan": "Auditor",
            },
            {
                "nip": NIP[4],
                "nama": "Joko",
                "unit_kode": "U2",
                "golongan": "III/c",
                "jabatan": "Auditor",
            },
        ]
    )
    base = {
        "sop": "pengiriman-peserta",
        "nama": "Diklat Teknis Audit",
        **LENGKAP,
        "jp": 24,
        "mulai": "2026-03-02",
        "selesai": "2026-03-06",
        "kriteria": {"unit": ["U1", "U2"]},
    }
    siap(engine)
    with session_scope(engine) as s:
        a = simpan_kegiatan(s, {**base, "kode": "PD-A"})
        b = simpan_kegiatan(s, {**base, "kode": "PD-B", "nama": "Diklat Teknis Lain"})
        # PD-A: 1 on time (10 of 15 minutes), 2 late (16 of 8 working hours), 3 open and
        # late, 21 without a standard time (2 and 3 are dispositions: the official's level)
        ledger.mulai(s, a, 1, now=at(2, 9))
        ledger.selesai(s, a, 1, now=at(2, 9, 10))
        ledger.mulai(s, a, 2, tingkat=1, now=at(2, 10))
        ledger.selesai(s, a, 2, tingkat=1, now=at(4, 10))
        ledger.mulai(s, a, 3, tingkat=1, now=at(2, 11))
        ledger.mulai(s, a, 21, now=at(3, 8))
        ledger.selesai(s, a, 21, now=at(5, 16))
        # PD-B: 1 late (30 of 15 minutes), 2 on time (4 of 8 hours)
        ledger.mulai(s, b, 1, now=at(9, 9))
        ledger.selesai(s, b, 1, now=at(9, 9, 30))
        ledger.mulai(s, b, 2, tingkat=1, now=at(9, 10))
        ledger.selesai(s, b, 2, tingkat=1, now=at(9, 14))
        ids = {
            n: s.execute(select(Pegawai.id).where(Pegawai.nip == nip)).scalar_one()
            for n, nip in NIP.items()
        }
        ps = {p.pegawai_id: p for p in tetapkan_peserta(s, a, [ids[1], ids[2], ids[3], ids[4]])}
        ps[ids[1]].status = "lulus"
        ps[ids[1]].nilai = 85.0
        ps[ids[2]].status = "tidak_lulus"
        ps[ids[2]].nilai = 50.0
        ps[ids[3]].status, ps[ids[3]].catatan = "batal", "tidak hadir"
        ps[ids[4]].status, ps[ids[4]].siasn_riwayat_id = "lulus", "rw-4"
        ps[ids[4]].nilai = 90.0
        s.add_all(
            [
                RiwayatDiklat(
                    pegawai_id=ids[1],
                    kunci="siasn-1",
                    siasn_id="s-1",
                    tahun=2026,
                    nama_kursus="Bimtek SIASN",
                    jumlah_jp=8,
                    sumber="siasn",
                    tanggal_selesai=dt.date(2026, 2, 2),
                ),
                RiwayatDiklat(
                    pegawai_id=ids[1],
                    kunci="siasn-old",
                    siasn_id="s-0",
                    tahun=2025,
                    nama_kursus="Tahun lalu",
                    jumlah_jp=40,
                    sumber="siasn",
                ),
                RiwayatDiklat(
                    pegawai_id=ids[2],
                    kunci="siasn-2",
                    siasn_id="s-2",
                    tahun=2026,
                    nama_kursus="Orientasi",
                    jumlah_jp=12,
                    sumber="siasn",
                ),
                # our write-back of PD-A, and SIASN's mirror of it: one training, 24 JP once
                RiwayatDiklat(
                    pegawai_id=ids[4],
                    kunci=f"kegiatan:{a.id}",
                    kegiatan_id=a.id,
                    tahun=2026,
                    nama_kursus=a.nama,
                    jumlah_jp=24,
                    sumber="diklat",
                    nomor_sertifikat="STTP-4",
                ),
                RiwayatDiklat(
                    pegawai_id=ids[4],
                    kunci="siasn-rw-4",
                    siasn_id="rw-4",
                    tahun=2026,
                    nama_kursus=a.nama,
                    jumlah_jp=24,
                    sumber="siasn",
                ),
            ]
        )
        return {**{f"p{n}": i for n, i in ids.items()}, "a": a.id, "b": b.id}


def fill(cell: Any) -> str:
    return str(cell.fill.fgColor.rgb or "")[-6:] if cell.fill and cell.fill.fill_type else ""


def rows_by_first(ws: Any) -> dict[Any, dict[str, Any]]:
    head = [c.value for c in ws[1]]
    return {
        r[0].value: {h: c for h, c in zip(head, r, strict=True)} for r in ws.iter_rows(min_row=2)
    }


def test_compliance_report_values_fill_and_chart(engine: Engine, tmp_path: Path) -> None:
    build(engine)
    with session_scope(engine) as s:
        hasil = kepatuhan(s, "PD-A", now=NOW)
    r = hasil.ringkasan
    assert (r["selesai"], r["berjalan"], r["terlambat"], r["dinilai"]) == (3, 1, 2, 3)
    assert r["persen_tepat_waktu"] == 33.3 and r["kegiatan_sop"] == 2
    files = tulis_kepatuhan(hasil, tmp_path / "kepatuhan.xlsx")
    assert files["png"] == tmp_path / "kepatuhan.png"
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    wb = load_workbook(files["xlsx"])
    assert wb.sheetnames == ["Langkah PD-A", "Per SOP"]
    steps = rows_by_first(wb["Langkah PD-A"])
    assert sorted(steps) == [s for s in range(1, 25) if s != 16]  # the path without Sekda
    one, two, three = steps[1], steps[2], steps[3]
    assert one["Standar (jam kerja)"].value == 0.25 and one["Aktual (jam kerja)"].value == 0.17
    assert one["Penilaian"].value == "tepat waktu" and fill(one["Langkah"]) == ""
    assert two["Aktual (jam kerja)"].value == 16.0 and two["% dari standar"].value == 200.0
    assert two["Penilaian"].value == "terlambat"
    assert all(fill(c) == SOROT for c in two.values())  # the whole late row
    assert three["Status"].value == "berjalan" and three["Penilaian"].value == "terlambat"
    assert fill(three["No"]) == SOROT
    assert steps[21]["Penilaian"].value == "tanpa standar" and fill(steps[21]["No"]) == ""
    assert steps[21]["Standar (jam kerja)"].value is None
    assert steps[24]["Penilaian"].value == "belum dimulai"
    assert two["Mulai"].value == dt.datetime(2026, 3, 2, 10, 0)  # agency's wall time
    sop = rows_by_first(wb["Per SOP"])
    assert sop[1]["Kegiatan"].value == 2 and sop[1]["Median aktual (jam kerja)"].value == 0.33
    assert sop[1]["% tepat waktu"].value == 50.0 and sop[1]["Terlambat"].value == 1
    assert sop[2]["Median aktual (jam kerja)"].value == 10.0
    assert sop[3]["Dinilai"].value == 1 and sop[3]["% tepat waktu"].value == 0.0
    assert fill(sop[3]["No"]) == SOROT and fill(sop[1]["No"]) == ""  # under half on time
    assert sop[5]["Kegiatan"].value == 0 and sop[5]["% tepat waktu"].value is None
    artefak = tabel_artefak(hasil)
    assert artefak[1]["penilaian"] == "terlambat"
    assert not any(v in json.dumps(artefak) for v in NIP.values())


def test_jp_one_rule_for_report_and_candidates(engine: Engine, tmp_path: Path) -> None:
    ids = build(engine)
    jp = jp_tahun(engine, 2026)
    assert {n: int(jp.get(ids[f"p{n}"], 0)) for n in NIP} == {1: 32, 2: 12, 3: 0, 4: 24}
    calon = daftar_calon(engine, 10, kurang_20_jp_tahun=2026)
    assert sorted(calon["nip"]) == sorted([NIP[2], NIP[3]])
    out = tmp_path / "jp.xlsx"
    counts = laporan_jp(engine, 2026, out)
    assert counts == {
        "tahun": 2026,
        "pegawai": 4,
        "kurang_20_jp": 2,
        "terpenuhi": 2,
        "unit": 2,
        "pelatihan": 4,
    }
    wb = load_workbook(out)
    assert wb.sheetnames == ["Per pegawai", "Kurang 20 JP", "Per unit kerja", "Rincian"]
    per = rows_by_first(wb["Per pegawai"])
    assert set(per) == set(NIP.values())
    for nip, row in per.items():
        assert row["NIP"].data_type == "s" and isinstance(nip, str) and len(nip) == 18
    assert per[NIP[1]]["JP"].value == 32 and per[NIP[1]]["Nama"].value == "Siti Aminah, S.E."
    assert per[NIP[2]]["Kekurangan JP"].value == 8 and fill(per[NIP[2]]["NIP"]) == SOROT
    assert fill(per[NIP[1]]["NIP"]) == "" and per[NIP[1]]["Keterangan"].value == "terpenuhi"
    below = rows_by_first(wb["Kurang 20 JP"])
    assert sorted(below) == sorted([NIP[2], NIP[3]])
    units = rows_by_first(wb["Per unit kerja"])
    assert units["Dinas Pendidikan"]["Jumlah JP"].value == 44
    assert units["Inspektorat"]["< 20 JP"].value == 1
    assert units["Inspektorat"]["% terpenuhi"].value == 50.0
    detail = [[c.value for c in r] for r in wb["Rincian"].iter_rows(min_row=2)]
    assert sorted((r[0], r[4], r[5]) for r in detail) == sorted(
        [
            (NIP[1], "SIASN", 8),
            (NIP[1], "kegiatan", 24),
            (NIP[2], "SIASN", 12),
            (NIP[4], "kegiatan", 24),
        ]
    )
    assert {r[6] for r in detail} == {dt.datetime(2026, 2, 2), dt.datetime(2026, 3, 6), None}
    assert laporan_jp(engine, 2025, tmp_path / "jp25.xlsx")["kurang_20_jp"] == 3


def test_participant_report_per_agency_and_attendance(engine: Engine, tmp_path: Path) -> None:
    build(engine)
    out = tmp_path / "peserta.xlsx"
    with session_scope(engine) as s:
        counts = laporan_peserta(engine, s, "PD-A", out)
    assert counts == {"kegiatan": "PD-A", "peserta": 4, "unit": 2, "hadir": 3, "lulus": 2}
    wb = load_workbook(out)
    assert wb.sheetnames == ["Peserta", "Disdik", "Inspektorat", "Rekap kehadiran", "Data laporan"]
    assert [c.value for c in wb["Disdik"]["B"]][1:] == [NIP[1], NIP[2]]
    assert all(c.data_type == "s" for c in wb["Peserta"]["B"])
    rekap = rows_by_first(wb["Rekap kehadiran"])
    assert rekap["Inspektorat"]["Dipanggil"].value == 2
    assert rekap["Inspektorat"]["Tidak hadir"].value == 1
    assert rekap["JUMLAH"]["Hadir"].value == 3 and rekap["JUMLAH"]["% hadir"].value == 75.0
    data = {r[0].value: r[1].value for r in wb["Data laporan"].iter_rows(min_row=2)}
    assert data["Lulus"] == "2" and data["Nilai rata-rata"] == "75.0"
    assert data["Langkah SOP selesai"] == "3 dari 23"


def _cli(tmp_path: Path, url: str, *args: str) -> Hasil:
    return diklat(
        tmp_path,
        "laporan",
        *args,
        env={"DIKLAT_VAR_DIR": str(tmp_path / "var"), "DIKLAT_DATABASE_URL": url},
    )


def _one_line(res: Hasil) -> str:
    assert "Traceback" not in res.stderr + res.stdout, res.stderr
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, res.stderr
    return lines[0]


def test_cli_writes_reports_and_refuses_in_one_line(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    build(sqlite_engine)
    res = _cli(tmp_path, sqlite_url, "kepatuhan", "PD-A", "--out", "k.xlsx", "--json")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["terlambat"] >= 2 and Path(summary["png"]).is_file()
    assert (tmp_path / "k.xlsx").is_file() and (tmp_path / "k.png").is_file()
    res = _cli(tmp_path, sqlite_url, "jp", "--tahun", "2026", "--out", "jp.xlsx")
    assert res.returncode == 0, res.stderr
    assert "2 kurang dari 20 JP" in res.stdout
    res = _cli(tmp_path, sqlite_url, "peserta", "PD-A", "--out", "p.xlsx")
    assert res.returncode == 0 and (tmp_path / "p.xlsx").is_file()
    with session_scope(sqlite_engine) as s:  # written, not archived unless asked
        assert not s.execute(select(Arsip)).first()
    res = _cli(tmp_path, sqlite_url, "peserta", "PD-A", "--out", "p.xlsx", "--arsip", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["arsip_baru"] == 1
    res = _cli(tmp_path, sqlite_url, "kepatuhan", "PD-A", "--out", "k.xlsx", "--arsip")
    assert res.returncode == 0 and "2 berkas baru di arsip" in res.stdout, res.stderr
    # the same report again (same data, same day): the same bytes, nothing filed twice
    res = _cli(tmp_path, sqlite_url, "peserta", "PD-A", "--out", "p.xlsx", "--arsip", "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["arsip_baru"] == 0, res.stderr
    with session_scope(sqlite_engine) as s:
        rows = {
            (a.jenis, a.klasifikasi, a.nama_file): a.sha256
            for a in s.execute(select(Arsip)).scalars()
        }
    assert rows == {
        ("laporan_peserta", "800.2.4.2", "p.xlsx"): hashlib.sha256(
            (tmp_path / "p.xlsx").read_bytes()
        ).hexdigest(),
        ("laporan_kepatuhan", "800.2.4.7", "k.xlsx"): hashlib.sha256(
            (tmp_path / "k.xlsx").read_bytes()
        ).hexdigest(),
        ("laporan_kepatuhan", "800.2.4.7", "k.png"): hashlib.sha256(
            (tmp_path / "k.png").read_bytes()
        ).hexdigest(),
    }
    for args in (
        ("kepatuhan", "TIDAK-ADA", "--out", "x.xlsx"),
        ("peserta", "TIDAK-ADA", "--out", "x.xlsx"),
    ):
        res = _cli(tmp_path, sqlite_url, *args)
        assert res.returncode == 1
        assert "TIDAK-ADA" in _one_line(res) and "diklat kegiatan list" in _one_line(res)
        assert not (tmp_path / "x.xlsx").exists()
    res = _cli(tmp_path, sqlite_url, "jp", "--tahun", "1899", "--out", "x.xlsx")
    assert res.returncode == 2 and "--tahun" in _one_line(res)
    res = _cli(tmp_path, sqlite_url, "kepatuhan", "PD-A", "--out", "x.csv")
    assert res.returncode == 2 and ".xlsx" in _one_line(res)


@pytest.mark.slow
def test_flow_writes_publishes_and_archives(
    sqlite_engine: Engine, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, prefect_api: str
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    from diklat.arsip import find
    from diklat.settings import reset_settings_cache
    from flows.laporan import laporan_kepatuhan

    monkeypatch.setenv("DIKLAT_DATABASE_URL", sqlite_url)
    reset_settings_cache()
    build(sqlite_engine)
    out = laporan_kepatuhan("PD-A")
    assert Path(out["xlsx"]).is_file() and Path(out["png"]).is_file()
    assert out["terlambat"] >= 2 and out["arsip"] == 2
    with session_scope(sqlite_engine) as s:
        entries = find(s, kegiatan="PD-A", jenis="laporan_kepatuhan")
        assert sorted(e.nama_file.rsplit(".", 1)[1] for e in entries) == ["png", "xlsx"]
        assert {e.klasifikasi for e in entries} == {"800.2.4.7"}
        assert kegiatan_by_kode(s, "PD-A").id
    with get_client(sync_client=True) as c:
        arts = c.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["kepatuhan-pd-a"])),
            sort=ArtifactSort.CREATED_DESC,
        )
    assert arts, "table artifact missing"
    text = json.dumps(arts[0].data, default=str) + str(arts[0].description)
    assert "terlambat" in text and out["png"] in text
    assert not any(v in text for v in NIP.values()) and "Siti" not in text
    assert Peserta.__tablename__  # the participants stay in the database only


def test_every_round_is_shown_and_counted(engine: Engine, tmp_path: Path) -> None:
    """A step that took 3 working hours against 15 minutes in round 1 (returned) and 5
    minutes in round 2 shows both rounds, the first red; the SOP's figures count both;
    reconstructed steps (SOP 002 rows 1-12) are marked in the report, the artifact,
    `kegiatan show` and the catalogue output."""
    build(engine)
    with session_scope(engine) as s:
        a = kegiatan_by_kode(s, "PD-A")
        (lv,) = ledger.tingkat_dari(a, 13)  # row 13 is one paraf level
        ledger.mulai(s, a, 13, tingkat=lv, now=at(10, 9))
        ledger.kembalikan(s, a, 13, 13, "perbaiki daftar", now=at(10, 12))
        ledger.mulai(s, a, 13, tingkat=lv, now=at(10, 13))
        ledger.selesai(s, a, 13, now=at(10, 13, 5))
    with session_scope(engine) as s:
        hasil = kepatuhan(s, "PD-A", now=NOW)
        shown = posisi_kegiatan(s, "PD-A")
    thirteen = [u for u in hasil.langkah if u.no == 13]
    assert [(u.putaran, u.status, u.penilaian) for u in thirteen] == [
        (1, "dikembalikan", "terlambat"),
        (2, "selesai", "tepat waktu"),
    ]
    assert thirteen[0].aktual_s == 3 * 3600 and round(thirteen[1].aktual_s or 0) == 300
    r = hasil.ringkasan
    assert (r["putaran"], r["terlambat"], r["dinilai"]) == (6, 3, 5)  # 13 counts twice
    assert r["persen_tepat_waktu"] == 40.0
    sop13 = next(x for x in hasil.per_sop if x["no"] == 13)
    assert (
        sop13["putaran_n"],
        sop13["dinilai_n"],
        sop13["terlambat_n"],
        sop13["persen_tepat"],
    ) == (2, 2, 1, 50.0)
    files = tulis_kepatuhan(hasil, tmp_path / "k.xlsx", grafik=True)
    ws = load_workbook(files["xlsx"])["Langkah PD-A"]
    head = [c.value for c in ws[1]]
    rows = [{h: c for h, c in zip(head, r, strict=True)} for r in ws.iter_rows(min_row=2)]
    r13 = [x for x in rows if x["No"].value == 13]
    assert [x["Putaran"].value for x in r13] == [1, 2]
    assert fill(r13[0]["No"]) == SOROT and fill(r13[1]["No"]) == ""
    assert r13[0]["Aktual (jam kerja)"].value == 3.0
    assert {x["No"].value for x in rows if x["Rekonstruksi"].value == "ya"} == set(range(1, 13))
    assert "Oleh" not in head  # the ledger does not record who acted (yet)
    per = rows_by_first(load_workbook(files["xlsx"])["Per SOP"])
    assert per[13]["Putaran"].value == 2 and per[13]["Terlambat"].value == 1
    assert per[2]["Rekonstruksi"].value == "ya" and per[13]["Rekonstruksi"].value in ("", None)
    artefak = [x for x in tabel_artefak(hasil) if x["no"] == 13]
    assert [(x["putaran"], x["penilaian"], x["rekonstruksi"]) for x in artefak] == [
        (1, "terlambat", False),
        (2, "tepat waktu", False),
    ]
    flags = {x["no"]: x["rekonstruksi"] for x in shown["langkah"]}
    assert flags[1] is True and flags[12] is True and flags[13] is False


def test_ledger_levels_and_actors_slot_in() -> None:
    """Rows that carry a chain level and who acted (the ledger's coming columns) are shown
    as they are, each level its own row, with the columns added to the sheet."""
    from types import SimpleNamespace

    from diklat.laporan.rekap import Kepatuhan, _ukur, kolom_langkah
    from diklat.rules.kalender import kalender
    from diklat.sop.catalogue import get_sop

    step = get_sop("pengiriman-peserta").step(14)
    row = SimpleNamespace(
        step_no=14,
        putaran=1,
        tingkat=2,
        status="selesai",
        started_at=at(10, 9),
        finished_at=at(10, 9, 10),
        deadline=at(10, 10),
        waktu_max_s=None,
        oleh_nama="RINA WULANDARI",
        oleh_nip="1980",
    )
    u = _ukur(step, row, 3600, NOW, kalender())  # type: ignore[arg-type]
    assert (u.tingkat, u.oleh, u.penilaian, u.rekonstruksi) == (
        2,
        "RINA WULANDARI",
        "tepat waktu",
        False,
    )
    hasil = Kepatuhan(
        kode="X",
        nama="X",
        sop="pengiriman-peserta",
        sop_judul="",
        langkah=[u],
        per_sop=[],
        jumlah_kegiatan_sop=1,
    )
    heads = [k.judul for k in kolom_langkah(hasil)]
    assert heads[heads.index("Putaran") + 1 : heads.index("Putaran") + 3] == ["Tingkat", "Oleh"]
