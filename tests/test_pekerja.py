"""The warm worker (flows/pekerja.py, flows/luncur.py): every flow run of the pool starts as a
fork of one parent that has imported Prefect and the flows, behaves like ``python -m
prefect.engine`` (exit codes, streams, cancellation by SIGTERM), and falls back to exactly that
command when the parent is not there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows import luncur, pekerja
from tests.prefect_support import wait_final

ROOT = Path(__file__).resolve().parent.parent


def _luncur(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.luncur", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def induk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, path = pekerja.mulai_induk(tmp_path_factory.mktemp("induk"))
    try:
        yield path
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_without_a_parent_the_launcher_is_prefect_engine() -> None:
    env = {**os.environ, luncur.ENV_SOKET: "/nonexistent/induk.sock"}
    r = _luncur(env, "bukan-uuid")
    assert r.returncode == 1
    assert "Invalid flow run id" in r.stderr


def test_through_the_parent_the_same_streams_and_exit(induk: str) -> None:
    """The forked run writes on the launcher's own stderr and exits with the engine's code."""
    r = _luncur({**os.environ, luncur.ENV_SOKET: induk}, "bukan-uuid")
    assert r.returncode == 1
    assert "Invalid flow run id" in r.stderr
    assert "Traceback" in r.stderr  # the engine's own logged exception, not ours
    assert "flows/pekerja.py" not in r.stderr


def _wait_for(path: Path, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, f"{path} never written"
        time.sleep(0.1)
    return dict(json.loads(path.read_text()))


def _launcher_of(flow_run_id: str) -> list[int]:
    """The ``flows.luncur`` processes of this flow run (other tests may run pools of their own
    at the same time)."""
    found = []
    pids = subprocess.run(["pgrep", "-f", "flows.luncur"], capture_output=True, text=True)
    for p in pids.stdout.split():
        try:
            env = Path(f"/proc/{p}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"PREFECT__FLOW_RUN_ID={flow_run_id}".encode() in env:
            found.append(int(p))
    return found


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _pool_with_the_test_flow() -> str:
    """A process work pool of its own with ``uji-pekerja/d`` (tests/pekerja_flow.py)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.deployments.runner import EntrypointType

    from tests.pekerja_flow import uji_pekerja

    pool = f"uji-pekerja-{uuid.uuid4().hex[:8]}"
    with get_client(sync_client=True) as c:
        c.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    uji_pekerja.to_deployment(name="d", entrypoint_type=EntrypointType.MODULE_PATH).apply(
        work_pool_name=pool
    )
    return pool


