"""Running the simulator: :class:`SimulatorServer` (uvicorn in a background thread, for tests and
benchmarks) and :func:`serve` (in the foreground, for ``diklat simulator``).

    with SimulatorServer(n_pegawai=300, seed=7, bad_share=0.02) as sim:
        requests.get(sim.simpeg_url + "/pegawai", headers={"X-API-Key": sim.api_key})
        sim.set_faults(fail_share=0.2, rate_limit_share=0.05)
        sim.mutate(0.01)

``port=0`` picks a free port; after :meth:`SimulatorServer.stop` the same object can be started
again on the same port with the same data (to test "server down, then back").
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from simulator.app import Credentials, SimulatorState, create_app
from simulator.faults import FaultConfig

DEFAULT_PORT = 8765


class SimulatorServer:
    """A real HTTP simulator on loopback, in a daemon thread."""

    def __init__(self, n_pegawai: int = 300, seed: int = 1, bad_share: float = 0.0,
                 host: str = "127.0.0.1", port: int = 0,
                 faults: FaultConfig | dict[str, Any] | None = None,
                 gateway_ttl: float = 3600, sso_ttl: float = 43200,
                 credentials: Credentials | None = None, log_level: str = "warning") -> None:
        self.host = host
        self.port = port
        self.log_level = log_level
        self.state = SimulatorState(n_pegawai=n_pegawai, seed=seed, bad_share=bad_share,
                                    faults=faults, gateway_ttl=gateway_ttl, sso_ttl=sso_ttl,
                                    credentials=credentials)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- addresses and credentials
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

    @property
    def api_key(self) -> str:
        return self.state.credentials.api_key

    @property
    def dataset(self) -> Any:
        return self.state.dataset

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
            create_app(self.state), log_level=self.log_level, access_log=False,
            lifespan="off", loop="asyncio", http="h11", timeout_keep_alive=30,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                  name=f"simulator-{self.port}", daemon=True)
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
        self._sock.close()
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
        ``slow_seconds``, ``drop_share``, ``truncate_share``, ``expire_share``, ``fail_after``,
        ``retry_after``, ``fail_statuses``, ``seed``, ``targets``); ``reset`` starts from none."""
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


def serve(n_pegawai: int = 1000, seed: int = 1, bad_share: float = 0.0,
          host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          faults: dict[str, Any] | None = None, gateway_ttl: float = 3600,
          sso_ttl: float = 43200, log_level: str = "info") -> None:
    """Serve in the foreground until interrupted (Ctrl-C)."""
    state = SimulatorState(n_pegawai=n_pegawai, seed=seed, bad_share=bad_share, faults=faults,
                           gateway_ttl=gateway_ttl, sso_ttl=sso_ttl)
    config = uvicorn.Config(create_app(state), host=host, port=port, log_level=log_level,
                            access_log=False, lifespan="off", loop="asyncio", http="h11",
                            timeout_graceful_shutdown=2)
    uvicorn.Server(config).run()
