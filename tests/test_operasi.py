"""Seeing what happened: the quarantine (deduplicated, resolved, listed, exported), the run
history, the version, the masked configuration, and the age check of export files. The
commands run as the installed ``diklat`` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, create_engine, func, select, text
from test_siasn_export_reader import NIPS, base_row, write_export

from diklat.models import Karantina, SyncRun

ROOT = Path(__file__).resolve().parent.parent
DIKLAT = Path(sys.executable).parent / "diklat"
if not DIKLAT.exists():  # pragma: no cover - tests run from another interpreter
    DIKLAT = ROOT / ".venv" / "bin" / "diklat"


def diklat(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, api: str | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    full_env["DIKLAT_VAR_DIR"] = str(tmp_path / "var")
    if api:
        full_env["PREFECT_API_URL"] = api
    full_env.update(env or {})
    return subprocess.run(
        [str(DIKLAT), *args],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def last_json(res: subprocess.CompletedProcess[str]) -> Any:
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- quarantine


def test_quarantine_is_one_row_per_record_and_reason_and_resolves(
    prefect_api: str, tmp_path: Path, db_url: str
) -> None:
    env = {"DIKLAT_DATABASE_URL": db_url}
    bad_unit = base_row(NIPS[1], unor_id="null")
    write_export(
        tmp_path / "a.csv", [base_row(NIPS[0]), bad_unit, base_row(NIPS[2], nip_baru="123")]
    )
    for _ in range(3):  # the same file three times: the same two records, counted
        last_json(
            diklat(tmp_path, "import", "siasn-export", "a.csv", "--json", env=env, api=prefect_api)
        )
    items = last_json(diklat(tmp_path, "karantina", "list", "--json", env=env))
    assert len(items) == 2  # not 6
    for item in items:
        assert {"sumber", "kunci", "alasan", "pertama", "terakhir", "kali", "selesai"} <= set(item)
        assert item["sumber"] == "export" and item["kali"] == 3 and item["selesai"] is False
        assert item["pertama"] < item["terakhir"]
    assert {i["kunci"] for i in items} == {NIPS[1], "123"}

    # NIPS[1] now arrives clean: its row is resolved, the other stays open.
    write_export(
        tmp_path / "b.csv",
        [base_row(NIPS[0]), base_row(NIPS[1]), base_row(NIPS[2], nip_baru="123")],
    )
    last_json(
        diklat(tmp_path, "import", "siasn-export", "b.csv", "--json", env=env, api=prefect_api)
    )
    items = {
        i["kunci"]: i for i in last_json(diklat(tmp_path, "karantina", "list", "--json", env=env))
    }
    assert items[NIPS[1]]["selesai"] is True and items[NIPS[1]]["kali"] == 3
    assert items["123"]["selesai"] is False and items["123"]["kali"] == 4
    open_only = last_json(diklat(tmp_path, "karantina", "list", "--terbuka", "--json", env=env))
    assert [i["kunci"] for i in open_only] == ["123"]
    assert (
        last_json(diklat(tmp_path, "karantina", "list", "--sumber", "simpeg", "--json", env=env))
        == []
    )

    out = tmp_path / "karantina.xlsx"
    res = diklat(tmp_path, "karantina", "list", "--sumber", "export", "--out", str(out), env=env)
    assert res.returncode == 0, res.stderr
    ws = load_workbook(out).active
    assert ws is not None and ws.freeze_panes == "A2"
    rows = list(ws.values)
    assert rows[0][:3] == ("Sumber", "NIP / kunci", "Alasan") and len(rows) == 3
    assert NIPS[1] in {r[1] for r in rows}  # the NIP as text, every digit


def test_sync_quarantine_not_inflated_by_repeated_runs(engine: Engine) -> None:
    from test_sync import simpeg_client

    from diklat.pegawai import sync_service
    from simulator.server import SimulatorServer

    with SimulatorServer(n_pegawai=120, seed=3, bad_share=0.1) as sim:
        bad = sim.dataset.bad_records()
        for _ in range(3):
            sync_service.sync_simpeg(engine, full=True, client=simpeg_client(sim))
    with engine.connect() as c:
        rows = c.execute(select(Karantina.kunci, Karantina.alasan, Karantina.kali)).all()
    assert len(rows) == len(bad) and {r.kali for r in rows} == {3}


# --------------------------------------------------------------------------- history


def test_riwayat_lists_runs_with_kind_duration_status_counts(
    prefect_api: str, tmp_path: Path
) -> None:
    write_export(tmp_path / "a.csv", [base_row(n) for n in NIPS])
    first = last_json(
        diklat(tmp_path, "import", "siasn-export", "a.csv", "--json", api=prefect_api)
    )
    last_json(diklat(tmp_path, "import", "siasn-export", "a.csv", "--json", api=prefect_api))
    items = last_json(diklat(tmp_path, "riwayat", "--json"))
    assert [i["id"] for i in items] == [first["sync_run_id"] + 1, first["sync_run_id"]]
    for item in items:
        assert {
            "id",
            "jenis",
            "mulai",
            "detik",
            "status",
            "inserted",
            "updated",
            "unchanged",
            "deactivated",
            "quarantined",
            "lanjutan_dari",
        } <= set(item)
        assert item["jenis"] == "impor" and item["status"] == "berhasil"
        assert item["detik"] is not None and item["detik"] >= 0
    assert (items[1]["inserted"], items[0]["unchanged"]) == (4, 4)
    human = diklat(tmp_path, "riwayat")
    assert human.returncode == 0 and "berhasil" in human.stdout and "success" not in human.stdout


def test_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    for flag in ("--version", "-V"):
        res = diklat(tmp_path, flag)
        assert (
            res.returncode == 0 and res.stdout.strip() == f"diklat-flows {version('diklat-flows')}"
        )


# --------------------------------------------------------------------------- configuration


def test_config_masks_credentials_inside_urls(tmp_path: Path) -> None:
    secrets = {
        "DIKLAT_SIMPEG__URL": "https://operator:kata-sandi-simpeg@simpeg.example/api",
        "DIKLAT_SIASN__URL": "https://proxy.example/siasn?password=kata-sandi-siasn&x=1",
        "DIKLAT_SIASN__SSO_URL": "https://sso.example/?token=token-rahasia",
        "DIKLAT_DATABASE_URL": "postgresql+psycopg://app:sandi-db@db.example/diklat",
    }
    for args in (("config", "--json"), ("config",)):
        res = diklat(tmp_path, *args, env=secrets)
        assert res.returncode == 0, res.stderr
        for word in ("kata-sandi-simpeg", "kata-sandi-siasn", "token-rahasia", "sandi-db"):
            assert word not in res.stdout, (args, word)
    data = json.loads(diklat(tmp_path, "config", "--json", env=secrets).stdout)
    assert data["simpeg"]["url"] == "https://operator:***@simpeg.example/api"
    assert data["siasn"]["url"] == "https://proxy.example/siasn?password=***&x=1"


# --------------------------------------------------------------------------- older files


def test_export_older_than_synced_data_warns_and_full_needs_paksa(
    prefect_api: str, tmp_path: Path
) -> None:
    old = tmp_path / "lama.csv"
    write_export(old, [base_row(n) for n in NIPS[:3]])
    newer = tmp_path / "baru.csv"
    write_export(newer, [base_row(n) for n in NIPS])
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    last_json(diklat(tmp_path, "import", "siasn-export", "baru.csv", "--json", api=prefect_api))

    warned = diklat(tmp_path, "import", "siasn-export", "lama.csv", api=prefect_api)
    assert warned.returncode == 0, warned.stderr
    assert "lebih lama dari data" in warned.stderr

    refused = diklat(
        tmp_path, "import", "siasn-export", "lama.csv", "--full", "--json", api=prefect_api
    )
    assert refused.returncode == 2
    assert json.loads(refused.stdout.strip().splitlines()[-1])["status"] == "refused"
    assert "--paksa" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    db = f"sqlite:///{tmp_path / 'var' / 'diklat.db'}"
    eng = create_engine(db)
    with eng.connect() as c:
        active = c.execute(text("SELECT count(*) FROM pegawai WHERE aktif")).scalar_one()
        runs_before = c.execute(select(func.count()).select_from(SyncRun)).scalar_one()
    assert active == 4  # nothing deactivated by the refused run
    forced = last_json(
        diklat(
            tmp_path,
            "import",
            "siasn-export",
            "lama.csv",
            "--full",
            "--paksa",
            "--json",
            api=prefect_api,
        )
    )
    assert forced["deactivated"] == 1
    with eng.connect() as c:
        assert c.execute(select(func.count()).select_from(SyncRun)).scalar_one() == runs_before + 1
    eng.dispose()


# --------------------------------------------------------------------------- migration


def test_migration_merges_duplicate_quarantine_rows(sqlite_url: str) -> None:
    """0002_operasi on a database that already holds the duplicates of five runs."""
    import importlib.util

    from diklat.db import migrate
    from diklat.pegawai.personnel import karantina_sidik

    migrate(sqlite_url, "0001")
    eng = create_engine(sqlite_url)
    with eng.begin() as c:
        for run in range(1, 6):
            c.execute(
                text(
                    "INSERT INTO sync_run (id, sumber, mode, status, started_at, seen, "
                    "inserted, updated, unchanged, deactivated, quarantined) VALUES "
                    f"({run}, 'simpeg', 'full', 'success', '2026-01-0{run} 01:00:00', "
                    "0, 0, 0, 0, 0, 2)"
                )
            )
            for kunci in ("123", "199103032016041003"):
                c.execute(
                    text(
                        "INSERT INTO karantina (sync_run_id, sumber, kunci, alasan, "
                        f"created_at) VALUES ({run}, 'simpeg', '{kunci}', "
                        f"'alasan {kunci}', '2026-01-0{run} 01:00:00')"
                    )
                )
    migrate(sqlite_url)
    with eng.connect() as c:
        rows = c.execute(
            text(
                "SELECT kunci, kali, created_at, terakhir, sidik, sync_run_id "
                "FROM karantina ORDER BY kunci"
            )
        ).all()
    eng.dispose()
    assert [(r.kunci, r.kali, r.sync_run_id) for r in rows] == [
        ("123", 5, 5),
        ("199103032016041003", 5, 5),
    ]
    assert rows[0].created_at.startswith("2026-01-01") and rows[0].terakhir.startswith("2026-01-05")
    assert rows[0].sidik == karantina_sidik("simpeg", "123", None, "alasan 123")
    spec = importlib.util.spec_from_file_location(
        "m0002", ROOT / "migrations" / "versions" / "0002_operasi.py"
    )
    assert spec is not None and spec.loader is not None
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    for args in (
        ("simpeg", "123", None, "x"),
        ("siasn-export", None, 7, "baris terpotong"),
        ("siasn-export", None, None, "y"),
    ):
        assert m._sidik(*args) == karantina_sidik(*args)


@pytest.mark.parametrize("sumber", ["simpeg", "export"])
def test_karantina_list_refuses_a_bad_out_name(tmp_path: Path, sumber: str) -> None:
    res = diklat(tmp_path, "karantina", "list", "--sumber", sumber, "--out", "x.csv")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
