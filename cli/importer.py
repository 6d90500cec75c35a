"""``diklat import siasn-export FILE [--full] [--json]``: load SIASN's "Export Data ASN" file.

The file is checked here first (a refused file never starts a flow run and writes nothing),
then the ``import-siasn-export`` flow runs once, with a progress bar on stderr. ``--json``
prints the counts as one JSON object on the last line of stdout (``inserted, updated,
unchanged, deactivated, quarantined, seconds, status, sync_run_id, file_sha256``).
Exit status: 0 when the import ran (even with quarantined rows), 2 when the file was refused,
1 when the import failed (the database is then as it was before).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

from cli import common

import_app = typer.Typer(help="Impor data dari file (Export Data ASN dari SIASN).",
                         no_args_is_help=True)

EXIT_REFUSED = 2
EXIT_FAILED = 1


def _locate(file: str) -> Path:
    """FILE as given (relative to the current directory) or, failing that, inside the import
    folder (``settings.import_dir``), like the flow run from the UI."""
    from diklat.siasn_export import ExportRefused, resolve_import_path

    p = Path(file).expanduser()
    if p.exists() or p.is_absolute():
        return p.resolve()
    try:
        in_import_dir = resolve_import_path(file)
    except ExportRefused:  # would leave the import folder: report it as not found here
        return p.resolve()
    return in_import_dir if in_import_dir.exists() else p.resolve()


def _progress(enabled: bool) -> tuple[Any, Any]:
    if not enabled:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("[bold]impor[/]"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=common.err_console, transient=False)
    task_id = bar.add_task("impor", total=None)

    def listener(done: int, total: int) -> None:
        bar.update(task_id, completed=done, total=total)

    return bar, listener


def _refused(message: str, as_json: bool) -> typer.Exit:
    if as_json:
        common.print_json({"inserted": 0, "updated": 0, "unchanged": 0, "deactivated": 0,
                           "quarantined": 0, "seconds": 0.0, "status": "refused",
                           "error": message})
    return common.fail(f"file ditolak, tidak ada yang ditulis / file refused, nothing "
                       f"written: {message}", EXIT_REFUSED)


@import_app.command("siasn-export")
def siasn_export_command(
    file: str = typer.Argument(..., help="file CSV 'Export Data ASN' (relatif: dari folder "
                                         "kerja, lalu dari folder impor)"),
    full: bool = typer.Option(False, "--full", help="file berisi SELURUH pegawai instansi: "
                              "pegawai yang tidak ada di file dinonaktifkan (tidak dihapus)"),
    as_json: bool = typer.Option(False, "--json", help="cetak hitungan sebagai satu objek JSON"),
) -> None:
    """Impor file Export Data ASN dari SIASN ke tabel pegawai."""
    from diklat import siasn_export

    path = _locate(file)
    try:
        info = siasn_export.inspect_export(path)
    except siasn_export.ExportRefused as e:
        raise _refused(str(e), as_json) from None
    for notice in info.notices():
        common.err_console.print(f"[yellow]Catatan:[/] {notice}")

    home = os.environ.get("PREFECT_HOME")
    if home:  # Prefect cannot create it when var/ itself does not exist yet
        Path(home).mkdir(parents=True, exist_ok=True)
    # Same as ``diklat sync``: without PREFECT_API_URL a temporary Prefect server boots in a
    # subprocess while this process imports Prefect (only after the file was accepted).
    from cli.prefect_server import start_prefect_server_if_needed

    server = start_prefect_server_if_needed()
    try:
        counts = _run(path, full, as_json, info.sha256, server)
    finally:
        if server is not None:
            server.stop()
    if as_json:
        common.print_json(counts)
        return
    common.console.print(
        f"Impor {counts['file_name']} ({counts['mode']}, {counts['status']}): "
        f"{counts['inserted']} baru, {counts['updated']} berubah, {counts['unchanged']} tetap, "
        f"{counts['deactivated']} dinonaktifkan, {counts['quarantined']} dikarantina, "
        f"{counts['seconds']} s (run #{counts['sync_run_id']})")
    if counts["quarantined"]:
        common.console.print(f"[yellow]{counts['quarantined']} baris dikarantina[/]: lihat tabel "
                             f"karantina, sync_run_id={counts['sync_run_id']}")


def _run(path: Path, full: bool, as_json: bool, sha256: str, server: Any) -> dict[str, Any]:
    from diklat import siasn_export
    from flows.import_siasn_export import import_siasn_export

    bar, listener = _progress(sys.stderr.isatty() or not as_json)
    try:
        if server is not None:
            server.wait_ready()
        if listener is not None:  # after the Prefect server is up: the bar times the import
            siasn_export.add_progress_listener(listener)
            bar.start()
        counts: dict[str, Any] = import_siasn_export(path=str(path), full=full)
    except siasn_export.ExportRefused as e:  # changed between the check and the run
        raise _refused(str(e), as_json) from None
    except Exception as e:  # ImportFailed, database or Prefect trouble: a message, no traceback
        message = str(e) if isinstance(e, siasn_export.ImportFailed) else \
            f"{e.__class__.__name__}: {e}"
        if as_json:
            out: dict[str, Any] = {"inserted": 0, "updated": 0, "unchanged": 0,
                                   "deactivated": 0, "quarantined": 0, "seconds": 0.0,
                                   "status": "failed", "error": message, "file_sha256": sha256}
            if isinstance(e, siasn_export.ImportFailed):
                out["sync_run_id"] = e.sync_run_id
            common.print_json(out)
        raise common.fail(f"impor gagal, basis data tidak berubah / import failed, database "
                          f"unchanged: {message}", EXIT_FAILED) from None
    finally:
        if listener is not None:
            bar.stop()
            siasn_export.remove_progress_listener(listener)
    return counts


def add_commands(app: typer.Typer) -> None:
    """Add ``diklat import ...`` to the main app."""
    app.add_typer(import_app, name="import")
