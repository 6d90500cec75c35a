"""The verification page and the signing page (FastAPI).

* ``GET /v/<token>``: what the letter itself shows (number, date, Hal, signer, status active
  or voided) and the SHA-256 of the signed file; ``POST /v/<token>`` with a PDF tells the
  visitor whether the upload **is this letter, unmodified, validly signed** (same SHA-256 as
  the signed file, and pyHanko's validation against the configured trust roots), or modified,
  or another document. Nothing beyond what the letter prints (no NIK, no e-mail).
* ``GET/POST /ttd/<token>``: the signing page of a signature request: the official types his
  NIP, the one-time code and (for BSrE) his passphrase; the answer goes through the same
  checks as every other answer (:func:`diklat.naskah.persetujuan.putuskan`), the bundle is signed with
  the passphrase held only for that call, and the waiting Prefect run is resumed with the
  decision, the NIP and the spent code (never the passphrase).

Tokens are random and unguessable; an unknown token is a plain 404 (an Indonesian HTML
page, like every error here).

Hardening (:class:`Pelindung`, around every request): a request body is limited while it is
read (``Content-Length`` refused at once, then the bytes counted as they arrive: an upload
of :data:`MAX_UPLOAD` plus the form's envelope on ``/v/``, :data:`BATAS_FORMULIR` elsewhere),
so nothing larger is ever held or written; the upload is parsed in memory (never a temporary
file) and only after its token was found, so a POST to an unknown token is answered 404
without reading its body. Every response carries :data:`HEADER_AMAN`: a Content-Security-
Policy allowing only this page's own style and forms to itself, ``frame-ancestors 'none'``
and ``X-Frame-Options: DENY`` (the passphrase form cannot be framed), ``nosniff``, no
referrer (the token is in the URL), ``no-store``.
"""

from __future__ import annotations

import functools
import hashlib
import html
import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.halaman import STYLE_HASH, bingkai, halaman

log = logging.getLogger("diklat.web")

MAX_UPLOAD = 20 * 1024 * 1024
#: A multipart upload's body: the file plus the form's envelope (boundaries, part headers).
BATAS_UNGGAH = MAX_UPLOAD + 64 * 1024
#: Any other request body (the signing page's form: NIP, code, passphrase).
BATAS_FORMULIR = 64 * 1024

#: On every response (pages, errors, 413s).
HEADER_AMAN: dict[str, str] = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; "
        "img-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

#: Error pages: status -> (title, sentence).
_GALAT: dict[int, tuple[str, str]] = {
    400: ("Permintaan tidak valid", "Permintaan tidak dapat dibaca. Periksa isian lalu coba lagi."),
    404: (
        "Tidak ditemukan",
        "Halaman yang Anda cari tidak ada. Pindai kembali kode QR pada "
        "naskah, atau periksa alamatnya.",
    ),
    405: ("Metode tidak diizinkan", "Halaman ini tidak menerima permintaan seperti itu."),
    413: ("Terlalu besar", f"Berkas terlalu besar: paling besar {MAX_UPLOAD // (1024 * 1024)} MB."),
    500: ("Terjadi kesalahan", "Terjadi kesalahan pada server. Coba lagi beberapa saat lagi."),
}


def _halaman_galat(status: int) -> str:
    title, text = _GALAT.get(status, _GALAT[500] if status >= 500 else _GALAT[400])
    return bingkai(
        title,
        f"<h1>{html.escape(title)}</h1><p class='bad' id='galat' "
        f"data-status='{status}'>{html.escape(text)}</p>"
        "<p><a href='/'>Halaman utama</a></p>",
    )


