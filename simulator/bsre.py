"""A BSrE esign-client stand-in: the agency's on-premise signing service, for tests and the demo.

It speaks the esign-client's API v1 (``POST /api/sign/pdf`` multipart, answering the signed PDF
with an ``id_dokumen`` header, or ``{"id_dokumen": ...}`` when ``v1_response="id"``;
``GET /api/sign/download/{id}`` once, then 404; ``POST /api/sign/verify`` with ``signed_file``)
and API v2 (``POST /api/v2/sign/pdf``, ``POST /api/v2/verify/pdf``), behind HTTP Basic auth
(``esign`` / ``qwerty`` by default). It **signs for real** with a local CA of its own
(:mod:`connectors.tte.local_ca`): every registered NIK gets a certificate whose key file is
encrypted with that account's passphrase, so a wrong passphrase fails exactly where the real one
does: the key does not open. Errors answer like the real client, ``{"status_code": 2011 | 2021 |
2031, "error": "..."}`` under ``error_status`` (400 by default; some deployments answer 500).

Control (direct calls on :class:`BsreState`, or ``/_control/bsre/...``): ``hang_seconds`` (the
sign endpoints sleep that long before working: the client's timeout test), ``fail_next`` (the
next n sign calls answer 500), ``v1_response``, ``error_status``; counters of every call.

    with BsreServer(accounts={"6402...": "rahasia"}) as bsre:
        BsreSigner(bsre.url, username="esign", password="qwerty").sign(...)

Like the rest of the simulator it never imports Prefect, and the product never imports it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import hmac
import secrets
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response

from connectors.tte import local_ca
from connectors.tte.local import LocalSigner
from connectors.tte.model import (
    Appearance,
    CertificateProblem,
    Placement,
    SignerIdentity,
    SignerNotRegistered,
    TteError,
)
from connectors.tte.pades import sign_pdf
from connectors.tte.verify import verify_pdf
from simulator.app import _multipart


@dataclass
class BsreAccount:
    nik: str = field(repr=False)
    nama: str
    jabatan: str
    nip: str
    key_id: str
    status: str = "ISSUE"  # ISSUE | EXPIRED | REVOKE | SUSPEND


class BsreState:
    """Accounts, issued documents, faults and counters of one stand-in."""

    def __init__(
        self,
        ca_dir: Path | None = None,
        *,
        org_name: str = "BSrE Simulator",
        username: str = "esign",
        password: str = "qwerty",
        v1_response: str = "pdf",
        error_status: int = 400,
    ) -> None:
        self._tmp = None if ca_dir else tempfile.TemporaryDirectory(prefix="bsre-sim-")
        self.ca_dir = Path(ca_dir or self._tmp.name)  # type: ignore[union-attr]
        local_ca.init_ca(self.ca_dir, org_name, key_size=2048)
        self.signer = LocalSigner(self.ca_dir)
        self.username, self.password = username, password
        self.v1_response = v1_response
        self.error_status = error_status
        self.hang_seconds = 0.0
        self.fail_next = 0
        self.accounts: dict[str, BsreAccount] = {}
        self.documents: dict[str, bytes] = {}
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def register(
        self,
        nik: str,
        passphrase: str,
        *,
        nama: str = "Pejabat Simulator",
        jabatan: str = "Kepala Badan",
        nip: str = "197805022005021003",
        status: str = "ISSUE",
    ) -> BsreAccount:
        """Register a NIK: a certificate with its key encrypted by ``passphrase``."""
        key_id = "bsre-" + hashlib.sha256(nik.encode()).hexdigest()[:16]
        local_ca.issue_signer(
            self.ca_dir, key_id, nama, jabatan, nip, passphrase=passphrase, key_size=2048
        )
        acc = BsreAccount(
            nik=nik, nama=nama, jabatan=jabatan, nip=nip, key_id=key_id, status=status
        )
        self.accounts[nik] = acc
        return acc

    @property
    def root_cert(self) -> Path:
        return local_ca.root_cert_path(self.ca_dir)

    def count(self, name: str) -> None:
        with self._lock:
            self.calls[name] = self.calls.get(name, 0) + 1

    def configure(self, **changes: Any) -> dict[str, Any]:
        for k, v in changes.items():
            if k not in ("hang_seconds", "fail_next", "v1_response", "error_status"):
                raise ValueError(f"unknown setting {k}")
            setattr(self, k, v)
        return self.settings()

    def settings(self) -> dict[str, Any]:
        return {
            "hang_seconds": self.hang_seconds,
            "fail_next": self.fail_next,
            "v1_response": self.v1_response,
            "error_status": self.error_status,
        }

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    # -- the work, shared by v1 and v2 (runs in a worker thread)
    def sign(
        self,
        pdf: bytes,
        nik: str,
        passphrase: str,
        *,
        visible: bool,
        page: int | None = None,
        rect: tuple[float, float, float, float] | None = None,
        link_qr: str = "",
        reason: str = "",
        location: str = "",
    ) -> bytes:
        acc = self.accounts.get(nik)
        if acc is None:
            raise SignerNotRegistered("User tidak terdaftar")
        if acc.status != "ISSUE":
            raise CertificateProblem(f"Sertifikat user {acc.status.lower()}")
        identity = SignerIdentity(
            nama=acc.nama, jabatan=acc.jabatan, nip=acc.nip, key_id=acc.key_id
        )
        if not visible or rect is None:
            appearance = Appearance(verify_url=link_qr, visible=False)
        else:  # the esign-client draws its own visible signature at the given rectangle
            x1, y1, x2, y2 = rect
            appearance = Appearance(
                verify_url=link_qr,
                placement=Placement(
                    marker="", fallback_page=max((page or 1) - 1, 0), fallback_box=(x1, y1, x2, y2)
                ),
            )
        key = self.signer.open_key(acc.key_id, passphrase)  # WrongPassphrase: 2031
        return sign_pdf(
            pdf,
            key,
            appearance,
            identity=identity,
            timestamper=self.signer.timestamper(),
            reason=reason or None,
            location=location or None,
            field_name=f"BSrE{secrets.token_hex(3)}",
            lock=False,
        )

    def verification(self, pdf: bytes, name: str) -> dict[str, Any]:
        r = verify_pdf(pdf, [self.root_cert])
        details = [
            {
                "signature_field": s.field,
                "info_signer": {
                    "signer_name": s.signer,
                    "issuer_dn": "",
                    "signer_dn": "",
                    "signer_cert_validity": None,
                    "cert_user_certified": s.trusted,
                },
                "info_tsa": {
                    "name": "TSA Simulator" if s.timestamped else None,
                    "tsa_cert_validity": None,
                },
                "signature_document": {
                    "document_integrity": s.intact,
                    "signed_using_tsa": s.timestamped,
                    "signed_in": s.signed_at.isoformat() if s.signed_at else None,
                    "reason": None,
                    "location": None,
                    "signature_value": None,
                    "hash_value": None,
                },
            }
            for s in r.signatures
        ]
        return {
            "nama_dokumen": name,
            "jumlah_signature": len(details),
            "notes": r.reason,
            "details": details,
            "summary": "VALID" if r.valid else "INVALID",
        }


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(data), status_code=status, media_type="application/json", headers=headers
    )


def _error(state: BsreState, e: TteError) -> Response:
    return _json({"status_code": e.code, "error": e.message}, state.error_status)


def create_bsre_app(state: BsreState) -> FastAPI:
    app = FastAPI(
        title="BSrE esign-client stand-in", docs_url=None, redoc_url=None, openapi_url=None
    )

    def denied(request: Request) -> Response | None:
        auth = request.headers.get("authorization", "")
        user = pw = ""
        if auth.lower().startswith("basic "):
            with contextlib.suppress(binascii.Error, UnicodeDecodeError):
                user, _, pw = base64.b64decode(auth[6:].strip()).decode().partition(":")
        ok = hmac.compare_digest(user.encode(), state.username.encode()) and hmac.compare_digest(
            pw.encode(), state.password.encode()
        )
        return None if ok else _json({"error": "Unauthorized", "status_code": 401}, 401)

    async def faults() -> Response | None:
        if state.hang_seconds:
            await asyncio.sleep(state.hang_seconds)
        if state.fail_next > 0:
            state.fail_next -= 1
            return _json(
                {
                    "timestamp": dt.datetime.now(dt.UTC).isoformat(),
                    "status": 500,
                    "error": "Internal Server Error",
                },
                500,
            )
        return None

    async def run_sign(**kw: Any) -> bytes | Response:
        try:
            return await asyncio.to_thread(state.sign, **kw)
        except TteError as e:
            return _error(state, e)

    @app.post("/api/sign/pdf")
    async def sign_v1(request: Request) -> Response:
        state.count("sign_v1")
        if (d := denied(request)) is not None:
            return d
        if (f := await faults()) is not None:
            return f
        ctype = request.headers.get("content-type", "")
        parts = _multipart(ctype, await request.body())
        text = {
            k: v[1].decode("utf-8", "replace")
            for k, v in parts.items()
            if k not in ("file", "imageTTD")
        }
        pdf = parts.get("file", (None, b""))[1]
        if not pdf.startswith(b"%PDF") or not text.get("nik") or not text.get("passphrase"):
            return _json(
                {"status_code": 2001, "error": "Parameter file, nik dan passphrase wajib diisi"},
                400,
            )
        visible = text.get("tampilan", "invisible").lower() == "visible"
        rect = None
        if visible and all(text.get(k) for k in ("xAxis", "yAxis", "width", "height")):
            # v1 convention: width/height are the upper-right corner
            rect = (
                float(text["xAxis"]),
                float(text["yAxis"]),
                float(text["width"]),
                float(text["height"]),
            )
        out = await run_sign(
            pdf=pdf,
            nik=text["nik"],
            passphrase=text["passphrase"],
            visible=visible,
            page=int(text.get("page") or 1),
            rect=rect,
            link_qr=text.get("linkQR", ""),
            reason=text.get("reason", ""),
            location=text.get("location", ""),
        )
        if isinstance(out, Response):
            return out
        doc_id = secrets.token_hex(12)
        if state.v1_response == "id":
            state.documents[doc_id] = out
            return _json({"id_dokumen": doc_id})
        return Response(out, media_type="application/pdf", headers={"id_dokumen": doc_id})

    @app.get("/api/sign/download/{doc_id}")
    async def download(doc_id: str, request: Request) -> Response:
        state.count("download")
        if (d := denied(request)) is not None:
            return d
        pdf = state.documents.pop(doc_id, None)  # once
        if pdf is None:
            return _json({"error": "Dokumen tidak ditemukan"}, 404)
        return Response(pdf, media_type="application/pdf", headers={"id_dokumen": doc_id})

    @app.post("/api/sign/verify")
    async def verify_v1(request: Request) -> Response:
        state.count("verify_v1")
        if (d := denied(request)) is not None:
            return d
        parts = _multipart(request.headers.get("content-type", ""), await request.body())
        name, pdf = parts.get("signed_file", (None, b""))
        if not pdf:
            return _json({"error": "signed_file wajib diunggah"}, 400)
        return _json(await asyncio.to_thread(state.verification, pdf, name or "dokumen.pdf"))

    @app.post("/api/v2/sign/pdf")
    async def sign_v2(request: Request) -> Response:
        state.count("sign_v2")
        if (d := denied(request)) is not None:
            return d
        if (f := await faults()) is not None:
            return f
        try:
            body = orjson.loads(await request.body())
            files = [base64.b64decode(x, validate=True) for x in body.get("file") or []]
        except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError):
            return _json({"status_code": 2001, "error": "Format JSON tidak valid"}, 400)
        nik, passphrase = str(body.get("nik") or ""), str(body.get("passphrase") or "")
        props = (body.get("signatureProperties") or [{}])[0]
        if not files or not nik or not passphrase:
            return _json({"status_code": 2001, "error": "file, nik dan passphrase wajib"}, 400)
        visible = str(props.get("tampilan", "INVISIBLE")).upper() == "VISIBLE"
        rect = None
        if visible and props.get("width") and props.get("height"):
            x, y = float(props.get("originX") or 0), float(props.get("originY") or 0)
            rect = (x, y, x + float(props["width"]), y + float(props["height"]))
        t0 = time.monotonic()
        signed: list[str] = []
        for pdf in files:
            out = await run_sign(
                pdf=pdf,
                nik=nik,
                passphrase=passphrase,
                visible=visible,
                page=int(props.get("page") or 1),
                rect=rect,
                reason=str(props.get("reason") or ""),
                location=str(props.get("location") or ""),
            )
            if isinstance(out, Response):
                return out
            signed.append(base64.b64encode(out).decode())
        return _json({"file": signed, "time": int((time.monotonic() - t0) * 1000)})

    @app.post("/api/v2/verify/pdf")
    async def verify_v2(request: Request) -> Response:
        state.count("verify_v2")
        if (d := denied(request)) is not None:
            return d
        try:
            pdf = base64.b64decode(orjson.loads(await request.body())["file"], validate=True)
        except (orjson.JSONDecodeError, ValueError, TypeError, KeyError):
            return _json({"error": "file wajib berupa base64"}, 400)
        return _json(await asyncio.to_thread(state.verification, pdf, "dokumen.pdf"))

    @app.get("/_control/bsre")
    async def control_get() -> Response:
        return _json({**state.settings(), "calls": state.calls, "documents": len(state.documents)})

    @app.post("/_control/bsre")
    async def control_set(request: Request) -> Response:
        try:
            return _json(state.configure(**orjson.loads(await request.body() or b"{}")))
        except (ValueError, TypeError) as e:
            return _json({"error": str(e)}, 400)

    return app


class BsreServer:
    """The stand-in on loopback in a daemon thread (like :class:`simulator.server.SimulatorServer`).
    ``accounts`` maps NIK -> passphrase (each gets a certificate at start)."""

    def __init__(
        self,
        accounts: dict[str, str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ca_dir: Path | None = None,
        **state_kw: Any,
    ) -> None:
        self.host, self.port = host, port
        self.state = BsreState(ca_dir, **state_kw)
        for nik, passphrase in (accounts or {}).items():
            self.state.register(nik, passphrase)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> BsreServer:
        if self._thread is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_bsre_app(self.state),
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http="h11",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"bsre-{self.port}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"BSrE stand-in did not start on {self.url}")
            time.sleep(0.01)
        self._server, self._thread, self._sock = server, thread, sock
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = None

    def __enter__(self) -> BsreServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.state.close()
