"""SOP 002 "Pengiriman Peserta Diklat Teknis dan Fungsional" (BKPSDM Kota Pekalongan) as one
flow.

Read it beside the SOP's table. Rows 1-12 are reconstructed (the source is illegible there,
see the catalogue). Outside parties answer for themselves: the organiser's offer is recorded as
an incoming letter (row 1), the head and the Kabid dispose of it with their own codes (rows
2-3), each agency proposes its candidates with its letter, through the operator or its own
link in the notice's e-mail (row 8). Where the signing authority is the Sekretaris Daerah (the
training's condition ``kewenangan_sekda``), the head initials at row 15 and the Sekda signs at
row 16. A letter refused ends the training's path: the run ends Cancelled with the reason.
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
    verifikasi,
)
from tasks.kegiatan import (
    arsip_kegiatan_task,
    langkah_otomatis_task,
)
from tasks.siasn import pemutakhiran_siasn_task

SOP = "pengiriman-peserta"


@flow(
    name="sop-pengiriman-peserta",
    flow_run_name=nama_run("pd"),
    validate_parameters=False,
    log_prints=False,
)
def pengiriman_peserta(kegiatan: DataKegiatan, pdf: bool = True) -> dict[str, Any] | State:
    """Pengiriman Peserta Diklat Teknis dan Fungsional: from the organiser's offer to the
    SIASN update."""
    return jalankan_sop(kegiatan, SOP, pdf, _jalan)


def _jalan(mulai: MulaiKegiatan, pdf: bool) -> dict[str, Any]:
    hentikan_bila_berhenti(mulai)
    kode = mulai.kode
    jalur = Jalur(SOP, mulai.kondisi, mulai.langkah, mulai.naskah_terbuka)
    hasil: dict[str, Any] = {}

    langkah(kode, 1, jalur)  # 1  Surat penawaran dari penyelenggara diagendakan (surat masuk)
    langkah(kode, 2, jalur)  # 2  Disposisi Kepala Badan (kode verifikasi)
    langkah(kode, 3, jalur)  # 3  Disposisi Kabid kepada Analis SDM Aparatur Muda
    hasil["pemberitahuan"] = surat(kode, "surat_pemberitahuan", jalur, pdf=pdf)  # 4-7
    langkah(kode, 8, jalur)  # 8  OPD mengusulkan calon peserta (surat usulan, tautan OPD)
    if jalur.perlu(9):  # 9  Menerima dan merekapitulasi usulan
        langkah_otomatis_task(kode, 9, "rekap_usulan")
    if jalur.perlu(10):  # 10 Verifikasi calon di SIMPEG-SIASN (jawaban SIASN tiap calon)
        verifikasi(kode, 10)
    if jalur.perlu(11):  # 11 Menetapkan daftar peserta
        langkah_otomatis_task(kode, 11, "terdaftar")
    hasil["surat_tugas"] = surat(kode, "surat_tugas", jalur, pdf=pdf)  # 12-19 (16: Sekda)
    langkah(kode, 20, jalur)  # 20 Koordinasi pemberangkatan peserta
    langkah(kode, 21, jalur)  # 21 Penyelenggara menyelenggarakan diklat (sejak hari terakhir)
    langkah(kode, 22, jalur)  # 22 Peserta mengikuti diklat (hasil)
    hasil["tanda_terima"] = surat(kode, "tanda_terima", jalur, pdf=pdf)  # 23 Laporan diterima
    if jalur.perlu(24):  # 24 Mengarsipkan dokumen dan laporan
        hasil["arsip"] = arsip_kegiatan_task(kode, 24)
    hasil["siasn"] = pemutakhiran_siasn_task(kode)  # Pencatatan: profil peserta di SIASN
    get_run_logger().info("kegiatan %s selesai", kode)
    return {"kegiatan": kode, **{k: v for k, v in hasil.items() if isinstance(v, dict)}}
