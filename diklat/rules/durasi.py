"""Standard times of SOP steps (``Waktu`` in the Mutu Baku column) as typed durations.

A standard time counts *working* time: ``10 menit`` and ``1 jam`` are minutes/hours inside office
hours, ``1 hari`` is one working day (see :mod:`diklat.rules.kalender`), never 24 hours. So a
duration keeps its unit instead of collapsing to a ``timedelta``.

``parse_waktu`` turns the texts found in the SOPs (``10 menit``, ``1 Hari``, ``1 s.d 2 hari``,
``1 - 3 hari``, ``-``) into a lower and an upper bound; the upper bound is the deadline.
ISO 8601 forms: ``PT10M``, ``PT1H``, ``P1D`` (one working day).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Satuan = Literal["menit", "jam", "hari"]

_SATUAN = {"menit": "menit", "jam": "jam", "hari": "hari"}
_WAKTU = re.compile(
    r"^\s*(?P<a>\d+)\s*(?:(?:s\.?\s*d\.?|-|–|sampai(?:\s+dengan)?)\s*(?P<b>\d+)\s*)?"
    r"(?P<satuan>menit|jam|hari)\s*$",
    re.IGNORECASE,
)
_ISO = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?)?$")
_NONE_TEXTS = {"-", "–", ""}


class WaktuError(ValueError):
    """A standard-time text that is not one of the understood forms."""


@dataclass(frozen=True, order=False)
class Durasi:
    """An amount of working time: N working minutes, N working hours, or N working days."""

    jumlah: int
    satuan: Satuan

    def __post_init__(self) -> None:
        if self.jumlah < 0:
            raise WaktuError(f"durasi negatif: {self.jumlah} {self.satuan}")
        if self.satuan not in _SATUAN:
            raise WaktuError(f"satuan waktu tidak dikenal: {self.satuan!r}")

    @property
    def is_hari(self) -> bool:
        return self.satuan == "hari"

    @property
    def menit_kerja(self) -> int:
        """Working minutes of a minute/hour duration (a day-based one needs the office day)."""
        if self.satuan == "menit":
            return self.jumlah
        if self.satuan == "jam":
            return self.jumlah * 60
        raise ValueError("a duration in working days has no fixed minutes; use menit(hari_menit)")

    def menit(self, hari_menit: int) -> int:
        """Working minutes, counting one working day as ``hari_menit`` minutes of office time."""
        return self.jumlah * hari_menit if self.is_hari else self.menit_kerja

    def iso(self) -> str:
        """``PT10M`` / ``PT1H`` / ``P1D`` (D = working day)."""
        if self.satuan == "menit":
            return f"PT{self.jumlah}M"
        if self.satuan == "jam":
            return f"PT{self.jumlah}H"
        return f"P{self.jumlah}D"

    @classmethod
    def from_iso(cls, text: str) -> Durasi:
        m = _ISO.match(text.strip().upper())
        if not m or not any(m.group(g) for g in "dhm"):
            raise WaktuError(f"bukan durasi ISO 8601 yang dikenal: {text!r}")
        parts = [(g, int(m.group(g))) for g in "dhm" if m.group(g)]
        if len(parts) != 1:
            raise WaktuError(f"durasi campuran tidak didukung: {text!r}")
        unit, n = parts[0]
        return cls(n, {"d": "hari", "h": "jam", "m": "menit"}[unit])  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.jumlah} {self.satuan}"


def parse_waktu(text: str | None) -> tuple[Durasi | None, Durasi | None]:
    """``'1 s.d 2 hari'`` -> (1 hari, 2 hari); ``'10 menit'`` -> (10 menit, 10 menit);
    ``'-'`` -> (None, None). Raises :class:`WaktuError` for anything else."""
    if text is None:
        raise WaktuError("waktu kosong (tulis '-' bila tidak ada standar waktu)")
    s = text.strip()
    if s in _NONE_TEXTS:
        if s == "":
            raise WaktuError("waktu kosong (tulis '-' bila tidak ada standar waktu)")
        return None, None
    m = _WAKTU.match(s)
    if not m:
        raise WaktuError(
            f"waktu {text!r} tidak dikenali (contoh: '10 menit', '1 jam', '1 hari', "
            f"'1 s.d 2 hari', '1 - 3 hari', '-')"
        )
    satuan: Satuan = m.group("satuan").lower()  # type: ignore[assignment]
    a = int(m.group("a"))
    b = int(m.group("b")) if m.group("b") else a
    if b < a:
        raise WaktuError(f"waktu {text!r}: batas atas lebih kecil dari batas bawah")
    if a == 0:
        raise WaktuError(f"waktu {text!r}: durasi nol")
    return Durasi(a, satuan), Durasi(b, satuan)
