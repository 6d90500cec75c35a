"""Flow: import SIASN's "Export Data ASN" file into the employee table.

An operator places the file in the agency's import folder (``settings.import_dir``) and runs
this flow from the Prefect UI with the file's name there; ``diklat import siasn-export FILE``
runs the same flow from the command line (any file the operator can read: the CLI hands the
flow a name inside the import folder). The flow accepts only names inside that folder: an
absolute path, ``~`` or a name leading out of it is refused, the same way whether such a
file exists or not. The file is checked first (nothing is written if it is refused), then
imported in one database transaction, and the counts are published as a table artifact.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from prefect import flow, get_run_logger

from diklat.pegawai import siasn_export
from tasks.import_export import (
    import_export_task,
    inspect_export_task,
    publish_import_artifact_task,
)
from tasks.runs import cancel_on_interrupt


def run_name() -> str:
    """``impor-export-<file name>`` (``-penuh`` for a full import)."""
    from prefect.runtime import flow_run

    params = flow_run.parameters
    name = PurePath(str(params.get("path") or "")).name or "berkas"
    return f"impor-export-{name}" + ("-penuh" if params.get("full") else "")


@flow(
    name="import-siasn-export",
    flow_run_name=run_name,
    log_prints=False,
    on_crashed=[cancel_on_interrupt],
)
def import_siasn_export(path: str, full: bool = False, paksa: bool = False) -> dict[str, Any]:
    """Import the export file named ``path`` inside the import folder. ``full``: the file is
    the whole agency, employees absent from it are marked inactive (never deleted);
    refused for a file older than the stored data unless ``paksa``. Returns the counts
    (``inserted, updated, unchanged, deactivated, quarantined, seconds, status,
    sync_run_id, file_sha256``)."""
    from diklat.db import require_schema

    logger = get_run_logger()
    try:
        siasn_export.resolve_import_path(path)
        inspect_export_task(path)
    except siasn_export.ExportRefused as e:
        logger.error("berkas ditolak, tidak ada yang ditulis: %s", e)
        raise
    require_schema()  # migrated by the command or deployment that started it
    try:
        counts = import_export_task(path, full, paksa)
    except siasn_export.ExportRefused as e:
        logger.error("berkas ditolak, tidak ada yang ditulis: %s", e)
        raise
    except siasn_export.ImportFailed as e:
        logger.error("impor gagal (run #%s): %s", e.sync_run_id, e)
        raise
    publish_import_artifact_task(counts)
    return counts


DEPLOYMENT_NAME = "manual"


def deployment(**kw: Any) -> Any:
    """A deployment without a schedule, so an operator can start the import from the Prefect
    UI ("Run" -> file name inside the import folder, optionally ``full``)."""
    return import_siasn_export.to_deployment(
        name=DEPLOYMENT_NAME,
        description="Impor berkas 'Export Data ASN' SIASN dari folder impor (nama berkas di "
        "dalam settings.import_dir; jalur lain ditolak)",
        tags=["import", "pegawai", "siasn"],
        **kw,
    )


def serve() -> None:  # pragma: no cover - blocks forever
    """Serve the manual deployment from this process."""
    from prefect import serve as prefect_serve

    prefect_serve(deployment())
