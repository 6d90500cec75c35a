"""Plain text of a DOCX (paragraphs and table cells in document order), for tests and checks."""

from __future__ import annotations

import contextlib
import io
import zipfile
from pathlib import Path

from docx.oxml.ns import qn
from docx.oxml.parser import parse_xml
from lxml import etree


def docx_text(source: Path | bytes) -> str:
    """Text of the body in reading order: one line per paragraph; a table row becomes one
    line with its cells joined by `` | `` (merged cells once); line breaks inside a
    paragraph stay ``\\n``. Empty paragraphs are dropped."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return body_text(z)


def main_part(z: zipfile.ZipFile) -> str:
    """The name of the package's main document part (``word/document.xml`` as Word writes
    it; read from the package's relationships as python-docx does)."""
    with contextlib.suppress(KeyError, etree.XMLSyntaxError):
        rels = etree.fromstring(z.read("_rels/.rels"))
        for rel in rels:
            if (rel.get("Type") or "").endswith("/officeDocument") and rel.get("Target"):
                return str(rel.get("Target")).lstrip("/")
    return "word/document.xml"


def body_text(z: zipfile.ZipFile) -> str:
    """:func:`docx_text` of an open package: only the main part is parsed (with
    python-docx's parser, so the elements are the ones ``Document`` would hold), which is
    what makes the checks of every final cheap."""
    root = parse_xml(z.read(main_part(z)))
    lines: list[str] = []

    def para_text(p) -> str:  # type: ignore[no-untyped-def]
        out = []
        # only run content: <w:tab> also names the tab stops inside <w:pPr>
        for el in (c for r in p.iter(qn("w:r")) for c in r):
            if el.tag == qn("w:t"):
                out.append(el.text or "")
            elif el.tag == qn("w:tab"):
                out.append("\t")
            elif el.tag == qn("w:br") and el.get(qn("w:type")) != "page":
                out.append("\n")
        return "".join(out).rstrip()

    def walk(el) -> None:  # type: ignore[no-untyped-def]
        for child in el.iterchildren():
            if child.tag == qn("w:p"):
                t = para_text(child)
                if t.strip():
                    lines.append(t)
            elif child.tag == qn("w:tbl"):
                for tr in child.iterchildren(qn("w:tr")):
                    cells = []
                    for tc in tr.iterchildren(qn("w:tc")):
                        ps = [para_text(p) for p in tc.iterchildren(qn("w:p"))]
                        cells.append("\n".join(x for x in ps if x.strip()))
                    if any(c.strip() for c in cells):
                        lines.append(" | ".join(cells))
            elif child.tag == qn("w:sdt"):
                walk(child.find(qn("w:sdtContent")))

    walk(root.find(qn("w:body")))
    return "\n".join(lines) + "\n"


#: Width of a font relative to Helvetica/Arial (the metrics used below), for the fonts
#: agencies set letters in; others are taken as Arial.
_LEBAR_FONT = {"times new roman": 0.9, "liberation serif": 0.9, "bookman old style": 1.12}


def lebar_teks(text: str, size_pt: float, font: str = "Arial") -> float:
    """Approximate width of ``text`` in points (Helvetica's standard metrics, which Arial and
    Liberation Sans share, scaled for a few other fonts)."""
    from connectors.tte.stamp import text_width

    return text_width(text, size_pt) * _LEBAR_FONT.get(font.lower(), 1.0)


def seimbang(
    text: str,
    lebar_cm: float,
    akhir: str = "",
    *,
    size_pt: float | None = None,
    font: str | None = None,
) -> str:
    """``text`` broken into balanced lines for a column ``lebar_cm`` wide (``akhir``, e.g. the
    comma after a position, counts on the last line): as few lines as the column needs, the
    longest as short as possible and no line a lone word when another break avoids it
    (``Kepala Badan Kepegawaian dan`` / ``Pengembangan Sumber Daya Manusia,``, never
    ``Manusia,`` alone). Lines are joined with ``\\n`` (a line break in Word). A text that
    fits, or a word longer than the column, is returned as it is."""
    if not text or "\n" in text:
        return text
    if size_pt is None or font is None:
        from diklat.settings import get_settings

        n = get_settings().naskah
        size_pt = n.font_size_pt if size_pt is None else size_pt
        font = n.font if font is None else font
    limit = lebar_cm / 2.54 * 72 * 0.95  # a margin for the metrics being approximate
    words = text.split()

    def width(i: int, j: int) -> float:
        line = " ".join(words[i:j]) + (akhir if j == len(words) else "")
        return lebar_teks(line, size_pt, font)

    if width(0, len(words)) <= limit or any(width(k, k + 1) > limit for k in range(len(words))):
        return text
    # best[i] = (lines, lone words, longest line) of words[i:], and where its first line ends
    best: dict[int, tuple[tuple[int, int, float], int]] = {len(words): ((0, 0, 0.0), 0)}
    for i in range(len(words) - 1, -1, -1):
        options = []
        for j in range(i + 1, len(words) + 1):
            w = width(i, j)
            if w > limit:
                break
            (lines, lone, longest), _ = best[j]
            options.append(((lines + 1, lone + (j - i == 1), max(longest, w)), j))
        best[i] = min(options)
    out, i = [], 0
    while i < len(words):
        j = best[i][1]
        out.append(" ".join(words[i:j]))
        i = j
    return "\n".join(out)
