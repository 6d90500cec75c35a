"""`make up` / `diklat up` on the ports given, end to end: every process it starts and every
`diklat` command run beside it follow them (the connectors reach the simulator on
``--sim-port``, `diklat config` shows it, a sync from a second terminal lands in the stack's
Prefect server on ``--port``), and the first day's missing pieces are said with their
commands."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
DIKLAT = str(Path(sys.executable).parent / "diklat")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    env["DIKLAT_VAR_DIR"] = str(var)
    return env


def test_make_up_passes_the_ports() -> None:
    r = subprocess.run(
        ["make", "-n", "up", "PORT=4301", "WEB_PORT=8101", "SIM_PORT=8766"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "diklat up --port 4301 --web-port 8101 --sim-port 8766" in r.stdout
    env = {**os.environ, "PORT": "4302", "SIM_PORT": "8767"}
    r = subprocess.run(
        ["make", "-n", "up"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert "diklat up --port 4302 --web-port 8000 --sim-port 8767" in r.stdout


@pytest.mark.slow
def test_up_and_the_commands_beside_it_follow_the_ports(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir()
    port, web, sim = _free_port(), _free_port(), _free_port()
    out = var / "up.out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "up",
            "--port",
            str(port),
            "--web-port",
            str(web),
            "--sim-port",
            str(sim),
            "--pegawai",
            "40",
        ],
        cwd=ROOT,
        env=_env(var),
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=out.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 240
        while "Siap." not in out.read_text(errors="replace"):
            assert proc.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.5)
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{sim}/", timeout=2).status_code < 500:
                    break
            assert time.monotonic() < deadline, "the simulator never answered on --sim-port"
            time.sleep(0.5)
        while "Belum siap untuk kegiatan" not in (text := out.read_text(errors="replace")):
            assert time.monotonic() < deadline, text  # printed just after "Siap."
            time.sleep(0.2)
        assert "Belum siap untuk kegiatan" in text and "diklat sync --full" in text
        assert "diklat pejabat tambah --peran kepala" in text
        assert json.loads((var / "up.json").read_text())["simulator"] == (f"http://127.0.0.1:{sim}")

        cfg = json.loads(
            subprocess.run(
                [DIKLAT, "config", "--json"],
                env=_env(var),
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
        )
        assert cfg["simpeg"]["url"] == f"http://127.0.0.1:{sim}/simpeg/api/v1"
        assert cfg["siasn"]["url"] == cfg["siasn"]["sso_url"] == f"http://127.0.0.1:{sim}"
        assert cfg["tte"]["verify_base_url"] == f"http://127.0.0.1:{web}"
        assert requests.get(f"http://127.0.0.1:{web}/", timeout=5).status_code == 200

        r = subprocess.run(
            [DIKLAT, "sync", "--full", "--json"],
            env=_env(var),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout.strip().splitlines()[-1])["inserted"] == 40
        runs = requests.post(
            f"http://127.0.0.1:{port}/api/flow_runs/filter", json={}, timeout=10
        ).json()
        assert any(x["name"].startswith("sinkron-penuh-") for x in runs)  # the stack's server
        r = subprocess.run(
            [DIKLAT, "unit", "list", "--json"],
            env=_env(var),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 0 and json.loads(r.stdout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert not (var / "up.json").exists()
    cfg = json.loads(
        subprocess.run(
            [DIKLAT, "config", "--json"],
            env=_env(var),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    )
    assert cfg["simpeg"]["url"] == "http://127.0.0.1:8765/simpeg/api/v1"  # the stack is gone
