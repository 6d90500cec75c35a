"""Units carry their town for the "di" line of letters: from SIMPEG (the simulator over HTTP,
``kota``) through the nightly sync, or set by an operator (``diklat unit tempat``), which wins
and survives the next sync (both databases)."""

from __future__ import annotations

import json

import pytest
import typer
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from cli.unit import add_commands
from connectors.http import HttpClient, RetryPolicy
from connectors.simpeg import SimpegClient
from diklat.db import get_engine, migrate, session_scope
from diklat.models import UnitKerja
from diklat.pegawai import sync_service
from diklat.pegawai.unit_kerja import atur_tempat, tempat_units
from simulator.server import SimulatorServer

FAST = RetryPolicy(max_retries=4, backoff_base=0.005, backoff_max=0.05, budget_seconds=10.0)


def _client(sim: SimulatorServer) -> SimpegClient:
    http = HttpClient(
        sim.simpeg_url,
        headers={"X-API-Key": sim.api_key},
        retry=FAST,
        connect_timeout=1.0,
        read_timeout=5.0,
        name="simpeg",
    )
    return SimpegClient(http, page_size=100)


def test_sync_brings_the_units_town_and_the_operators_wins(engine: Engine) -> None:
    with SimulatorServer(n_pegawai=50, seed=3, bad_share=0.0) as sim:
        sync_service.sync_simpeg(engine, full=True, client=_client(sim))
        with session_scope(engine) as s:
            towns = tempat_units(s, ["64021002", "64021200", "64021000"])
            assert towns == {
                "64021002": "Loa Kulu",
                "64021200": "Tenggarong Seberang",
                "64021000": "Tenggarong",
            }
            atur_tempat(s, "64021002", "Loa Kulu Ulu")
        sync_service.sync_simpeg(engine, full=True, client=_client(sim))
    with session_scope(engine) as s:
        assert tempat_units(s, ["64021002"]) == {"64021002": "Loa Kulu Ulu"}
        u = s.execute(select(UnitKerja).where(UnitKerja.kode == "64021002")).scalar_one()
        assert (u.tempat, u.tempat_operator) == ("Loa Kulu", "Loa Kulu Ulu")
        atur_tempat(s, "64021002", "")  # cleared: the source's town again
        assert tempat_units(s, ["64021002"]) == {"64021002": "Loa Kulu"}


@pytest.fixture
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def _root() -> None:
        """diklat (test)"""

    add_commands(a)
    return a


def test_cli_lists_units_without_town_and_sets_one(app: typer.Typer) -> None:
    migrate()
    from diklat.pegawai.personnel import PersonnelWriter

    PersonnelWriter(get_engine(), None, sumber="simpeg").upsert_units(
        [
            {"kode": "U1", "nama": "SD Negeri 5 Sebulu"},
            {"kode": "U2", "nama": "Dinas Sosial", "tempat": "Tenggarong"},
        ]
    )
    runner = CliRunner()
    r = runner.invoke(app, ["unit", "list", "--tanpa-tempat", "--json"])
    assert r.exit_code == 0, r.output
    assert [u["kode"] for u in json.loads(r.output)] == ["U1"]
    r = runner.invoke(app, ["unit", "tempat", "U1", "Sebulu"])
    assert r.exit_code == 0 and "SD Negeri 5 Sebulu di Sebulu" in r.output
    rows = json.loads(runner.invoke(app, ["unit", "list", "--json"]).output)
    assert {(u["kode"], u["tempat"], u["sumber_tempat"]) for u in rows} == {
        ("U1", "Sebulu", "operator"),
        ("U2", "Tenggarong", "simpeg"),
    }
    r = runner.invoke(app, ["unit", "tempat", "U9", "Sebulu"])
    assert r.exit_code == 2 and "tidak ada" in r.output
    r = runner.invoke(app, ["unit", "tempat", "U1", "12345"])
    assert r.exit_code == 2 and "bukan nama kota" in r.output
