"""Running the simulator: :class:`SimulatorServer` (uvicorn in a background thread, for tests and
benchmarks) and :func:`serve` (in the foreground, for ``diklat simulator``).

    with SimulatorServer(n_pegawai=300, seed=7, bad_share=0.02) as sim:
        requests.get(sim.simpeg_url + "/pegawai", headers={"X-API-Key": sim.api_key})
        sim.set_faults(fail_share=0.2, rate_limit_share=0.05)
        sim.mutate(0.01)

``port=0`` picks a free port; after :meth:`SimulatorServer.stop` the same object can be started
again on the same port with the same data (to test "server down, then back").

:class:`SimulatorProcess` runs the same server in a child process (``python -m simulator.server``)
and offers the same control methods over the ``/_control`` endpoints: for benchmarks, where an
in-process server would share the GIL and the memory figures of the process being measured.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import requests
import uvicorn

from simulator.app import Credentials, SimulatorState, create_app
from simulator.data import Dataset
from simulator.faults import FaultConfig

DEFAULT_PORT = 8765


class _Addresses:
    """URLs of a running simulator and the environment that points the product at it."""

    host: str
    port: int
    api_key: str

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def simpeg_url(self) -> str:
        return f"{self.url}/simpeg/api/v1"

    @property
    def siasn_url(self) -> str:
        """Gateway base (also the SSO base); the API is under ``/apisiasn/1.0``."""
        return self.url

    def env(self) -> dict[str, str]:
        """Environment variables that point the product's settings at this server."""
        return {
            "DIKLAT_SIMPEG__URL": self.simpeg_url,
            "DIKLAT_SIMPEG__API_KEY": self.api_key,
            "DIKLAT_SIASN__URL": self.siasn_url,
            "DIKLAT_SIASN__SSO_URL": self.siasn_url,
            "DIKLAT_SIMPEG_URL": self.simpeg_url,
            "DIKLAT_SIASN_URL": self.siasn_url,
        }


class SimulatorServer(_Addresses):
    """A real HTTP simulator on loopback, in a daemon thread."""

    def __init__(
        self,
        n_pegawai: int = 300,
        seed: int = 1,
        bad_share: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultConfig | dict[str, Any] | None = None,
        gateway_ttl: float = 3600,
        sso_ttl: float = 43200,
        credentials: Credentials | None = None,
        log_level: str = "warning",
    ) -> None:
        self.host = host
        self.port = port
        self.log_level = log_level
        self.state = SimulatorState(
            n_pegawai=n_pegawai,
            seed=seed,
            bad_share=bad_share,
            faults=faults,
            gateway_ttl=gateway_ttl,
            sso_ttl=sso_ttl,
            credentials=credentials,
        )
        self.api_key = self.state.credentials.api_key
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def dataset(self) -> Dataset:
        return self.state.dataset

    # -- life cycle
    def start(self, timeout: float = 15.0) -> SimulatorServer:
        if self._thread is not None:
            return self
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it small keep-alive answers wait ~40 ms (delayed ACK)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.state),
            log_level=self.log_level,
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http="h11",
            timeout_keep_alive=30,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"simulator-{self.port}",
            daemon=True,
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"simulator did not start on {self.url}")
            time.sleep(0.01)
        self._server, self._thread, self._sock = server, thread, sock
        return self

    def stop(self, timeout: float = 10.0) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)
        if not thread.is_alive():
            self._sock.close()
        # else: never close a socket its server still polls: the next server's listening
        # socket would get the same descriptor and this server would answer on it.
        self._server = self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- run-time control (direct calls; the same as the /_control endpoints)
    def set_faults(self, reset: bool = False, **changes: Any) -> FaultConfig:
        """Change fault settings (``fail_share=0.2``, ``rate_limit_share``, ``slow_share``,
        ``slow_seconds``, ``drop_share``, ``cut_share``, ``truncate_share``, ``expire_share``,
        ``fail_after``, ``retry_after``, ``fail_statuses``, ``seed``, ``targets``); ``reset``
        starts from no faults."""
        return self.state.faults.configure(changes, reset=reset)

    def clear_faults(self) -> FaultConfig:
        return self.state.faults.configure(reset=True)

    def mutate(self, share: float = 0.01, seed: int | None = None) -> list[dict[str, Any]]:
        return self.state.dataset.mutate(share, seed)

    def remove(self, share: float = 0.01, seed: int | None = None) -> list[dict[str, Any]]:
        return self.state.dataset.remove(share, seed)

    def update(self, nip: str, **changes: Any) -> int:
        i = self.state.dataset.index_of(nip)
        if i is None:
            raise KeyError(nip)
        return int(self.state.dataset.update(i, changes))

    def expire_tokens(self) -> int:
        return self.state.tokens.expire_all()

    def set_token_ttl(self, gateway: float | None = None, sso: float | None = None) -> None:
        if gateway is not None:
            self.state.tokens.gateway_ttl = gateway
        if sso is not None:
            self.state.tokens.sso_ttl = sso

    def stats(self) -> dict[str, Any]:
        s = self.state.faults.stats()
        s["tokens_issued"] = dict(self.state.tokens.issued)
        s["kursus_saves"] = self.state.kursus.saves
        return s

    def reset_stats(self) -> None:
        self.state.faults.reset_stats()

    def reset(self) -> None:
        """Fresh data, no saved kursus, no faults, no tokens, zero counters."""
        self.state.reset()


