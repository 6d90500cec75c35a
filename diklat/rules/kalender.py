"""Working-time calendar (kalender kerja): office hours, weekends, public holidays, leave days.

The SOPs' standard times are working time, so every deadline and every "how long did this step
take" goes through here:

* a *working day* is a weekday in ``hari_kerja`` that is neither an Indonesian public holiday
  (the ``holidays`` package, ``country_holidays("ID")``), nor a joint leave day (cuti bersama,
  the package's ``government`` category, on by default), nor one of the configured extra leave
  days (``libur_tambahan``);
* working time is the time between ``jam_masuk`` and ``jam_pulang`` on working days.

Deadline rules (``deadline(start, durasi)``):

* minutes/hours: ``start`` + N minutes of office time, rolling over into the next working day.
  A deadline that falls exactly on closing time stays at closing time of that day (not 08:00 of
  the next working day, which is the same instant of working time);
* days: one working day is one office day of working time, so ``1 hari`` from Monday 10:00 is
  Tuesday 10:00 (same clock time N working days later). From outside office hours the clock
  starts at the next opening, so ``1 hari`` from Saturday ends Monday at closing time.

``elapsed(a, b)`` is the inverse: office time between two instants. No Prefect here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import holidays

from diklat.rules.durasi import Durasi

if TYPE_CHECKING:
    from diklat.settings import Settings

_UTC = dt.UTC
#: How far ahead to look for a working day before concluding the calendar has none.
_MAX_SCAN_DAYS = 800


class KalenderError(ValueError):
    pass


class KalenderKerja:
    """Office hours plus the days off of one agency."""

    def __init__(
        self,
        *,
        jam_masuk: dt.time = dt.time(8, 0),
        jam_pulang: dt.time = dt.time(16, 0),
        hari_kerja: Iterable[int] = (0, 1, 2, 3, 4),
        timezone: str = "Asia/Makassar",
        libur_tambahan: Iterable[dt.date] = (),
        cuti_bersama: bool = True,
        subdiv: str | None = None,
        country: str = "ID",
    ) -> None:
        if jam_pulang <= jam_masuk:
            raise KalenderError("jam_pulang must be after jam_masuk")
        self.jam_masuk = jam_masuk
        self.jam_pulang = jam_pulang
        self.hari_kerja = frozenset(hari_kerja)
        if not self.hari_kerja or not self.hari_kerja <= set(range(7)):
            raise KalenderError("hari_kerja: weekday numbers 0 (Monday) .. 6 (Sunday)")
        self.tz = ZoneInfo(timezone)
        self.libur_tambahan = frozenset(libur_tambahan)
        categories: tuple[str, ...] = ("public", "government") if cuti_bersama else ("public",)
        # expand=True (default): years are filled in lazily on first lookup.
        self._libur: Any = holidays.country_holidays(country, subdiv=subdiv, categories=categories)
        start = dt.datetime.combine(dt.date(2000, 1, 3), jam_masuk)
        end = dt.datetime.combine(dt.date(2000, 1, 3), jam_pulang)
        #: Length of one office day in minutes (the size of one "hari" of working time).
        self.hari_menit = int((end - start).total_seconds() // 60)

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, timezone: str | None = None
    ) -> KalenderKerja:
        from diklat.settings import get_settings

        s = settings or get_settings()
        return cls(
            jam_masuk=s.jam_masuk,
            jam_pulang=s.jam_pulang,
            hari_kerja=s.hari_kerja,
            timezone=timezone or s.timezone,
            libur_tambahan=s.libur_tambahan,
            subdiv=s.holiday_subdiv,
        )

    # -- days -----------------------------------------------------------------------------

    def libur(self, d: dt.date) -> str | None:
        """Why ``d`` is not a working day (holiday name, 'akhir pekan', 'libur tambahan'),
        or None for a working day."""
        if d in self.libur_tambahan:
            return "libur tambahan"
        name = self._libur.get(d)
        if name:
            return str(name)
        if d.weekday() not in self.hari_kerja:
            return "akhir pekan"
        return None

    def is_hari_kerja(self, d: dt.date) -> bool:
        return self.libur(d) is None

    def hari_kerja_berikutnya(self, d: dt.date, *, termasuk: bool = False) -> dt.date:
        """The first working day after ``d`` (or ``d`` itself when ``termasuk`` and it is one)."""
        cur = d if termasuk else d + dt.timedelta(days=1)
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_hari_kerja(cur):
                return cur
            cur += dt.timedelta(days=1)
        raise KalenderError(f"no working day within {_MAX_SCAN_DAYS} days after {d}")

    def tambah_hari_kerja(self, d: dt.date, n: int) -> dt.date:
        """The N-th working day after ``d`` (calendar dates only)."""
        for _ in range(n):
            d = self.hari_kerja_berikutnya(d)
        return d

    # -- instants -------------------------------------------------------------------------

    def _local(self, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise KalenderError(f"an aware datetime is required, got naive {value.isoformat()}")
        return value.astimezone(self.tz)

    def _at(self, d: dt.date, t: dt.time) -> dt.datetime:
        return dt.datetime.combine(d, t, tzinfo=self.tz)

    def buka(self, d: dt.date) -> dt.datetime:
        """Opening time of day ``d`` (aware, local)."""
        return self._at(d, self.jam_masuk)

    def tutup(self, d: dt.date) -> dt.datetime:
        """Closing time of day ``d`` (aware, local)."""
        return self._at(d, self.jam_pulang)

    def is_jam_kerja(self, value: dt.datetime) -> bool:
        """Inside office hours on a working day (closing time itself is outside)."""
        local = self._local(value)
        return self.is_hari_kerja(local.date()) and self.jam_masuk <= local.time() < self.jam_pulang

    def next_working_moment(self, value: dt.datetime) -> dt.datetime:
        """``value`` itself when inside office hours, else the next opening time (local tz)."""
        local = self._local(value)
        d = local.date()
        if self.is_hari_kerja(d):
            if local.time() < self.jam_masuk:
                return self.buka(d)
            if local.time() < self.jam_pulang:
                return local
        return self.buka(self.hari_kerja_berikutnya(d))

    def deadline(self, start: dt.datetime, durasi: Durasi | dt.timedelta) -> dt.datetime:
        """``start`` + ``durasi`` of working time (see the module docstring for the rules)."""
        if isinstance(durasi, Durasi):
            work = dt.timedelta(minutes=durasi.menit(self.hari_menit))
        else:
            work = durasi
        if work < dt.timedelta(0):
            raise KalenderError("a deadline needs a non-negative duration")
        cur = self.next_working_moment(start)
        if work == dt.timedelta(0):
            return cur
        remaining = work
        for _ in range(_MAX_SCAN_DAYS * 10):
            closing = self.tutup(cur.date())
            available = closing.astimezone(_UTC) - cur.astimezone(_UTC)
            if remaining <= available:
                return (cur.astimezone(_UTC) + remaining).astimezone(self.tz)
            remaining -= available
            cur = self.buka(self.hari_kerja_berikutnya(cur.date()))
        raise KalenderError(f"duration {durasi} too long for the calendar")

    def elapsed(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Office time between two instants (negative when ``b`` is before ``a``)."""
        la, lb = self._local(a), self._local(b)
        if lb < la:
            return -self.elapsed(b, a)
        total = dt.timedelta(0)
        d = la.date()
        while d <= lb.date():
            if self.is_hari_kerja(d):
                lo = max(la, self.buka(d)).astimezone(_UTC)
                hi = min(lb, self.tutup(d)).astimezone(_UTC)
                if hi > lo:
                    total += hi - lo
            d += dt.timedelta(days=1)
        return total

    def elapsed_hari(self, a: dt.datetime, b: dt.datetime) -> float:
        """Office time between two instants in working days (one office day = 1.0)."""
        return self.elapsed(a, b) / dt.timedelta(minutes=self.hari_menit)

    def __repr__(self) -> str:
        return (
            f"KalenderKerja({self.jam_masuk:%H:%M}-{self.jam_pulang:%H:%M}, "
            f"hari={sorted(self.hari_kerja)}, tz={self.tz.key})"
        )


def kalender(settings: Settings | None = None, timezone: str | None = None) -> KalenderKerja:
    """The calendar of the configured agency; ``timezone``: the office hours of an SOP that
    belongs to an agency in another zone (SOP 002 is written for a WIB office)."""
    return KalenderKerja.from_settings(settings, timezone)
