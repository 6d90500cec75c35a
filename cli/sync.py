"""``diklat sync``: run the personnel sync flow once, with a progress bar.

``--json`` prints the sync run's counts as one JSON object on the last line of stdout
(``inserted, updated, unchanged, deactivated, quarantined, seconds, status, sync_run_id``).
Exit status: 0 done, 1 the run failed (the message says why and what to do), 2 input
refused (an invalid NIP), 130 interrupted (the next run continues from the checkpoint).

``--nip`` NIPs are checked with the rules of ``diklat nip check`` and stored as a request in
the database; the flow receives the request's id, never a NIP.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from cli import common
from cli.flowrun import FlowCommand
from cli.prefect_server import (  # noqa: F401  (re-exported for older imports)
    TemporaryPrefectServer,
    configured_api_url,
    drain_prefect_workers,
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

    from diklat.pegawai import sync_service

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=common.err_console,
        transient=False,
    )
    task_id = bar.add_task("sinkronisasi", total=None, counts="")
    names = {
        "units": "unit kerja",
        "pegawai": "pegawai",
        "deactivate": "penonaktifan",
        "siasn": "SIASN",
        "done": "selesai",
    }

    def listener(p: sync_service.Progress) -> None:
        c = p.counts
        summary = (
            (
                f"+{c.get('inserted', 0)} ~{c.get('updated', 0)} ={c.get('unchanged', 0)} "
                f"!{c.get('quarantined', 0)}"
            )
            if c
            else ""
        )
        bar.update(
            task_id,
            description=names.get(p.phase, p.phase),
            completed=p.done,
            total=p.total,
            counts=summary,
        )

    return bar, listener


def sync_command(
    full: bool = typer.Option(
        False,
        "--full",
        help="ambil semua pegawai (bukan hanya yang berubah) dan "
        "nonaktifkan yang tidak ada lagi di SIMPEG",
    ),
    as_json: bool = typer.Option(False, "--json", help="cetak hitungan sebagai satu objek JSON"),
    nip: list[str] | None = typer.Option(
        None, "--nip", metavar="NIP", help="perbarui NIP ini dari SIASN (boleh berulang)"
    ),
) -> None:
    """Sinkronkan data pegawai dari SIMPEG (atau perbarui NIP tertentu dari SIASN)."""
    nips = [n for n in (nip or []) if n.strip()]
    if nip is not None and not nips:
        raise common.refuse("--nip kosong: beri NIP 18 digit")
    if nips:
        from diklat.pegawai.sync_service import invalid_nips

        bad = invalid_nips(nips)
        if bad:
            raise common.refuse(
                "NIP tidak valid, tidak ada yang dijalankan: "
                + "; ".join(f"{n} ({reason})" for n, reason in bad)
            )
    with FlowCommand() as fc:
        _run(fc, full, as_json, nips)


def _run(fc: FlowCommand, full: bool, as_json: bool, nips: list[str]) -> None:
    from diklat import runs
    from diklat.db import ensure_schema, get_engine
    from diklat.pegawai import sync_service
    from diklat.pegawai.personnel import LOCK, MODE_LABEL, describe_run
    from flows.sync_pegawai import sync_pegawai

    ensure_schema()  # while the Prefect server boots
    engine = get_engine()
    holder = runs.lock_holder(engine, LOCK, describe_run)
    if holder is not None:
        raise common.fail(str(holder))
    permintaan = sync_service.save_request(engine, nips) if nips else None
    show_bar = sys.stderr.isatty()  # a terminal only: logs and pipes get the result line
    bar, listener = _progress_listener(show_bar)
    counts: dict[str, Any] | None = None
    error: str | None = None
    failed_nips: tuple[str, ...] = ()
    started = runs.utcnow()
    try:
        fc.ready()
        if listener is not None:
            sync_service.add_progress_listener(listener)
            bar.start()
        counts = fc.run(sync_pegawai, full=full, permintaan=permintaan)
    except sync_service.SyncFailed as e:
        counts, error, failed_nips = e.counts, str(e), e.nips
    except runs.RunBusy as e:
        raise common.fail(str(e)) from None
    except BaseException as e:
        if runs.is_interrupt(e):
            raise fc.interrupted() from None
        # Prefect trouble (its server went away...): the database says what the run did.
        mine = runs.own_latest(engine, since=started)
        if mine is None or mine.status != runs.SUCCESS:
            raise
        from diklat.pegawai.personnel import run_counts

        counts = run_counts(engine, mine.id)
        common.notice(
            f"Prefect API tidak menjawab ({runs.safe_error(e)}); run #{mine.id} "
            "selesai di basis data, riwayat run Prefect-nya mungkin tidak lengkap"
        )
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
        status = str(counts.get("status"))
        mode = str(counts.get("mode"))
        common.console.print(
            f"Sinkronisasi {MODE_LABEL.get(mode, mode)} ({runs.STATUS_LABEL.get(status, status)}"
            f"): {counts.get('inserted')} baru, {counts.get('updated')} berubah, "
            f"{counts.get('unchanged')} tetap, {counts.get('deactivated')} dinonaktifkan, "
            f"{counts.get('quarantined')} dikarantina, {counts.get('seconds')} detik "
            f"(run #{counts.get('sync_run_id')})"
        )
    if error or (counts and counts.get("status") != runs.SUCCESS):
        which = f"; NIP yang gagal: {', '.join(failed_nips)}" if failed_nips else ""
        raise common.fail(f"sinkronisasi gagal: {error or counts}{which}")


def add_commands(app: typer.Typer) -> None:
    """Add ``diklat sync`` to the main app."""
    app.command("sync")(sync_command)
