"""Which Prefect API a CLI run talks to, and the local Prefect server (``diklat server``).

Order: ``PREFECT_API_URL`` in the environment or the active Prefect profile; else the local
server that ``diklat server start`` keeps running (its UI at the printed address, run history
in ``var/prefect``); else a temporary server for this one command (what Prefect itself
would do, started early so it boots while this process imports Prefect).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import typer

from cli import common

DEFAULT_PORT = 4200


class TemporaryPrefectServer:
    """A temporary Prefect API server for one CLI run, started *before* Prefect is imported.

    Prefect starts the same server by itself when no ``PREFECT_API_URL`` is set, but only when
    the flow is called, and only after importing its whole server package into this process
    too (seconds of CPU on a small machine). Starting the identical subprocess here lets it
    boot while this process imports Prefect, and keeps the server package out of this
    process. The flow still runs as a normal Prefect flow against a real Prefect API.
    """

    def __init__(self, log: Path | None = None, env_extra: dict[str, str] | None = None) -> None:
        """``log``: the server's own output goes to this file (nothing on the terminal);
        ``env_extra``: settings for the server process only."""
        import socket

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
            **(env_extra or {}),
        }
        err: Any = None
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            err = log.open("ab")
        # Its own session: the terminal's Ctrl-C reaches this command, which still needs
        # the server to record the interrupt. It dies with this process whatever happens
        # (kill -9 included): the kernel kills it when its parent dies (PR_SET_PDEATHSIG),
        # and a watcher thread in the child does the same where that is not available.
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli.prefect_child",
                str(os.getpid()),
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        if err is not None:
            err.close()  # the child has its own descriptor
        os.environ["PREFECT_API_URL"] = self.api_url

    def wait_ready(self, timeout: float = 120.0) -> None:
        import time
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server Prefect sementara berhenti (kode {self.proc.returncode})"
                )
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server Prefect sementara tidak siap dalam batas waktu")

    def stop(self) -> None:
        drain_prefect_workers()
        if os.environ.get("PREFECT_API_URL") == self.api_url:
            del os.environ["PREFECT_API_URL"]
        if self.proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """End the server and anything it started at once (an interrupted command)."""
        self._signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=2)

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """In the child, before exec: ask the kernel for SIGKILL when the parent dies (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux: the watcher thread in cli.prefect_child does it
        pass


def drain_prefect_workers(timeout: float = 10.0) -> int:
    """Let Prefect send its queued logs and events before the server goes away, waiting at
    most ``timeout`` seconds, and stop its background workers (the next event starts one
    bound to the API current then: Prefect keys its events worker by client type, not URL).

    What an events or log worker still holds then is abandoned (queue emptied, worker marked
    done): otherwise Prefect's own exit handler waits for it without limit, retrying against a
    closed port, and the command never exits. Returns how many items were abandoned.

    Both still hold in Prefect 3.9.1 (``EventsWorker.instance`` passes no URL for a
    self-hosted server; ``QueueService._at_exit`` drains with no timeout): see
    docs/prefect-3.9.md and tests/test_prefect_support.py."""
    if "prefect" not in sys.modules:
        return 0
    try:
        from prefect._internal.concurrency import services as svcs
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker
        from prefect.settings import PREFECT_API_URL

        api = PREFECT_API_URL.value()
        if api and not _healthy(str(api)):  # gone: nothing can be sent, do not wait for it
            timeout = 0.0
        # Every service, also one Prefect stopped already (its own drain has a time limit)
        # but that has not finished: its exit handler would still wait for it.
        services = list(svcs._active_services)
        EventsWorker.drain_all(timeout=timeout, at_exit=False)  # drains every service
    except Exception:  # best effort: never turn a finished sync into a failure
        return 0
    dropped = 0
    for svc in services:
        if not isinstance(svc, (EventsWorker, APILogWorker)):
            continue  # others hold futures somebody waits on: Prefect's to settle
        try:
            dropped += _abandon(svc)
        except Exception:  # one service's trouble must not keep the others waiting
            continue
    return dropped


def _abandon(svc: Any) -> int:
    """Empty a stopped service's queue and mark it done; how many items it dropped."""
    done, loop = getattr(svc, "_done_event", None), getattr(svc, "_loop", None)
    if done is None or loop is None or done.is_set() or not getattr(svc, "_stopped", False):
        return 0
    q = svc._queue
    dropped = 0
    while True:
        try:
            item = q.get_nowait()
        except queue.Empty:
            break
        q.task_done()
        if item is not None:
            dropped += 1
            drop = getattr(svc, "_on_item_dropped", None)
            if drop is not None:
                drop(item)  # e.g. the events worker's saved context of the event
    q.put_nowait(None)
    if not loop.is_closed():
        loop.call_soon_threadsafe(done.set)
    return dropped


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


def client_auth_from_server_setting() -> None:
    """On the machine of a server behind basic authentication
    (``PREFECT_SERVER_API_AUTH_STRING``, which ``diklat up``, ``diklat server start`` and a
    temporary server all honour), this process's Prefect client sends the same credentials
    (``PREFECT_API_AUTH_STRING``) unless it was given its own."""
    auth = os.environ.get("PREFECT_SERVER_API_AUTH_STRING")
    if auth and not os.environ.get("PREFECT_API_AUTH_STRING"):
        os.environ["PREFECT_API_AUTH_STRING"] = auth


def start_prefect_server_if_needed() -> TemporaryPrefectServer | None:
    """Start a temporary Prefect server unless a Prefect API is configured (environment or
    profile) or the local server (``diklat server start``) runs, or
    ``DIKLAT_PREFECT_BUILTIN_EPHEMERAL=1`` asks for Prefect's own lazy start."""
    client_auth_from_server_setting()
    if configured_api_url() or os.environ.get("DIKLAT_PREFECT_BUILTIN_EPHEMERAL"):
        return None
    if use_local_server_if_running():
        return None
    return TemporaryPrefectServer()


# --------------------------------------------------------------------------- local server


def _home() -> Path:
    from diklat.settings import get_settings

    return Path(
        os.environ.get("PREFECT_HOME") or Path(get_settings().var_dir).resolve() / "prefect"
    )


def _state_file() -> Path:
    return _home() / "diklat-server.json"


def _healthy(api_url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def local_server_url() -> str | None:
    """The API URL of the local server started by ``diklat server start``, or of the stack
    ``diklat up`` / ``make up`` runs (on the port it was given), if it answers."""
    try:
        state = json.loads(_state_file().read_text())
    except (OSError, ValueError):
        state = {}
    url = str(state.get("api_url") or "")
    if url and _healthy(url):
        return url
    from diklat.settings import get_settings, stack_berjalan

    stack = stack_berjalan(get_settings().var_dir) or {}
    url = str(stack.get("prefect") or "")
    return url if url and _healthy(url) else None


def use_local_server_if_running() -> bool:
    """Point this process at the running local server (no temporary server needed)."""
    client_auth_from_server_setting()
    if configured_api_url():
        return False
    url = local_server_url()
    if url:
        os.environ["PREFECT_API_URL"] = url
        return True
    return False


server_app = common.new_app(help="Server Prefect lokal (UI dan riwayat run) di var/prefect.")


@server_app.command("start")
def server_start(
    port: int = typer.Option(
        DEFAULT_PORT,
        "--port",
        metavar="PORT",
        min=1,
        max=common.MAX_PORT,
        help="port TCP UI dan API",
    ),
    timeout: float = typer.Option(
        180.0,
        "--timeout",
        metavar="DETIK",
        min=1.0,
        max=3600.0,
        help="batas waktu menunggu server siap, detik",
    ),
) -> None:
    """Jalankan server Prefect lokal di latar belakang (127.0.0.1)."""
    url = local_server_url()
    if url:
        common.console.print(f"Server Prefect sudah berjalan: {url.removesuffix('/api')}")
        return
    home = _home()
    home.mkdir(parents=True, exist_ok=True)
    api_url = f"http://127.0.0.1:{port}/api"
    if _healthy(api_url):
        raise common.fail(f"port {port} sudah dipakai program lain; pilih --port lain")
    log = (home / "server.log").open("ab")
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise common.fail(
                f"server Prefect berhenti (kode {proc.returncode}); lihat {home / 'server.log'}"
            )
        if _healthy(api_url):
            _state_file().write_text(json.dumps({"pid": proc.pid, "api_url": api_url}))
            common.console.print(
                f"Server Prefect berjalan: http://127.0.0.1:{port} "
                f"(pid {proc.pid}); perintah diklat memakainya otomatis"
            )
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)  # the server's own workers too
    raise common.fail(
        f"server Prefect tidak siap dalam {timeout:.0f} s; lihat {home / 'server.log'}"
    )


@server_app.command("stop")
def server_stop() -> None:
    """Hentikan server Prefect lokal."""
    try:
        state = json.loads(_state_file().read_text())
    except (OSError, ValueError):
        common.console.print("Server Prefect lokal tidak berjalan.")
        return
    pid = int(state.get("pid") or 0)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    _state_file().unlink(missing_ok=True)
    common.console.print("Server Prefect lokal dihentikan.")


@server_app.command("status")
def server_status() -> None:
    """Apakah server Prefect lokal berjalan?"""
    url = local_server_url()
    if url:
        common.console.print(f"berjalan: {url.removesuffix('/api')}")
    else:
        common.console.print("tidak berjalan (perintah diklat memakai server sementara)")
        raise typer.Exit(1)


def add_commands(app: typer.Typer) -> None:
    app.add_typer(server_app, name="server")


def lanjutkan_run(flow_run_id: str | None, awalan: str, jawaban: dict[str, Any]) -> bool:
    """From a command: resume the run waiting under a key starting with ``awalan`` with an
    answer already taken (the run finds the decision in the database; a run waiting for
    anything else is left alone, :func:`tasks.lanjut.lanjutkan`). False when there is no
    run or no Prefect server to reach; the run then continues when it is started again."""
    if not flow_run_id:
        return False
    client_auth_from_server_setting()
    if not (configured_api_url() or use_local_server_if_running()):
        return False
    from tasks.lanjut import lanjutkan

    return lanjutkan(flow_run_id, awalan, jawaban)
