"""The first day: the data folder is the project's from any folder (or a setting), never an
empty database made wherever ``diklat`` happens to be typed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from diklat import settings as settings_mod
from diklat.settings import Settings, reset_settings_cache

#: Runs the real command line with the package's folder replaced (as an installed copy or
#: another checkout would have it).
WRAPPER = (
    "import sys; from pathlib import Path; import diklat.settings as s; "
    "s._PAKET = Path(sys.argv[1]); sys.argv = ['diklat', *sys.argv[2:]]; "
    "from cli.main import main; main()"
)


def _project(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[project]\nname = "diklat-flows"\n')
    (folder / "migrations").mkdir()
    return folder


def _run(paket: Path, cwd: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    env.update(env_extra)
    root = Path(__file__).resolve().parent.parent
    env["PYTHONPATH"] = str(root)
    return subprocess.run(
        [sys.executable, "-c", WRAPPER, str(paket), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_projects_folder_from_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proj = _project(tmp_path / "proyek")
    (proj / ".env").write_text("DIKLAT_TIMEZONE=Asia/Jakarta\n")
    elsewhere = tmp_path / "lain"
    elsewhere.mkdir()
    monkeypatch.setattr(settings_mod, "_PAKET", proj)
    monkeypatch.delenv("DIKLAT_VAR_DIR")
    monkeypatch.chdir(elsewhere)
    s = Settings(_env_file=settings_mod._env_files())  # type: ignore[call-arg]
    assert s.var_dir == proj / "var" and not s.var_dir_tebakan
    assert s.database_url == f"sqlite:///{proj / 'var' / 'diklat.db'}"
    assert s.timezone == "Asia/Jakarta"  # the project's .env, read from another folder
    monkeypatch.setattr(settings_mod, "_PAKET", tmp_path / "site-packages")
    s = Settings(_env_file=settings_mod._env_files())  # type: ignore[call-arg]
    assert s.var_dir_tebakan and s.var_dir == Path("var")
    monkeypatch.setenv("DIKLAT_VAR_DIR", str(tmp_path / "data"))
    reset_settings_cache()
    assert not Settings().var_dir_tebakan


def test_no_database_is_made_where_no_project_is(tmp_path: Path) -> None:
    """An installed copy run from a folder that is not the project: the commands that need
    the database refuse with one line naming the settings, and nothing appears there; a
    project (or a setting) makes it work, with the data in the project's folder."""
    elsewhere = tmp_path / "dokumen"
    elsewhere.mkdir()
    installed = tmp_path / "site-packages"
    installed.mkdir()
    r = _run(installed, elsewhere, "kegiatan", "list")
    assert r.returncode == 1, r.stdout + r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "DIKLAT_VAR_DIR" in lines[0] and "DIKLAT_DATABASE_URL" in lines[0]
    assert "Traceback" not in r.stderr
    assert _run(installed, elsewhere, "nip", "check", "198501012010012001").returncode == 0
    assert list(elsewhere.iterdir()) == []  # no var/, no diklat.db, no prefect/

    r = _run(installed, elsewhere, "init", DIKLAT_VAR_DIR=str(tmp_path / "data"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "data" / "diklat.db").is_file()

    proj = _project(tmp_path / "proyek")
    r = _run(proj, elsewhere, "init")
    assert r.returncode == 0, r.stderr
    assert (proj / "var" / "diklat.db").is_file() and list(elsewhere.iterdir()) == []
    r = _run(proj, elsewhere, "config", "--json")
    assert str(proj / "var") in r.stdout
