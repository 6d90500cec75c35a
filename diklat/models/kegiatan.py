"""Trainings (kegiatan), their participants (peserta) and the SOP ledger (sop_step_log)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diklat.models.base import Base, Timestamps, UTCDateTime, utcnow

#: A participant's path through a training.
STATUS_PESERTA = (
    "calon",  # candidate from planning
    "diusulkan",  # proposed by the agency (OPD)
    "terverifikasi",  # checked against SIMPEG/SIASN
    "ditolak",  # not eligible (reason in catatan)
    "terdaftar",  # registered / summoned
    "hadir",
    "lulus",
    "tidak_lulus",
    "batal",
)

#: A training's own status (what `diklat kegiatan show` prints first).
STATUS_KEGIATAN = (
    "direncanakan",  # created, no step started
    "berjalan",  # at least one SOP step started
    "selesai",  # the last step of its path finished
    "ditolak",  # a letter of its path was refused (tolak): the path stops until restarted
    "dibatalkan",  # cancelled by an operator (diklat kegiatan batal)
)


class Kegiatan(Timestamps, Base):
    """One training run under one SOP. ``kode`` is the natural key operators type."""

    __tablename__ = "kegiatan"

    id: Mapped[int] = mapped_column(primary_key=True)
    kode: Mapped[str] = mapped_column(String(60), unique=True)
    sop: Mapped[str] = mapped_column(String(60))  # Sop.code: peningkatan-kapasitas, ...
    nama: Mapped[str] = mapped_column(String(300))
    jenis_diklat_id: Mapped[str | None] = mapped_column(String(4))  # SIASN jenisDiklatId
    penyelenggara: Mapped[str | None] = mapped_column(String(300))
    tempat: Mapped[str | None] = mapped_column(String(300))
    tanggal_mulai: Mapped[dt.date | None] = mapped_column(Date)
    tanggal_selesai: Mapped[dt.date | None] = mapped_column(Date)
    jumlah_jp: Mapped[int | None] = mapped_column(Integer)
    kuota: Mapped[int | None] = mapped_column(Integer)
    dpa_ref: Mapped[str | None] = mapped_column(String(120))  # budget line it is planned from
    #: JSON list of condition codes (``Sop.kondisi`` keys) that hold for this training.
    kondisi_json: Mapped[str] = mapped_column(Text, default="[]")
    #: JSON object of candidate criteria (``diklat.kegiatan.data.Kriteria``).
    kriteria_json: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30), default="direncanakan")
    #: Why the training stands where it stands (who refused which letter, why it was
    #: cancelled), and since when.
    status_alasan: Mapped[str | None] = mapped_column(Text)
    status_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    catatan: Mapped[str | None] = mapped_column(Text)

    peserta: Mapped[list[Peserta]] = relationship(back_populates="kegiatan")

    @property
    def kondisi(self) -> list[str]:
        return list(json.loads(self.kondisi_json or "[]"))

    @property
    def kriteria(self) -> dict[str, Any]:
        return dict(json.loads(self.kriteria_json)) if self.kriteria_json else {}

    def __repr__(self) -> str:
        return f"Kegiatan({self.kode!r})"


class Peserta(Timestamps, Base):
    __tablename__ = "peserta"
    __table_args__ = (UniqueConstraint("kegiatan_id", "pegawai_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kegiatan_id: Mapped[int] = mapped_column(ForeignKey("kegiatan.id", ondelete="CASCADE"))
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="calon")
    nomor_urut: Mapped[int | None] = mapped_column(Integer)
    nilai: Mapped[float | None] = mapped_column(Float)  # final score (0-100) when assessed
    predikat: Mapped[str | None] = mapped_column(String(40))  # printed on the certificate
    nomor_sertifikat: Mapped[str | None] = mapped_column(String(120))
    siasn_riwayat_id: Mapped[str | None] = mapped_column(String(64))  # after write-back
    siasn_dok_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # certificate up
    siasn_catatan: Mapped[str | None] = mapped_column(Text)  # why the write-back is pending
    #: The write-back's state (``STATUS_SIASN``); None before the first attempt.
    siasn_status: Mapped[str | None] = mapped_column(String(20))
    siasn_percobaan: Mapped[int] = mapped_column(Integer, default=0)  # failed attempts
    status_at: Mapped[dt.datetime | None] = mapped_column()
    catatan: Mapped[str | None] = mapped_column(Text)
    #: SIASN's answer at verification (``HASIL_VERIFIKASI``); None before the check.
    verifikasi: Mapped[str | None] = mapped_column(String(20))
    #: Why: ``ALASAN_VERIFIKASI`` code (tidak_aktif, tidak_ditemukan, golongan, jabatan,
    #: nip_tidak_valid; gagal / tidak_terbaca when not checked).
    verifikasi_alasan: Mapped[str | None] = mapped_column(String(40))
    verifikasi_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    kegiatan: Mapped[Kegiatan] = relationship(back_populates="peserta")


#: What SIASN answered for one candidate (``diklat.kegiatan.verifikasi`` owns the transitions).
HASIL_VERIFIKASI = (
    "terverifikasi",  # SIASN knows him, active, within the training's criteria
    "tidak_memenuhi",  # SIASN answered: not eligible (the reason in verifikasi_alasan)
    "belum_diperiksa",  # SIASN failed or could not be reached: never counted as verified
)


class AuditKegiatan(Base):
    """Every change to a training made by a person: created, corrected (``ubah``: the fields
    before and after), cancelled (``batal``: the reason and what was closed)."""

    __tablename__ = "audit_kegiatan"

    id: Mapped[int] = mapped_column(primary_key=True)
    kegiatan_id: Mapped[int] = mapped_column(
        ForeignKey("kegiatan.id", ondelete="CASCADE"), index=True
    )
    aksi: Mapped[str] = mapped_column(String(20))  # buat / ubah / batal
    oleh_nip: Mapped[str | None] = mapped_column(String(18))
    alasan: Mapped[str | None] = mapped_column(Text)
    #: JSON: ``{field: [before, after]}`` for ``ubah``; counts of what was closed for ``batal``.
    perubahan_json: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


#: States of one participant's SIASN write-back (``diklat.kegiatan.writeback`` owns the transitions).
STATUS_SIASN = (
    "tersimpan",  # the course record is in SIASN, its id stored; the certificate is not yet
    "selesai",  # record and certificate in SIASN
    "tanpa_berkas",  # record in SIASN; the certificate is an outside organiser's: upload by hand
    "gagal",  # the last attempt failed (the next run tries again); the note says why
    "tidak_dikenal",  # SIASN does not know the NIP: not retried until the operator resets it
)


#: States of one SOP step in one round (``diklat.kegiatan.ledger`` owns the transitions).
STATUS_LANGKAH = (
    "berjalan",  # started, work in progress
    "menunggu",  # waiting for a person (paraf, signature, an operator's input)
    "selesai",
    "dikembalikan",  # closed by a revision: the next round of the step repeats it
    "gagal",
)


class SopStepLog(Base):
    """The SOP ledger: one step of one training in one round (``putaran``), with its actual
    start and end against the standard time and the deadline in working time. A step whose
    approval has several levels (a paraf chain of Kabid, Sekretaris, Kepala) has one row per
    level (``tingkat``: the level's position in the letter's chain; 0 for a step without
    levels), each with its own start, deadline and actor."""

    __tablename__ = "sop_step_log"
    __table_args__ = (UniqueConstraint("kegiatan_id", "step_no", "tingkat", "putaran"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kegiatan_id: Mapped[int] = mapped_column(
        ForeignKey("kegiatan.id", ondelete="CASCADE"), index=True
    )
    step_no: Mapped[int] = mapped_column(Integer)
    tingkat: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    putaran: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="berjalan")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    actor: Mapped[str | None] = mapped_column(String(200))  # role code or who did it
    waktu_min_s: Mapped[int | None] = mapped_column(Integer)  # standard time, working seconds
    waktu_max_s: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    #: Operator inputs refused for this round (the suffix of the next wait's key).
    ditolak: Mapped[int] = mapped_column(Integer, default=0)
    #: Who did it: the person (NIP, and the name as recorded then), or ``None`` when the
    #: system itself did the step (``actor`` then says ``sistem``).
    oleh_nip: Mapped[str | None] = mapped_column(String(18))
    oleh_nama: Mapped[str | None] = mapped_column(String(200))
    #: Evidence an operator attached (JSON list of archived files: name, SHA-256).
    bukti_json: Mapped[str | None] = mapped_column(Text)
    #: Deadline follow-up: the actor reminded once past the deadline, the superior told at
    #: twice the standard working time.
    pengingat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    eskalasi_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Usulan(Base):
    """A candidate an agency proposed for a training (SOP 002 row 8, the replies of SOP 000
    row 12), from its incoming letter."""

    __tablename__ = "usulan"
    __table_args__ = (UniqueConstraint("kegiatan_id", "pegawai_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kegiatan_id: Mapped[int] = mapped_column(
        ForeignKey("kegiatan.id", ondelete="CASCADE"), index=True
    )
    surat_masuk_id: Mapped[int] = mapped_column(ForeignKey("surat_masuk.id"), index=True)
    unit_kode: Mapped[str] = mapped_column(String(50))
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TautanUsulan(Base):
    """An agency's own link to propose its candidates (in the notice's e-mail): a random
    token, valid until the step's deadline; nothing but that training and that agency is
    visible through it."""

    __tablename__ = "tautan_usulan"
    __table_args__ = (UniqueConstraint("kegiatan_id", "unit_kode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kegiatan_id: Mapped[int] = mapped_column(
        ForeignKey("kegiatan.id", ondelete="CASCADE"), index=True
    )
    unit_kode: Mapped[str] = mapped_column(String(50))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    berlaku_sampai: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    dipakai_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
