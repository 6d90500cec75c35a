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
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.procs import (
    base_env,
    bin_path,
    scenario_line,
    self_rss_mb,
    start_prefect_server,
    stop,
    timed_run,
    warm_prefect_home,
)
from bench.sync import bounds, floor


def generate(out: Path, pegawai: int, seed: int, env: dict[str, str]) -> None:
    cmd = [
        bin_path("diklat"),
        "simulator",
        "export-csv",
        "--pegawai",
        str(pegawai),
        "--seed",
        str(seed),
        "--out",
        str(out),
    ]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if res.returncode != 0 or not out.exists():
        raise SystemExit(f"export-csv failed ({res.returncode}): {res.stderr[-2000:]}")


def naive_import(database_url: str, path: Path) -> tuple[float, int]:
    """The naive way for the same file: the project's reader maps each row, then one ORM
    query by NIP per row (and by code per unit), set attributes, add, commit per row. Same
    NIP check as the naive sync; returns (seconds, rows written)."""
    from sqlalchemy.orm import Session

    from diklat.db import make_engine, migrate
    from diklat.models import Pegawai, UnitKerja
    from diklat.pegawai.siasn_export import inspect_export, read_batches
    from diklat.rules import nip as nip_rules

    migrate(database_url)
    engine = make_engine(database_url)
    dates = ("tanggal_lahir", "tmt_cpns")
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
        units: dict[str, int] = {}
        for batch in read_batches(inspect_export(path)):
            for rec in batch.records:
                info = nip_rules.parse(rec.get("nip") or "")
                kode = rec.get("unit_kode")
                if not info.valid or not kode:
                    continue
                if kode not in units:
                    unit = s.query(UnitKerja).filter_by(kode=kode).one_or_none()
                    if unit is None:
                        unit = UnitKerja(kode=kode, nama=rec.get("unit_nama") or kode)
                        s.add(unit)
                        s.commit()
                    units[kode] = unit.id
                p = s.query(Pegawai).filter_by(nip=info.nip).one_or_none()
                if p is None:
                    p = Pegawai(nip=info.nip)
                    s.add(p)
                for k in fields:
                    v = rec.get(k)
                    setattr(p, k, v if isinstance(v, str) or v is None else str(v))
                for k in dates:
                    v = rec.get(k)
                    setattr(p, k, v if not isinstance(v, str) else None)
                p.unit_id = units[kode]
                p.aktif = True
                s.commit()
                rows += 1
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds, rows


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench sync (import_export)")
    ap.add_argument("--pegawai", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--file", type=Path, default=None, help="import this export file instead of generating one"
    )
    ap.add_argument(
        "--temporary-prefect",
        action="store_true",
        help="no Prefect server running: every process starts a temporary one "
        "(default: one local server, as after `diklat server start`)",
    )
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args, _unknown = ap.parse_known_args(argv)  # the sync suite shares argv with bench.sync

    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    env = base_env(work)
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
            warm_prefect_home(env)  # Prefect's own first-start migration is not what we time
        naive_seconds = naive_rows = None
        if not args.skip_naive:
            naive_seconds, naive_rows = naive_import(f"sqlite:///{work / 'naive.db'}", export)
        naive_rss = self_rss_mb()
        floor_line = floor("import", env, work, file=str(export))
        floor_s = floor_line["seconds"] if floor_line["exit"] == 0 else None
        floor_run = floor_line.get("floor_seconds_in_process")
        # A fresh, empty product database with its schema (as bench.sync does).
        subprocess.run([bin_path("diklat"), "init"], env=env, check=True, capture_output=True)
        cmd = [bin_path("diklat"), "import", "siasn-export", str(export), "--json"]
        for scenario in ("import50k", "import50k_again"):
            r = timed_run(cmd, env)
            c = r["counts"]
            line = scenario_line(scenario, r, mode, c.get("rows"), "import_seconds")
            if scenario == "import50k":
                bounds(line, naive_seconds, floor_s, 8.0, floor_run, "import_seconds")
            print(json.dumps(line), flush=True)
        print(json.dumps(floor_line), flush=True)
        if naive_seconds is not None:
            print(
                json.dumps(
                    {
                        "scenario": "naive_import",
                        "seconds": round(naive_seconds, 3),
                        "rows": naive_rows,
                        "peak_rss_mb": naive_rss,
                        "note": "the project's reader, then per-row ORM query+add+commit,"
                        " in the bench process, no Prefect",
                    }
                ),
                flush=True,
            )
    finally:
        if server is not None:
            stop(server)
        if args.keep:
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
