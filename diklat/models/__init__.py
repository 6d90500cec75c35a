"""Typed SQLAlchemy models, one module per aggregate. Import everything from here."""

from diklat.models.base import Base
from diklat.models.kegiatan import STATUS_PESERTA, Kegiatan, Peserta
from diklat.models.naskah import (
    STATUS_NASKAH,
    Arsip,
    AuditPersetujuan,
    Distribusi,
    KodeVerifikasi,
    Naskah,
    Pejabat,
    Persetujuan,
    RegisterCounter,
    RegisterEntry,
)
from diklat.models.pegawai import Pegawai, RiwayatDiklat, UnitKerja
from diklat.models.proses import (
    RUN_STATUSES,
    Karantina,
    SopStepLog,
    SyncRequest,
    SyncRun,
    SyncSeen,
)

__all__ = [
    "STATUS_NASKAH",
    "RUN_STATUSES",
    "STATUS_PESERTA",
    "Arsip",
    "AuditPersetujuan",
    "Base",
    "Distribusi",
    "Karantina",
    "Kegiatan",
    "KodeVerifikasi",
    "Naskah",
    "Pegawai",
    "Pejabat",
    "Persetujuan",
    "Peserta",
    "RegisterCounter",
    "RegisterEntry",
    "RiwayatDiklat",
    "SopStepLog",
    "SyncRequest",
    "SyncRun",
    "SyncSeen",
    "UnitKerja",
]
