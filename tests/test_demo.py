"""The main job (`make demo` = `diklat demo`) end to end, as a newcomer runs it: a fresh
database, a sync, both SOPs with scripted officials (one refused code, one revision); the last
line is a JSON object with the counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DIKLAT = str(Path(sys.executable).parent / "diklat")


def _run(args: list[str], cwd: Path, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    env.update({"COLUMNS": "120", "DIKLAT_VAR_DIR": str(cwd / "var"), **env_extra})
    return subprocess.run(
        [DIKLAT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


@pytest.mark.slow
def test_demo_runs_both_sops_end_to_end(tmp_path: Path) -> None:
    r = _run(["demo", "--pegawai", "400", "--peserta", "12", "--opd", "3"], tmp_path)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    last = json.loads(r.stdout.strip().splitlines()[-1])
    assert {
        "kegiatan",
        "peserta",
        "naskah",
        "nomor",
        "email",
        "arsip",
        "keputusan",
        "detik",
    } <= set(last)
    assert last["kegiatan"][0].startswith("PK-") and last["peserta"] == 13
    assert last["nomor"] >= 12 * 2 + 3 + 1 and last["email"] >= 12 * 2
    assert last["arsip"] >= last["nomor"] and last["keputusan"] >= 10
    demo = tmp_path / "var" / "demo"
    shown = json.loads(
        _run(
            ["kegiatan", "show", last["kegiatan"][0], "--json"], tmp_path, DIKLAT_VAR_DIR=str(demo)
        ).stdout
    )
    assert shown["status"] == "selesai"
    assert all(x["status"] == "selesai" for x in shown["langkah"])
    revised = [n for n in shown["naskah"] if n["versi"] == 2]
    assert revised and {n["jenis"] for n in revised} == {"surat_pemberitahuan"}
    hist = json.loads(
        _run(
            ["riwayat-keputusan", last["kegiatan"][0], "--json"], tmp_path, DIKLAT_VAR_DIR=str(demo)
        ).stdout
    )
    assert [h["alasan"] for h in hist if h["hasil"] == "ditolak"] == ["kode verifikasi salah"]
    assert any(h["keputusan"] == "revisi" for h in hist)
    emls = list((demo / "outbox").glob("*.eml"))
    assert len(emls) >= last["email"]
    signed = list((demo / "output").rglob("ttd/*.pdf"))
    assert len(signed) == last["nomor"]
