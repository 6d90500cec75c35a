"""``diklat up`` (what ``make up`` runs): everything operators and officials need, in the
foreground, on the embedded defaults.

1. the Prefect server and UI (``http://127.0.0.1:4200``, history in ``var/prefect``), behind
   basic authentication when ``PREFECT_SERVER_API_AUTH_STRING`` is set (the clients started
   here get it as ``PREFECT_API_AUTH_STRING``);
2. the bundled SIMPEG/SIASN simulator, unless a real SIMPEG is configured;
3. ``diklat web``: the verification page behind the QR and the BSrE signing page;
4. every deployment (the two SOPs, the nightly sync, the export import, the deadline monitor,
   the letters, the write-back, the reports, the SRIKANDI hand-over) registered in the local
   process work pool ``diklat`` (``python -m flows.deployments --pool``), and the warm worker
   that runs them (``diklat pekerja``, :mod:`flows.pekerja`): a run resumed after an answer
   starts as a fork of a process that has already imported the flows, in about a second
   (polling every 2 s unless ``PREFECT_WORKER_QUERY_SECONDS`` says otherwise).

Ports: ``--port``, ``--web-port``, ``--sim-port`` (``make up PORT=... WEB_PORT=...
SIM_PORT=...``, or the same variables in the environment). Everything started here follows
them, and so do the other ``diklat`` commands while the stack runs: ``var/up.json`` names its
addresses (``diklat config`` shows the connectors on the simulator's port, a flow run from a
terminal lands in this Prefect server). What the first day still lacks is said with the
command that fixes it.

Ctrl-C (or SIGTERM) stops all of it, children first, each in its own process group so nothing
is left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cli import common
from flows.deployments import NAMES, POOL

if TYPE_CHECKING:
    from diklat.kesiapan import Masalah


def _healthy(url: str, auth: str | None) -> bool:
    req = urllib.request.Request(f"{url}/health")
    if auth:
        import base64

        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=1) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def _dipakai(port: int) -> bool:
    """Whether something listens on 127.0.0.1:``port`` already."""
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    fh = log.open("ab")
    return subprocess.Popen(
        args,
        env=env,
        stdout=fh,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(procs: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    for _name, p in reversed(procs):
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for _name, p in reversed(procs):
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _sim_env(s: Any, sim_url: str) -> dict[str, str]:
    """The connector settings that point at the simulator on ``sim_url``, for those still on
    the simulator's defaults (something configured explicitly stays)."""
    from diklat.settings import Siasn, Simpeg

    env: dict[str, str] = {}
    if s.simpeg.url == Simpeg().url:
        env["DIKLAT_SIMPEG__URL"] = f"{sim_url}/simpeg/api/v1"
    if s.siasn.url == Siasn().url:
        env["DIKLAT_SIASN__URL"] = sim_url
    if s.siasn.sso_url == Siasn().sso_url:
        env["DIKLAT_SIASN__SSO_URL"] = sim_url
    return env


def _tulis_stack(var: Path, api: str, web: str, sim: str | None) -> None:
    """``var/up.json``: the addresses of this stack, for the other ``diklat`` commands while
    it runs (their Prefect API, the simulator's and the verification page's ports)."""
    import json
    import socket

    from diklat.settings import STACK_FILE

    path = var / STACK_FILE
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "prefect": api,
                "web": web,
                "simulator": sim,
            }
        )
    )
    tmp.replace(path)


def _hapus_stack(var: Path) -> None:
    import json

    from diklat.settings import STACK_FILE

    path = var / STACK_FILE
    with contextlib.suppress(OSError, ValueError):
        if int(json.loads(path.read_text()).get("pid", 0)) == os.getpid():
            path.unlink()


def kekurangan() -> list[Masalah]:
    """What the first day still lacks (employees, units, officials for every role of both
    SOPs), each with the command that fixes it."""
    from diklat.db import session_scope
    from diklat.kesiapan import kekurangan_awal

    with session_scope() as s:
        return kekurangan_awal(s)


def laporkan_kekurangan(masalah: list[Masalah]) -> int:
    """Say plainly what :func:`kekurangan` found; how many things are missing."""
    if not masalah:
        common.console.print(
            "Data awal lengkap: pegawai, unit kerja dan pejabat setiap peran "
            "ada; kegiatan dapat dibuat."
        )
        return 0
    common.console.print(
        f"[yellow]Belum siap untuk kegiatan[/] ({len(masalah)} hal; kegiatan "
        "baru ditolak sampai lengkap). Jalankan di terminal lain (dengan "
        "`source .venv/bin/activate`, atau `.venv/bin/diklat ...`):"
    )
    for m in masalah:
        common.console.print(f"  - {m}", markup=False, highlight=False, soft_wrap=True)
    return len(masalah)


