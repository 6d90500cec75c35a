"""An RFC 3161 time-stamping authority over HTTP, a stand-in for BSrE's or an agency's TSA.

``POST /`` with a ``TimeStampReq`` (``Content-Type: application/timestamp-query``) answers a
granted ``TimeStampResp`` (``application/timestamp-reply``), signed by a TSA certificate of a
CA of its own (:mod:`connectors.tte.local_ca`: root, and a TSA certificate with the critical
timeStamping EKU) under the policy OID it was given. Optional HTTP Basic (``username``,
``password``); it counts the requests it answered. The root (``root_cert``) is what a verifier
must trust for its tokens.

    with TsaServer(policy="1.3.6.1.4.1.99999.1") as tsa:
        LocalSigner(ca_dir, tsa_url=tsa.url).sign(...)

Like the rest of the simulator it never imports Prefect, and the product never imports it.
"""

from __future__ import annotations

import base64
import hmac
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from asn1crypto import tsp

from connectors.tte import local_ca
from connectors.tte.pades import local_timestamper

#: An OID standing for a real authority's policy in tests (not the project's).
POLICY_SIMULASI = "1.3.6.1.4.1.99999.3161.1"


class TsaServer:
    """The TSA on ``127.0.0.1`` (a free port unless given), in a background thread."""

    def __init__(
        self,
        *,
        policy: str = POLICY_SIMULASI,
        ca_dir: Path | None = None,
        username: str | None = None,
        password: str | None = None,
        port: int = 0,
        org_name: str = "TSA Simulator",
    ) -> None:
        self._tmp = None if ca_dir else tempfile.TemporaryDirectory(prefix="tsa-sim-")
        self.ca_dir = Path(ca_dir or self._tmp.name)  # type: ignore[union-attr]
        info = local_ca.init_ca(self.ca_dir, org_name, key_size=2048)
        self.root_cert = info.root_cert
        self.policy = policy
        self.stamper = local_timestamper(
            info.tsa_cert, self.ca_dir / "tsa" / "key.pem", info.root_cert, policy=policy
        )
        self.requests = 0
        self._lock = threading.Lock()
        token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
        self._auth = f"Basic {token}" if username else None
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                return

            def _answer(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                if server._auth and not hmac.compare_digest(
                    self.headers.get("Authorization", ""), server._auth
                ):
                    self._answer(401, b"unauthorized", "text/plain")
                    return
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self._answer(400, b"expected application/timestamp-query", "text/plain")
                    return
                size = int(self.headers.get("Content-Length") or 0)
                try:
                    req = tsp.TimeStampReq.load(self.rfile.read(size))
                    resp = server.stamper.request_tsa_response(req)  # type: ignore[attr-defined]
                except Exception:  # an unreadable request: refused, like a real TSA
                    self._answer(400, b"bad request", "text/plain")
                    return
                with server._lock:
                    server.requests += 1
                self._answer(200, resp.dump(), "application/timestamp-reply")

        return Handler

    def start(self) -> TsaServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="tsa-simulator"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> TsaServer:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
