"""Tasks of the SIASN export import: thin wrappers over :mod:`diklat.siasn_export`."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from diklat import siasn_export

#: Columns of the counts table artifact (counts and file identity only, no personal data).
ARTIFACT_KEYS = ("sync_run_id", "file_name", "file_sha256", "mode", "status", "rows", "inserted",
                 "updated", "unchanged", "deactivated", "quarantined", "seconds")


def _flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    rid = flow_run.id
    return str(rid) if rid else None


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


@task(name="inspect-siasn-export", cache_policy=NO_CACHE)
def inspect_export_task(path: str) -> dict[str, Any]:
    """Check the file before anything is written (refusal raises ``ExportRefused``)."""
    info = siasn_export.inspect_export(path)
    logger = get_run_logger()
    logger.info("file %s: %d byte, pemisah %s, SHA-256 %s", info.path.name, info.size,
                info.delimiter_name, info.sha256)
    for notice in info.notices():
        logger.warning(notice)
    return {"file_name": info.path.name, "file_sha256": info.sha256, "size": info.size,
            "delimiter": info.delimiter_name, "notices": info.notices()}


@task(name="import-siasn-export", cache_policy=NO_CACHE, retries=0)
def import_export_task(path: str, full: bool) -> dict[str, Any]:
    """The whole import in one database transaction; returns the counts."""
    from diklat.db import get_engine

    res = siasn_export.import_export(get_engine(), path, full=full, progress=_BatchLogger(),
                                     flow_run_id=_flow_run_id())
    get_run_logger().info(
        "impor selesai (run #%s): %d baru, %d berubah, %d tetap, %d dinonaktifkan, "
        "%d dikarantina, %.1f s", res.sync_run_id, res.inserted, res.updated, res.unchanged,
        res.deactivated, res.quarantined, res.seconds)
    return res.as_json()


@task(name="publish-import-artifact", cache_policy=NO_CACHE)
def publish_import_artifact_task(counts: dict[str, Any]) -> None:
    """A table artifact with the import's counts (no names, no NIPs, no contact data)."""
    row = {k: counts.get(k) for k in ARTIFACT_KEYS}
    notices = counts.get("notices") or []
    description = f"Impor Export Data ASN ({row['mode']}): {row['status']}"
    if notices:
        description += "\n\n" + "\n".join(f"- {n}" for n in notices)
    create_table_artifact(table=[row], key="import-siasn-export", description=description)
