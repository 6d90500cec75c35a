"""Flow: import SIASN's "Export Data ASN" file into the employee table.

An operator places the file in the agency's import folder (``settings.import_dir``) and runs
this flow from the Prefect UI with the file name (a relative path is taken inside the import
folder); ``diklat import siasn-export FILE`` runs the same flow from the command line. The
file is checked first (nothing is written if it is refused), then imported in one database
transaction, and the counts are published as a table artifact.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from diklat import siasn_export
from tasks.import_export import (
    import_export_task,
    inspect_export_task,
    publish_import_artifact_task,
)


@flow(name="import-siasn-export", log_prints=False)
def import_siasn_export(path: str, full: bool = False) -> dict[str, Any]:
    """Import the export file at ``path`` (relative: inside the import folder). ``full``: the
    file is the whole agency, employees absent from it are marked inactive (never deleted).
    Returns the counts (``inserted, updated, unchanged, deactivated, quarantined, seconds,
    status, sync_run_id, file_sha256``)."""
    from diklat.db import migrate

    resolved = str(siasn_export.resolve_import_path(path))
    logger = get_run_logger()
    try:
        inspect_export_task(resolved)
    except siasn_export.ExportRefused as e:
        logger.error("file ditolak, tidak ada yang ditulis / file refused: %s", e)
        raise
    migrate()
    try:
        counts = import_export_task(resolved, full)
    except siasn_export.ImportFailed as e:
        logger.error("impor gagal (run #%s): %s", e.sync_run_id, e)
        raise
    publish_import_artifact_task(counts)
    return counts


DEPLOYMENT_NAME = "manual"


def deployment() -> Any:
    """A deployment without a schedule, so an operator can start the import from the Prefect
    UI ("Run" -> file name inside the import folder, optionally ``full``)."""
    return import_siasn_export.to_deployment(
        name=DEPLOYMENT_NAME,
        description="Impor file 'Export Data ASN' SIASN dari folder impor (nama file relatif "
                    "terhadap settings.import_dir)",
        tags=["import", "pegawai", "siasn"],
    )


def serve() -> None:  # pragma: no cover - blocks forever
    """Serve the manual deployment from this process."""
    from prefect import serve as prefect_serve

    prefect_serve(deployment())
