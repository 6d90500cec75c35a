"""Process plumbing shared by the benchmarks: the venv's binaries, a timed subprocess with
its peak RSS, one JSON line from a ``diklat ... --json`` command, a Prefect server for the
run. Imported by ``bench.sync``, ``bench.import_export`` (no module imports another suite).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def self_rss_mb() -> float:
    """This process's peak RSS so far (``getrusage``), in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def bin_path(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found next to {sys.executable} nor on PATH")
    return found


def _hwm_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def timed_run(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``cmd`` to its end: wall seconds, peak RSS of the process (polled ``VmHWM``) and of
    its reaped tree (``wait4``), exit status, the last stdout line as JSON, stderr tail."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=err)
        peak = [0.0]
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                v = _hwm_mb(proc.pid)
                if v is not None:
                    peak[0] = max(peak[0], v)
                done.wait(0.02)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        poller.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    try:
        counts = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        counts = {"status": "failed", "error": stderr[-1500:]}
    return {
        "seconds": seconds,
        "peak_rss_mb": peak[0] or None,
        "peak_rss_tree_mb": usage.ru_maxrss / 1024.0,
        "exit": proc.returncode,
        "counts": counts,
        "stderr": stderr,
    }


def scenario_line(
    scenario: str, r: dict[str, Any], mode: str, rows: Any, seconds_key: str
) -> dict[str, Any]:
    """One benchmark JSON line from a ``timed_run`` of a ``diklat ... --json`` command."""
    c = r["counts"]
    line: dict[str, Any] = {
        "scenario": scenario,
        "seconds": round(r["seconds"], 3),
        "rows": rows,
        "written": sum(int(c.get(k) or 0) for k in ("inserted", "updated", "deactivated")),
        "peak_rss_mb": round(r["peak_rss_mb"], 1) if r["peak_rss_mb"] else None,
        "peak_rss_tree_mb": round(r["peak_rss_tree_mb"], 1),
        seconds_key: c.get("seconds"),
        "prefect_api": mode,
        "exit": r["exit"],
    }
    for k in ("inserted", "updated", "unchanged", "deactivated", "quarantined", "status"):
        line[k] = c.get(k)
    if r["exit"] != 0:
        line["error"] = c.get("error") or r["stderr"][-1500:]
    return line


def warm_prefect_home(env: dict[str, str]) -> None:
    """Create Prefect's own database once (its first start migrates it: not what we time)."""
    code = (
        "from cli.sync import TemporaryPrefectServer as T\ns = T()\ns.wait_ready(300)\ns.stop()\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=400,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIKLAT_")}
    env["DIKLAT_VAR_DIR"] = str(work / "var")  # fresh SQLite database under it
    env["PREFECT_HOME"] = str(work / "prefect")
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    return env


def start_prefect_server(work: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """``prefect server start`` on a free loopback port; returns the process and API URL."""
    port = free_port()
    log = (work / "prefect-server.log").open("wb")
    proc = subprocess.Popen(
        [bin_path("prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env={**env, "PREFECT_UI_ENABLED": "false"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"prefect server exited early; see {work / 'prefect-server.log'}")
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as r:
                if r.status == 200:
                    return proc, api
        except OSError:
            time.sleep(0.5)
    stop(proc)
    raise SystemExit("prefect server did not become healthy within 120 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process this bench started (its own process group), politely then firmly."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
