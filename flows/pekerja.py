"""A process worker for the ``diklat`` work pool whose flow runs start warm:
``python -m flows.pekerja [--pool diklat] [--name N] [--limit N]``.

Every answer to a wait resumes a deployed SOP run in a new process. Prefect's own process
worker (3.9) starts two Python processes per run for that: a workspace supervisor, then
``python -m prefect.engine``, each importing Prefect, and the second the flows too (about 5 s
on a 2-core machine before the run's first task). This worker starts one parent process that
imports Prefect's engine and every deployed flow once (:func:`induk`), and runs each flow run
through :mod:`flows.luncur`, which has that parent fork a copy of itself for the run: the run
starts with everything imported, and the parent never runs anything itself (no thread, no event
loop, no database connection: a fork of it is clean).

The flow runs are the same as under ``prefect worker start --pool diklat``: the same deployments,
the same ``prefect.engine`` entry, environment and working folder, the same exit codes and
cancellation by SIGTERM. A plain ``prefect worker start`` still works on the same pool.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import runpy
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from pathlib import Path
from typing import Any, NoReturn

from flows.luncur import ENV_SOKET, PANJANG, keluar

#: Seconds a stopping parent waits for the runs it started.
TUNGGU_AKHIR = 30.0

#: Modules the parent imports before it forks anything: Prefect's engine and every flow a
#: deployment runs (``flows.deployments.deployments``'s modules).
PRAMUAT = (
    "prefect.engine",
    "prefect.flow_engine",
    "prefect.task_engine",
    "flows.deployments",
    "flows.import_siasn_export",
    "flows.laporan",
    "flows.naskah_kegiatan",
    "flows.pantau_tenggat",
    "flows.pemutakhiran_siasn",
    "flows.pengiriman_peserta",
    "flows.peningkatan_kapasitas",
    "flows.serah_srikandi",
    "flows.sync_pegawai",
)


#: The packages whose code a parent holds for its runs: a change to any of their imported
#: files (an upgrade) makes the parent load everything again before it takes another run.
PAKET = ("diklat", "connectors", "tasks", "flows", "prefect")


def pramuat(tambahan: tuple[str, ...] = ()) -> None:
    """Import everything a flow run needs before its first task (and ``tambahan``), and check
    the process is still safe to fork (one thread, no running event loop)."""
    import importlib

    for name in (*PRAMUAT, *tambahan):
        importlib.import_module(name)
    if threading.active_count() != 1:
        names = ", ".join(t.name for t in threading.enumerate())
        raise RuntimeError(f"the warm parent started threads ({names}); it cannot fork safely")


def _terima(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """One request from :func:`flows.luncur.lewat_induk`: its JSON and its three streams."""
    kepala, fds, _flags, _addr = socket.recv_fds(conn, PANJANG.size, 3)
    if len(kepala) != PANJANG.size or len(fds) != 3:
        for fd in fds:
            os.close(fd)
        raise OSError("incomplete request")
    (n,) = PANJANG.unpack(kepala)
    data = b""
    while len(data) < n:
        bagian = conn.recv(n - len(data))
        if not bagian:
            raise OSError("incomplete request")
        data += bagian
    return json.loads(data), fds


def _jalankan(req: dict[str, Any], fds: list[int]) -> NoReturn:
    """In the forked run: become ``python -m prefect.engine ARGV`` with the launcher's streams,
    folder and environment, then exit the way the interpreter would."""
    code = 0
    try:
        for i, fd in enumerate(fds):
            os.dup2(fd, i)
            os.close(fd)
        os.chdir(req["cwd"])
        sys.path[0] = req["cwd"]  # as ``python -m`` started there would have it
        os.environ.clear()
        os.environ.update(req["env"])
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()  # the run's PREFECT_* settings, not the parent's
        sys.argv = ["prefect.engine", *req["argv"]]
        with warnings.catch_warnings():
            # runpy warns that the engine module is already imported (the point of this).
            warnings.filterwarnings(
                "ignore", message=".*found in sys.modules", category=RuntimeWarning
            )
            runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, int | None):
            print(e.code, file=sys.stderr)
    except KeyboardInterrupt:
        traceback.print_exc()
        code = -signal.SIGINT
    except BaseException:
        traceback.print_exc()
        code = 1
    _akhiri(code)


def _akhiri(code: int) -> NoReturn:
    """What the interpreter does at exit: join non-daemon threads, run ``atexit`` (Prefect
    flushes its logs and events there); then exit as the launcher does (:func:`keluar`)."""
    try:
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
    finally:
        keluar(code)


def _tunggu(conn: socket.socket) -> None:
    """In the forked waiter: fork the run, tell the launcher its PID, let it start, wait for
    it and report its exit code. A launcher that disappears (killed) takes the run with it."""
    req, fds = _terima(conn)
    gerbang_r, gerbang_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        conn.close()
        os.close(gerbang_w)
        mulai = os.read(gerbang_r, 1)  # the run starts only once the launcher knows it
        os.close(gerbang_r)
        if mulai != b"1":
            os._exit(1)
        _jalankan(req, fds)
    os.close(gerbang_r)
    for fd in fds:
        os.close(fd)
    try:
        conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    except OSError:
        os.close(gerbang_w)  # never started: the launcher may run it itself
        os.waitpid(pid, 0)
        return
    os.write(gerbang_w, b"1")
    os.close(gerbang_w)
    try:
        pidfd: int | None = os.pidfd_open(pid)  # readable once the run has ended
    except (AttributeError, OSError):  # not Linux 5.3+: look every 0.2 s instead
        pidfd = None
    while True:
        lihat = [conn.fileno(), *([pidfd] if pidfd is not None else [])]
        siap, _, _ = select.select(lihat, [], [], None if pidfd is not None else 0.2)
        selesai, status = os.waitpid(pid, os.WNOHANG)
        if selesai == pid:
            break
        if conn.fileno() in siap and not conn.recv(1):  # the launcher is gone: so is its run
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode() + b"\n")


class _Berhenti(Exception):
    """SIGTERM reached the parent."""


def _berhenti(_signum: int, _frame: object) -> None:
    raise _Berhenti


def tanda_kode(paket: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """Modification time and size of every imported module file of ``paket``."""
    tanda: dict[str, tuple[int, int]] = {}
    for name, module in list(sys.modules.items()):
        berkas = getattr(module, "__file__", None)
        if not berkas or name.split(".")[0] not in paket:
            continue
        try:
            st = os.stat(berkas)
            tanda[berkas] = (st.st_mtime_ns, st.st_size)
        except OSError:
            tanda[berkas] = (0, 0)
    return tanda


def induk(path: str, tambahan: tuple[str, ...] = ()) -> NoReturn:
    """The warm parent: import everything, then fork a waiter per launcher that connects.
    SIGTERM stops it taking runs; it waits (at most :data:`TUNGGU_AKHIR` s) for the runs it
    started, so their CPU time is counted where the worker is reaped. When the code it holds
    has changed on disk (an upgrade), it does not take the run (the launcher then runs it with
    the new code itself) and starts itself again (``exec``: same process, its runs still its
    children) to import the new code."""
    pramuat(tambahan)
    paket = (*PAKET, *(t.split(".")[0] for t in tambahan))
    tanda = tanda_kode(paket)
    signal.signal(signal.SIGTERM, _berhenti)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the worker, which stops this
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path + ".baru")
    os.replace(path + ".baru", path)  # the path exists only once the parent is ready
    server.listen(64)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        while True:
            siap, _, _ = select.select([server], [], [], 1.0)
            _reap()  # waited for, so the runs' CPU time counts as the worker's (wait4, ps)
            if not siap:
                continue
            conn, _ = server.accept()
            if tanda_kode(paket) != tanda:
                conn.close()  # not taken: its launcher runs it as python -m prefect.engine
                server.close()
                os.unlink(path)  # launchers fall back until the new parent is ready
                print("diklat pekerja: kode berubah, proses induk dimuat ulang", file=sys.stderr)
                sys.stderr.flush()
                os.execv(sys.executable, [sys.executable, "-m", "flows.pekerja", *sys.argv[1:]])
            if os.fork() == 0:
                server.close()
                try:
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the run decides, not us
                    _tunggu(conn)
                except BaseException:
                    traceback.print_exc()
                os._exit(0)
            conn.close()
    except _Berhenti:
        server.close()
        with contextlib.suppress(OSError):
            os.unlink(path)
        batas = time.monotonic() + TUNGGU_AKHIR
        while time.monotonic() < batas and not _reap():
            time.sleep(0.1)
        os._exit(0)


def _reap() -> bool:
    """Collect every waiter that has ended; True when none is left."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid == 0:
            return False