def up_command(
    port: int = typer.Option(
        4200, "--port", min=1, max=common.MAX_PORT, help="port server dan UI Prefect"
    ),
    web_port: int = typer.Option(
        8000, "--web-port", min=1, max=common.MAX_PORT, help="port halaman verifikasi"
    ),
    simulator: bool = typer.Option(
        True, "--simulator/--tanpa-simulator", help="jalankan simulator SIMPEG/SIASN bawaan"
    ),
    sim_port: int = typer.Option(
        8765, "--sim-port", min=1, max=common.MAX_PORT, help="port simulator"
    ),
    pegawai: int = typer.Option(
        2000, "--pegawai", min=1, max=common.MAX_PEGAWAI, help="jumlah pegawai simulator"
    ),
) -> None:
    """Jalankan server Prefect + UI, simulator, halaman verifikasi dan semua deployment."""
    from diklat.db import migrate
    from diklat.settings import get_settings

    s = get_settings()
    var = Path(s.var_dir).resolve()
    home = Path(os.environ.get("PREFECT_HOME") or var / "prefect")
    home.mkdir(parents=True, exist_ok=True)
    logs = var / "log"
    api = f"http://127.0.0.1:{port}/api"
    auth = os.environ.get("PREFECT_SERVER_API_AUTH_STRING")
    if _healthy(api, auth) or _dipakai(port):
        raise common.fail(
            f"port {port} sudah dipakai (server Prefect lain berjalan?); "
            f"hentikan dulu atau pakai --port lain"
        )
    for p, opsi in ((web_port, "--web-port"), *(((sim_port, "--sim-port"),) if simulator else ())):
        if _dipakai(p):
            raise common.fail(
                f"port {p} sudah dipakai program lain; pakai {opsi} lain "
                f"(make up: WEB_PORT=... / SIM_PORT=...)"
            )
    migrate()
    base = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    base.pop("PREFECT_API_URL", None)
    # The UI calls the API at this address: Prefect derives it from its default port, so a
    # --port other than 4200 would leave the UI talking to nothing (a reverse proxy in front
    # sets PREFECT_UI_API_URL itself).
    base.setdefault("PREFECT_UI_API_URL", api)
    client_env = {
        **base,
        "PREFECT_API_URL": api,
        "DIKLAT_TTE__VERIFY_BASE_URL": os.environ.get(
            "DIKLAT_TTE__VERIFY_BASE_URL", f"http://127.0.0.1:{web_port}"
        ),
    }
    if auth:  # the server asks every client for it; the UI asks the person once
        client_env["PREFECT_API_AUTH_STRING"] = auth
    run_sim = simulator and s.simpeg.url.startswith("http://127.0.0.1")
    sim_url = f"http://127.0.0.1:{sim_port}" if run_sim else None
    if sim_url:  # every process started here reaches the simulator on the port given
        client_env.update(_sim_env(s, sim_url))
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    stopping = {"now": False}

    def _signal(signum: int, frame: object) -> None:
        stopping["now"] = True

    old = signal.signal(signal.SIGTERM, _signal)
    try:
        common.console.print("Memulai server Prefect ...")
        procs.append(
            (
                "prefect",
                _spawn(
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
                    base,
                    logs / "prefect-server.log",
                ),
            )
        )
        deadline = time.monotonic() + 180
        while not _healthy(api, auth):
            if procs[0][1].poll() is not None or time.monotonic() > deadline:
                raise common.fail(f"server Prefect tidak siap; lihat {logs / 'prefect-server.log'}")
            time.sleep(0.3)
        from tasks.kunci import tutup_run_yatim  # runs left Running by a process now gone

        if ditutup := tutup_run_yatim(api, auth):
            common.console.print(f"{len(ditutup)} run kegiatan tanpa proses ditutup (Crashed)")
        _tulis_stack(var, api, f"http://127.0.0.1:{web_port}", sim_url)
        if run_sim:
            procs.append(
                (
                    "simulator",
                    _spawn(
                        [
                            sys.executable,
                            "-m",
                            "cli.main",
                            "simulator",
                            "--port",
                            str(sim_port),
                            "--pegawai",
                            str(pegawai),
                        ],
                        client_env,
                        logs / "simulator.log",
                    ),
                )
            )
        procs.append(
            (
                "web",
                _spawn(
                    [sys.executable, "-m", "cli.main", "web", "--port", str(web_port)],
                    client_env,
                    logs / "web.log",
                ),
            )
        )
        # every deployment in the local process work pool, and the warm worker that runs them
        # (flows/pekerja.py: a resume after an answer starts in about a second)
        with (logs / "deployments.log").open("ab") as fh:
            daftar = subprocess.run(
                [sys.executable, "-m", "flows.deployments", "--pool", POOL],
                env=client_env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        if daftar.returncode != 0:
            raise common.fail(
                f"deployment tidak dapat didaftarkan (kode {daftar.returncode}); "
                f"lihat {logs / 'deployments.log'}"
            )
        procs.append(
            (
                "pekerja",
                _spawn(
                    [sys.executable, "-m", "flows.pekerja", "--pool", POOL, "--name", "diklat-up"],
                    {"PREFECT_WORKER_QUERY_SECONDS": "2", **client_env},
                    logs / "pekerja.log",
                ),
            )
        )
        masalah = kekurangan()  # before "Siap.": whoever reads it has the whole report
        common.console.print(
            f"[green]Siap.[/] UI Prefect: http://127.0.0.1:{port}  |  halaman verifikasi: "
            f"http://127.0.0.1:{web_port}  |  log: {logs}\n"
            f"Deployment: {', '.join(NAMES)}. Ctrl-C untuk berhenti."
        )
        if auth:
            common.console.print(
                "Server memakai autentikasi dasar: masuk ke UI dengan isi "
                "PREFECT_SERVER_API_AUTH_STRING (pengguna:sandi)."
            )
        laporkan_kekurangan(masalah)
        while not stopping["now"]:
            for name, p in procs:
                if p.poll() is not None:
                    raise common.fail(f"{name} berhenti (kode {p.returncode}); lihat {logs}")
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        common.err_console.print("Menghentikan ...")
        _stop(procs)
        _hapus_stack(var)
        signal.signal(signal.SIGTERM, old)
    common.console.print("Berhenti.")


def add_commands(app: typer.Typer) -> None:
    app.command("up")(up_command)
