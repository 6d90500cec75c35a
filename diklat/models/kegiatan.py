"""Trainings (kegiatan) and their participants (peserta)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diklat.models.base import Base, Timestamps

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


class Kegiatan(Timestamps, Base):
    """One training run under one SOP. ``kode`` is the natural key operators type."""

    __tablename__ = "kegiatan"

    id: Mapped[int] = mapped_column(primary_key=True)
    kode: Mapped[str] = mapped_column(String(60), unique=True)
    sop_code: Mapped[str] = mapped_column(String(60))  # peningkatan-kapasitas / pengiriman-peserta
    nama: Mapped[str] = mapped_column(String(300))
    jenis_diklat_id: Mapped[str | None] = mapped_column(String(4))  # SIASN jenisDiklatId
    penyelenggara: Mapped[str | None] = mapped_column(String(300))
    tempat: Mapped[str | None] = mapped_column(String(300))
    tanggal_mulai: Mapped[dt.date | None] = mapped_column(Date)
    tanggal_selesai: Mapped[dt.date | None] = mapped_column(Date)
    jumlah_jp: Mapped[int | None] = mapped_column(Integer)
    kuota: Mapped[int | None] = mapped_column(Integer)
    dpa_ref: Mapped[str | None] = mapped_column(String(120))  # budget line it is planned from
    status: Mapped[str] = mapped_column(String(30), default="direncanakan")
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    catatan: Mapped[str | None] = mapped_column(Text)

    peserta: Mapped[list[Peserta]] = relationship(back_populates="kegiatan")

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
    nomor_sertifikat: Mapped[str | None] = mapped_column(String(120))
    siasn_riwayat_id: Mapped[str | None] = mapped_column(String(64))  # after write-back
    status_at: Mapped[dt.datetime | None] = mapped_column()
    catatan: Mapped[str | None] = mapped_column(Text)

    kegiatan: Mapped[Kegiatan] = relationship(back_populates="peserta")
