"""Flow: the deadline monitor (hourly). For every paraf, signature, disposition and operator
step that waits past its deadline (the step's standard time in working time, in the SOP's
time zone, from the SOP ledger): a reminder to the official or the operator desk; at twice the
standard working time the superior is told; at the hard limit what
``DIKLAT_APPROVAL__BATAS_KERAS`` says (remind, escalate or stop the document's path). Runs
waiting for a date (a certificate before the training's last day) are resumed on that day."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from tasks.persetujuan import lanjutkan_tanggal_task, pantau_tenggat_task

DEPLOYMENT_NAME = "per-jam"


@flow(name="pantau-tenggat", flow_run_name="pantau-tenggat", log_prints=False)
def pantau_tenggat() -> dict[str, int]:
    hasil = pantau_tenggat_task()
    hasil["dilanjutkan_tanggal"] = lanjutkan_tanggal_task()
    get_run_logger().info("tenggat: %s", hasil)
    return hasil


def deployment(**kw: Any) -> Any:
    from prefect.schedules import Cron

    from diklat.settings import get_settings

    return pantau_tenggat.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron("0 * * * *", timezone=get_settings().timezone)],
        description="Pengingat dan eskalasi langkah yang melewati tenggat (jam kerja); melanjutkan run yang menunggu tanggal",
        tags=["persetujuan", "tenggat"],
        **kw,
    )
