"""Build the Word templates in ``templates/`` (one ``.docx`` per document type).

The templates are ordinary Word files: staff may open them, change the wording, the layout or
the letterhead arrangement and save them again; the engine only needs the Jinja tags
(``{{ nomor }}``, ``{%p if tembusan %}``, ``{%tr for p in peserta %}`` ...) to stay intact.
This script is how the first versions are made; run it again only to start over
(``python -m tools.build_templates [--out DIR] [--force]``; it refuses to overwrite
an existing template unless ``--force``).

What comes from where:

* letterhead (kop) text, place, dates, numbers, names: from the render context at render
  time (``kop.*`` is built from ``settings.instansi``), so changing the agency settings needs
  no rebuild;
* paper size (A4/F4) and the body font: written here from ``settings.naskah`` and applied
  again by the engine when a template is loaded (see ``engine.apply_page_settings``), so a
  changed setting takes effect without a rebuild too;
* wording and layout: the template itself.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from diklat.naskah.jenis import JENIS
from diklat.naskah.lambang import LAMBANG_PLACEHOLDER
from diklat.settings import Settings, get_settings

PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "F4": (215.0, 330.0)}

#: Left indent of the right-hand column (date line, signature block).
TTD_INDENT = Cm(8.5)
#: Width of the text between the margins on A4 (F4 is 5 mm wider), portrait and landscape.
TEXT_CM = {False: 21.0 - 4.5, True: 29.7 - 4.5}

Run = tuple[str, dict[str, Any]]
Container = DocumentObject | _Cell


# --------------------------------------------------------------------------- low-level helpers


def para(
    where: Container,
    text: str | Sequence[Run] = "",
    *,
    bold: bool = False,
    underline: bool = False,
    size: float | None = None,
    align: str | None = None,
    indent: Any = None,
    first_line: Any = None,
    hanging: Any = None,
    before: float = 0,
    after: float = 0,
    keep_next: bool = False,
    keep_lines: bool = False,
    reuse_first: bool = False,
) -> Paragraph:
    """Add a paragraph; ``text`` is plain text or a list of ``(text, run-format)`` runs."""
    if (
        reuse_first
        and isinstance(where, _Cell)
        and len(where.paragraphs) == 1
        and not where.paragraphs[0].text
    ):
        p = where.paragraphs[0]
    else:
        p = where.add_paragraph()
    runs: Sequence[Run] = [(text, {})] if isinstance(text, str) else text
    for t, fmt in runs:
        if not t:
            continue
        r = p.add_run(t)
        r.bold = fmt.get("bold", bold) or None
        r.underline = fmt.get("underline", underline) or None
        r.italic = fmt.get("italic") or None
        sz = fmt.get("size", size)
        if sz:
            r.font.size = Pt(sz)
        if fmt.get("color"):
            r.font.color.rgb = RGBColor.from_string(fmt["color"])
    pf = p.paragraph_format
    if align:
        pf.alignment = {
            "left": WD_ALIGN_PARAGRAPH.LEFT,
            "center": WD_ALIGN_PARAGRAPH.CENTER,
            "right": WD_ALIGN_PARAGRAPH.RIGHT,
            "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
        }[align]
    if indent is not None:
        pf.left_indent = indent
    if first_line is not None:
        pf.first_line_indent = first_line
    if hanging is not None:
        pf.first_line_indent = -hanging
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if keep_next:
        pf.keep_with_next = True
    if keep_lines:
        pf.keep_together = True
    return p


def tag(where: Container, text: str) -> Paragraph:
    """A paragraph that holds only a ``{%p ... %}`` tag (removed at render time)."""
    return para(where, text)


def bottom_rule(p: Paragraph) -> None:
    """The thick-thin double rule under the letterhead."""
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "thickThinSmallGap")
    bottom.set(qn("w:sz"), "24")
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "auto")
    bdr.append(bottom)
    ppr.append(bdr)


def page_break(doc: DocumentObject) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def table(
    where: Container, rows: int, widths_cm: Sequence[float], *, borders: bool = False
) -> Table:
    t = where.add_table(rows=rows, cols=len(widths_cm))
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    t.autofit = False
    if borders:
        t.style = "Table Grid"
    else:
        _no_borders(t)
    tblpr = t._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    for row in t.rows:
        for i, w in enumerate(widths_cm):
            row.cells[i].width = Cm(w)
        no_split(row._tr)
    for i, w in enumerate(widths_cm):
        t.columns[i].width = Cm(w)
    return t


def no_split(tr: Any) -> None:
    """A table row is never split across two pages."""
    trpr = tr.get_or_add_trPr()
    if trpr.find(qn("w:cantSplit")) is None:
        trpr.insert(0, OxmlElement("w:cantSplit"))


def _no_borders(t: Table) -> None:
    tblpr = t._tbl.tblPr
    b = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:val"), "nil")
        b.append(e)
    tblpr.append(b)
    mar = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:w"), "40")
        e.set(qn("w:type"), "dxa")
        mar.append(e)
    tblpr.append(mar)


def header_row(t: Table) -> None:
    """Mark the first row as a heading row (repeated on every page)."""
    trpr = t.rows[0]._tr.get_or_add_trPr()
    h = OxmlElement("w:tblHeader")
    trpr.append(h)


def cell_text(
    c: _Cell,
    text: str | Sequence[Run],
    *,
    align: str | None = None,
    bold: bool = False,
    size: float | None = None,
) -> Paragraph:
    return para(c, text, align=align, bold=bold, size=size, reuse_first=True)


def fill_row(
    t: Table,
    row: int,
    texts: Sequence[str],
    *,
    bold: bool = False,
    align: Sequence[str | None] | None = None,
    size: float | None = None,
) -> None:
    for i, s in enumerate(texts):
        cell_text(t.rows[row].cells[i], s, bold=bold, size=size, align=align[i] if align else None)


def loop_table(
    where: Container,
    widths_cm: Sequence[float],
    heading: Sequence[str] | None,
    loop: str,
    cells: Sequence[str],
    *,
    borders: bool = True,
    align: Sequence[str | None] | None = None,
    size: float | None = None,
    row_height_cm: float | None = None,
) -> Table:
    """A table whose body row repeats: ``{%tr for ... %}`` / row / ``{%tr endfor %}``."""
    n = (1 if heading else 0) + 3
    t = table(where, n, widths_cm, borders=borders)
    r = 0
    if heading:
        fill_row(t, 0, heading, bold=True, align=["center"] * len(heading), size=size)
        header_row(t)
        r = 1
    cell_text(t.rows[r].cells[0], f"{{%tr {loop} %}}")
    fill_row(t, r + 1, cells, align=align, size=size)
    if row_height_cm:
        trpr = t.rows[r + 1]._tr.get_or_add_trPr()
        h = OxmlElement("w:trHeight")
        h.set(qn("w:val"), str(int(row_height_cm * 567)))
        h.set(qn("w:hRule"), "atLeast")
        trpr.append(h)
    cell_text(t.rows[r + 2].cells[0], "{%tr endfor %}")
    return t


def label_value(
    where: Container,
    label: str,
    value: str,
    *,
    indent_cm: float = 0.0,
    label_cm: float = 2.4,
    after: float = 0,
) -> Paragraph:
    """``Label<tab>:<tab>value`` with a hanging indent, so a long value wraps under itself
    (the way these blocks are typed in Word; cheaper to lay out than a table)."""
    p = para(where, f"{label}\t:\t{value}", after=after)
    pf = p.paragraph_format
    colon = Cm(indent_cm + label_cm)
    value_at = Cm(indent_cm + label_cm + 0.5)
    pf.left_indent = value_at
    pf.first_line_indent = Cm(indent_cm) - value_at
    pf.tab_stops.add_tab_stop(colon)
    pf.tab_stops.add_tab_stop(value_at)
    return p


def detail_table(
    where: Container,
    rows: Sequence[tuple[str, str]],
    *,
    indent_cm: float = 1.0,
    label_cm: float = 3.5,
) -> None:
    """``label : value`` lines, e.g. ``Hari/Tanggal : Senin, 23 November 2026``."""
    for label, value in rows:
        label_value(where, label, value, indent_cm=indent_cm, label_cm=label_cm)


# --------------------------------------------------------------------------- common parts


def setup(doc: DocumentObject, s: Settings, *, landscape: bool = False) -> None:
    w, h = PAPER_MM[s.naskah.kertas]
    sec = doc.sections[0]
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        w, h = h, w
    sec.page_width = Cm(w / 10)
    sec.page_height = Cm(h / 10)
    sec.top_margin = Cm(1.5)
    sec.bottom_margin = Cm(2.0)
    sec.left_margin = Cm(2.5)
    sec.right_margin = Cm(2.0)
    sec.header_distance = Cm(1.0)
    sec.footer_distance = Cm(1.0)
    normal = doc.styles["Normal"]
    normal.font.name = s.naskah.font
    normal.font.size = Pt(s.naskah.font_size_pt)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), s.naskah.font)
    lang = OxmlElement("w:lang")  # Indonesian spelling and hyphenation
    lang.set(qn("w:val"), "id-ID")
    rpr.append(lang)
    pf = normal.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.line_spacing = 1.0
    tg = doc.styles["Table Grid"]
    tg.font.name = s.naskah.font
    page_numbers(sec)


def page_numbers(sec: Any) -> None:
    """``- 2 -`` centred at the top of every page but the first (Tata Naskah Dinas: a
    one-page letter carries no page number; the merged PDF batches keep this per document)."""
    sec.different_first_page_header_footer = True
    p = sec.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("- ")
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "2"
    r.append(t)
    fld.append(r)
    p._p.append(fld)
    p.add_run(" -")
    sec.first_page_header.paragraphs[0].text = ""


def kop(doc: DocumentObject, *, compact: bool = False) -> None:
    """Letterhead: the regional emblem (lambang) on the left, government, agency, address,
    contacts, rule line. The emblem is a neutral placeholder here; the engine swaps in the
    image set in ``DIKLAT_INSTANSI__LAMBANG`` when it loads the template."""
    if compact:  # certificates: emblem centred above the names
        p = para(doc, "", align="center")
        p.add_run().add_picture(io.BytesIO(LAMBANG_PLACEHOLDER), width=Cm(1.5))
        para(doc, "{{ kop.pemerintah }}", bold=True, size=14, align="center")
        para(doc, "{{ kop.nama }}", bold=True, size=13, align="center")
        return
    t = table(doc, 1, [2.6, 13.9])
    c0, c1 = t.rows[0].cells
    c0.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p0 = c0.paragraphs[0]
    p0.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p0.add_run().add_picture(io.BytesIO(LAMBANG_PLACEHOLDER), width=Cm(1.9))
    cell_text(c1, "{{ kop.pemerintah }}", bold=True, size=14, align="center")
    para(c1, "{{ kop.nama }}", bold=True, size=13, align="center")
    para(c1, "{{ kop.alamat }}", size=10, align="center")
    para(
        c1,
        "Telepon {{ kop.telepon }}, Pos-el {{ kop.email }}, Laman {{ kop.website }}",
        size=10,
        align="center",
    )
    p = para(doc, "", size=2, after=2)
    bottom_rule(p)
    para(doc, "", size=8)


def tempat_tanggal(doc: DocumentObject, *, before: float = 0, keep_next: bool = False) -> None:
    para(
        doc, "{{ kop.kota }}, {{ tanggal }}", indent=TTD_INDENT, before=before, keep_next=keep_next
    )


def dikeluarkan(doc: DocumentObject, label: str) -> None:
    """``Ditetapkan di : Tenggarong`` / ``pada tanggal : 2 November 2026`` in the right-hand
    column of a decree or an assignment letter: paragraphs kept with the signature block below
    them (a table row would let the block slip to the next page without them)."""
    for k, (lab, value) in enumerate(
        ((label, "{{ kop.kota }}"), ("pada tanggal", "{{ tanggal }}"))
    ):
        p = label_value(doc, lab, value, indent_cm=TTD_INDENT.cm, label_cm=3.3, after=0 if k else 0)
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.keep_together = True


def kepala_surat(doc: DocumentObject) -> None:
    """Nomor / Sifat / Lampiran / Hal, then the addressee (``Yth.``)."""
    for label, value in (
        ("Nomor", "{{ nomor }}"),
        ("Sifat", "{{ sifat }}"),
        ("Lampiran", "{{ lampiran }}"),
        ("Hal", "{{ hal }}"),
    ):
        label_value(doc, label, value)
    para(doc, "", size=7)
    para(doc, "Yth. {{ tujuan }}")
    para(doc, "di")
    para(doc, "{{ tujuan_tempat }}", indent=Cm(1.0))
    para(doc, "", size=7)


def isi(doc: DocumentObject, text: str | Sequence[Run], *, after: float = 6) -> Paragraph:
    """A body paragraph: justified, first line indented."""
    return para(doc, text, align="justify", first_line=Cm(1.25), after=after)


def penutup(doc: DocumentObject, text: str) -> None:
    """The closing paragraph: kept on the page of the signature block below it."""
    isi(doc, text).paragraph_format.keep_with_next = True


#: The marker the signature step looks for in the PDF to place the electronic-signature
#: visual (QR and "Ditandatangani secara elektronik oleh ..."); printed white and tiny.
TTE_ANCHOR = "#TTE#"
#: Height of the signature space (the stamp is drawn in it, above the name).
TTD_SPACE_PT = 60


def tanda_tangan(
    doc: DocumentObject,
    *,
    prefix: str = "ttd",
    before: float = 6,
    indent: Any = TTD_INDENT,
    anchor: bool = True,
    landscape: bool = False,
    with_tembusan: bool = False,
) -> None:
    """Signature block: optional ``a.n.`` line, jabatan (``Plt.``/``Plh.`` included), the
    signature space (with the electronic-signature anchor), name, rank, NIP, centred in the
    right-hand column. Every line keeps with the next, so the block is never split and never
    stands alone on a page (the paragraph before it keeps with it too)."""
    v = prefix
    TTD = indent  # noqa: N806
    # a long position breaks into balanced lines, never one word alone on the last
    col = round(TEXT_CM[landscape] - indent.cm, 2)
    tag(doc, f"{{%p if {v} %}}")
    tag(doc, f"{{%p if {v}.an %}}")
    para(
        doc,
        f"{{{{ {v}.an|seimbang({col}, ',') }}}},",
        align="center",
        indent=TTD,
        before=before,
        keep_next=True,
    )
    tag(doc, "{%p endif %}")
    para(
        doc,
        f"{{{{ {v}.jabatan|seimbang({col}, ',') }}}},",
        align="center",
        indent=TTD,
        keep_next=True,
    )
    # The anchor (tiny, white) sits right under the position; the electronic-signature box is
    # drawn from there down into the empty space above the name. An attachment's block
    # carries one too: the signer stamps every anchor (the first is the signature field), and
    # removes the marker text from the signed PDF.
    mark = para(
        doc,
        [(TTE_ANCHOR, {"size": 1, "color": "FFFFFF"})] if anchor else "",
        indent=TTD,
        align="center",
        keep_next=True,
    )
    mark.paragraph_format.line_spacing = Pt(2)
    mark.paragraph_format.line_spacing_rule = 4  # exactly
    space = para(doc, "", indent=TTD, keep_next=True)
    space.paragraph_format.line_spacing = Pt(TTD_SPACE_PT)
    space.paragraph_format.line_spacing_rule = 4  # exactly
    para(
        doc,
        f"{{{{ {v}.nama }}}}",
        bold=True,
        underline=True,
        align="center",
        indent=TTD,
        keep_next=True,
    )
    tag(doc, f"{{%p if {v}.pangkat %}}")
    para(doc, f"{{{{ {v}.pangkat }}}}", align="center", indent=TTD, keep_next=True)
    tag(doc, "{%p endif %}")
    if with_tembusan:
        # with a copy list below, the block keeps with it: never a page of the list alone
        tag(doc, "{%p if tembusan %}")
        para(doc, f"NIP. {{{{ {v}.nip }}}}", align="center", indent=TTD, keep_next=True)
        tag(doc, "{%p else %}")
    para(doc, f"NIP. {{{{ {v}.nip }}}}", align="center", indent=TTD)
    if with_tembusan:
        tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")


def tembusan(doc: DocumentObject) -> None:
    """The copy list, kept together (every item but the last keeps with the next)."""
    tag(doc, "{%p if tembusan %}")
    para(doc, "Tembusan:", size=11, before=12, keep_next=True)
    tag(doc, "{%p for t in tembusan %}")
    tag(doc, "{%p if not loop.last %}")
    para(doc, "{{ loop.index }}. {{ t }}", size=11, indent=Cm(0.5), hanging=Cm(0.5), keep_next=True)
    tag(doc, "{%p else %}")
    para(doc, "{{ loop.index }}. {{ t }}", size=11, indent=Cm(0.5), hanging=Cm(0.5))
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")


def judul(
    doc: DocumentObject,
    text: str,
    *,
    size: float = 12,
    underline: bool = False,
    before: float = 0,
    after: float = 0,
) -> None:
    para(
        doc,
        text,
        bold=True,
        underline=underline,
        size=size,
        align="center",
        before=before,
        after=after,
    )


def lampiran_kepala(doc: DocumentObject, label: str) -> None:
    """The attachment heading at the top right: which letter it belongs to."""
    t = table(doc, 4, [7.0, 2.2, 0.4, 6.9])
    fill_row(t, 0, ["", label, "", ""])
    t.rows[0].cells[1].merge(t.rows[0].cells[3])
    fill_row(t, 1, ["", "Nomor", ":", "{{ nomor }}"])
    fill_row(t, 2, ["", "Tanggal", ":", "{{ tanggal }}"])
    fill_row(t, 3, ["", "Hal", ":", "{{ hal }}"])
    para(doc, "", size=7)


def numbered_rows(
    where: Container,
    label: str,
    loop: str,
    item: str,
    *,
    marker: str = "{{ loop.index }}.",
    widths: Sequence[float] = (3.0, 0.5, 0.8, 12.2),
) -> Table:
    """``Label : 1. item`` rows (Menimbang, Mengingat, Dasar, Untuk ...): the label and colon
    only on the first row."""
    t = table(where, 3, list(widths))
    cell_text(t.rows[0].cells[0], f"{{%tr {loop} %}}")
    fill_row(
        t,
        1,
        [
            f"{{{{ '{label}' if loop.first else '' }}}}",
            "{{ ':' if loop.first else '' }}",
            marker,
            item,
        ],
        align=[None, None, None, "justify"],
    )
    cell_text(t.rows[2].cells[0], "{%tr endfor %}")
    return t


# --------------------------------------------------------------------------- the documents


def surat_permohonan_narasumber(doc: DocumentObject) -> None:
    kop(doc)
    tempat_tanggal(doc)
    para(doc, "", size=7)
    kepala_surat(doc)
    isi(
        doc,
        "Dalam rangka pelaksanaan {{ kegiatan.nama }} yang diselenggarakan oleh "
        "{{ kegiatan.penyelenggara }}, dengan hormat kami mohon kesediaan {{ tujuan }} untuk "
        "menugaskan narasumber yang akan menyampaikan materi:",
        after=2,
    )
    tag(doc, "{%p for m in materi %}")
    para(doc, "{{ loop.index }}. {{ m }}", indent=Cm(1.85), hanging=Cm(0.6))
    tag(doc, "{%p endfor %}")
    para(doc, "pada kegiatan yang akan dilaksanakan pada:", align="justify", before=4, after=2)
    detail_table(
        doc,
        [
            ("Hari/Tanggal", "{{ jadwal.hari_tanggal }}"),
            ("Waktu", "{{ jadwal.waktu }}"),
            ("Tempat", "{{ jadwal.tempat }}"),
        ],
    )
    para(doc, "", size=7)
    isi(
        doc,
        "Nama narasumber, konfirmasi kesediaan dan bahan paparan kami mohon dapat "
        "disampaikan kepada panitia paling lambat {{ batas_konfirmasi }} melalui pos-el "
        "{{ kop.email }}.",
    )
    penutup(
        doc,
        "Demikian permohonan ini kami sampaikan. Atas perhatian dan kerja sama "
        "Bapak/Ibu, kami ucapkan terima kasih.",
    )
    tanda_tangan(doc, with_tembusan=True)
    tembusan(doc)


def surat_pemberitahuan(doc: DocumentObject) -> None:
    kop(doc)
    tempat_tanggal(doc)
    para(doc, "", size=7)
    kepala_surat(doc)
    isi(
        doc,
        "Dalam rangka peningkatan kapasitas dan kinerja Aparatur Sipil Negara, "
        "{{ kegiatan.penyelenggara }} akan menyelenggarakan {{ kegiatan.nama }} pada:",
    )
    detail_table(
        doc,
        [
            ("Hari/Tanggal", "{{ kegiatan.hari_tanggal }}"),
            ("Tempat", "{{ kegiatan.tempat }}"),
            ("Durasi", "{{ kegiatan.jp_teks }}"),
        ],
    )
    para(doc, "", size=7)
    tag(doc, "{%p if peserta %}")
    isi(
        doc,
        "Sehubungan dengan hal tersebut, kami beritahukan bahwa {{ jumlah_peserta }} "
        "pegawai di lingkungan {{ opd.nama }} sebagaimana tercantum dalam lampiran "
        "surat ini ditetapkan sebagai calon peserta. Kami mohon bantuan Saudara untuk "
        "menugaskan pegawai dimaksud dan menyampaikan konfirmasi kehadiran paling lambat "
        "{{ batas_konfirmasi }}.",
    )
    tag(doc, "{%p else %}")
    isi(
        doc,
        "Sehubungan dengan hal tersebut, kami mohon Saudara mengusulkan pegawai di "
        "lingkungan {{ opd.nama }} yang memenuhi persyaratan berikut sebagai calon "
        "peserta, paling lambat {{ batas_konfirmasi }}:",
        after=2,
    )
    tag(doc, "{%p for r in persyaratan %}")
    para(doc, "{{ loop.index }}. {{ r }}", indent=Cm(1.85), hanging=Cm(0.6))
    tag(doc, "{%p endfor %}")
    para(doc, "", size=6)
    tag(doc, "{%p endif %}")
    penutup(doc, "Demikian disampaikan, atas perhatian dan kerja samanya diucapkan terima kasih.")
    tanda_tangan(doc, with_tembusan=True)
    tembusan(doc)
    tag(doc, "{%p if peserta %}")
    page_break(doc)
    lampiran_kepala(doc, "Lampiran Surat {{ ttd.sebutan }}")
    judul(doc, "DAFTAR CALON PESERTA")
    judul(doc, "{{ kegiatan.nama|upper }}", after=8)
    loop_table(
        doc,
        [1.2, 4.6, 4.8, 1.6, 4.3],
        ["No.", "Nama", "NIP", "Gol.", "Jabatan"],
        "for p in peserta",
        ["{{ loop.index }}", "{{ p.nama }}", "{{ p.nip }}", "{{ p.golongan }}", "{{ p.jabatan }}"],
        align=["center", None, None, "center", None],
        size=11,
    )
    tanda_tangan(doc, before=18)
    tag(doc, "{%p endif %}")


def sk_panitia(doc: DocumentObject) -> None:
    kop(doc)
    judul(doc, "KEPUTUSAN {{ penetap|upper }}")
    judul(doc, "NOMOR {{ nomor }}", before=6)
    judul(doc, "TENTANG", before=6)
    judul(doc, "{{ tentang|upper }}", after=12)
    judul(doc, "{{ penetap|upper }},", after=12)
    numbered_rows(
        doc,
        "Menimbang",
        "for m in menimbang",
        "{{ m }}",
        marker="{{ 'abcdefghijklmnopqrstuvwxyz'[loop.index0] }}.",
    )
    para(doc, "", size=6)
    numbered_rows(doc, "Mengingat", "for m in mengingat", "{{ m }}")
    judul(doc, "MEMUTUSKAN:", before=12, after=6)
    t = table(doc, 1, [3.0, 0.5, 13.0])
    fill_row(
        t,
        0,
        ["Menetapkan", ":", "KEPUTUSAN {{ penetap|upper }} TENTANG {{ tentang|upper }}."],
        align=[None, None, "justify"],
    )
    t2 = table(doc, 3, [3.0, 0.5, 13.0])
    cell_text(t2.rows[0].cells[0], "{%tr for d in diktum %}")
    fill_row(t2, 1, ["{{ d.label }}", ":", "{{ d.isi }}"], align=[None, None, "justify"])
    cell_text(t2.rows[2].cells[0], "{%tr endfor %}")
    para(doc, "", size=7)
    dikeluarkan(doc, "Ditetapkan di")
    tanda_tangan(doc, with_tembusan=True)
    tembusan(doc)
    page_break(doc)
    t4 = table(doc, 4, [5.5, 2.6, 0.4, 8.0])
    fill_row(t4, 0, ["", "LAMPIRAN", "", ""])
    t4.rows[0].cells[1].merge(t4.rows[0].cells[3])
    cell_text(t4.rows[0].cells[1], "KEPUTUSAN {{ penetap|upper }}")
    fill_row(t4, 1, ["", "NOMOR", ":", "{{ nomor }}"])
    fill_row(t4, 2, ["", "TANGGAL", ":", "{{ tanggal }}"])
    fill_row(t4, 3, ["", "TENTANG", ":", "{{ tentang|upper }}"])
    para(doc, "", size=7)
    judul(doc, "SUSUNAN PANITIA")
    judul(doc, "{{ kegiatan.nama|upper }}", after=8)
    loop_table(
        doc,
        [1.2, 6.0, 5.0, 4.3],
        ["No.", "Nama / NIP", "Jabatan", "Kedudukan dalam Panitia"],
        "for p in panitia",
        [
            "{{ loop.index }}",
            "{{ p.nama }}\nNIP. {{ p.nip }}",
            "{{ p.jabatan }}",
            "{{ p.kedudukan }}",
        ],
        align=["center", None, None, None],
        size=11,
    )
    tanda_tangan(doc, before=18)


def surat_panggilan(doc: DocumentObject) -> None:
    kop(doc)
    tempat_tanggal(doc)
    para(doc, "", size=7)
    kepala_surat(doc)
    isi(doc, "Berdasarkan {{ dasar }}, dengan ini kami memanggil Saudara:")
    detail_table(
        doc,
        [
            ("Nama", "{{ peserta.nama }}"),
            ("NIP", "{{ peserta.nip }}"),
            ("Pangkat/Gol.", "{{ peserta.pangkat }}"),
            ("Jabatan", "{{ peserta.jabatan }}"),
            ("Unit Kerja", "{{ peserta.unit }}"),
        ],
    )
    para(doc, "", size=7)
    para(
        doc,
        "untuk mengikuti {{ kegiatan.nama }} sebagai peserta, yang akan dilaksanakan pada:",
        align="justify",
        after=6,
    )
    detail_table(
        doc,
        [
            ("Hari/Tanggal", "{{ kegiatan.hari_tanggal }}"),
            ("Waktu", "{{ kegiatan.waktu }}"),
            ("Tempat", "{{ kegiatan.tempat }}"),
        ],
    )
    para(doc, "", size=7)
    isi(
        doc,
        "Peserta diharapkan hadir 30 (tiga puluh) menit sebelum acara dimulai, "
        "mengenakan {{ pakaian }}, dan membawa surat tugas dari pimpinan unit kerja.",
    )
    penutup(doc, "Demikian disampaikan untuk dilaksanakan dengan penuh tanggung jawab.")
    tanda_tangan(doc, with_tembusan=True)
    tembusan(doc)


def undangan_pembukaan(doc: DocumentObject) -> None:
    kop(doc)
    tempat_tanggal(doc)
    para(doc, "", size=7)
    kepala_surat(doc)
    isi(
        doc,
        "Dengan hormat, dalam rangka pembukaan {{ kegiatan.nama }} yang "
        "diselenggarakan oleh {{ kegiatan.penyelenggara }}, kami mengharapkan kehadiran "
        "Bapak/Ibu pada:",
    )
    detail_table(
        doc,
        [
            ("Hari/Tanggal", "{{ acara.hari_tanggal }}"),
            ("Pukul", "{{ acara.pukul }}"),
            ("Tempat", "{{ acara.tempat }}"),
            ("Acara", "{{ acara.acara }}"),
        ],
    )
    para(doc, "", size=7)
    penutup(
        doc,
        "Mengingat pentingnya acara tersebut, kami mengharapkan kehadiran Bapak/Ibu "
        "tepat pada waktunya. Demikian undangan ini disampaikan, atas perhatian dan "
        "kehadirannya diucapkan terima kasih.",
    )
    tanda_tangan(doc, with_tembusan=True)
    tembusan(doc)
    tag(doc, "{%p if undangan %}")
    page_break(doc)
    lampiran_kepala(doc, "Lampiran Undangan {{ ttd.sebutan }}")
    judul(doc, "DAFTAR UNDANGAN")
    judul(doc, "PEMBUKAAN {{ kegiatan.nama|upper }}", after=8)
    loop_table(
        doc,
        [1.2, 15.3],
        ["No.", "Pejabat yang Diundang"],
        "for u in undangan",
        ["{{ loop.index }}", "{{ u }}"],
        align=["center", None],
        size=11,
    )
    tag(doc, "{%p endif %}")


def surat_tugas(doc: DocumentObject) -> None:
    kop(doc)
    judul(doc, "SURAT TUGAS", underline=True, size=13)
    judul(doc, "NOMOR {{ nomor }}", after=12)
    numbered_rows(doc, "Dasar", "for d in dasar", "{{ d }}")
    judul(doc, "MEMERINTAHKAN:", before=12, after=12)
    t = table(doc, 5, [3.0, 0.5, 0.8, 3.2, 9.0])
    cell_text(t.rows[0].cells[0], "{%tr for p in pegawai %}")
    fill_row(
        t,
        1,
        [
            "{{ 'Kepada' if loop.first else '' }}",
            "{{ ':' if loop.first else '' }}",
            "{{ loop.index }}.",
            "Nama",
            ": {{ p.nama }}",
        ],
    )
    fill_row(t, 2, ["", "", "", "NIP", ": {{ p.nip }}"])
    fill_row(t, 3, ["", "", "", "Pangkat/Gol.", ": {{ p.pangkat }}"])
    fill_row(
        t,
        4,
        [
            "",
            "",
            "",
            "Jabatan",
            ": {{ p.jabatan }}{{ ' pada ' ~ p.unit if p.unit and p.unit != '-' else '' }}",
        ],
    )
    # the endfor row goes after the four rows of one person
    end = t.add_row()
    no_split(end._tr)
    cell_text(end.cells[0], "{%tr endfor %}")
    para(doc, "", size=6)
    numbered_rows(doc, "Untuk", "for u in untuk", "{{ u }}")
    para(doc, "", size=7)
    penutup(doc, "Demikian surat tugas ini dibuat untuk dilaksanakan dengan penuh tanggung jawab.")
    dikeluarkan(doc, "Dikeluarkan di")
    tanda_tangan(doc, with_tembusan=True)
    tembusan(doc)


def sertifikat(doc: DocumentObject) -> None:
    kop(doc, compact=True)
    judul(doc, "SERTIFIKAT", size=30, before=4)
    judul(doc, "SURAT TANDA TAMAT PELATIHAN (STTP)", size=14)
    judul(doc, "Nomor: {{ nomor }}", size=12, before=2, after=8)
    para(doc, "diberikan kepada:", align="center", after=4)
    judul(doc, "{{ peserta.nama }}", size=22)
    para(doc, "NIP. {{ peserta.nip }}", align="center", before=2)
    tag(doc, "{%p if peserta.pangkat and peserta.pangkat != '-' %}")
    para(doc, "Pangkat/Golongan {{ peserta.pangkat }}", align="center")
    tag(doc, "{%p endif %}")
    para(doc, "{{ peserta.jabatan }} pada {{ peserta.unit }}", align="center", after=8)
    para(doc, "telah mengikuti", align="center", after=2)
    judul(doc, "{{ kegiatan.nama }}", size=16, after=4)
    p = para(
        doc,
        "yang diselenggarakan oleh {{ kegiatan.penyelenggara }} pada tanggal "
        "{{ kegiatan.tanggal }} di {{ kegiatan.tempat }} selama "
        "{{ kegiatan.jp_teks }} dengan predikat {{ predikat }}.",
        align="center",
        indent=Cm(2.0),
    )
    p.paragraph_format.right_indent = Cm(2.0)
    para(
        doc,
        "{{ kop.kota }}, {{ tanggal }}",
        align="center",
        indent=Cm(13.0),
        before=8,
        keep_next=True,
    )
    tanda_tangan(doc, before=0, indent=Cm(13.0), landscape=True)


def laporan_kegiatan(doc: DocumentObject) -> None:
    kop(doc)
    judul(doc, "LAPORAN HASIL KEGIATAN")
    judul(doc, "{{ kegiatan.nama|upper }}")
    judul(doc, "NOMOR {{ nomor }}", after=12)
    t0 = table(doc, 1, [3.0, 0.5, 13.0])
    fill_row(t0, 0, ["Kepada Yth.", ":", "{{ tujuan }}"])
    para(doc, "", size=7)

    def bagian(huruf: str, judul_bagian: str) -> None:
        para(doc, f"{huruf}. {judul_bagian}", bold=True, before=6, keep_next=True)

    bagian("A", "Dasar")
    tag(doc, "{%p for d in dasar %}")
    para(doc, "{{ loop.index }}. {{ d }}", align="justify", indent=Cm(1.1), hanging=Cm(0.6))
    tag(doc, "{%p endfor %}")
    bagian("B", "Maksud dan Tujuan")
    para(doc, "{{ tujuan_kegiatan }}", align="justify", indent=Cm(0.5))
    bagian("C", "Waktu dan Tempat")
    detail_table(
        doc,
        [
            ("Tanggal", "{{ kegiatan.tanggal }}"),
            ("Tempat", "{{ kegiatan.tempat }}"),
            ("Durasi", "{{ kegiatan.jp_teks }}"),
        ],
        indent_cm=0.5,
    )
    bagian("D", "Peserta")
    para(
        doc,
        "Peserta yang dipanggil {{ rekap.dipanggil }}, hadir {{ rekap.hadir }}, "
        "dinyatakan lulus {{ rekap.lulus }}.",
        align="justify",
        indent=Cm(0.5),
    )
    bagian("E", "Narasumber")
    tag(doc, "{%p for n in narasumber %}")
    para(
        doc,
        "{{ loop.index }}. {{ n.nama }}{{ ' (' ~ n.jabatan ~ ')' if n.jabatan else '' }}"
        "{{ ': ' ~ n.materi if n.materi else '' }}",
        align="justify",
        indent=Cm(1.1),
        hanging=Cm(0.6),
    )
    tag(doc, "{%p endfor %}")
    bagian("F", "Hasil Kegiatan")
    tag(doc, "{%p for h in hasil %}")
    para(doc, "{{ loop.index }}. {{ h }}", align="justify", indent=Cm(1.1), hanging=Cm(0.6))
    tag(doc, "{%p endfor %}")
    bagian("G", "Kendala dan Saran")
    para(doc, "{{ saran }}", align="justify", indent=Cm(0.5))
    bagian("H", "Penutup")
    # the closing, the date line and the signature block stay on one page
    para(
        doc,
        "Demikian laporan ini disampaikan sebagai bahan evaluasi dan pertanggungjawaban "
        "pelaksanaan kegiatan.",
        align="justify",
        indent=Cm(0.5),
        after=6,
        keep_next=True,
        keep_lines=True,
    )
    tempat_tanggal(doc, before=6, keep_next=True)
    tanda_tangan(doc, with_tembusan=True)
    tembusan(doc)


def tanda_terima(doc: DocumentObject) -> None:
    kop(doc)
    judul(doc, "TANDA TERIMA", underline=True, size=13, after=12)
    tag(doc, "{%p if nomor %}")
    judul(doc, "Nomor: {{ nomor }}", after=12)
    tag(doc, "{%p endif %}")
    isi(doc, "Telah diterima dari {{ penyerah.nama }} ({{ penyerah.jabatan }}) berupa:", after=6)
    loop_table(
        doc,
        [1.2, 7.8, 2.0, 2.5, 3.0],
        ["No.", "Uraian", "Jumlah", "Satuan", "Keterangan"],
        "for b in barang",
        [
            "{{ loop.index }}",
            "{{ b.uraian }}",
            "{{ b.jumlah }}",
            "{{ b.satuan }}",
            "{{ b.keterangan }}",
        ],
        align=["center", None, "center", "center", None],
    )
    para(doc, "", size=7)
    isi(doc, "untuk keperluan {{ keperluan }}.")
    tempat_tanggal(doc, before=6)
    t = table(doc, 8, [8.25, 8.25])
    fill_row(t, 0, ["Yang Menyerahkan,", "Yang Menerima,"], align=["center", "center"])
    fill_row(t, 1, ["{{ penyerah.jabatan }}", "{{ penerima.jabatan }}"], align=["center", "center"])
    for r in (2, 3, 4):
        fill_row(t, r, ["", ""])
    for col, who in ((0, "penyerah"), (1, "penerima")):
        cell_text(
            t.rows[5].cells[col],
            [(f"{{{{ {who}.nama }}}}", {"bold": True, "underline": True})],
            align="center",
        )
        cell_text(t.rows[6].cells[col], f"NIP. {{{{ {who}.nip }}}}", align="center")
    t._tbl.remove(t.rows[7]._tr)


def daftar_hadir(doc: DocumentObject) -> None:
    kop(doc)
    judul(doc, "DAFTAR HADIR PESERTA")
    judul(doc, "{{ kegiatan.nama|upper }}", after=8)
    detail_table(
        doc,
        [
            ("Hari/Tanggal", "{{ hari_tanggal }}"),
            ("Tempat", "{{ kegiatan.tempat }}"),
            ("Sesi", "{{ sesi }}"),
        ],
        indent_cm=0.0,
    )
    para(doc, "", size=7)
    loop_table(
        doc,
        [1.2, 6.0, 5.3, 4.0],
        ["No.", "Nama / NIP", "Jabatan / Unit Kerja", "Tanda Tangan"],
        "for p in peserta",
        [
            "{{ loop.index }}",
            "{{ p.nama }}\nNIP. {{ p.nip }}",
            "{{ p.jabatan }}\n{{ p.unit }}",
            "{{ loop.index }}. ...............",
        ],
        align=["center", None, None, None],
        size=11,
        row_height_cm=1.4,
    )
    # the closing: place and the session's date, the committee's chair, name and NIP, on one
    # page with the last rows
    para(
        doc,
        "{{ kop.kota }}, {{ tanggal_sesi }}",
        indent=TTD_INDENT,
        align="center",
        before=12,
        keep_next=True,
    )
    para(doc, "{{ ketua.jabatan }},", indent=TTD_INDENT, align="center", keep_next=True)
    space = para(doc, "", indent=TTD_INDENT, keep_next=True)
    space.paragraph_format.line_spacing = Pt(48)
    space.paragraph_format.line_spacing_rule = 4  # exactly
    para(
        doc,
        "{{ ketua.nama }}",
        bold=True,
        underline=True,
        align="center",
        indent=TTD_INDENT,
        keep_next=True,
    )
    para(doc, "NIP. {{ ketua.nip }}", align="center", indent=TTD_INDENT)


BUILDERS: dict[str, Callable[[DocumentObject], None]] = {
    "surat_permohonan_narasumber": surat_permohonan_narasumber,
    "surat_pemberitahuan": surat_pemberitahuan,
    "sk_panitia": sk_panitia,
    "surat_panggilan": surat_panggilan,
    "undangan_pembukaan": undangan_pembukaan,
    "surat_tugas": surat_tugas,
    "sertifikat": sertifikat,
    "laporan_kegiatan": laporan_kegiatan,
    "tanda_terima": tanda_terima,
    "daftar_hadir": daftar_hadir,
}
LANDSCAPE = {"sertifikat"}


def _split_newlines(doc: DocumentObject) -> None:
    """``\\n`` in builder text means a line break inside the cell/paragraph."""
    body = doc.element.body
    for t in body.iter(qn("w:t")):
        if t.text and "\n" in t.text:
            parts = t.text.split("\n")
            r = t.getparent()
            t.text = parts[0]
            anchor = t
            for part in parts[1:]:
                br = OxmlElement("w:br")
                anchor.addnext(br)
                nt = OxmlElement("w:t")
                nt.set(qn("xml:space"), "preserve")
                nt.text = part
                br.addnext(nt)
                anchor = nt
            assert r is not None


def build(jenis: str, settings: Settings | None = None) -> DocumentObject:
    s = settings or get_settings()
    doc = Document()
    setup(doc, s, landscape=jenis in LANDSCAPE)
    # python-docx's blank document starts with no paragraphs; builders add them.
    BUILDERS[jenis](doc)
    _split_newlines(doc)
    doc.core_properties.title = jenis.replace("_", " ").title()
    doc.core_properties.author = s.instansi.singkatan
    # (no Jinja braces here: docxtpl renders the core properties as templates too)
    doc.core_properties.comments = (
        "Templat diklat-flows. Tag Jinja di antara kurung kurawal "
        "jangan diubah; teks lain boleh diubah."
    )
    return doc


def build_all(
    out_dir: Path,
    *,
    force: bool = False,
    only: Sequence[str] | None = None,
    settings: Settings | None = None,
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for jenis in only or JENIS:
        target = out_dir / f"{jenis}.docx"
        if target.exists() and not force:
            continue
        build(jenis, settings).save(str(target))
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="folder (default: settings)")
    ap.add_argument("--force", action="store_true", help="overwrite existing templates")
    ap.add_argument("jenis", nargs="*", help="only these document types")
    a = ap.parse_args(argv)
    out = a.out or get_settings().templates_dir
    for p in build_all(out, force=a.force, only=a.jenis or None):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
