"""The visible part of an electronic signature: finding the anchor, placing the box, drawing it.

* :func:`find_anchor` finds the signature anchor: in a letter of our conversion, the named
  destinations it left where it took out the marker text (``#TTE#``, tiny and white in the
  templates' signature block), read without any page text; in any other PDF, the marker text
  with pypdf's text extraction and a visitor (then removed from the signed text layer). It
  gives the page and position;
  :func:`place_box` turns a :class:`~connectors.tte.model.Placement` into a rectangle (on the
  anchor, else the configured fallback on the last page), clamped to the page.
* :class:`TteStampStyle` / :class:`TteStamp` draw the box with pyHanko's stamp API: a white
  background (it hides the marker), a QR code to the verification URL, and the lines
  "Ditandatangani secara elektronik oleh:", position, name (bold), rank and ``NIP. 19780502
  200502 1 003``, the font size shrunk until everything fits. The same stamp is the appearance of
  a visible signature field (local signer) or is drawn into the page content before an
  invisible signature (BSrE signer, :func:`stamp_pdf`), so both look the same.
* :func:`add_footer` prints the optional footer line at the bottom of the stamped page (the BSrE
  sentence, for BSrE-signed letters only).

Fonts are the PDF standard Helvetica and Helvetica-Bold (WinAnsi; characters outside it print as
``?``), measured with their standard metrics, so nothing needs a font file or a font shaper.
"""

from __future__ import annotations

import functools
import io
import logging
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.writer import BasePdfFileWriter, init_xobject_dictionary
from pyhanko.stamp import BaseStamp, BaseStampStyle

from connectors.tte.model import (
    MARKER,
    AnchorNotFound,
    Appearance,
    InvalidPdf,
    Placement,
    SignerIdentity,
)

log = logging.getLogger("diklat.connectors.tte")

# Standard widths (1/1000 em) of Helvetica and Helvetica-Bold for ASCII 32..126.
_HELV = [
    278,
    278,
    355,
    556,
    556,
    889,
    667,
    191,
    333,
    333,
    389,
    584,
    278,
    333,
    278,
    278,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    278,
    278,
    584,
    584,
    584,
    556,
    1015,
    667,
    667,
    722,
    722,
    667,
    611,
    778,
    722,
    278,
    500,
    667,
    556,
    833,
    722,
    778,
    667,
    778,
    722,
    667,
    611,
    722,
    667,
    944,
    667,
    667,
    611,
    278,
    278,
    278,
    469,
    556,
    333,
    556,
    556,
    500,
    556,
    556,
    278,
    556,
    556,
    222,
    222,
    500,
    222,
    833,
    556,
    556,
    556,
    556,
    333,
    500,
    278,
    556,
    500,
    722,
    500,
    500,
    500,
    334,
    260,
    334,
    584,
]
_HELV_BOLD = [
    278,
    333,
    474,
    556,
    556,
    889,
    722,
    238,
    333,
    333,
    389,
    584,
    278,
    333,
    278,
    278,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    333,
    333,
    584,
    584,
    584,
    611,
    975,
    722,
    722,
    722,
    722,
    667,
    611,
    778,
    722,
    278,
    556,
    722,
    611,
    833,
    722,
    778,
    667,
    778,
    722,
    667,
    611,
    722,
    667,
    944,
    667,
    667,
    611,
    333,
    278,
    333,
    584,
    556,
    333,
    556,
    611,
    556,
    611,
    556,
    333,
    611,
    611,
    278,
    278,
    556,
    278,
    889,
    611,
    611,
    611,
    611,
    389,
    556,
    333,
    611,
    556,
    778,
    556,
    556,
    500,
    389,
    280,
    389,
    584,
]
_FONTS = {
    "/TteF1": ("Helvetica", _HELV),
    "/TteF2": ("Helvetica-Bold", _HELV_BOLD),
    "/TteF3": ("Helvetica-Oblique", _HELV),
}
MAX_FONT = 8.0
MIN_FONT = 4.5


def text_width(text: str, size: float, font: str = "/TteF1") -> float:
    widths = _FONTS[font][1]
    total = 0
    for ch in text:
        o = ord(ch)
        total += widths[o - 32] if 32 <= o <= 126 else 556
    return total * size / 1000.0


