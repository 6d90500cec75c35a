"""Beyond one machine: a PostgreSQL-backed Prefect server, a process work pool and two
workers. The nightly sync and both SOPs run as deployments of the pool (registered with
``python -m flows.deployments --pool``); every suspended wait is resumed and picked up again by
whichever worker is free, so the work spreads over both. The outcome (register numbers,
documents, deliveries, archive, ledger, participants) equals the same work run in a single
process (local runs against the same server, ``tests/pool_child.py``) on a database of its
own; that process runs while the pool works. The workers are the project's warm workers
(``python -m flows.pekerja``: each run a fork of a parent that has imported the flows)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, text

from diklat.db import make_engine, migrate, session_scope
from diklat.kegiatan.data import DataKegiatan
from diklat.models import (
    Arsip,
    Distribusi,
    Kegiatan,
    Naskah,
    Pegawai,
    Peserta,
    RegisterEntry,
    SopStepLog,
    UnitKerja,
)
from diklat.naskah.register import today
from diklat.settings import reset_settings_cache
from simulator.server import SimulatorServer
from tests.prefect_support import prefect_server, using_prefect_api, wait_final
from tests.sop_support import add_officials

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("DIKLAT_TEST_POSTGRES_URL", "")


@pytest.fixture
def prefect_on_postgres(pg_url: str, tmp_path: Path) -> Iterator[str]:
    """A Prefect server (no UI) whose database is a fresh PostgreSQL database."""

    base = PG_URL.split("?")[0]
    admin_url = base.rsplit("/", 1)[0] + "/postgres"
    name = f"prefect_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    async_url = base.rsplit("/", 1)[0].replace("+psycopg", "+asyncpg") + f"/{name}"
    try:
        with prefect_server(
            tmp_path,
            {"PREFECT_API_DATABASE_CONNECTION_URL": async_url, "PREFECT_LOGGING_LEVEL": "WARNING"},
        ) as (api, _log):
            yield api
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class World:
    """One agency's installation: its database, var folder and simulator."""

    def __init__(self, db_url: str, var: Path, sim: SimulatorServer) -> None:
        self.env = {
            **sim.env(),
            "DIKLAT_DATABASE_URL": db_url,
            "DIKLAT_VAR_DIR": str(var),
            "DIKLAT_APPROVAL__POLL_SECONDS": "0.25",
        }
        self.var = var
        self.db_url = db_url

    def activate(self, monkeypatch: pytest.MonkeyPatch) -> Engine:
        for k, v in self.env.items():
            monkeypatch.setenv(k, v)
        reset_settings_cache()
        migrate(self.db_url)
        return make_engine(self.db_url)

    def officials(self, engine: Engine) -> None:
        add_officials(engine)


def trainings(units: list[str], akhiran: str) -> list[DataKegiatan]:
    """Both SOPs' trainings; ``akhiran`` ends their codes (the two worlds share one Prefect
    server, where a training's runs are found by its code: a finished training removes the
    stored answers of every run tagged with it)."""
    m2 = m0 = today()  # held on the test's day: nothing recorded ahead
    return [
        DataKegiatan(
            kode=f"PD-{akhiran}",
            sop="pengiriman-peserta",
            nama="Diklat Teknis",
            jenis_diklat_id="3",
            mulai=m2,
            selesai=m2,
            tempat="Semarang",
            jp=40,
            kuota=1,
            penyelenggara="BPSDMD Provinsi",
            kriteria={"unit": [units[0]]},  # type: ignore[arg-type]
            kondisi=["kewenangan_sekda"],
        ),
        DataKegiatan(
            kode=f"PK-{akhiran}",
            sop="peningkatan-kapasitas",
            nama="Pelatihan",
            jenis_diklat_id="3",
            mulai=m0,
            selesai=m0,
            tempat="Aula",
            jp=24,
            kuota=4,
            lembaga_narasumber="BPSDM Provinsi",
            materi=["Anjab"],
            kriteria={"unit": units[1:3]},
        ),  # type: ignore[arg-type]
    ]


def _outcome(engine: Engine) -> dict[str, Any]:
    """What the work produced, independent of ids, times and the trainings' code endings."""
    with session_scope(engine) as s:
        kode = {k.id: k.kode.split("-")[0] for k in s.execute(select(Kegiatan)).scalars()}
        naskah = {
            n.id: (n.jenis, re.sub(r"\b(P[DK])-[A-Z]+", r"\1", n.kunci), n.versi)
            for n in s.execute(select(Naskah)).scalars()
        }
        return {
            "nomor": sorted(
                (*naskah[e.naskah_id], e.nomor) for e in s.execute(select(RegisterEntry)).scalars()
            ),
            "naskah": sorted(
                (*v, n.status) for n in s.execute(select(Naskah)).scalars() for v in [naskah[n.id]]
            ),
            "email": sorted(
                (*naskah[d.naskah_id], d.penerima, d.status)
                for d in s.execute(select(Distribusi)).scalars()
            ),
            "arsip": sorted(
                (*naskah.get(a.naskah_id or 0, ("-", "", 0)), a.jenis or "", a.nomor or "")
                for a in s.execute(select(Arsip)).scalars()
            ),
            "ledger": sorted(
                (kode[r.kegiatan_id], r.step_no, r.putaran, r.status)
                for r in s.execute(select(SopStepLog)).scalars()
            ),
            "peserta": sorted(
                (kode[p.kegiatan_id], nip, p.status)
                for p, nip in s.execute(
                    select(Peserta, Pegawai.nip).join(Pegawai, Pegawai.id == Peserta.pegawai_id)
                )
            ),
        }


