"""SIASN as it really is (issue 16): unit GUIDs mapped onto the region's unit codes (nobody
moves into a GUID-keyed duplicate unit), a wrong base path stops a refresh with one line, and a
half-real configuration (real API, simulator token or SSO URL) refuses to start. Against the
simulator over real HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from diklat.clients import check_siasn, siasn_client
from diklat.models import Pegawai, SiasnUnor, UnitKerja
from diklat.pegawai import sync_service, unor
from diklat.settings import KonfigurasiSalah, SecretStr, Siasn, reset_settings_cache
from simulator import refdata, shapes
from simulator.server import SimulatorServer


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(n_pegawai=80, seed=4, bad_share=0.0) as s:
        yield s


@pytest.fixture
def env(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for k, v in sim.env().items():
        monkeypatch.setenv(k, v)
    reset_settings_cache()
    yield
    reset_settings_cache()


def _simpeg_sync(engine: Engine) -> None:
    from diklat.clients import simpeg_client

    with simpeg_client() as c:
        sync_service.sync_simpeg(engine, full=True, client=c)


def test_units_mapped_refresh_keeps_units(engine: Engine, sim: SimulatorServer, env: None) -> None:
    _simpeg_sync(engine)
    with engine.connect() as c:
        units_before = sorted(c.execute(select(UnitKerja.kode, UnitKerja.nama)).all())
        placed = dict(c.execute(select(Pegawai.nip, Pegawai.unit_id)).all())
    nips = sorted(placed)[:40]
    with siasn_client() as client:
        counts = sync_service.refresh_from_siasn(engine, nips, client=client)
    assert counts["status"] == "success" and "unor_belum_dipetakan" not in counts
    with engine.connect() as c:
        assert sorted(c.execute(select(UnitKerja.kode, UnitKerja.nama)).all()) == units_before
        after = dict(c.execute(select(Pegawai.nip, Pegawai.unit_id)).all())
        rows = {u.id_siasn: u for u in c.execute(select(SiasnUnor.__table__)).all()}
    assert after == placed  # nobody moved
    # the mapping: GUID -> SIMPEG code, by CepatKode for the sub-districts, by name otherwise
    for u in refdata.UNITS:
        row = rows[shapes.unor_id(u.kode)]
        assert row.unit_kode == u.kode
        assert row.cara == ("cepat_kode" if u.profile == "wilayah" else "nama")
    orphan = rows[shapes.ORPHAN_UNOR["Id"]]
    assert orphan.unit_kode is None and orphan.catatan

    # the operator maps the orphan by hand; a later matching keeps the decision
    unor.tetapkan(engine, orphan.id_siasn, refdata.UNITS[0].kode)
    with siasn_client() as client:
        again = unor.petakan(engine, client.ref_unor())
    assert again.belum == [] and again.per_cara.get("manual") == 1
    with pytest.raises(unor.UnitTidakDikenal):
        unor.tetapkan(engine, orphan.id_siasn, "no-such-unit")


def test_unmatched_unit_keeps_employee_or_refuses_new_one(
    engine: Engine, sim: SimulatorServer, env: None
) -> None:
    _simpeg_sync(engine)
    with engine.connect() as c:
        nip, unit_id = c.execute(select(Pegawai.nip, Pegawai.unit_id).order_by(Pegawai.nip)).first()  # type: ignore[misc]
        kode = c.execute(select(UnitKerja.kode).where(UnitKerja.id == unit_id)).scalar_one()
    # SIASN names this unit differently now: no code, no name match
    with engine.begin() as c:
        c.execute(
            UnitKerja.__table__.update()
            .where(UnitKerja.kode == kode)
            .values(nama="Nama Lain Sama Sekali")
        )
    with siasn_client() as client:
        counts = sync_service.refresh_from_siasn(engine, [nip], client=client)
    assert counts["status"] == "success"
    assert counts["unor_belum_dipetakan"]  # listed for the operator
    with engine.connect() as c:
        assert c.execute(select(Pegawai.unit_id).where(Pegawai.nip == nip)).scalar_one() == (
            unit_id
        )
        assert not c.execute(
            select(func.count()).select_from(UnitKerja).where(func.length(UnitKerja.kode) == 32)
        ).scalar_one()


def test_wrong_base_path_stops_refresh_with_one_line(
    engine: Engine, sim: SimulatorServer, env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIKLAT_SIASN__BASE_PATH", "/api/siasn/v1")
    reset_settings_cache()
    nips = [rec["nip"] for _, rec, _ in sim.dataset.iter_records()][:30]
    with siasn_client() as client, pytest.raises(sync_service.SyncFailed) as ei:
        sync_service.refresh_from_siasn(engine, nips, client=client)
    msg = str(ei.value)
    assert "base path" in msg and "\n" not in msg
    assert not any(n in msg for n in nips)  # no NIP in the message
    with engine.connect() as c:  # nobody quarantined as "not in SIASN"
        from diklat.models import Karantina

        assert c.execute(select(func.count()).select_from(Karantina)).scalar_one() == 0


def test_half_real_configuration_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    real = "https://apimws.bkn.go.id:8243"
    with pytest.raises(KonfigurasiSalah, match="SSO_URL") as ei:
        check_siasn(Siasn(url=real, token_url="https://apimws.bkn.go.id/oauth2/token"))
    assert "\n" not in str(ei.value)
    with pytest.raises(KonfigurasiSalah, match="TOKEN_URL"):  # url + token_path is fine, but
        check_siasn(
            Siasn(
                url=real,
                token_url="http://127.0.0.1:8765/oauth2/token",
                sso_url="https://sso-siasn.bkn.go.id",
            )
        )
    check_siasn(
        Siasn(
            url=real,
            token_url="https://apimws.bkn.go.id/oauth2/token",
            sso_url="https://sso-siasn.bkn.go.id",
        )
    )
    # a pasted SSO token needs no SSO URL
    check_siasn(
        Siasn(
            url=real,
            token_url="https://apimws.bkn.go.id/oauth2/token",
            sso_token=SecretStr("pasted"),
        )
    )
    check_siasn(Siasn())  # the simulator
    monkeypatch.setenv("DIKLAT_SIASN__URL", real)
    reset_settings_cache()
    with pytest.raises(KonfigurasiSalah):
        siasn_client()


def test_cli_siasn_unor(sim: SimulatorServer, tmp_path: Path) -> None:
    """``diklat siasn unor`` lists what is unmatched; wrong input and a half-real
    configuration each give one line (exit 2)."""
    from test_cli_errors import diklat, one_line

    env = sim.env()
    res = diklat(tmp_path, "siasn", "unor", "--belum", "--json", env=env)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["pemetaan"]["total"] == len(refdata.UNITS) + 1  # no units here: none matched
    assert out["belum_dipetakan"] == len(refdata.UNITS) + 1
    bad = diklat(
        tmp_path, "siasn", "unor", "--offline", "--set", f"{shapes.ORPHAN_UNOR['Id']}=nope", env=env
    )
    assert bad.returncode == 2 and "tidak dikenal" in one_line(bad)
    half = diklat(
        tmp_path, "siasn", "unor", env={"DIKLAT_SIASN__URL": "https://apimws.bkn.go.id:8243"}
    )
    assert half.returncode == 2 and "docs/siasn.md" in one_line(half)


def test_export_with_unit_guids_lands_in_the_mapped_units(
    engine: Engine, sim: SimulatorServer, env: None, tmp_path: Path
) -> None:
    """A real "Export Data ASN" carries SIASN's unit GUID in ``unor_id``. Before the mapping
    exists nobody moves into a GUID-keyed unit (those we have keep theirs, new employees wait
    in quarantine); once ``diklat siasn unor`` has matched ref-unor the same file places the
    new employees in their SIMPEG units."""
    from diklat.models import Karantina
    from diklat.pegawai import siasn_export
    from simulator.data import Dataset
    from simulator.export_csv import write_dataset_export

    _simpeg_sync(engine)
    with engine.connect() as c:
        units_before = sorted(c.execute(select(UnitKerja.kode, UnitKerja.nama)).all())
        placed = dict(c.execute(select(Pegawai.nip, Pegawai.unit_id)).all())
    baru = sorted(placed)[:3]  # in the export, not (yet) with us
    with engine.begin() as c:
        c.execute(Pegawai.__table__.delete().where(Pegawai.nip.in_(baru)))
    # An earlier import (before the mapping existed) left one employee in a GUID-keyed
    # duplicate of their unit.
    pindah = sorted(placed)[3]
    with engine.begin() as c:
        kode, nama = c.execute(
            select(UnitKerja.kode, UnitKerja.nama).where(UnitKerja.id == placed[pindah])
        ).one()
        dup = c.execute(
            UnitKerja.__table__.insert()
            .values(kode=shapes.unor_id(kode), nama=nama, sumber="siasn-export", aktif=True)
            .returning(UnitKerja.id)
        ).scalar_one()
        c.execute(Pegawai.__table__.update().where(Pegawai.nip == pindah).values(unit_id=dup))
    units_before = sorted([*units_before, (shapes.unor_id(kode), nama)])
    path = tmp_path / "export.csv"
    write_dataset_export(path, Dataset(seed=4, n=80), unor_guid=True)
    assert shapes.unor_id(refdata.UNITS[0].kode) in path.read_text()  # GUIDs, as in SIASN's

    def state() -> tuple[list[Any], dict[str, int]]:
        with engine.connect() as c:
            return (
                sorted(c.execute(select(UnitKerja.kode, UnitKerja.nama)).all()),
                dict(c.execute(select(Pegawai.nip, Pegawai.unit_id)).all()),
            )

    first = siasn_export.import_export(engine, path)
    assert any("belum dipetakan" in n and "diklat siasn unor" in n for n in first.notices)
    units, now = state()
    assert units == units_before  # no GUID-keyed duplicate unit
    assert now == {
        n: (dup if n == pindah else u) for n, u in placed.items() if n not in baru
    }  # nobody moved
    with engine.connect() as c:
        waiting = dict(
            c.execute(
                select(Karantina.kunci, Karantina.alasan).where(Karantina.kunci.in_(baru))
            ).all()
        )
    assert sorted(waiting) == baru and all("belum dipetakan" in a for a in waiting.values())

    with siasn_client() as client:  # what `diklat siasn unor` does
        unor.petakan(engine, client.ref_unor())
    second = siasn_export.import_export(engine, path)
    assert not any("belum dipetakan" in n for n in second.notices)
    assert second.inserted == len(baru)
    units, now = state()
    # the new ones in their SIMPEG units, the one in the duplicate back in theirs
    assert units == units_before and now == placed
    with engine.connect() as c:
        assert (
            c.execute(
                select(SiasnUnor.unit_kode).where(SiasnUnor.id_siasn == shapes.unor_id(kode))
            ).scalar_one()
            == kode
        )
        open_rows = c.execute(
            select(Karantina.kunci).where(
                Karantina.kunci.in_(baru), Karantina.selesai_pada.is_(None)
            )
        ).all()
    assert open_rows == []  # their quarantine resolved by the clean arrival
