"""Deterministic employee data for the simulator, and the in-memory store the server serves.

:func:`iter_employees` yields the employees of one ``(seed, n, bad_share)`` in a fixed order, as
SIMPEG-shaped dicts (see ``simulator/README`` in the report, or :data:`SIMPEG_FIELDS`), each with
a small :class:`Extra` (religion, marital status, bad-record kind) that the export file needs.
The same call always yields the same records, so the server, the export file and the tests see
the same people.

:class:`Dataset` keeps one serialised JSON document per employee (about 0.9 KB each, so 50,000
employees take ~50 MB) plus compact indexes for keyset paging by NIP and for the
``updated_since`` filter, and applies the changes between syncs (:meth:`Dataset.mutate`,
:meth:`Dataset.remove`, :meth:`Dataset.update`).

Bad records (share ``bad_share``) are corruptions of records that would otherwise be good, of
exactly one of the kinds in :data:`BAD_KINDS`; :attr:`Dataset.bad` maps index -> kind and
:attr:`Dataset.bad_detail` index -> a finer detail (e.g. ``invalid_nip:length``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
import re
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from connectors.records import RECORD_KEYS
from simulator import refdata as R

#: The time zone of Kutai Kartanegara (WITA); ``updated_at`` is written with this offset.
WITA = dt.timezone(dt.timedelta(hours=8))
#: The generated data describe the situation on this day (so NIPs stay valid on any later day).
REF_DATE = dt.date(2025, 12, 31)
#: Generated ``updated_at`` values lie between these instants.
UPDATED_FROM = int(dt.datetime(2024, 1, 1, tzinfo=WITA).timestamp())
UPDATED_UNTIL = int(dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=WITA).timestamp())

BAD_KINDS: tuple[str, ...] = ("invalid_nip", "missing_unit", "duplicate_nip", "future_date")
_INVALID_NIP_DETAILS = ("length", "date", "sex_digit")

#: Keys of a SIMPEG employee object: the canonical record, the NIK (SIMPEG sends it; the
#: product drops it on arrival) and the last-modified instant.
SIMPEG_FIELDS: tuple[str, ...] = (*RECORD_KEYS, "nik", "updated_at")


@dataclass(frozen=True)
class Extra:
    """What the export file needs beyond the SIMPEG object; ``bad`` is the bad-record kind."""

    agama_id: int
    kawin_id: int
    bad: str | None = None
    bad_detail: str | None = None
    updated: int = 0  # ``updated_at`` as epoch seconds


def iso_updated(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, WITA).isoformat()


def parse_since(value: str) -> int:
    """``updated_since`` -> epoch seconds. Naive values are WITA; a ``+`` that arrived as a space
    (an unencoded query string) is repaired. Raises ``ValueError``."""
    s = value.strip().replace(" ", "+") if "T" in value else value.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    d = dt.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=WITA)
    return math.floor(d.timestamp())


# --- generation -------------------------------------------------------------------------------


class _Picker:
    """Weighted choice with one ``random()`` call (``random.choices`` is slower per call)."""

    def __init__(self, items: list[Any], weights: list[float]) -> None:
        self.items = items
        total = 0.0
        self.cum: list[float] = []
        for w in weights:
            total += w
            self.cum.append(total)
        self.total = total

    def pick(self, rnd: Callable[[], float]) -> Any:
        return self.items[bisect.bisect_right(self.cum, rnd() * self.total)]


_UNIT_PICKER = _Picker(list(R.UNITS), [u.weight for u in R.UNITS])
_GROUP_PICKER = _Picker(list(R.NAME_GROUPS), [g.weight for g in R.NAME_GROUPS])
_PELAKSANA_PICKER = _Picker(list(R.PELAKSANA), [5, 3, 2, 2, 3, 2, 2])
_JENJANG_RE = re.compile(
    r" (Ahli Pertama|Ahli Muda|Ahli Madya|Ahli Utama|Terampil|Mahir|"
    r"Penyelia)$"
)
_LEVEL_START = {"sd": 0, "smp": 2, "sma": 4, "smk": 4, "d3": 6, "d4": 8, "s1": 8, "s2": 9, "s3": 10}
_LEVEL_CAP = {
    "sd": 7,
    "smp": 9,
    "sma": 11,
    "smk": 11,
    "d3": 11,
    "d4": 13,
    "s1": 13,
    "s2": 14,
    "s3": 14,
}
_LEVEL_PPPK = {
    "sd": "I",
    "smp": "III",
    "sma": "V",
    "smk": "V",
    "d3": "VII",
    "d4": "IX",
    "s1": "IX",
    "s2": "X",
    "s3": "XI",
}
_LEVEL_AGE = {
    "sd": (19, 30),
    "smp": (19, 30),
    "sma": (19, 32),
    "smk": (19, 32),
    "d3": (22, 33),
    "d4": (23, 35),
    "s1": (23, 35),
}
_STRUK_S1 = {
    "umum": ("s1_adm", "s1_ip", "s1_man", "s1_hk", "s1_akt", "s1_ts", "s1_pwk"),
    "wilayah": ("s1_ip", "s1_adm", "s1_hk"),
    "pendidikan": ("s1_pmat", "s1_pgsd", "s1_pbi", "s1_adm"),
    "sekolah": ("s1_pmat", "s1_pgsd"),
    "kesehatan": ("s1_skm", "s1_kedok", "s1_skm", "s1_man"),
}
_TMT_MONTHS = (1, 1, 2, 3, 3, 4, 12, 6)
_ASCII = re.compile(r"[^a-z]")


def struktural_slots(unit: R.Unit) -> list[tuple[str, str]]:
    """The leadership posts (jabatan, eselon) of one unit, head first."""
    nama = unit.nama
    k = unit.kepala
    slots: list[tuple[str, str]] = []
    if k == "Sekretaris Daerah":
        slots.append(("Sekretaris Daerah", "II.a"))
        slots += [(f"Asisten {b}", "II.b") for b in unit.bidang]
        return slots
    if k in ("Kepala Dinas", "Kepala Badan"):
        slots.append((f"Kepala {nama}", "II.b"))
        slots.append((f"Sekretaris {nama}", "III.a"))
        slots += [(f"Kepala Bidang {b}", "III.b") for b in unit.bidang]
        slots.append(("Kepala Sub Bagian Umum dan Kepegawaian", "IV.a"))
    elif k in ("Sekretaris DPRD", "Inspektur", "Kepala Satuan", "Kepala Pelaksana"):
        head = {"Kepala Satuan": f"Kepala {nama}", "Kepala Pelaksana": f"Kepala Pelaksana {nama}"}
        slots.append((head.get(k, k), "II.b"))
        prefix = (
            "Kepala Bagian "
            if k == "Sekretaris DPRD"
            else ("" if k == "Inspektur" else "Kepala Bidang ")
        )
        slots += [(f"{prefix}{b}", "III.b") for b in unit.bidang]
        slots.append(("Kepala Sub Bagian Umum dan Kepegawaian", "IV.a"))
    elif k == "Direktur":
        slots.append((f"Direktur {nama}", "II.b" if unit.weight >= 5 else "III.a"))
        slots += [(f"Kepala Bidang {b}", "III.b") for b in unit.bidang]
    elif k == "Camat":
        slots.append((f"Camat {nama.removeprefix('Kecamatan ')}", "III.a"))
        slots.append(("Sekretaris Kecamatan", "III.b"))
        slots += [(f"Kepala Seksi {b}", "IV.a") for b in unit.bidang]
    elif k == "Lurah":
        slots.append((f"Lurah {nama.removeprefix('Kelurahan ')}", "IV.a"))
        slots.append(("Sekretaris Kelurahan", "IV.b"))
    elif k == "Kepala UPTD":
        slots.append((f"Kepala {nama}", "IV.a"))
        slots.append(("Kepala Sub Bagian Tata Usaha", "IV.b"))
    return slots  # schools: none (a head teacher is a teacher with an extra task)


_SLOTS: dict[str, list[tuple[str, str]]] = {u.kode: struktural_slots(u) for u in R.UNITS}


def _jenjang(golongan: str, terampil: bool, pppk: bool) -> str:
    if pppk:
        return "Terampil" if terampil else "Ahli Pertama"
    i = R.GOL_INDEX[golongan]
    if terampil:
        return "Terampil" if i < 8 else ("Mahir" if i < 10 else "Penyelia")
    if i < 10:
        return "Ahli Pertama"
    if i < 12:
        return "Ahli Muda"
    if i < 15:
        return "Ahli Madya"
    return "Ahli Utama"


def _random_date(rnd: Callable[[], float], year: int) -> dt.date:
    return dt.date.fromordinal(dt.date(year, 1, 1).toordinal() + int(rnd() * 365))


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _ascii(s: str) -> str:
    return _ASCII.sub("", s.lower())


def iter_employees(
    seed: int = 1, n: int = 1000, bad_share: float = 0.0
) -> Iterator[tuple[dict[str, Any], Extra]]:
    """Yield ``n`` employees (SIMPEG dict, :class:`Extra`) for ``seed``; deterministic."""
    rng = random.Random(seed)
    bad_rng = random.Random(f"{seed}:bad")
    n_bad = min(n - 1, round(n * bad_share)) if n > 1 and bad_share > 0 else 0
    bad_at: dict[int, tuple[str, str]] = {}
    if n_bad:
        for j, pos in enumerate(bad_rng.sample(range(1, n), n_bad)):
            k = BAD_KINDS[j % len(BAD_KINDS)]
            bad_at[pos] = (
                k,
                _INVALID_NIP_DETAILS[(j // len(BAD_KINDS)) % 3] if k == "invalid_nip" else k,
            )
    serials: dict[str, int] = {}
    slots_used: dict[str, int] = {}
    nips: list[str] = []
    ref_year = REF_DATE.year
    rnd = rng.random

    def ch(seq: Any) -> Any:  # faster than rng.choice / rng.randint (same stream every run)
        return seq[int(rnd() * len(seq))]

    def ri(a: int, b: int) -> int:
        return a + int(rnd() * (b - a + 1))

    for i in range(n):
        unit: R.Unit = _UNIT_PICKER.pick(rnd)
        # --- position
        jabatan_base: str | None = None
        jenis_jabatan = "Pelaksana"
        eselon: str | None = None
        edu_key: str
        terampil = False
        fung: R.Fungsional | None = None
        slots = _SLOTS[unit.kode]
        used = slots_used.get(unit.kode, 0)
        r = rnd()
        if slots and used < len(slots) and r < 0.06:
            jabatan_base, eselon = slots[used]
            slots_used[unit.kode] = used + 1
            jenis_jabatan = "Struktural"
            edu_key = ch(_STRUK_S1[unit.profile])
        else:
            r = rnd()
            if unit.profile == "sekolah":
                fname = "Guru" if r < 0.88 else None
            elif unit.profile == "kesehatan":
                if unit.kepala == "Kepala Dinas":
                    fname = (
                        ch(unit.fungsional)
                        if r < 0.25
                        else ch(R.HEALTH_FUNGSIONAL)
                        if r < 0.4
                        else None
                    )
                else:
                    fname = ch(R.HEALTH_FUNGSIONAL) if r < 0.75 else None
            elif unit.profile == "pendidikan":
                fname = ch(unit.fungsional) if r < 0.2 else None
            elif unit.profile == "wilayah":
                fname = ch(unit.fungsional or R.GENERAL_FUNGSIONAL) if r < 0.12 else None
            else:
                fname = (
                    ch(unit.fungsional)
                    if r < 0.25 and unit.fungsional
                    else ch(R.GENERAL_FUNGSIONAL)
                    if r < 0.35
                    else None
                )
            if fname is not None:
                fung = R.FUNGSIONAL[fname]
                jenis_jabatan = "Fungsional Tertentu"
                terampil = bool(fung.terampil) and (not fung.ahli or rnd() < 0.45)
                edu_key = ch(fung.terampil if terampil else fung.ahli)
            else:
                jabatan_base, edus = _PELAKSANA_PICKER.pick(rnd)
                edu_key = ch(edus)
        # --- employment type
        if jenis_jabatan == "Struktural":
            pppk = False
        elif fung is not None and fung.nama == "Guru":
            pppk = rnd() < 0.30
        elif fung is not None and unit.profile == "kesehatan":
            pppk = rnd() < 0.22
        else:
            pppk = rnd() < (0.08 if fung is not None else 0.12)
        # --- education upgrades (S2/S3 on top of an S1)
        edu_s1 = edu_key
        edu_hi: str | None = None
        if edu_key.startswith("s1_") and not pppk:
            p2 = 0.5 if jenis_jabatan == "Struktural" else 0.12
            if rnd() < p2:
                edu_hi = ch(R.S2_FOR[R.s1_family(edu_key)])
                if rnd() < (0.06 if jenis_jabatan == "Struktural" else 0.02):
                    edu_hi = "s3_pd" if R.s1_family(edu_key) == "pendidikan" else "s3_ap"
        edu_top = R.EDUCATION[edu_hi or edu_key]
        level = R.EDUCATION[edu_s1].level
        # --- sex
        if fung is not None and fung.nama == "Bidan":
            male = False
        elif fung is not None and fung.nama in ("Perawat", "Guru", "Nutrisionis"):
            male = rnd() < 0.33
        elif jenis_jabatan == "Struktural":
            male = rnd() < 0.7
        else:
            male = rnd() < 0.52
        # --- dates
        bup_long = fung is not None and fung.bup60
        max_age = 59 if bup_long else 57
        if pppk:
            start_year = ri(2021 if fung is not None else 2022, ref_year)
            age_start = ri(23, 50)
            birth = _random_date(rnd, start_year - age_start)
            tmt = dt.date(start_year, ch((1, 3, 4, 10)), 1)
        else:
            lo, hi = _LEVEL_AGE.get(level, (23, 35))
            if edu_s1 in ("s1_kedok", "s1_kg", "s1_apt", "s1_ners"):
                lo, hi = 25, 36
            age_start = ri(lo, hi)
            min_service = 8 if jenis_jabatan == "Struktural" else 1
            earliest = max(1985, ref_year - max_age + age_start)
            if jenis_jabatan == "Struktural":
                earliest = max(earliest, ref_year - 56 + age_start)
            latest = ref_year - min_service
            tmt_year = ri(min(earliest, latest), latest)
            tmt = dt.date(tmt_year, ch(_TMT_MONTHS), 1)
            birth = _random_date(rnd, tmt_year - age_start - 1) + dt.timedelta(days=180)
        # --- rank
        if pppk:
            golongan = _LEVEL_PPPK[edu_top.level]
            pangkat: str | None = None
        elif eselon is not None:
            lo_g, hi_g = R.ESELON_GOL[eselon]
            golongan = R.GOLONGAN[ri(R.GOL_INDEX[lo_g], R.GOL_INDEX[hi_g])][0]
            pangkat = R.PANGKAT[golongan]
        else:
            years = ref_year - tmt.year
            steps = max(0, years // 4 - (1 if rnd() < 0.3 else 0))
            start = _LEVEL_START[level] + (1 if edu_hi else 0)
            cap = _LEVEL_CAP[R.EDUCATION[edu_hi].level if edu_hi else level]
            if terampil:
                cap = min(cap, 11)
            golongan = R.GOLONGAN[min(start + steps, cap)][0]
            pangkat = R.PANGKAT[golongan]
        if fung is not None:
            jenjang = _jenjang(golongan, terampil, pppk)
            jabatan = f"{fung.nama} {jenjang}"
        else:
            jenjang = ""
            jabatan = jabatan_base or "Pelaksana"
        bup = 58
        if bup_long or (eselon or "").startswith("II") or jenjang == "Ahli Madya":
            bup = 60
        elif jenjang == "Ahli Utama":
            bup = 65
        y = birth.year + bup + (1 if birth.month == 12 else 0)
        tmt_pensiun = dt.date(y, birth.month % 12 + 1, 1)
        # --- status
        status = "Aktif"
        if not pppk:
            r = rnd()
            status = (
                "Tugas Belajar"
                if r < 0.012
                else "CLTN"
                if r < 0.017
                else "Pemberhentian Sementara"
                if r < 0.020
                else "Aktif"
            )
        # --- name
        group: R.NameGroup = _GROUP_PICKER.pick(rnd)
        first = ch(group.male if male else group.female)
        parts = [first]
        if rnd() < 0.15:
            other = ch(group.male if male else group.female)
            if other != first:
                parts.append(other)
        if rnd() < 0.85:
            last = ch(group.last_male if male else group.last_female)
            if last not in parts:
                parts.append(last)
        prefix = group.prefix_male if male else group.prefix_female
        p_prefix = {"bugis": 0.3, "kutai": 0.15, "banjar": 0.05}.get(group.key, 0.0)
        if prefix and rnd() < p_prefix:
            parts.insert(0, prefix)
        nama = " ".join(parts)
        agama = ch(group.religions)
        age_now = ref_year - birth.year
        # --- titles
        depan: list[str] = []
        belakang: list[str] = []
        e1 = R.EDUCATION[edu_s1]
        if edu_hi and edu_hi.startswith("s3"):
            depan.append("Dr.")
        if agama == 1 and age_now >= 40 and rnd() < 0.15:
            depan.append("H." if male else "Hj.")
        ir = edu_s1 in ("s1_ts", "s1_tan", "s1_pwk") and birth.year < 1975 and rnd() < 0.6
        if ir:
            depan.append("Ir.")
        elif e1.gelar_depan:
            depan.append(e1.gelar_depan)
        if e1.gelar_belakang and not ir:
            belakang.append(e1.gelar_belakang)
        if edu_hi and edu_hi.startswith("s2") and R.EDUCATION[edu_hi].gelar_belakang:
            belakang.append(R.EDUCATION[edu_hi].gelar_belakang)  # type: ignore[arg-type]
        if edu_hi and edu_hi.startswith("s3"):
            s2 = R.S2_FOR[R.s1_family(edu_s1)][0]
            belakang.append(R.EDUCATION[s2].gelar_belakang or "")
        # --- contact and identity
        tokens = [t for t in nama.split() if t not in ("Andi", "Aji", "Dayang", "Gusti")]
        email: str | None = None
        if rnd() < 0.9:
            num = ri(1, 99) if rnd() < 0.5 or len(tokens) == 1 else ""
            name_part = (
                ".".join(_ascii(t) for t in (tokens[0], tokens[-1]) if _ascii(t))
                if len(tokens) > 1
                else _ascii(tokens[0])
            )
            email = f"{name_part}{num}@{ch(R.PERSONAL_MAIL)}"
        nomor_hp = None
        if rnd() < 0.95:
            digits = ch((7, 8))
            nomor_hp = ch(R.HP_PREFIX) + f"{int(rnd() * 10**digits):0{digits}d}"
        nik = (
            f"6402{ri(1, 18):02d}{birth.day + (0 if male else 40):02d}"
            f"{birth.month:02d}{birth.year % 100:02d}{ri(1, 2999):04d}"
        )
        pns_orang_id = f"{rng.getrandbits(128):032X}"
        nip_lama = f"55{ri(0, 9_999_999):07d}" if not pppk and tmt.year < 2000 else None
        kawin = 1 if age_now < 25 and rnd() < 0.7 else (2 if rnd() < 0.88 else ch((1, 3, 4)))
        updated = ri(UPDATED_FROM, UPDATED_UNTIL)
        # --- NIP
        sex = "1" if male else "2"
        if pppk:
            head = f"{birth:%Y%m%d}{tmt.year}2{ri(1, 9)}{sex}"
        else:
            head = f"{birth:%Y%m%d}{tmt:%Y%m}{sex}"
        serial = serials.get(head)
        serial = serial + 1 if serial is not None else ri(1, 9)
        serials[head] = serial
        nip = f"{head}{serial:03d}"

        rec: dict[str, Any] = {
            "nip": nip,
            "nip_lama": nip_lama,
            "nama": nama,
            "gelar_depan": " ".join(depan) or None,
            "gelar_belakang": ", ".join(belakang) or None,
            "jenis_kelamin": "L" if male else "P",
            "tempat_lahir": ch(group.places),
            "tanggal_lahir": birth.isoformat(),
            "jenis_pegawai": "PPPK" if pppk else "PNS",
            "unit_kode": unit.kode,
            "unit_nama": unit.nama,
            "jabatan": jabatan,
            "jenis_jabatan": jenis_jabatan,
            "eselon": eselon,
            "golongan": golongan,
            "pangkat": pangkat,
            "pendidikan_tingkat": edu_top.tingkat,
            "pendidikan": edu_top.nama,
            "status": status,
            "tmt_cpns": tmt.isoformat(),
            "tmt_pensiun": tmt_pensiun.isoformat(),
            "email": email,
            "nomor_hp": nomor_hp,
            "nik": nik,
            "pns_orang_id": pns_orang_id,
            "updated_at": iso_updated(updated),
        }
        bad = bad_at.get(i)
        kind: str | None = bad[0] if bad else None
        detail: str | None = bad[1] if bad else None
        if kind == "invalid_nip":
            if detail == "length":
                rec["nip"] = nip[:-1]
            elif detail == "date":
                rec["nip"] = nip[:4] + "13" + nip[6:]
            else:
                rec["nip"] = nip[:14] + "3" + nip[15:]
        elif kind == "missing_unit":
            rec["unit_kode"] = ""
            rec["unit_nama"] = ""
        elif kind == "duplicate_nip":
            src = bad_rng.randrange(i)
            while src in bad_at:
                src = bad_rng.randrange(i) if src else 0
                if src == 0 and 0 in bad_at:
                    break
            if src in bad_at:  # no good record before this one: fall back to a bad NIP
                kind, detail = "invalid_nip", "length"
                rec["nip"] = nip[:-1]
            else:
                rec["nip"] = nips[src]
        elif kind == "future_date":
            rec["tanggal_lahir"] = _add_years(birth, 100).isoformat()
        nips.append(rec["nip"])
        yield rec, Extra(agama, kawin, kind, detail, updated)


def generate(seed: int = 1, n: int = 1000, bad_share: float = 0.0) -> Dataset:
    return Dataset(seed=seed, n=n, bad_share=bad_share)


# --- the store ----------------------------------------------------------------------------------


class Dataset:
    """The simulator's employees in compact form, with paging and the changes between syncs.

    Thread-safe: every public method holds one lock (the server's event loop and a test thread
    may call it at the same time).
    """

    def __init__(self, seed: int = 1, n: int = 1000, bad_share: float = 0.0) -> None:
        self.seed = seed
        self.n = n
        self.bad_share = bad_share
        self._lock = threading.RLock()
        self._docs: list[bytes] = []
        self._nips: list[str] = []
        self._updated = array("q")
        self._extra = bytearray()
        self._removed = bytearray(n)
        self.bad: dict[int, str] = {}
        self.bad_detail: dict[int, str] = {}
        self._by_id: dict[str, int] = {}

        def dumps(rec: dict[str, Any]) -> bytes:
            # orjson hands back an over-allocated buffer (~8 KB each): copy to the exact size
            return memoryview(orjson.dumps(rec)).tobytes()

        for i, (rec, extra) in enumerate(iter_employees(seed, n, bad_share)):
            self._docs.append(dumps(rec))
            self._nips.append(rec["nip"])
            self._by_id[rec["pns_orang_id"]] = i
            self._updated.append(extra.updated)
            self._extra += bytes((extra.agama_id, extra.kawin_id))
            if extra.bad:
                self.bad[i] = extra.bad
                self.bad_detail[i] = extra.bad_detail or extra.bad
        self._by_nip: dict[str, int] = {}
        for i, nip in enumerate(self._nips):
            self._by_nip.setdefault(nip, i)
        self.version = 0
        self._mutations = 0
        self._view_cache: tuple[tuple[int | None, int], list[int], list[str]] | None = None
        self._rebuild_order()

    # -- indexes
    def _rebuild_order(self) -> None:
        nips = self._nips
        removed = self._removed
        self._order = sorted(
            (i for i in range(self.n) if not removed[i]), key=lambda i: (nips[i], i)
        )
        self._order_nips = [nips[i] for i in self._order]
        self._view_cache = None

    def _view(self, since: int | None) -> tuple[list[int], list[str]]:
        if since is None:
            return self._order, self._order_nips
        key = (since, self.version)
        if self._view_cache is not None and self._view_cache[0] == key:
            return self._view_cache[1], self._view_cache[2]
        upd = self._updated
        order = [i for i in self._order if upd[i] > since]
        nips = self._nips
        onips = [nips[i] for i in order]
        self._view_cache = (key, order, onips)
        return order, onips

    # -- reading
    def __len__(self) -> int:
        with self._lock:
            return len(self._order)

    def page(
        self, limit: int = 1000, after: str | None = None, updated_since: int | None = None
    ) -> bytes:
        """One SIMPEG page as JSON bytes: ``{"data": [...], "next": nip|null, "total": n}``.

        A page never splits employees that share a NIP (bad duplicates), so keyset paging on
        the NIP alone loses nobody; such a page may hold one or two more than ``limit``.
        """
        with self._lock:
            order, onips = self._view(updated_since)
            start = bisect.bisect_right(onips, after) if after else 0
            end = min(start + max(1, limit), len(order))
            while 0 < end < len(order) and onips[end] == onips[end - 1]:
                end += 1
            docs = self._docs
            body = b",".join([docs[i] for i in order[start:end]])
            nxt = onips[end - 1] if end < len(order) and end > start else None
            total = len(order)
        return (
            b'{"data":['
            + body
            + b'],"next":'
            + orjson.dumps(nxt)
            + b',"total":'
            + str(total).encode()
            + b"}"
        )

    def index_of(self, nip: str, include_removed: bool = False) -> int | None:
        with self._lock:
            i = self._by_nip.get(nip)
            if i is None or (self._removed[i] and not include_removed):
                return None
            return i

    def index_of_id(self, pns_orang_id: str) -> int | None:
        """Index of the employee with SIASN person id ``pns_orang_id`` (removed ones too)."""
        with self._lock:
            return self._by_id.get(pns_orang_id)

    def doc_bytes(self, index: int) -> bytes:
        with self._lock:
            return self._docs[index]

    def record(self, index: int) -> dict[str, Any]:
        """The SIMPEG dict of one employee (a fresh copy)."""
        with self._lock:
            rec: dict[str, Any] = orjson.loads(self._docs[index])
            return rec

    def extra(self, index: int) -> Extra:
        with self._lock:
            return Extra(
                self._extra[2 * index],
                self._extra[2 * index + 1],
                self.bad.get(index),
                self.bad_detail.get(index),
                self._updated[index],
            )

    def is_removed(self, index: int) -> bool:
        with self._lock:
            return bool(self._removed[index])

    def iter_records(
        self, include_removed: bool = False
    ) -> Iterator[tuple[int, dict[str, Any], Extra]]:
        """Current records in generation order (for the export file and the tests)."""
        for i in range(self.n):
            if self._removed[i] and not include_removed:
                continue
            yield i, self.record(i), self.extra(i)

    def nips(self) -> list[str]:
        """NIPs of the listed employees, in page order (duplicates appear twice)."""
        with self._lock:
            return list(self._order_nips)

    def max_updated(self) -> int:
        with self._lock:
            return max(self._updated) if self.n else UPDATED_FROM

    def bad_records(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"index": i, "nip": self._nips[i], "kind": k, "detail": self.bad_detail[i]}
                for i, k in sorted(self.bad.items())
            ]

    # -- changes between syncs
    def _stamp(self, now: float | None) -> int:
        now_s = math.ceil(time.time() if now is None else now)
        return max(now_s, max(self._updated) + 1 if self.n else now_s)

    def _store(self, index: int, rec: dict[str, Any], stamp: int) -> None:
        rec["updated_at"] = iso_updated(stamp)
        self._docs[index] = memoryview(orjson.dumps(rec)).tobytes()
        self._updated[index] = stamp

    def update(self, index: int, changes: dict[str, Any], now: float | None = None) -> int:
        """Apply field changes to one employee; it gets a new ``updated_at``. Returns it."""
        with self._lock:
            rec = orjson.loads(self._docs[index])
            unknown = set(changes) - set(SIMPEG_FIELDS)
            if unknown:
                raise KeyError(f"unknown fields: {sorted(unknown)}")
            if "nip" in changes or "pns_orang_id" in changes:
                raise KeyError("the NIP and the person id of an employee cannot change")
            rec.update(changes)
            if "unit_kode" in changes and "unit_nama" not in changes:
                unit = R.UNIT_BY_KODE.get(changes["unit_kode"])
                rec["unit_nama"] = unit.nama if unit else rec["unit_nama"]
            stamp = self._stamp(now)
            self._store(index, rec, stamp)
            self.version += 1
            self._view_cache = None
            return stamp

    def mutate(
        self,
        share: float = 0.01,
        seed: int | None = None,
        now: float | None = None,
    ) -> list[dict[str, Any]]:
        """Change ``share`` of the listed good employees: transfer (unit), promotion
        (golongan/pangkat one step up, PNS only) or retirement (status ``Pensiun``). All get
        one new ``updated_at``, later than every earlier one. Returns ``[{index, nip, kind}]``."""
        with self._lock:
            self._mutations += 1
            rng = random.Random(f"{self.seed}:mutate:{self._mutations if seed is None else seed}")
            cands = [i for i in self._order if i not in self.bad]
            if not cands or share <= 0:
                return []
            k = min(len(cands), max(1, round(len(cands) * share)))
            chosen = sorted(rng.sample(cands, k))
            stamp = self._stamp(now)
            out: list[dict[str, Any]] = []
            for i in chosen:
                rec = orjson.loads(self._docs[i])
                r = rng.random()
                kind = "transfer" if r < 0.5 else "promotion" if r < 0.85 else "retirement"
                if kind == "retirement" and rec["status"] == "Pensiun":
                    kind = "promotion"
                if kind == "promotion" and (
                    rec["jenis_pegawai"] != "PNS"
                    or rec["golongan"] == "IV/e"
                    or rec["status"] == "Pensiun"
                ):
                    kind = "transfer"
                if kind == "transfer" and rec["jenis_jabatan"] == "Struktural":
                    kind = "promotion" if rec["golongan"] != "IV/e" else "retirement"
                if kind == "transfer":
                    unit = R.UNIT_BY_KODE.get(rec["unit_kode"])
                    profile = unit.profile if unit else "umum"
                    same = [
                        u for u in R.UNITS if u.profile == profile and u.kode != rec["unit_kode"]
                    ]
                    new = rng.choice(same or [u for u in R.UNITS if u.kode != rec["unit_kode"]])
                    rec["unit_kode"], rec["unit_nama"] = new.kode, new.nama
                elif kind == "promotion":
                    g = R.GOLONGAN[R.GOL_INDEX[rec["golongan"]] + 1][0]
                    rec["golongan"], rec["pangkat"] = g, R.PANGKAT[g]
                    if rec["jenis_jabatan"] == "Fungsional Tertentu":
                        m = _JENJANG_RE.search(rec["jabatan"])
                        if m:
                            terampil = m.group(1) in ("Terampil", "Mahir", "Penyelia")
                            rec["jabatan"] = (
                                rec["jabatan"][: m.start()] + " " + _jenjang(g, terampil, False)
                            )
                else:
                    rec["status"] = "Pensiun"
                self._store(i, rec, stamp)
                out.append({"index": i, "nip": rec["nip"], "kind": kind})
            self.version += 1
            self._view_cache = None
            return out

    def remove(self, share: float = 0.01, seed: int | None = None) -> list[dict[str, Any]]:
        """Take ``share`` of the listed good employees out of SIMPEG (they left the agency), so
        that a full sync can deactivate them. Returns ``[{index, nip}]``."""
        with self._lock:
            self._mutations += 1
            rng = random.Random(f"{self.seed}:remove:{self._mutations if seed is None else seed}")
            # keep the originals of duplicated NIPs, so the bad duplicate stays the second one
            shared = {self._nips[i] for i, k in self.bad.items() if k == "duplicate_nip"}
            cands = [i for i in self._order if i not in self.bad and self._nips[i] not in shared]
            if not cands or share <= 0:
                return []
            k = min(len(cands), max(1, round(len(cands) * share)))
            chosen = sorted(rng.sample(cands, k))
            for i in chosen:
                self._removed[i] = 1
            self.version += 1
            self._rebuild_order()
            return [{"index": i, "nip": self._nips[i]} for i in chosen]
