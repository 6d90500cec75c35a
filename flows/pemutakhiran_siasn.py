"""Flow: the SIASN write-back of one training on its own (the SOP flows end with it too): the
course record and certificate of each participant who passed, exactly once."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from tasks.siasn import pemutakhiran_siasn_task


@flow(name="pemutakhiran-siasn", flow_run_name="siasn-{kode}", log_prints=False)
def pemutakhiran_siasn(kode: str) -> dict[str, Any]:
    hasil = pemutakhiran_siasn_task(kode)
    get_run_logger().info("pemutakhiran SIASN %s: %s", kode, hasil)
    return hasil
