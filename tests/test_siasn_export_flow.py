"""The import as a Prefect flow (real Prefect test server) and as the ``diklat import
siasn-export`` command (a real subprocess talking to the same Prefect server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from test_siasn_export_reader import NIPS, base_row, write_export

from diklat.models import Karantina, Pegawai, SyncRun
from diklat.pegawai.siasn_export import REQUIRED_COLUMNS, ExportRefused

ROOT = Path(__file__).resolve().parent.parent
DIKLAT = Path(sys.executable).parent / "diklat"
if not DIKLAT.exists():  # pragma: no cover - tests run from another interpreter
    DIKLAT = ROOT / ".venv" / "bin" / "diklat"
JSON_KEYS = {
    "inserted",
    "updated",
    "unchanged",
    "deactivated",
    "quarantined",
    "seconds",
    "status",
    "sync_run_id",
    "file_sha256",
}


def counts_in(db_url: str) -> tuple[int, int, int]:
    eng = create_engine(db_url)
    try:
        with eng.connect() as c:
            return tuple(  # type: ignore[return-value]
                c.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (Pegawai, SyncRun, Karantina)
            )
    finally:
        eng.dispose()


def test_flow_with_relative_path_in_import_dir(prefect_api: str, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    from diklat.db import migrate
    from flows.import_siasn_export import import_siasn_export

    migrate()  # by the command or the deployments' start: the flow only checks it
    import_dir = tmp_path / "var" / "import"
    import_dir.mkdir(parents=True)
    rows = [base_row(n) for n in NIPS] + [base_row("198501012010012000")]
    write_export(import_dir / "export_asn.csv", rows, delimiter="|")
    counts = import_siasn_export(path="export_asn.csv")
    assert (counts["inserted"], counts["quarantined"], counts["status"]) == (4, 1, "success")
    assert set(counts) >= JSON_KEYS
    db = f"sqlite:///{tmp_path / 'var' / 'diklat.db'}"
    assert counts_in(db) == (4, 1, 1)
    eng = create_engine(db)
    with eng.connect() as c:
        flow_run_id = c.execute(select(SyncRun.flow_run_id)).scalar_one()
    eng.dispose()
    with get_client(sync_client=True) as client:  # the session's server: this run's only
        arts = [
            a
            for a in client.read_artifacts()
            if a.key == "import-siasn-export" and str(a.flow_run_id) == flow_run_id
        ]
        run = client.read_flow_run(flow_run_id)
    assert run.name == "impor-export-export_asn.csv" and run.parameters["path"] == (
        "export_asn.csv"
    )
    assert arts, "a table artifact with the counts is published"
    table = arts[-1].data
    table = json.loads(table) if isinstance(table, str) else table
    assert list(table[0])[:5] == ["baru", "berubah", "tetap", "dinonaktifkan", "dikarantina"]
    assert table[0]["baru"] == 4 and table[0]["run"] == counts["sync_run_id"]
    data = json.dumps([a.data for a in arts]) + json.dumps([a.description for a in arts])
    for secret in ("Siti", "081234567890", NIPS[0], "siti@"):
        assert secret not in data  # counts only, no personal data


def test_flow_refuses_file_and_writes_nothing(prefect_api: str, tmp_path: Path) -> None:
    from flows.import_siasn_export import import_siasn_export

    (tmp_path / "var" / "import").mkdir(parents=True)
    path = tmp_path / "var" / "import" / "bad.csv"
    write_export(
        path, [base_row(NIPS[0])], columns=[c for c in REQUIRED_COLUMNS if c != "nip_baru"]
    )
    with pytest.raises(ExportRefused, match="nip_baru"):
        import_siasn_export(path="bad.csv")
    for outside in (
        str(path),
        str(tmp_path / "tidak-ada.csv"),
        "/etc/shadow",
        "~/x.csv",
        "../import/../../bad.csv",
    ):  # the flow takes names inside the folder only
        with pytest.raises(ExportRefused, match="bukan nama berkas di dalam folder"):
            import_siasn_export(path=outside)
    assert not (tmp_path / "var" / "diklat.db").exists() or counts_in(
        f"sqlite:///{tmp_path / 'var' / 'diklat.db'}"
    ) == (0, 0, 0)


def run_cli(
    tmp_path: Path, *args: str, api: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    full_env["DIKLAT_VAR_DIR"] = str(tmp_path / "var")
    if api:
        full_env["PREFECT_API_URL"] = api
    full_env.update(env or {})
    return subprocess.run(
        [str(DIKLAT), "import", "siasn-export", *args],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_cli_imports_twice_and_full(prefect_api: str, tmp_path: Path, db_url: str) -> None:
    env = {"DIKLAT_DATABASE_URL": db_url}
    write_export(
        tmp_path / "a.csv",
        [base_row(n) for n in NIPS] + [base_row("199105052019031004", unor_id="null")],
        bom=True,
        newline="\r\n",
    )
    res = run_cli(tmp_path, "a.csv", "--json", api=prefect_api, env=env)
    assert res.returncode == 0, res.stderr  # quarantined rows do not fail the import
    first = json.loads(res.stdout.strip().splitlines()[-1])
    assert set(first) >= JSON_KEYS
    assert (first["inserted"], first["quarantined"], first["status"]) == (4, 1, "success")
    assert "081234567890" not in res.stdout + res.stderr  # contact data never printed
    from prefect.client.orchestration import get_client

    eng = create_engine(db_url)
    with eng.connect() as c:
        flow_run_id = c.execute(
            select(SyncRun.flow_run_id).where(SyncRun.id == first["sync_run_id"])
        ).scalar_one()
    eng.dispose()
    with get_client(sync_client=True) as client:
        params = client.read_flow_run(flow_run_id).parameters
    # A file outside the import folder reaches the flow as a name in it, never a path.
    assert not params["path"].startswith(("/", "~")) and str(tmp_path) not in params["path"]
    assert params["path"].endswith("/a.csv")
    assert not list((tmp_path / "var" / "import").glob(".cli-*"))  # the link is gone

    again = run_cli(tmp_path, "a.csv", "--json", api=prefect_api, env=env)
    second = json.loads(again.stdout.strip().splitlines()[-1])
    assert (second["inserted"], second["updated"], second["unchanged"]) == (0, 0, 4)
    assert second["file_sha256"] == first["file_sha256"]

    write_export(tmp_path / "b.csv", [base_row(n) for n in NIPS[:3]])
    full = run_cli(tmp_path, "b.csv", "--full", "--json", api=prefect_api, env=env)
    assert full.returncode == 0, full.stderr
    third = json.loads(full.stdout.strip().splitlines()[-1])
    assert (third["deactivated"], third["unchanged"], third["mode"]) == (1, 3, "file-full")
    assert counts_in(db_url)[0] == 4  # deactivated, never deleted


@pytest.mark.parametrize("case", ["missing", "png", "empty"])
def test_cli_refuses_with_exit_2(tmp_path: Path, case: str) -> None:
    path = tmp_path / "f.csv"
    if case == "missing":
        write_export(
            path,
            [base_row(NIPS[0])],
            columns=[c for c in REQUIRED_COLUMNS if c not in ("unor_id", "unor_nama")],
        )
    elif case == "png":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    else:
        path.write_bytes(b"")
    res = run_cli(tmp_path, "f.csv", "--json")
    assert res.returncode == 2
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["status"] == "refused"
    expected = {"missing": "unor_id, unor_nama", "png": "gambar PNG", "empty": "kosong"}[case]
    assert expected in out["error"]
    assert "ditolak" in res.stderr
    db = tmp_path / "var" / "diklat.db"
    assert not db.exists() or counts_in(f"sqlite:///{db}") == (0, 0, 0)


def test_deployment_for_the_ui_has_typed_parameters() -> None:
    from flows.import_siasn_export import deployment

    d = deployment()
    props = d._parameter_openapi_schema.properties
    assert props["path"]["type"] == "string" and "default" not in props["path"]
    assert props["full"] == {"default": False, "position": 1, "title": "full", "type": "boolean"}
    assert d.schedules in (None, [])  # run by hand from the UI, never on a schedule
