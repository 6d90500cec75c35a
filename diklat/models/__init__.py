"""Typed SQLAlchemy models, one module per aggregate. Import everything from here."""

from diklat.models.base import Base
from diklat.models.io import STATUS_DISTRIBUSI, ArsipNip, DistribusiJejak
from diklat.models.kegiatan import (
    STATUS_KEGIATAN,
    STATUS_LANGKAH,
    STATUS_PESERTA,
    STATUS_SIASN,
    Kegiatan,
    Peserta,
    SopStepLog,
)
from diklat.models.naskah import (
    PERAN_BERKAS,
    Arsip,
    AuditPersetujuan,
    Bundel,
    Distribusi,
    KodeVerifikasi,
    Naskah,
    NaskahBerkas,
    Pejabat,
    Permintaan,
    Persetujuan,
    RegisterCounter,
    RegisterEntry,
)
from diklat.models.pegawai import Pegawai, RiwayatDiklat, SiasnUnor, UnitKerja
from diklat.models.proses import (
    RUN_STATUSES,
    Karantina,
    KunciKegiatan,
    SyncRequest,
    SyncRun,
    SyncSeen,
)

__all__ = [
    "PERAN_BERKAS",
    "RUN_STATUSES",
    "STATUS_DISTRIBUSI",
    "STATUS_KEGIATAN",
    "STATUS_LANGKAH",
    "STATUS_PESERTA",
    "STATUS_SIASN",
    "Arsip",
    "ArsipNip",
    "AuditPersetujuan",
    "Base",
    "Bundel",
    "Distribusi",
    "DistribusiJejak",
    "Karantina",
    "Kegiatan",
    "KunciKegiatan",
    "KodeVerifikasi",
    "Naskah",
    "NaskahBerkas",
    "Pegawai",
    "Pejabat",
    "Permintaan",
    "Persetujuan",
    "Peserta",
    "RegisterCounter",
    "RegisterEntry",
    "RiwayatDiklat",
    "SiasnUnor",
    "SopStepLog",
    "SyncRequest",
    "SyncRun",
    "SyncSeen",
    "UnitKerja",
]
