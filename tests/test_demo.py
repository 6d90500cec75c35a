"""The main job (`make demo` = `diklat demo`) end to end, as a newcomer runs it, once for the
module: a fresh database, a sync, both SOPs with scripted officials (one refused code, one
revision); the last line is a JSON object with the counts.

The same run shows that the demo keeps to itself: it is started with a production database
configured, a Prefect server configured for the operator (down) and `make up`'s history in
var/prefect, and it writes its trainings only into var/demo, runs its flows on a Prefect
server of its own (history in var/demo/prefect, never in the operator's), prints no traceback
from Prefect's server (its output goes to a log), and its last lines say where everything is
and how to look at it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from diklat.db import migrate
from diklat.models import Kegiatan

DIKLAT = str(Path(sys.executable).parent / "diklat")

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    env.update({"COLUMNS": "200", "DIKLAT_VAR_DIR": str(cwd / "var"), **env_extra})
    return subprocess.run(
        [DIKLAT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


@dataclass
class Demo:
    root: Path
    prod_url: str
    run: subprocess.CompletedProcess[str]

    @property
    def folder(self) -> Path:
        return (self.root / "var" / "demo").resolve()

    @property
    def last(self) -> dict[str, Any]:
        return dict(json.loads(self.run.stdout.strip().splitlines()[-1]))

    def show(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A command on the demo's data, as its last lines say to run it."""
        return _run(
            list(args),
            self.root,
            DIKLAT_VAR_DIR=str(self.folder),
            DIKLAT_DATABASE_URL=f"sqlite:///{self.folder}/diklat.db",
        )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("demo")
    prod = root / "produksi" / "diklat.db"
    prod.parent.mkdir()
    prod_url = f"sqlite:///{prod}"
    migrate(prod_url)
    (root / "var" / "prefect").mkdir(parents=True)  # make up's history lives here
    r = _run(
        ["demo", "--pegawai", "400", "--peserta", "12", "--opd", "3"],
        root,
        DIKLAT_DATABASE_URL=prod_url,  # configured for production
        PREFECT_API_URL="http://127.0.0.1:9/api",  # the operator's server (down)
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return Demo(root, prod_url, r)


def test_demo_runs_both_sops_and_never_touches_production_or_the_operators_prefect(
    demo: Demo,
) -> None:
    """One test, one demo: pytest-xdist hands a module's tests to whichever worker is free, so
    two tests on this fixture ran the whole demo on both workers (about 100 s each)."""
    last = demo.last
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
    shown = json.loads(demo.show("kegiatan", "show", last["kegiatan"][0], "--json").stdout)
    assert shown["status"] == "selesai"
    assert all(x["status"] == "selesai" for x in shown["langkah"])
    revised = [n for n in shown["naskah"] if n["versi"] == 2]
    assert revised and {n["jenis"] for n in revised} == {"surat_pemberitahuan"}
    hist = json.loads(demo.show("riwayat-keputusan", last["kegiatan"][0], "--json").stdout)
    assert [h["alasan"] for h in hist if h["hasil"] == "ditolak"] == ["kode verifikasi salah"]
    assert any(h["keputusan"] == "revisi" for h in hist)
    emls = list((demo.folder / "outbox").glob("*.eml"))
    assert len(emls) >= last["email"]
    signed = list((demo.folder / "output").rglob("ttd/*.pdf"))
    assert len(signed) == last["nomor"]

    # ---- and it never touched the configured production database or the operator's Prefect
    r, folder = demo.run, demo.folder
    assert "database is locked" not in r.stderr and "Traceback" not in r.stderr
    out = r.stdout
    said = " ".join(out.split())  # as read, whatever the terminal's width wrapped
    assert f"Basis data baru khusus demo: sqlite:///{folder}/diklat.db" in said
    assert "tidak disentuh" in said  # the configured database, named as left alone
    tail = "\n".join(out.strip().splitlines()[-6:-1])
    assert "TIDAK di UI `make up`" in tail and str(folder / "prefect") in tail

    eng = create_engine(demo.prod_url)
    with eng.connect() as c:
        assert c.execute(select(func.count()).select_from(Kegiatan)).scalar_one() == 0
    eng.dispose()
    assert (folder / "prefect" / "prefect.db").is_file()  # the demo's own run history
    assert not (demo.root / "var" / "prefect" / "prefect.db").exists()
    assert (folder / "log" / "prefect-server.log").is_file()

    # the printed way to look at it works
    show = demo.show("kegiatan", "show", demo.last["kegiatan"][0], "--json")
    assert show.returncode == 0, show.stderr
    assert json.loads(show.stdout)["kode"] == demo.last["kegiatan"][0]
