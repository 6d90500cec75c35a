"""Benchmark of the nightly SIMPEG sync (part of ``python -m bench sync``).

Starts the simulator itself (``--pegawai`` employees, loopback) and times whole
``diklat sync ... --json`` processes (subprocesses, Prefect included) into a fresh SQLite
database:

- ``full``: the first full sync (every employee inserted);
- ``nochange``: a second full sync with nothing changed (must write no employee row);
- ``incremental1pct``: ``diklat sync`` after 1% of the employees changed (writes only those);
- ``naive_full``: the same employees fetched the same way but written the naive way (one ORM
  ``query`` by NIP per employee, set attributes, ``add``, ``commit`` per employee), in this
  process, without Prefect. ``full`` carries it as ``baseline_seconds`` and ``ratio``.

One JSON object per scenario on stdout with ``scenario, seconds, rows, peak_rss_mb`` (the sync
process itself, from ``/proc/<pid>/status`` ``VmHWM``), ``peak_rss_tree_mb`` (``wait4``: the
process and the children it reaped, e.g. a temporary Prefect server), the run's counts and
``sync_seconds`` (the run's own duration, without process start and Prefect).

Prefect: by default one ``prefect server start`` runs beforehand, untimed, as on an
installation after ``diklat server start`` (``prefect_api: bench-server``).
``--temporary-prefect`` runs every ``diklat sync`` with no Prefect API at all, so each process
boots its own temporary server (``prefect_api: temporary``; Prefect's own database is created
once beforehand, untimed). A ``PREFECT_API_URL`` in the environment is used as is.

``ratio`` compares like with like: the naive baseline (fetch + per-row ORM writes, no
Prefect) against the sync run's own duration (fetch + validation + set-based writes, what
``sync_seconds`` measures); ``ratio_whole_process`` divides by the whole process instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.procs import (
    ROOT,
    base_env,
    bin_path,
    scenario_line,
    self_rss_mb,
    start_prefect_server,
    stop,
    timed_run,
    warm_prefect_home,
)


def naive_full(database_url: str, simpeg_url: str, api_key: str) -> tuple[float, int]:
    """The naive way: one ORM query per employee by NIP, set attributes, add, commit per row.
    Same source (HTTP pages from the simulator), same NIP check; returns (seconds, rows)."""
    from sqlalchemy.orm import Session

    from connectors.http import HttpClient
    from connectors.simpeg import SimpegClient
    from diklat.db import make_engine, migrate
    from diklat.models import Pegawai, UnitKerja
    from diklat.rules import nip as nip_rules

    migrate(database_url)
    engine = make_engine(database_url)
    client = SimpegClient(HttpClient(simpeg_url, headers={"X-API-Key": api_key}))
    dates = ("tanggal_lahir", "tmt_cpns", "tmt_pensiun")
    fields = (
        "nip_lama",
        "pns_orang_id",
        "nama",
        "gelar_depan",
        "gelar_belakang",
        "jenis_kelamin",
        "tempat_lahir",
        "jenis_pegawai",
        "jabatan",
        "jenis_jabatan",
        "eselon",
        "golongan",
        "pangkat",
        "pendidikan_tingkat",
        "pendidikan",
        "status",
        "email",
        "nomor_hp",
    )
    rows = 0
    start = time.perf_counter()
    with Session(engine) as s:
        unit_ids: dict[str, int] = {}
        for u in client.units():
            unit = s.query(UnitKerja).filter_by(kode=u["kode"]).one_or_none()
            if unit is None:
                unit = UnitKerja(kode=u["kode"])
                s.add(unit)
            for k in ("nama", "singkatan", "induk_kode", "email", "alamat"):
                setattr(unit, k, u[k])
            s.commit()
            unit_ids[unit.kode] = unit.id
        for page in client.iter_pegawai(prefetch=False):
            for rec in page.records:
                info = nip_rules.parse(rec["nip"])
                if not info.valid or rec.get("unit_kode") not in unit_ids:
                    continue
                p = s.query(Pegawai).filter_by(nip=info.nip).one_or_none()
                if p is None:
                    p = Pegawai(nip=info.nip)
                    s.add(p)
                for k in fields:
                    setattr(p, k, rec.get(k))
                for k in dates:
                    v = rec.get(k)
                    setattr(p, k, dt.date.fromisoformat(v) if v else None)
                p.unit_id = unit_ids[rec["unit_kode"]]
                p.aktif = True
                s.commit()
                rows += 1
    seconds = time.perf_counter() - start
    client.close()
    engine.dispose()
    return seconds, rows


def floor(what: str, env: dict[str, str], work: Path, **kw: str) -> dict[str, Any]:
    """Time ``python -m bench.floor WHAT`` as a whole process into a fresh schema'd
    SQLite file (see :mod:`bench.floor`); the line carries its peak RSS like the others."""
    db = work / f"floor-{what}.db"
    db.unlink(missing_ok=True)
    subprocess.run(
        [bin_path("diklat"), "init"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**env, "DIKLAT_DATABASE_URL": f"sqlite:///{db}"},
    )
    args = [f"--{k}={v}" for k, v in kw.items()]
    r = timed_run([sys.executable, "-m", "bench.floor", what, "--db", str(db), *args], env)
    c = r["counts"]
    line = {
        "scenario": f"floor_{'full' if what == 'sync' else what}",
        "seconds": round(r["seconds"], 3),
        "rows": c.get("rows"),
        "floor_seconds_in_process": c.get("seconds"),
        "peak_rss_mb": round(r["peak_rss_mb"], 1) if r["peak_rss_mb"] else None,
        "exit": r["exit"],
        "note": "whole process: fetch every page over loopback HTTP, one prepared "
        "executemany, no validation"
        if what == "sync"
        else "whole process: the CSV reader, one prepared executemany, no validation",
    }
    if r["exit"] != 0:
        line["error"] = r["stderr"][-1500:]
    db.unlink(missing_ok=True)
    return line


def bounds(
    line: dict[str, Any],
    baseline: float | None,
    floor_s: float | None,
    times: float,
    floor_run: float | None = None,
    run_key: str = "sync_seconds",
) -> None:
    """Add the ratios the issue bounds: ``ratio_whole_process`` (naive / whole process,
    at least ``times``) and ``vs_floor`` (whole process / floor, at most 1.5); and, for
    where the time goes, ``vs_floor_run``: the run's own time (without process start,
    imports and Prefect) / the floor's own time inside its process."""
    if baseline is not None:
        line["baseline_seconds"] = round(baseline, 3)
        line["ratio_whole_process"] = round(baseline / line["seconds"], 2)
        line["ratio_bound"] = times
    if floor_s:
        line["floor_seconds"] = round(floor_s, 3)
        line["vs_floor"] = round(line["seconds"] / floor_s, 2)
    if floor_run and line.get(run_key):
        line["vs_floor_run"] = round(float(line[run_key]) / floor_run, 2)


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench sync (sync)")
    ap.add_argument("--pegawai", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--temporary-prefect",
        action="store_true",
        help="no Prefect server running: every process starts a temporary one "
        "(default: one local server, as after `diklat server start`)",
    )
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args, _unknown = ap.parse_known_args(argv)  # the suite shares argv with other modules

    from simulator.server import SimulatorProcess

    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    env = base_env(work)
    server = None
    # A child process: an in-thread server would share the GIL with the naive baseline.
    sim = SimulatorProcess(n_pegawai=args.pegawai, seed=args.seed).start()
    try:
        env.update(sim.env())
        mode = "temporary"
        if os.environ.get("PREFECT_API_URL"):
            mode = "external"
        elif not args.temporary_prefect:
            server, env["PREFECT_API_URL"] = start_prefect_server(work, env)
            mode = "bench-server"
        else:
            warm_prefect_home(env)
        subprocess.run(
            [bin_path("diklat"), "init"], env=env, cwd=ROOT, check=True, capture_output=True
        )

        naive_seconds = None
        naive_rows = 0
        if not args.skip_naive:
            naive_seconds, naive_rows = naive_full(
                f"sqlite:///{work / 'naive.db'}", sim.simpeg_url, sim.api_key
            )
        naive_rss = self_rss_mb()
        floor_line = floor("sync", env, work, url=sim.simpeg_url, key=sim.api_key)
        floor_s = floor_line["seconds"] if floor_line["exit"] == 0 else None
        floor_run = floor_line.get("floor_seconds_in_process")

        lines: list[dict[str, Any]] = []
        for scenario, cmd_args in (
            ("full", ["--full"]),
            ("nochange", ["--full"]),
            ("incremental1pct", []),
        ):
            if scenario == "incremental1pct":
                sim.mutate(0.01)
            r = timed_run([bin_path("diklat"), "sync", *cmd_args, "--json"], env)
            c = r["counts"]
            rows = sum(
                int(c.get(k) or 0) for k in ("inserted", "updated", "unchanged", "quarantined")
            )
            line = scenario_line(scenario, r, mode, rows, "sync_seconds")
            if scenario in ("full", "nochange"):
                bounds(
                    line, naive_seconds, floor_s, 10.0 if scenario == "full" else 15.0, floor_run
                )
                if scenario == "full" and naive_seconds is not None and c.get("seconds"):
                    line["ratio"] = round(naive_seconds / float(c["seconds"]), 2)
            lines.append(line)
        lines.append(floor_line)
        if naive_seconds is not None:
            lines.append(
                {
                    "scenario": "naive_full",
                    "seconds": round(naive_seconds, 3),
                    "rows": naive_rows,
                    "peak_rss_mb": naive_rss,
                    "note": "per-row ORM query+add+commit, in the bench process (RSS "
                    "includes the simulator's data), no Prefect",
                }
            )
        for line in lines:
            print(json.dumps(line), flush=True)
    finally:
        sim.stop()
        if server is not None:
            stop(server)
        if args.keep:
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
