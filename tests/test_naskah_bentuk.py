"""What a secretary checks on the printed letters: the emblem in the letterhead, page numbers
on multi-page documents, the signature block kept on one page with room for the electronic
signature, rows never split, counts in words, heads addressed by their titles, dates."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from connectors import pdf as pdfconn
from diklat.naskah import konteks, load_template, render_batch
from diklat.naskah.contoh import contoh
from diklat.naskah.isi import tanggal_naskah
from diklat.naskah.lambang import LAMBANG_PLACEHOLDER, LambangError, placeholder
from diklat.settings import reset_settings_cache
from tools.build_templates import TTE_ANCHOR


@pytest.fixture
def soffice() -> str:
    path = pdfconn.find_soffice()
    if path is None:
        if os.environ.get("DIKLAT_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice required (DIKLAT_REQUIRE_LIBREOFFICE=1)")
        pytest.skip("LibreOffice (soffice) not installed")
    return path


def _media(docx: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return [z.read(n) for n in z.namelist() if n.startswith("word/media/")]


def test_emblem_placeholder_and_configured_emblem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert placeholder() == LAMBANG_PLACEHOLDER  # the same bytes every time
    assert _media(load_template("surat_panggilan").render(contoh("surat_panggilan"))) == [
        LAMBANG_PLACEHOLDER
    ]
    own = tmp_path / "lambang.png"
    data = bytearray(LAMBANG_PLACEHOLDER)
    data[-20] ^= 0xFF  # another (here: damaged) image is enough to see the swap
    own.write_bytes(bytes(data))
    monkeypatch.setenv("DIKLAT_INSTANSI__LAMBANG", str(own))
    reset_settings_cache()
    for jenis in ("surat_panggilan", "sertifikat", "sk_panitia"):
        assert _media(load_template(jenis).render(contoh(jenis))) == [bytes(data)]
    bad = tmp_path / "lambang.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not a png")
    monkeypatch.setenv("DIKLAT_INSTANSI__LAMBANG", str(bad))
    reset_settings_cache()
    with pytest.raises(LambangError, match="bukan berkas PNG"):
        load_template("surat_panggilan")


def test_rows_never_split_and_signature_lines_keep_together() -> None:
    xml = _document_xml(load_template("surat_pemberitahuan").render(contoh("surat_pemberitahuan")))
    rows = re.findall(r"<w:tr[ >].*?</w:tr>", xml, flags=re.S)
    assert rows and all("<w:cantSplit/>" in r for r in rows)
    assert xml.count(TTE_ANCHOR) == 2  # the letter's signature and the attachment's
    # every paragraph of the signature block keeps with the next one, the NIP too: the copy
    # list below it never stands alone on a page
    start = xml.rfind("<w:p>", 0, xml.index("a.n. Kepala Badan"))
    block = xml[start : xml.index("NIP. 19800512")]
    # a.n., jabatan, anchor, signature space, name, rank, NIP keep with the next
    assert (block.count("<w:p>"), block.count("<w:keepNext/>")) == (7, 7)


def _document_xml(docx: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return z.read("word/document.xml").decode()


def test_page_numbers_and_signature_block_on_one_page(soffice: str, tmp_path: Path) -> None:
    many = [
        dict(contoh("surat_pemberitahuan")["peserta"][0], nama=f"PESERTA {i}") for i in range(70)
    ]
    docs = render_batch(
        "surat_pemberitahuan",
        [contoh("surat_pemberitahuan", peserta=many), contoh("surat_pemberitahuan")],
        tmp_path / "docx",
        names=["panjang", "pendek"],
    )
    docs += render_batch(
        "surat_panggilan", [contoh("surat_panggilan")], tmp_path / "docx", names=["panggilan"]
    )
    docs += render_batch(
        "sertifikat", [contoh("sertifikat")], tmp_path / "docx", names=["sertifikat"]
    )
    from connectors.tte.stamp import find_anchors

    pdfs = pdfconn.convert_batch(docs, tmp_path / "pdf")
    assert pdfs is not None
    for pdf in pdfs:
        pages = [p.extract_text() for p in PdfReader(str(pdf)).pages]
        assert "- 1 -" not in pages[0]  # the first page carries no number
        for i, text in enumerate(pages[1:], start=2):
            assert re.search(rf"-\s*{i}\s*-", text), (pdf.name, i, text[:80])
        # the signature block: position, anchor, name and NIP on one page (the anchor: the
        # conversion's destination in a merged letter, the marker text in a letter alone)
        signed = [pages[a.page_index] for a in find_anchors(pdf.read_bytes())]
        # the notices' attachment has its own signature block (and stamp)
        assert len(signed) == (2 if pdf.stem in ("panjang", "pendek") else 1), pdf.name
        page = signed[0]
        ttd = (
            contoh(pdf.stem if pdf.stem in ("sertifikat",) else "surat_panggilan")["ttd"]
            if pdf.stem in ("panggilan", "sertifikat")
            else contoh("surat_pemberitahuan")["ttd"]
        )
        assert ttd["nama"] in page and f"NIP. {ttd['nip']}" in page, pdf.name
        assert ttd["jabatan"].split()[-1].rstrip(",") in page
    assert len(PdfReader(str(pdfs[0])).pages) >= 3  # 70 names: a long attachment
    assert len(PdfReader(str(pdfs[3])).pages) == 1  # the certificate fits on its page


def test_counts_titles_and_dates() -> None:
    assert konteks.jumlah_orang(3) == "3 (tiga) orang"
    assert [konteks.terbilang(n) for n in (11, 12, 20, 21, 100, 115, 1000, 2026, 1_000_000)] == [
        "sebelas",
        "dua belas",
        "dua puluh",
        "dua puluh satu",
        "seratus",
        "seratus lima belas",
        "seribu",
        "dua ribu dua puluh enam",
        "satu juta",
    ]
    assert konteks.sebutan_kepala("Sekretariat Daerah") == "Sekretaris Daerah"
    assert konteks.sebutan_kepala("Sekretariat DPRD") == "Sekretaris DPRD"
    assert konteks.sebutan_kepala("Inspektorat Daerah") == "Inspektur"
    assert konteks.sebutan_kepala("RSUD A.M. Parikesit") == "Direktur RSUD A.M. Parikesit"
    assert konteks.sebutan_kepala("Kecamatan Tenggarong") == "Camat Tenggarong"
    assert konteks.sebutan_kepala("Kelurahan Timbau") == "Lurah Timbau"
    assert konteks.sebutan_kepala("Dinas Kesehatan") == "Kepala Dinas Kesehatan"
    text = load_template("tanda_terima").render(contoh("tanda_terima"))
    assert b"Telah diterima dari" in zipfile.ZipFile(io.BytesIO(text)).read("word/document.xml")

    from diklat.models import Kegiatan
    from diklat.naskah.isi import TanggalBelumTiba

    k = Kegiatan(
        kode="PK-1", tanggal_mulai=dt.date(2026, 12, 9), tanggal_selesai=dt.date(2026, 12, 11)
    )
    today = dt.date(2026, 12, 1)
    # a certificate or report is dated the day it is made, never before the training ends
    with pytest.raises(TanggalBelumTiba, match="2026-12-11"):
        tanggal_naskah("sertifikat", k, today)
    with pytest.raises(TanggalBelumTiba):
        tanggal_naskah("laporan_kegiatan", k, today)
    assert tanggal_naskah("surat_panggilan", k, today) == today
    assert tanggal_naskah("sertifikat", k, dt.date(2026, 12, 11)) == dt.date(2026, 12, 11)
    assert tanggal_naskah("sertifikat", k, dt.date(2026, 12, 20)) == dt.date(2026, 12, 20)


def test_font_not_installed_is_named(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import shutil

    from diklat.naskah import versi

    if shutil.which("fc-match") is None:
        if os.environ.get("DIKLAT_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("fontconfig (fc-match) required with LibreOffice")
        pytest.skip("fontconfig not installed")
    assert versi.periksa_font() is None  # Arial -> Liberation Sans: same metrics
    monkeypatch.setenv("DIKLAT_NASKAH__FONT", "Bookman Old Style")
    reset_settings_cache()
    with caplog.at_level("WARNING", logger="diklat.naskah"):
        message = versi.periksa_font()
    assert message is not None and "'Bookman Old Style' tidak terpasang" in message
    substitute = pdfconn.font_substitute("Bookman Old Style")
    assert substitute and substitute in message and message in caplog.text
