"""A training is checked completely when it is created (every problem at once, with the
command that fixes it, nothing created), corrected before it issues anything (`kegiatan ubah`)
and cancelled (`kegiatan batal`: ledger, waiting requests, Prefect runs), each audited."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from diklat.db import get_engine, migrate, session_scope
from diklat.kegiatan import ledger
from diklat.kegiatan.data import KegiatanBelumSiap, KegiatanDitolak, kegiatan_by_kode
from diklat.kesiapan import kekurangan_awal, periksa_kegiatan
from diklat.laporan.posisi import posisi_kegiatan
from diklat.models import (
    AuditKegiatan,
    Bundel,
    Kegiatan,
    Pegawai,
    Pejabat,
    Permintaan,
    SopStepLog,
)
from diklat.mulai import simpan_kegiatan
from diklat.naskah import versi
from diklat.naskah.isi import IsiTidakLengkap, isi_bundel, sumber
from diklat.naskah.persetujuan import Surat, buka, kirim_kode, putuskan, tingkat_berikut
from diklat.naskah.register import today
from diklat.pegawai.pejabat import simpan_pejabat
from diklat.perubahan import PerubahanDitolak, batalkan_kegiatan, ubah_kegiatan
from tests.cli_support import Hasil, diklat
from tests.sop_support import LENGKAP, OFFICIALS, siap

PD = {
    "kode": "PD-2026-010",
    "sop": "pengiriman-peserta",
    "nama": "Diklat Teknis Arsiparis",
    "mulai": "2026-12-14",
    "selesai": "2026-12-18",
}
PK = {
    "kode": "PK-2026-010",
    "sop": "peningkatan-kapasitas",
    "nama": "Pelatihan Anjab",
    "mulai": "2026-12-14",
    "selesai": "2026-12-16",
}


def _bagian(masalah: list[Any]) -> set[str]:
    return {m.bagian for m in masalah}


def test_every_problem_is_listed_at_once_and_nothing_is_created(engine: Engine) -> None:
    with session_scope(engine) as s:
        d, masalah = periksa_kegiatan(s, PK)
        assert d is not None
        assert _bagian(masalah) == {
            "pegawai",
            "unit_kerja",
            "kegiatan.tempat",
            "kegiatan.jp",
            "kegiatan.lembaga_narasumber",
            "kegiatan.materi",
            "pejabat.kabid_psda",
            "pejabat.sekretaris",
            "pejabat.kepala",
            "pejabat.pengelola",
        }
        by = {m.bagian: m for m in masalah}
        assert "diklat sync" in by["pegawai"].perbaikan
        assert by["kegiatan.tempat"].perbaikan.startswith("--tempat")
        assert "surat_pemberitahuan" in by["kegiatan.jp"].pesan
        assert by["pejabat.kepala"].perbaikan.startswith("diklat pejabat tambah --peran kepala")
        assert "tanda tangan" in by["pejabat.kepala"].pesan
        with pytest.raises(KegiatanBelumSiap) as e:
            simpan_kegiatan(s, PK)
        assert len(e.value.masalah) == 10 and "\n" not in str(e.value)
        assert "perbaikan surat_permohonan_narasumber" in by["pejabat.pengelola"].pesan
        assert s.scalar(select(func.count()).select_from(Kegiatan)) == 0
        # bad fields are listed beside the rest, not one at a time
        _d, masalah = periksa_kegiatan(
            s, {**PD, "jp": 0, "selesai": "2026-12-01", "kondisi": ["kewenangan_sekda"]}
        )
        assert {
            "jp",
            "selesai",
            "kegiatan.penyelenggara",
            "kegiatan.kriteria.unit",
            "pejabat.analis_sdm",
            "pejabat.sekda",
            "pejabat.kepala",
            "pejabat.pengolah_data",
        } <= _bagian(masalah)
        assert "kegiatan.jp" not in _bagian(masalah)  # said once, as the bad value


def test_officials_need_an_address_and_units_must_exist(engine: Engine) -> None:
    siap(engine)
    with session_scope(engine) as s:
        simpan_pejabat(
            s,
            nip=OFFICIALS["kepala"],
            nama="KEPALA",
            peran="kepala",
            jabatan="Kepala Badan",
            email="bukan-alamat",
        )
        _d, masalah = periksa_kegiatan(s, {**PD, **LENGKAP, "kriteria": {"unit": ["U1", "X9"]}})
        assert [str(m).split(" (perbaiki")[0] for m in masalah] == [
            "kriteria.unit: unit kerja tidak dikenal: X9",
            "pejabat.kepala: pejabat aktif Kepala Badan belum punya alamat pos-el yang valid "
            "(kode verifikasi dikirim lewat pos-el)",
        ]
        # the first day's check (diklat up) finds the same official, and nothing else
        assert not [m for m in kekurangan_awal(s) if m.bagian != "pejabat.kepala"]


def test_a_letter_never_prints_an_empty_field(engine: Engine, tmp_path: Path) -> None:
    """The check at drafting too: a training whose place was emptied in the database is
    refused naming the document and the field, never drafted with "Tempat :"."""
    siap(engine)
    with session_scope(engine) as s:
        k = simpan_kegiatan(s, {**PK, **LENGKAP})
        k.tempat = None
    with (
        session_scope(engine) as s,
        pytest.raises(IsiTidakLengkap, match="surat_permohonan_narasumber: kegiatan.tempat"),
    ):
        isi_bundel(
            sumber(s, engine, kegiatan_by_kode(s, PK["kode"])), "surat_permohonan_narasumber"
        )


# --------------------------------------------------------------------------- ubah, batal


class Outbox:
    def __init__(self) -> None:
        self.sent: list[Surat] = []

    def __call__(self, s: Surat) -> None:
        self.sent.append(s)

    def code(self) -> str:
        m = re.search(r"^Kode: (\d{6})$", self.sent[-1].isi, flags=re.M)
        assert m
        return m.group(1)


def _pd(engine: Engine) -> None:
    siap(engine)
    mulai = today() + dt.timedelta(days=21)
    with session_scope(engine) as s:
        k = simpan_kegiatan(
            s,
            {
                **PD,
                **LENGKAP,
                "mulai": mulai,
                "selesai": mulai + dt.timedelta(days=4),
                "kriteria": {"unit": ["U1"]},
            },
            oleh_nip=OFFICIALS["analis_sdm"],
        )
        from diklat.kegiatan.data import tetapkan_peserta

        tetapkan_peserta(s, k, s.execute(select(Pegawai.id)).scalars().all())


def _request(engine: Engine, tmp: Path, out: Outbox) -> int:
    h = versi.buat_draf(engine, PD["kode"], "surat_tugas", tmp)
    with session_scope(engine) as s:
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        level = tingkat_berikut(s, b)
        assert level is not None
        p = buka(s, b, level, flow_run_id="run-1")
        kirim_kode(s, p, out, ui_url="http://ui/run-1")
        return p.id


def test_correction_before_anything_is_decided_audited(engine: Engine, tmp_path: Path) -> None:
    _pd(engine)
    out = Outbox()
    with session_scope(engine) as s:
        h = ubah_kegiatan(
            s, PD["kode"], {"tempat": "Semarang", "jp": 32}, oleh_nip=OFFICIALS["kabid_psda"]
        )
        assert h.perubahan == {"tempat": ["Aula BKPSDM", "Semarang"], "jp": [24, 32]}
        again = ubah_kegiatan(s, PD["kode"], {"tempat": "Semarang"})
        assert again.perubahan == {}  # the same value: nothing changed, no audit row
        with pytest.raises(KegiatanBelumSiap, match="kegiatan.penyelenggara"):
            ubah_kegiatan(s, PD["kode"], {"penyelenggara": ""})
        with pytest.raises(PerubahanDitolak, match="bukan pejabat atau pegawai"):
            ubah_kegiatan(s, PD["kode"], {"jp": 40}, oleh_nip="199912312020121001")
    pid = _request(engine, tmp_path, out)
    with session_scope(engine) as s:  # a draft waiting: still correctable, said so
        h = ubah_kegiatan(s, PD["kode"], {"nama": "Diklat Teknis Kearsipan"})
        assert h.draf_lama == ["surat_tugas"]
    with session_scope(engine) as s:
        assert putuskan(
            s, pid, nip=OFFICIALS["analis_sdm"], kode=out.code(), keputusan="setuju", catatan=""
        ).diterima
    with session_scope(engine) as s:
        with pytest.raises(PerubahanDitolak, match="surat_tugas sudah diputuskan"):
            ubah_kegiatan(s, PD["kode"], {"tempat": "Solo"})
        k = kegiatan_by_kode(s, PD["kode"])
        audit = [
            (a.aksi, a.oleh_nip, json.loads(a.perubahan_json or "null"))
            for a in s.execute(
                select(AuditKegiatan)
                .where(AuditKegiatan.kegiatan_id == k.id)
                .order_by(AuditKegiatan.id)
            ).scalars()
        ]
    assert audit == [
        ("buat", OFFICIALS["analis_sdm"], None),
        ("ubah", OFFICIALS["kabid_psda"], {"tempat": ["Aula BKPSDM", "Semarang"], "jp": [24, 32]}),
        ("ubah", None, {"nama": ["Diklat Teknis Arsiparis", "Diklat Teknis Kearsipan"]}),
    ]
    # a run started with the old parameters continues the corrected training
    with session_scope(engine) as s:
        assert (
            simpan_kegiatan(
                s,
                {
                    **PD,
                    **LENGKAP,
                    "mulai": k.tanggal_mulai,
                    "selesai": k.tanggal_selesai,
                    "kriteria": {"unit": ["U1"]},
                },
            ).id
            == k.id
        )


def test_cancel_closes_ledger_requests_and_codes(engine: Engine, tmp_path: Path) -> None:
    _pd(engine)
    out = Outbox()
    pid = _request(engine, tmp_path, out)
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, PD["kode"])
        ledger.selesai(s, k, 1)
        ledger.tunggu(s, k, 13, flow_run_id="run-1")
    with session_scope(engine) as s:
        with pytest.raises(PerubahanDitolak, match="--alasan"):
            batalkan_kegiatan(s, PD["kode"], " ")
        h = batalkan_kegiatan(s, PD["kode"], "anggaran  dialihkan", oleh_nip=OFFICIALS["kepala"])
        assert (h.langkah_ditutup, h.permintaan_dibatalkan) == ([13], 1)
        assert h.flow_run_ids == ["run-1"] and h.nama_run == ["pd-PD-2026-010", "pk-PD-2026-010"]
    with session_scope(engine) as s:
        again = batalkan_kegiatan(s, PD["kode"], "lagi")
        assert again.sudah and again.alasan == "anggaran dialihkan"
        k = kegiatan_by_kode(s, PD["kode"])
        assert (k.status, k.catatan) == ("dibatalkan", "anggaran dialihkan")
        rows = {
            r.step_no: r
            for r in s.execute(select(SopStepLog).where(SopStepLog.kegiatan_id == k.id)).scalars()
        }
        assert rows[1].status == "selesai" and rows[13].status == "gagal"
        assert rows[13].note == "kegiatan dibatalkan: anggaran dialihkan"
        p = s.get(Permintaan, pid)
        assert p is not None and p.status == "dibatalkan"
        # the code e-mailed for it is worthless now
        assert not putuskan(
            s, pid, nip=OFFICIALS["analis_sdm"], kode=out.code(), keputusan="setuju", catatan=""
        ).diterima
        audit = (
            s.execute(
                select(AuditKegiatan).where(
                    AuditKegiatan.kegiatan_id == k.id, AuditKegiatan.aksi == "batal"
                )
            )
            .scalars()
            .all()
        )
        assert len(audit) == 1 and audit[0].alasan == "anggaran dialihkan"
        assert audit[0].oleh_nip == OFFICIALS["kepala"]
        assert posisi_kegiatan(s, PD["kode"])["status"] == "dibatalkan"
        with pytest.raises(PerubahanDitolak, match="dibatalkan"):
            ubah_kegiatan(s, PD["kode"], {"tempat": "Solo"})
        with pytest.raises(KegiatanDitolak, match="sudah dibatalkan"):  # a restarted run
            simpan_kegiatan(
                s,
                {
                    **PD,
                    **LENGKAP,
                    "mulai": k.tanggal_mulai,
                    "selesai": k.tanggal_selesai,
                    "kriteria": {"unit": ["U1"]},
                },
            )


# --------------------------------------------------------------------------- CLI


def _cli(args: list[str], cwd: Path, **extra: str) -> Hasil:
    return diklat(cwd, *args, env={"DIKLAT_VAR_DIR": str(cwd / "var"), **extra})


BUAT = [
    "kegiatan",
    "buat",
    "--kode",
    "PD-2026-011",
    "--sop",
    "pengiriman-peserta",
    "--nama",
    "Diklat Teknis",
    "--mulai",
    "2026-12-14",
    "--selesai",
    "2026-12-18",
    "--kondisi",
    "kewenangan_sekda",
]


def test_cli_lists_every_missing_piece_with_its_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'diklat.db'}"
    migrate(url)
    r = _cli([*BUAT, "--jp", "0"], tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = [x.strip() for x in r.stderr.splitlines() if x.strip()]
    assert "tidak ada yang dibuat" in lines[0] and lines[0].endswith("11 masalah")
    body = "\n".join(lines[1:])
    for expected in (
        "jp: harus paling sedikit 1",
        "pegawai:",
        "unit_kerja:",
        "kegiatan.tempat:",
        "kegiatan.penyelenggara:",
        "kegiatan.kriteria.unit:",
        "pejabat.kepala:",
        "pejabat.kabid_psda:",
        "pejabat.analis_sdm:",
        "pejabat.sekda:",
        "pejabat.pengolah_data:",
        "diklat pejabat tambah --peran sekda",
        "diklat sync",
    ):
        assert expected in body, expected
    assert len(lines) == 12
    assert json.loads(_cli(["kegiatan", "list", "--json"], tmp_path).stdout) == []

    siap(get_engine(url))
    ok = [*BUAT, "--tempat", "Semarang", "--jp", "40", "--penyelenggara", "BPSDMD", "--unit", "U1"]
    r = _cli(ok, tmp_path)
    assert r.returncode == 0, r.stderr
    r = _cli(["kegiatan", "ubah", "PD-2026-011", "--tempat", "Solo", "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["perubahan"] == {"tempat": ["Semarang", "Solo"]}
    r = _cli(["kegiatan", "ubah", "PD-2026-011", "--sop", "peningkatan-kapasitas"], tmp_path)
    assert r.returncode == 2 and "lembaga_narasumber" in r.stderr  # the new path's needs
    r = _cli(["kegiatan", "riwayat", "PD-2026-011", "--json"], tmp_path)
    assert [x["aksi"] for x in json.loads(r.stdout)] == ["buat", "ubah"]


def test_cli_cancel_cancels_the_trainings_prefect_runs(tmp_path: Path, prefect_api: str) -> None:
    """`kegiatan batal` exits 0, `kegiatan show` says dibatalkan, and the training's waiting
    Prefect runs (the one its row names, the one named pd-<KODE>) are Cancelled through
    Prefect's API; a finished run is left alone."""
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.states import Completed, Paused, Scheduled

    from tests.prefect_support import using_prefect_api

    url = f"sqlite:///{tmp_path / 'var' / 'diklat.db'}"
    migrate(url)
    eng = get_engine(url)
    siap(eng)

    @flow(name="sop-pengiriman-peserta")
    def dummy() -> None:  # pragma: no cover - never run, only its runs are made
        pass

    with using_prefect_api(prefect_api), get_client(sync_client=True) as c:
        paused = c.create_flow_run(dummy, name="pd-PD-2026-012-lama", state=Paused(reschedule=True))
        named = c.create_flow_run(
            dummy,
            name="pd-PD-2026-012",
            state=Scheduled(scheduled_time=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)),
        )
        done = c.create_flow_run(dummy, name="pd-PD-2026-012", state=Completed())
    r = _cli(
        [
            *BUAT[:3],
            "PD-2026-012",
            *BUAT[4:],
            "--tempat",
            "Semarang",
            "--jp",
            "40",
            "--penyelenggara",
            "BPSDMD",
            "--unit",
            "U1",
        ],
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    with session_scope(eng) as s:
        k = kegiatan_by_kode(s, "PD-2026-012")
        k.flow_run_id = str(paused.id)
        ledger.tunggu(s, k, 1, flow_run_id=str(paused.id))
    r = _cli(
        [
            "kegiatan",
            "batal",
            "PD-2026-012",
            "--alasan",
            "penyelenggara membatalkan",
            "--oleh",
            OFFICIALS["kabid_psda"],
            "--json",
        ],
        tmp_path,
        PREFECT_API_URL=prefect_api,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["langkah_ditutup"] == [1]
    assert sorted(out["run_prefect"]["dibatalkan"]) == ["pd-PD-2026-012", "pd-PD-2026-012-lama"]
    with using_prefect_api(prefect_api), get_client(sync_client=True) as c:
        states = [c.read_flow_run(x.id).state for x in (paused, named, done)]
    assert [st.type.value if st else None for st in states] == [
        "CANCELLED",
        "CANCELLED",
        "COMPLETED",
    ]
    assert states[1] is not None and "penyelenggara membatalkan" in (states[1].message or "")
    r = _cli(["kegiatan", "show", "PD-2026-012"], tmp_path)
    # the status, then why and by whom, as the record keeps it
    assert r.returncode == 0 and ": dibatalkan;" in r.stdout
    assert "dibatalkan oleh PEJABAT KABID_PSDA: penyelenggara membatalkan" in r.stdout
    shown = json.loads(_cli(["kegiatan", "show", "PD-2026-012", "--json"], tmp_path).stdout)
    assert (shown["status"], shown["alasan"]) == (
        "dibatalkan",
        "dibatalkan oleh PEJABAT KABID_PSDA: penyelenggara membatalkan",
    )
    # without a reachable server: the training is cancelled anyway, and the line says so
    r = _cli(
        ["kegiatan", "batal", "PD-2026-012", "--alasan", "x y z"],
        tmp_path,
        PREFECT_API_URL="http://127.0.0.1:9/api",
    )
    assert r.returncode == 0 and "sudah dibatalkan" in r.stdout
    assert "tidak terjangkau" in r.stdout
    r = _cli(["kegiatan", "batal", "NOPE", "--alasan", "x y z"], tmp_path)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1


def test_checked_again_when_started(engine: Engine) -> None:
    """Created on Monday, started from the form on Friday: what went missing in between
    (the head deactivated) is found before the run does anything."""
    siap(engine)
    data = {**PK, **LENGKAP}
    with session_scope(engine) as s:
        simpan_kegiatan(s, data)
        for p in s.execute(select(Pejabat).where(Pejabat.peran == "kepala")).scalars():
            p.aktif = False
    with session_scope(engine) as s, pytest.raises(KegiatanBelumSiap, match="pejabat.kepala"):
        simpan_kegiatan(s, data)
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, PK["kode"])
        ledger.selesai(s, k, 1)  # once its path started, a resumed run continues it
    with session_scope(engine) as s:
        assert simpan_kegiatan(s, data).kode == PK["kode"]
