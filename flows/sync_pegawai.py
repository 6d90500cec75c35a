"""The nightly personnel sync flow (SIMPEG -> database; optionally SIASN refresh of NIPs).

Run by hand with ``diklat sync [--full] [--nip NIP ...]``; deployed with a cron schedule at
01:00 in the configured time zone (:func:`deployment`, served by :func:`serve`).

Parameters never carry a NIP (a NIP encodes birth date and sex, and Prefect keeps
parameters in clear): ``diklat sync --nip`` stores the NIPs as a request in the database and
passes its id (``permintaan``).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from diklat.db import require_schema
from diklat.pegawai import sync_service
from diklat.settings import get_settings
from tasks.runs import agency_date, cancel_on_interrupt
from tasks.sync import publish_counts_task, refresh_siasn_task, sync_simpeg_task

DEPLOYMENT_NAME = "nightly"


def run_name() -> str:
    """``sinkron-penuh-2026-12-01``, ``sinkron-inkremental-...``, ``sinkron-siasn-...``."""
    from prefect.runtime import flow_run

    params = flow_run.parameters
    if params.get("permintaan"):
        kind = f"siasn-permintaan-{params['permintaan']}"
    else:
        kind = "penuh" if params.get("full") else "inkremental"
    return f"sinkron-{kind}-{agency_date()}"


@flow(
    name="sync-pegawai", flow_run_name=run_name, log_prints=False, on_crashed=[cancel_on_interrupt]
)
def sync_pegawai(full: bool = False, permintaan: int | None = None) -> dict[str, object]:
    """Sync employees from SIMPEG (full or since the last successful run), or, with
    ``permintaan`` (the id of stored NIPs, see ``diklat sync --nip``), refresh those
    employees from SIASN data-utama. Returns the sync run's counts."""
    require_schema()  # migrated by the command or deployment that started it
    try:
        counts = refresh_siasn_task(permintaan) if permintaan else sync_simpeg_task(full)
    except sync_service.SyncFailed as e:
        if e.counts:
            publish_counts_task(e.counts)
        get_run_logger().error("sinkronisasi gagal: %s", e)
        raise
    publish_counts_task(counts)
    return counts


def deployment(**kw: Any) -> Any:
    """The nightly deployment: cron from settings (01:00) in the configured time zone."""
    from prefect.schedules import Cron

    from diklat.jadwal import keterangan_cron

    s = get_settings()
    return sync_pegawai.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(s.sync.cron, timezone=s.timezone)],
        # the deployment list shows "At 01:00 AM every day" without the zone: say it here
        description=f"Sinkronisasi pegawai dari SIMPEG setiap malam: "
        f"{keterangan_cron(s.sync.cron, s.timezone)}",
        tags=["sync", "pegawai"],
        **kw,
    )


def serve() -> None:  # pragma: no cover - blocks forever
    """Serve the nightly deployment from this process (used by the stack command)."""
    from prefect import serve as prefect_serve

    prefect_serve(deployment())