def _answering(engine: Engine, outbox: Path, api: str) -> tuple[threading.Event, threading.Thread]:
    """Scripted officials in a thread that talks to ``api`` (a thread does not inherit the
    test's Prefect settings context; another test's server may be the process default)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from simulator.petugas import Petugas, Skenario

    petugas = Petugas(engine, outbox, Skenario(kode_salah_oleh=None, revisi=None))
    stop = threading.Event()

    def jalan() -> None:
        with temporary_settings({PREFECT_API_URL: api}):
            petugas.jalan(stop, 0.2)

    th = threading.Thread(target=jalan, daemon=True)
    th.start()
    return stop, th


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_two_workers_on_a_postgres_prefect_server_match_one_process(
    prefect_on_postgres: str, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors import pdf as pdfconn

    if not pdfconn.available():
        pytest.skip("LibreOffice needed to sign PDFs")
    monkeypatch.setenv("PREFECT_API_URL", prefect_on_postgres)
    with (
        using_prefect_api(prefect_on_postgres),
        SimulatorServer(n_pegawai=120, seed=21) as sim_one,
        SimulatorServer(n_pegawai=120, seed=21) as sim_pool,
        contextlib.ExitStack() as cleanup,
    ):
        # ---- one process: local runs of the same work on a database of its own, started
        # first and left to run beside the pool (tests/pool_child.py)
        one = World(f"sqlite:///{tmp_path / 'satu.db'}", tmp_path / "satu", sim_one)
        one_out = cleanup.enter_context((tmp_path / "satu.out").open("w"))
        one_log = cleanup.enter_context((tmp_path / "satu.log").open("w"))
        child = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "pool_child.py")],
            cwd=ROOT,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("DIKLAT_")},
                **one.env,
                "PREFECT_API_URL": prefect_on_postgres,
                "PREFECT_LOGGING_LEVEL": "WARNING",
            },
            start_new_session=True,
            stdout=one_out,
            stderr=one_log,
        )
        cleanup.callback(lambda: child.poll() is None and os.killpg(child.pid, signal.SIGKILL))
        # ---- the pool: deployments registered, two workers, runs through the API
        pool = World(pg_url, tmp_path / "pool", sim_pool)
        engine_pool = pool.activate(monkeypatch)
        pool.officials(engine_pool)
        from prefect.deployments import run_deployment

        from flows.deployments import register_in_pool

        names = register_in_pool("uji")
        assert {
            "sop-peningkatan-kapasitas/operator",
            "sop-pengiriman-peserta/operator",
            "sync-pegawai/nightly",
        } <= set(names)
        env = {
            **os.environ,
            **pool.env,
            "PREFECT_API_URL": prefect_on_postgres,
            "PREFECT_WORKER_QUERY_SECONDS": "0.5",
            "PREFECT_LOGGING_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
        }
        workers = []
        # two warm workers (the README's ``diklat pekerja``; tests/test_pekerja.py runs the
        # deployments on Prefect's own worker too). No --limit: Prefect 3.8's worker limiter
        # crashed the worker when a resumed run came back before its first submission
        # released its slot.
        commands = {
            name: [sys.executable, "-m", "flows.pekerja", "--pool", "uji"]
            for name in ("pekerja-1", "pekerja-2")
        }
        for name, command in commands.items():
            log = (tmp_path / f"{name}.log").open("w")
            workers.append(
                (
                    name,
                    subprocess.Popen(
                        [*command, "--name", name],
                        cwd=ROOT,
                        env=env,
                        start_new_session=True,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    ),
                )
            )
        stop, th = _answering(engine_pool, pool.var / "outbox", prefect_on_postgres)
        try:
            fr = run_deployment("sync-pegawai/nightly", parameters={"full": True}, timeout=0)
            assert wait_final(fr.id, 600).is_completed()
            with session_scope(engine_pool) as s:
                units = list(
                    s.execute(select(UnitKerja.kode).order_by(UnitKerja.kode)).scalars().all()[:3]
                )
            data = trainings(units, "POOL")
            for d, dep in zip(
                data,
                ("sop-pengiriman-peserta/operator", "sop-peningkatan-kapasitas/operator"),
                strict=True,
            ):
                fr = run_deployment(
                    dep, parameters={"kegiatan": d.model_dump(mode="json")}, timeout=0
                )
                st = wait_final(fr.id, 1500)
                assert st.is_completed(), st
        finally:
            stop.set()
            th.join(timeout=10)
            for _, w in workers:
                os.killpg(w.pid, signal.SIGTERM)
            for _, w in workers:
                try:
                    w.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(w.pid, signal.SIGKILL)
        child.wait(timeout=1500)
        assert child.returncode == 0, (tmp_path / "satu.log").read_text()[-3000:]
        printed = (tmp_path / "satu.out").read_text().strip().splitlines()
        assert json.loads(printed[-1]) == units  # the same trainings
        expected = _outcome(make_engine(one.db_url))
        assert expected["nomor"] and expected["email"] and expected["arsip"]
        # the work spread over both workers
        picked = {
            name: len(re.findall(r"submitting flow run", (tmp_path / f"{name}.log").read_text()))
            for name, _ in workers
        }
        assert all(n > 0 for n in picked.values()), picked
        assert sum(picked.values()) >= 10, picked  # a sync, two starts and many resumes
        got = _outcome(engine_pool)
    for key in expected:
        assert got[key] == expected[key], key
