"""The nightly sync really gets scheduled: a real Prefect server (its scheduler service on)
creates the deployment's scheduled runs at 01:00 in the agency's time zone.

Guards the stack, not only our code: Prefect 3.8 with SQLAlchemy 2.1 fails inside the
scheduler ("Can't evaluate bulk DML statement") and silently schedules nothing, so
``constraints.txt`` keeps SQLAlchemy 2.0."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest


@pytest.mark.slow
def test_nightly_sync_is_scheduled_at_one_in_the_agency_time_zone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_UI_ENABLED": "0",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2"}
    env.pop("PREFECT_API_URL", None)
    log = tmp_path / "server.log"
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host",
                               "127.0.0.1", "--port", str(port)], env=env,
                              stdout=log.open("w"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, log.read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "Prefect server did not start"
                time.sleep(0.5)
        monkeypatch.setenv("PREFECT_API_URL", api)
        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from diklat.settings import get_settings
        from flows import sync_pegawai

        with temporary_settings({PREFECT_API_URL: api}):
            dep_id = sync_pegawai.deployment().apply()
            deadline = time.monotonic() + 90
            while True:
                with get_client(sync_client=True) as c:
                    runs = [r for r in c.read_flow_runs() if r.deployment_id == dep_id]
                if runs:
                    break
                assert "bulk DML" not in log.read_text(), "Prefect's scheduler failed"
                assert time.monotonic() < deadline, "no scheduled run of the nightly sync"
                time.sleep(1)
        tz = ZoneInfo(get_settings().timezone)
        assert all(r.state is not None and r.state.name == "Scheduled" for r in runs)
        starts = sorted(r.expected_start_time.astimezone(tz) for r in runs
                        if r.expected_start_time is not None)
        assert starts and all((s.hour, s.minute) == (1, 0) for s in starts)
        assert starts[0] - dt.datetime.now(tz) <= dt.timedelta(days=1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
