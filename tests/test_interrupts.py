"""Interrupts, kill -9 and two runs at once, with real processes: the ``diklat`` command as a
subprocess against the bundled simulator (slowed down so that a run can be caught in the
middle), a real Prefect server, SQLite and PostgreSQL.

- Ctrl-C or SIGTERM: the command exits within 5 s with one line, the run row says
  interrupted, the Prefect run ends Cancelled or Failed, the next run resumes.
- kill -9 at several moments: the next run closes the dead run as interrupted at once (no
  waiting hours), continues it, and leaves nothing ``running``, no inflated quarantine, no
  ``sync_seen`` rows, no Prefect flow run Running, and no temporary Prefect server behind.
- SIGTERM while the import writes its one SQLite transaction: out within 5 s, nothing
  written, the run closed.
- A second sync or import while one runs: refused at once, naming the running one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from simulator.server import SimulatorServer

ROOT = Path(__file__).resolve().parent.parent
DIKLAT = Path(sys.executable).parent / "diklat"
if not DIKLAT.exists():  # pragma: no cover - tests run from another interpreter
    DIKLAT = ROOT / ".venv" / "bin" / "diklat"
N = 600
PAGE = "25"
LINE = "dihentikan; jalankan lagi untuk melanjutkan"


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(n_pegawai=N, seed=4, bad_share=0.02) as s:
        yield s


def env_for(
    tmp_path: Path, sim: SimulatorServer, db_url: str | None = None, api: str | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DIKLAT_"))}
    env.update(sim.env())
    env["DIKLAT_VAR_DIR"] = str(tmp_path / "var")
    env["DIKLAT_SIMPEG__PAGE_SIZE"] = PAGE
    if db_url:
        env["DIKLAT_DATABASE_URL"] = db_url
    if api:
        env["PREFECT_API_URL"] = api
    return env


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(DIKLAT), *args],
        cwd=env["DIKLAT_VAR_DIR"].rsplit("/", 1)[0],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(env: dict[str, str], *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DIKLAT), *args],
        cwd=env["DIKLAT_VAR_DIR"].rsplit("/", 1)[0],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def query(db_url: str, sql: str) -> list[Any]:
    eng = create_engine(db_url)
    try:
        with eng.connect() as c:
            return list(c.execute(text(sql)).all())
    except Exception:
        return []
    finally:
        eng.dispose()


def wait_for(
    what: Callable[[], Any], proc: subprocess.Popen[str] | None = None, timeout: float = 150
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"process ended early ({proc.returncode}): {err[-2000:]}")
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper is dead)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def flow_run_state(api: str, flow_run_id: str) -> str:
    import urllib.request

    with urllib.request.urlopen(f"{api}/flow_runs/{flow_run_id}", timeout=10) as r:
        return str(json.loads(r.read())["state"]["type"])


def check_clean_after_success(db_url: str, sim: SimulatorServer) -> None:
    """Nothing left running, nothing stale, quarantine one row per bad record."""
    assert query(db_url, "SELECT count(*) FROM sync_run WHERE status = 'running'")[0][0] == 0
    assert query(db_url, "SELECT count(*) FROM sync_seen")[0][0] == 0
    bad = sim.dataset.bad_records()
    assert query(db_url, "SELECT count(*) FROM karantina")[0][0] == len(bad)
    good = N - len(bad)
    assert query(db_url, "SELECT count(*) FROM pegawai WHERE aktif")[0][0] == good


# --------------------------------------------------------------------------- Ctrl-C, SIGTERM


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupt_exits_within_5s_with_one_line_and_the_next_run_resumes(
    tmp_path: Path, sim: SimulatorServer, prefect_api: str, sig: signal.Signals
) -> None:
    db = f"sqlite:///{tmp_path / 'var' / 'diklat.db'}"
    env = env_for(tmp_path, sim, api=prefect_api)
    sim.set_faults(slow_share=1.0, slow_seconds=0.25)
    proc = start(env, "sync", "--full", "--json")
    wait_for(lambda: query(db, "SELECT id FROM sync_run WHERE checkpoint IS NOT NULL"), proc)
    t0 = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - t0 < 5, "the command must be gone within 5 s"
    assert proc.returncode == 130
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and LINE in lines[0] and "Traceback" not in err, err
    (row,) = query(db, "SELECT id, status, error, checkpoint, flow_run_id FROM sync_run")
    assert row.status == "interrupted" and LINE in row.error and row.checkpoint
    assert flow_run_state(prefect_api, row.flow_run_id) in ("CANCELLED", "FAILED")

    sim.clear_faults()
    res = run(env, "sync", "--full", "--json")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert res.returncode == 0 and out["status"] == "success", res.stderr
    resumed = query(db, f"SELECT resumed_from_id FROM sync_run WHERE id = {out['sync_run_id']}")
    assert resumed[0][0] == row.id
    check_clean_after_success(db, sim)


# --------------------------------------------------------------------------- kill -9


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["started", "checkpoint", "late"])
def test_kill_9_then_rerun_resumes_and_leaves_nothing_behind(
    tmp_path: Path, sim: SimulatorServer, moment: str
) -> None:
    """With no Prefect API configured, the command starts its own temporary Prefect
    server: after kill -9 of the command it must die too."""
    db = f"sqlite:///{tmp_path / 'var' / 'diklat.db'}"
    env = env_for(tmp_path, sim)
    sim.set_faults(slow_share=1.0, slow_seconds=0.2)
    proc = start(env, "sync", "--full", "--json")
    server = wait_for(lambda: children(proc.pid), proc)
    if moment == "started":
        wait_for(lambda: query(db, "SELECT id FROM sync_run"), proc)
    elif moment == "checkpoint":
        wait_for(lambda: query(db, "SELECT id FROM sync_run WHERE checkpoint IS NOT NULL"), proc)
    else:
        wait_for(lambda: query(db, f"SELECT id FROM sync_run WHERE seen > {N // 2}"), proc)
    proc.kill()
    proc.wait(timeout=10)
    wait_for(lambda: not any(alive(p) for p in server), timeout=5)  # no orphan server
    (dead,) = query(db, "SELECT id, status, checkpoint FROM sync_run")
    assert dead.status == "running"  # nobody closed it: the process is gone

    sim.clear_faults()
    t0 = time.monotonic()
    res = run(env, "sync", "--full", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert time.monotonic() - t0 < 60
    (old,) = query(db, f"SELECT status, error FROM sync_run WHERE id = {dead.id}")
    assert old.status == "interrupted" and "proses berhenti" in old.error
    (new,) = query(db, f"SELECT resumed_from_id FROM sync_run WHERE id = {out['sync_run_id']}")
    assert new.resumed_from_id == (dead.id if dead.checkpoint else None)
    check_clean_after_success(db, sim)
    for pid in children(os.getpid()):  # no temporary Prefect server of the rerun either
        assert "prefect_child" not in Path(f"/proc/{pid}/cmdline").read_text()


@pytest.mark.slow
def test_kill_9_flow_run_is_closed_in_prefect_by_the_next_run(
    tmp_path: Path, sim: SimulatorServer, prefect_api: str
) -> None:
    db = f"sqlite:///{tmp_path / 'var' / 'diklat.db'}"
    env = env_for(tmp_path, sim, api=prefect_api)
    sim.set_faults(slow_share=1.0, slow_seconds=0.2)
    proc = start(env, "sync", "--full", "--json")
    wait_for(lambda: query(db, "SELECT id FROM sync_run WHERE checkpoint IS NOT NULL"), proc)
    proc.kill()
    proc.wait(timeout=10)
    (dead,) = query(db, "SELECT id, flow_run_id FROM sync_run")
    assert flow_run_state(prefect_api, dead.flow_run_id) == "RUNNING"
    sim.clear_faults()
    res = run(env, "sync", "--full", "--json")
    assert res.returncode == 0, res.stderr
    assert flow_run_state(prefect_api, dead.flow_run_id) == "CRASHED"


# --------------------------------------------------------------------------- import


@pytest.mark.slow
def test_sigterm_during_the_sqlite_write_of_an_import(tmp_path: Path, prefect_api: str) -> None:
    from simulator.export_csv import write_export

    big = tmp_path / "besar.csv"
    write_export(big, n_pegawai=20000, seed=2)
    db = f"sqlite:///{tmp_path / 'var' / 'diklat.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DIKLAT_"))}
    env.update(DIKLAT_VAR_DIR=str(tmp_path / "var"), PREFECT_API_URL=prefect_api)
    assert run(env, "init").returncode == 0
    proc = start(env, "import", "siasn-export", str(big), "--json")
    wait_for(lambda: query(db, "SELECT id FROM sync_run WHERE status = 'running'"), proc)
    time.sleep(0.3)  # inside the transaction, between batches or in one
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - t0 < 5 and proc.returncode == 130, err
    assert [x for x in err.splitlines() if x.strip()] == [f"Dihentikan: {LINE}"]
    (row,) = query(db, "SELECT id, status, error FROM sync_run")
    # Closing the run waits at most CLOSE_TIMEOUT for SQLite's lock (the exit stays within
    # 5 s); on a loaded machine it may not get it, and then the next start closes the row.
    assert row.status in ("interrupted", "running"), row
    if row.status == "interrupted":
        assert "basis data tidak berubah" in row.error
    assert query(db, "SELECT count(*) FROM pegawai")[0][0] == 0
    again = run(env, "import", "siasn-export", str(big), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.strip().splitlines()[-1])["inserted"] == 20000
    (first,) = query(db, f"SELECT status FROM sync_run WHERE id = {row.id}")
    assert first.status == "interrupted"  # never left running, whoever closed it


# --------------------------------------------------------------------------- two at once


@pytest.mark.slow
def test_second_sync_or_import_is_refused_at_once_naming_the_running_one(
    tmp_path: Path, sim: SimulatorServer, prefect_api: str, db_url: str
) -> None:
    from test_siasn_export_reader import NIPS, base_row, write_export

    env = env_for(tmp_path, sim, db_url=db_url, api=prefect_api)
    assert run(env, "init").returncode == 0
    sim.set_faults(slow_share=1.0, slow_seconds=1.5)  # runs for a minute
    first = start(env, "sync", "--full", "--json")
    (running,) = wait_for(
        lambda: query(db_url, "SELECT id FROM sync_run WHERE status = 'running'"), first
    )
    write_export(tmp_path / "a.csv", [base_row(n) for n in NIPS])
    for args in (("sync", "--json"), ("sync", "--full"), ("import", "siasn-export", "a.csv")):
        t0 = time.monotonic()
        res = run(env, *args, timeout=60)
        assert time.monotonic() - t0 < 15, "refused at once, not after a wait"
        assert res.returncode == 1, res.stderr
        lines = [x for x in res.stderr.splitlines() if x.strip()]
        assert len(lines) == 1 and f"run #{running.id}" in lines[0], lines
        assert "sinkronisasi SIMPEG" in lines[0] and "Traceback" not in res.stderr
    sim.clear_faults()
    out, err = first.communicate(timeout=240)
    assert first.returncode == 0, err
    assert query(db_url, "SELECT count(*) FROM sync_run")[0][0] == 1  # nothing else started
    check_clean_after_success(db_url, sim)


def test_lock_taken_by_exactly_one_of_many_starts(db_url: str) -> None:
    """Eight threads start a run on the same lock at the same moment: one wins."""
    from diklat import runs
    from diklat.db import make_engine, migrate
    from diklat.pegawai.personnel import start_run

    migrate(db_url)
    engine = make_engine(db_url)
    barrier = threading.Barrier(8)
    won: list[int] = []
    busy: list[str] = []

    def go() -> None:
        barrier.wait()
        try:
            won.append(start_run(engine, "simpeg", "full").id)
        except runs.RunBusy as e:
            busy.append(str(e))

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(busy) == 7
    assert all(f"run #{won[0]}" in b for b in busy)
    engine.dispose()


@pytest.mark.slow
def test_prefect_server_gone_mid_run_the_sync_reports_what_it_did(
    tmp_path: Path, sim: SimulatorServer
) -> None:
    """The command's temporary Prefect server dies while the sync writes: the sync finishes,
    and the command reports its counts (exit 0, one notice), in seconds, not minutes."""
    db = f"sqlite:///{tmp_path / 'var' / 'diklat.db'}"
    env = env_for(tmp_path, sim)
    sim.set_faults(slow_share=1.0, slow_seconds=0.1)
    proc = start(env, "sync", "--full", "--json")
    server = wait_for(lambda: children(proc.pid), proc)
    wait_for(lambda: query(db, "SELECT id FROM sync_run WHERE checkpoint IS NOT NULL"), proc)
    for pid in server:
        os.kill(pid, signal.SIGKILL)
    t0 = time.monotonic()
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    counts = json.loads(out.strip().splitlines()[-1])
    assert counts["status"] == "success" and counts["inserted"] == N - len(
        sim.dataset.bad_records()
    )
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and "Prefect API tidak menjawab" in lines[0], err
    assert time.monotonic() - t0 < 45


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.4, 1.2, 2.5])
def test_ctrl_c_at_any_early_moment_stops_the_command(
    tmp_path: Path, sim: SimulatorServer, prefect_api: str, after: float
) -> None:
    """Ctrl-C while the command starts (imports, schema, Prefect) is never swallowed: the
    command stops within 5 s with one line and no sync runs to its end."""
    db = f"sqlite:///{tmp_path / 'var' / 'diklat.db'}"
    env = env_for(tmp_path, sim, api=prefect_api)
    sim.set_faults(slow_share=1.0, slow_seconds=0.2)
    proc = start(env, "sync", "--full", "--json")
    time.sleep(after)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - t0 < 5
    assert proc.returncode == 130, (out, err)
    assert [x for x in err.splitlines() if x.strip()] == [f"Dihentikan: {LINE}"]
    assert query(db, "SELECT count(*) FROM sync_run WHERE status <> 'interrupted'") in (
        [],
        [(0,)],
    )  # nothing ran to its end, nothing left running
    assert (
        not query(db, "SELECT count(*) FROM pegawai")
        or query(db, "SELECT count(*) FROM pegawai")[0][0] < N
    )


@pytest.mark.slow
def test_kill_9_of_an_import_is_closed_by_the_next_one(tmp_path: Path, prefect_api: str) -> None:
    from simulator.export_csv import write_export

    big = tmp_path / "besar.csv"
    write_export(big, n_pegawai=20000, seed=2)
    db = f"sqlite:///{tmp_path / 'var' / 'diklat.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DIKLAT_"))}
    env.update(DIKLAT_VAR_DIR=str(tmp_path / "var"), PREFECT_API_URL=prefect_api)
    assert run(env, "init").returncode == 0
    proc = start(env, "import", "siasn-export", str(big), "--json")
    (dead,) = wait_for(
        lambda: query(db, "SELECT id, flow_run_id FROM sync_run WHERE status = 'running'"), proc
    )
    time.sleep(0.3)
    proc.kill()
    proc.wait(timeout=10)
    again = run(env, "import", "siasn-export", str(big), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.strip().splitlines()[-1])["inserted"] == 20000
    (old,) = query(db, f"SELECT status FROM sync_run WHERE id = {dead.id}")
    assert old.status == "interrupted"
    assert flow_run_state(prefect_api, dead.flow_run_id) == "CRASHED"
    assert query(db, "SELECT count(*) FROM sync_run WHERE status = 'running'")[0][0] == 0
    assert not list((tmp_path / "var" / "import").glob(".cli-*"))  # the killed one's link too


_CTRL_C_WHILE_IMPORTING = """
import builtins, os, signal, sys
real = builtins.__import__
def imp(name, *args, **kwargs):
    if name == {module!r}:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives while this import runs
    return real(name, *args, **kwargs)
