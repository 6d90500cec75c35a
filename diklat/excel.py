"""The one Excel writer of the project: every ``.xlsx`` it writes looks alike and is safe.

- Indonesian column headings, bold on a grey band, frozen (they stay while scrolling), an
  auto-filter, fixed column widths; no internal ids (the caller chooses the columns).
- **Text is text.** A text cell is stored as a string, never as a formula, whatever it
  begins with (``=``, ``+``, ``-``, ``@``, a tab, a carriage return): openpyxl would turn a
  string beginning with ``=`` into a live formula (``=HYPERLINK(...)``, a DDE payload
  ``=cmd|' /C calc'!A0``); here the cell type is forced to string, the column is formatted
  as text (``@``) and such a cell also carries Excel's quote prefix, so it stays text even
  when someone edits it. NIPs and other digit strings are text columns: they never become
  numbers (a float loses the last digits of an 18-digit NIP).
- Numbers and dates are typed only where the column says so (:attr:`Kolom.jenis`).

No Prefect, no pandas: ``tulis(path, "Peserta", KOLOM, rows)``; several sheets with
``tulis_buku(path, [Lembar(...), ...])``, a row filled red where ``Lembar.sorot`` says so.

Every CSV the product writes goes through :func:`csv_bytes` (the same rule for text: a cell
that begins with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a newline gets a
leading apostrophe, as Excel itself shows a quote-prefixed cell, so
``=HYPERLINK("http://x","y")`` stays a string when the file is opened in a spreadsheet; and
every field is quoted, so a ``;`` in a value does not split it where the list separator is a
semicolon, as in Indonesian Excel).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from diklat import waktu

#: First characters that make a spreadsheet read a typed value as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0

Jenis = Literal["teks", "angka", "tanggal", "waktu"]


@dataclass(frozen=True)
class Kolom:
    """One column: heading, key in the row mapping, width (characters), kind of value."""

    judul: str
    kunci: str
    lebar: float = 15
    jenis: Jenis = "teks"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return _ILLEGAL.sub("", str(value))


def _local(value: dt.datetime, tz: Any) -> dt.datetime:
    """A naive wall time for Excel (it has no time zones): the agency's for aware values."""
    if value.tzinfo is None:
        return value
    return value.astimezone(tz).replace(tzinfo=None)


@dataclass(frozen=True)
class Lembar:
    """One sheet of a workbook: name, columns, rows. ``sorot``: the key of a row value that,
    when true, fills the whole row (a late step, someone below 20 JP); the key itself need
    not be a column."""

    nama: str
    kolom: Sequence[Kolom]
    baris: Iterable[Mapping[str, Any]]
    sorot: str | None = None


#: The fill of a highlighted row (Excel's own "bad" red).
SOROT = "FFC7CE"


def tulis(
    path: str | Path,
    lembar: str,
    kolom: Sequence[Kolom],
    baris: Iterable[Mapping[str, Any]],
    *,
    judul_lembar: str | None = None,
    zona: Any = None,
) -> int:
    """Write ``baris`` (one mapping per row, keys of :attr:`Kolom.kunci`) to ``path`` as one
    sheet named ``lembar``; returns the number of data rows. The file is written to a
    temporary name and renamed, so a reader never sees half a workbook. ``zona``: the time
    zone of datetime cells (default: the agency's)."""
    return tulis_buku(path, [Lembar(lembar, kolom, baris)], judul_lembar=judul_lembar, zona=zona)[0]