def wrap(text: str, size: float, width: float, font: str = "/TteF1") -> list[str]:
    """Greedy word wrap; a single word longer than the line is cut by characters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, font) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while text_width(word, size, font) > width and len(word) > 1:
            cut = len(word)
            while cut > 1 and text_width(word[:cut], size, font) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]


def _pdf_text(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _font_dict(base: str) -> generic.DictionaryObject:
    return generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/" + base),
            pdf_name("/Encoding"): pdf_name("/WinAnsiEncoding"),
        }
    )


# --------------------------------------------------------------------------- anchor


class Anchor(NamedTuple):
    page_index: int
    x: float
    y: float


def _reader(pdf: bytes) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not pdf.lstrip()[:5].startswith(b"%PDF"):
        raise InvalidPdf("berkas bukan PDF")
    try:
        return PdfReader(io.BytesIO(pdf))
    except (PdfReadError, ValueError, KeyError) as e:
        raise InvalidPdf(f"PDF tidak dapat dibaca: {e.__class__.__name__}") from None


class _Chunk(NamedTuple):
    text: str
    x: float
    y: float
    op: int  # index of the content operator at which pypdf gave the text


class _Page(NamedTuple):
    chunks: tuple[_Chunk, ...]
    operators: int  # how many operators the text extraction went through
    ops: list[Any]  # the page content's operations, parsed once (for marker removal)


@functools.lru_cache(maxsize=16)
def _marker_pages(pdf: bytes, marker: str) -> frozenset[int] | None:
    """The pages whose text holds ``marker``, read with poppler's ``pdftotext`` (one C call
    for the whole file, pages split on form feeds): pypdf's positional scan then reads only
    those pages, not every page of a 30-page participant list. ``None`` (every page) without
    poppler or when it cannot read the file."""
    exe = shutil.which("pdftotext")
    if exe is None or not marker:
        return None
    try:
        done = subprocess.run(
            [exe, "-q", "-raw", "-enc", "UTF-8", "fd://0", "-"],
            input=pdf,
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    pages = done.stdout.decode("utf-8", "replace").split("\f")
    return frozenset(i for i, text in enumerate(pages) if marker in "".join(text.split()))


@functools.lru_cache(maxsize=16)
def _scan(pdf: bytes, only: frozenset[int] | None = None) -> tuple[_Page | None, ...]:
    """The text chunks of every page (or of the pages in ``only``) with their position and
    operator index, read once per PDF (anchor placement and marker removal both need them);
    None for an unreadable page or one not asked for."""
    from pypdf.generic import ContentStream, NameObject

    reader = _reader(pdf)
    pages: list[_Page | None] = []
    for index, page in enumerate(reader.pages):
        if only is not None and index not in only:
            pages.append(None)
            continue
        chunks: list[_Chunk] = []
        ops: list[int] = [0]
        parsed: list[Any] = []

        def before(_op: Any, _args: Any, _cm: Any, _tm: Any, ops: list[int] = ops) -> None:
            ops[0] += 1

        def visit(
            text: str,
            cm: list[float],
            tm: list[float],
            _font: Any,
            _size: Any,
            chunks: list[_Chunk] = chunks,
            ops: list[int] = ops,
        ) -> None:
            if not text:
                return
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            chunks.append(_Chunk(text, x, y, ops[0] - 1))

        try:
            if "/Contents" in page:
                # parsed once here (string operands as bytes, as the text extraction parses
                # them); the extraction reuses a parsed content stream it finds on the page
                cs = ContentStream(page["/Contents"].get_object(), reader, "bytes")
                parsed = list(cs.operations)
                page[NameObject("/Contents")] = cs
            page.extract_text(visitor_operand_before=before, visitor_text=visit)
        except Exception as e:  # a page pypdf cannot read stops the search on that page only
            log.debug("anchor search: page %d unreadable (%s)", index, e.__class__.__name__)
            pages.append(None)
            continue
        pages.append(_Page(tuple(chunks), ops[0], parsed))
    return tuple(pages)


def find_anchors(pdf: bytes, marker: str = "#TTE#", *, reader: Any = None) -> list[Anchor]:
    """Every signature anchor in the PDF, in page order: the page index and the position
    (points from the lower-left corner) where the marker's text starts. For the default
    marker, the named destinations our conversion leaves in place of the marker text answer
    (:func:`_tanda_anchors`); otherwise every occurrence of ``marker`` in the text."""
    if marker == MARKER:
        tanda = _tanda_anchors(reader if reader is not None else _reader(pdf))
        if tanda:
            return tanda
    return _text_anchors(pdf, marker)


def _text_anchors(pdf: bytes, marker: str) -> list[Anchor]:
    """Every occurrence of ``marker`` in the PDF's text (pypdf's positional scan of the pages
    poppler finds it on)."""
    found: list[Anchor] = []
    for index, scanned in enumerate(_scan(pdf, _marker_pages(pdf, marker))):
        if scanned is None:
            continue
        chunks = scanned.chunks
        joined = ""
        starts: list[int] = []
        for c in chunks:
            starts.append(len(joined))
            joined += c.text
        pos = joined.find(marker)
        while pos >= 0:
            k = max(i for i, s in enumerate(starts) if s <= pos)
            found.append(Anchor(index, round(chunks[k].x, 2), round(chunks[k].y, 2)))
            pos = joined.find(marker, pos + len(marker))
    return found


#: The named destinations our PDF conversion leaves where it took the template's marker text
#: out (:data:`connectors.pdf.ANCHOR_DEST`: ``DIKLATTANDA000``, ``DIKLATTANDA001``... in the
#: order of the letter; connectors do not import each other's internals). Such a letter has
#: no marker text to find or to remove.
TANDA_DEST = "DIKLATTANDA"
#: The older single destination at the first marker, whose text is still in the letter
#: (:data:`connectors.pdf.ANCHOR_DEST_TEKS`).
ANCHOR_DEST = "DIKLATTTE"
#: LibreOffice puts a bookmark's destination at the top of its line; the marker's baseline
#: (what the text search gives) is this much lower in the templates' marker paragraph (1 pt
#: text on an exact 2 pt line). Measured: 162.89 against 161.29, and the same left edge. An
#: emptied marker run's destination is at the same height.
DEST_BASELINE_DROP = 1.6


def _named(reader: Any) -> dict[str, Any]:
    try:
        return {str(k).lstrip("/"): v for k, v in reader.named_destinations.items()}
    except Exception:  # a damaged name tree: the text search decides
        return {}


def _dest_at(reader: Any, dest: Any) -> Anchor | None:
    try:
        if dest is None or dest.left is None or dest.top is None:
            return None
        page = reader.get_destination_page_number(dest)
    except Exception:
        return None
    if page is None or page < 0:
        return None
    return Anchor(page, round(float(dest.left), 2), round(float(dest.top) - DEST_BASELINE_DROP, 2))


def _tanda_anchors(reader: Any) -> list[Anchor]:
    """The anchors of a letter whose marker text the conversion replaced by destinations
    (:data:`TANDA_DEST` plus three digits), in their order; empty for any other PDF."""
    named = _named(reader)
    found = []
    for name in sorted(named):
        rest = name[len(TANDA_DEST) :]
        if name.startswith(TANDA_DEST) and len(rest) == 3 and rest.isdigit():
            anchor = _dest_at(reader, named[name])
            if anchor is not None:
                found.append(anchor)
    return found


def _dest_anchor(reader: Any) -> Anchor | None:
    """The first anchor from the named destinations, without reading text."""
    tanda = _tanda_anchors(reader)
    if tanda:
        return tanda[0]
    return _dest_at(reader, _named(reader).get(ANCHOR_DEST))


def find_anchor(
    pdf: bytes, marker: str = "#TTE#", *, last: bool = False, reader: Any = None
) -> Anchor | None:
    """The first (or ``last``) occurrence of ``marker``: ``(page_index, x, y)``; None if absent.
    For the default marker, the conversion's named destinations answer first."""
    if marker == MARKER and not last:
        anchor = _dest_anchor(reader if reader is not None else _reader(pdf))
        if anchor is not None:
            return anchor
    anchors = find_anchors(pdf, marker, reader=reader)
    if not anchors:
        return None
    return anchors[-1] if last else anchors[0]


