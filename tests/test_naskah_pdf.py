"""PDF through LibreOffice: merged batch conversion gives one PDF per document with the same
pages as converting each document alone; no LibreOffice means DOCX only, no crash.

Without ``soffice`` the conversion tests skip, unless ``DIKLAT_REQUIRE_LIBREOFFICE=1`` (CI),
where they fail.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from connectors import pdf as pdfconn
from diklat.naskah import render_batch
from diklat.naskah.contoh import contoh, peserta_list

REQUIRE = os.environ.get("DIKLAT_REQUIRE_LIBREOFFICE") == "1"


@pytest.fixture
def soffice() -> str:
    path = pdfconn.find_soffice()
    if path is None:
        if REQUIRE:
            pytest.fail("LibreOffice required (DIKLAT_REQUIRE_LIBREOFFICE=1) but soffice not found")
        pytest.skip("LibreOffice (soffice) not installed")
    return path


def _batch(tmp: Path) -> list[Path]:
    ps = peserta_list()
    paths = render_batch(
        "surat_panggilan",
        [
            contoh("surat_panggilan", nomor=f"800.2.4.2/{i:03d}/BKPSDM/2026", peserta=ps[i % 3])
            for i in range(1, 6)
        ],
        tmp / "docx",
    )
    # long multi-page documents of one template, to prove the split follows real page counts
    many = [dict(ps[0], nama=f"PESERTA {i}") for i in range(60)]
    paths += render_batch(
        "surat_pemberitahuan",
        [
            contoh("surat_pemberitahuan", nomor="800.2.4.1/101/BKPSDM/2026", peserta=many),
            contoh("surat_pemberitahuan", nomor="800.2.4.1/102/BKPSDM/2026"),
            contoh("surat_pemberitahuan", nomor="800.2.4.1/103/BKPSDM/2026", peserta=many[:30]),
        ],
        tmp / "docx",
        names=["pb1", "pb2", "pb3"],
    )
    paths += render_batch("sk_panitia", [contoh("sk_panitia")], tmp / "docx", names=["sk"])
    paths += render_batch(
        "sertifikat",
        [contoh("sertifikat", nomor="STTP/1"), contoh("sertifikat", nomor="STTP/2")],
        tmp / "docx",
        names=["sert1", "sert2"],
    )
    return paths


def test_merged_batch_matches_single_conversion(soffice: str, tmp_path: Path) -> None:
    docs = _batch(tmp_path)
    with pdfconn.PdfConverter(soffice) as conv:
        merged = conv.convert(docs, tmp_path / "merged")
        assert conv.stats.soffice_calls == 1  # one LibreOffice start for the whole batch
        # the built templates share every part but the body, so even different document
        # types merge into one file (each document its own section)
        assert conv.stats.merged_files == 1
        assert conv.stats.fallback_documents == 0
    with pdfconn.PdfConverter(soffice, merge=False) as conv:
        single = conv.convert(docs, tmp_path / "single")
    assert [p.name for p in merged] == [d.stem + ".pdf" for d in docs]
    pages_m = [len(PdfReader(str(p)).pages) for p in merged]
    pages_s = [len(PdfReader(str(p)).pages) for p in single]
    assert pages_m == pages_s
    assert pages_m[5] > pages_m[6] >= 2  # pb1 (60 names) longer than pb2 (3 names)
    assert pages_m[8] >= 2 and pages_m[-1] == 1
    for pdf, nomor in [(merged[i], f"800.2.4.2/00{i + 1}/BKPSDM/2026") for i in range(5)] + [
        (merged[5], "800.2.4.1/101/BKPSDM/2026"),
        (merged[7], "800.2.4.1/103/BKPSDM/2026"),
        (merged[-1], "STTP/2"),
    ]:
        reader = PdfReader(str(pdf))
        first = reader.pages[0].extract_text()
        assert nomor in first, pdf.name
        assert "PEMERINTAH KABUPATEN KUTAI KARTANEGARA" in first
        # the last page belongs to the same document: it ends with the signature block or
        # the copy list (Tembusan) that follows it
        last = reader.pages[-1].extract_text()
        assert "NIP." in last or "Tembusan" in last
    # landscape certificate stays landscape after the split
    box = PdfReader(str(merged[-1])).pages[0].mediabox
    assert float(box.width) > float(box.height)


def test_missing_marker_falls_back_to_single_conversion(
    soffice: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _batch(tmp_path)[:3]
    monkeypatch.setattr(pdfconn, "split_pdf", lambda pdf, targets: False)
    with pdfconn.PdfConverter(soffice) as conv:
        out = conv.convert(docs, tmp_path / "pdf")
        assert conv.stats.fallback_documents == 3 and conv.stats.soffice_calls == 2
    for i, p in enumerate(out):
        assert f"800.2.4.2/00{i + 1}/BKPSDM/2026" in PdfReader(str(p)).pages[0].extract_text()


def test_merge_docx_structure(tmp_path: Path) -> None:
    docs = _batch(tmp_path)[:3]
    target = pdfconn.merge_docx(docs, tmp_path / "m.docx")
    with zipfile.ZipFile(target) as z:
        xml = z.read("word/document.xml").decode()
    assert xml.count('w:name="DIKLATDOC') == 3  # where each document starts
    # each one's signature anchor, its marker text taken out (the summonses have one)
    assert xml.count('w:name="DIKLATTANDA') == 3 and "#TTE#" not in xml
    assert xml.count("<w:sectPr") == 3  # one section per document
    assert xml.count('w:start="1"') == 3  # page numbers restart per document


def test_no_libreoffice_means_docx_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DIKLAT_SOFFICE", str(tmp_path / "no-soffice"))
    assert pdfconn.find_soffice() is None
    docs = _batch(tmp_path)[:1]
    with caplog.at_level(logging.WARNING):
        assert pdfconn.convert_batch(docs, tmp_path / "pdf") is None
    assert "LibreOffice" in caplog.text and "hanya DOCX" in caplog.text
    with pytest.raises(pdfconn.LibreOfficeUnavailable):
        pdfconn.PdfConverter()
    assert docs[0].is_file()


def test_split_letters_carry_their_signature_anchor(
    soffice: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each letter split from a merged conversion names its signature anchors (named
    destinations, every signature block: a notice's attachment has its own) in place of the
    marker text, which is no longer in its text layer. They give the places the text search
    gives in the same letter converted on its own (which keeps its marker text): the same
    page and line, and the box centred on the signature column instead of 1.4 pt left of it
    (where the 1 pt marker text began). The text search reads only the pages poppler finds
    the marker on, and finds what reading every page finds."""
    from connectors.tte import stamp
    from connectors.tte.stamp import find_anchor, find_anchors

    docs = _batch(tmp_path)  # every type: summonses, multi-page notices, decree, certificates
    with pdfconn.PdfConverter(soffice) as conv:
        merged = conv.convert(docs, tmp_path / "merged")
    with pdfconn.PdfConverter(soffice, merge=False) as conv:
        single = conv.convert(docs, tmp_path / "single")
    for m, s in zip(merged, single, strict=True):
        data, alone = m.read_bytes(), s.read_bytes()
        names = {str(k).lstrip("/") for k in PdfReader(str(m)).named_destinations}
        assert pdfconn.ANCHOR_DEST + "000" in names
        assert "#TTE#" not in pdfconn.teks_pdf([m], pypdf=True)[0]
        assert "#TTE#" in pdfconn.teks_pdf([s], pypdf=True)[0]
        assert not {str(k) for k in PdfReader(str(s)).named_destinations}
        by_dest, by_text = find_anchors(data), find_anchors(alone)
        assert len(by_dest) == len(by_text) >= 1
        for d, t in zip(by_dest, by_text, strict=True):
            assert d.page_index == t.page_index and abs(d.y - t.y) < 0.5
            assert 0.5 < d.x - t.x < 2.0
        assert find_anchor(data) == by_dest[0]
    assert max(len(find_anchors(p.read_bytes())) for p in merged) == 2  # attachments too
    if shutil.which("pdftotext") is not None:
        assert stamp._marker_pages(single[0].read_bytes(), "#TTE#") is not None
    found = [find_anchors(p.read_bytes(), "#TTE#") for p in single]
    assert all(found)
    monkeypatch.setattr(stamp, "_marker_pages", lambda pdf, marker: None)  # every page
    assert [find_anchors(p.read_bytes(), "#TTE#") for p in single] == found


