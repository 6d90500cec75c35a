"""Flow: the letters of one training, bundle by bundle in the SOP's order.

For every document type the training's SOP path produces (from the catalogue), in the order
the SOP first touches it: draft the bundle, have it decided on, number it, render its finals
and PDFs. What the database says is done is skipped, so the flow can run again at any time.
Until the approval issue lands, ``tanda_tangan_demo=True`` stands in for the paraf chain and the
signature (each decision audited as a demo, by the officials the catalogue names); without it
only drafts are made.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from tasks.naskah import bundel_task, jenis_kegiatan_task, publish_naskah_task


@flow(name="naskah-kegiatan", flow_run_name="naskah-{kode}", log_prints=False)
def naskah_kegiatan(kode: str, jenis: list[str] | None = None, tanda_tangan_demo: bool = False,
                    pdf: bool = True) -> dict[str, Any]:
    """Letters of training ``kode`` (default: every type its SOP path produces)."""
    logger = get_run_logger()
    urutan = jenis_kegiatan_task(kode)
    pilih = [j for j in urutan if not jenis or j in jenis]
    hasil = []
    for j in pilih:
        h = bundel_task(kode, j, tanda_tangan_demo, pdf)
        logger.info("%s: %s", j, h)
        hasil.append(h)
    publish_naskah_task(kode, hasil)
    return {
        "kegiatan": kode,
        "bundel": hasil,
        "naskah": sum(h["jumlah"] for h in hasil),
        "diberi_nomor": sum(h["diberi_nomor"] for h in hasil),
        "final": sum(h["dibuat"] for h in hasil if h["status"] != "draf"),
        "pdf": sum(h["pdf"] for h in hasil),
    }