class Box(NamedTuple):
    page_index: int
    x1: float
    y1: float
    x2: float
    y2: float
    anchored: bool

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1


def place_box(pdf: bytes, placement: Placement) -> Box:
    """The stamp's rectangle for ``placement`` (anchor, else fallback), inside the page."""
    return place_boxes(pdf, placement)[0]


def place_boxes(pdf: bytes, placement: Placement, *, reader: Any = None) -> list[Box]:
    """A stamp rectangle at every anchor (the letter's signature block and an attachment's),
    in page order; without an anchor the one fallback box."""
    reader = reader if reader is not None else _reader(pdf)
    anchors = find_anchors(pdf, placement.marker, reader=reader) if placement.marker else []
    if not anchors:
        return [_box(reader, placement, None)]
    return [_box(reader, placement, a) for a in anchors]


def _box(reader: Any, placement: Placement, anchor: Anchor | None) -> Box:
    n = len(reader.pages)
    if anchor is None:
        if placement.require_anchor:
            raise AnchorNotFound(f"penanda {placement.marker!r} tidak ditemukan di PDF")
        page = (
            placement.fallback_page if placement.fallback_page >= 0 else n + placement.fallback_page
        )
        page = min(max(page, 0), n - 1)
        x1, y1, x2, y2 = placement.fallback_box
        anchored = False
    else:
        page = anchor.page_index
        w, h = placement.width, placement.height
        x1 = anchor.x - w / 2 if placement.align == "center" else anchor.x
        top = anchor.y + placement.top_offset
        x1, y1 = x1 + placement.dx, top - h + placement.dy
        x2, y2 = x1 + w, y1 + h
        anchored = True
    box = reader.pages[page].mediabox
    left, bottom = float(box.left), float(box.bottom)
    right, top_ = float(box.right), float(box.top)
    w, h = x2 - x1, y2 - y1
    x1 = min(max(x1, left), right - w)
    y1 = min(max(y1, bottom), top_ - h)
    return Box(page, round(x1, 2), round(y1, 2), round(x1 + w, 2), round(y1 + h, 2), anchored)


