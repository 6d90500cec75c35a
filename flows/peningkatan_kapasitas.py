"""SOP 000 "Peningkatan Kapasitas Kinerja ASN" (BKPSDM Kabupaten Kutai Kartanegara) as one flow.

Read it beside the SOP's table: one line per row (or per group of rows that make one letter:
draft, type, paraf, signature, register and send). Letter steps wait for the officials the
catalogue names; a revision goes back to the person who corrects it; steps done by people
outside the system wait for an operator's report (who, when, a note, evidence, and what the
step needs); the agencies answer the notices with their own letters (their link or the
operator) and the head disposes of the answers with his own code. Nothing is dated before it
happened: the training's own steps cannot be recorded before its days, the receipts carry the
day the kits were handed over, certificates and the activity report are made after the
training. A run that restarts (after a suspend, a crash or a second start of the same
training) reads the ledger once and skips every row that is done. A letter refused ends the
training's path: the run ends Cancelled with the reason.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.states import State

from diklat.kegiatan.data import DataKegiatan
from diklat.mulai import MulaiKegiatan
from flows.langkah import (
    Jalur,
    hentikan_bila_berhenti,
    jalankan_sop,
    langkah,
    nama_run,
    surat,
)
from tasks.kegiatan import langkah_otomatis_task
from tasks.siasn import pemutakhiran_siasn_task

SOP = "peningkatan-kapasitas"


@flow(
    name="sop-peningkatan-kapasitas",
    flow_run_name=nama_run("pk"),
    validate_parameters=False,
    log_prints=False,
)
def peningkatan_kapasitas(kegiatan: DataKegiatan, pdf: bool = True) -> dict[str, Any] | State:
    """Peningkatan Kapasitas Kinerja ASN: from planning to the SIASN update."""
    return jalankan_sop(kegiatan, SOP, pdf, _jalan)


def _jalan(mulai: MulaiKegiatan, pdf: bool) -> dict[str, Any]:
    hentikan_bila_berhenti(mulai)
    kode = mulai.kode
    jalur = Jalur(SOP, mulai.kondisi, mulai.langkah, mulai.naskah_terbuka)
    hasil: dict[str, Any] = {}

    if jalur.perlu(1):  # 1  Merencanakan kegiatan -> daftar calon peserta
        langkah_otomatis_task(kode, 1, "rencana")
    hasil["permohonan"] = surat(kode, "surat_permohonan_narasumber", jalur, pdf=pdf)  # 2-6
    hasil["pemberitahuan"] = surat(kode, "surat_pemberitahuan", jalur, pdf=pdf)  # 7-11
    langkah(kode, 12, jalur)  # 12 Balasan instansi (usulan), disposisi Kepala dan Kabid
    hasil["sk"] = surat(kode, "sk_panitia", jalur, pdf=pdf)  # 13-16
    hasil["panggilan"] = surat(kode, "surat_panggilan", jalur, pdf=pdf)  # 17-21
    langkah(kode, 22, jalur)  # 22 Konfirmasi kehadiran dari instansi (rekonstruksi)
    langkah(kode, 23, jalur)  # 23 Konfirmasi narasumber, jadwal dan materi (rekonstruksi)
    hasil["daftar_hadir"] = surat(kode, "daftar_hadir", jalur, pdf=pdf)  # 24
    surat(kode, "tanda_terima", jalur, pdf=pdf, siapkan_saja=True)  # 25 disiapkan
    langkah(kode, 26, jalur)  # 26 Sarana dan prasarana
    hasil["undangan"] = surat(kode, "undangan_pembukaan", jalur, pdf=pdf)  # 27-32
    langkah(kode, 33, jalur)  # 33 Pendaftaran peserta (sejak hari pertama)
    langkah(kode, 34, jalur)  # 34 Penyerahan perlengkapan pelatihan
    hasil["tanda_terima"] = surat(kode, "tanda_terima", jalur, pdf=pdf)  # 25: bertanggal 34
    langkah(kode, 35, jalur)  # 35 Membuka acara / sambutan
    langkah(kode, 36, jalur)  # 36 Pelaksanaan pelatihan (sampai hari terakhir)
    langkah(kode, 37, jalur)  # 37 Laporan pelatihan dari peserta (hasil)
    hasil["sertifikat"] = surat(kode, "sertifikat", jalur, pdf=pdf)  # 38-40
    hasil["laporan"] = surat(kode, "laporan_kegiatan", jalur, pdf=pdf)  # 41-45
    hasil["siasn"] = pemutakhiran_siasn_task(kode)  # Pencatatan: profil peserta di SIASN
    get_run_logger().info("kegiatan %s selesai", kode)
    return {"kegiatan": kode, **{k: v for k, v in hasil.items() if isinstance(v, dict)}}
