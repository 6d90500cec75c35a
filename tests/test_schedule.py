"""The nightly sync really gets scheduled: a real Prefect server (its scheduler service on)
creates the deployment's scheduled runs at 01:00 in the agency's time zone.

Guards the stack, not only our code: Prefect 3.8 with SQLAlchemy 2.1 failed inside the
scheduler ("Can't evaluate bulk DML statement") and silently scheduled nothing, which is why
SQLAlchemy was held at 2.0 until Prefect 3.9 (this test passes with 3.9.1 and SQLAlchemy 2.1,
docs/prefect-3.9.md)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.prefect_support import prefect_server, using_prefect_api


@pytest.mark.slow
def test_nightly_sync_is_scheduled_at_one_in_the_agency_time_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with prefect_server(tmp_path, {"PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2"}) as (
        api,
        log,
    ):
        monkeypatch.setenv("PREFECT_API_URL", api)
        from prefect.client.orchestration import get_client

        from diklat.settings import get_settings
        from flows import sync_pegawai

        with using_prefect_api(api):
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
        starts = sorted(
            r.expected_start_time.astimezone(tz) for r in runs if r.expected_start_time is not None
        )
        assert starts and all((s.hour, s.minute) == (1, 0) for s in starts)
        assert starts[0] - dt.datetime.now(tz) <= dt.timedelta(days=1)
