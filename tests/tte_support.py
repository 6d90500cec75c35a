"""Helpers for the TTE tests: real letters with the ``#TTE#`` anchor, a plain PDF writer, and
reading the stamp's QR code back from the rendered page (poppler's ``pdftoppm`` + zxing-cpp)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

from connectors import pdf as pdfconn

MARKER = "#TTE#"


def add_marker(docx: Path, signer_name: str, marker: str = MARKER, extra_lines: int = 2) -> None:
    """Put the anchor into a rendered letter the way a TTE-ready template would: a tiny white
    run, centred in the first empty line of the signature block (below the position, above the
    signer's name), with ``extra_lines`` more empty lines so the 2 cm stamp fits."""
    doc = Document(str(docx))
    paras = doc.paragraphs
    name_at = max(i for i, p in enumerate(paras) if signer_name in p.text)
    j = name_at - 1
    while j > 0 and not paras[j].text.strip():
        j -= 1
    target = paras[j + 1] if j + 1 < name_at else paras[j]
    target.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = target.add_run(marker)
    run.font.size = Pt(2)
    run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    for _ in range(extra_lines):  # a TTE-ready block has room for the 2 cm stamp
        paras[name_at].insert_paragraph_before("")
    doc.save(str(docx))


def letter_pdfs(tmp: Path, n: int = 1, jenis: str = "surat_tugas") -> list[bytes]:
    """``n`` real letters: rendered from the project's template, anchored, converted by
    LibreOffice in one batch."""
    from diklat.naskah import render_batch
    from diklat.naskah.contoh import contoh

    ctxs = [contoh(jenis, nomor=f"800.1.4.1/{i + 1:03d}/BKPSDM/2026") for i in range(n)]
    docx = render_batch(jenis, ctxs, tmp / "docx", names=[f"l{i:03d}" for i in range(n)])
    from diklat.naskah import docx_text

    for p, ctx in zip(docx, ctxs, strict=True):
        if MARKER not in docx_text(p):  # the project's templates carry it already
            add_marker(p, ctx["ttd"]["nama"])
    with pdfconn.PdfConverter() as conv:
        pdfs = conv.convert(docx, tmp / "pdf")
    return [p.read_bytes() for p in pdfs]


def simple_pdf(
    lines: list[str],
    *,
    marker: str | None = MARKER,
    marker_at: tuple[int, int] = (420, 300),
    pages: int = 1,
) -> bytes:
    """A small valid PDF (Helvetica text; the marker tiny and white on the last page)."""
    objs: list[bytes] = []

    def add(b: bytes) -> int:
        objs.append(b)
        return len(objs)

    add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_id = 2 + 2 * pages
    page_ids = []
    for p in range(pages):
        body = (
            b"BT /F1 12 Tf 72 760 Td 14 TL\n"
            + b"".join(b"(" + line.encode("cp1252") + b") '\n" for line in lines)
            + b"ET\n"
        )
        if p == pages - 1 and marker:
            body += b"BT 1 1 1 rg /F1 2 Tf %d %d Td (%s) Tj ET\n" % (
                marker_at[0],
                marker_at[1],
                marker.encode(),
            )
        c = add(b"<< /Length %d >>\nstream\n" % len(body) + body + b"endstream")
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << "
                b"/F1 1 0 R >> >> /Contents %d 0 R >>" % (pages_id, c)
            )
        )
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    assert add(b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages) == pages_id
    cat = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1,
        cat,
        xref,
    )
    return bytes(out)


def read_qr(pdf: bytes, tmp: Path, page: int = 1, dpi: int = 200) -> list[str]:
    """Render one page with pdftoppm (grey PGM, no imaging library needed) and decode every QR
    code on it with zxing-cpp."""
    import zxingcpp

    src = tmp / "qr.pdf"
    src.write_bytes(pdf)
    exe = shutil.which("pdftoppm")
    assert exe, "pdftoppm (poppler-utils) is required"
    subprocess.run(
        [exe, "-r", str(dpi), "-gray", "-f", str(page), "-l", str(page), str(src), str(tmp / "qr")],
        check=True,
        timeout=60,
    )
    pgm = next(tmp.glob("qr*.pgm"))
    img = _read_pgm(pgm.read_bytes())
    return [
        r.text for r in zxingcpp.read_barcodes(img) if r.format == zxingcpp.BarcodeFormat.QRCode
    ]


def _read_pgm(data: bytes) -> np.ndarray:
    """Binary PGM (P5) -> 2-D uint8 array."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1
    assert fields[0] == b"P5"
    w, h = int(fields[1]), int(fields[2])
    return np.frombuffer(data, dtype=np.uint8, count=w * h, offset=pos).reshape(h, w)
