"""The agency's own page for proposing candidates (``/u/<token>``, the link in the notice's
e-mail): the training's name, the agency, the deadline, what the agency proposed so far, and a
form for its letter (number, date) and the NIPs it proposes. Nothing else is visible through
the link; an unknown token is a plain 404; after the deadline the page says so and takes
nothing. The proposal goes through the same checks as the operator's (:mod:`diklat.kegiatan.usulan`)."""

from __future__ import annotations

import html
from typing import Any

from fastapi import FastAPI, Form, HTTPException
from fastapi.responses import HTMLResponse

from diklat import waktu
from web.halaman import halaman

MAX_NIP = 500


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def _halaman(
    token: str, pesan: str = "", kelas: str = "ok", status_code: int = 200
) -> HTMLResponse:

    from diklat.db import session_scope
    from diklat.kegiatan import usulan

    tz = waktu.zona()
    with session_scope() as s:
        try:
            t = usulan.buka_tautan(s, token)
        except LookupError:
            raise HTTPException(status_code=404) from None
        except usulan.UsulanDitolak as e:
            return halaman(
                "Usulan calon peserta",
                f"<h1>Usulan calon peserta</h1><p class='bad' id='hasil'>{_e(e)}</p>",
                410,
            )
        k, u = t.kegiatan, t.unit
        rows = usulan.usulan_unit(s, k, u.kode)
        batas = (
            t.berlaku_sampai.astimezone(tz).strftime("%d-%m-%Y %H:%M") if t.berlaku_sampai else "-"
        )
        info = [("Pelatihan", k.nama), ("Instansi", u.nama), ("Batas usulan", batas)]
    sudah = "".join(
        f"<li>Surat {_e(r['nomor_surat'])} tanggal {_e(r['tanggal_surat'])}: "
        f"{_e(r['jumlah'])} calon</li>"
        for r in rows
    )
    form = (
        f"<form class='box' method='post' action='/u/{_e(token)}'>"
        "<p><label>Nomor surat usulan <input name='nomor_surat' id='nomor_surat' required "
        "maxlength='120'></label></p>"
        "<p><label>Tanggal surat <input name='tanggal_surat' id='tanggal_surat' "
        "type='date' required></label></p>"
        "<p><label>NIP calon yang diusulkan (satu per baris)<br><textarea name='nip' "
        "id='nip' rows='8' cols='24' required></textarea></label></p>"
        "<button type='submit' id='kirim'>Kirim usulan</button></form>"
    )
    body = (
        "<h1>Usulan calon peserta</h1>"
        + (f"<p class='{kelas}' id='hasil'>{_e(pesan)}</p>" if pesan else "")
        + "<table>"
        + "".join(f"<tr><td>{a}</td><td>{_e(b)}</td></tr>" for a, b in info)
        + "</table>"
        + (f"<p>Sudah diusulkan:</p><ul>{sudah}</ul>" if sudah else "")
        + form
    )
    return halaman("Usulan calon peserta", body, status_code)


def add_routes(app: FastAPI) -> None:
    @app.get("/u/{token}", response_class=HTMLResponse)
    def halaman_usulan(token: str) -> HTMLResponse:
        return _halaman(token)

    @app.post("/u/{token}", response_class=HTMLResponse)
    def kirim_usulan(
        token: str,
        nomor_surat: str = Form(..., max_length=120),
        tanggal_surat: str = Form(..., max_length=20),
        nip: str = Form(..., max_length=MAX_NIP * 30),
    ) -> HTMLResponse:
        from diklat.db import session_scope
        from diklat.kegiatan import usulan

        nips = [x.strip() for x in nip.replace(",", "\n").splitlines() if x.strip()]
        if len(nips) > MAX_NIP:
            return _halaman(token, f"paling banyak {MAX_NIP} NIP sekali kirim", "bad", 400)
        try:
            with session_scope() as s:
                t = usulan.buka_tautan(s, token)
                h = usulan.catat_usulan(
                    s,
                    t.kegiatan,
                    unit_kode=t.unit.kode,
                    nomor_surat=nomor_surat,
                    tanggal_surat=tanggal_surat,
                    nips=nips,
                    sumber="tautan",
                )
        except LookupError:
            raise HTTPException(status_code=404) from None
        except usulan.UsulanDitolak as e:
            return _halaman(token, f"Ditolak: {e}", "bad", 400)
        return _halaman(
            token,
            f"Usulan diterima: {h.diusulkan} calon dicatat"
            + (f", {h.sudah} sudah tercatat sebelumnya" if h.sudah else ""),
        )
