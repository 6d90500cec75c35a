"""``diklat sync``: run the personnel sync flow once, with a progress bar.

``--json`` prints the sync run's counts as one JSON object on the last line of stdout
(``inserted, updated, unchanged, deactivated, quarantined, seconds, status, sync_run_id``).
The exit status is non-zero when the run failed; the message says why and what to do.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

from cli import common


def _progress_listener(enabled: bool) -> tuple[Any, Any]:
    """A rich progress bar on stderr, fed by the sync service's progress events."""
    if not enabled:
        return None, None
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from diklat import sync_service

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                   console=common.err_console, transient=False)
    task_id = bar.add_task("sinkronisasi", total=None, counts="")
    names = {"units": "unit kerja", "pegawai": "pegawai", "deactivate": "penonaktifan",
             "siasn": "SIASN", "done": "selesai"}

    def listener(p: sync_service.Progress) -> None:
        c = p.counts
        summary = (f"+{c.get('inserted', 0)} ~{c.get('updated', 0)} ={c.get('unchanged', 0)} "
                   f"!{c.get('quarantined', 0)}") if c else ""
        bar.update(task_id, description=names.get(p.phase, p.phase), completed=p.done,
                   total=p.total, counts=summary)

    return bar, listener


def sync_command(
    full: bool = typer.Option(False, "--full", help="ambil semua pegawai (bukan hanya yang berubah)"),
    as_json: bool = typer.Option(False, "--json", help="cetak hitungan sebagai satu objek JSON"),
    nip: list[str] | None = typer.Option(None, "--nip", help="perbarui NIP ini dari SIASN "
                                          "(boleh berulang)"),
) -> None:
    """Sinkronkan data pegawai dari SIMPEG (atau perbarui NIP tertentu dari SIASN)."""
    home = os.environ.get("PREFECT_HOME")
    if home:  # Prefect cannot create a nested home itself (fresh ./var)
        Path(home).mkdir(parents=True, exist_ok=True)
    from diklat import sync_service
    from flows.sync_pegawai import sync_pegawai

    show_bar = sys.stderr.isatty() or not as_json
    bar, listener = _progress_listener(show_bar)
    if listener is not None:
        sync_service.add_progress_listener(listener)
        bar.start()
    counts: dict[str, object] | None = None
    error: str | None = None
    try:
        counts = sync_pegawai(full=full, nips=list(nip) if nip else None)
    except sync_service.SyncFailed as e:
        counts, error = e.counts, str(e)
    except Exception as e:  # Prefect or database trouble: say what, not a traceback
        error = f"{e.__class__.__name__}: {e}"
    finally:
        if listener is not None:
            bar.stop()
            sync_service.remove_progress_listener(listener)
    if as_json:
        out = dict(counts or {"status": "failed"})
        if error:
            out["status"] = "failed"
            out["error"] = error
        common.print_json(out)
    elif counts:
        common.console.print(
            f"Sinkronisasi {counts.get('mode')} ({counts.get('status')}): "
            f"{counts.get('inserted')} baru, {counts.get('updated')} berubah, "
            f"{counts.get('unchanged')} tetap, {counts.get('deactivated')} dinonaktifkan, "
            f"{counts.get('quarantined')} dikarantina, {counts.get('seconds')} s "
            f"(run #{counts.get('sync_run_id')})")
    if error or (counts and counts.get("status") != "success"):
        raise common.fail(f"sinkronisasi gagal: {error or counts}")


def register(app: typer.Typer) -> None:
    """Add ``diklat sync`` to the main app."""
    app.command("sync")(sync_command)
