"""The final of a letter is its approved draft plus number and date: nothing else changes.

A draft prints its number with the sequence left blank (``800.2.4.2/      /BKPSDM/2026``) and
its date with the day left blank (``      Desember 2026``); the version row keeps both lines
exactly as printed (``Naskah.draf_nomor``, ``draf_tanggal``). The final is made from the
**approved draft's bytes** by replacing exactly those lines with the number and date the
register gives (:func:`isi_penanda`), never by rendering the template again: what the
officials initialled and signed is what goes out, whether the draft came from the template or
was corrected in Word and uploaded.

:func:`periksa_teks` then compares the two texts: the final's text must equal the approved
draft's text with the two lines replaced, and :func:`periksa_teks_pdf` does the same on the
PDFs' text layers (where the draft PDF the approvers read exists), allowing differences only
where the number and the date stand. Either refuses with :class:`FinalBerbeda` naming what
differs. No Prefect here.
"""

from __future__ import annotations

import difflib
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"
#: The parts of a DOCX where a number or date line can stand.
_PARTS = re.compile(r"^word/(document|header\d*|footer\d*)\.xml$")
#: The hidden anchor of the signature block (where the stamp goes).
ANCHOR = "#TTE#"


class PenandaHilang(ValueError):
    """A draft (an uploaded correction) lost its number or date line or the signature
    anchor: its final could not be made."""


class FinalBerbeda(ValueError):
    """The final's text differs from the approved draft's beyond number and date."""


def _pola(text: str) -> re.Pattern[str]:
    """A placeholder as a pattern: its whitespace runs match any whitespace run (Word turns
    spaces into non-breaking ones). A placeholder that starts with the blank left for the day
    (``      Desember 2026``) must still start with a blank of at least two characters, so
    that a date in the letter's body ("21 Desember 2026") is never taken for it."""
    parts = [re.escape(p) for p in text.split()]
    if not parts:
        raise ValueError("penanda kosong")
    lead = r"[ \t\u00a0]{2,}" if text[:2].isspace() else r"[ \t\u00a0]*"
    return re.compile(lead + r"[ \t\u00a0]+".join(parts))


@dataclass
class HasilPenanda:
    docx: bytes
    jumlah: dict[str, int]  # how often each placeholder was replaced


def _xml_fast(xml: str, old: str, new: str) -> tuple[str, int]:
    """The placeholder inside one ``<w:t>`` as the renderer writes it: a plain replace."""
    o, n = escape(old), escape(new)
    count = xml.count(o)
    return (xml.replace(o, n), count) if count else (xml, 0)


def _paragraphs(root: etree._Element) -> list[etree._Element]:
    return list(root.iter(f"{_W}p"))


def _xml_robust(xml: bytes, pola: re.Pattern[str], new: str) -> tuple[bytes, int]:
    """A placeholder split over several runs (Word splits runs where it edits): the text of
    each paragraph is joined, the match found, the new text put in the first run it touches
    and the rest of the match removed from the runs after."""
    root = etree.fromstring(xml)
    count = 0
    for p in _paragraphs(root):
        ts = [t for t in p.iter(f"{_W}t")]
        if not ts:
            continue
        text = "".join(t.text or "" for t in ts)
        matches = list(pola.finditer(text))
        if not matches:
            continue
        for m in reversed(matches):  # from the end: earlier offsets stay valid
            start, end = m.span()
            pos = 0
            first = True
            for t in ts:
                s = t.text or ""
                a, b = pos, pos + len(s)
                pos = b
                lo, hi = max(a, start), min(b, end)
                if lo >= hi and not (first and a <= start <= b and start == end):
                    continue
                rel_lo, rel_hi = lo - a, hi - a
                if first:
                    t.text = s[:rel_lo] + new + s[rel_hi:]
                    first = False
                else:
                    t.text = s[:rel_lo] + s[rel_hi:]
                t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            count += 1
    if not count:
        return xml, 0
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True), count


