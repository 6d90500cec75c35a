"""The verification page and the signing page (FastAPI).

* ``GET /v/<token>``: what the letter itself shows (number, date, Hal, signer, status active
  or voided) and the SHA-256 of the signed file; ``POST /v/<token>`` with a PDF tells the
  visitor whether the upload **is this letter, unmodified, validly signed** (same SHA-256 as
  the signed file, and pyHanko's validation against the configured trust roots), or modified,
  or another document. Nothing beyond what the letter prints (no NIK, no e-mail).
* ``GET/POST /ttd/<token>``: the signing page of a signature request: the official types his
  NIP, the one-time code and (for BSrE) his passphrase; the answer goes through the same
  checks as every other answer (:func:`diklat.persetujuan.putuskan`), the bundle is signed with
  the passphrase held only for that call, and the waiting Prefect run is resumed with the
  decision, the NIP and the spent code (never the passphrase).

Tokens are random and unguessable; an unknown token is a plain 404.
"""

from __future__ import annotations

import hashlib
import html
import logging
from typing import Any

from fastapi import FastAPI, File, Form, HTTPException, UploadFile
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

log = logging.getLogger("diklat.web")

MAX_UPLOAD = 20 * 1024 * 1024

_STYLE = """
body{font-family:Arial,Helvetica,sans-serif;max-width:720px;margin:2em auto;padding:0 1em;
color:#222}h1{font-size:1.4em}table{border-collapse:collapse}td{padding:.3em .8em .3em 0;
vertical-align:top}td:first-child{color:#555}.ok{color:#176f2c;font-weight:bold}
.bad{color:#a11;font-weight:bold}.box{border:1px solid #ccc;padding:1em;margin:1em 0}
code{font-size:.85em;word-break:break-all}
"""


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang='id'><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title><meta name='viewport' content='width=device-width'>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>", status_code=status_code)


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
        ttd = s.execute(select(NaskahBerkas).where(NaskahBerkas.naskah_id == n.id,
                                                   NaskahBerkas.peran == "ttd_pdf")
                        ).scalar_one_or_none()
        if ttd is None:
            raise HTTPException(status_code=404)
        pej = s.get(Pejabat, n.penandatangan_id) if n.penandatangan_id else None
        entry = s.execute(select(RegisterEntry).where(RegisterEntry.naskah_id == n.id)
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
            "hal": n.hal or "-", "jenis": n.jenis.replace("_", " "),
            # a certificate: whose it is and for which training (what the certificate prints)
            "pemegang": holder, "kegiatan": k.nama if k is not None else None,
            "penandatangan": pej.nama if pej else "-",
            "jabatan": " ".join(x for x in (printed.get("an"), printed.get("jabatan")) if x)
            or (pej.jabatan if pej else "-"),
            "nip": format_nip(pej.nip) if pej else "-",
            # when the signed file was recorded, in the agency's zone (WITA), never UTC
            "waktu_ttd": waktu_indonesia(ttd.created_at, get_settings().timezone),
            "status": "dibatalkan" if voided else "aktif",
            "alasan_batal": entry.alasan_batal if entry is not None and voided else None,
            "sha256": ttd.sha256, "path": ttd.path,
        }


def _letter_html(d: dict[str, Any]) -> str:
    status = (f"<span class='bad'>DIBATALKAN</span> ({_e(d['alasan_batal'])})"
              if d["status"] == "dibatalkan" else "<span class='ok'>AKTIF</span>")
    rows = [("Nomor", _e(d["nomor"])), ("Tanggal", _e(d["tanggal"])), ("Hal", _e(d["hal"])),
            ("Jenis", _e(d["jenis"]))]
    if d.get("pemegang"):
        rows.append(("Pemegang", f"<span id='pemegang'>{_e(d['pemegang'])}</span>"))
    if d.get("kegiatan"):
        rows.append(("Kegiatan", f"<span id='kegiatan'>{_e(d['kegiatan'])}</span>"))
    rows += [("Penandatangan", f"{_e(d['penandatangan'])}<br>{_e(d['jabatan'])}<br>NIP. "
                               f"{_e(d['nip'])}"),
             ("Ditandatangani", f"<span id='waktu'>{_e(d['waktu_ttd'])}</span>"),
             ("Status", status), ("SHA-256 berkas", f"<code id='sha'>{_e(d['sha256'])}</code>")]
    return "<table>" + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows) + \
        "</table>"