def tulis_buku(
    path: str | Path, lembar: Sequence[Lembar], *, judul_lembar: str | None = None, zona: Any = None
) -> list[int]:
    """Write several sheets to one workbook (same rules as :func:`tulis`); returns the number
    of data rows of each sheet."""
    from openpyxl import Workbook

    if zona is None:
        zona = waktu.zona()
    if not lembar:
        raise ValueError("buku kerja tanpa lembar")
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    used: set[str] = set()
    counts = []
    for sheet in lembar:
        name = _sheet_name(sheet.nama)
        base, k = name, 2
        while name.lower() in used:  # Excel refuses two sheets of one name
            suffix = f" ({k})"
            name, k = base[: 31 - len(suffix)] + suffix, k + 1
        used.add(name.lower())
        counts.append(_isi_lembar(wb.create_sheet(name), sheet, zona))
    if judul_lembar:
        wb.properties.title = judul_lembar
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".xlsx", dir=target.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        _stamp_day(Path(tmp), dt.datetime.now(zona).date())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return counts


_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def _stamp_day(path: Path, day: dt.date) -> None:
    """Make the file's bytes depend on its content and the day only: openpyxl stamps the
    workbook's created/modified time and every zip member's time with the clock, so the same
    report written twice would differ (and be archived twice). Both become the day's start."""
    import zipfile

    stamp = f"{day.isoformat()}T00:00:00Z".encode()
    with zipfile.ZipFile(path) as src:
        members = [(i, src.read(i.filename)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                data = _CORE_TIME.sub(lambda m: m.group(1) + stamp + m.group(3), data)
            fixed = zipfile.ZipInfo(
                info.filename, date_time=(day.year, day.month, day.day, 0, 0, 0)
            )
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            out.writestr(fixed, data)


def _isi_lembar(ws: Any, sheet: Lembar, zona: Any) -> int:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    kolom = sheet.kolom
    bold, band = Font(bold=True), PatternFill("solid", fgColor="DDDDDD")
    merah = PatternFill("solid", fgColor=SOROT)
    for c, k in enumerate(kolom, start=1):
        cell = ws.cell(row=1, column=c)
        _set_text(cell, k.judul)
        cell.font, cell.fill = bold, band
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = k.lebar
    n = 0
    for n, row in enumerate(sheet.baris, start=1):
        r = n + 1
        sorot = bool(sheet.sorot and row.get(sheet.sorot))
        for c, k in enumerate(kolom, start=1):
            value = row.get(k.kunci)
            cell = ws.cell(row=r, column=c)
            if sorot:
                cell.fill = merah
            if value is None or value == "":
                continue
            if (
                k.jenis == "angka"
                and isinstance(value, (int, float))
                and not isinstance(value, bool)
            ):
                cell.value = value
            elif k.jenis == "waktu" and isinstance(value, dt.datetime):
                cell.value = _local(value, zona)
                cell.number_format = "DD-MM-YYYY HH:MM"
            elif k.jenis in ("tanggal", "waktu") and isinstance(value, dt.date):
                cell.value = value if not isinstance(value, dt.datetime) else value.date()
                cell.number_format = "DD-MM-YYYY"
            else:
                _set_text(cell, _text(value))
    ws.freeze_panes = "A2"
    if kolom:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(kolom))}{n + 1}"
    return n


def _set_text(cell: Any, text: str) -> None:
    """A string cell, never a formula (see the module docstring)."""
    cell.value = text
    cell.data_type = "s"
    cell.number_format = "@"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True


def nilai_csv(value: Any) -> str:
    """One CSV field: text made inert for a spreadsheet (a leading apostrophe when it begins
    like a formula); numbers as numbers; ``None`` empty; dates ISO; booleans ``ya``/``tidak``
    (as in the Excel files)."""
    if value is None:
        return ""
    text = _text(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def csv_bytes(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> bytes:
    """The one CSV writer: a heading of ``fields`` and one line per row (missing keys
    empty), every value through :func:`nilai_csv`, every field quoted, CRLF, UTF-8."""
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow([nilai_csv(f) for f in fields])
    for r in rows:
        w.writerow([nilai_csv(r.get(k)) for k in fields])
    return buf.getvalue().encode("utf-8")


def _sheet_name(name: str) -> str:
    """Excel allows 31 characters and no ``[]:*?/\\`` in a sheet name."""
    return re.sub(r"[\[\]:*?/\\]", "-", name)[:31] or "Lembar1"
