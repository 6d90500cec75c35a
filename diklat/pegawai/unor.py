"""SIASN's units mapped onto the region's own unit codes.

SIASN identifies a unit (``unorId``, ``unorIndukId``, ref-unor ``Id``, ``DiatasanId``) by a
32-hex GUID, never by the codes the region's SIMPEG uses. Merging SIASN's ``unorId`` as a unit
code would move every refreshed employee into a new unit keyed by a GUID, a duplicate of the
unit SIMPEG already gave us. So SIASN's units are kept in ``siasn_unor`` with the region's unit
each one is, matched in this order:

1. the GUID is itself one of our unit codes (units that came from SIASN itself, e.g. a
   bootstrap from SIASN data): ``cara = "kode"``;
2. ``CepatKode`` equals one of our unit codes: ``"cepat_kode"``;
3. the name equals exactly one of our units' names (case, spaces and dots ignored):
   ``"nama"``; a name shared by several units is not guessed;
4. the operator's decision (``diklat siasn unor --set GUID=KODE``): ``"manual"``, never
   overwritten by a later automatic matching.

What stays unmatched is listed for the operator (``diklat siasn unor``, the SIASN refresh's
result). No Prefect, no HTTP: the caller passes ref-unor's rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from diklat.db import session_scope
from diklat.models import SiasnUnor, UnitKerja

CARA = ("kode", "cepat_kode", "nama", "manual")


#: SIASN's ids: 32 hex digits.
GUID = re.compile(r"^[0-9A-Fa-f]{32}$")


class UnitTidakDikenal(ValueError):
    """A manual mapping names a unit code we do not have, or a GUID ref-unor did not list."""


def normalise_nama(nama: str | None) -> str:
    """``Dinas  Pendidikan.`` and ``DINAS PENDIDIKAN`` are the same name."""
    return re.sub(r"[\s.]+", " ", (nama or "").upper()).strip()


@dataclass
class HasilPemetaan:
    """What one matching of ref-unor gave."""

    total: int = 0
    cocok: int = 0  # matched (any way, manual included)
    per_cara: dict[str, int] = field(default_factory=dict)
    belum: list[dict[str, str | None]] = field(default_factory=list)  # id, nama, catatan

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "cocok": self.cocok,
            "per_cara": dict(self.per_cara),
            "belum_dipetakan": list(self.belum),
        }


def _text(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return None if s in ("", "null", "NULL", "-") else s


def petakan(engine: Engine, rows: Iterable[Mapping[str, Any]]) -> HasilPemetaan:
    """Store ref-unor's ``rows`` and match each to one of our unit codes (see above)."""
    out = HasilPemetaan()
    with session_scope(engine) as s:
        units = {u.kode: u.nama for u in s.execute(select(UnitKerja)).scalars()}
        # Where the region's own codes exist, a unit keyed by a SIASN GUID is a duplicate an
        # earlier import made: match against the region's units only.
        own = {k: v for k, v in units.items() if not GUID.match(k)}
        if own:
            units = own
        by_nama: dict[str, list[str]] = {}
        for kode, nama in units.items():
            by_nama.setdefault(normalise_nama(nama), []).append(kode)
        known = {u.id_siasn: u for u in s.execute(select(SiasnUnor)).scalars()}
        for row in rows:
            gid = _text(row.get("Id"))
            if gid is None:
                continue
            nama = _text(row.get("NamaUnor")) or ""
            ck = _text(row.get("CepatKode"))
            u = known.get(gid)
            if u is None:
                u = SiasnUnor(id_siasn=gid, nama=nama)
                s.add(u)
                known[gid] = u
            u.nama, u.cepat_kode = nama[:300], ck
            u.diatasan_id = _text(row.get("DiatasanId"))
            if u.cara != "manual" or u.unit_kode not in units:
                u.unit_kode, u.cara, u.catatan = _cocokkan(gid, ck, nama, units, by_nama)
            out.total += 1
            if u.unit_kode:
                out.cocok += 1
                out.per_cara[u.cara or ""] = out.per_cara.get(u.cara or "", 0) + 1
            else:
                out.belum.append({"id": gid, "nama": nama, "catatan": u.catatan})
    return out


def _cocokkan(
    gid: str, ck: str | None, nama: str, units: Mapping[str, str], by_nama: Mapping[str, list[str]]
) -> tuple[str | None, str | None, str | None]:
    if gid in units:
        return gid, "kode", None
    if ck and ck in units:
        return ck, "cepat_kode", None
    same = by_nama.get(normalise_nama(nama), [])
    if len(same) == 1:
        return same[0], "nama", None
    if same:
        return None, None, f"nama sama dengan {len(same)} unit kerja: {', '.join(sorted(same))}"
    return None, None, "tidak ada unit kerja dengan kode atau nama ini"


def peta(engine: Engine) -> dict[str, str]:
    """SIASN unit GUID -> our unit code, for the matched units."""
    with engine.connect() as c:
        t = SiasnUnor.__table__
        return {
            r.id_siasn: r.unit_kode
            for r in c.execute(
                select(t.c.id_siasn, t.c.unit_kode).where(t.c.unit_kode.is_not(None))
            )
        }


def tetapkan(engine: Engine, id_siasn: str, unit_kode: str) -> None:
    """The operator's mapping of one SIASN unit onto one of our units."""
    with session_scope(engine) as s:
        u = s.get(SiasnUnor, id_siasn.strip())
        if u is None:
            raise UnitTidakDikenal(
                f"unit SIASN {id_siasn} belum ada di daftar ref-unor; "
                "jalankan `diklat siasn unor` dulu"
            )
        if s.execute(select(UnitKerja.id).where(UnitKerja.kode == unit_kode)).first() is None:
            raise UnitTidakDikenal(f"unit kerja {unit_kode!r} tidak dikenal")
        u.unit_kode, u.cara, u.catatan = unit_kode, "manual", None


def daftar(engine: Engine, hanya_belum: bool = False) -> list[dict[str, Any]]:
    """The stored SIASN units with their mapping (or only the unmatched ones)."""
    with engine.connect() as c:
        t = SiasnUnor.__table__
        stmt = select(
            t.c.id_siasn, t.c.nama, t.c.cepat_kode, t.c.unit_kode, t.c.cara, t.c.catatan
        ).order_by(t.c.nama)
        if hanya_belum:
            stmt = stmt.where(t.c.unit_kode.is_(None))
        return [dict(r._mapping) for r in c.execute(stmt)]
