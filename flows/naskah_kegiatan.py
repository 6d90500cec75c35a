"""Flow: the letters of one training, bundle by bundle in the SOP's order.

For every document type the training's SOP path produces (from the catalogue), in the order
the SOP first touches it: draft the bundle, have it decided on, number it, render its finals
and PDFs. What the database says is done is skipped, so the flow can run again at any time.
With ``persetujuan=True`` every bundle waits for its officials in the Prefect UI (the paraf
chain, then the signature, a real PAdES signature); without it only drafts are made. Nothing
here decides for an official.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from flows.langkah import langkah_naskah
from tasks.naskah import bundel_task, jenis_kegiatan_task, publish_naskah_task


@flow(name="naskah-kegiatan", flow_run_name="naskah-{kode}", log_prints=False)
def naskah_kegiatan(
    kode: str, jenis: list[str] | None = None, pdf: bool = True, persetujuan: bool = False
) -> dict[str, Any]:
    """Letters of training ``kode`` (default: every type its SOP path produces). With
    ``persetujuan`` each bundle waits for its officials (paraf chain, then the signature with
    a real electronic signature); without it only the drafts are made."""
    logger = get_run_logger()
    urutan = jenis_kegiatan_task(kode)
    pilih = [j for j in urutan if not jenis or j in jenis]
    hasil = []
    for j in pilih:
        if persetujuan:
            st = langkah_naskah(kode, j, pdf=pdf)
            h = {
                "jenis": j,
                "versi": st.versi,
                "jumlah": st.jumlah,
                "status": st.status,
                "diberi_nomor": st.terbit.get("diberi_nomor", 0),
                "dibuat": st.terbit.get("ditandatangani", st.terbit.get("dibuat", 0)),
                "pdf": st.terbit.get("pdf", 0),
                "manifest": "",
            }
        else:
            h = bundel_task(kode, j, pdf)
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
