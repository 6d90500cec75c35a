"""Working-time calendar: office hours, weekends, Indonesian holidays, cuti bersama, extra leave."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diklat.rules.durasi import Durasi
from diklat.rules.kalender import KalenderError, KalenderKerja
from diklat.settings import get_settings, reset_settings_cache

WITA = ZoneInfo("Asia/Makassar")
KAL = KalenderKerja()  # 08:00-16:00 Mon-Fri, Asia/Makassar, public holidays + cuti bersama


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=WITA)


def test_days_off() -> None:
    assert KAL.is_hari_kerja(dt.date(2026, 11, 23))  # Monday
    assert not KAL.is_hari_kerja(dt.date(2026, 11, 28))  # Saturday
    assert KAL.libur(dt.date(2026, 11, 29)) == "akhir pekan"
    assert not KAL.is_hari_kerja(dt.date(2026, 12, 25))  # Christmas, a Friday
    assert "Christmas" in (KAL.libur(dt.date(2026, 12, 25)) or "")
    assert not KAL.is_hari_kerja(dt.date(2026, 12, 24))  # cuti bersama
    assert not KAL.is_hari_kerja(dt.date(2026, 8, 17))  # Hari Kemerdekaan, a Monday
    assert KalenderKerja(cuti_bersama=False).is_hari_kerja(dt.date(2026, 12, 24))


def test_deadline_across_holiday_and_weekend() -> None:
    # Wed 13 May 2026 15:00 + 2 hours: one hour on Wednesday; Thursday 14 May is Ascension Day,
    # Friday 15 May cuti bersama, then the weekend: the second hour is Monday 08:00-09:00.
    assert KAL.deadline(at(2026, 5, 13, 15), Durasi(2, "jam")) == at(2026, 5, 18, 9)
    # Christmas 2026: Thu 24 Dec cuti bersama, Fri 25 Dec Christmas, then the weekend.
    assert KAL.deadline(at(2026, 12, 23, 10), Durasi(1, "hari")) == at(2026, 12, 28, 10)
    assert KAL.deadline(at(2026, 12, 23, 10), Durasi(2, "hari")) == at(2026, 12, 29, 10)
    # Without the joint leave days Thursday 24 Dec counts.
    plain = KalenderKerja(cuti_bersama=False)
    assert plain.deadline(at(2026, 12, 23, 10), Durasi(1, "hari")) == at(2026, 12, 24, 10)
    # Idul Fitri 2026: 18 (cuti), 19 (Nyepi), 20 (cuti) March, the weekend, 23-24 (cuti).
    assert KAL.deadline(at(2026, 3, 17, 14), Durasi(1, "hari")) == at(2026, 3, 25, 14)


def test_day_rules() -> None:
    # same clock time N working days later
    assert KAL.deadline(at(2026, 11, 23, 10), Durasi(1, "hari")) == at(2026, 11, 24, 10)
    assert KAL.deadline(at(2026, 11, 23, 10), Durasi(3, "hari")) == at(2026, 11, 26, 10)
    # Friday + 1 working day = Monday
    assert KAL.deadline(at(2026, 11, 27, 9, 30), Durasi(1, "hari")) == at(2026, 11, 30, 9, 30)
    # from outside office hours the clock starts at the next opening: Saturday -> Monday closing
    assert KAL.deadline(at(2026, 11, 28, 11), Durasi(1, "hari")) == at(2026, 11, 30, 16)
    # after closing on Monday -> end of Tuesday
    assert KAL.deadline(at(2026, 11, 23, 19), Durasi(1, "hari")) == at(2026, 11, 24, 16)


def test_minute_rules() -> None:
    assert KAL.deadline(at(2026, 11, 23, 9), Durasi(10, "menit")) == at(2026, 11, 23, 9, 10)
    # a deadline landing on closing time stays on that day
    assert KAL.deadline(at(2026, 11, 23, 15), Durasi(1, "jam")) == at(2026, 11, 23, 16)
    # rolls over into the next working day
    assert KAL.deadline(at(2026, 11, 23, 15, 50), Durasi(30, "menit")) == at(2026, 11, 24, 8, 20)
    # before opening: counted from 08:00
    assert KAL.deadline(at(2026, 11, 23, 6), Durasi(1, "jam")) == at(2026, 11, 23, 9)
    # a plain timedelta counts as working time too
    assert KAL.deadline(at(2026, 11, 23, 9), dt.timedelta(hours=9)) == at(2026, 11, 24, 10)


def test_extra_leave_days_honoured() -> None:
    kal = KalenderKerja(libur_tambahan=[dt.date(2026, 11, 24)])
    assert kal.libur(dt.date(2026, 11, 24)) == "libur tambahan"
    assert kal.deadline(at(2026, 11, 23, 15), Durasi(2, "jam")) == at(2026, 11, 25, 9)
    assert kal.elapsed(at(2026, 11, 23, 8), at(2026, 11, 26, 8)) == dt.timedelta(hours=16)


def test_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIKLAT_LIBUR_TAMBAHAN", '["2026-11-24"]')
    monkeypatch.setenv("DIKLAT_JAM_MASUK", "07:30")
    monkeypatch.setenv("DIKLAT_JAM_PULANG", "16:00")
    monkeypatch.setenv("DIKLAT_HARI_KERJA", "[0,1,2,3,4,5]")
    reset_settings_cache()
    kal = KalenderKerja.from_settings(get_settings())
    assert kal.hari_menit == 510
    assert not kal.is_hari_kerja(dt.date(2026, 11, 24))
    assert kal.is_hari_kerja(dt.date(2026, 11, 28))  # Saturday is a working day here
    assert kal.next_working_moment(at(2026, 11, 23, 7)) == at(2026, 11, 23, 7, 30)


def test_next_working_moment_and_time_zones() -> None:
    assert KAL.next_working_moment(at(2026, 11, 23, 12)) == at(2026, 11, 23, 12)
    assert KAL.next_working_moment(at(2026, 11, 23, 16)) == at(2026, 11, 24, 8)
    assert KAL.next_working_moment(at(2026, 12, 23, 17)) == at(2026, 12, 28, 8)
    # 01:00 UTC is 09:00 WITA; the answer comes back in the calendar's zone
    utc = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
    result = KAL.deadline(utc, Durasi(1, "jam"))
    assert result == at(2026, 11, 23, 10) and result.tzinfo == WITA
    with pytest.raises(KalenderError, match="aware"):
        KAL.deadline(dt.datetime(2026, 11, 23, 9), Durasi(1, "jam"))


def test_elapsed() -> None:
    a, b = at(2026, 11, 27, 15), at(2026, 11, 30, 9)  # Friday 15:00 -> Monday 09:00
    assert KAL.elapsed(a, b) == dt.timedelta(hours=2)
    assert KAL.elapsed(b, a) == -dt.timedelta(hours=2)
    assert KAL.elapsed(at(2026, 11, 28, 9), at(2026, 11, 29, 17)) == dt.timedelta(0)  # weekend
    assert (
        KAL.elapsed_hari(at(2026, 12, 21, 8), at(2026, 12, 31, 16)) == 7.0
    )  # 9 weekdays, 24-25 Dec off
    assert KAL.elapsed_hari(at(2026, 11, 23, 8), at(2026, 11, 23, 12)) == 0.5


def test_invalid_calendar() -> None:
    with pytest.raises(KalenderError):
        KalenderKerja(jam_masuk=dt.time(16), jam_pulang=dt.time(8))
    with pytest.raises(KalenderError):
        KalenderKerja(hari_kerja=[7])
    with pytest.raises(KalenderError):
        KAL.deadline(at(2026, 11, 23, 9), dt.timedelta(minutes=-1))


starts = st.datetimes(
    min_value=dt.datetime(2025, 1, 1),
    max_value=dt.datetime(2027, 12, 31),
    timezones=st.sampled_from([WITA, ZoneInfo("Asia/Jakarta"), dt.UTC]),
)


@settings(max_examples=300, deadline=None)
@given(start=starts, minutes=st.integers(min_value=1, max_value=6000))
def test_elapsed_inverts_deadline_minutes(start: dt.datetime, minutes: int) -> None:
    end = KAL.deadline(start, Durasi(minutes, "menit"))
    assert end > start
    assert KAL.elapsed(start, end) == dt.timedelta(minutes=minutes)
    assert KAL.is_hari_kerja(end.date())
    assert KAL.jam_masuk < end.time() <= KAL.jam_pulang


@settings(max_examples=100, deadline=None)
@given(start=starts, days=st.integers(min_value=1, max_value=10))
def test_elapsed_inverts_deadline_days(start: dt.datetime, days: int) -> None:
    end = KAL.deadline(start, Durasi(days, "hari"))
    assert KAL.elapsed_hari(start, end) == days
    # same clock time when the start is inside office hours
    if KAL.is_jam_kerja(start) and start.astimezone(WITA).time() > KAL.jam_masuk:
        assert end.time() == start.astimezone(WITA).time()
