"""The deployments: the names shown by ``diklat up`` are the ones built, each SOP deployment's
parameter is the training form, and the work-pool variant uses module-path entrypoints."""

from __future__ import annotations

import pytest


def test_names_match_what_is_built() -> None:
    from flows.deployments import NAMES, deployments

    built = [f"{d.flow_name}/{d.name}" for d in deployments()]
    assert sorted(built) == sorted(NAMES) and len(set(built)) == len(built)


def test_pool_variant_uses_module_paths_and_keeps_schedules() -> None:
    from prefect.deployments.runner import EntrypointType

    from flows.deployments import deployments

    ds = {
        f"{d.flow_name}/{d.name}": d
        for d in deployments(entrypoint_type=EntrypointType.MODULE_PATH)
    }
    assert ds["sop-peningkatan-kapasitas/operator"].entrypoint == (
        "flows.peningkatan_kapasitas.peningkatan_kapasitas"
    )
    assert all(d.entrypoint and ":" not in d.entrypoint for d in ds.values())
    nightly = ds["sync-pegawai/nightly"]
    assert nightly.schedules and "0 1 * * *" in str(nightly.schedules[0].schedule)
    srikandi = ds["serah-srikandi/harian"]
    assert srikandi.schedules and "30 15 * * 1-5" in str(srikandi.schedules[0].schedule)
    props = ds["sop-pengiriman-peserta/operator"]._parameter_openapi_schema.properties
    assert "kegiatan" in props and set(props) <= {"kegiatan", "pdf"}


def test_nightly_sync_says_its_time_zone(prefect_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Prefect's deployment list shows "At 01:00 AM every day" without a zone: the description
    says it, and the schedule stored on the server carries the agency's zone."""
    from prefect.client.orchestration import get_client

    from diklat.settings import reset_settings_cache
    from flows import sync_pegawai
    from tests.prefect_support import using_prefect_api

    mp = monkeypatch
    d = sync_pegawai.deployment()
    assert d.description.endswith("setiap hari pukul 01.00 WITA (zona waktu Asia/Makassar)")
    with using_prefect_api(prefect_api):
        dep_id = d.apply()
        with get_client(sync_client=True) as c:
            stored = c.read_deployment(dep_id)
    assert "WITA (zona waktu Asia/Makassar)" in (stored.description or "")
    assert [getattr(s.schedule, "timezone", None) for s in stored.schedules] == ["Asia/Makassar"]
    mp.setenv("DIKLAT_TIMEZONE", "Asia/Jakarta")
    mp.setenv("DIKLAT_SYNC__CRON", "30 23 * * 1-5")
    reset_settings_cache()
    d = sync_pegawai.deployment()
    assert d.description.endswith(
        "setiap hari kerja (Senin-Jumat) pukul 23.30 WIB (zona waktu Asia/Jakarta)"
    )
    assert [getattr(s.schedule, "timezone", None) for s in d.schedules] == ["Asia/Jakarta"]


def test_cron_in_words() -> None:
    from diklat.jadwal import keterangan_cron

    assert keterangan_cron("0 * * * *", "Asia/Jayapura") == (
        "setiap hari, setiap jam pada menit ke-0, WIT (zona waktu Asia/Jayapura)"
    )
    assert keterangan_cron("15 2 * * 0,6", "Asia/Makassar") == (
        "setiap Minggu, Sabtu pukul 02.15 WITA (zona waktu Asia/Makassar)"
    )
    assert keterangan_cron("0 1 1 * *", "Europe/Oslo") == (
        "jadwal cron '0 1 1 * *', zona waktu Europe/Oslo"
    )