# --------------------------------------------------------------------------- the stamp


@dataclass(frozen=True)
class TteStampStyle(BaseStampStyle):
    """pyHanko stamp style drawing our box (no pyHanko border: we draw our own)."""

    border_width: int = 0
    identity: SignerIdentity | None = None
    appearance: Appearance | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def create_stamp(
        self, writer: BasePdfFileWriter, box: BoxConstraints, text_params: dict[str, Any]
    ) -> TteStamp:
        return TteStamp(writer, self, box)


def stamp_lines(identity: SignerIdentity, appearance: Appearance) -> list[tuple[str, str]]:
    """The stamp's text as (font, line) before wrapping; empty parts are left out."""
    lines = [("/TteF1", f"{appearance.label} oleh:" if appearance.label else "")]
    if identity.jabatan:
        lines.append(("/TteF1", identity.jabatan.rstrip(",") + ","))
    lines.append(("/TteF2", identity.nama))
    if identity.pangkat:
        lines.append(("/TteF1", identity.pangkat))
    if identity.nip:
        lines.append(("/TteF1", f"NIP. {identity.nip_formatted}"))
    return [(f, t) for f, t in lines if t]


def layout_text(
    lines: list[tuple[str, str]], width: float, height: float
) -> tuple[float, list[tuple[str, str]]]:
    """The largest font size (MAX_FONT down to MIN_FONT) at which the wrapped lines fit."""
    size = MAX_FONT
    while True:
        wrapped = [(f, part) for f, t in lines for part in wrap(t, size, width, f)]
        if len(wrapped) * size * 1.2 <= height or size <= MIN_FONT:
            return size, wrapped
        size = round(size - 0.25, 2)


@functools.lru_cache(maxsize=8)
def _qr_stream(url: str) -> tuple[bytes, int]:
    """The QR code's drawing commands and size (one letter's stamps share them)."""
    import qrcode
    from pyhanko.pdf_utils.qr import PdfStreamQRImage

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    qr.add_data(url)
    qr.make(fit=True)
    img = qr.make_image(image_factory=PdfStreamQRImage)
    size = (qr.modules_count + 2 * qr.border) * qr.box_size
    # white quiet zone under the modules, so the code reads on any background
    return b"q 1 g 0 0 %d %d re f Q\n" % (size, size) + img.render_command_stream(), size


def _qr_xobject(writer: BasePdfFileWriter, url: str) -> tuple[generic.IndirectObject, int]:
    stream, size = _qr_stream(url)
    xobj = init_xobject_dictionary(stream, size, size)
    xobj.compress()
    return writer.add_object(xobj), size