def test_text_of_split_letters_is_read_once_from_the_merged_pdf(
    soffice: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch's letters (one and several pages, portrait and landscape) have their text from
    one ``pdftotext`` of the merged PDF, equal to reading each letter's own file; a letter
    written again afterwards is read again."""
    if pdfconn._pdftotext() is None:
        pytest.skip("poppler-utils (pdftotext) not installed")
    docs = _batch(tmp_path)
    with pdfconn.PdfConverter(soffice) as conv:
        out = conv.convert(docs, tmp_path / "pdf")
    exe = pdfconn._pdftotext()
    assert exe is not None
    own = [pdfconn._teks_poppler(exe, p) for p in out]  # each file read by itself
    calls: list[Path] = []
    real = pdfconn._teks_poppler

    def counting(exe: str, pdf: Path) -> str:
        calls.append(pdf)
        return real(exe, pdf)

    monkeypatch.setattr(pdfconn, "_teks_poppler", counting)
    assert pdfconn.teks_pdf(out) == own
    assert calls == []  # none read again: all kept from the merged PDF
    assert any(t.count("\f") >= 2 for t in own)  # a letter of several pages among them
    time.sleep(0.01)
    out[0].write_bytes(out[1].read_bytes())  # replaced by another letter's bytes
    assert pdfconn.teks_pdf(out[:2]) == [own[1], own[1]]
    assert calls == [out[0]]
