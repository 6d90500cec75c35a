"""Indonesian dates for letters, independent of the OS locale."""

from __future__ import annotations

import datetime as dt
import locale

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diklat.rules.tanggal import (
    BULAN,
    format_dmy,
    hari_tanggal,
    parse_dmy,
    parse_tanggal_indonesia,
    rentang_tanggal,
    tanggal_indonesia,
    tempat_tanggal,
)


def test_letter_dates() -> None:
    assert tanggal_indonesia(dt.date(2026, 11, 23)) == "23 November 2026"
    assert tanggal_indonesia(dt.datetime(2026, 8, 1, 9, 30)) == "1 Agustus 2026"
    assert tempat_tanggal("Tenggarong", dt.date(2026, 11, 23)) == "Tenggarong, 23 November 2026"
    assert hari_tanggal(dt.date(2026, 11, 23)) == "Senin, 23 November 2026"
    assert hari_tanggal(dt.date(2026, 11, 27)) == "Jumat, 27 November 2026"
    assert [tanggal_indonesia(dt.date(2026, m, 1)).split()[1] for m in range(1, 13)] == [
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
    ]


def test_independent_of_locale() -> None:
    before = locale.setlocale(locale.LC_TIME)
    try:
        locale.setlocale(locale.LC_TIME, "C")
        assert tanggal_indonesia(dt.date(2026, 5, 4)) == "4 Mei 2026"
    finally:
        locale.setlocale(locale.LC_TIME, before)


def test_ranges() -> None:
    d = dt.date
    assert rentang_tanggal(d(2026, 11, 23), d(2026, 11, 23)) == "23 November 2026"
    assert rentang_tanggal(d(2026, 11, 23), d(2026, 11, 25)) == "23 s.d. 25 November 2026"
    assert rentang_tanggal(d(2026, 11, 30), d(2026, 12, 2)) == "30 November s.d. 2 Desember 2026"
    assert rentang_tanggal(d(2026, 12, 30), d(2027, 1, 2)) == "30 Desember 2026 s.d. 2 Januari 2027"


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_round_trips(d: dt.date) -> None:
    text = tanggal_indonesia(d)
    assert text.split()[1] in BULAN
    assert parse_tanggal_indonesia(text) == d
    assert parse_dmy(format_dmy(d)) == d


def test_parse_dmy() -> None:
    assert parse_dmy("23-11-2026") == dt.date(2026, 11, 23)
    assert parse_dmy("23/11/2026") == dt.date(2026, 11, 23)
    assert parse_dmy("2026-11-23") == dt.date(2026, 11, 23)
    assert parse_dmy("23-11-2026 00:00:00") == dt.date(2026, 11, 23)
    for empty in (None, "", "null", "-", "  "):
        assert parse_dmy(empty) is None
    for bad in ("23 November 2026", "31-02-2026", "2026"):
        with pytest.raises(ValueError):
            parse_dmy(bad)
    assert format_dmy(None) is None
    with pytest.raises(ValueError, match="bulan"):
        parse_tanggal_indonesia("23 Novembre 2026")