class TteStamp(BaseStamp):
    """The box itself. Its ``box`` must have width and height (the signature field's size)."""

    style: TteStampStyle

    def _render_inner_content(self) -> list[bytes]:
        style = self.style
        identity, appearance = style.identity, style.appearance
        if identity is None or appearance is None:
            raise ValueError("TteStampStyle needs identity and appearance")
        w, h = float(self.box.width), float(self.box.height)
        pad = 3.0
        for name, (base, _w) in _FONTS.items():
            self.set_resource(ResourceType.FONT, pdf_name(name), _font_dict(base))
        cmds = [
            b"q 1 g 0 0 %g %g re f Q" % (w, h),  # opaque white: hides the marker
            b"q 0.35 G 0.6 w 0.3 0.3 %g %g re S Q" % (w - 0.6, h - 0.6),
        ]
        qr_size = min(h - 2 * pad, w * 0.4)
        text_x = pad
        if appearance.verify_url:
            ref, natural = _qr_xobject(self._ensure_writer, appearance.verify_url)
            self.set_resource(ResourceType.XOBJECT, pdf_name("/TteQR"), ref)
            s = qr_size / natural
            cmds.append(b"q %g 0 0 %g %g %g cm /TteQR Do Q" % (s, s, pad, (h - qr_size) / 2))
            text_x = pad + qr_size + 4
        text_w = w - text_x - pad
        size, wrapped = layout_text(stamp_lines(identity, appearance), text_w, h - 2 * pad)
        leading = size * 1.2
        block = leading * len(wrapped)
        y = (h + block) / 2 - size  # first baseline: the block centred vertically
        cmds.append(b"q 0 g BT")
        for font, line in wrapped:
            cmds.append(
                b"%s %g Tf 1 0 0 1 %g %g Tm %s Tj"
                % (font.encode(), size, text_x, y, _pdf_text(line))
            )
            y -= leading
        cmds.append(b"ET Q")
        return cmds


def page_count(writer: BasePdfFileWriter) -> int:
    return int(writer.root["/Pages"]["/Count"])


def add_footers(writer: BasePdfFileWriter, text: str) -> None:
    """The footer line on every page of the document (BSrE-signed letters carry it on every
    page; the local CA's honest line likewise)."""
    if text.strip():
        for index in range(page_count(writer)):
            add_footer(writer, index, text)


def strip_marker(
    writer: BasePdfFileWriter, pdf: bytes, marker: str, pages: set[int] | None = None
) -> int:
    """Remove the anchor's text from the page content, so the signed PDF's text layer does not
    carry it (the stamp covers it visually; a text extractor would still read it). Only a text
    object (``BT ... ET``) whose whole text is the marker is removed; the rewritten content
    replaces the page's content in ``writer``'s revision (signed with it). Returns how many
    markers were removed."""
    from pypdf.generic import ContentStream

    scan = _scan(pdf, _marker_pages(pdf, marker))
    reader: Any = None
    removed = 0
    for index, scanned in enumerate(scan):
        if scanned is None or (pages is not None and index not in pages):
            continue
        chunks = scanned.chunks
        hits = [c for c in chunks if c.text.strip() == marker]
        if not hits:
            continue
        ops = scanned.ops
        if len(ops) != scanned.operators:  # e.g. form XObjects: indexes would not match
            continue
        drop: set[int] = set()
        for c in hits:
            if not 0 <= c.op < len(ops):
                continue
            start = max((i for i in range(c.op + 1) if ops[i][1] == b"BT"), default=None)
            end = next((i for i in range(c.op, len(ops)) if ops[i][1] == b"ET"), None)
            if start is None or end is None:
                continue
            if sum(1 for k in chunks if start <= k.op <= end and k.text.strip()) != 1:
                continue  # the marker shares its text object with other text: leave it
            drop.update(range(start, end + 1))
            removed += 1
        if not drop:
            continue
        reader = reader or _reader(pdf)
        kept = ContentStream(None, reader)
        kept.operations = [op for i, op in enumerate(ops) if i not in drop]
        page_obj = writer.find_page_for_modification(index)[0].get_object()
        stream = generic.StreamObject(stream_data=kept.get_data())
        stream.compress()
        page_obj[pdf_name("/Contents")] = writer.add_object(stream)
        writer.update_container(page_obj)
    return removed