def serve(
    n_pegawai: int = 1000,
    seed: int = 1,
    bad_share: float = 0.0,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    faults: dict[str, Any] | None = None,
    gateway_ttl: float = 3600,
    sso_ttl: float = 43200,
    log_level: str = "info",
) -> None:
    """Serve in the foreground until interrupted (Ctrl-C)."""
    state = SimulatorState(
        n_pegawai=n_pegawai,
        seed=seed,
        bad_share=bad_share,
        faults=faults,
        gateway_ttl=gateway_ttl,
        sso_ttl=sso_ttl,
    )
    config = uvicorn.Config(
        create_app(state),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        loop="asyncio",
        http="h11",
        timeout_graceful_shutdown=2,
    )
    uvicorn.Server(config).run()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class SimulatorProcess(_Addresses):
    """The simulator in a child process; controlled over HTTP (``/_control/...``)."""

    def __init__(
        self,
        n_pegawai: int = 300,
        seed: int = 1,
        bad_share: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: dict[str, Any] | None = None,
        gateway_ttl: float = 3600,
        sso_ttl: float = 43200,
        api_key: str = "simulator-key",
    ) -> None:
        self.n_pegawai, self.seed, self.bad_share = n_pegawai, seed, bad_share
        self.host = host
        self.port = port
        self.faults = faults or {}
        self.gateway_ttl, self.sso_ttl = gateway_ttl, sso_ttl
        self.api_key = api_key
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> SimulatorProcess:
        if self.proc is not None:
            return self
        self.port = self.port or free_port(self.host)
        cmd = [
            sys.executable,
            "-m",
            "simulator.server",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--pegawai",
            str(self.n_pegawai),
            "--seed",
            str(self.seed),
            "--bad-share",
            str(self.bad_share),
            "--gateway-ttl",
            str(self.gateway_ttl),
            "--sso-ttl",
            str(self.sso_ttl),
        ]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                requests.get(self.url + "/_control/dataset", timeout=2).raise_for_status()
                break
            except requests.RequestException:
                if self.proc.poll() is not None:
                    err = (
                        self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                    )
                    self.proc = None
                    raise RuntimeError(f"simulator process exited: {err[-2000:]}") from None
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"simulator did not start on {self.url}") from None
                time.sleep(0.1)
        if self.faults:
            self.set_faults(**self.faults)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        r = requests.post(self.url + "/_control" + path, json=body or {}, timeout=30)
        r.raise_for_status()
        return r.json()

    def set_faults(self, reset: bool = False, **changes: Any) -> dict[str, Any]:
        return dict(self._post("/faults", {**changes, "reset": reset}))

    def clear_faults(self) -> dict[str, Any]:
        return dict(self._post("/faults", {"reset": True}))

    def mutate(self, share: float = 0.01, seed: int | None = None) -> list[dict[str, Any]]:
        return list(self._post("/mutate", {"share": share, "seed": seed})["mutated"])

    def remove(self, share: float = 0.01, seed: int | None = None) -> list[dict[str, Any]]:
        return list(self._post("/remove", {"share": share, "seed": seed})["removed"])

    def update(self, nip: str, **changes: Any) -> str:
        return str(self._post("/update", {"nip": nip, "changes": changes})["updated_at"])

    def expire_tokens(self) -> int:
        return int(self._post("/expire-tokens")["expired"])

    def set_token_ttl(self, gateway: float | None = None, sso: float | None = None) -> None:
        body = {k: v for k, v in (("gateway_ttl", gateway), ("sso_ttl", sso)) if v is not None}
        self._post("/tokens", body)

    def stats(self) -> dict[str, Any]:
        r = requests.get(self.url + "/_control/stats", timeout=10)
        r.raise_for_status()
        return dict(r.json())

    def reset_stats(self) -> None:
        self._post("/stats/reset")

    def reset(self) -> None:
        self._post("/reset")

    def dataset_info(self) -> dict[str, Any]:
        r = requests.get(self.url + "/_control/dataset", timeout=10)
        r.raise_for_status()
        return dict(r.json())

    def rss_mb(self) -> float | None:
        """Resident memory of the child process (Linux), for benchmark reports."""
        if self.proc is None:
            return None
        try:
            with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None


def main(argv: list[str] | None = None) -> None:
    """``python -m simulator.server``: the foreground server without the product's CLI."""
    ap = argparse.ArgumentParser(prog="python -m simulator.server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=DEFAULT_PORT)
    ap.add_argument("--pegawai", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bad-share", type=float, default=0.0)
    ap.add_argument("--fail-share", type=float, default=0.0)
    ap.add_argument("--gateway-ttl", type=float, default=3600)
    ap.add_argument("--sso-ttl", type=float, default=43200)
    ap.add_argument("--log-level", default="warning")
    a = ap.parse_args(argv)
    serve(
        n_pegawai=a.pegawai,
        seed=a.seed,
        bad_share=a.bad_share,
        host=a.host,
        port=a.port,
        faults={"fail_share": a.fail_share},
        gateway_ttl=a.gateway_ttl,
        sso_ttl=a.sso_ttl,
        log_level=a.log_level,
    )


if __name__ == "__main__":
    main()
