"""The nightly personnel sync flow (SIMPEG -> database; optionally SIASN refresh of NIPs).

Run by hand with ``diklat sync [--full] [--nip NIP ...]``; deployed with a cron schedule at
01:00 in the configured time zone (:func:`deployment`, served by :func:`serve`).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from diklat import sync_service
from diklat.settings import get_settings
from tasks.sync import publish_counts_task, refresh_siasn_task, sync_simpeg_task

DEPLOYMENT_NAME = "nightly"
_schema_ready: set[str] = set()


def ensure_schema() -> None:
    """Migrate the product database once per process (the CLI does it while the Prefect
    server boots; the flow then finds it done)."""
    from diklat.db import migrate

    url = get_settings().database_url
    if url not in _schema_ready:
        migrate(url)
        _schema_ready.add(url)


@flow(name="sync-pegawai", log_prints=False)
def sync_pegawai(full: bool = False, nips: list[str] | None = None) -> dict[str, object]:
    """Sync employees from SIMPEG (full or since the last successful run), or, with ``nips``,
    refresh those employees from SIASN data-utama. Returns the sync run's counts."""
    ensure_schema()
    settings = get_settings()
    try:
        if nips:
            counts = refresh_siasn_task(list(nips))
        else:
            counts = sync_simpeg_task.with_options(
                retries=settings.sync.task_retries,
                retry_delay_seconds=settings.sync.task_retry_delay_seconds,
            )(full)
    except sync_service.SyncFailed as e:
        if e.counts:
            publish_counts_task(e.counts)
        get_run_logger().error("sinkronisasi gagal: %s", e)
        raise
    publish_counts_task(counts)
    return counts


def deployment() -> Any:
    """The nightly deployment: cron from settings (01:00) in the configured time zone."""
    from prefect.schedules import Cron

    s = get_settings()
    return sync_pegawai.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(s.sync.cron, timezone=s.timezone)],
        description="Sinkronisasi pegawai dari SIMPEG setiap malam",
        tags=["sync", "pegawai"],
    )


def serve() -> None:  # pragma: no cover - blocks forever
    """Serve the nightly deployment from this process (used by the stack command)."""
    from prefect import serve as prefect_serve

    prefect_serve(deployment())
