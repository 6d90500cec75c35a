"""Units (unit kerja / OPD) as letters address them: the town a unit is in.

A letter's "di" line names the addressee's town (``di Loa Kulu`` for SD Negeri 012 Loa Kulu,
never the unit's name, never the agency's town for a unit elsewhere). A unit's town comes from
its source (SIMPEG's ``kota``, kept in ``unit_kerja.tempat`` by the sync) or from an operator
(``diklat unit tempat KODE TEMPAT``, kept in ``tempat_operator``: it wins and no sync
overwrites it). A unit whose town nobody knows is addressed at the agency's own town and is
listed by ``diklat unit list --tanpa-tempat`` for the operator to complete. No Prefect here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from diklat.models import UnitKerja


class UnitTidakAda(LookupError):
    def __init__(self, kode: str) -> None:
        self.kode = kode
        super().__init__(f"unit kerja {kode!r} tidak ada; lihat `diklat unit list`")


class TempatTidakValid(ValueError):
    """A town an operator typed that cannot be printed in a letter."""


def tempat(u: UnitKerja) -> str | None:
    """The unit's town: the operator's, else the source's; None when nobody knows it."""
    return (u.tempat_operator or u.tempat or "").strip() or None


def tempat_units(session: Session, kodes: Iterable[str]) -> dict[str, str]:
    """The known towns of the units ``kodes`` (units without one are left out)."""
    want = list(dict.fromkeys(k for k in kodes if k))
    if not want:
        return {}
    rows = session.execute(select(UnitKerja).where(UnitKerja.kode.in_(want))).scalars()
    return {u.kode: t for u in rows if (t := tempat(u))}


def atur_tempat(session: Session, kode: str, nilai: str | None) -> UnitKerja:
    """Set (or, with an empty value, clear) the operator's town of a unit."""
    u = session.execute(select(UnitKerja).where(UnitKerja.kode == kode)).scalar_one_or_none()
    if u is None:
        raise UnitTidakAda(kode)
    text = " ".join((nilai or "").split())
    if len(text) > 100:
        raise TempatTidakValid("tempat paling panjang 100 huruf")
    if text and not any(c.isalpha() for c in text):
        raise TempatTidakValid(f"tempat {text!r} bukan nama kota atau kecamatan")
    u.tempat_operator = text or None
    session.flush()
    return u


def daftar_unit(session: Session, *, tanpa_tempat: bool = False) -> list[dict[str, Any]]:
    """Active units with their town and where it comes from, by code."""
    rows = session.execute(
        select(UnitKerja).where(UnitKerja.aktif.is_(True)).order_by(UnitKerja.kode)
    ).scalars()
    out = []
    for u in rows:
        t = tempat(u)
        if tanpa_tempat and t:
            continue
        out.append(
            {
                "kode": u.kode,
                "nama": u.nama,
                "singkatan": u.singkatan,
                "tempat": t,
                "sumber_tempat": "operator"
                if u.tempat_operator
                else (u.sumber if u.tempat else None),
            }
        )
    return out
