"""NIP rules: normalisation, PNS and PPPK layouts, rejections with reasons, property tests."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diklat.rules.nip import NipError, format_nip, normalize, parse, validate


def test_seed_examples() -> None:
    info = parse("NIP. 19720913 199803 1 001")  # as printed in SOP 002
    assert info.valid and info.nip == "197209131998031001"
    assert info.jenis == "PNS" and info.jenis_kelamin == "L"
    assert info.tanggal_lahir == dt.date(1972, 9, 13) and info.mulai == dt.date(1998, 3, 1)
    info = parse("197805022005021003")  # the signer of SOP 000
    assert info.valid and info.jenis == "PNS" and info.tanggal_lahir == dt.date(1978, 5, 2)
    assert format_nip("197209131998031001") == "19720913 199803 1 001"


def test_pppk() -> None:
    info = parse("200012312024211001")
    assert info.valid, info.reason
    assert info.jenis == "PPPK" and info.jenis_kelamin == "L"
    assert info.tanggal_lahir == dt.date(2000, 12, 31) and info.mulai == dt.date(2024, 1, 1)
    assert parse("199505152023212007").jenis_kelamin == "P"


@pytest.mark.parametrize(
    "raw",
    [
        "19720913.199803.1.001",
        " 19720913 199803 1 001 ",
        "'197209131998031001",
        "NIP 19720913-199803-1-001",
        197209131998031001,
    ],
)
def test_input_forms_accepted(raw: object) -> None:
    assert validate(raw) == "197209131998031001"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "kosong"),
        ("1972091319980310", "18 digit"),
        ("19720913199803100123", "18 digit"),
        ("19720913A998031001", "angka"),
        ("197213131998031001", "tanggal lahir"),  # month 13
        ("197202301998031001", "tanggal lahir"),  # 30 February
        ("197209131998131001", "TMT CPNS"),  # TMT month 13
        ("197209131998001001", "TMT CPNS"),  # TMT month 00
        ("197209131998033001", "jenis kelamin"),
        ("197209131998031000", "000"),
        ("197209131985031001", "terlalu muda"),  # started at 12
        ("203001011998031001", "tanggal lahir"),  # born in the future
        ("200012312024201001", "PPPK"),  # PPPK digit 14 must be 1-9
        ("200012312099211001", "masa depan"),
        ("200012310000211001", "tahun mulai"),  # PPPK start year 0000 (once an AssertionError)
        ("197209130000031001", "TMT CPNS"),
    ],
)
def test_rejections_give_reason(raw: str, reason: str) -> None:
    info = parse(raw)
    assert not info.valid
    assert info.reason and reason in info.reason
    with pytest.raises(NipError) as e:
        validate(raw)
    assert reason in str(e.value) and e.value.reason == info.reason


def test_floats_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        normalize(197209131998031001.0)
    info = parse(1.97209131998031e17)
    assert not info.valid and info.reason and "float" in info.reason
    with pytest.raises(NipError):
        validate(197209131998031001.0)


@st.composite
def pns_nips(draw: st.DrawFn) -> tuple[str, dt.date, str]:
    birth = draw(st.dates(min_value=dt.date(1960, 1, 1), max_value=dt.date(2000, 12, 31)))
    year = draw(st.integers(min_value=birth.year + 19, max_value=min(birth.year + 45, 2025)))
    month = draw(st.integers(min_value=1, max_value=12))
    sex = draw(st.sampled_from("12"))
    serial = draw(st.integers(min_value=1, max_value=999))
    return f"{birth:%Y%m%d}{year:04d}{month:02d}{sex}{serial:03d}", birth, sex


@st.composite
def pppk_nips(draw: st.DrawFn) -> tuple[str, dt.date, str]:
    birth = draw(st.dates(min_value=dt.date(1968, 1, 1), max_value=dt.date(2004, 12, 31)))
    year = draw(st.integers(min_value=birth.year + 19, max_value=min(birth.year + 55, 2025)))
    digit = draw(st.integers(min_value=1, max_value=9))
    sex = draw(st.sampled_from("12"))
    serial = draw(st.integers(min_value=1, max_value=999))
    return f"{birth:%Y%m%d}{year:04d}2{digit}{sex}{serial:03d}", birth, sex


any_nip = st.one_of(pns_nips(), pppk_nips())


@settings(max_examples=300)
@given(generated=any_nip)
def test_generated_nips_validate_and_round_trip(generated: tuple[str, dt.date, str]) -> None:
    nip, birth, sex = generated
    info = parse(nip)
    assert info.valid, (nip, info.reason)
    assert info.tanggal_lahir == birth
    assert info.jenis_kelamin == ("L" if sex == "1" else "P")
    assert info.jenis == ("PPPK" if nip[12] == "2" else "PNS")
    printed = format_nip(nip)
    assert " " in printed and normalize(printed) == nip
    assert validate(printed) == nip
    assert validate(f"NIP. {printed}") == nip


@settings(max_examples=300)
@given(generated=any_nip, bad=st.sampled_from("3456789"))
def test_sex_digit_corruption_rejected(generated: tuple[str, dt.date, str], bad: str) -> None:
    nip = generated[0]
    corrupted = nip[:14] + bad + nip[15:]
    info = parse(corrupted)
    assert not info.valid
    assert info.reason and "jenis kelamin" in info.reason


@settings(max_examples=100)
@given(generated=any_nip)
def test_float_round_trip_always_refused(generated: tuple[str, dt.date, str]) -> None:
    assert not parse(float(generated[0])).valid


@settings(max_examples=300)
@given(
    raw=st.one_of(st.text(max_size=30), st.text(alphabet="0123456789 .", min_size=18, max_size=22))
)
def test_parse_never_raises(raw: str) -> None:
    info = parse(raw)
    assert info.valid == (info.reason is None)
    if info.valid:
        assert len(info.nip) == 18 and info.nip.isdigit()