def add_footer(
    writer: BasePdfFileWriter,
    page_index: int,
    text: str,
    *,
    size: float = 7.0,
    margin: float = 40.0,
    baseline: float = 18.0,
) -> None:
    """Print ``text`` (wrapped, centred, oblique) at the bottom of one page of ``writer``."""
    if not text.strip():
        return
    # the page's width from its MediaBox (inherited boxes are rare in letters; A4 otherwise)
    try:
        page_obj = writer.find_page_for_modification(page_index)[0].get_object()
        mb = [float(v) for v in page_obj.get("/MediaBox", [0, 0, 595.28, 841.89])]
    except Exception:  # pragma: no cover - exotic page trees
        mb = [0.0, 0.0, 595.28, 841.89]
    width = mb[2] - mb[0] - 2 * margin
    lines = wrap(text, size, width, "/TteF3")
    # a resource name of its own per page: a stamp on the page brings /TteF1../TteF3, and pages
    # of one document often share one resource dictionary
    font = f"/TteFoot{page_index}"
    y = mb[1] + baseline + (len(lines) - 1) * size * 1.2
    parts = [b"q 0.2 g BT"]
    for line in lines:
        x = mb[0] + margin + (width - text_width(line, size, "/TteF3")) / 2
        parts.append(
            b"%s %g Tf 1 0 0 1 %g %g Tm %s Tj" % (font.encode(), size, x, y, _pdf_text(line))
        )
        y -= size * 1.2
    parts.append(b"ET Q")
    resources = generic.DictionaryObject(
        {
            pdf_name("/Font"): generic.DictionaryObject(
                {pdf_name(font): _font_dict("Helvetica-Oblique")}
            )
        }
    )
    _wrap_page_content(writer, page_index)
    writer.add_stream_to_page(
        page_index,
        writer.add_object(generic.StreamObject(stream_data=b"\n".join(parts))),
        resources,
    )


def _wrap_page_content(writer: BasePdfFileWriter, page_index: int) -> None:
    """Enclose the existing content in q/Q so that its graphics state does not leak into ours."""
    writer.add_stream_to_page(
        page_index, writer.add_object(generic.StreamObject(stream_data=b"q")), prepend=True
    )
    writer.add_stream_to_page(page_index, writer.add_object(generic.StreamObject(stream_data=b"Q")))


def open_incremental(pdf: bytes) -> IncrementalPdfFileWriter:
    """An incremental writer on ``pdf`` (:class:`InvalidPdf` when pyHanko cannot read it)."""
    from pyhanko.pdf_utils.misc import PdfError

    if not pdf.lstrip()[:5].startswith(b"%PDF"):
        raise InvalidPdf("berkas bukan PDF")
    try:
        return IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except (PdfError, ValueError, KeyError, IndexError) as e:
        raise InvalidPdf(f"PDF tidak dapat dibaca: {e.__class__.__name__}") from None


def draw_stamps(
    writer: BasePdfFileWriter, boxes: list[Box], identity: SignerIdentity, appearance: Appearance
) -> None:
    """Draw the stamp into the page content at each box."""
    style = TteStampStyle(identity=identity, appearance=appearance)
    for box in boxes:
        stamp = TteStamp(writer, style, BoxConstraints(width=box.width, height=box.height))
        stamp.apply(box.page_index, box.x1, box.y1)  # type: ignore[arg-type]


def prepare_pdf(
    writer: BasePdfFileWriter, pdf: bytes, identity: SignerIdentity, appearance: Appearance
) -> list[Box]:
    """What goes into the signed revision besides the signature and its own stamp: the marker
    removed from the text layer, the stamp at every anchor after the first (an attachment's
    signature block; the first is the caller's: a signature field or :func:`stamp_pdf`), the
    footer on every page. Returns every box, the first one first."""
    reader = _reader(pdf)
    boxes = place_boxes(pdf, appearance.placement, reader=reader)
    marker = appearance.placement.marker
    # a letter anchored by the conversion's destinations has no marker text left to remove
    if marker and any(b.anchored for b in boxes) and not _tanda_anchors(reader):
        strip_marker(writer, pdf, marker, {b.page_index for b in boxes})
    draw_stamps(writer, boxes[1:], identity, appearance)
    add_footers(writer, appearance.footer)
    return boxes


def stamp_pdf(pdf: bytes, identity: SignerIdentity, appearance: Appearance) -> tuple[bytes, Box]:
    """Draw the stamp at every anchor (and the footer on every page) into the page content as
    an incremental update, for a signer that signs invisibly (BSrE); the marker text is
    removed. Returns the new PDF and where the first box went."""
    writer = open_incremental(pdf)
    boxes = prepare_pdf(writer, pdf, identity, appearance)
    draw_stamps(writer, boxes[:1], identity, appearance)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), boxes[0]
