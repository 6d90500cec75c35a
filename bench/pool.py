"""A training on the two-worker pool: ``python -m bench training --pool [--peserta 5000]``.

The same SOP 000 training as :mod:`bench.training`, run the way a province-wide installation
runs it: a Prefect server on PostgreSQL, the project's database on PostgreSQL, the deployments
registered in a process work pool (``python -m flows.deployments --pool``) and two workers
(``python -m flows.pekerja``, or ``prefect worker start`` with ``--pekerja prefect``) picking up
the run and every resume of it, with the scripted
officials and operators answering each wait through the API (``simulator.petugas``).

Both databases are made fresh on the PostgreSQL server of ``DIKLAT_BENCH_POSTGRES_URL`` or
``DIKLAT_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``)
and dropped afterwards. Setup (the employees' sync, ``--pegawai`` of them, by default eight per
participant; the officials) is done before the clock starts.

Afterwards (``--referensi N``, default 500; 0 skips it) the same training of N participants
runs in one process (``python -m bench training``), so the line also carries
``reference_seconds``, ``vs_reference`` and the bound ``bound_vs_reference`` (1.2 times the
ratio of participants: 12 for 5,000 against 500).

Prints one JSON line, ``scenario: training_pool``, with ``seconds`` (the training, from the
deployment's run created to its end), ``seconds_per_peserta``, the counts of
:func:`bench.training.hitung`, ``peak_rss_mb`` (this process and every child: the workers,
their flow runs, LibreOffice, signing workers; the simulator and Prefect's server apart, in
``peak_rss_all_mb``) and per worker (``workers``): how many flow-run starts and resumes it
picked up (``runs``), the CPU seconds of it and the processes it started and reaped (its flow
runs and their signing workers; ``cpu_seconds``, from ``wait4``) and its ``share`` of the two
workers' CPU. One training is one flow run: its steps follow each other, so the two workers
take turns (each resume goes to whichever is free) rather than working at once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, cast

from bench.procs import ROOT, start_prefect_server, stop
from bench.training import _emit, _RssPoller, hitung, siapkan

WORKERS = ("pekerja-1", "pekerja-2")
POOL = "bench"


def _admin_url() -> str:
    url = os.environ.get("DIKLAT_BENCH_POSTGRES_URL") or os.environ.get(
        "DIKLAT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    return url.split("?")[0].rsplit("/", 1)[0] + "/postgres"


@contextlib.contextmanager
def _databases() -> Any:
    """Two fresh PostgreSQL databases: (the project's URL, Prefect's asyncpg URL)."""
    from sqlalchemy import create_engine, text

    admin_url = _admin_url()
    tag = uuid.uuid4().hex[:8]
    names = (f"bench_diklat_{tag}", f"bench_prefect_{tag}")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            for name in names:
                c.execute(text(f'CREATE DATABASE "{name}"'))
        base = admin_url.rsplit("/", 1)[0]
        yield f"{base}/{names[0]}", base.replace("+psycopg", "+asyncpg") + f"/{names[1]}"
    finally:
        with admin.connect() as c:
            for name in names:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class _Rss(_RssPoller):
    """Memory of the work: the workers and their flow runs (``prefect worker``,
    ``prefect.engine``) are the training's, unlike :class:`bench.training._RssPoller`'s
    in-process run, where any Prefect process is a helper; the server and the simulator are
    helpers."""

    HELPERS = ("simulator", "server start", "uvicorn")


#: The worker commands ``--pekerja`` chooses between: the project's warm worker (each run a
#: fork of a parent that has imported Prefect and the flows) or Prefect's own process worker.
PEKERJA = {
    "hangat": [sys.executable, "-m", "flows.pekerja", "--pool", POOL],
    "prefect": [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL]
    + ["--type", "process"],
}


def _worker(name: str, env: dict[str, str], log: Path, kind: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*PEKERJA[kind], "--name", name],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _end_worker(proc: subprocess.Popen[bytes]) -> float:
    """Stop a worker and return the CPU seconds of it and the children it reaped."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
        time.sleep(0.2)


def _wait_final(flow_run_id: Any) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as c:
        while True:
            state = c.read_flow_run(flow_run_id).state
            if state is not None and state.is_final():
                return state
            time.sleep(0.5)


def run(peserta: int, opd: int, pegawai: int, kind: str = "hangat") -> dict[str, Any]:
    """The training on the pool; its work folder (logs, outbox, archive) is removed after a
    run that completed and kept, named on stderr, after one that did not."""
    work = Path(tempfile.mkdtemp(prefix="bench-pool-"))
    try:
        row = _run(work, peserta, opd, pegawai, kind)
    except BaseException:
        print(f"bench pool: logs kept in {work}", file=sys.stderr)
        raise
    shutil.rmtree(work, ignore_errors=True)
    return row


