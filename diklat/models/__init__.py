"""Typed SQLAlchemy models, one module per aggregate. Import everything from here."""

from diklat.models.base import Base
from diklat.models.io import STATUS_DISTRIBUSI, ArsipNip, DistribusiJejak
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
from diklat.models.proses import Karantina, SopStepLog, SyncRun, SyncSeen

__all__ = [
    "STATUS_DISTRIBUSI",
    "STATUS_NASKAH",
    "STATUS_PESERTA",
    "Arsip",
    "ArsipNip",
    "AuditPersetujuan",
    "Base",
    "Distribusi",
    "DistribusiJejak",
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
    "SyncRun",
    "SyncSeen",
    "UnitKerja",
]
