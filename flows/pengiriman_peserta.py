"""SOP 002 "Pengiriman Peserta Diklat Teknis dan Fungsional" (BKPSDM Kota Pekalongan) as one
flow.

Read it beside the SOP's table. Rows 1-12 are reconstructed (the source is illegible there,
see the catalogue). Where the signing authority is the Sekretaris Daerah (the training's
condition ``kewenangan_sekda``), the head initials at row 15 and the Sekda signs at row 16: the
letter step follows the catalogue's chain for the training's conditions.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from diklat.kegiatan import DataKegiatan
from flows.langkah import Jalur, surat, tunggu_operator
from tasks.kegiatan import arsip_kegiatan_task, langkah_otomatis_task, mulai_kegiatan_task
from tasks.siasn import pemutakhiran_siasn_task, verifikasi_siasn_task

SOP = "pengiriman-peserta"


@flow(name="sop-pengiriman-peserta", flow_run_name="pd-{kegiatan.kode}", log_prints=False)
def pengiriman_peserta(kegiatan: DataKegiatan, pdf: bool = True) -> dict[str, Any]:
    """Pengiriman Peserta Diklat Teknis dan Fungsional: from the organiser's offer to the
    SIASN update."""
    if kegiatan.sop != SOP:
        raise ValueError(f"kegiatan {kegiatan.kode} memakai SOP {kegiatan.sop}, bukan {SOP}")
    mulai = mulai_kegiatan_task(kegiatan)
    kode = mulai["kode"]
    j = Jalur(SOP, kegiatan.kondisi, mulai["langkah"], mulai["naskah_terbuka"])
    hasil: dict[str, Any] = {}

    if j.perlu(1):  # 1  Menerima dan mengagendakan surat penawaran dari penyelenggara
        tunggu_operator(kode, 1, j)
    if j.perlu(2):  # 2  Disposisi Kepala Badan
        tunggu_operator(kode, 2, j)
    if j.perlu(3):  # 3  Disposisi Kabid kepada Analis SDM Aparatur Muda
        tunggu_operator(kode, 3, j)
    hasil["pemberitahuan"] = surat(kode, "surat_pemberitahuan", j, pdf=pdf)  # 4-7
    if j.perlu(8):  # 8  OPD mengusulkan calon peserta
        tunggu_operator(kode, 8, j)
    if j.perlu(9):  # 9  Menerima dan merekapitulasi usulan
        langkah_otomatis_task(kode, 9, "rencana")
    if j.perlu(10):  # 10 Verifikasi calon di SIMPEG-SIASN
        verifikasi_siasn_task(kode, 10)
    if j.perlu(11):  # 11 Menetapkan daftar peserta
        langkah_otomatis_task(kode, 11, "terdaftar")
    hasil["surat_tugas"] = surat(kode, "surat_tugas", j, pdf=pdf)  # 12-19 (16: Sekda)
    if j.perlu(20):  # 20 Koordinasi pemberangkatan peserta
        tunggu_operator(kode, 20, j)
    if j.perlu(21):  # 21 Penyelenggara menyelenggarakan diklat
        tunggu_operator(kode, 21, j)
    if j.perlu(22):  # 22 Peserta mengikuti diklat (hasil)
        tunggu_operator(kode, 22, j)
    hasil["tanda_terima"] = surat(kode, "tanda_terima", j, pdf=pdf)  # 23 Laporan diterima
    if j.perlu(24):  # 24 Mengarsipkan dokumen dan laporan
        hasil["arsip"] = arsip_kegiatan_task(kode, 24)
    hasil["siasn"] = pemutakhiran_siasn_task(kode)  # Pencatatan: profil peserta di SIASN
    get_run_logger().info("kegiatan %s selesai", kode)
    return {"kegiatan": kode, **{k: v for k, v in hasil.items() if isinstance(v, dict)}}
