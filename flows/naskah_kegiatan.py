"""Flow: the letters of one training — drafts, then register numbers and final versions.

Each run does what is due and skips what the database says is done: drafts are made once,
a signed document is numbered once (the register is idempotent), a final is rendered once.
Until the approval issue lands, ``tanda_tangan_demo=True`` stands in for the paraf chain and
signature (recorded as such in ``audit_persetujuan``); without it, only documents someone
signed are numbered.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from diklat.persiapan import JENIS_KEGIATAN
from tasks.naskah import siapkan_draf_task, tanda_tangan_demo_task, terbitkan_task


@flow(name="naskah-kegiatan", log_prints=False)
def naskah_kegiatan(kode: str, jenis: list[str] | None = None, tanda_tangan_demo: bool = False,
                    pdf: bool = True) -> dict[str, Any]:
    """Letters of training ``kode``: drafts of ``jenis`` (default: pemberitahuan per OPD,
    panggilan per participant, daftar hadir, sertifikat), numbers and finals for signed ones."""
    logger = get_run_logger()
    draf = siapkan_draf_task(kode, list(jenis or JENIS_KEGIATAN))
    logger.info("draf dibuat: %s", draf)
    signed = tanda_tangan_demo_task(kode) if tanda_tangan_demo else 0
    hasil = terbitkan_task(kode, pdf)
    logger.info("diterbitkan: %s", hasil)
    return {"draf": draf, "ditandatangani_demo": signed, **hasil}
