"""The approval page of one request (``/p/<token>``, the link in the official's e-mail): an
official in another building, or on his phone, reads the draft (``/p/<token>/konsep.pdf``: the
bundle as one merged PDF) and the chain so far, and answers setuju / revisi / tolak with his
NIP and one-time code. The answer goes through the same checks and audit as every other
(:func:`diklat.naskah.persetujuan.putuskan`); a refused answer is refused on the spot, with the
reason and the tries left; an accepted one resumes the waiting Prefect run (only its wait for
this request, :mod:`tasks.lanjut`). The token is random per request and good until the
decision; nothing beyond the letter is shown. A BSrE signature goes to the signing page
(``/ttd/<token>``), where the passphrase is typed."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from diklat import waktu
from web.halaman import halaman


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def _permintaan(session: Any, token: str) -> Any:
    from diklat.models import Permintaan

    if not token or len(token) > 64:
        raise HTTPException(status_code=404)
    p = session.execute(select(Permintaan).where(Permintaan.token == token)).scalar_one_or_none()
    if p is None:
        raise HTTPException(status_code=404)
    return p


def info(token: str) -> dict[str, Any]:
    """What the page shows (no personal data beyond the officials' names in the chain)."""
    from diklat.db import session_scope
    from diklat.models import AuditPersetujuan, Bundel, Pejabat, Persetujuan
    from diklat.naskah.persetujuan import DIPUTUSKAN, MENUNGGU, rantai, ringkasan_permintaan
    from diklat.rules.tanggal import label_zona
    from diklat.settings import get_settings

    s = get_settings()
    tz, zona = waktu.zona(s), label_zona(s.timezone)
    with session_scope() as ses:
        p = _permintaan(ses, token)
        r = ringkasan_permintaan(ses, p)
        b = ses.get(Bundel, p.bundel_id) if p.bundel_id else None
        pej = ses.get(Pejabat, p.pejabat_id) if p.pejabat_id else None
        chain: list[dict[str, str]] = []
        if b is not None:
            decided = {
                d.urutan: d
                for d in ses.execute(
                    select(Persetujuan).where(Persetujuan.bundel_id == b.id)
                ).scalars()
            }
            for lv in rantai(b):
                if lv["urutan"] < (b.mulai_urutan or 1):
                    continue
                d = decided.get(lv["urutan"])
                chain.append(
                    {
                        "tingkat": str(lv["urutan"]),
                        "apa": "tanda tangan" if lv["kind"] == "tanda_tangan" else "paraf",
                        "peran": lv["peran"].replace("_", " "),
                        "keadaan": (
                            f"{d.keputusan} oleh {d.nama}, "
                            f"{d.decided_at.astimezone(tz):%d-%m-%Y %H:%M} {zona}"
                            if d is not None
                            else "menunggu"
                            if lv["urutan"] == p.urutan
                            else "belum"
                        ),
                    }
                )
        last = ses.execute(
            select(AuditPersetujuan)
            .where(AuditPersetujuan.permintaan_id == p.id)
            .order_by(AuditPersetujuan.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        return {
            "status": p.status,
            "terbuka": p.status == MENUNGGU,
            "diputuskan": p.status == DIPUTUSKAN,
            "keputusan": p.keputusan,
            "kind": p.kind,
            "kegiatan": f"{r['kegiatan']} — {r['nama_kegiatan']}",
            "naskah": f"{r['jenis'].replace('_', ' ')} versi {r['versi']}",
            "hal": r["hal"],
            "tujuan": r["tujuan"],
            "jumlah": r["jumlah"],
            "catatan_revisi": r["catatan_revisi"],
            "pejabat": pej.nama if pej else "-",
            "tenggat": (f"{p.tenggat.astimezone(tz):%d-%m-%Y %H:%M} {zona}" if p.tenggat else "-"),
            "rantai": chain,
            "bsre": p.kind == "tanda_tangan" and s.tte.mode == "bsre",
            "ditolak_terakhir": last.alasan
            if last is not None and last.hasil == "ditolak"
            else None,
            "sisa": max(0, s.approval.otp_max_attempts - p.salah),
        }


def konsep_pdf(token: str) -> Path:
    """The draft the official decides on: the bundle merged into one PDF (made once)."""
    from diklat.db import session_scope
    from diklat.models import Bundel, Kegiatan
    from diklat.naskah.persetujuan import MENUNGGU
    from diklat.naskah.versi import pratinjau
    from diklat.settings import get_settings

    with session_scope() as ses:
        p = _permintaan(ses, token)
        if p.status != MENUNGGU or p.bundel_id is None:
            raise HTTPException(status_code=404)
        b = ses.get(Bundel, p.bundel_id)
        k = ses.get(Kegiatan, p.kegiatan_id)
        assert b is not None and k is not None
        path = pratinjau(ses, b, Path(get_settings().output_dir or "var/output"), k.kode)
    if path is None or not path.exists():
        raise HTTPException(status_code=404)
    return path


def jawab(
    token: str, *, nip: str, kode: str, keputusan: str, catatan: str, dokumen: str
) -> tuple[bool, str]:
    """An answer typed on the page: checked like every answer; accepted, the waiting run is
    resumed (its wait for this request only)."""
    from diklat.db import session_scope
    from diklat.naskah.persetujuan import PersetujuanError, putuskan
    from diklat.naskah.surel import kirim_surel
    from tasks.lanjut import lanjutkan

    nomor: list[int] = []
    for part in (dokumen or "").replace(";", ",").split(","):
        if part.strip():
            if not part.strip().isdigit():
                return False, f"Ditolak: dokumen {part.strip()!r} bukan nomor"
            nomor.append(int(part))
    try:
        with session_scope() as ses:
            p = _permintaan(ses, token)
            h = putuskan(
                ses,
                p.id,
                nip=nip,
                kode=kode,
                keputusan=keputusan,
                catatan=catatan,
                flow_run_id=p.flow_run_id,
                kirim=kirim_surel,
                dokumen=nomor or None,
            )
            pid, run = p.id, p.flow_run_id
    except PersetujuanError as e:
        return False, f"Ditolak: {e}"
    if not h.diterima:
        sisa = f" (sisa {h.sisa} percobaan)" if h.sisa is not None and not h.terkunci else ""
        return False, f"Ditolak: {h.alasan}{sisa}"
    lanjutkan(
        run,
        f"p{pid}-",
        {"keputusan": keputusan, "nip": nip, "kode": kode, "catatan": catatan, "dokumen": dokumen},
    )
    if h.sudah:
        return True, "Permintaan ini sudah diputuskan sebelumnya."
    return True, f"Keputusan {keputusan} diterima. Terima kasih."


def _halaman(
    token: str, pesan: str = "", kelas: str = "ok", status_code: int = 200
) -> HTMLResponse:

    d = info(token)
    rows = [
        ("Kegiatan", d["kegiatan"]),
        ("Naskah", d["naskah"]),
        ("Hal", d["hal"]),
        ("Tujuan", d["tujuan"]),
        ("Jumlah naskah", d["jumlah"]),
        ("Diminta kepada", d["pejabat"]),
        ("Tenggat", d["tenggat"]),
    ]
    if d["catatan_revisi"]:
        rows.append(("Menjawab catatan revisi", d["catatan_revisi"]))
    body = ["<h1>Persetujuan naskah</h1>"]
    if pesan:
        body.append(f"<p class='{kelas}' id='hasil'>{_e(pesan)}</p>")
    body.append(
        "<table>" + "".join(f"<tr><td>{a}</td><td>{_e(b)}</td></tr>" for a, b in rows) + "</table>"
    )
    if d["rantai"]:
        body.append(
            "<p>Rantai persetujuan:</p><table id='rantai'>"
            + "".join(
                f"<tr><td>{_e(c['tingkat'])}. {_e(c['apa'])} {_e(c['peran'])}</td>"
                f"<td>{_e(c['keadaan'])}</td></tr>"
                for c in d["rantai"]
            )
            + "</table>"
        )
    if not d["terbuka"]:
        state = f"sudah diputuskan ({d['keputusan']})" if d["diputuskan"] else f"{d['status']}"
        body.append(
            f"<p class='bad' id='status'>Permintaan ini {_e(state)}; tidak ada yang "
            "perlu diisi lagi.</p>"
        )
        return halaman("Persetujuan naskah", "".join(body), status_code)
    if d["kind"] != "disposisi":
        body.append(
            f"<p><a id='konsep' href='/p/{_e(token)}/konsep.pdf'>Baca konsep (PDF, "
            f"{_e(d['jumlah'])} naskah)</a></p>"
        )
    if d["ditolak_terakhir"] and not pesan:
        body.append(
            f"<p class='bad'>Jawaban sebelumnya ditolak: {_e(d['ditolak_terakhir'])}; "
            f"sisa {_e(d['sisa'])} percobaan</p>"
        )
    pilihan = ["setuju", "revisi", "tolak"] if d["kind"] != "disposisi" else ["setuju", "tolak"]
    if d["bsre"]:
        body.append(
            f"<p>Untuk menandatangani dengan sertifikat BSrE buka <a href='/ttd/"
            f"{_e(token)}'>halaman tanda tangan</a>; di sini hanya revisi atau tolak.</p>"
        )
        pilihan = ["revisi", "tolak"]
    radios = "".join(
        f"<label><input type='radio' name='keputusan' value='{x}' id='k-{x}' required> {x}</label> "
        for x in pilihan
    )
    dok = (
        "<p><label>Dokumen yang direvisi (nomor dalam konsep, mis. 2, 5; kosong: semua) "
        "<input name='dokumen' id='dokumen' maxlength='200'></label></p>"
        if d["jumlah"] and int(d["jumlah"]) > 1
        else ""
    )
    body.append(
        f"<form class='box' method='post' action='/p/{_e(token)}'>"
        f"<p>{radios}</p>"
        "<p><label>NIP <input name='nip' id='nip' required maxlength='30'></label></p>"
        "<p><label>Kode verifikasi (dari surel) <input name='kode' id='kode' required "
        "maxlength='12' autocomplete='one-time-code'></label></p>"
        "<p><label>Catatan (wajib untuk revisi dan tolak)<br><textarea name='catatan' "
        "id='catatan' rows='4' cols='50' maxlength='2000'></textarea></label></p>"
        f"{dok}<button type='submit' id='kirim'>Kirim keputusan</button></form>"
    )
    return halaman("Persetujuan naskah", "".join(body), status_code)


def add_routes(app: FastAPI) -> None:
    @app.get("/p/{token}", response_class=HTMLResponse)
    def halaman_persetujuan(token: str) -> HTMLResponse:
        return _halaman(token)

    @app.get("/p/{token}/konsep.pdf")
    def unduh_konsep(token: str) -> FileResponse:
        path = konsep_pdf(token)
        return FileResponse(
            path,
            media_type="application/pdf",
            filename=f"konsep-{path.stem}.pdf",
            content_disposition_type="inline",
        )

    @app.post("/p/{token}", response_class=HTMLResponse)
    async def kirim_keputusan(token: str, request: Request) -> HTMLResponse:
        await run_in_threadpool(info, token)  # 404 before a byte of the body is read
        form = await request.form(max_files=0, max_fields=10)
        values = {k: form.get(k) for k in ("nip", "kode", "keputusan", "catatan", "dokumen")}
        if not all(isinstance(v, str) or v is None for v in values.values()):
            raise HTTPException(status_code=400)
        ok, message = await run_in_threadpool(
            lambda: jawab(
                token,
                nip=str(values["nip"] or ""),
                kode=str(values["kode"] or ""),
                keputusan=str(values["keputusan"] or ""),
                catatan=str(values["catatan"] or ""),
                dokumen=str(values["dokumen"] or ""),
            )
        )
        return await run_in_threadpool(
            _halaman, token, message, "ok" if ok else "bad", 200 if ok else 400
        )
