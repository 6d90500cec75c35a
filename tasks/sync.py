"""Tasks of the personnel sync: each one calls a plain function of ``diklat.sync_service``.

The SIMPEG sync task may be retried by the flow: a retry is a new sync run that continues
from the failed one's checkpoint, so nothing is fetched or written twice.
"""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact

from diklat import sync_service

#: Columns of the counts table artifact (no personal data: counts only).
ARTIFACT_KEYS = ("sync_run_id", "sumber", "mode", "status", "inserted", "updated", "unchanged",
                 "deactivated", "quarantined", "seconds")


def _engine() -> Any:
    from diklat.db import get_engine
    from diklat.settings import get_settings

    return get_engine(get_settings().database_url)  # keyed by URL (settings may change)


def _flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    rid = flow_run.id
    return str(rid) if rid else None


class _PageLogger:
    """Logs progress to the run log every ``every`` pages (and phase changes)."""

    def __init__(self, every: int = 10) -> None:
        self.logger = get_run_logger()
        self.every = every
        self.pages = 0
        self.phase = ""

    def __call__(self, p: sync_service.Progress) -> None:
        if p.phase != self.phase:
            self.phase = p.phase
            self.logger.info("sync run %s: %s", p.run_id, p.phase)
        if p.phase in ("pegawai", "siasn"):
            self.pages += 1
            if self.pages % self.every == 0:
                self.logger.info("sync run %s: %d/%s records, %s", p.run_id, p.done,
                                 p.total if p.total is not None else "?", p.counts)


@task(name="sync-simpeg", task_run_name="sync-simpeg-{full}")
def sync_simpeg_task(full: bool = False) -> dict[str, object]:
    """Pull SIMPEG into the database (full or incremental; resumes an interrupted run)."""
    counts = sync_service.sync_simpeg(_engine(), full=full, progress=_PageLogger(),
                                      flow_run_id=_flow_run_id())
    get_run_logger().info("sync selesai: %s", counts)
    return counts


@task(name="refresh-siasn", retries=0)
def refresh_siasn_task(nips: list[str]) -> dict[str, object]:
    """Refresh the given NIPs from SIASN data-utama (bounded concurrency)."""
    counts = sync_service.refresh_from_siasn(_engine(), nips, progress=_PageLogger(every=1),
                                             flow_run_id=_flow_run_id())
    get_run_logger().info("refresh SIASN selesai: %s", counts)
    return counts


@task(name="publish-sync-artifact")
def publish_counts_task(counts: dict[str, object]) -> None:
    """A table artifact with the run's counts (no names, no NIPs)."""
    row = {k: counts.get(k) for k in ARTIFACT_KEYS}
    create_table_artifact(
        table=[row],
        key=f"sync-pegawai-{counts.get('sumber', 'simpeg')}",
        description=f"Sinkronisasi pegawai ({row['mode']}): {row['status']}",
    )
