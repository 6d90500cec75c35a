"""Plain text of a DOCX (paragraphs and table cells in document order), for tests and checks."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn


def docx_text(source: Path | bytes) -> str:
    """Text of the body in reading order: one line per paragraph; a table row becomes one
    line with its cells joined by `` | `` (merged cells once); line breaks inside a
    paragraph stay ``\\n``. Empty paragraphs are dropped."""
    doc = Document(io.BytesIO(source) if isinstance(source, bytes) else str(source))
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

    walk(doc.element.body)
    return "\n".join(lines) + "\n"
