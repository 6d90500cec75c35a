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


class TemporaryPrefectServer:
    """A temporary Prefect API server for one CLI run, started *before* Prefect is imported.

    Prefect starts the same server by itself when no ``PREFECT_API_URL`` is set, but only when
    the flow is called, and only after importing its whole server package into this process
    too (seconds of CPU on a small machine). Starting the identical subprocess here lets it
    boot while this process imports Prefect, and keeps the server package out of this
    process. The flow still runs as a normal Prefect flow against a real Prefect API.
    """

    def __init__(self) -> None:
        import socket
        import subprocess

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        env = {
            **os.environ,
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error",
             "--lifespan", "on"],
            env=env, stdout=subprocess.DEVNULL,
        )
        os.environ["PREFECT_API_URL"] = self.api_url

    def wait_ready(self, timeout: float = 120.0) -> None:
        import time
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server Prefect sementara berhenti (kode {self.proc.returncode})")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server Prefect sementara tidak siap dalam batas waktu")

    def stop(self) -> None:
        import subprocess

        _drain_prefect_workers()
        if os.environ.get("PREFECT_API_URL") == self.api_url:
            del os.environ["PREFECT_API_URL"]
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _drain_prefect_workers(timeout: float = 10.0) -> None:
    """Let Prefect send its queued logs and events before the server goes away (otherwise
    its exit handlers retry against a closed port for a long time)."""
    if "prefect" not in sys.modules:
        return
    try:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=timeout)
        EventsWorker.drain_all(timeout=timeout)
    except Exception:  # best effort: never turn a finished sync into a failure
        pass


def configured_api_url() -> str | None:
    """``PREFECT_API_URL`` from the environment or from the active Prefect profile
    (``$PREFECT_PROFILES_PATH`` or ``$PREFECT_HOME/profiles.toml``), read without importing
    Prefect."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    import tomllib

    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        doc = tomllib.loads(path.read_text())
    except (OSError, ValueError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or doc.get("active") or "ephemeral"
    profile = (doc.get("profiles") or {}).get(active) or {}
    url = profile.get("PREFECT_API_URL")
    return str(url) if url else None


def start_prefect_server_if_needed() -> TemporaryPrefectServer | None:
    """Start a temporary Prefect server unless a Prefect API is configured (environment or
    profile), or ``DIKLAT_PREFECT_BUILTIN_EPHEMERAL=1`` asks for Prefect's own lazy start."""
    if configured_api_url() or os.environ.get("DIKLAT_PREFECT_BUILTIN_EPHEMERAL"):
        return None
    return TemporaryPrefectServer()


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


def register(app: typer.Typer) -> None:
    """Add ``diklat sync`` to the main app."""
    app.command("sync")(sync_command)