def isi_penanda(
    docx: bytes, pengganti: Mapping[str, str], *, wajib: Sequence[str] = ()
) -> HasilPenanda:
    """Replace each placeholder line (key) with its value in every part where a number or
    date can stand. ``wajib``: placeholders that must be found (else :class:`PenandaHilang`)."""
    from diklat.naskah.engine import dos_datetime, raw_member, write_zip, zip_member

    zin = zipfile.ZipFile(io.BytesIO(docx))
    # only the parts where a number or date can stand are read; the rest is copied as stored
    parts: dict[str, bytes] = {
        i.filename: zin.read(i.filename) for i in zin.infolist() if _PARTS.match(i.filename)
    }
    counts = dict.fromkeys(pengganti, 0)
    for name in list(parts):
        data = parts[name]
        xml = data.decode("utf-8")
        for old, new in pengganti.items():
            xml, n = _xml_fast(xml, old, new)
            counts[old] += n
        data = xml.encode("utf-8")
        for old, new in pengganti.items():
            if counts[old]:
                continue
            data, n = _xml_robust(data, _pola(old), new)
            counts[old] += n
        parts[name] = data
    missing = [k for k in wajib if not counts.get(k)]
    if missing:
        raise PenandaHilang(
            "baris nomor/tanggal konsep tidak ditemukan: "
            + "; ".join(repr(m.strip()) for m in missing)
        )
    members = [
        zip_member(i.filename, parts[i.filename], *dos_datetime(i.date_time))
        if i.filename in parts
        else raw_member(zin, i)
        for i in zin.infolist()
    ]
    return HasilPenanda(write_zip(members), counts)


def teks_docx(docx: bytes | Path) -> str:
    """The text a reader sees: body paragraphs and table cells, then headers and footers."""
    from diklat.naskah.teks import body_text

    data = docx.read_bytes() if isinstance(docx, Path) else docx
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        body = body_text(z)
        extra = []
        for name in sorted(z.namelist()):
            if re.match(r"^word/(header|footer)\d*\.xml$", name):
                root = etree.fromstring(z.read(name))
                extra.append(
                    " ".join(
                        "".join(t.text or "" for t in p.iter(f"{_W}t")) for p in _paragraphs(root)
                    )
                )
    return "\n".join([body, *extra])


def ada_penanda(docx: bytes, penanda: Sequence[str], *, teks: str | None = None) -> list[str]:
    """The placeholders a draft prints (a template may print no date or number line);
    ``teks`` is the draft's :func:`teks_docx` when the caller has it already."""
    text = teks_docx(docx) if teks is None else teks
    return [p for p in penanda if p and _pola(p).search(text)]


def periksa_penanda_unggahan(docx: bytes, penanda: Sequence[str], *, ttd: bool) -> None:
    """An uploaded correction keeps the lines the final fills in (number, date) and, for a
    signed letter, the signature anchor; :class:`PenandaHilang` names what is missing."""
    text = teks_docx(docx)
    missing = [p.strip() for p in penanda if p and not _pola(p).search(text)]
    if ttd and ANCHOR not in text:
        missing.append(f"penanda tanda tangan {ANCHOR}")
    if missing:
        raise PenandaHilang(
            "berkas tidak memuat "
            + "; ".join(repr(m) for m in missing)
            + " (jangan hapus baris nomor/tanggal konsep dan blok tanda tangan)"
        )


