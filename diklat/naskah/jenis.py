"""The document types (keys of ``settings.naskah.klasifikasi`` and template file names)."""

from __future__ import annotations

#: In the order the SOPs produce them.
JENIS: tuple[str, ...] = (
    "surat_permohonan_narasumber",
    "surat_pemberitahuan",
    "sk_panitia",
    "surat_panggilan",
    "undangan_pembukaan",
    "surat_tugas",
    "sertifikat",
    "laporan_kegiatan",
    "tanda_terima",
    "daftar_hadir",
)
