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
    # request for speakers, SK, invitation, report + a notice per unit + 6 summonses + 6
    # certificates; attendance sheets and receipts carry no number
    assert len(entries) >= 4 + 1 + 6 + 6
    assert len({e["nomor"] for e in entries}) == len(entries)
    out = next((tmp_path / "var" / "output").iterdir())
    assert (out / "daftar-peserta.xlsx").exists()
    finals = list(out.glob("*/v1/final/*.docx"))
    shown = json.loads(_run(["kegiatan", "show", out.name, "--json"], tmp_path).stdout)
    assert len(finals) == len(shown["naskah"]) == len(entries) + 6 + 3  # + receipts, days
    assert {n["nomor"] for n in shown["naskah"] if n["nomor"]} == {e["nomor"] for e in entries}
    assert shown["status"] == "berjalan" and shown["peserta"] == {"lulus": 6}
    if pdf_connector.available():
        assert len(list(out.glob("*/v1/pdf/*.pdf"))) == len(finals)

    second = _run(["demo", "--pegawai", "300", "--peserta", "6"], tmp_path)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    again = json.loads(_run(["register", "list", "--year", year, "--json"], tmp_path).stdout)
    assert again == entries  # nothing numbered twice
