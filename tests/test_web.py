"""The verification page behind the QR: it shows what the letter shows, tells a visitor whether
an uploaded PDF is this letter, unmodified and validly signed, and knows nothing of unknown
tokens. Driven in a real browser (Debian's chromium through chromium-driver)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from diklat.db import get_engine, migrate, session_scope
from diklat.models import Naskah, NaskahBerkas
from diklat.mulai import simpan_kegiatan
from diklat.naskah import versi
from diklat.naskah.register import today
from diklat.naskah.tanda_tangan import tanda_tangani
from diklat.pegawai.pejabat import simpan_pejabat
from diklat.settings import get_settings, reset_settings_cache
from tests.rekam_support import setujui_semua
from tests.sop_support import siap


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def signed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A signed letter (local CA) and the running web app; yields (base URL, signed PDF)."""
    from connectors import pdf as pdfconn

    if not pdfconn.available():
        if os.environ.get("DIKLAT_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice required")
        pytest.skip("LibreOffice needed to sign PDFs")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("DIKLAT_TTE__VERIFY_BASE_URL", base)
    reset_settings_cache()
    migrate()
    engine = get_engine()
    mulai = today()
    siap(engine)
    with session_scope(engine) as s:
        for peran, nip in (
            ("kabid_psda", "198005122005022003"),
            ("sekretaris", "197706142003121004"),
            ("kepala", "197209131998031001"),
        ):
            simpan_pejabat(
                s,
                nip=nip,
                nama=f"NAMA {peran.upper()}",
                peran=peran,
                jabatan=f"Jabatan {peran}",
                email=f"{peran}@example.go.id",
            )
        simpan_kegiatan(
            s,
            {
                "kode": "PK-W",
                "sop": "peningkatan-kapasitas",
                "nama": "Pelatihan Web",
                "mulai": mulai,
                "selesai": mulai,
                "tempat": "Aula",
                "jp": 8,
                "lembaga_narasumber": "BPSDM",
                "materi": ["A"],
            },
        )
    out = Path(get_settings().output_dir or tmp_path)
    h = versi.buat_draf(engine, "PK-W", "surat_permohonan_narasumber", out)
    setujui_semua(engine, h.bundel_id)
    tanda_tangani(engine, "PK-W", h.bundel_id, out)
    with session_scope(engine) as s:
        path = Path(
            s.execute(select(NaskahBerkas.path).where(NaskahBerkas.peran == "ttd_pdf")).scalar_one()
        )

    import uvicorn

    from web.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    for _ in range(100):
        try:
            requests.get(base, timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield base, path
    server.should_exit = True
    th.join(timeout=10)


def test_qr_page_and_uploads_in_a_browser(signed: tuple[str, Path], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.sop_support import browser
    from tests.tte_support import read_qr

    base, pdf = signed
    with session_scope() as s:
        n = s.execute(select(Naskah)).scalar_one()
        nomor, token = n.nomor, n.token
    assert nomor and token and len(token) >= 32
    urls = read_qr(pdf.read_bytes(), tmp_path)
    assert urls == [f"{base}/v/{token}"]

    modified = bytearray(pdf.read_bytes())
    at = modified.index(b"/Contents") - 40  # inside the signed revision
    modified[at] = ord("A") if modified[at] != ord("A") else ord("B")
    bad = tmp_path / "diubah.pdf"
    bad.write_bytes(bytes(modified))

    drv = browser()
    try:
        drv.get(urls[0])
        page = drv.find_element(By.TAG_NAME, "body").text
        assert nomor in page and "AKTIF" in page and "NAMA KEPALA" in page
        assert "@" not in page  # no e-mail, nothing beyond the letter
        for path, verdict in ((pdf, "valid"), (bad, "modified")):
            drv.get(urls[0])
            drv.find_element(By.ID, "berkas").send_keys(str(path))
            drv.find_element(By.ID, "periksa").click()
            result = WebDriverWait(drv, 30).until(  # the answer page, once loaded
                lambda d: d.find_element(By.ID, "hasil")
            )
            assert result.get_attribute("data-verdict") == verdict, result.text
            drv.save_screenshot(str(tmp_path / f"verifikasi-{verdict}.png"))
    finally:
        drv.quit()
    assert requests.get(f"{base}/v/{'x' * 32}", timeout=5).status_code == 404
    assert requests.get(f"{base}/ttd/{'x' * 32}", timeout=5).status_code == 404


def test_bsre_signing_page_keeps_the_passphrase_to_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """BSrE mode: the form cannot sign; the signing page takes NIP, code and passphrase,
    signs through the esign-client (the stand-in), and the passphrase is nowhere after."""
    from connectors import pdf as pdfconn
    from connectors.tte.verify import verify_pdf
    from diklat.models import Bundel as B
    from diklat.naskah.persetujuan import buka, kirim_kode, putuskan, tingkat_berikut
    from simulator.bsre import BsreServer
    from web.app import tandatangani_dari_halaman

    if not pdfconn.available():
        pytest.skip("LibreOffice needed to sign PDFs")
    nik, secret = "6402011708780003", "rahasia-Passphrase-77"
    with BsreServer(accounts={nik: secret}) as bsre:
        monkeypatch.setenv("DIKLAT_TTE__MODE", "bsre")
        monkeypatch.setenv("DIKLAT_TTE__BSRE_URL", bsre.url)
        monkeypatch.setenv("DIKLAT_TTE__BSRE_PASSWORD", "qwerty")
        monkeypatch.setenv("DIKLAT_TTE__TRUST_ROOTS", f'["{bsre.state.root_cert}"]')
        reset_settings_cache()
        migrate()
        engine = get_engine()
        mulai = today()
        sent: list = []
        siap(engine)
        with session_scope(engine) as s:
            simpan_pejabat(
                s,
                nip="197209131998031001",
                nama="KEPALA",
                peran="kepala",
                jabatan="Kepala Badan",
                email="kepala@example.go.id",
            )
            from diklat.models import Pejabat

            s.execute(select(Pejabat).where(Pejabat.peran == "kepala")).scalar_one().nik = nik
            simpan_kegiatan(
                s,
                {
                    "kode": "PK-B",
                    "sop": "peningkatan-kapasitas",
                    "nama": "Pelatihan BSrE",
                    "mulai": mulai,
                    "selesai": mulai,
                    "tempat": "Aula",
                    "jp": 8,
                    "lembaga_narasumber": "BPSDM",
                    "materi": ["A"],
                },
            )
            from diklat.kegiatan.data import tetapkan_hasil, tetapkan_peserta
            from diklat.models import Pegawai
            from diklat.pegawai.personnel import PersonnelWriter

        w = PersonnelWriter(engine, None, sumber="simpeg")
        w.upsert_units([{"kode": "U1", "nama": "Dinas"}])
        w.write([{"nip": "198501012010012001", "nama": "Siti", "unit_kode": "U1"}])
        with session_scope(engine) as s:
            from diklat.kegiatan.data import kegiatan_by_kode

            k = kegiatan_by_kode(s, "PK-B")
            tetapkan_peserta(s, k, s.execute(select(Pegawai.id)).scalars().all())
            from diklat.models import Peserta

            tetapkan_hasil(s, k, {p.id: 88 for p in s.query(Peserta)})
        out = Path(get_settings().output_dir or tmp_path)
        h = versi.buat_draf(engine, "PK-B", "sertifikat", out)  # signed by the head only
        with session_scope(engine) as s:
            b = s.get(B, h.bundel_id)
            assert b is not None
            level = tingkat_berikut(s, b)
            assert level is not None and level["kind"] == "tanda_tangan"
            p = buka(s, b, level)
            kirim_kode(s, p, sent.append, ui_url="http://ui")
            token, pid = p.token, p.id
        import re

        code = re.search(r"Kode: (\d{6})", sent[-1].isi).group(1)  # type: ignore[union-attr]
        assert f"/ttd/{token}" in sent[-1].isi
        with session_scope(engine) as s:  # the Prefect form cannot sign a BSrE letter
            r = putuskan(
                s, pid, nip="197209131998031001", kode=code, keputusan="setuju", kirim=sent.append
            )
            assert not r.diterima and "halaman tanda tangan" in (r.alasan or "")
        # the code typed into the form is spent (it is stored there); a new one went out
        # (the official is also told why his answer was refused, in a mail of its own)
        assert any("ditolak" in m.isi and "Kode:" not in m.isi for m in sent[-2:])
        new = next(
            m.group(1) for m in (re.search(r"Kode: (\d{6})", x.isi) for x in reversed(sent)) if m
        )
        assert new != code
        code = new
        caplog.set_level("DEBUG")
        ok, msg = tandatangani_dari_halaman(
            token or "", nip="197209131998031001", kode=code, passphrase="Keliru-Passphrase-1"
        )
        assert not ok and "passphrase" in msg.lower()
        ok, msg = tandatangani_dari_halaman(
            token or "", nip="197209131998031001", kode=code, passphrase=secret
        )
        assert ok, msg
        with session_scope(engine) as s:
            path = Path(
                s.execute(
                    select(NaskahBerkas.path).where(NaskahBerkas.peran == "ttd_pdf")
                ).scalar_one()
            )
            dump = "\n".join(
                str(row)
                for t in (
                    "audit_persetujuan",
                    "persetujuan",
                    "permintaan_persetujuan",
                    "kode_verifikasi",
                    "naskah",
                    "pejabat",
                )
                for row in s.execute(__import__("sqlalchemy").text(f"SELECT * FROM {t}")).all()
            )
        res = verify_pdf(path.read_bytes(), [bsre.state.root_cert])
        assert res.valid and res.trusted, res.reason
        assert secret not in caplog.text and nik not in caplog.text
        assert secret not in dump and "Keliru-Passphrase-1" not in dump + caplog.text
        outbox = "".join(
            f.read_text(errors="replace")
            for f in Path(get_settings().outbox_dir or tmp_path).glob("*.eml")
        )
        assert secret not in outbox
