"""The sync as a Prefect flow (real Prefect test server) and as ``diklat sync``: counts,
artifact without personal data, failure exit, the nightly deployment's schedule, and one run
of the whole CLI process against the simulator (its own temporary Prefect server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from diklat.db import make_engine
from diklat.models import Pegawai, SyncRun
from diklat.settings import get_settings, reset_settings_cache
from simulator.server import SimulatorServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def prefect_server(prefect_api: str) -> Iterator[None]:
    """The session's Prefect test server (tests/conftest.py)."""
    yield


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatorServer]:
    with SimulatorServer(n_pegawai=200, seed=5, bad_share=0.03) as s:
        for k, v in s.env().items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("DIKLAT_HTTP__BACKOFF_BASE", "0.005")
        monkeypatch.setenv("DIKLAT_HTTP__BACKOFF_MAX", "0.02")
        monkeypatch.setenv("DIKLAT_HTTP__MAX_RETRIES", "2")
        monkeypatch.setenv("DIKLAT_HTTP__RETRY_BUDGET_SECONDS", "5")
        monkeypatch.setenv("DIKLAT_SYNC__TASK_RETRIES", "0")
        reset_settings_cache()
        yield s


def test_flow_syncs_and_publishes_counts_artifact(
    prefect_server: None, sim: SimulatorServer
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from diklat.db import SkemaBelumSiap, current_versions, migrate
    from flows.sync_pegawai import sync_pegawai

    # a flow never migrates: on a database nobody set up it stops with the one line
    with pytest.raises(SkemaBelumSiap, match="belum disiapkan.*diklat init"):
        sync_pegawai(full=True)
    assert current_versions(get_settings().database_url) == []
    migrate()
    counts = sync_pegawai(full=True)
    assert counts["status"] == "success" and counts["inserted"] == 200 - len(
        sim.dataset.bad_records()
    )
    engine = make_engine(get_settings().database_url)
    with engine.connect() as c:
        run = c.execute(select(SyncRun)).one()
        assert run.flow_run_id  # the sync run knows its Prefect flow run
        assert (
            c.execute(select(func.count()).select_from(Pegawai)).scalar_one() == counts["inserted"]
        )
    with get_client(sync_client=True) as client:  # the session's server: this run's only
        arts = [
            a
            for a in client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["sync-pegawai-simpeg"]))
            )
            if str(a.flow_run_id) == run.flow_run_id
        ]
    assert arts, "no table artifact"
    data = arts[0].data
    rows = json.loads(data) if isinstance(data, str) else data
    assert list(rows[0])[:5] == ["baru", "berubah", "tetap", "dinonaktifkan", "dikarantina"]
    assert rows[0]["baru"] == counts["inserted"] and rows[0]["status"] == "berhasil"
    table = json.dumps(rows)
    first = sim.dataset.record(0)
    assert first["nama"] not in table and first["nip"] not in table  # counts only

    # Refresh two NIPs from SIASN through the same flow: the flow gets a request id.
    from diklat.pegawai.sync_service import save_request

    nips = [r["nip"] for _, r, _ in sim.dataset.iter_records()][:2]
    counts = sync_pegawai(permintaan=save_request(engine, nips))
    assert counts["mode"] == "nips" and counts["unchanged"] == 2
    with get_client(sync_client=True) as client:
        runs_ = [r for r in client.read_flow_runs() if r.name.startswith("sinkron-")]
    names = {r.name for r in runs_}
    assert any(n.startswith("sinkron-penuh-") for n in names), names
    assert any(n.startswith("sinkron-siasn-permintaan-") for n in names), names
    for r in runs_:  # no NIP in any parameter or run name
        assert not any(n in json.dumps(r.parameters) + r.name for n in nips)
    engine.dispose()


