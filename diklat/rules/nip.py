"""NIP (Nomor Induk Pegawai): normalisation and validation, for PNS and PPPK layouts.

PNS:  YYYYMMDD (birth) + YYYYMM (TMT CPNS) + sex digit + 3-digit serial.
PPPK: YYYYMMDD (birth) + YYYY (start year) + "2" + digit 1-9 + sex digit + 3-digit serial.
Spaces and dots are accepted on input (``19720913 199803 1 001``); the NIP is always a string.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

_STRIP = re.compile(r"[\s.\-]")
MIN_AGE_AT_START = 17  # "after the 18th birthday or so": allow a little slack for rounding
MAX_AGE_AT_START = 60  # PPPK recruit up to about 56-58


@dataclass(frozen=True)
class NipInfo:
    nip: str
    valid: bool
    jenis: str | None = None  # "PNS" / "PPPK"
    tanggal_lahir: dt.date | None = None
    jenis_kelamin: str | None = None  # "L" / "P"
    mulai: dt.date | None = None  # TMT CPNS (PNS) or first day of the start year (PPPK)
    reason: str | None = None

    def as_json(self) -> dict[str, object]:
        d = asdict(self)
        d["tanggal_lahir"] = self.tanggal_lahir.isoformat() if self.tanggal_lahir else None
        d["mulai"] = self.mulai.isoformat() if self.mulai else None
        return d


class NipError(ValueError):
    def __init__(self, nip: str, reason: str) -> None:
        super().__init__(f"NIP {nip!r} tidak valid: {reason}")
        self.nip = nip
        self.reason = reason


def normalize(raw: object) -> str:
    """Strip spaces, dots, dashes and a leading apostrophe. Refuses floats (digits lost)."""
    if raw is None:
        return ""
    if isinstance(raw, float):
        raise TypeError("a NIP must never pass through a float (digits are lost)")
    s = str(raw).strip()
    if s.startswith("'"):
        s = s[1:]
    if s.upper().startswith("NIP"):
        s = s[3:]
    return _STRIP.sub("", s)


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _age(birth: dt.date, at: dt.date) -> int:
    return at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))


def parse(raw: object, today: dt.date | None = None) -> NipInfo:
    """Normalise and validate; never raises for bad input, the reason says what is wrong."""
    try:
        nip = normalize(raw)
    except TypeError as e:
        return NipInfo(nip=str(raw), valid=False, reason=str(e))
    today = today or dt.date.today()

    def bad(reason: str) -> NipInfo:
        return NipInfo(nip=nip, valid=False, reason=reason)

    if not nip:
        return bad("kosong")
    if not nip.isdigit() or not nip.isascii():
        return bad("hanya boleh berisi angka")
    if len(nip) != 18:
        return bad(f"harus 18 digit, bukan {len(nip)}")
    birth = _date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    if birth is None:
        return bad(f"tanggal lahir {nip[0:8]} bukan tanggal yang ada")
    if birth.year < 1940 or birth > today:
        return bad(f"tanggal lahir {birth.isoformat()} tidak masuk akal")
    serial = nip[15:18]
    if serial == "000":
        return bad("nomor urut 000 tidak dipakai")

    # PPPK: position 12 (0-based) is "2" and 13 is 1-9, then the sex digit.
    # PNS: positions 12-13 are the TMT CPNS month 01-12, then the sex digit at 14.
    # A month's first digit is 0 or 1, so "2" at position 12 can only be PPPK.
    if nip[12] == "2":
        jenis = "PPPK"
        if nip[13] == "0":
            return bad("PPPK: digit ke-14 harus 1-9")
        start = _date(int(nip[8:12]), 1, 1)
        month_note = ""
        if start is None:  # year 0000
            return bad(f"PPPK: tahun mulai {nip[8:12]} bukan tahun yang ada")
    else:
        jenis = "PNS"
        start = _date(int(nip[8:12]), int(nip[12:14]) or 0, 1) if nip[12:14] != "00" else None
        month_note = " (bulan TMT CPNS)"
        if start is None:
            return bad(f"TMT CPNS {nip[8:14]} bukan bulan yang ada{month_note}")
    assert start is not None
    sex = nip[14]
    if sex not in "12":
        return bad(f"digit jenis kelamin harus 1 atau 2, bukan {sex}")
    if start > today:
        return bad(f"mulai bekerja {start.isoformat()} di masa depan")
    age = _age(birth, start.replace(day=28) if jenis == "PNS" else dt.date(start.year, 12, 31))
    if age < MIN_AGE_AT_START:
        return bad(f"mulai bekerja pada umur {age} tahun (terlalu muda)")
    if age > MAX_AGE_AT_START:
        return bad(f"mulai bekerja pada umur {age} tahun (terlalu tua)")
    return NipInfo(
        nip=nip,
        valid=True,
        jenis=jenis,
        tanggal_lahir=birth,
        jenis_kelamin="L" if sex == "1" else "P",
        mulai=start,
    )


def validate(raw: object, today: dt.date | None = None) -> str:
    """The normalised NIP, or ``NipError`` with the reason."""
    info = parse(raw, today)
    if not info.valid:
        raise NipError(info.nip, info.reason or "tidak valid")
    return info.nip


def format_nip(nip: str) -> str:
    """Print form used in letters: ``19720913 199803 1 001`` (PNS) / grouped likewise (PPPK)."""
    n = normalize(nip)
    if len(n) != 18:
        return n
    return f"{n[0:8]} {n[8:14]} {n[14]} {n[15:18]}"
