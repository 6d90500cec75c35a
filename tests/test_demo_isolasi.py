"""`make demo` keeps to itself: with a production database configured, a Prefect server
configured for the operator and `make up`'s history in var/prefect, the demo writes its
trainings only into var/demo, runs its flows on a Prefect server of its own (history in
var/demo/prefect, never in the operator's), prints no traceback from Prefect's server (its
output goes to a log), and its last lines say where everything is and how to look at it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from diklat.db import migrate
from diklat.models import Kegiatan

DIKLAT = str(Path(sys.executable).parent / "diklat")


def _run(args: list[str], cwd: Path, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    env.update({"COLUMNS": "200", "DIKLAT_VAR_DIR": str(cwd / "var"), **env_extra})
    return subprocess.run(
        [DIKLAT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


@pytest.mark.slow
def test_demo_never_touches_production_or_the_operators_prefect(tmp_path: Path) -> None:
    prod = tmp_path / "produksi" / "diklat.db"
    prod.parent.mkdir()
    prod_url = f"sqlite:///{prod}"
    migrate(prod_url)
    (tmp_path / "var" / "prefect").mkdir(parents=True)  # make up's history lives here
    r = _run(
        ["demo", "--pegawai", "200", "--peserta", "4", "--opd", "2"],
        tmp_path,
        DIKLAT_DATABASE_URL=prod_url,  # configured for production
        PREFECT_API_URL="http://127.0.0.1:9/api",
    )  # the operator's server (down)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "database is locked" not in r.stderr and "Traceback" not in r.stderr
    demo = (tmp_path / "var" / "demo").resolve()
    out = r.stdout
    assert f"Basis data baru khusus demo: sqlite:///{demo}/diklat.db" in out
    assert "tidak disentuh" in out  # the configured database, named as left alone
    last = json.loads(out.strip().splitlines()[-1])
    tail = "\n".join(out.strip().splitlines()[-6:-1])
    assert "TIDAK di UI `make up`" in tail and str(demo / "prefect") in tail

    eng = create_engine(prod_url)
    with eng.connect() as c:
        assert c.execute(select(func.count()).select_from(Kegiatan)).scalar_one() == 0
    eng.dispose()
    assert (demo / "prefect" / "prefect.db").is_file()  # the demo's own run history
    assert not (tmp_path / "var" / "prefect" / "prefect.db").exists()
    assert (demo / "log" / "prefect-server.log").is_file()

    # the printed way to look at it works
    show = _run(
        ["kegiatan", "show", last["kegiatan"][0], "--json"],
        tmp_path,
        DIKLAT_VAR_DIR=str(demo),
        DIKLAT_DATABASE_URL=f"sqlite:///{demo}/diklat.db",
    )
    assert show.returncode == 0, show.stderr
    assert json.loads(show.stdout)["kode"] == last["kegiatan"][0]
