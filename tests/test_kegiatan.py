"""Trainings as first-class records: created, shown and refused on bad input (domain on both
databases; the CLI as an operator types it)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from diklat.db import get_engine, migrate, session_scope
from diklat.kegiatan import ledger
from diklat.kegiatan.data import (
    KegiatanDitolak,
    calon_menurut_kriteria,
    kegiatan_by_kode,
    periksa,
    predikat,
)
from diklat.laporan.posisi import posisi_kegiatan
from diklat.mulai import simpan_kegiatan
from diklat.pegawai.personnel import PersonnelWriter
from tests.cli_support import Hasil, diklat
from tests.sop_support import siap

BASE = {
    "kode": "PK-2026-003",
    "sop": "peningkatan-kapasitas",
    "nama": "Pelatihan Anjab",
    "mulai": "2026-12-14",
    "selesai": "2026-12-16",
    "tempat": "Aula",
    "jp": 24,
    "kuota": 30,
    "lembaga_narasumber": "BPSDM Provinsi",
    "materi": ["Anjab"],
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"selesai": "2026-12-10"}, "selesai"),
        ({"sop": "tidak-ada"}, "sop"),
        ({"kuota": -1}, "kuota"),
        ({"jp": 0}, "jp"),
        ({"mulai": "14-12-2026x"}, "mulai"),
        ({"kode": "PK 2026/003"}, "kode"),
        ({"kondisi": ["kewenangan_sekda"]}, "kondisi"),  # not a condition of SOP 000
        ({"jenis_diklat_id": "99"}, "jenis_diklat_id"),
        ({"nama": ""}, "nama"),
    ],
)
def test_bad_values_are_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(KegiatanDitolak) as e:
        periksa({**BASE, **change})
    assert e.value.field == field
    assert str(e.value).startswith(f"{field}: ")
    assert "\n" not in str(e.value)


def test_sekda_condition_belongs_to_sop_002() -> None:
    d = periksa({**BASE, "sop": "pengiriman-peserta", "kondisi": ["kewenangan_sekda"]})
    assert d.kondisi == ["kewenangan_sekda"]


def test_created_once_and_shown(engine: Engine) -> None:
    w = PersonnelWriter(engine, None, sumber="simpeg")
    w.upsert_units([{"kode": "U1", "nama": "Dinas Pendidikan"}])
    w.write(
        [
            {
                "nip": "198501012010012001",
                "nama": "Siti",
                "unit_kode": "U1",
                "golongan": "III/a",
                "jabatan": "Analis Kepegawaian",
            },
            {
                "nip": "199002022015031002",
                "nama": "Budi",
                "unit_kode": "U1",
                "golongan": "II/b",
                "jabatan": "Pengadministrasi",
            },
        ]
    )
    data = {**BASE, "kriteria": {"unit": ["U1"], "golongan": ["III"], "jabatan": ["analis"]}}
    siap(engine)
    with session_scope(engine) as s:
        k = simpan_kegiatan(s, data)
        assert simpan_kegiatan(s, data).id == k.id  # the same data: the same training
        with pytest.raises(KegiatanDitolak, match="kode: .*data berbeda"):
            simpan_kegiatan(s, {**data, "nama": "Lain"})
        with pytest.raises(KegiatanDitolak, match="kriteria.unit: unit kerja tidak dikenal: X9"):
            simpan_kegiatan(s, {**data, "kode": "K2", "kriteria": {"unit": ["X9"]}})
        calon = calon_menurut_kriteria(engine, k)
        assert list(calon["nip"]) == ["198501012010012001"]
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, "PK-2026-003")
        ledger.selesai(s, k, 1)
        ledger.tunggu(s, k, 2, now=dt.datetime(2026, 12, 4, 7, 30, tzinfo=dt.UTC))
        shown = posisi_kegiatan(s, "PK-2026-003")
    assert shown["status"] == "berjalan" and shown["kode"] == "PK-2026-003"
    assert shown["kriteria"]["golongan"] == ["III"]
    steps = {x["no"]: x for x in shown["langkah"]}
    assert len(steps) == 45 and steps[1]["status"] == "selesai"
    assert steps[2]["status"] == "menunggu" and steps[2]["putaran"] == 1
    # 1 hour of work from Friday 15:30 WITA: Monday 08:30 WITA
    assert steps[2]["tenggat"] == "2026-12-07T08:30:00+08:00"
    assert steps[2]["terlambat"] is (
        dt.datetime.now(dt.UTC) > dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.UTC)
    )
    assert steps[3]["status"] == "belum" and steps[3]["tenggat"] is None
    assert shown["naskah"] == [] and shown["peserta"] == {}


def test_predikat() -> None:
    assert [predikat(x) for x in (95, 90.01, 90, 85, 75, 65, 50)] == [
        "Sangat Memuaskan",
        "Sangat Memuaskan",
        "Memuaskan",
        "Memuaskan",
        "Cukup Memuaskan",
        "Kurang Memuaskan",
        "Tidak Memuaskan",
    ]


def _cli(args: list[str], cwd: Path) -> Hasil:
    return diklat(cwd, *args, env={"DIKLAT_VAR_DIR": str(cwd / "var")})


def test_cli_create_show_and_refuse(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'diklat.db'}"
    migrate(url)
    siap(get_engine(url))
    args = [
        "kegiatan",
        "buat",
        "--kode",
        "PD-2026-001",
        "--sop",
        "pengiriman-peserta",
        "--nama",
        "Diklat Teknis Arsiparis",
        "--mulai",
        "2026-12-14",
        "--selesai",
        "2026-12-18",
        "--tempat",
        "Semarang",
        "--jp",
        "40",
        "--kuota",
        "1",
        "--penyelenggara",
        "BPSDMD Provinsi Jawa Tengah",
        "--kondisi",
        "kewenangan_sekda",
        "--unit",
        "U1",
        "--json",
    ]
    r = _cli(args, tmp_path)
    assert r.returncode == 0, r.stderr
    made = json.loads(r.stdout)
    assert made["kode"] == "PD-2026-001" and made["kondisi"] == ["kewenangan_sekda"]
    assert _cli(args, tmp_path).returncode == 0  # again: the same training

    r = _cli(["kegiatan", "show", "PD-2026-001", "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert {"kode", "sop", "status", "langkah", "naskah", "peserta"} <= set(shown)
    # the Sekda branch: step 16 belongs to this training's path
    assert 16 in [x["no"] for x in shown["langkah"]]
    assert {"no", "putaran", "status", "mulai", "selesai", "tenggat", "terlambat"} <= set(
        shown["langkah"][0]
    )

    for bad, field in (
        (["--selesai", "2026-12-01"], "selesai"),
        (["--kuota", "-3"], "kuota"),
        (["--sop", "x"], "sop"),
        (["--kode", "PD-2026-002", "--unit", "NOPE"], "kriteria.unit"),
    ):
        r = _cli([*args[:-1], *bad], tmp_path)
        assert r.returncode == 2, (bad, r.stdout, r.stderr)
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert len(lines) == 1 and field in lines[0] and "Traceback" not in r.stderr

    r = _cli(["kegiatan", "show", "NOPE"], tmp_path)
    assert r.returncode == 1 and "tidak ada" in r.stderr
    r = _cli(["kegiatan", "list"], tmp_path)
    assert r.returncode == 0 and "PD-2026-001" in r.stdout