def test_cli_json_and_failure_exit(
    prefect_server: None, sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.main import app

    monkeypatch.setenv("DIKLAT_PREFECT_BUILTIN_EPHEMERAL", "1")  # use the test server
    runner = CliRunner()
    res = runner.invoke(app, ["sync", "--full", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    for key in (
        "inserted",
        "updated",
        "unchanged",
        "deactivated",
        "quarantined",
        "seconds",
        "status",
        "sync_run_id",
    ):
        assert key in out
    assert out["status"] == "success" and out["inserted"] > 0

    sim.stop()
    res = runner.invoke(app, ["sync", "--json"])
    assert res.exit_code != 0
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["status"] == "failed" and "tidak dapat dihubungi" in out["error"]
    assert "sinkronisasi gagal" in res.stderr


def test_deployment_carries_cron_and_timezone() -> None:
    from flows.sync_pegawai import DEPLOYMENT_NAME, deployment

    d = deployment()
    assert d.name == DEPLOYMENT_NAME == "nightly"
    (sched,) = d.schedules
    assert sched.schedule.cron == "0 1 * * *"
    assert sched.schedule.timezone == "Asia/Makassar"


@pytest.mark.slow
def test_whole_cli_process_against_simulator(tmp_path: Path) -> None:
    """``diklat sync --full --json`` as a separate process with its own temporary Prefect
    server: the last stdout line is the counts object."""
    with SimulatorServer(n_pegawai=500, seed=9, bad_share=0.02) as s:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DIKLAT_"))}
        env.update(s.env())
        env["DIKLAT_VAR_DIR"] = str(tmp_path / "var")
        proc = subprocess.run(
            [sys.executable, "-m", "cli.main", "sync", "--full", "--json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        assert out["status"] == "success"
        assert out["inserted"] + out["quarantined"] == 500
        assert out["quarantined"] == len(s.dataset.bad_records())


def test_cli_uses_a_configured_prefect_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Prefect API in the environment or the active profile is used; only without one does
    ``diklat sync`` start its own temporary server."""
    from cli.sync import configured_api_url, start_prefect_server_if_needed

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("PREFECT_PROFILES_PATH", raising=False)
    monkeypatch.delenv("PREFECT_PROFILE", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    assert configured_api_url() is None
    (tmp_path / "profiles.toml").write_text(
        'active = "kantor"\n[profiles.kantor]\nPREFECT_API_URL = "http://10.0.0.5:4200/api"\n'
    )
    assert configured_api_url() == "http://10.0.0.5:4200/api"
    assert start_prefect_server_if_needed() is None
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert configured_api_url() == "http://127.0.0.1:4200/api"


@pytest.mark.slow
def test_sigterm_mid_sync_marks_run_interrupted_and_next_run_resumes(tmp_path: Path) -> None:
    """A stopped ``diklat sync`` process leaves an interrupted run with its checkpoint; the
    next run continues after it and the result equals an uninterrupted sync."""
    import signal
    import time

    from connectors.http import HttpClient
    from connectors.simpeg import SimpegClient
    from diklat.pegawai import sync_service

    with SimulatorServer(n_pegawai=600, seed=4) as s:
        s.set_faults(slow_share=1.0, slow_seconds=0.25)  # every page takes a while
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DIKLAT_"))}
        env.update(s.env())
        env["DIKLAT_VAR_DIR"] = str(tmp_path / "var")
        env["DIKLAT_SIMPEG__PAGE_SIZE"] = "25"
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "sync", "--full", "--json"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        db = tmp_path / "var" / "diklat.db"
        engine = make_engine(f"sqlite:///{db}")
        deadline = time.monotonic() + 120
        checkpoint = None
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists():
                try:
                    with engine.connect() as c:
                        checkpoint = c.execute(select(SyncRun.checkpoint)).scalar()
                except Exception:
                    checkpoint = None
            if checkpoint:
                break
            time.sleep(0.1)
        assert checkpoint, "the sync never wrote a checkpoint"
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
        assert proc.returncode != 0
        with engine.connect() as c:
            run = c.execute(select(SyncRun)).one()
            landed = c.execute(select(func.count()).select_from(Pegawai)).scalar_one()
        assert run.status == "interrupted" and "dihentikan" in run.error and run.checkpoint
        assert 0 < landed < 600

        s.clear_faults()
        http = HttpClient(s.simpeg_url, headers={"X-API-Key": s.api_key})
        counts = sync_service.sync_simpeg(engine, full=True, client=SimpegClient(http, 25))
        with engine.connect() as c:
            resumed = c.execute(select(SyncRun).where(SyncRun.id == counts["sync_run_id"])).one()
            total = c.execute(
                select(func.count()).select_from(Pegawai).where(Pegawai.aktif.is_(True))
            ).scalar_one()
        assert resumed.resumed_from_id == run.id
        assert total == 600 and counts["inserted"] == 600 and counts["deactivated"] == 0
        engine.dispose()


def test_cli_run_shows_its_info_logs_in_prefect_and_nothing_personal(
    prefect_api: str, sim: SimulatorServer, tmp_path: Path
) -> None:
    """A run started by ``diklat sync`` has a readable name and its INFO logs in the UI,
    while the command's own stderr stays free of Prefect's console logs."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DIKLAT_"))}
    env.update(sim.env())
    env.update(DIKLAT_VAR_DIR=str(tmp_path / "var"), PREFECT_API_URL=prefect_api)
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", "sync", "--full", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "INFO" not in proc.stderr and "Flow run" not in proc.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'diklat.db'}")
    with engine.connect() as c:
        flow_run_id = c.execute(select(SyncRun.flow_run_id)).scalar_one()
    engine.dispose()
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run_id)
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
    assert run.name.startswith("sinkron-penuh-") and run.parameters == {
        "full": True,
        "permintaan": None,
    }
    info = [x.message for x in logs if x.level == 20]
    assert any("sinkronisasi selesai" in m for m in info), info
    text_all = " ".join(x.message for x in logs)
    first = sim.dataset.record(0)
    assert first["nip"] not in text_all and first["nama"] not in text_all