builtins.__import__ = imp
sys.argv = ["diklat", "--version"]
{script}
"""


@pytest.mark.parametrize("module", ["typer", "rich.console"])
def test_ctrl_c_while_the_command_line_is_imported_is_one_line(module: str) -> None:
    """The installed script (``cli.entry:run``) turns a Ctrl-C during the command line's own
    imports into the one line and exit 130, not a traceback and death by the signal."""
    script = DIKLAT.read_text().split("if __name__", 1)[1].split(":", 1)[1]
    body = "\n".join(line.strip() for line in script.splitlines() if line.strip())
    assert "run()" in body  # the installed script is the one this test means
    prelude = "from cli.entry import run\n"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _CTRL_C_WHILE_IMPORTING.format(module=module, script=prelude + body),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 130, (proc.returncode, proc.stderr)
    assert [x for x in proc.stderr.splitlines() if x.strip()] == [f"Dihentikan: {LINE}"]
    assert proc.stdout == ""  # the command never ran


def test_an_interrupt_wrapped_by_a_library_is_an_interrupt() -> None:
    """Ctrl-C arriving inside pydantic's serializer surfaced as its error (CI, 1.2 s case)."""
    from pydantic_core import PydanticSerializationError

    from diklat.runs import is_interrupt

    try:
        try:
            raise KeyboardInterrupt("SIGINT")
        except KeyboardInterrupt as k:
            raise ValueError("wrapped") from k
    except ValueError as v:
        assert is_interrupt(v)
    wrapped = PydanticSerializationError(
        "Error calling function `_ser_model`: KeyboardInterrupt: SIGINT"
    )
    assert is_interrupt(wrapped)
    assert not is_interrupt(ValueError("x")) and not is_interrupt(PydanticSerializationError("x"))


