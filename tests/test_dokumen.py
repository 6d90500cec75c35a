"""A training's letters from the database: drafts once, numbers once, finals once."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from diklat import dokumen
from diklat.db import session_scope
from diklat.kegiatan import daftar_calon, ensure_kegiatan, peserta_frame, tetapkan_peserta
from diklat.models import AuditPersetujuan, Naskah, RegisterEntry
from diklat.naskah import docx_text
from diklat.persiapan import ensure_pejabat
from diklat.personnel import PersonnelWriter

PEGAWAI = [
    ("198501012010012001", "Siti Aminah", "U1", "III/a"),
    ("199002022015031002", "Budi Santoso", "U1", "III/b"),
    ("198803032012041003", "Andi Pratama", "U2", "III/c"),
    ("197904042005022004", "Dewi Lestari", "U2", "IV/a"),  # not group III: not a candidate
]


@pytest.fixture
def data(engine: Engine) -> Engine:
    w = PersonnelWriter(engine, None, sumber="simpeg")
    w.upsert_units([{"kode": "U1", "nama": "Dinas Pendidikan", "email": "diknas@example.go.id"},
                    {"kode": "U2", "nama": "Dinas Kesehatan", "email": "dinkes@example.go.id"}])
    w.write([{"nip": n, "nama": nama, "unit_kode": u, "golongan": g, "pangkat": "Penata",
              "jabatan": "Analis", "gelar_belakang": "S.E.", "nomor_hp": "0812000"}
             for n, nama, u, g in PEGAWAI])
    with session_scope(engine) as s:
        ensure_pejabat(s, nip="197209131998031001", nama="Dr. SUTRISNO, M.Si.", peran="kepala",
                       jabatan="Kepala Badan", pangkat="Pembina Utama Muda (IV/c)")
        ensure_pejabat(s, nip="198005122005022003", nama="RINA WULANDARI, S.E.",
                       peran="kabid_psda", jabatan="Kepala Bidang PSDA", pangkat="Pembina (IV/a)")
        k = ensure_kegiatan(s, "PK-T-1", sop_code="peningkatan-kapasitas",
                            nama="Pelatihan Uji", tempat="Aula", jumlah_jp=24,
                            tanggal_mulai=dt.date(2026, 12, 1),
                            tanggal_selesai=dt.date(2026, 12, 3))
        calon = daftar_calon(engine, 10, golongan_awalan=["III"])
        assert sorted(calon["nip"]) == sorted(p[0] for p in PEGAWAI[:3])
        tetapkan_peserta(s, k, [int(x) for x in calon["id"]])
        tetapkan_peserta(s, k, [int(x) for x in calon["id"]])  # idempotent
    return engine


def test_drafts_numbers_and_finals_are_made_once(data: Engine, tmp_path: Path) -> None:
    engine = data
    with session_scope(engine) as s:
        k = ensure_kegiatan(s, "PK-T-1")
        kid = k.id
    df = peserta_frame(engine, kid)
    assert list(df["nomor_urut"]) == [1, 2, 3]
    assert "nomor_hp" not in df.columns

    jenis = ["surat_pemberitahuan", "surat_panggilan", "daftar_hadir", "sertifikat"]
    first = dokumen.siapkan_draf(engine, "PK-T-1", jenis, tmp_path)
    assert first == {"surat_pemberitahuan": 2, "surat_panggilan": 3, "daftar_hadir": 1,
                     "sertifikat": 3}
    assert dokumen.siapkan_draf(engine, "PK-T-1", jenis, tmp_path) == dict.fromkeys(jenis, 0)

    # Nothing is numbered before it is signed.
    assert dokumen.terbitkan(engine, "PK-T-1", tmp_path, pdf=False)["diberi_nomor"] == 0
    with session_scope(engine) as s:
        drafts = s.execute(select(Naskah).where(Naskah.kegiatan_id == kid)).scalars().all()
        assert all(n.status == "draf" and n.sha256 and n.nomor is None for n in drafts)
        draft_text = docx_text(Path(drafts[0].file_docx or ""))
        assert "/BKPSDM/" in draft_text and "/001/" not in draft_text  # blank sequence
        for n in drafts:
            assert dokumen.tandai_ditandatangani(s, n, nip="197209131998031001", alasan="uji")
        assert not dokumen.tandai_ditandatangani(s, drafts[0], nip="x", alasan="lagi")
        assert s.scalar(select(func.count()).select_from(AuditPersetujuan)) == len(drafts)

    out = dokumen.terbitkan(engine, "PK-T-1", tmp_path, pdf=False)
    assert out == {"diberi_nomor": 8, "final": 9, "pdf": 0}  # daftar hadir: final, no number
    again = dokumen.terbitkan(engine, "PK-T-1", tmp_path, pdf=False)
    assert again == {"diberi_nomor": 0, "final": 0, "pdf": 0}

    with session_scope(engine) as s:
        entries = s.execute(select(RegisterEntry).order_by(RegisterEntry.unit,
                                                           RegisterEntry.urut)).scalars().all()
        letters = [e for e in entries if e.unit == "BKPSDM"]
        sttp = [e for e in entries if e.unit == "BKPSDM-STTP"]
        assert [e.urut for e in letters] == [1, 2, 3, 4, 5]
        assert [e.urut for e in sttp] == [1, 2, 3]
        hadir = s.execute(select(Naskah).where(Naskah.jenis == "daftar_hadir")).scalar_one()
        assert hadir.nomor is None and "/final/" in (hadir.file_docx or "")
        panggilan = s.execute(select(Naskah).where(Naskah.jenis == "surat_panggilan")
                              .order_by(Naskah.kunci)).scalars().first()
        assert panggilan is not None and panggilan.status == "terdaftar"
        text = docx_text(Path(panggilan.file_docx or ""))
    assert panggilan.nomor in text
    assert "Kepala Badan" in text and "RINA WULANDARI" in text and "0812000" not in text


def test_pdfs_missing_after_a_stop_are_made_by_the_next_run(data: Engine, tmp_path: Path) -> None:
    from connectors import pdf as pdf_connector

    if not pdf_connector.available():
        if os.environ.get("DIKLAT_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice required (DIKLAT_REQUIRE_LIBREOFFICE=1)")
        pytest.skip("LibreOffice (soffice) not installed")
    engine = data
    dokumen.siapkan_draf(engine, "PK-T-1", ["surat_panggilan"], tmp_path)
    with session_scope(engine) as s:
        for n in s.execute(select(Naskah)).scalars():
            dokumen.tandai_ditandatangani(s, n, nip="197209131998031001", alasan="uji")
    # A run that rendered the finals but stopped before converting them (pdf=False here).
    assert dokumen.terbitkan(engine, "PK-T-1", tmp_path, pdf=False)["final"] == 3
    out = dokumen.terbitkan(engine, "PK-T-1", tmp_path, pdf=True)
    assert out == {"diberi_nomor": 0, "final": 0, "pdf": 3}
    with session_scope(engine) as s:
        pdfs = [n.file_pdf for n in s.execute(select(Naskah)).scalars()]
    assert all(p and Path(p).read_bytes().startswith(b"%PDF") for p in pdfs)
