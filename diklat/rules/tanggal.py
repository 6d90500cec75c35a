"""Indonesian dates for letters (``23 November 2026``), independent of the OS locale."""

from __future__ import annotations

import datetime as dt

BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_BULAN_INDEX = {b.lower(): i + 1 for i, b in enumerate(BULAN)}


def tanggal_indonesia(d: dt.date | dt.datetime) -> str:
    """``23 November 2026``."""
    return f"{d.day} {BULAN[d.month - 1]} {d.year}"


def hari_tanggal(d: dt.date | dt.datetime) -> str:
    """``Senin, 23 November 2026``."""
    return f"{HARI[d.weekday()]}, {tanggal_indonesia(d)}"


def tempat_tanggal(kota: str, d: dt.date | dt.datetime) -> str:
    """The place-and-date line of a letter: ``Tenggarong, 23 November 2026``."""
    return f"{kota}, {tanggal_indonesia(d)}"


def rentang_tanggal(a: dt.date, b: dt.date) -> str:
    """``23 s.d. 25 November 2026`` / ``30 November s.d. 2 Desember 2026``."""
    if a == b:
        return tanggal_indonesia(a)
    if (a.year, a.month) == (b.year, b.month):
        return f"{a.day} s.d. {tanggal_indonesia(b)}"
    if a.year == b.year:
        return f"{a.day} {BULAN[a.month - 1]} s.d. {tanggal_indonesia(b)}"
    return f"{tanggal_indonesia(a)} s.d. {tanggal_indonesia(b)}"


def parse_tanggal_indonesia(text: str) -> dt.date:
    """Inverse of :func:`tanggal_indonesia`."""
    day, month, year = text.strip().split()
    try:
        return dt.date(int(year), _BULAN_INDEX[month.lower()], int(day))
    except KeyError:
        raise ValueError(f"nama bulan tidak dikenal: {month!r}") from None


def parse_dmy(text: str | None) -> dt.date | None:
    """SIASN's ``dd-mm-yyyy`` (also ``dd/mm/yyyy``); empty, ``null`` or ``-`` give None.
    Raises ``ValueError`` for anything else."""
    if text is None:
        return None
    s = text.strip()
    if not s or s.lower() == "null" or s == "-":
        return None
    s = s.split(" ")[0].replace("/", "-")
    parts = s.split("-")
    if len(parts) != 3:
        raise ValueError(f"tanggal {text!r} bukan dd-mm-yyyy")
    if len(parts[0]) == 4:  # yyyy-mm-dd also occurs (tanggal_taspen)
        y, m, d = parts
    else:
        d, m, y = parts
    return dt.date(int(y), int(m), int(d))


def format_dmy(d: dt.date | None) -> str | None:
    return d.strftime("%d-%m-%Y") if d else None


#: Indonesia's time zones as people write them after a time.
ZONA = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def label_zona(timezone: str) -> str:
    """``WITA`` for ``Asia/Makassar`` (``WIB``, ``WIT``); empty for another zone."""
    return ZONA.get(timezone, "")


def waktu_indonesia(t: dt.datetime, timezone: str) -> str:
    """A moment in the agency's zone as a letter writes it: ``7 Desember 2026 09.15 WITA``
    (a naive time is taken as UTC)."""
    from zoneinfo import ZoneInfo

    aware = t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)
    local = aware.astimezone(ZoneInfo(timezone))
    label = label_zona(timezone) or local.strftime("UTC%z")
    return f"{tanggal_indonesia(local)} {local:%H.%M} {label}"