def _norm(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def periksa_teks(
    draf: bytes, final: bytes, pengganti: Mapping[str, str], *, teks_draf: str | None = None
) -> None:
    """The final's text equals the approved draft's text with the placeholder lines replaced
    (whitespace aside); :class:`FinalBerbeda` otherwise. ``teks_draf`` is the draft's
    :func:`teks_docx` when the caller has it already."""
    expected = teks_docx(draf) if teks_draf is None else teks_draf
    for old, new in pengganti.items():
        expected = _pola(old).sub(" " + new.replace("\\", "\\\\"), expected)
    a, b = _norm(expected), _norm(teks_docx(final))
    if a != b:
        raise FinalBerbeda(
            "teks final berbeda dari konsep yang disetujui: " + _first_difference(a, b)
        )


def _first_difference(a: str, b: str) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"…{a[max(0, i - 20) : i + 30]!r} ≠ …{b[max(0, i - 20) : i + 30]!r}"
    return "panjang teks berbeda"


def periksa_teks_pdf(draf_teks: str, final_teks: str, pengganti: Mapping[str, str]) -> None:
    """The final PDF's text layer against the draft PDF the approvers read (both read the
    same way, :func:`connectors.pdf.teks_pdf`), whitespace aside: the final must be the
    draft with occurrences of the number and date lines replaced by what they print, and
    nothing else. :class:`FinalBerbeda` otherwise (a swapped or altered final), naming the
    first difference that is not a number or a date."""
    a, b = _compact(draf_teks), _compact(final_teks)
    if a == b or _hanya_penanda(a, b, pengganti):
        return
    spots: list[tuple[int, int]] = []
    for old in pengganti:
        c = _compact(old)
        for m in re.finditer(re.escape(c), a):
            spots.append((m.start(), m.end()))
    olds = [_compact(k) for k in pengganti]
    news = [_compact(v) for v in pengganti.values()]
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    changes = [op for op in sm.get_opcodes() if op[0] != "equal"]
    if len(changes) > 2 * max(len(spots), 1):
        raise FinalBerbeda(f"PDF final berbeda dari konsep yang disetujui di {len(changes)} tempat")
    odd = [
        (i1, i2, j1, j2)
        for _op, i1, i2, j1, j2 in changes
        if not (
            any(s - 2 <= i1 <= e + 2 for s, e in spots)
            and any(a[i1:i2] in o for o in olds)
            and any(b[j1:j2] in n for n in news)
        )
    ]
    i1, i2, j1, j2 = (odd or [op[1:] for op in changes])[0]
    raise FinalBerbeda(
        f"PDF final berbeda dari konsep yang disetujui: {a[i1:i2][:40]!r} → {b[j1:j2][:40]!r}"
    )


def _sama_sejauh(a: str, i: int, b: str, j: int) -> int:
    """How many characters ``a[i:]`` and ``b[j:]`` share at their start (compared in
    blocks: the texts are a few thousand characters and differ in two places)."""
    n, step = 0, 256
    end = min(len(a) - i, len(b) - j)
    while n < end:
        k = min(step, end - n)
        if a[i + n : i + n + k] == b[j + n : j + n + k]:
            n += k
            step *= 2
        elif k == 1:
            break
        else:
            step = max(1, k // 2)
    return n


def _hanya_penanda(a: str, b: str, pengganti: Mapping[str, str]) -> bool:
    """Walking both texts, every difference is an occurrence of a placeholder in the draft
    standing where the final prints its value (each occurrence once)."""
    pairs = [(_compact(o), _compact(n)) for o, n in pengganti.items()]
    where = [(o, n, [m.start() for m in re.finditer(re.escape(o), a)]) for o, n in pairs if o]
    i = j = 0
    while True:
        k = _sama_sejauh(a, i, b, j)
        i, j = i + k, j + k
        if i == len(a) and j == len(b):
            return True
        for old, new, starts in where:
            hit = next(
                (
                    s
                    for s in starts
                    if s <= i <= s + len(old) and i - s <= j and b.startswith(new, j - (i - s))
                ),
                None,
            )
            if hit is not None:
                starts.remove(hit)  # each occurrence once: the walk always moves on
                j += len(new) - (i - hit)
                i = hit + len(old)
                break
        else:
            return False


def _compact(text: str) -> str:
    """Text without whitespace and without the signature anchor (white, 1 pt: no reader sees
    it; a conversion takes it out of the text layer, an older draft may still hold it)."""
    return "".join(text.split()).replace(ANCHOR, "")


__all__ = [
    "ANCHOR",
    "FinalBerbeda",
    "HasilPenanda",
    "PenandaHilang",
    "ada_penanda",
    "isi_penanda",
    "periksa_penanda_unggahan",
    "periksa_teks",
    "periksa_teks_pdf",
    "teks_docx",
]
