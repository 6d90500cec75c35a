"""One live run per training (issue 23, items 5 and 6), with a real Prefect server, real
processes and SIGKILL, on SQLite and PostgreSQL:

* a run killed mid-run stays Running in Prefect; when the training starts again, that run is
  closed (Crashed) with a message naming the run that took over, and an older run of the
  same training left Suspended is Cancelled the same way;
* ``diklat up`` closes, at its start, the runs Prefect still shows Running whose process is
  gone (:func:`tasks.kunci.tutup_run_yatim`), and leaves Suspended ones waiting;
* the same new training started twice at once: one run drives it, the other is refused with
  one line naming the first; no run fails with IntegrityError, and no SQL reaches Prefect.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine, func, select

from connectors.proses import HOST
from diklat.db import make_engine, migrate
from diklat.models import Kegiatan, KunciKegiatan
from diklat.settings import get_settings
from tests.sop_support import siap

ROOT = Path(__file__).resolve().parents[1]
CHILD = ROOT / "tests" / "kunci_child.py"
SQL = ("IntegrityError", "UniqueViolation", "INSERT", "SELECT", "sqlalche", "UNIQUE constraint")


@pytest.fixture
def world(
    db_url: str, prefect_api: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Engine, dict[str, str]]:
    monkeypatch.setenv("DIKLAT_DATABASE_URL", db_url)
    from diklat.settings import reset_settings_cache

    reset_settings_cache()
    migrate(db_url)
    siap(make_engine(db_url))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PREFECT_API_URL": prefect_api,
        "DIKLAT_VAR_DIR": str(get_settings().var_dir),
        "DIKLAT_DATABASE_URL": db_url,
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    return make_engine(db_url), env


def _child(
    kode: str, seconds: float, env: dict[str, str], go: Path | None = None
) -> subprocess.Popen[str]:
    args = [sys.executable, str(CHILD), kode, str(seconds)] + ([str(go)] if go else [])
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_line(proc: subprocess.Popen[str], wanted: str, timeout: float = 180) -> None:
    assert proc.stdout is not None
    box: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == wanted:
                box.append(line)
                return

    th = threading.Thread(target=read, daemon=True)
    th.start()
    th.join(timeout)
    assert box, f"{wanted} never came: {proc.stderr.read() if proc.stderr else ''}"


def _runs(kode: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as c:
        return list(
            c.read_flow_runs(
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[f"pk-{kode}"])),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            )
        )


def _run(rid: str) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as c:
        return c.read_flow_run(UUID(rid))


def _killed_mid_run(kode: str, env: dict[str, str]) -> str:
    """A run that took the training, then its process SIGKILLed: Prefect keeps it Running."""
    proc = _child(kode, 600, env)
    try:
        _wait_line(proc, "MULAI")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    (run,) = [r for r in _runs(kode) if r.state.is_running()]
    return str(run.id)


def _suspended_run(kode: str) -> str:
    """An older run of the training left Suspended (no process), as a kill while a run was
    suspending leaves it."""
    from prefect.client.orchestration import get_client
    from prefect.states import Paused

    from tests.kunci_child import uji

    with get_client(sync_client=True) as c:
        run = c.create_flow_run(uji, name=f"pk-{kode}", parameters={"kode": kode})
        c.set_flow_run_state(
            run.id,
            Paused(reschedule=True, timeout_seconds=3600, pause_key="p1-j0", name="Suspended"),
            force=True,
        )
    return str(run.id)


@pytest.mark.timeout(600)
def test_a_killed_run_is_closed_when_the_training_starts_again(
    world: tuple[Engine, dict[str, str]],
) -> None:
    engine, env = world
    kode = "PK-KUNCI-1"
    killed = _killed_mid_run(kode, env)
    suspended = _suspended_run(kode)
    assert _run(killed).state.is_running() and _run(suspended).state.is_paused()
    from tests.kunci_child import uji

    state = uji(kode, 0.0, return_state=True)  # the training again, in a new run
    assert state.is_completed(), state.message
    new = str(state.state_details.flow_run_id)
    old = _run(killed)
    assert old.state.is_crashed(), old.state
    assert f"dilanjutkan oleh run pk-{kode} ({new})" in (old.state.message or "")
    waiting = _run(suspended)
    assert waiting.state.is_cancelled(), waiting.state
    assert new in (waiting.state.message or "")
    with engine.connect() as c:
        assert (
            c.execute(
                select(KunciKegiatan.flow_run_id).where(KunciKegiatan.kode == kode)
            ).scalar_one()
            == new
        )
        assert (
            c.execute(select(Kegiatan.flow_run_id).where(Kegiatan.kode == kode)).scalar_one() == new
        )
    # the same training once more in this process: the run before ended, so no refusal
    again = uji(kode, 0.0, return_state=True)
    assert again.is_completed(), again.message


@pytest.mark.timeout(600)
def test_diklat_up_closes_runs_whose_process_is_gone(world: tuple[Engine, dict[str, str]]) -> None:
    from tasks.kunci import tutup_run_yatim

    engine, env = world
    killed = _killed_mid_run("PK-KUNCI-2", env)
    # a training whose holder is Suspended (its process exited on purpose): left waiting
    waiting = _suspended_run("PK-KUNCI-3")
    with engine.begin() as c:
        c.execute(
            KunciKegiatan.__table__.insert().values(
                kode="PK-KUNCI-3", flow_run_id=waiting, host=HOST, pid=_dead_pid()
            )
        )
    from prefect.settings import PREFECT_API_URL

    assert tutup_run_yatim(str(PREFECT_API_URL.value())) == [killed]
    run = _run(killed)
    assert run.state.is_crashed() and "jalankan lagi kegiatan PK-KUNCI-2" in run.state.message
    assert _run(waiting).state.is_paused()
    assert tutup_run_yatim() == []  # nothing left to close
    up = (ROOT / "cli" / "up.py").read_text()
    assert "tutup_run_yatim(api, auth)" in up  # what `diklat up` calls at its start


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


@pytest.mark.timeout(600)
def test_the_same_new_training_started_twice_at_once(
    world: tuple[Engine, dict[str, str]], tmp_path: Path
) -> None:
    engine, env = world
    kode = "PK-KUNCI-4"
    go = tmp_path / "go"
    procs = [_child(kode, 8, env, go) for _ in range(2)]
    try:
        for p in procs:
            _wait_line(p, "SIAP")
        go.touch()  # both start the same new training now
        outs = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    results = []
    for (out, err), p in zip(outs, procs, strict=True):
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    states = sorted(r["state"] for r in results)
    assert states == ["COMPLETED", "FAILED"], results
    (refused,) = [r for r in results if r["state"] == "FAILED"]
    message = refused["message"] or ""
    assert f"kegiatan {kode} sedang dijalankan oleh run" in message, message
    assert "\n" not in message.strip()
    for run in _runs(kode):  # nothing in Prefect carries SQL
        assert not any(w in (run.state.message or "") for w in SQL), run.state.message
    with engine.connect() as c:
        assert (
            c.execute(
                select(func.count()).select_from(Kegiatan).where(Kegiatan.kode == kode)
            ).scalar_one()
            == 1
        )


def test_two_sessions_creating_the_same_training_both_get_it(db_url: str) -> None:
    """``simpan_kegiatan`` from two transactions at once (a flow and ``diklat kegiatan
    buat``): the second waits for the first and returns its row instead of failing with a
    unique violation."""
    import datetime as dt

    from sqlalchemy.orm import Session

    from diklat.mulai import simpan_kegiatan
    from tests.sop_support import LENGKAP

    migrate(db_url)
    engine = make_engine(db_url)
    siap(engine)
    mulai = dt.date.today() + dt.timedelta(days=30)
    data = {
        "kode": "PK-KUNCI-5",
        "sop": "peningkatan-kapasitas",
        "nama": "Pelatihan Kunci",
        "mulai": mulai,
        "selesai": mulai,
        **LENGKAP,
    }
    result: list[Any] = []

    def second() -> None:
        with Session(engine) as s, s.begin():
            result.append(simpan_kegiatan(s, data).kode)

    # closed whatever happens: an open transaction would block the schema's teardown
    with Session(engine) as first:
        first.begin()
        simpan_kegiatan(first, data)
        first.flush()  # inserted, not committed: the second insert must wait for it
        th = threading.Thread(target=second)
        th.start()
        time.sleep(1.0)
        first.commit()
    th.join(timeout=60)
    assert result == ["PK-KUNCI-5"]
