"""SOP 000 "Peningkatan Kapasitas Kinerja ASN" (BKPSDM Kabupaten Kutai Kartanegara) as one flow.

Read it beside the SOP's table: one line per row (or per group of rows that make one letter:
draft, type, paraf, signature, register and send). Letter steps wait in the Prefect UI for the
officials the catalogue names; steps done by people outside the system wait for an operator's
form (done, when, note, and what the step needs). A run that restarts (after a suspend, a crash
or a second start of the same training) reads the ledger once and skips every row that is done.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from diklat.kegiatan import DataKegiatan
from flows.langkah import Jalur, surat, tunggu_operator
from tasks.kegiatan import langkah_otomatis_task, mulai_kegiatan_task
from tasks.siasn import pemutakhiran_siasn_task

SOP = "peningkatan-kapasitas"


@flow(name="sop-peningkatan-kapasitas", flow_run_name="pk-{kegiatan.kode}", log_prints=False)
def peningkatan_kapasitas(kegiatan: DataKegiatan, pdf: bool = True) -> dict[str, Any]:
    """Peningkatan Kapasitas Kinerja ASN: from planning to the SIASN update."""
    if kegiatan.sop != SOP:
        raise ValueError(f"kegiatan {kegiatan.kode} memakai SOP {kegiatan.sop}, bukan {SOP}")
    mulai = mulai_kegiatan_task(kegiatan)
    kode = mulai["kode"]
    j = Jalur(SOP, kegiatan.kondisi, mulai["langkah"], mulai["naskah_terbuka"])
    hasil: dict[str, Any] = {}

    if j.perlu(1):  # 1  Merencanakan kegiatan -> daftar calon peserta
        langkah_otomatis_task(kode, 1, "rencana")
    hasil["permohonan"] = surat(kode, "surat_permohonan_narasumber", j, pdf=pdf)  # 2-6
    hasil["pemberitahuan"] = surat(kode, "surat_pemberitahuan", j, pdf=pdf)  # 7-11
    if j.perlu(12):  # 12 Balasan instansi dan disposisi Kepala BKPSDM
        tunggu_operator(kode, 12, j)
    hasil["sk"] = surat(kode, "sk_panitia", j, pdf=pdf)  # 13-16
    hasil["panggilan"] = surat(kode, "surat_panggilan", j, pdf=pdf)  # 17-21
    if j.perlu(22):  # 22 Konfirmasi kehadiran dari instansi (rekonstruksi)
        tunggu_operator(kode, 22, j)
    if j.perlu(23):  # 23 Konfirmasi narasumber, jadwal dan materi (rekonstruksi)
        tunggu_operator(kode, 23, j)
    hasil["daftar_hadir"] = surat(kode, "daftar_hadir", j, pdf=pdf)  # 24
    hasil["tanda_terima"] = surat(kode, "tanda_terima", j, pdf=pdf)  # 25
    if j.perlu(26):  # 26 Sarana dan prasarana
        tunggu_operator(kode, 26, j)
    hasil["undangan"] = surat(kode, "undangan_pembukaan", j, pdf=pdf)  # 27-32
    if j.perlu(33):  # 33 Pendaftaran peserta
        tunggu_operator(kode, 33, j)
    if j.perlu(34):  # 34 Penyerahan Training Kit
        tunggu_operator(kode, 34, j)
    if j.perlu(35):  # 35 Membuka acara / sambutan
        tunggu_operator(kode, 35, j)
    if j.perlu(36):  # 36 Pelaksanaan pelatihan
        tunggu_operator(kode, 36, j)
    if j.perlu(37):  # 37 Laporan pelatihan dari peserta (hasil)
        tunggu_operator(kode, 37, j)
    hasil["sertifikat"] = surat(kode, "sertifikat", j, pdf=pdf)  # 38-40
    hasil["laporan"] = surat(kode, "laporan_kegiatan", j, pdf=pdf)  # 41-45
    hasil["siasn"] = pemutakhiran_siasn_task(kode)  # Pencatatan: profil peserta di SIASN
    get_run_logger().info("kegiatan %s selesai", kode)
    return {"kegiatan": kode, **{k: v for k, v in hasil.items() if isinstance(v, dict)}}
