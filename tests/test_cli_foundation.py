"""The ``diklat`` command as installed (``.venv/bin/diklat``), run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from diklat.models import Base

ROOT = Path(__file__).resolve().parent.parent
DIKLAT = Path(sys.executable).parent / "diklat"
if not DIKLAT.exists():  # pragma: no cover - tests run from another interpreter
    DIKLAT = ROOT / ".venv" / "bin" / "diklat"


def run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DIKLAT_")}
    full_env["DIKLAT_VAR_DIR"] = str(tmp_path / "var")
    full_env.update(env or {})
    return subprocess.run(
        [str(DIKLAT), *args],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_everywhere(tmp_path: Path) -> None:
    for args in (
        ["--help"],
        ["sop", "--help"],
        ["sop", "show", "--help"],
        ["nip", "--help"],
        ["-h"],
        ["sync", "-h"],
        ["import", "siasn-export", "-h"],
    ):
        res = run(tmp_path, *args)
        assert res.returncode == 0, res.stderr
        assert "Pemakaian" in res.stdout and "Show this message" not in res.stdout


def test_init_twice_on_sqlite(tmp_path: Path) -> None:
    first = run(tmp_path, "init")
    assert first.returncode == 0, first.stderr
    db = tmp_path / "var" / "diklat.db"
    assert db.exists()
    second = run(tmp_path, "init")
    assert second.returncode == 0, second.stderr
    assert "revisi" in second.stdout
    tables = set(inspect(create_engine(f"sqlite:///{db}")).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_init_on_postgres_creates_schema(tmp_path: Path, pg_url: str) -> None:
    res = run(tmp_path, "init", env={"DIKLAT_DATABASE_URL": pg_url})
    assert res.returncode == 0, res.stderr
    eng = create_engine(pg_url)
    try:
        tables = set(inspect(eng).get_table_names())
    finally:
        eng.dispose()
    assert set(Base.metadata.tables) <= tables
    assert not (tmp_path / "var" / "diklat.db").exists()  # it really used PostgreSQL


def test_init_bad_url_fails_cleanly(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        "init",
        "--database-url",
        "postgresql+psycopg://u:rahasia@127.0.0.1:1/nope?connect_timeout=2",
    )
    assert res.returncode == 1
    assert "migrasi gagal" in res.stderr and "rahasia" not in res.stderr + res.stdout
    assert "Traceback" not in res.stderr


def test_config_json_masks_secrets(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        "config",
        "--json",
        env={
            "DIKLAT_SIASN__PASSWORD": "sandi-siasn-123",
            "DIKLAT_SIMPEG__API_KEY": "kunci-simpeg-456",
            "DIKLAT_DATABASE_URL": "postgresql+psycopg://app:sandi-db-789@db.example:5432/diklat",
            "DIKLAT_INSTANSI__KOTA": "Pekalongan",
        },
    )
    assert res.returncode == 0, res.stderr
    for secret in ("sandi-siasn-123", "kunci-simpeg-456", "sandi-db-789"):
        assert secret not in res.stdout
    data = json.loads(res.stdout)
    assert data["instansi"]["kota"] == "Pekalongan"
    assert data["siasn"]["password"] == "**********"
    assert data["database_url"].startswith("postgresql+psycopg://app:***@db.example")
    human = run(tmp_path, "config", env={"DIKLAT_SIASN__PASSWORD": "sandi-siasn-123"})
    assert human.returncode == 0 and "sandi-siasn-123" not in human.stdout


def test_nip_check_exit_codes(tmp_path: Path) -> None:
    ok = run(tmp_path, "nip", "check", "NIP. 19720913 199803 1 001", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {
        "nip": "197209131998031001",
        "valid": True,
        "jenis": "PNS",
        "tanggal_lahir": "1972-09-13",
        "jenis_kelamin": "L",
        "reason": None,
    }
    pppk = run(tmp_path, "nip", "check", "200012312024211001", "--json")
    assert pppk.returncode == 0 and json.loads(pppk.stdout)["jenis"] == "PPPK"
    bad = run(tmp_path, "nip", "check", "197209131998033001", "--json")
    assert bad.returncode == 1
    data = json.loads(bad.stdout)
    assert data["valid"] is False and data["jenis"] is None and "jenis kelamin" in data["reason"]


def test_sop_show_json_structure(tmp_path: Path) -> None:
    res = run(tmp_path, "sop", "show", "pengiriman-peserta", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["code"] == "pengiriman-peserta"
    assert data["title"] == "Pengiriman Peserta Diklat Teknis dan Fungsional"
    assert [s["no"] for s in data["steps"]] == list(range(1, 25))
    keys = {
        "no",
        "kegiatan",
        "pelaksana",
        "kelengkapan",
        "waktu",
        "waktu_min",
        "waktu_max",
        "output",
        "keterangan",
        "approval",
        "reconstructed",
    }
    for step in data["steps"]:
        assert keys <= set(step)
        assert isinstance(step["pelaksana"], list) and step["pelaksana"]
        assert step["reconstructed"] is (step["no"] <= 12)
    by_no = {s["no"]: s for s in data["steps"]}
    assert (by_no[13]["waktu_min"], by_no[13]["waktu_max"]) == ("PT15M", "PT15M")
    assert (by_no[16]["waktu_min"], by_no[16]["waktu_max"]) == ("P3D", "P5D")
    assert (by_no[17]["waktu_min"], by_no[17]["waktu_max"]) == ("PT1H", "PT1H")
    assert by_no[22]["waktu_min"] is None and by_no[22]["waktu_max"] is None
    assert by_no[14]["approval"]["kind"] == "paraf"


def test_sop_list_and_show_tables(tmp_path: Path) -> None:
    res = run(tmp_path, "sop", "list")
    assert res.returncode == 0, res.stderr
    assert "peningkatan-kapasitas" in res.stdout and "pengiriman-peserta" in res.stdout
    show = run(tmp_path, "sop", "show", "peningkatan-kapasitas")
    assert show.returncode == 0, show.stderr
    for text in ("Merencanakan", "Mendokumen", "P3D", "PT30M"):
        assert text in show.stdout
    for out in (res.stdout, show.stdout):  # piped: 120 columns, like every table
        assert max(len(line) for line in out.splitlines()) <= 120


@pytest.mark.parametrize(
    "args", [("sop", "show", "tidak-ada"), ("sop", "show", "tidak-ada", "--json")]
)
def test_sop_unknown_code(tmp_path: Path, args: tuple[str, ...]) -> None:
    res = run(tmp_path, *args)
    assert res.returncode == 1
    assert "tidak-ada" in res.stderr and "pengiriman-peserta" in res.stderr
    assert res.stdout == ""
