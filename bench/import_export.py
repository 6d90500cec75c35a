"""Benchmark of the SIASN export import (part of ``python -m bench sync``).

Generates an "Export Data ASN" file of ``--pegawai`` employees with the simulator's writer
(``diklat simulator export-csv``), then times the whole ``diklat import siasn-export FILE
--json`` process, started as a subprocess into a fresh SQLite database:

- ``import50k``: the first import (every row inserted);
- ``import50k_again``: the same file again (must write no row: inserted = updated = 0).

One JSON object per scenario on stdout: ``scenario, seconds, rows, peak_rss_mb`` plus the
import's own counts. ``peak_rss_mb`` is the peak resident memory of the import process
(``wait4`` rusage of that child).

Prefect: the import runs as a flow, which needs a Prefect API. With ``PREFECT_API_URL`` set the
bench uses that server; otherwise it starts its own ``prefect server start`` once (outside the
timed part), as an agency's installation has one running for its UI and schedules.
``--ephemeral`` instead measures the CLI with no Prefect API configured: each process then
boots a temporary Prefect server itself (like ``diklat sync``), which alone takes several
seconds on a 2-core machine. The mode is in each line (``prefect_api``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found next to {sys.executable} nor on PATH")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _base_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIKLAT_")}
    env["DIKLAT_VAR_DIR"] = str(work / "var")  # fresh SQLite database under it
    env["PREFECT_HOME"] = str(work / "prefect")
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    return env


def start_prefect_server(work: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """``prefect server start`` on a free loopback port; returns the process and API URL."""
    port = _free_port()
    log = (work / "prefect-server.log").open("wb")
    proc = subprocess.Popen(
        [_bin("prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env={**env, "PREFECT_UI_ENABLED": "false"}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
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


def generate(out: Path, pegawai: int, seed: int, env: dict[str, str]) -> None:
    cmd = [_bin("diklat"), "simulator", "export-csv", "--pegawai", str(pegawai), "--seed",
           str(seed), "--out", str(out)]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if res.returncode != 0 or not out.exists():
        raise SystemExit(f"export-csv failed ({res.returncode}): {res.stderr[-2000:]}")


def timed_run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int, str,
                                                                      str]:
    """Run ``cmd``; wall seconds, peak RSS (MB) of that process, exit status, stdout, stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # rusage of exactly this process
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (seconds, usage.ru_maxrss / 1024.0, proc.returncode,
                out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench sync (import_export)")
    ap.add_argument("--pegawai", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--file", type=Path, default=None,
                    help="import this export file instead of generating one")
    ap.add_argument("--ephemeral", action="store_true",
                    help="no Prefect API: each CLI process boots a temporary Prefect server")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args, _unknown = ap.parse_known_args(argv)  # the sync suite shares argv with bench.sync

    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    env = _base_env(work)
    server: subprocess.Popen[bytes] | None = None
    try:
        if args.file is not None:
            export = args.file.resolve()
        else:
            export = work / "export_data_asn.csv"
            generate(export, args.pegawai, args.seed, env)
        mode = "external"
        if "PREFECT_API_URL" in os.environ:
            env["PREFECT_API_URL"] = os.environ["PREFECT_API_URL"]
        elif args.ephemeral:
            mode = "ephemeral"
        else:
            server, env["PREFECT_API_URL"] = start_prefect_server(work, env)
            mode = "bench-server"
        cmd = [_bin("diklat"), "import", "siasn-export", str(export), "--json"]
        for scenario in ("import50k", "import50k_again"):
            seconds, rss, code, out, err = timed_run(cmd, env, work)
            line: dict[str, Any] = {"scenario": scenario, "seconds": round(seconds, 3),
                                    "rows": None, "peak_rss_mb": round(rss, 1),
                                    "prefect_api": mode, "exit": code}
            try:
                counts = json.loads(out.strip().splitlines()[-1])
            except (ValueError, IndexError):
                counts = {"status": "failed", "error": err[-1000:]}
            line["rows"] = counts.get("rows")
            for k in ("inserted", "updated", "unchanged", "deactivated", "quarantined",
                      "status"):
                line[k] = counts.get(k)
            line["import_seconds"] = counts.get("seconds")
            line["written"] = sum(int(counts.get(k) or 0) for k in ("inserted", "updated",
                                                                    "deactivated"))
            if code != 0:
                line["error"] = counts.get("error") or err[-1000:]
            print(json.dumps(line), flush=True)
    finally:
        if server is not None:
            stop(server)
        if args.keep:
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
