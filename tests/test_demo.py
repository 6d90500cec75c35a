"""The main job (`make demo` = `diklat demo`) end to end, as a newcomer runs it, twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectors import pdf as pdf_connector
from diklat.register import today

DIKLAT = str(Path(sys.executable).parent / "diklat")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DIKLAT_", "PREFECT_"))}
    env["COLUMNS"] = "120"
    return subprocess.run([DIKLAT, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow
def test_demo_runs_end_to_end_and_again_without_duplicates(tmp_path: Path) -> None:
    first = _run(["demo", "--pegawai", "300", "--peserta", "6"], tmp_path)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "Sinkron penuh SIMPEG" in first.stdout and "Selesai" in first.stdout
    year = str(today().year)
    register = _run(["register", "list", "--year", year, "--json"], tmp_path)
    entries = json.loads(register.stdout)
    # 6 summonses + 6 certificates + one notice per unit; attendance sheet unnumbered
    assert len(entries) >= 13
    assert len({e["nomor"] for e in entries}) == len(entries)
    out = next((tmp_path / "var" / "output").iterdir())
    assert (out / "daftar-peserta.xlsx").exists()
    finals = list((out / "final").rglob("*.docx"))
    assert len(finals) == len(entries) + 1
    if pdf_connector.available():
        assert len(list((out / "pdf").glob("*.pdf"))) == len(finals)

    second = _run(["demo", "--pegawai", "300", "--peserta", "6"], tmp_path)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    again = json.loads(_run(["register", "list", "--year", year, "--json"], tmp_path).stdout)
    assert again == entries  # nothing numbered twice
