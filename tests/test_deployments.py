"""The deployments: the names shown by ``diklat up`` are the ones built, each SOP deployment's
parameter is the training form, and the work-pool variant uses module-path entrypoints."""

from __future__ import annotations


def test_names_match_what_is_built() -> None:
    from flows.deployments import NAMES, deployments

    built = [f"{d.flow_name}/{d.name}" for d in deployments()]
    assert sorted(built) == sorted(NAMES) and len(set(built)) == len(built)


def test_pool_variant_uses_module_paths_and_keeps_schedules() -> None:
    from prefect.deployments.runner import EntrypointType

    from flows.deployments import deployments

    ds = {f"{d.flow_name}/{d.name}": d
          for d in deployments(entrypoint_type=EntrypointType.MODULE_PATH)}
    assert ds["sop-peningkatan-kapasitas/operator"].entrypoint == (
        "flows.peningkatan_kapasitas.peningkatan_kapasitas")
    assert all(d.entrypoint and ":" not in d.entrypoint for d in ds.values())
    nightly = ds["sync-pegawai/nightly"]
    assert nightly.schedules and "0 1 * * *" in str(nightly.schedules[0].schedule)
    srikandi = ds["serah-srikandi/harian"]
    assert srikandi.schedules and "30 15 * * 1-5" in str(srikandi.schedules[0].schedule)
    props = ds["sop-pengiriman-peserta/operator"]._parameter_openapi_schema.properties
    assert "kegiatan" in props and set(props) <= {"kegiatan", "pdf"}
