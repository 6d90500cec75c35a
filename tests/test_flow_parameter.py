"""Impossible values in an SOP flow's form (issue 21, item 6): the run is named
``pk-<KODE>``/``pd-<KODE>`` even when refused, ends Failed with one Indonesian line naming
the field (no traceback in its message), and records nothing; a good form still runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from diklat.db import get_engine, migrate, session_scope
from diklat.models import Kegiatan, SopStepLog
from diklat.settings import reset_settings_cache


def _form(kode: str, sop: str, **over: Any) -> dict[str, Any]:
    mulai = dt.date.today() + dt.timedelta(days=20)
    raw: dict[str, Any] = {
        "kode": kode,
        "sop": sop,
        "nama": "Pelatihan Uji",
        "mulai": mulai.isoformat(),
        "selesai": mulai.isoformat(),
        "tempat": "Aula",
        "jp": 24,
    }
    raw.update(over)
    return raw


@pytest.mark.parametrize(
    "flow_name, awalan, sop, salah, bidang",
    [
        ("peningkatan_kapasitas", "pk", "peningkatan-kapasitas", {"mulai": "2026-02-30"}, "mulai"),
        (
            "pengiriman_peserta",
            "pd",
            "pengiriman-peserta",
            {"mulai": "2027-03-10", "selesai": "2027-03-01"},
            "selesai",
        ),
        ("peningkatan_kapasitas", "pk", "pengiriman-peserta", {}, "sop"),
    ],
)
def test_a_refused_form_names_its_run_and_says_why_in_one_line(
    prefect_api: str, flow_name: str, awalan: str, sop: str, salah: dict[str, Any], bidang: str
) -> None:
    import importlib

    from prefect.client.orchestration import get_client

    from tests.prefect_support import using_prefect_api

    reset_settings_cache()
    migrate()
    fn = getattr(importlib.import_module(f"flows.{flow_name}"), flow_name)
    kode = f"UJI-{awalan.upper()}-{bidang.upper()}"
    with using_prefect_api(prefect_api):
        state = fn(kegiatan=_form(kode, sop, **salah), return_state=True)
        with get_client(sync_client=True) as c:
            run = c.read_flow_run(state.state_details.flow_run_id)
    assert state.is_failed()
    assert run.name == f"{awalan}-{kode}"
    message = state.message or ""
    assert message.startswith("Parameter kegiatan ditolak: ") and f"{bidang}:" in message
    assert "\n" not in message and "Traceback" not in message
    with session_scope(get_engine()) as s:
        assert s.execute(select(func.count()).select_from(Kegiatan)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(SopStepLog)).scalar_one() == 0


def test_a_form_without_a_code_still_gets_a_readable_name(prefect_api: str) -> None:
    from prefect.client.orchestration import get_client

    from flows.pengiriman_peserta import pengiriman_peserta
    from tests.prefect_support import using_prefect_api

    reset_settings_cache()
    migrate()
    raw = _form("x", "pengiriman-peserta")
    del raw["kode"]
    with using_prefect_api(prefect_api):
        state = pengiriman_peserta(kegiatan=raw, return_state=True)
        with get_client(sync_client=True) as c:
            run = c.read_flow_run(state.state_details.flow_run_id)
    assert state.is_failed() and run.name == "pd-tanpa-kode"
    assert "kode:" in (state.message or "")


def test_a_wrong_pdf_flag_is_refused_too(prefect_api: str) -> None:
    from flows.peningkatan_kapasitas import peningkatan_kapasitas
    from tests.prefect_support import using_prefect_api

    reset_settings_cache()
    migrate()
    with using_prefect_api(prefect_api):
        state = peningkatan_kapasitas(
            kegiatan=_form("UJI-PDF", "peningkatan-kapasitas"), pdf="barangkali", return_state=True
        )
    assert state.is_failed() and state.message == "Parameter pdf ditolak: harus true atau false"
