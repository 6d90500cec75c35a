"""Employees (pegawai), their units (unit kerja / OPD) and their training history.

Personal data: NIK, NPWP, BPJS numbers and home addresses are not stored at all (the product
has no use for them). Phone and e-mail are kept because distribution needs them; they never
reach a log (see ``Pegawai.__repr__``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diklat.models.base import Base, Timestamps


class UnitKerja(Timestamps, Base):
    """An organisational unit (OPD / unor). ``kode`` is the source system's id."""

    __tablename__ = "unit_kerja"

    id: Mapped[int] = mapped_column(primary_key=True)
    kode: Mapped[str] = mapped_column(String(64), unique=True)
    nama: Mapped[str] = mapped_column(String(300))
    singkatan: Mapped[str | None] = mapped_column(String(50))
    induk_kode: Mapped[str | None] = mapped_column(String(64))  # parent unit (DiatasanId)
    email: Mapped[str | None] = mapped_column(String(200))  # official address for letters
    alamat: Mapped[str | None] = mapped_column(String(300))
    #: The town the unit is in, as its source gives it (SIMPEG's ``kota``): the "di" line of
    #: a letter to it (``di Loa Kulu``).
    tempat: Mapped[str | None] = mapped_column(String(100))
    #: The town set by an operator (``diklat unit tempat``): wins over the source's, and no
    #: sync overwrites it.
    tempat_operator: Mapped[str | None] = mapped_column(String(100))
    sumber: Mapped[str] = mapped_column(String(20), default="simpeg")
    aktif: Mapped[bool] = mapped_column(Boolean, default=True)

    pegawai: Mapped[list[Pegawai]] = relationship(back_populates="unit")

    def __repr__(self) -> str:
        return f"UnitKerja({self.kode!r}, {self.nama!r})"


class SiasnUnor(Timestamps, Base):
    """One unit of SIASN's ``ref-unor`` (its id is a GUID) and the region's unit it is
    (``unit_kode``), matched by ``diklat.pegawai.unor``; ``unit_kode`` empty = not matched yet, the
    operator decides (``diklat siasn unor``)."""

    __tablename__ = "siasn_unor"

    id_siasn: Mapped[str] = mapped_column(String(64), primary_key=True)
    nama: Mapped[str] = mapped_column(String(300))
    cepat_kode: Mapped[str | None] = mapped_column(String(64))
    diatasan_id: Mapped[str | None] = mapped_column(String(64))  # the parent unit's GUID
    unit_kode: Mapped[str | None] = mapped_column(String(64))
    #: How it was matched: "kode" (the GUID is our code), "cepat_kode", "nama", "manual".
    cara: Mapped[str | None] = mapped_column(String(20))
    catatan: Mapped[str | None] = mapped_column(Text)  # why it is not matched

    def __repr__(self) -> str:
        return f"SiasnUnor({self.id_siasn!r} -> {self.unit_kode!r})"


class Pegawai(Timestamps, Base):
    """An employee (ASN). The NIP is always a string of 18 digits, validated on the way in."""

    __tablename__ = "pegawai"

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), unique=True)
    nip_lama: Mapped[str | None] = mapped_column(String(20))
    pns_orang_id: Mapped[str | None] = mapped_column(String(64), index=True)  # SIASN person id
    nama: Mapped[str] = mapped_column(String(200))
    gelar_depan: Mapped[str | None] = mapped_column(String(60))
    gelar_belakang: Mapped[str | None] = mapped_column(String(100))
    jenis_kelamin: Mapped[str | None] = mapped_column(String(1))  # "L" / "P"
    tempat_lahir: Mapped[str | None] = mapped_column(String(100))
    tanggal_lahir: Mapped[dt.date | None] = mapped_column(Date)
    jenis_pegawai: Mapped[str | None] = mapped_column(String(10))  # "PNS" / "PPPK"
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit_kerja.id"), index=True)
    jabatan: Mapped[str | None] = mapped_column(String(300))
    jenis_jabatan: Mapped[str | None] = mapped_column(String(40))
    eselon: Mapped[str | None] = mapped_column(String(10))
    golongan: Mapped[str | None] = mapped_column(String(10))  # "III/a"
    pangkat: Mapped[str | None] = mapped_column(String(60))  # "Penata Muda"
    pendidikan_tingkat: Mapped[str | None] = mapped_column(String(40))
    pendidikan: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str | None] = mapped_column(String(40))  # kedudukan hukum: Aktif, Pensiun ...
    tmt_cpns: Mapped[dt.date | None] = mapped_column(Date)
    tmt_pensiun: Mapped[dt.date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(200))  # personal data: never logged
    nomor_hp: Mapped[str | None] = mapped_column(String(30))  # personal data: never logged
    aktif: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    sumber: Mapped[str] = mapped_column(String(20), default="simpeg")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    #: Hash of the record as its source last sent it (``diklat.pegawai.personnel.source_hash``): an
    #: identical record is recognised unchanged without validating it again.
    sumber_hash: Mapped[str | None] = mapped_column(String(32))
    last_sync_id: Mapped[int | None] = mapped_column(Integer)

    unit: Mapped[UnitKerja | None] = relationship(back_populates="pegawai")
    riwayat: Mapped[list[RiwayatDiklat]] = relationship(back_populates="pegawai")

    @property
    def nama_lengkap(self) -> str:
        """Name with titles as printed in letters: ``Dr. Siti Aminah, S.E., M.Si.``."""
        name = self.nama
        if self.gelar_depan:
            name = f"{self.gelar_depan} {name}"
        if self.gelar_belakang:
            name = f"{name}, {self.gelar_belakang}"
        return name

    def __repr__(self) -> str:  # no contact data here: reprs end up in logs
        return f"Pegawai({self.nip!r}, {self.nama!r})"


class RiwayatDiklat(Timestamps, Base):
    """One completed training (a SIASN ``rw-kursus`` item or one of ours). JP per year = sum."""

    __tablename__ = "riwayat_diklat"
    __table_args__ = (UniqueConstraint("pegawai_id", "kunci"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"))
    kunci: Mapped[str] = mapped_column(String(100))  # natural key: SIASN id or our kegiatan id
    siasn_id: Mapped[str | None] = mapped_column(String(64))
    kegiatan_id: Mapped[int | None] = mapped_column(ForeignKey("kegiatan.id"))
    nama_kursus: Mapped[str] = mapped_column(String(300))
    jenis_diklat_id: Mapped[str | None] = mapped_column(String(4))
    institusi: Mapped[str | None] = mapped_column(String(300))
    jumlah_jp: Mapped[int] = mapped_column(Integer, default=0)
    tahun: Mapped[int] = mapped_column(Integer, index=True)
    tanggal_mulai: Mapped[dt.date | None] = mapped_column(Date)
    tanggal_selesai: Mapped[dt.date | None] = mapped_column(Date)
    nomor_sertifikat: Mapped[str | None] = mapped_column(String(120))
    sumber: Mapped[str] = mapped_column(String(20), default="siasn")
    catatan: Mapped[str | None] = mapped_column(Text)

    pegawai: Mapped[Pegawai] = relationship(back_populates="riwayat")
