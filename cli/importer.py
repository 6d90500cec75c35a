"""``diklat import siasn-export FILE [--full] [--paksa] [--json]``: load SIASN's "Export Data
ASN" file.

The file is checked here first (a refused file never starts a flow run and writes nothing),
then the ``import-siasn-export`` flow runs once, with a progress bar on stderr. ``--json``
prints the counts as one JSON object on the last line of stdout (``inserted, updated,
unchanged, deactivated, quarantined, seconds, status, sync_run_id, file_sha256``).
Exit status: 0 when the import ran (even with quarantined rows), 2 when the file was refused,
1 when the import failed (the database is then as it was before), 130 interrupted.

FILE is any file the operator can read (relative: from the working folder, then from the
import folder). The flow itself only accepts names inside the import folder (what the
Prefect UI and API reach), so a file elsewhere is linked (or copied) into a private
subfolder there for the run and removed afterwards: the flow's parameters hold a name,
never an absolute path.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from cli import common
from cli.flowrun import FlowCommand

import_app = common.new_app(help="Impor data dari berkas (Export Data ASN dari SIASN).")

EXIT_REFUSED = common.EXIT_REFUSED
EXIT_FAILED = common.EXIT_FAILED
_EMPTY_COUNTS = {
    "inserted": 0,
    "updated": 0,
    "unchanged": 0,
    "deactivated": 0,
    "quarantined": 0,
    "seconds": 0.0,
}


def _import_dir() -> Path:
    from diklat.settings import get_settings

    base = get_settings().import_dir
    assert base is not None  # filled in by the settings validator
    return Path(base)


def _locate(file: str) -> Path:
    """FILE as given (relative to the current directory) or, failing that, inside the import
    folder (``settings.import_dir``), like the flow run from the UI."""
    from diklat.pegawai.siasn_export import ExportRefused, resolve_import_path

    p = Path(file).expanduser()
    if p.exists() or p.is_absolute():
        return p.resolve()
    try:
        in_import_dir = resolve_import_path(file)
    except ExportRefused:  # would leave the import folder: report it as not found here
        return p.resolve()
    return in_import_dir if in_import_dir.exists() else p.resolve()


@contextlib.contextmanager
def name_in_import_dir(path: Path) -> Iterator[str]:
    """The name the flow gets for ``path``: its path relative to the import folder, or a
    link (a copy across file systems) in a private subfolder there, removed afterwards.
    A link keeps the file's modification time (the age check relies on it)."""
    base = _import_dir().resolve()
    real = path.resolve()
    if real.is_relative_to(base) and real != base:
        yield real.relative_to(base).as_posix()
        return
    _remove_stale_stages(base)
    stage = base / f".cli-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    stage.mkdir(parents=True)
    target = stage / path.name
    try:
        try:
            os.link(real, target)
        except OSError:
            shutil.copy2(real, target)
        yield target.relative_to(base).as_posix()
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _remove_stale_stages(base: Path) -> None:
    """Links left by an import whose process was killed (kill -9): removed."""
    from diklat.runs import pid_alive

    for stage in base.glob(".cli-*"):
        try:
            pid = int(stage.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not pid_alive(pid):
            shutil.rmtree(stage, ignore_errors=True)


def _progress(enabled: bool) -> tuple[Any, Any]:
    if not enabled:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[bold]impor[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=common.err_console,
        transient=False,
    )
    task_id = bar.add_task("impor", total=None)

    def listener(done: int, total: int) -> None:
        bar.update(task_id, completed=done, total=total)

    return bar, listener


def _refused(message: str, as_json: bool) -> typer.Exit:
    if as_json:
        common.print_json({**_EMPTY_COUNTS, "status": "refused", "error": message})
    return common.refuse(f"berkas ditolak, tidak ada yang ditulis: {message}")


@import_app.command("siasn-export")
def siasn_export_command(
    file: str = typer.Argument(
        ...,
        metavar="BERKAS",
        help="berkas CSV 'Export Data ASN' (relatif: dari folder kerja, lalu dari folder impor)",
    ),
    full: bool = typer.Option(
        False,
        "--full",
        help="berkas berisi SELURUH pegawai instansi: "
        "pegawai yang tidak ada di berkas dinonaktifkan (tidak dihapus)",
    ),
    paksa: bool = typer.Option(
        False,
        "--paksa",
        help="izinkan --full dari berkas yang lebih lama dari data yang sudah tersimpan",
    ),
    as_json: bool = typer.Option(False, "--json", help="cetak hitungan sebagai satu objek JSON"),
) -> None:
    """Impor berkas Export Data ASN dari SIASN ke tabel pegawai."""
    from diklat.pegawai import siasn_export

    path = _locate(file)
    try:
        info = siasn_export.inspect_export(path)
    except siasn_export.ExportRefused as e:
        raise _refused(str(e), as_json) from None
    for notice in info.notices():
        common.notice(notice)
    with FlowCommand() as fc:
        counts = _run(fc, path, full, paksa, as_json, info.sha256)
    if as_json:
        common.print_json(counts)
        return
    from diklat import runs
    from diklat.pegawai.personnel import MODE_LABEL

    for notice in counts.get("notices") or []:
        if notice not in info.notices():
            common.notice(notice)
    status, mode = str(counts["status"]), str(counts["mode"])
    common.console.print(
        f"Impor {counts['file_name']} ({MODE_LABEL.get(mode, mode)}, "
        f"{runs.STATUS_LABEL.get(status, status)}): {counts['inserted']} baru, "
        f"{counts['updated']} berubah, {counts['unchanged']} tetap, "
        f"{counts['deactivated']} dinonaktifkan, {counts['quarantined']} dikarantina, "
        f"{counts['seconds']} detik (run #{counts['sync_run_id']})"
    )
    if counts["quarantined"]:
        common.console.print(
            f"[yellow]{counts['quarantined']} baris dikarantina[/]: lihat "
            "`diklat karantina list --sumber export`"
        )


def _run(
    fc: FlowCommand, path: Path, full: bool, paksa: bool, as_json: bool, sha256: str
) -> dict[str, Any]:
    from diklat import runs
    from diklat.db import ensure_schema, get_engine
    from diklat.pegawai import siasn_export
    from diklat.pegawai.personnel import LOCK, describe_run
    from flows.import_siasn_export import import_siasn_export

    ensure_schema()  # while the Prefect server boots
    holder = runs.lock_holder(get_engine(), LOCK, describe_run)
    if holder is not None:
        raise common.fail(str(holder))
    bar, listener = _progress(sys.stderr.isatty())  # a terminal only
    started = runs.utcnow()
    try:
        with name_in_import_dir(path) as name:
            fc.ready()
            if listener is not None:  # after the Prefect server is up: the bar times the import
                siasn_export.add_progress_listener(listener)
                bar.start()
            counts: dict[str, Any] = fc.run(import_siasn_export, path=name, full=full, paksa=paksa)
    except siasn_export.ExportRefused as e:  # changed since the check, or too old for --full
        raise _refused(str(e), as_json) from None
    except runs.RunBusy as e:
        raise common.fail(str(e)) from None
    except siasn_export.ImportFailed as e:
        if as_json:
            common.print_json(
                {
                    **_EMPTY_COUNTS,
                    "status": "failed",
                    "error": str(e),
                    "file_sha256": sha256,
                    "sync_run_id": e.sync_run_id,
                }
            )
        raise common.fail(f"impor gagal: {e}") from None
    except BaseException as e:
        if runs.is_interrupt(e):
            raise fc.interrupted() from None
        # Prefect trouble (its server went away...): the database says what the run did.
        mine = runs.own_latest(get_engine(), since=started)
        if mine is None or mine.status != runs.SUCCESS:
            raise
        common.notice(
            f"Prefect API tidak menjawab ({runs.safe_error(e)}); run #{mine.id} "
            "selesai di basis data, riwayat run Prefect-nya mungkin tidak lengkap"
        )
        counts = _counts_of(mine)
    finally:
        if listener is not None:
            bar.stop()
            siasn_export.remove_progress_listener(listener)
    return counts


def _counts_of(row: Any) -> dict[str, Any]:
    """The ``--json`` counts of a finished import run, read from its row."""
    from diklat.db import get_engine
    from diklat.pegawai.personnel import run_counts

    counts: dict[str, Any] = dict(run_counts(get_engine(), row.id))
    counts.update(file_name=row.file_name, file_sha256=row.file_sha256, notices=[], rows=row.seen)
    return counts


def add_commands(app: typer.Typer) -> None:
    """Add ``diklat import ...`` to the main app."""
    app.add_typer(import_app, name="import")
