"""Flow: the SOP compliance report of one training (``laporan-kepatuhan``): the Excel file and
its chart, a table artifact in the Prefect UI (steps and times, no personal data), both files
archived (classification 800.2.4.7, monitoring and evaluation)."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from tasks.laporan import arsip_laporan_task, publish_kepatuhan_task, tulis_kepatuhan_task

DEPLOYMENT_NAME = "manual"


@flow(name="laporan-kepatuhan", flow_run_name="kepatuhan-{kode}", log_prints=False)
def laporan_kepatuhan(kode: str) -> dict[str, Any]:
    from diklat.laporan.rekap import JENIS_KEPATUHAN, KLASIFIKASI_KEPATUHAN

    hasil = tulis_kepatuhan_task(kode)
    publish_kepatuhan_task(kode, hasil)
    arsip = arsip_laporan_task(
        kode, [hasil["xlsx"], hasil["png"]], JENIS_KEPATUHAN, KLASIFIKASI_KEPATUHAN
    )
    get_run_logger().info("kepatuhan %s: %s", kode, hasil["ringkasan"])
    return {**hasil["ringkasan"], "xlsx": hasil["xlsx"], "png": hasil["png"], "arsip": arsip}


def deployment(**kw: Any) -> Any:
    return laporan_kepatuhan.to_deployment(
        name=DEPLOYMENT_NAME,
        tags=["laporan"],
        description="Laporan kepatuhan SOP satu kegiatan (Excel, grafik, arsip)",
        **kw,
    )
