"""One letter step of an SOP, as the flows drive it: where a training's bundle of one type
stands, and finishing it once its chain has decided.

:func:`siapkan` drafts the current version (the first, or the next after a revision; draft
PDFs for the approvers to read), records the drafting steps in the ledger, and answers in one
read what is left: the next level of the chain that waits for a decision, or that the bundle is
ready to be issued, or issued already, or refused. :func:`selesaikan` issues a bundle whose chain
has decided: the signature unit (:mod:`diklat.tanda_tangan`: number, final, stamp, PAdES) for
a signed type, the final for one nobody signs, and the register step in the ledger. Both are
idempotent. No Prefect here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from diklat import ledger
from diklat.db import session_scope
from diklat.kegiatan import kegiatan_by_kode
from diklat.models import Bundel, NaskahBerkas
from diklat.naskah import status
from diklat.naskah import versi as naskah_versi
from diklat.persetujuan import tingkat_berikut
from diklat.register import today
from diklat.settings import Settings, get_settings


def _issued(ses: Any, b: Bundel, pdf: bool) -> bool:
    want = {"ttd_pdf"} if b.penandatangan_id is not None else (
        {"final_docx", "final_pdf"} if pdf else {"final_docx"})
    ids = [n.id for n in b.naskah]
    have: dict[int, set[str]] = {i: set() for i in ids}
    for r in ses.execute(select(NaskahBerkas.naskah_id, NaskahBerkas.peran).where(
            NaskahBerkas.naskah_id.in_(ids))):
        have[r.naskah_id].add(r.peran)
    return bool(ids) and all(want <= have[i] for i in ids)


def siapkan(engine: Engine, kode: str, jenis: str, out_dir: Path, *, pdf: bool = True,
            settings: Settings | None = None) -> dict[str, Any]:
    s = settings or get_settings()
    h = naskah_versi.buat_draf(engine, kode, jenis, out_dir, pdf=pdf, settings=s)
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        b = ses.get(Bundel, h.bundel_id)
        assert b is not None
        plan = naskah_versi.rencana(k, jenis)
        for no in plan.langkah_draf:
            ledger.selesai(ses, k, no, note=f"konsep {jenis} v{b.versi}")
        level = tingkat_berikut(ses, b)
        return {"bundel_id": b.id, "jenis": jenis, "versi": b.versi, "status": b.status,
                "jumlah": b.jumlah, "alasan": b.alasan, "tingkat": level,
                "selesai": b.status not in status.BERAKHIR and level is None
                and _issued(ses, b, pdf)}


def selesaikan(engine: Engine, kode: str, bundel_id: int, out_dir: Path, *, pdf: bool = True,
               settings: Settings | None = None) -> dict[str, Any]:
    from diklat.tanda_tangan import tanda_tangani

    s = settings or get_settings()
    with session_scope(engine) as ses:
        b = ses.get(Bundel, bundel_id)
        assert b is not None
        signed = b.penandatangan_id is not None
        if not signed:
            k = kegiatan_by_kode(ses, kode)
            from diklat.naskah.isi import tanggal_naskah

            naskah_versi.tetapkan_final(ses, b, tanggal_naskah(b.jenis, k, today(s), s))
    out: dict[str, Any] = {}
    if signed:
        out = tanda_tangani(engine, kode, bundel_id, out_dir, settings=s).as_dict()
    else:
        out = naskah_versi.terbitkan(engine, kode, bundel_id, out_dir, pdf=pdf,
                                     settings=s).as_dict()
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        b = ses.get(Bundel, bundel_id)
        assert b is not None
        plan = naskah_versi.rencana(k, b.jenis)
        if plan.langkah_agenda is not None and b.status in (status.TERDAFTAR, status.DIKIRIM,
                                                            status.DIARSIPKAN):
            ledger.selesai(ses, k, plan.langkah_agenda, note="dicatat di agenda surat keluar")
        out.update({"bundel_id": b.id, "jenis": b.jenis, "versi": b.versi,
                    "status": b.status, "jumlah": b.jumlah, "selesai": _issued(ses, b, pdf),
                    "tingkat": None, "alasan": b.alasan})
    return out