def _worker(command: list[str], api: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*command, "--name", log.stem],
        cwd=ROOT,
        env={
            **os.environ,
            "PREFECT_API_URL": api,
            "PREFECT_WORKER_QUERY_SECONDS": "0.5",
            "PYTHONPATH": str(ROOT),
        },
        start_new_session=True,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _stop(worker: subprocess.Popen[bytes]) -> None:
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_same_deployment_on_prefects_own_worker(prefect_api: str, tmp_path: Path) -> None:
    """The deployments need nothing of the warm worker: Prefect's own process worker runs
    them too (in a new interpreter, so nothing of the SOP flows is loaded before the run)."""
    from prefect.deployments import run_deployment

    pool = _pool_with_the_test_flow()
    command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool]
    worker = _worker([*command, "--type", "process"], prefect_api, tmp_path / "polos.log")
    try:
        note = tmp_path / "polos.json"
        fr = run_deployment("uji-pekerja/d", parameters={"catatan": str(note)}, timeout=0)
        assert wait_final(fr.id, 120, every=0.2).is_completed()
        assert _wait_for(note)["sop_dimuat"] is False
    finally:
        _stop(worker)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_runs_start_warm_cancel_and_die_with_their_launcher(
    prefect_api: str, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.states import Cancelling

    pool = _pool_with_the_test_flow()
    log = tmp_path / "worker.log"
    worker = _worker([sys.executable, "-m", "flows.pekerja", "--pool", pool], prefect_api, log)
    try:
        with get_client(sync_client=True) as c:
            # a run: forked from the warm parent (the SOP flows already imported), in the
            # worker's working folder, its output in the worker's log
            note = tmp_path / "satu.json"
            fr = run_deployment("uji-pekerja/d", parameters={"catatan": str(note)}, timeout=0)
            assert wait_final(fr.id, 120, every=0.2).is_completed()
            seen = _wait_for(note)
            assert seen["sop_dimuat"] is True
            assert seen["cwd"] != str(ROOT)
            assert "uji-pekerja jalan" in log.read_text()

            # cancelled from the UI or API: SIGTERM reaches the run through its launcher
            note = tmp_path / "batal.json"
            fr = run_deployment(
                "uji-pekerja/d", parameters={"catatan": str(note), "tidur": 120}, timeout=0
            )
            pid = _wait_for(note)["pid"]
            c.set_flow_run_state(fr.id, Cancelling())
            assert wait_final(fr.id, 120, every=0.2).name == "Cancelled"
            assert _gone(pid)

            # the launcher killed outright (SIGKILL): the run goes with it, Prefect says crashed
            note = tmp_path / "bunuh.json"
            fr = run_deployment(
                "uji-pekerja/d", parameters={"catatan": str(note), "tidur": 120}, timeout=0
            )
            pid = _wait_for(note)["pid"]
            launcher = _launcher_of(str(fr.id))
            assert len(launcher) == 1, launcher
            os.kill(launcher[0], signal.SIGKILL)
            assert _gone(pid)
            st = wait_final(fr.id, 120, every=0.2)
            assert st.name == "Crashed", st
    finally:
        _stop(worker)
    assert worker.returncode is not None


def _lewat_induk(path: str) -> int:
    """One request to the parent from this process (its handlers put back afterwards)."""
    saved = {sig: signal.getsignal(sig) for sig in luncur.DITERUSKAN}
    try:
        return luncur.lewat_induk(path, ["bukan-uuid"])
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def test_a_parent_whose_code_changed_loads_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade the parent takes no run with the old code: the run in hand goes to
    its launcher (which runs it with the new code), and the parent imports everything again
    in the same process before it takes the next one."""
    modul = tmp_path / "kode" / "uji_kode_pekerja.py"
    versi = tmp_path / "versi.txt"
    modul.parent.mkdir()
    isi = "from pathlib import Path\nPath({!r}).write_text({!r})\n"
    modul.write_text(isi.format(str(versi), "1"))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(modul.parent), os.environ.get("PYTHONPATH", "")])
    )
    (tmp_path / "s").mkdir()
    proc, path = pekerja.mulai_induk(tmp_path / "s", tambahan=("uji_kode_pekerja",))
    try:
        assert versi.read_text() == "1"
        assert _lewat_induk(path) == 1  # taken: the engine's exit code for a bad run id
        st = modul.stat()
        modul.write_text(isi.format(str(versi), "2"))
        os.utime(modul, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
        with pytest.raises(luncur.TidakTerambil):
            _lewat_induk(path)
        deadline = time.monotonic() + 120
        while not (versi.read_text() == "2" and os.path.exists(path)):
            assert proc.poll() is None, "the parent stopped instead of loading the code again"
            assert time.monotonic() < deadline, "the parent never loaded the new code"
            time.sleep(0.1)
        assert _lewat_induk(path) == 1  # the same process, the new code, taking runs again
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_parent_preloads_every_deployed_flow() -> None:
    """``PRAMUAT`` names the modules by hand: each deployment's flow must be among them, or
    its runs would import their flow after the fork (slow, not wrong)."""
    from prefect.deployments.runner import EntrypointType

    from flows.deployments import deployments

    modules = {
        str(d.entrypoint).rsplit(".", 1)[0]
        for d in deployments(entrypoint_type=EntrypointType.MODULE_PATH)
    }
    assert modules and modules <= set(pekerja.PRAMUAT), modules - set(pekerja.PRAMUAT)