def mulai_induk(
    folder: Path, timeout: float = 180.0, tambahan: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the warm parent with this process's environment; its socket once it is ready.
    ``tambahan``: more modules for it to import and watch (tests)."""
    path = str(folder / "induk.sock")
    extra = [a for t in tambahan for a in ("--pramuat", t)]
    proc = subprocess.Popen([sys.executable, "-m", "flows.pekerja", "--induk", path, *extra])
    batas = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise RuntimeError(f"the warm parent stopped while importing (exit {proc.returncode})")
        if time.monotonic() > batas:
            proc.kill()
            raise RuntimeError("the warm parent did not become ready")
        time.sleep(0.05)
    return proc, path


def perintah_luncur() -> str:
    """The flow-run command this worker gives every run without a command of its own."""
    import shlex

    return shlex.join([sys.executable, "-m", "flows.luncur"])


def worker(pool: str, name: str | None, limit: int | None) -> Any:
    """Prefect's process worker for ``pool``, whose runs start with :func:`perintah_luncur`
    unless a deployment or the pool sets a command of its own."""
    from prefect.settings import PREFECT_WORKER_HEARTBEAT_SECONDS
    from prefect.workers.process import ProcessJobConfiguration, ProcessWorker

    class Konfigurasi(ProcessJobConfiguration):
        def prepare_for_flow_run(self, flow_run: Any, *args: Any, **kwargs: Any) -> None:
            if self.command is None:
                self.command = perintah_luncur()
            super().prepare_for_flow_run(flow_run, *args, **kwargs)

    w = ProcessWorker(
        name=name,
        work_pool_name=pool,
        limit=limit,
        heartbeat_interval_seconds=int(PREFECT_WORKER_HEARTBEAT_SECONDS.value()),
    )
    w.job_configuration = Konfigurasi  # this worker's runs only; the type stays "process"
    return w


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - the command line
    from flows.deployments import POOL

    ap = argparse.ArgumentParser(
        prog="python -m flows.pekerja",
        description="Worker proses untuk work pool diklat: run dan setiap lanjutannya mulai "
        "dari satu proses induk yang sudah memuat Prefect dan semua flow.",
    )
    ap.add_argument("--pool", default=POOL, help=f"work pool (bawaan {POOL})")
    ap.add_argument("--name", help="nama worker")
    ap.add_argument("--limit", type=int, help="jumlah run bersamaan")
    ap.add_argument("--tanpa-induk", action="store_true", help="setiap run memuat semuanya sendiri")
    ap.add_argument("--induk", metavar="SOKET", help=argparse.SUPPRESS)
    ap.add_argument("--pramuat", action="append", default=[], help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.induk:
        induk(a.induk, tuple(a.pramuat))
    import asyncio

    with tempfile.TemporaryDirectory(prefix="diklat-pekerja-") as folder:
        proc = None
        if not a.tanpa_induk:
            proc, path = mulai_induk(Path(folder))
            os.environ[ENV_SOKET] = path
        signal.signal(signal.SIGTERM, _sebagai_ctrl_c)  # stopped like Ctrl-C: the parent too
        try:
            asyncio.run(_jalan(worker(a.pool, a.name, a.limit)))
        except KeyboardInterrupt:
            pass
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait()


def _sebagai_ctrl_c(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


async def _jalan(w: Any) -> None:  # pragma: no cover - blocks until stopped
    async with w:
        await w.start()


if __name__ == "__main__":  # pragma: no cover
    main()
