"""What waits for the agency's operators (``diklat tugas``): in one list, oldest first, each
with since when and until when (the step's deadline in working time, from the ledger):

* ``formulir``: an SOP step waiting for an operator's report (its form in the run's page);
* ``perbaikan``: a letter sent back, waiting for the person the SOP names to correct it;
* ``pengiriman``: a letter delivered by hand, or whose e-mail needs checking, to confirm
  (``diklat distribusi konfirmasi``) before its sending step can close;
* ``siasn``: candidates SIASN has not answered for yet (the verification step waits);
* ``srikandi``: signed letters the records officer has not registered in SRIKANDI yet;
* ``karantina``: records refused on the way in, still unresolved (one line per source).

Codes, numbers and counts only: no NIP, no participant's name. No Prefect here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diklat import waktu
from diklat.models import (
    Distribusi,
    Karantina,
    Kegiatan,
    Naskah,
    Permintaan,
    SopStepLog,
)
from diklat.models.base import utcnow
from diklat.settings import Settings, get_settings


def _lokal(d: dt.datetime | None, tz: ZoneInfo) -> str | None:
    return d.astimezone(tz).isoformat(timespec="seconds") if d else None


def daftar_tugas(
    session: Session, *, now: dt.datetime | None = None, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """Every open task of the operators: ``jenis``, ``kegiatan``, ``langkah``, ``sejak``,
    ``tenggat``, ``terlambat``, ``keterangan`` (see the module docstring)."""
    from diklat.laporan.srikandi import belum
    from diklat.naskah.perbaikan import menunggu as menunggu_perbaikan
    from diklat.sop.catalogue import get_sop

    s = settings or get_settings()
    tz = waktu.zona(s)
    moment = now or utcnow()
    out: list[dict[str, Any]] = []
    officials = {
        (p.kegiatan_id, p.langkah, p.urutan)
        for p in session.execute(
            select(Permintaan).where(Permintaan.status.in_(["menunggu", "terkunci"]))
        ).scalars()
    }
    kegiatan = {
        k.id: k
        for k in session.execute(
            select(Kegiatan).where(Kegiatan.status.in_(["berjalan", "direncanakan"]))
        ).scalars()
    }
    corrections: dict[tuple[int, int, int], str] = {}
    for k in kegiatan.values():
        for plan in get_sop(k.sop).rencana_naskah(k.kondisi):
            m = menunggu_perbaikan(session, k, plan.jenis)
            if m is not None:
                corrections[(k.id, m.langkah, m.tingkat)] = plan.jenis
    rows = session.execute(
        select(SopStepLog)
        .where(SopStepLog.status == "menunggu", SopStepLog.kegiatan_id.in_(list(kegiatan) or [-1]))
        .order_by(SopStepLog.started_at)
    ).scalars()
    for r in rows:
        if (r.kegiatan_id, r.step_no, r.tingkat) in officials:
            continue  # an official's paraf, signature or disposition
        k = kegiatan[r.kegiatan_id]
        step = get_sop(k.sop).step(r.step_no)
        jenis_naskah = corrections.get((r.kegiatan_id, r.step_no, r.tingkat))
        if jenis_naskah is not None:
            jenis, ket = (
                "perbaikan",
                f"{jenis_naskah.replace('_', ' ')} dikembalikan untuk diperbaiki",
            )
        elif step.distribusi:
            jenis, ket = "pengiriman", r.note or "pengiriman belum selesai"
        elif step.masukan is None and r.actor == "sistem":
            jenis, ket = "siasn", "menunggu jawaban SIASN untuk sebagian calon"
        else:
            jenis, ket = "formulir", step.kegiatan
        out.append(
            {
                "jenis": jenis,
                "kegiatan": k.kode,
                "langkah": r.step_no,
                "sejak": _lokal(r.started_at, tz),
                "tenggat": _lokal(r.deadline, tz),
                "terlambat": bool(r.deadline and moment > r.deadline),
                "keterangan": ket,
            }
        )
    # deliveries to confirm, also those of a sending step that has not started waiting yet
    hand = session.execute(
        select(Distribusi.id, Distribusi.status, Distribusi.created_at, Naskah.jenis, Kegiatan.kode)
        .join(Naskah, Naskah.id == Distribusi.naskah_id)
        .join(Kegiatan, Kegiatan.id == Distribusi.kegiatan_id)
        .where(Distribusi.status.in_(["manual", "perlu_cek"]))
        .order_by(Distribusi.id)
    ).all()
    for did, st, created, jenis_n, kode in hand:
        out.append(
            {
                "jenis": "konfirmasi",
                "kegiatan": kode,
                "langkah": None,
                "sejak": _lokal(created, tz),
                "tenggat": None,
                "terlambat": False,
                "keterangan": f"pengiriman {did} ({jenis_n.replace('_', ' ')}): "
                + (
                    "diserahkan langsung, konfirmasi dengan tanda terima"
                    if st == "manual"
                    else "perlu dicek"
                ),
            }
        )
    for x in belum(session):
        out.append(
            {
                "jenis": "srikandi",
                "kegiatan": x["kegiatan"] or None,
                "langkah": None,
                "sejak": x["tanggal"],
                "tenggat": None,
                "terlambat": False,
                "keterangan": f"daftarkan {x['nomor']} di SRIKANDI",
            }
        )
    for sumber, n, first in session.execute(
        select(Karantina.sumber, func.count(), func.min(Karantina.created_at))
        .where(Karantina.selesai_pada.is_(None))
        .group_by(Karantina.sumber)
    ).all():
        out.append(
            {
                "jenis": "karantina",
                "kegiatan": None,
                "langkah": None,
                "sejak": _lokal(first, tz),
                "tenggat": None,
                "terlambat": False,
                "keterangan": f"{n} rekaman {sumber} dikarantina: diklat karantina list "
                f"--sumber {sumber} --terbuka",
            }
        )
    return out


__all__ = ["daftar_tugas"]
