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
from cli.prefect_server import (  # noqa: F401  (re-exported for older imports)
    TemporaryPrefectServer,
    _drain_prefect_workers,
    configured_api_url,
    start_prefect_server_if_needed,
)


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
    import signal

    def _terminate(signum: int, frame: object) -> None:
        # A stop request (service manager, Prefect cancel) ends the run like Ctrl-C: the run is
        # marked failed with its checkpoint and the next run continues it.
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        previous = None
    server = start_prefect_server_if_needed()  # boots while we import Prefect below
    code = 0
    try:
        _run(full, as_json, nip, server)
    except typer.Exit as e:
        code = e.exit_code
        raise
    except BaseException:  # interrupted (Ctrl-C, SIGTERM): the run is marked failed
        code = 130
        raise
    finally:
        if server is not None:
            server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        _fast_exit(code)


def _fast_exit(code: int) -> None:
    """As the ``diklat`` process itself, leave without the interpreter's teardown of Prefect's
    modules and threads (about half a second): everything is committed, drained and flushed
    by now. Never inside another program (tests call the command in-process)."""
    if Path(sys.argv[0]).name not in ("diklat", "main.py") or os.environ.get(
            "DIKLAT_NO_FAST_EXIT"):
        return
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _run(full: bool, as_json: bool, nip: list[str] | None,
         server: TemporaryPrefectServer | None) -> None:
    from diklat import sync_service
    from flows.sync_pegawai import ensure_schema, sync_pegawai

    show_bar = sys.stderr.isatty() or not as_json
    bar, listener = _progress_listener(show_bar)
    if listener is not None:
        sync_service.add_progress_listener(listener)
        bar.start()
    counts: dict[str, object] | None = None
    error: str | None = None
    try:
        ensure_schema()  # while the Prefect server boots
        if server is not None:
            server.wait_ready()
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


def add_commands(app: typer.Typer) -> None:
    """Add ``diklat sync`` to the main app."""
    app.command("sync")(sync_command)