_CTRL_C_IN_A_FINALIZER = """
import gc, os, signal, sys, weakref
os.environ["PREFECT_API_URL"] = "http://127.0.0.1:9/api"  # configured: no server started
from cli.flowrun import FlowCommand
class Thing:
    pass
with FlowCommand() as fc:
    thing = Thing()
    def callback(ref):  # a weakref callback, as SQLAlchemy's registry runs in a collection
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives while it runs
        for _ in range(1000):
            pass  # the handler raises here, where Python can only print the exception
    ref = weakref.ref(thing, callback)
    del thing
    gc.collect()
    print("went on", flush=True)
    import time
    time.sleep(30)  # the watchdog ends the command: the stop it asked for still holds
"""


def test_ctrl_c_inside_a_finalizer_is_the_one_line() -> None:
    """CI under load: a Ctrl-C that arrived while SQLAlchemy's weakref callback ran was
    printed as "Exception ignored in ..." with a traceback before the one line."""
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _CTRL_C_IN_A_FINALIZER],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")},
    )
    assert time.monotonic() - t0 < 20
    assert proc.returncode == 130, (proc.returncode, proc.stderr)
    assert [x for x in proc.stderr.splitlines() if x.strip()] == [f"Dihentikan: {LINE}"]
    assert proc.stdout == "went on\n"  # the interrupt really was swallowed by the callback
