"""Tasks of the SIASN export import: thin wrappers over :mod:`diklat.pegawai.siasn_export`."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from diklat import runs
from diklat.pegawai import siasn_export
from tasks.runs import close_flow_runs, counts_row, flow_run_id, publish_counts


class _BatchLogger:
    """Progress in the run log every ``every`` batches (counts only)."""

    def __init__(self, every: int = 5) -> None:
        self.logger = get_run_logger()
        self.every = every
        self.calls = 0

    def __call__(self, done: int, total: int) -> None:
        self.calls += 1
        if self.calls % self.every == 0:
            self.logger.info("impor: %d/%d baris", done, total)


@task(name="periksa-berkas", task_run_name="periksa-berkas-{path}", cache_policy=NO_CACHE)
def inspect_export_task(path: str) -> dict[str, Any]:
    """Check the file before anything is written (refusal raises ``ExportRefused``);
    ``path`` is a name inside the import folder."""
    info = siasn_export.inspect_export(siasn_export.resolve_import_path(path))
    logger = get_run_logger()
    logger.info(
        "berkas %s: %d bita, pemisah %s, SHA-256 %s",
        info.path.name,
        info.size,
        info.delimiter_name,
        info.sha256,
    )
    for notice in info.notices():
        logger.warning(notice)
    return {
        "file_name": info.path.name,
        "file_sha256": info.sha256,
        "size": info.size,
        "delimiter": info.delimiter_name,
        "notices": info.notices(),
    }


@task(name="impor-export", task_run_name="impor-export-{path}", cache_policy=NO_CACHE, retries=0)
def import_export_task(path: str, full: bool, paksa: bool = False) -> dict[str, Any]:
    """The whole import in one database transaction; returns the counts."""
    from diklat.db import get_engine

    engine = get_engine()
    closed = runs.close_dead_runs(engine)
    if closed:
        close_flow_runs(closed)
    res = siasn_export.import_export(
        engine,
        siasn_export.resolve_import_path(path),
        full=full,
        paksa=paksa,
        progress=_BatchLogger(),
        flow_run_id=flow_run_id(),
    )
    logger = get_run_logger()
    for notice in res.notices:
        logger.warning(notice)
    logger.info(
        "impor selesai (run #%s): %d baru, %d berubah, %d tetap, %d dinonaktifkan, "
        "%d dikarantina, %.1f detik",
        res.sync_run_id,
        res.inserted,
        res.updated,
        res.unchanged,
        res.deactivated,
        res.quarantined,
        res.seconds,
    )
    return res.as_json()


@task(name="terbitkan-hitungan-impor", cache_policy=NO_CACHE)
def publish_import_artifact_task(counts: dict[str, Any]) -> None:
    """A table artifact with the import's counts first (no names, no NIPs, no contact
    data); the file's identity after them (its hash shortened; the run row has it whole)."""
    sha = str(counts.get("file_sha256") or "")
    row = counts_row(
        counts,
        [("baris", counts.get("rows")), ("berkas", counts.get("file_name")), ("sha256", sha[:12])],
    )
    notices = counts.get("notices") or []
    description = f"Impor Export Data ASN ({row['jenis']}): {row['status']}"
    if notices:
        description += "\n\n" + "\n".join(f"- {n}" for n in notices)
    publish_counts("import-siasn-export", [row], description)