def create_app() -> FastAPI:
    app = FastAPI(title="diklat-flows: verifikasi naskah", docs_url=None, redoc_url=None,
                  openapi_url=None)

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        return _page("Verifikasi naskah", "<h1>Verifikasi naskah dinas</h1><p>Pindai kode QR "
                     "pada naskah yang ditandatangani secara elektronik untuk membuka halaman "
                     "verifikasinya.</p>")

    @app.get("/v/{token}", response_class=HTMLResponse)
    def show(token: str) -> HTMLResponse:
        d = _letter(token)
        form = (f"<form class='box' method='post' enctype='multipart/form-data' "
                f"action='/v/{_e(token)}'><p>Periksa berkas PDF yang Anda terima:</p>"
                "<input type='file' name='berkas' accept='application/pdf' id='berkas' "
                "required> <button type='submit' id='periksa'>Periksa</button></form>")
        return _page(f"Verifikasi {d['nomor']}",
                     f"<h1>Verifikasi naskah</h1>{_letter_html(d)}{form}")

    @app.post("/v/{token}", response_class=HTMLResponse)
    async def check(token: str, berkas: UploadFile = File(...)) -> HTMLResponse:
        d = _letter(token)
        data = await berkas.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return _page("Terlalu besar", "<p class='bad'>Berkas terlalu besar.</p>", 413)
        # pyHanko's validation runs its own event loop: keep it off the server's loop
        verdict, detail = await run_in_threadpool(periksa, data, d)
        klass = "ok" if verdict == "valid" else "bad"
        text = {"valid": "SAH: ini naskah tersebut, tidak diubah, tanda tangan elektronik sah",
                "modified": "DIUBAH: berkas ini bukan salinan utuh naskah yang ditandatangani",
                "other": "BUKAN NASKAH INI"}[verdict]
        return _page(f"Hasil verifikasi {d['nomor']}",
                     f"<h1>Hasil verifikasi</h1><p class='{klass}' id='hasil' "
                     f"data-verdict='{verdict}'>{text}</p><p>{_e(detail)}</p>"
                     f"{_letter_html(d)}<p><a href='/v/{_e(token)}'>Periksa berkas lain</a></p>")

    @app.get("/ttd/{token}", response_class=HTMLResponse)
    def signing_page(token: str) -> HTMLResponse:
        info = _request(token)
        form = (f"<form class='box' method='post' action='/ttd/{_e(token)}'>"
                "<p><label>NIP <input name='nip' id='nip' required maxlength='30'></label></p>"
                "<p><label>Kode verifikasi <input name='kode' id='kode' required "
                "maxlength='12' autocomplete='one-time-code'></label></p>"
                "<p><label>Passphrase sertifikat <input name='passphrase' id='passphrase' "
                "type='password' autocomplete='off'></label></p>"
                "<button type='submit' id='tandatangani'>Setuju dan tanda tangani</button>"
                "</form>")
        return _page("Tanda tangan elektronik",
                     "<h1>Tanda tangan elektronik</h1><table>"
                     + "".join(f"<tr><td>{k}</td><td>{_e(v)}</td></tr>" for k, v in info.items())
                     + f"</table>{form}")

    @app.post("/ttd/{token}", response_class=HTMLResponse)
    def sign(token: str, nip: str = Form(...), kode: str = Form(...),
             passphrase: str = Form("")) -> HTMLResponse:
        ok, message = tandatangani_dari_halaman(token, nip=nip, kode=kode,
                                                passphrase=passphrase or None)
        del passphrase
        klass = "ok" if ok else "bad"
        return _page("Tanda tangan elektronik",
                     f"<h1>Tanda tangan elektronik</h1><p class='{klass}' id='hasil'>"
                     f"{_e(message)}</p>", 200 if ok else 400)

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
        return ("modified", "Isi berkas berbeda dari naskah yang ditandatangani.") \
            if res.signatures else ("other", "Berkas bukan naskah ini.")
    return "modified", "Isi berkas berbeda dari naskah yang ditandatangani."


