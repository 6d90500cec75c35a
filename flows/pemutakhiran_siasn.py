"""Flow: the SIASN write-back of one training on its own (the SOP flows end with it too): the
course record and certificate of each participant who passed, exactly once. Participants still
failing after the retry, and NIPs SIASN does not know, are listed by number in the result and
in a warning; the run itself succeeds (they do not block the others). A configuration SIASN
refuses altogether fails the run with one line."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from tasks.siasn import pemutakhiran_siasn_task


@flow(name="pemutakhiran-siasn", flow_run_name="siasn-{kode}", log_prints=False)
def pemutakhiran_siasn(kode: str) -> dict[str, Any]:
    hasil = pemutakhiran_siasn_task(kode)
    logger = get_run_logger()
    counts = {k: v for k, v in hasil.items() if not isinstance(v, list)}
    logger.info("pemutakhiran SIASN %s: %s", kode, counts)
    if hasil.get("peserta_gagal") or hasil.get("peserta_tidak_dikenal"):
        logger.warning(
            "pemutakhiran SIASN %s perlu tindakan operator: gagal peserta nomor %s; "
            "NIP tidak dikenal SIASN peserta nomor %s",
            kode,
            hasil.get("peserta_gagal") or "-",
            hasil.get("peserta_tidak_dikenal") or "-",
        )
    return hasil
