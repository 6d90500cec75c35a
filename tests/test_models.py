"""The data model on SQLite and PostgreSQL: migrations apply, every aggregate round-trips,
natural keys are enforced, and personal data stays out of reprs."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diklat.db import current_revision, migrate
from diklat.models import (
    Arsip,
    AuditPersetujuan,
    Base,
    Bundel,
    Distribusi,
    Karantina,
    Kegiatan,
    KodeVerifikasi,
    Naskah,
    NaskahBerkas,
    Pegawai,
    Pejabat,
    Persetujuan,
    Peserta,
    RegisterCounter,
    RegisterEntry,
    RiwayatDiklat,
    SopStepLog,
    SyncRun,
    SyncSeen,
    UnitKerja,
)

UTC = dt.UTC


def _pegawai(unit: UnitKerja, nip: str = "197209131998031001", **kw: object) -> Pegawai:
    data: dict[str, object] = dict(
        nip=nip,
        nama="Siti Aminah",
        gelar_depan="Dr.",
        gelar_belakang="S.E., M.Si.",
        jenis_kelamin="P",
        tanggal_lahir=dt.date(1972, 9, 13),
        jenis_pegawai="PNS",
        unit=unit,
        golongan="IV/a",
        pangkat="Pembina",
        email="siti@example.go.id",
        nomor_hp="081234567890",
    )
    data.update(kw)
    return Pegawai(**data)


def test_migrations_create_every_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert current_revision(engine.url.render_as_string(hide_password=False)) is not None
    migrate(engine.url.render_as_string(hide_password=False))  # idempotent


def test_full_training_round_trip(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        unit = UnitKerja(kode="U1", nama="Dinas Pendidikan", email="disdik@example.go.id")
        peg = _pegawai(unit)
        keg = Kegiatan(
            kode="PK-2026-01",
            sop="peningkatan-kapasitas",
            nama="Pelatihan Penulisan Naskah Dinas",
            tanggal_mulai=dt.date(2026, 11, 23),
            tanggal_selesai=dt.date(2026, 11, 25),
            jumlah_jp=24,
        )
        s.add_all([unit, peg, keg])
        s.flush()
        s.add(
            RiwayatDiklat(
                pegawai=peg, kunci="siasn-1", nama_kursus="Bimtek SIASN", jumlah_jp=8, tahun=2026
            )
        )
        s.add(Peserta(kegiatan=keg, pegawai_id=peg.id, status="terdaftar"))
        bun = Bundel(
            kegiatan_id=keg.id,
            jenis="surat_panggilan",
            versi=1,
            status="ditandatangani",
            manifest_sha256="c" * 64,
            jumlah=1,
        )
        s.add(bun)
        s.flush()
        nas = Naskah(
            kegiatan_id=keg.id,
            bundel_id=bun.id,
            jenis="surat_panggilan",
            kunci=peg.nip,
            versi=1,
            status="ditandatangani",
            sha256="a" * 64,
            klasifikasi="800.2.4.2",
            konteks_json="{}",
        )
        s.add(nas)
        s.flush()
        s.add(
            NaskahBerkas(
                naskah_id=nas.id, peran="draf_docx", path="x.docx", sha256="a" * 64, ukuran=10
            )
        )
        pej = Pejabat(
            nip="197805022005021003",
            nama="ARIANTO, S.Sos., M.Si",
            peran="kepala",
            jabatan="Kepala BKPSDM",
        )
        s.add(pej)
        s.flush()
        s.add(
            Persetujuan(
                bundel_id=bun.id,
                urutan=1,
                kind="tanda_tangan",
                peran="kepala",
                pejabat_id=pej.id,
                nip=pej.nip,
                nama=pej.nama,
                keputusan="setuju",
                naskah_sha256=bun.manifest_sha256 or "",
            )
        )
        s.add(AuditPersetujuan(naskah_id=nas.id, nip=pej.nip, peran="kepala", hasil="diterima"))
        s.add(
            KodeVerifikasi(
                pejabat_id=pej.id,
                naskah_id=nas.id,
                kode_hash="h" * 64,
                expires_at=dt.datetime(2026, 11, 23, 9, tzinfo=UTC),
            )
        )
        s.add(RegisterCounter(unit="BKPSDM", tahun=2026, last_urut=1))
        s.add(
            RegisterEntry(
                unit="BKPSDM",
                tahun=2026,
                urut=1,
                klasifikasi="800.2.4.2",
                nomor="800.2.4.2/001/BKPSDM/2026",
                naskah_id=nas.id,
                tanggal=dt.date(2026, 11, 23),
            )
        )
        s.add(Distribusi(naskah_id=nas.id, penerima="disdik@example.go.id", peran_penerima="opd"))
        s.add(
            Arsip(
                naskah_id=nas.id,
                kegiatan_id=keg.id,
                sha256="b" * 64,
                path="ab/cd",
                nama_file="surat.pdf",
                ukuran=1234,
                klasifikasi="800.2.4.2",
                retensi_tahun=5,
            )
        )
        s.add(
            SopStepLog(
                kegiatan_id=keg.id,
                step_no=20,
                putaran=1,
                status="selesai",
                actor="kepala",
                waktu_min_s=600,
                waktu_max_s=600,
                finished_at=dt.datetime(2026, 11, 23, 2, tzinfo=UTC),
            )
        )
        run = SyncRun(sumber="simpeg", mode="full", checkpoint=json.dumps({"after": "X"}))
        s.add(run)
        s.flush()
        s.add(SyncSeen(sync_run_id=run.id, nip=peg.nip))
        s.add(
            Karantina(
                sync_run_id=run.id,
                sumber="simpeg",
                kunci="123",
                baris=7,
                alasan="NIP tidak valid: harus 18 digit",
            )
        )

    with Session(engine) as s:
        peg = s.scalars(select(Pegawai)).one()
        assert peg.unit is not None and peg.unit.kode == "U1"
        assert peg.nama_lengkap == "Dr. Siti Aminah, S.E., M.Si."
        assert [r.jumlah_jp for r in peg.riwayat] == [8]
        keg = s.scalars(select(Kegiatan)).one()
        assert [p.status for p in keg.peserta] == ["terdaftar"]
        nas = s.scalars(select(Naskah)).one()
        assert nas.bundel is not None and [n.id for n in nas.bundel.naskah] == [nas.id]
        assert [b.peran for b in nas.berkas] == ["draf_docx"]
        assert s.scalars(select(Persetujuan.keputusan)).all() == ["setuju"]
        entry = s.scalars(select(RegisterEntry)).one()
        assert entry.naskah_id == nas.id and entry.status == "aktif"
        assert s.scalar(select(func.count()).select_from(Distribusi)) == 1
        assert s.scalar(select(func.count()).select_from(Arsip)) == 1
        assert s.scalar(select(func.count()).select_from(AuditPersetujuan)) == 1
        assert s.scalar(select(func.count()).select_from(KodeVerifikasi)) == 1
        log = s.scalars(select(SopStepLog)).one()
        assert log.started_at is not None and log.waktu_max_s == 600
        run = s.scalars(select(SyncRun)).one()
        assert run.status == "running" and json.loads(run.checkpoint or "{}") == {"after": "X"}
        assert run.counts()["sumber"] == "simpeg"
        assert s.scalar(select(func.count()).select_from(SyncSeen)) == 1
        assert s.scalars(select(Karantina)).one().baris == 7
        assert peg.created_at is not None  # server/client default timestamps


def test_duplicate_nip_rejected(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        unit = UnitKerja(kode="U1", nama="Dinas")
        s.add_all([unit, _pegawai(unit)])
    with pytest.raises(IntegrityError), Session(engine) as s, s.begin():
        unit2 = s.scalars(select(UnitKerja)).one()
        s.add(_pegawai(unit2, nama="Orang Lain"))


def test_duplicate_naskah_version_rejected(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        keg = Kegiatan(kode="K1", sop="pengiriman-peserta", nama="Diklat")
        s.add(keg)
        s.flush()
        s.add(Naskah(kegiatan_id=keg.id, jenis="surat_tugas", kunci="", versi=1))
        s.add(Naskah(kegiatan_id=keg.id, jenis="surat_tugas", kunci="", versi=2))  # a revision
    with pytest.raises(IntegrityError), Session(engine) as s, s.begin():
        keg_id = s.scalars(select(Kegiatan.id)).one()
        s.add(Naskah(kegiatan_id=keg_id, jenis="surat_tugas", kunci="", versi=1))


def test_register_number_unique(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        s.add(
            RegisterEntry(
                unit="BKPSDM",
                tahun=2026,
                urut=1,
                klasifikasi="800.2.4.2",
                nomor="800.2.4.2/001/BKPSDM/2026",
                tanggal=dt.date(2026, 11, 23),
            )
        )
    with pytest.raises(IntegrityError), Session(engine) as s, s.begin():
        s.add(
            RegisterEntry(
                unit="BKPSDM",
                tahun=2026,
                urut=1,
                klasifikasi="800.2.4.1",
                nomor="800.2.4.1/001/BKPSDM/2026",
                tanggal=dt.date(2026, 11, 23),
            )
        )


def test_repr_has_no_contact_data() -> None:
    unit = UnitKerja(kode="U1", nama="Dinas")
    peg = _pegawai(unit)
    text = repr(peg)
    assert peg.nip in text
    assert "siti@example.go.id" not in text and "081234567890" not in text
    assert Pegawai(nip="1", nama="Budi").nama_lengkap == "Budi"
    assert Pegawai(nip="1", nama="Budi", gelar_belakang="S.Kom.").nama_lengkap == "Budi, S.Kom."