def _request(token: str) -> dict[str, str]:
    from diklat.db import session_scope
    from diklat.models import Bundel, Permintaan
    from diklat.persetujuan import ringkasan

    if not token or len(token) > 64:
        raise HTTPException(status_code=404)
    with session_scope() as s:
        p = s.execute(select(Permintaan).where(Permintaan.token == token,
                                               Permintaan.kind == "tanda_tangan")
                      ).scalar_one_or_none()
        if p is None:
            raise HTTPException(status_code=404)
        b = s.get(Bundel, p.bundel_id)
        assert b is not None
        r = ringkasan(s, b)
        return {"Kegiatan": f"{r['kegiatan']} {r['nama_kegiatan']}",
                "Naskah": f"{r['jenis'].replace('_', ' ')} versi {r['versi']}",
                "Hal": r["hal"], "Jumlah naskah": str(r["jumlah"]),
                "Status": p.status}


def tandatangani_dari_halaman(token: str, *, nip: str, kode: str,
                              passphrase: str | None) -> tuple[bool, str]:
    """The signing page's answer: the same checks as any answer, then the signature with the
    passphrase (this call only), then the waiting run resumed with the spent code."""
    from pathlib import Path

    from connectors.tte.model import TteError
    from diklat.db import get_engine, session_scope
    from diklat.models import Bundel, Kegiatan, Permintaan
    from diklat.persetujuan import putuskan
    from diklat.settings import get_settings
    from diklat.tanda_tangan import tanda_tangani

    s = get_settings()
    with session_scope() as ses:
        p = ses.execute(select(Permintaan).where(Permintaan.token == token,
                                                 Permintaan.kind == "tanda_tangan")
                        ).scalar_one_or_none()
        if p is None:
            raise HTTPException(status_code=404)
        hasil = putuskan(ses, p.id, nip=nip, kode=kode, keputusan="setuju",
                         flow_run_id=p.flow_run_id, lewat_halaman=True, settings=s)
        b = ses.get(Bundel, p.bundel_id)
        assert b is not None
        k = ses.get(Kegiatan, b.kegiatan_id)
        assert k is not None
        kode_kegiatan, bundel_id, flow_run_id, pid = k.kode, b.id, p.flow_run_id, p.id
    if not hasil.diterima:
        return False, f"Ditolak: {hasil.alasan}"
    try:
        out = tanda_tangani(get_engine(), kode_kegiatan, bundel_id, Path(s.output_dir or "."),
                            passphrase=passphrase, settings=s)
    except TteError as e:
        return False, f"Tanda tangan gagal: {e}"
    if out.belum_pasti:
        return False, ("Jawaban penandatangan elektronik tidak diterima tepat waktu; hasilnya "
                       "sedang dicocokkan. Jangan menandatangani ulang.")
    _resume(flow_run_id, pid, nip, kode)
    return True, (f"{out.ditandatangani + out.sudah} naskah telah ditandatangani secara "
                  f"elektronik. Terima kasih.")


def _resume(flow_run_id: str | None, permintaan_id: int, nip: str, kode: str) -> None:
    """Resume the waiting run with the decision already taken (best effort: the flow also
    finds the decision in the database when it runs again)."""
    if not flow_run_id:
        return
    try:
        from uuid import UUID

        from prefect.flow_runs import resume_flow_run

        resume_flow_run(UUID(flow_run_id), run_input={"keputusan": "setuju", "nip": nip,
                                                      "kode": kode, "catatan": ""})
    except Exception as e:  # the run may not be waiting (already resumed, finished)
        log.info("run %s tidak dilanjutkan dari halaman tanda tangan: %s", flow_run_id,
                 type(e).__name__)
    del permintaan_id


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:  # pragma: no cover - blocks
    import uvicorn

    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


__all__ = ["create_app", "periksa", "serve", "tandatangani_dari_halaman"]
