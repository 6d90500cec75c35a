"""The official's approval page (issue 21): the e-mail carries the draft as a PDF and the
page's link; the page shows the letter and the chain so far, serves the merged draft, refuses
a wrong answer on the spot with the tries left, takes the right one (audited like any other),
and says so afterwards; only the newest code counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from diklat.db import session_scope
from diklat.models import AuditPersetujuan, Bundel, Permintaan
from diklat.mulai import simpan_kegiatan
from diklat.naskah import versi as v
from diklat.naskah.persetujuan import buka, kirim_kode, tingkat_berikut
from diklat.naskah.register import today
from diklat.pegawai.pejabat import simpan_pejabat
from diklat.settings import reset_settings_cache
from tests.rekam_support import Kotak
from tests.sop_support import LENGKAP, OFFICIALS, siap


@pytest.fixture
def halaman(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Engine, str, int, Kotak]:
    from connectors import pdf as pdfconn

    if not pdfconn.available():
        pytest.skip("LibreOffice needed for the draft PDFs")
    monkeypatch.setenv("DIKLAT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DIKLAT_TTE__VERIFY_BASE_URL", "https://diklat.example.go.id")
    reset_settings_cache()
    with session_scope(engine) as s:
        for peran, nip in OFFICIALS.items():
            simpan_pejabat(
                s,
                nip=nip,
                nama=f"PEJABAT {peran.upper()}",
                peran=peran,
                jabatan=f"Jabatan {peran}",
                email=f"{peran}@example.go.id",
            )
    siap(engine)
    with session_scope(engine) as s:
        simpan_kegiatan(
            s,
            {
                "kode": "PK-P",
                "sop": "peningkatan-kapasitas",
                "nama": "Pelatihan Halaman",
                "mulai": today(),
                "selesai": today(),
                **LENGKAP,
            },
        )
    from diklat.settings import get_settings

    h = v.buat_draf(
        engine,
        "PK-P",
        "surat_permohonan_narasumber",
        Path(get_settings().output_dir or tmp_path),
        pdf=True,
    )
    kotak = Kotak()
    with session_scope(engine) as s:
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        level = tingkat_berikut(s, b)
        assert level is not None
        p = buka(s, b, level)
        kirim_kode(s, p, kotak, ui_url="http://ui")
        token, pid = p.token or "", p.id
    return engine, token, pid, kotak


def test_the_e_mail_carries_the_draft_and_the_page_link(
    halaman: tuple[Engine, str, int, Kotak],
) -> None:
    _engine, token, _pid, kotak = halaman
    mail = kotak.sent[-1]
    assert f"https://diklat.example.go.id/p/{token}" in mail.isi
    assert "WITA" in mail.isi  # the deadline in the agency's time
    ((name, data, mime),) = mail.lampiran
    assert name.endswith(".pdf") and mime == "application/pdf" and data.startswith(b"%PDF")


def test_the_page_refuses_on_the_spot_and_takes_the_right_answer(
    halaman: tuple[Engine, str, int, Kotak],
) -> None:
    from fastapi.testclient import TestClient

    from web.app import create_app

    engine, token, pid, kotak = halaman
    c = TestClient(create_app())
    page = c.get(f"/p/{token}")
    assert page.status_code == 200
    assert "Permohonan" in page.text and "menunggu" in page.text and "kabid psda" in page.text
    pdf = c.get(f"/p/{token}/konsep.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    form = {"nip": OFFICIALS["kabid_psda"], "kode": "000000", "keputusan": "setuju", "catatan": ""}
    wrong = c.post(f"/p/{token}", data=form)
    assert wrong.status_code == 400 and "kode verifikasi salah" in wrong.text
    assert "sisa 4 percobaan" in wrong.text
    again = c.get(f"/p/{token}")
    assert "Jawaban sebelumnya ditolak" in again.text
    right = c.post(f"/p/{token}", data={**form, "kode": kotak.kode("kabid_psda@example.go.id")})
    assert right.status_code == 200 and "diterima" in right.text
    after = c.get(f"/p/{token}")
    assert "sudah diputuskan" in after.text and "name='kode'" not in after.text
    assert c.get(f"/p/{token}/konsep.pdf").status_code == 404  # good until the decision
    assert c.get("/p/tidak-ada-permintaan-dengan-token-ini").status_code == 404
    with session_scope(engine) as s:
        hasil = [
            a.hasil
            for a in s.execute(
                select(AuditPersetujuan)
                .where(AuditPersetujuan.permintaan_id == pid)
                .order_by(AuditPersetujuan.id)
            ).scalars()
        ]
        assert hasil == ["ditolak", "diterima"]
        assert s.get(Permintaan, pid).status == "diputuskan"  # type: ignore[union-attr]


def test_a_resent_code_replaces_the_old_one(halaman: tuple[Engine, str, int, Kotak]) -> None:
    from fastapi.testclient import TestClient

    from web.app import create_app

    engine, token, pid, kotak = halaman
    old = kotak.kode("kabid_psda@example.go.id")
    with session_scope(engine) as s:
        p = s.get(Permintaan, pid)
        assert p is not None and kirim_kode(s, p, kotak, ui_url="http://ui", paksa=True)
    new = kotak.kode("kabid_psda@example.go.id")
    assert new != old and re.fullmatch(r"\d{6}", new)
    c = TestClient(create_app())
    form = {"nip": OFFICIALS["kabid_psda"], "keputusan": "setuju", "catatan": ""}
    r = c.post(f"/p/{token}", data={**form, "kode": old})
    assert r.status_code == 400 and "sudah diganti" in r.text
    assert c.post(f"/p/{token}", data={**form, "kode": new}).status_code == 200


def test_the_page_in_a_browser(halaman: tuple[Engine, str, int, Kotak], tmp_path: Path) -> None:
    """The official's way through the page in Debian's chromium, served by uvicorn as
    ``diklat web`` serves it: the letter and its chain, the draft's link, a wrong code
    refused on the spot with the tries left, the right one accepted, the page closed after."""
    import socket
    import threading
    import time

    import requests
    import uvicorn
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.sop_support import browser
    from web.app import create_app

    engine, token, pid, kotak = halaman
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    drv = browser()
    try:
        drv.get(f"{base}/p/{token}")
        page = drv.find_element(By.TAG_NAME, "body").text
        assert "Permohonan" in page and "kabid psda" in page
        assert drv.find_element(By.ID, "rantai").is_displayed()
        link = drv.find_element(By.ID, "konsep").get_attribute("href") or ""
        got = requests.get(link, timeout=30)
        assert got.status_code == 200 and got.content.startswith(b"%PDF")

        def answer(kode: str) -> str:
            drv.find_element(By.ID, "nip").send_keys(OFFICIALS["kabid_psda"])
            drv.find_element(By.ID, "kode").send_keys(kode)
            drv.find_element(By.ID, "k-setuju").click()
            drv.find_element(By.ID, "kirim").click()
            hasil = WebDriverWait(drv, 30).until(lambda d: d.find_element(By.ID, "hasil"))
            return hasil.text

        refused = answer("000000")
        assert "kode verifikasi salah" in refused and "sisa 4 percobaan" in refused
        drv.get(f"{base}/p/{token}")  # the form again, saying why the last answer failed
        assert "Jawaban sebelumnya ditolak" in drv.find_element(By.TAG_NAME, "body").text
        accepted = answer(kotak.kode("kabid_psda@example.go.id"))
        assert "diterima" in accepted
        drv.save_screenshot(str(tmp_path / "halaman-persetujuan.png"))
        drv.get(f"{base}/p/{token}")
        assert "sudah diputuskan" in drv.find_element(By.TAG_NAME, "body").text
        assert not drv.find_elements(By.ID, "kode")  # nothing left to answer
    finally:
        drv.quit()
        server.should_exit = True
        th.join(timeout=10)
    with session_scope(engine) as s:
        assert s.get(Permintaan, pid).status == "diputuskan"  # type: ignore[union-attr]
