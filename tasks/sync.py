"""Tasks of the personnel sync: each one calls a plain function of ``diklat.pegawai.sync_service``.

Retries are decided in one layer, the connectors' (time-bounded, per call): a task is not
retried by Prefect on top of them. A failed run is continued from its checkpoint by the
next run, whoever starts it.
"""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from diklat import runs
from diklat.pegawai import sync_service
from tasks.runs import close_flow_runs, counts_row, flow_run_id, publish_counts


def _engine() -> Any:
    from diklat.db import get_engine
    from diklat.settings import get_settings

    return get_engine(get_settings().database_url)  # keyed by URL (settings may change)


class _PageLogger:
    """Logs progress to the run log every ``every`` pages (and phase changes); counts only."""

    PHASES = {
        "units": "unit kerja",
        "pegawai": "pegawai",
        "deactivate": "penonaktifan",
        "siasn": "SIASN",
        "done": "selesai",
    }

    def __init__(self, every: int = 10) -> None:
        self.logger = get_run_logger()
        self.every = every
        self.pages = 0
        self.phase = ""

    def __call__(self, p: sync_service.Progress) -> None:
        if p.phase != self.phase:
            self.phase = p.phase
            self.logger.info("run #%s: %s", p.run_id, self.PHASES.get(p.phase, p.phase))
        if p.phase in ("pegawai", "siasn"):
            self.pages += 1
            if self.pages % self.every == 0:
                c = p.counts
                self.logger.info(
                    "run #%s: %d/%s rekaman, %s baru, %s berubah, %s tetap, %s dikarantina",
                    p.run_id,
                    p.done,
                    p.total if p.total is not None else "?",
                    c.get("inserted"),
                    c.get("updated"),
                    c.get("unchanged"),
                    c.get("quarantined"),
                )


def _summary(counts: dict[str, object]) -> str:
    return (
        f"run #{counts.get('sync_run_id')}: {counts.get('inserted')} baru, "
        f"{counts.get('updated')} berubah, {counts.get('unchanged')} tetap, "
        f"{counts.get('deactivated')} dinonaktifkan, {counts.get('quarantined')} "
        f"dikarantina, {counts.get('seconds')} detik"
    )


def _sync_task_name() -> str:
    from prefect.runtime import task_run

    return "sinkron-simpeg-" + ("penuh" if task_run.parameters.get("full") else "inkremental")


def _close_dead_runs() -> None:
    """Runs left running by a killed process: closed here (and their Prefect flow runs)."""
    closed = runs.close_dead_runs(_engine())
    if closed:
        get_run_logger().warning(
            "%d run lama yang prosesnya sudah mati ditutup sebagai dihentikan: %s",
            len(closed),
            [c.id for c in closed],
        )
        close_flow_runs(closed)


@task(name="sinkron-simpeg", task_run_name=_sync_task_name, retries=0, cache_policy=NO_CACHE)
def sync_simpeg_task(full: bool = False) -> dict[str, object]:
    """Pull SIMPEG into the database (full or incremental; resumes an interrupted run)."""
    _close_dead_runs()
    counts = sync_service.sync_simpeg(
        _engine(), full=full, progress=_PageLogger(), flow_run_id=flow_run_id()
    )
    get_run_logger().info("sinkronisasi selesai, %s", _summary(counts))
    return counts


@task(
    name="perbarui-dari-siasn",
    task_run_name="perbarui-dari-siasn-permintaan-{permintaan}",
    retries=0,
    cache_policy=NO_CACHE,
)
def refresh_siasn_task(permintaan: int) -> dict[str, object]:
    """Refresh the NIPs of request ``permintaan`` from SIASN data-utama (bounded
    concurrency); the NIPs come from the database, never from a parameter."""
    _close_dead_runs()
    engine = _engine()
    nips = sync_service.load_request(engine, permintaan)
    get_run_logger().info("%d NIP diminta dari SIASN", len(nips))
    counts = sync_service.refresh_from_siasn(
        engine, nips, progress=_PageLogger(every=1), flow_run_id=flow_run_id()
    )
    sync_service.drop_request(engine, permintaan)
    get_run_logger().info("pembaruan SIASN selesai, %s", _summary(counts))
    return counts


@task(name="terbitkan-hitungan-sinkron", cache_policy=NO_CACHE)
def publish_counts_task(counts: dict[str, object]) -> None:
    """A table artifact with the run's counts first (no names, no NIPs)."""
    row = counts_row(counts, [("sumber", counts.get("sumber"))])
    publish_counts(
        f"sync-pegawai-{counts.get('sumber', 'simpeg')}",
        [row],
        f"Sinkronisasi pegawai ({row['jenis']}): {row['status']}",
    )
