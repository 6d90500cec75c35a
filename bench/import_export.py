"""Benchmark of the SIASN export import (part of ``python -m bench sync``).

Generates an "Export Data ASN" file of ``--pegawai`` employees with the simulator's writer
(``diklat simulator export-csv``), then times the whole ``diklat import siasn-export FILE
--json`` process, started as a subprocess into a fresh SQLite database:

- ``import50k``: the first import (every row inserted);
- ``import50k_again``: the same file again (must write no row: inserted = updated = 0).

One JSON object per scenario on stdout: ``scenario, seconds, rows, peak_rss_mb`` (the import
process itself, ``VmHWM``), ``peak_rss_tree_mb`` (``wait4``: with its reaped children, e.g. a
temporary Prefect server), ``written`` and the import's own counts and ``import_seconds``
(the import alone, without process start and Prefect).

Prefect, as in ``bench.sync``: by default one ``prefect server start`` runs beforehand,
untimed, as after ``diklat server start`` (``prefect_api: bench-server``);
``--temporary-prefect`` makes each ``diklat import`` process boot its own temporary server
(``prefect_api: temporary``; Prefect's own database is created once beforehand, untimed). A
``PREFECT_API_URL`` in the environment is used as is. The product database is a fresh SQLite file whose schema ``diklat init`` creates first.
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

from bench.sync import _bin, scenario_line  # bench.sync imports this module only inside functions


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


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench sync (import_export)")
    ap.add_argument("--pegawai", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--file", type=Path, default=None,
                    help="import this export file instead of generating one")
    ap.add_argument("--temporary-prefect", action="store_true",
                    help="no Prefect server running: every process starts a temporary one "
                         "(default: one local server, as after `diklat server start`)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args, _unknown = ap.parse_known_args(argv)  # the sync suite shares argv with bench.sync

    # The same measurement as bench.sync: VmHWM of the import process itself (polled) and
    # wait4 of its reaped tree (which includes a temporary Prefect server).
    from bench.sync import _warm_prefect_home, timed_run

    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    env = _base_env(work)
    server: subprocess.Popen[bytes] | None = None
    try:
        if args.file is not None:
            export = args.file.resolve()
        else:
            export = work / "export_data_asn.csv"
            generate(export, args.pegawai, args.seed, env)
        mode = "temporary"
        if os.environ.get("PREFECT_API_URL"):
            mode = "external"
        elif not args.temporary_prefect:
            server, env["PREFECT_API_URL"] = start_prefect_server(work, env)
            mode = "bench-server"
        else:
            _warm_prefect_home(env)  # Prefect's own first-start migration is not what we time
        # A fresh, empty product database with its schema (as bench.sync does).
        subprocess.run([_bin("diklat"), "init"], env=env, check=True, capture_output=True)
        cmd = [_bin("diklat"), "import", "siasn-export", str(export), "--json"]
        for scenario in ("import50k", "import50k_again"):
            r = timed_run(cmd, env)
            c = r["counts"]
            line = scenario_line(scenario, r, mode, c.get("rows"), "import_seconds")
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
