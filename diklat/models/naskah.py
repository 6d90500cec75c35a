"""Documents (naskah dinas), the outgoing-letter register, approvals, deliveries, archive.

A document version is identified by its natural key (kegiatan, jenis, kunci, versi): ``kunci``
tells apart the documents of one type in one training (``opd:<unit>`` for a notice per agency,
``peserta:<nip>`` for a summons per participant, empty for a single letter); the documents of
one type in one training form a bundle (``Bundel``) decided on together; a revision makes the
next ``versi`` of the bundle and its members. Statuses and their transitions are in
:mod:`diklat.naskah.status`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diklat.models.base import Base, Timestamps, UTCDateTime, utcnow


class Bundel(Timestamps, Base):
    """The documents of one type in one training, decided on together: the 60 summonses of a
    training are signed once, against the manifest hash over their members' hashes. A bundle
    of one member is a single letter. A revision makes the next ``versi`` of the bundle (and of
    every member); earlier versions stay as they were."""

    __tablename__ = "bundel"
    __table_args__ = (UniqueConstraint("kegiatan_id", "jenis", "versi"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kegiatan_id: Mapped[int] = mapped_column(ForeignKey("kegiatan.id"), index=True)
    jenis: Mapped[str] = mapped_column(String(60))
    versi: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="draf")  # diklat.naskah.status
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    jumlah: Mapped[int] = mapped_column(Integer, default=0)
    #: The approval chain fixed when the version was drafted (JSON list of levels:
    #: ``urutan``, ``kind``, ``peran``, ``langkah``), from the SOP catalogue.
    rantai_json: Mapped[str | None] = mapped_column(Text)
    penandatangan_id: Mapped[int | None] = mapped_column(ForeignKey("pejabat.id"))
    catatan: Mapped[str | None] = mapped_column(Text)  # the revision note this version answers
    alasan: Mapped[str | None] = mapped_column(Text)  # why it was returned / refused / voided
    #: NIP of the person who drafted it (may not initial or sign his own draft).
    dibuat_oleh: Mapped[str | None] = mapped_column(String(18))
    #: The level of the chain this version starts at: a version corrected by the person a
    #: level returned it to goes up again from that person's level (SOP 002 row 15 returns
    #: to the Kabid, whose paraf is the first of the next version), not from the bottom.
    mulai_urutan: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: What the decisions also cover besides the members' drafts: the template file and
    #: every setting that reaches the letter (both checked again at signing).
    template_sha256: Mapped[str | None] = mapped_column(String(64))
    pengaturan_sha256: Mapped[str | None] = mapped_column(String(64))
    #: A revision that names documents of the bundle (JSON list of member keys); ``None``:
    #: the whole bundle.
    kunci_revisi: Mapped[str | None] = mapped_column(Text)
    #: Who corrected the previous version into this one, when, and how (JSON: ``cara``
    #: data / unggah / tanpa_perubahan, the note, the documents changed).
    diperbaiki_oleh: Mapped[str | None] = mapped_column(String(18))
    diperbaiki_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    perbaikan_json: Mapped[str | None] = mapped_column(Text)

    naskah: Mapped[list[Naskah]] = relationship(back_populates="bundel", order_by="Naskah.kunci")

    def __repr__(self) -> str:
        return f"Bundel({self.id}, {self.jenis!r}, v{self.versi}, {self.status!r})"


class Naskah(Timestamps, Base):
    """One version of one document. Immutable once drafted: its render context is stored
    (``konteks_json``, hashed) and its final is rendered from that context plus number and
    date, never from live rows; its files are ``NaskahBerkas`` rows."""

    __tablename__ = "naskah"
    __table_args__ = (UniqueConstraint("kegiatan_id", "jenis", "kunci", "versi"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kegiatan_id: Mapped[int | None] = mapped_column(ForeignKey("kegiatan.id"), index=True)
    bundel_id: Mapped[int | None] = mapped_column(ForeignKey("bundel.id"), index=True)
    jenis: Mapped[str] = mapped_column(String(60))  # document type (template name)
    kunci: Mapped[str] = mapped_column(String(100), default="")  # member key in its bundle
    versi: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="draf")  # diklat.naskah.status
    hal: Mapped[str | None] = mapped_column(String(300))
    sifat: Mapped[str] = mapped_column(String(20), default="Biasa")
    klasifikasi: Mapped[str | None] = mapped_column(String(30))
    tujuan: Mapped[str | None] = mapped_column(String(300))  # addressee
    konteks_json: Mapped[str | None] = mapped_column(Text)  # the render context, as drafted
    konteks_sha256: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the draft DOCX decided on
    nomor: Mapped[str | None] = mapped_column(String(120), unique=True)
    tanggal: Mapped[dt.date | None] = mapped_column(Date)  # letter date once registered
    penandatangan_id: Mapped[int | None] = mapped_column(ForeignKey("pejabat.id"))
    penandatangan_nip: Mapped[str | None] = mapped_column(String(18))
    #: Random, unguessable: the QR on the signed letter points to /v/<token>.
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: The number and date lines as the draft prints them (the sequence and the day left
    #: blank): the final is the approved draft with exactly these replaced.
    draf_nomor: Mapped[str | None] = mapped_column(String(120))
    draf_tanggal: Mapped[str | None] = mapped_column(String(60))
    #: Where the draft came from: ``templat`` (rendered from the stored context), ``unggahan``
    #: (a corrected draft uploaded from Word), ``salinan`` (unchanged from the version before).
    asal: Mapped[str] = mapped_column(String(20), default="templat", server_default="templat")
    #: When the records officer registered the letter by hand in SRIKANDI (and SRIKANDI's own
    #: agenda number, if they noted it): ``diklat srikandi catat``.
    srikandi_didaftarkan: Mapped[dt.date | None] = mapped_column(Date)
    srikandi_nomor: Mapped[str | None] = mapped_column(String(100))

    bundel: Mapped[Bundel | None] = relationship(back_populates="naskah")
    berkas: Mapped[list[NaskahBerkas]] = relationship(back_populates="naskah")

    def __repr__(self) -> str:
        return f"Naskah({self.id}, {self.jenis!r}, v{self.versi}, {self.status!r})"


#: The files of one version, by role. Each is written once and never overwritten.
PERAN_BERKAS = ("draf_docx", "draf_pdf", "final_docx", "final_pdf", "ttd_pdf")


class NaskahBerkas(Base):
    """One file of one document version (draft DOCX, draft PDF, final DOCX, final PDF, the
    signed PDF), with its SHA-256."""

    __tablename__ = "naskah_berkas"
    __table_args__ = (UniqueConstraint("naskah_id", "peran"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    naskah_id: Mapped[int] = mapped_column(ForeignKey("naskah.id"), index=True)
    peran: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    ukuran: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    naskah: Mapped[Naskah] = relationship(back_populates="berkas")


class RegisterCounter(Base):
    """The last sequence number given per unit per year (agenda surat keluar)."""

    __tablename__ = "register_counter"
    __table_args__ = (UniqueConstraint("unit", "tahun"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(50))
    tahun: Mapped[int] = mapped_column(Integer)
    last_urut: Mapped[int] = mapped_column(Integer, default=0)


class RegisterEntry(Base):
    """One number in the outgoing-letter register. Never deleted; voiding keeps it."""

    __tablename__ = "register_entry"
    __table_args__ = (UniqueConstraint("unit", "tahun", "urut"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(50))
    tahun: Mapped[int] = mapped_column(Integer)
    urut: Mapped[int] = mapped_column(Integer)
    klasifikasi: Mapped[str] = mapped_column(String(30))
    nomor: Mapped[str] = mapped_column(String(120), unique=True)
    naskah_id: Mapped[int | None] = mapped_column(ForeignKey("naskah.id"), unique=True)
    tanggal: Mapped[dt.date] = mapped_column(Date)
    hal: Mapped[str | None] = mapped_column(String(300))
    tujuan: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="aktif")  # aktif / batal
    alasan_batal: Mapped[str | None] = mapped_column(Text)
    dibatalkan_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Pejabat(Timestamps, Base):
    """An approver: who may initial (paraf) or sign, in which role."""

    __tablename__ = "pejabat"
    __table_args__ = (UniqueConstraint("nip", "peran"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(18))
    nama: Mapped[str] = mapped_column(String(200))  # with titles, as printed
    peran: Mapped[str] = mapped_column(String(60))  # kabid_psda, sekretaris, kepala, sekda ...
    jabatan: Mapped[str] = mapped_column(String(300))  # printed in the signature block
    pangkat: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(200))
    #: definitif; plt (acting, the post is vacant); plh (standing in, the holder is away).
    kedudukan: Mapped[str] = mapped_column(String(10), default="definitif")
    #: Signs on behalf of (``a.n.``) this office, e.g. "Kepala Badan Kepegawaian ...".
    an_jabatan: Mapped[str | None] = mapped_column(String(300))
    #: Needed only by BSrE's esign-client to find the certificate; never logged or shown.
    nik: Mapped[str | None] = mapped_column(String(16))
    aktif: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"Pejabat({self.id}, {self.peran!r}, {self.nama!r})"


class Persetujuan(Base):
    """A decision (paraf or signature) on one exact version of a bundle (its manifest hash)."""

    __tablename__ = "persetujuan"
    __table_args__ = (UniqueConstraint("bundel_id", "urutan", "naskah_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bundel_id: Mapped[int] = mapped_column(ForeignKey("bundel.id"), index=True)
    urutan: Mapped[int] = mapped_column(Integer)  # position in the chain
    kind: Mapped[str] = mapped_column(String(20))  # Approval.kind: paraf / tanda_tangan
    peran: Mapped[str] = mapped_column(String(60))
    pejabat_id: Mapped[int | None] = mapped_column(ForeignKey("pejabat.id"))
    nip: Mapped[str] = mapped_column(String(18))
    nama: Mapped[str] = mapped_column(String(200))
    keputusan: Mapped[str] = mapped_column(String(20))  # setuju / dikembalikan
    catatan: Mapped[str | None] = mapped_column(Text)
    naskah_sha256: Mapped[str] = mapped_column(String(64))  # the manifest hash decided on
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditPersetujuan(Base):
    """Every approval attempt, accepted or refused (wrong code, wrong role, replay ...)."""

    __tablename__ = "audit_persetujuan"

    id: Mapped[int] = mapped_column(primary_key=True)
    bundel_id: Mapped[int | None] = mapped_column(ForeignKey("bundel.id"), index=True)
    permintaan_id: Mapped[int | None] = mapped_column(
        ForeignKey("permintaan_persetujuan.id"), index=True
    )
    naskah_id: Mapped[int | None] = mapped_column(ForeignKey("naskah.id"), index=True)
    nip: Mapped[str | None] = mapped_column(String(18))
    nama: Mapped[str | None] = mapped_column(String(200))
    keputusan: Mapped[str | None] = mapped_column(String(20))  # what was asked for
    catatan: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))  # the manifest decided on
    peran: Mapped[str | None] = mapped_column(String(60))
    hasil: Mapped[str] = mapped_column(String(20))  # diterima / ditolak
    alasan: Mapped[str | None] = mapped_column(Text)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Permintaan(Base):
    """One level of one bundle version's approval chain waiting for (or given) a decision: who
    is asked, since when, until when (the step's standard time in working time), and how it
    ended. Decisions and refused attempts are in ``persetujuan`` / ``audit_persetujuan``."""

    __tablename__ = "permintaan_persetujuan"
    __table_args__ = (
        UniqueConstraint("bundel_id", "urutan"),
        UniqueConstraint("surat_masuk_id", "langkah", "urutan", "putaran"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A paraf or signature is asked on a bundle version; a disposition on an incoming letter.
    bundel_id: Mapped[int | None] = mapped_column(ForeignKey("bundel.id"), index=True)
    surat_masuk_id: Mapped[int | None] = mapped_column(ForeignKey("surat_masuk.id"), index=True)
    kegiatan_id: Mapped[int] = mapped_column(ForeignKey("kegiatan.id"), index=True)
    urutan: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # paraf / tanda_tangan / disposisi
    peran: Mapped[str] = mapped_column(String(60))
    langkah: Mapped[int] = mapped_column(Integer)  # the SOP step it belongs to
    putaran: Mapped[int] = mapped_column(Integer, default=1)
    pejabat_id: Mapped[int | None] = mapped_column(ForeignKey("pejabat.id"))
    #: menunggu / diputuskan / terkunci (too many wrong codes) / dibatalkan
    status: Mapped[str] = mapped_column(String(20), default="menunggu", index=True)
    keputusan: Mapped[str | None] = mapped_column(String(20))
    catatan: Mapped[str | None] = mapped_column(Text)
    sejak: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    tenggat: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    diputuskan_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    salah: Mapped[int] = mapped_column(Integer, default=0)  # wrong or refused attempts
    pengingat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    eskalasi_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Random: the signing page's link for this level (BSrE passphrase entry).
    token: Mapped[str | None] = mapped_column(String(64), unique=True)

    def __repr__(self) -> str:
        return f"Permintaan({self.id}, bundel {self.bundel_id}, {self.urutan}, {self.status!r})"


class KodeVerifikasi(Base):
    """A one-time code sent to an approver; stored only as a hash."""

    __tablename__ = "kode_verifikasi"

    id: Mapped[int] = mapped_column(primary_key=True)
    pejabat_id: Mapped[int] = mapped_column(ForeignKey("pejabat.id"))
    permintaan_id: Mapped[int | None] = mapped_column(
        ForeignKey("permintaan_persetujuan.id"), index=True
    )
    naskah_id: Mapped[int | None] = mapped_column(ForeignKey("naskah.id"))
    kode_hash: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Distribusi(Timestamps, Base):
    """One delivery of one document version to one recipient (idempotent by that pair)."""

    __tablename__ = "distribusi"
    __table_args__ = (UniqueConstraint("naskah_id", "penerima"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    naskah_id: Mapped[int] = mapped_column(ForeignKey("naskah.id"), index=True)
    kegiatan_id: Mapped[int | None] = mapped_column(ForeignKey("kegiatan.id"), index=True)
    penerima: Mapped[str] = mapped_column(String(200))  # recipient key (pegawai:<nip> ...)
    alamat: Mapped[str | None] = mapped_column(String(200))  # e-mail used: never logged
    nama_penerima: Mapped[str | None] = mapped_column(String(300))
    subjek: Mapped[str | None] = mapped_column(String(300))
    #: A fresh token per claim: a settle only lands if the claim is still the one it made.
    klaim_token: Mapped[str | None] = mapped_column(String(32))
    klaim_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    peran_penerima: Mapped[str | None] = mapped_column(String(40))  # opd / peserta / narasumber
    saluran: Mapped[str] = mapped_column(String(20), default="outbox")  # outbox / smtp
    status: Mapped[str] = mapped_column(String(20), default="antri")  # antri / terkirim / gagal
    message_id: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Arsip(Base):
    """An archived file: content-addressed, never overwritten."""

    __tablename__ = "arsip"
    __table_args__ = (UniqueConstraint("naskah_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    naskah_id: Mapped[int | None] = mapped_column(ForeignKey("naskah.id"), index=True)
    kegiatan_id: Mapped[int | None] = mapped_column(ForeignKey("kegiatan.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(String(500))
    nama_file: Mapped[str] = mapped_column(String(300))
    jenis: Mapped[str | None] = mapped_column(String(60))
    nomor: Mapped[str | None] = mapped_column(String(120), index=True)
    tanggal: Mapped[dt.date | None] = mapped_column(Date)
    ukuran: Mapped[int] = mapped_column(Integer)
    klasifikasi: Mapped[str | None] = mapped_column(String(30))
    retensi_tahun: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SuratMasuk(Timestamps, Base):
    """An incoming letter (agenda surat masuk): the organiser's offer, an agency's proposal of
    candidates or its reply. Recorded with its own number and date and who sent it, by an
    operator (``sumber`` operator, with who recorded it) or by the agency itself through its
    link (``tautan``); the letters that answer it cite it ("Dasar: Surat ... Nomor ...")."""

    __tablename__ = "surat_masuk"
    __table_args__ = (UniqueConstraint("kegiatan_id", "pengirim", "nomor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kegiatan_id: Mapped[int | None] = mapped_column(ForeignKey("kegiatan.id"), index=True)
    #: penawaran (the organiser's offer) / usulan (an agency proposes candidates) / balasan
    jenis: Mapped[str] = mapped_column(String(20))
    nomor: Mapped[str] = mapped_column(String(120))
    tanggal: Mapped[dt.date] = mapped_column(Date)
    pengirim: Mapped[str] = mapped_column(String(300))
    unit_kode: Mapped[str | None] = mapped_column(String(50))  # a sending agency of ours
    hal: Mapped[str | None] = mapped_column(String(300))
    diterima_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sumber: Mapped[str] = mapped_column(String(20), default="operator")  # operator / tautan
    dicatat_oleh: Mapped[str | None] = mapped_column(String(18))  # the operator's NIP
    #: The scan, archived (content-addressed): its name and SHA-256.
    berkas_nama: Mapped[str | None] = mapped_column(String(300))
    berkas_sha256: Mapped[str | None] = mapped_column(String(64))