def _run(work: Path, peserta: int, opd: int, pegawai: int, kind: str) -> dict[str, Any]:
    with _databases() as (db_url, prefect_db):
        env = {
            **os.environ,
            "PREFECT_HOME": str(work / "prefect"),
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db,
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
        server, api = start_prefect_server(work, env)
        from diklat.settings import get_settings, reset_settings_cache
        from simulator.server import SimulatorProcess

        sim = SimulatorProcess(n_pegawai=pegawai, seed=3, bad_share=0.0).start()
        diklat_env = {
            **sim.env(),
            "DIKLAT_DATABASE_URL": db_url,
            "DIKLAT_VAR_DIR": str(work / "var"),
            "DIKLAT_APPROVAL__POLL_SECONDS": "0.25",
        }
        os.environ.update({**diklat_env, "PREFECT_API_URL": api})
        reset_settings_cache()
        workers: list[tuple[str, subprocess.Popen[bytes]]] = []
        try:
            from diklat.db import get_engine, migrate
            from diklat.pegawai import sync_service
            from flows.deployments import register_in_pool
            from simulator.petugas import Petugas, Skenario

            migrate()
            engine = get_engine()
            sync_service.sync_simpeg(engine, full=True)
            units, data = siapkan(engine, peserta, opd, "BENCH-POOL-1")
            register_in_pool(POOL)
            worker_env = {
                **env,
                **diklat_env,
                "PREFECT_API_URL": api,
                "PREFECT_WORKER_QUERY_SECONDS": "0.5",
                "PREFECT_LOGGING_LEVEL": "INFO",
                "PYTHONPATH": str(ROOT),
            }
            workers = [(n, _worker(n, worker_env, work / f"{n}.log", kind)) for n in WORKERS]
            petugas = Petugas(
                engine,
                Path(get_settings().outbox_dir or ""),
                Skenario(kode_salah_oleh=None, revisi=None),
            )
            halt = threading.Event()
            th = threading.Thread(target=petugas.jalan, args=(halt, 0.2), daemon=True)
            from prefect.client.schemas.objects import FlowRun
            from prefect.deployments import run_deployment

            with _Rss() as rss:
                th.start()
                t0 = time.perf_counter()
                try:
                    fr = cast(
                        FlowRun,
                        run_deployment(
                            "sop-peningkatan-kapasitas/operator",
                            parameters={"kegiatan": data.model_dump(mode="json")},
                            timeout=0,
                        ),
                    )
                    state = _wait_final(fr.id)
                    seconds = time.perf_counter() - t0
                finally:
                    halt.set()
                    th.join(timeout=10)
            cpu = {name: _end_worker(proc) for name, proc in workers}
            workers = []
            if not state.is_completed():
                raise SystemExit(f"the training's run ended {state.type.value}: {state.message}")
            total = sum(cpu.values()) or 1.0
            per_worker = {
                name: {
                    "runs": len(
                        re.findall(r"[Ss]ubmitting flow run", (work / f"{name}.log").read_text())
                    ),
                    "cpu_seconds": round(cpu[name], 1),
                    "share": round(cpu[name] / total, 3),
                }
                for name in WORKERS
            }
            n = hitung(engine)
            engine.dispose()
            return {
                "scenario": "training_pool",
                "pekerja": kind,
                **n,
                "opd": len(units),
                "waits": petugas.catatan.keputusan + petugas.catatan.masukan,
                "seconds": round(seconds, 1),
                "seconds_per_peserta": round(seconds / max(1, n["peserta"]), 4),
                "workers": per_worker,
                "peak_rss_mb": round(rss.peak_work),
                "peak_rss_all_mb": round(rss.peak_all),
            }
        finally:
            for _name, proc in workers:
                _end_worker(proc)
            sim.stop()
            stop(server)


def reference(peserta: int, opd: int, env: dict[str, str]) -> float:
    """The same training of ``peserta`` participants in one process
    (``python -m bench training``, a process of its own, in ``env``): its ``seconds``."""
    done = subprocess.run(
        [sys.executable, "-m", "bench", "training", "--peserta", str(peserta), "--opd", str(opd)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return float(rows[-1]["seconds"])


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench training --pool")
    ap.add_argument("--pool", action="store_true", required=True)
    ap.add_argument("--peserta", type=int, default=5000)
    ap.add_argument("--opd", type=int, default=20)
    ap.add_argument("--pegawai", type=int, default=0, help="default: 8 per participant")
    ap.add_argument(
        "--referensi",
        type=int,
        default=500,
        help="participants of the one-process reference run after the pool's (0: none)",
    )
    ap.add_argument(
        "--pekerja",
        choices=sorted(PEKERJA),
        default="hangat",
        help="hangat: python -m flows.pekerja (the README's worker); prefect: prefect worker start",
    )
    a = ap.parse_args(argv)
    env = dict(os.environ)  # before the pool's run points this process at its servers
    row = run(a.peserta, a.opd, a.pegawai or max(4000, 8 * a.peserta), a.pekerja)
    if a.referensi > 0:
        # the bound: the pool's training may take 1.2x the reference per participant (5,000
        # on the pool within 12x the time of 500 in one process)
        ref = reference(a.referensi, a.opd, env)
        row.update(
            {
                "reference_peserta": a.referensi,
                "reference_seconds": round(ref, 1),
                "vs_reference": round(row["seconds"] / ref, 2),
                "bound_vs_reference": round(1.2 * a.peserta / a.referensi, 2),
            }
        )
    _emit(row)


if __name__ == "__main__":
    main(sys.argv[1:])