class TerlaluBesar(StarletteHTTPException):
    """A request body over its limit (raised while it is read)."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


def batas_badan(path: str) -> int:
    """How many body bytes a request to ``path`` may send."""
    return BATAS_UNGGAH if path.startswith("/v/") else BATAS_FORMULIR


class Pelindung:
    """ASGI middleware around the whole app: the body limit (Content-Length first, then the
    bytes as they are received) and :data:`HEADER_AMAN` on every response; an error the app
    did not answer becomes the 500 page (logged), never a traceback or JSON."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = batas_badan(str(scope.get("path", "")))
        started = False

        async def send_aman(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for k, v in HEADER_AMAN.items():
                    headers[k] = v
            await send(message)

        async def galat(status: int) -> None:
            body = _halaman_galat(status).encode()
            await send_aman(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", b"text/html; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send_aman({"type": "http.response.body", "body": body})

        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await galat(400)
                return
            if declared > limit:  # refused before a byte of the body is read
                await galat(413)
                return
        received = 0

        async def receive_terbatas() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TerlaluBesar()
            return message

        try:
            await self.app(scope, receive_terbatas, send_aman)
        except TerlaluBesar:
            if not started:
                await galat(413)
        except Exception:
            log.exception("web: permintaan %s gagal", scope.get("path"))
            if not started:
                await galat(500)


async def baca_badan(request: Request, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (:class:`TerlaluBesar` as soon as more
    arrives): held in memory, never spooled to a file."""
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise TerlaluBesar()
    return bytes(buf)


def berkas_unggahan(body: bytes, content_type: str, field: str = "berkas") -> bytes:
    """The file of form field ``field`` in a ``multipart/form-data`` body held in memory (the
    body is already bounded; no temporary file). 400 for anything else."""
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header

    ctype, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise HTTPException(status_code=400)
    parts: list[tuple[bytes, bytearray]] = []
    header: dict[str, bytearray] = {"field": bytearray(), "value": bytearray()}
    disposition = [b""]

    def on_part_begin() -> None:
        parts.append((b"", bytearray()))
        disposition[0] = b""

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header["value"] += data[start:end]

    def on_header_end() -> None:
        if bytes(header["field"]).lower() == b"content-disposition":
            disposition[0] = bytes(header["value"])
        header["field"].clear()
        header["value"].clear()

    def on_headers_finished() -> None:
        _kind, opts = parse_options_header(disposition[0])
        parts[-1] = (opts.get(b"name", b""), parts[-1][1])

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if len(parts) > 4:  # one file field, nothing else worth keeping
            raise HTTPException(status_code=400)
        parts[-1][1].extend(data[start:end])

    parser = MultipartParser(
        boundary,
        {  # type: ignore[arg-type]
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except FormParserError:
        raise HTTPException(status_code=400) from None
    for name, data in parts:
        if name == field.encode():
            return bytes(data)
    raise HTTPException(status_code=400)


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def _letter(token: str) -> dict[str, Any]:
    import json

    from diklat.db import session_scope
    from diklat.models import Kegiatan, Naskah, NaskahBerkas, Pejabat, RegisterEntry
    from diklat.rules.nip import format_nip
    from diklat.rules.tanggal import tanggal_indonesia, waktu_indonesia
    from diklat.settings import get_settings

    if not token or len(token) > 64:
        raise HTTPException(status_code=404)
    with session_scope() as s:
        n = s.execute(select(Naskah).where(Naskah.token == token)).scalar_one_or_none()
        if n is None:
            raise HTTPException(status_code=404)
        ttd = s.execute(
            select(NaskahBerkas).where(
                NaskahBerkas.naskah_id == n.id, NaskahBerkas.peran == "ttd_pdf"
            )
        ).scalar_one_or_none()
        if ttd is None:
            raise HTTPException(status_code=404)
        pej = s.get(Pejabat, n.penandatangan_id) if n.penandatangan_id else None
        entry = s.execute(
            select(RegisterEntry).where(RegisterEntry.naskah_id == n.id)
        ).scalar_one_or_none()
        voided = n.status == "dibatalkan" or (entry is not None and entry.status == "batal")
        try:
            ctx = json.loads(n.konteks_json or "{}")
        except ValueError:
            ctx = {}
        printed = ctx.get("ttd") or {}  # the position as the letter prints it
        k = s.get(Kegiatan, n.kegiatan_id) if n.kegiatan_id else None
        holder = (ctx.get("peserta") or {}).get("nama") if n.jenis == "sertifikat" else None
        return {
            "nomor": n.nomor or "(tanpa nomor)",
            "tanggal": tanggal_indonesia(n.tanggal) if n.tanggal else "-",
            "hal": n.hal or "-",
            "jenis": n.jenis.replace("_", " "),
            # a certificate: whose it is and for which training (what the certificate prints)
            "pemegang": holder,
            "kegiatan": k.nama if k is not None else None,
            "penandatangan": pej.nama if pej else "-",
            "jabatan": " ".join(x for x in (printed.get("an"), printed.get("jabatan")) if x)
            or (pej.jabatan if pej else "-"),
            "nip": format_nip(pej.nip) if pej else "-",
            # when the signed file was recorded, in the agency's zone (WITA), never UTC
            "waktu_ttd": waktu_indonesia(ttd.created_at, get_settings().timezone),
            "status": "dibatalkan" if voided else "aktif",
            "alasan_batal": entry.alasan_batal if entry is not None and voided else None,
            "sha256": ttd.sha256,
            "path": ttd.path,
        }


def _letter_html(d: dict[str, Any]) -> str:
    status = (
        f"<span class='bad'>DIBATALKAN</span> ({_e(d['alasan_batal'])})"
        if d["status"] == "dibatalkan"
        else "<span class='ok'>AKTIF</span>"
    )
    rows = [
        ("Nomor", _e(d["nomor"])),
        ("Tanggal", _e(d["tanggal"])),
        ("Hal", _e(d["hal"])),
        ("Jenis", _e(d["jenis"])),
    ]
    if d.get("pemegang"):
        rows.append(("Pemegang", f"<span id='pemegang'>{_e(d['pemegang'])}</span>"))
    if d.get("kegiatan"):
        rows.append(("Kegiatan", f"<span id='kegiatan'>{_e(d['kegiatan'])}</span>"))
    rows += [
        ("Penandatangan", f"{_e(d['penandatangan'])}<br>{_e(d['jabatan'])}<br>NIP. {_e(d['nip'])}"),
        ("Ditandatangani", f"<span id='waktu'>{_e(d['waktu_ttd'])}</span>"),
        ("Status", status),
        ("SHA-256 berkas", f"<code id='sha'>{_e(d['sha256'])}</code>"),
    ]
    return "<table>" + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows) + "</table>"


def create_app() -> FastAPI:
    app = FastAPI(
        title="diklat-flows: verifikasi naskah", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.add_middleware(Pelindung)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        return HTMLResponse(
            _halaman_galat(exc.status_code),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        return HTMLResponse(_halaman_galat(400), status_code=400)

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        return halaman(
            "Verifikasi naskah",
            "<h1>Verifikasi naskah dinas</h1><p>Pindai kode QR "
            "pada naskah yang ditandatangani secara elektronik untuk membuka halaman "
            "verifikasinya.</p>",
        )

    @app.get("/v/{token}", response_class=HTMLResponse)
    def show(token: str) -> HTMLResponse:
        d = _letter(token)
        form = (
            f"<form class='box' method='post' enctype='multipart/form-data' "
            f"action='/v/{_e(token)}'><p>Periksa berkas PDF yang Anda terima:</p>"
            "<input type='file' name='berkas' accept='application/pdf' id='berkas' "
            "required> <button type='submit' id='periksa'>Periksa</button></form>"
        )
        return halaman(
            f"Verifikasi {d['nomor']}", f"<h1>Verifikasi naskah</h1>{_letter_html(d)}{form}"
        )

    @app.post("/v/{token}", response_class=HTMLResponse)
    async def check(token: str, request: Request) -> HTMLResponse:
        d = await run_in_threadpool(_letter, token)  # 404 before a byte of the body is read
        data = berkas_unggahan(
            await baca_badan(request, BATAS_UNGGAH), request.headers.get("content-type", "")
        )
        if len(data) > MAX_UPLOAD:
            raise TerlaluBesar()
        # pyHanko's validation runs its own event loop: keep it off the server's loop
        verdict, detail = await run_in_threadpool(periksa, data, d)
        klass = "ok" if verdict == "valid" else "bad"
        text = {
            "valid": "SAH: ini naskah tersebut, tidak diubah, tanda tangan elektronik sah",
            "modified": "DIUBAH: berkas ini bukan salinan utuh naskah yang ditandatangani",
            "other": "BUKAN NASKAH INI",
        }[verdict]
        return halaman(
            f"Hasil verifikasi {d['nomor']}",
            f"<h1>Hasil verifikasi</h1><p class='{klass}' id='hasil' "
            f"data-verdict='{verdict}'>{text}</p><p>{_e(detail)}</p>"
            f"{_letter_html(d)}<p><a href='/v/{_e(token)}'>Periksa berkas lain</a></p>",
        )

    @app.get("/ttd/{token}", response_class=HTMLResponse)
    def signing_page(token: str) -> HTMLResponse:
        info = _request(token)
        form = (
            f"<form class='box' method='post' action='/ttd/{_e(token)}'>"
            "<p><label>NIP <input name='nip' id='nip' required maxlength='30'></label></p>"
            "<p><label>Kode verifikasi <input name='kode' id='kode' required "
            "maxlength='12' autocomplete='one-time-code'></label></p>"
            "<p><label>Passphrase sertifikat <input name='passphrase' id='passphrase' "
            "type='password' autocomplete='off'></label></p>"
            "<button type='submit' id='tandatangani'>Setuju dan tanda tangani</button>"
            "</form>"
        )
        return halaman(
            "Tanda tangan elektronik",
            "<h1>Tanda tangan elektronik</h1><table>"
            + "".join(f"<tr><td>{k}</td><td>{_e(v)}</td></tr>" for k, v in info.items())
            + f"</table>{form}",
        )

    @app.post("/ttd/{token}", response_class=HTMLResponse)
    async def sign(token: str, request: Request) -> HTMLResponse:
        await run_in_threadpool(_request, token)  # 404 before a byte of the body is read
        form = await request.form(max_files=0, max_fields=10)
        nip, kode = form.get("nip"), form.get("kode")
        passphrase = form.get("passphrase") or ""
        if not isinstance(nip, str) or not isinstance(kode, str) or not isinstance(passphrase, str):
            raise HTTPException(status_code=400)
        call = functools.partial(
            tandatangani_dari_halaman, token, nip=nip, kode=kode, passphrase=passphrase or None
        )
        del passphrase, form
        ok, message = await run_in_threadpool(call)
        del call
        klass = "ok" if ok else "bad"
        return halaman(
            "Tanda tangan elektronik",
            f"<h1>Tanda tangan elektronik</h1><p class='{klass}' id='hasil'>{_e(message)}</p>",
            200 if ok else 400,
        )

    from web import persetujuan, usulan

    usulan.add_routes(app)
    persetujuan.add_routes(app)
    return app


def periksa(data: bytes, d: dict[str, Any]) -> tuple[str, str]:
    """``valid`` / ``modified`` / ``other`` for an uploaded PDF against one letter."""
    from connectors.tte.verify import verify_pdf
    from diklat.clients import trust_roots
    from diklat.rules.tanggal import label_zona, waktu_indonesia
    from diklat.settings import get_settings

    tz = get_settings().timezone
    label = label_zona(tz)
    sha = hashlib.sha256(data).hexdigest()
    if sha == d["sha256"]:
        res = verify_pdf(data, trust_roots(), timezone=tz, zone_label=label)
        if res.valid:
            when = waktu_indonesia(res.signed_at, tz) if res.signed_at else "-"
            return "valid", f"Ditandatangani oleh {res.signer} pada {when}."
        return "modified", res.reason
    if not data.startswith(b"%PDF"):
        return "other", "Berkas bukan PDF."
    res = verify_pdf(data, trust_roots(), timezone=tz, zone_label=label)
    if res.signatures and not res.valid:
        return "modified", res.reason
    if d["nomor"] and d["nomor"].encode() not in data:
        # a different signed document, or an unsigned copy
        return (
            ("modified", "Isi berkas berbeda dari naskah yang ditandatangani.")
            if res.signatures
            else ("other", "Berkas bukan naskah ini.")
        )
    return "modified", "Isi berkas berbeda dari naskah yang ditandatangani."


def _request(token: str) -> dict[str, str]:
    from diklat.db import session_scope
    from diklat.models import Bundel, Permintaan
    from diklat.naskah.persetujuan import ringkasan

    if not token or len(token) > 64:
        raise HTTPException(status_code=404)
    with session_scope() as s:
        p = s.execute(
            select(Permintaan).where(Permintaan.token == token, Permintaan.kind == "tanda_tangan")
        ).scalar_one_or_none()
        if p is None:
            raise HTTPException(status_code=404)
        b = s.get(Bundel, p.bundel_id)
        assert b is not None
        r = ringkasan(s, b)
        return {
            "Kegiatan": f"{r['kegiatan']} {r['nama_kegiatan']}",
            "Naskah": f"{r['jenis'].replace('_', ' ')} versi {r['versi']}",
            "Hal": r["hal"],
            "Jumlah naskah": str(r["jumlah"]),
            "Status": p.status,
        }


def tandatangani_dari_halaman(
    token: str, *, nip: str, kode: str, passphrase: str | None
) -> tuple[bool, str]:
    """The signing page's answer: the same checks as any answer, then the signature with the
    passphrase (this call only), then the waiting run resumed with the spent code."""
    from pathlib import Path

    from connectors.tte.model import TteError
    from diklat.db import get_engine, session_scope
    from diklat.models import Bundel, Kegiatan, Permintaan
    from diklat.naskah.persetujuan import putuskan
    from diklat.naskah.tanda_tangan import tanda_tangani
    from diklat.settings import get_settings

    s = get_settings()
    with session_scope() as ses:
        p = ses.execute(
            select(Permintaan).where(Permintaan.token == token, Permintaan.kind == "tanda_tangan")
        ).scalar_one_or_none()
        if p is None:
            raise HTTPException(status_code=404)
        hasil = putuskan(
            ses,
            p.id,
            nip=nip,
            kode=kode,
            keputusan="setuju",
            flow_run_id=p.flow_run_id,
            lewat_halaman=True,
            settings=s,
        )
        b = ses.get(Bundel, p.bundel_id)
        assert b is not None
        k = ses.get(Kegiatan, b.kegiatan_id)
        assert k is not None
        kode_kegiatan, bundel_id, flow_run_id, pid = k.kode, b.id, p.flow_run_id, p.id
    if not hasil.diterima:
        return False, f"Ditolak: {hasil.alasan}"
    try:
        out = tanda_tangani(
            get_engine(),
            kode_kegiatan,
            bundel_id,
            Path(s.output_dir or "."),
            passphrase=passphrase,
            settings=s,
        )
    except TteError as e:
        return False, f"Tanda tangan gagal: {e}"
    if out.belum_pasti:
        return False, (
            "Jawaban penandatangan elektronik tidak diterima tepat waktu; hasilnya "
            "sedang dicocokkan. Jangan menandatangani ulang."
        )
    _resume(flow_run_id, pid, nip, kode)
    return True, (
        f"{out.ditandatangani + out.sudah} naskah telah ditandatangani secara "
        f"elektronik. Terima kasih."
    )


def _resume(flow_run_id: str | None, permintaan_id: int, nip: str, kode: str) -> None:
    """Resume the run waiting for this request with the decision already taken (only that
    wait; the flow also finds the decision in the database when it runs again)."""
    from tasks.lanjut import lanjutkan

    lanjutkan(
        flow_run_id,
        f"p{permintaan_id}-",
        {"keputusan": "setuju", "nip": nip, "kode": kode, "catatan": "", "dokumen": ""},
    )


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:  # pragma: no cover - blocks
    import uvicorn

    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


__all__ = ["create_app", "periksa", "serve", "tandatangani_dari_halaman"]
