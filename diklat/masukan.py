"""What operators report back to a running training: steps done by people outside the system
("Membuka acara", "Pelaksanaan pelatihan", "Penyerahan Training Kit" ...), the agencies'
answers about their candidates, who registered, who received a kit, the results.

Each is one idempotent function that records the step in the ledger with its actual time and
note (never silently skipped) and applies what the input says to the participants. Inputs
name participants by their number in the list (``nomor urut``), never by NIP: the forms live in
the orchestrator, which keeps what is typed. No Prefect here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from diklat import ledger
from diklat.kegiatan import (
    calon_menurut_kriteria,
    jumlah_peserta,
    tetapkan_hasil,
    tetapkan_peserta,
)
from diklat.models import Kegiatan, Peserta
from diklat.models.base import utcnow


class MasukanDitolak(ValueError):
    """An operator's input that cannot be applied (the reason names the field)."""


def _peserta(session: Session, k: Kegiatan) -> dict[int, Peserta]:
    return {p.nomor_urut or 0: p for p in session.execute(
        select(Peserta).where(Peserta.kegiatan_id == k.id)).scalars()}


def _nomor(session: Session, k: Kegiatan, nomor: Iterable[int], field: str) -> list[Peserta]:
    rows = _peserta(session, k)
    wanted = list(dict.fromkeys(int(n) for n in nomor))
    unknown = [n for n in wanted if n not in rows]
    if unknown:
        raise MasukanDitolak(f"{field}: nomor peserta tidak ada: "
                             f"{', '.join(map(str, unknown))}")
    return [rows[n] for n in wanted]


def _set(rows: Iterable[Peserta], status: str, note: str | None = None) -> int:
    n = 0
    for p in rows:
        if p.status != status:
            p.status, p.status_at = status, utcnow()
            if note:
                p.catatan = note
            n += 1
    return n


def selesai(session: Session, k: Kegiatan, no: int, *, waktu: dt.datetime | None = None,
            catatan: str | None = None, actor: str | None = None,
            data: dict[str, Any] | None = None) -> None:
    """Record an outside step as done at ``waktu`` (default now) with the note and, for
    inputs that carry lists, what was reported (as JSON, participant numbers only)."""
    note = catatan or None
    if data:
        note = f"{note or ''}\n{json.dumps(data, ensure_ascii=False, sort_keys=True)}".strip()
    row = ledger.mulai(session, k, no, actor=actor, now=waktu)
    ledger.selesai(session, k, no, actor=actor, note=note, now=max(waktu or utcnow(),
                                                                    row.started_at))


def rencanakan_calon(engine: Engine, session: Session, k: Kegiatan,
                     per_unit: int | None = None) -> dict[str, int]:
    """The candidate list from the training's criteria and quota (once: a training that has
    participants keeps them)."""
    if not _peserta(session, k):
        calon = calon_menurut_kriteria(engine, k, per_unit=per_unit)
        tetapkan_peserta(session, k, [int(x) for x in calon["id"]], status="calon")
    return jumlah_peserta(session, k.id)


def balasan_instansi(session: Session, k: Kegiatan, ditarik: Iterable[int]) -> dict[str, int]:
    """The agencies answered: the withdrawn candidates are cancelled, the others proposed."""
    rows = _nomor(session, k, ditarik, "ditarik")
    _set(rows, "batal", "ditarik oleh instansi")
    others = [p for p in _peserta(session, k).values() if p.status == "calon"]
    _set(others, "diusulkan")
    return jumlah_peserta(session, k.id)


def verifikasi(session: Session, k: Kegiatan, ditolak: Iterable[int] = (),
               jawaban: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Candidates checked against SIMPEG-SIASN: those the operator refuses (participant
    numbers) out; SIASN's answer per candidate (``jawaban``: NIP ->
    :class:`diklat.sync_service.JawabanSiasn`) recorded on each (:mod:`diklat.verifikasi`:
    verified, not eligible with the reason, or not checked). Nobody is verified without an
    answer: a candidate SIASN did not answer for stays a candidate."""
    _set(_nomor(session, k, ditolak, "ditolak"), "ditolak", "tidak memenuhi syarat")
    if jawaban is not None:
        from diklat.verifikasi import catat_jawaban

        catat_jawaban(session, k, jawaban)
    return jumlah_peserta(session, k.id)


def tetapkan_terdaftar(session: Session, k: Kegiatan,
                       tidak_hadir: Iterable[int] = ()) -> dict[str, int]:
    """Confirmed participants are registered; those who will not come are cancelled."""
    _set(_nomor(session, k, tidak_hadir, "tidak_hadir"), "batal", "tidak dapat hadir")
    _set([p for p in _peserta(session, k).values()
          if p.status in ("calon", "diusulkan", "terverifikasi")], "terdaftar")
    return jumlah_peserta(session, k.id)


def catat_hadir(session: Session, k: Kegiatan, tidak_hadir: Iterable[int] = ()) -> dict[str, int]:
    """Registration at the venue: who came."""
    _set(_nomor(session, k, tidak_hadir, "tidak_hadir"), "batal", "tidak hadir")
    _set([p for p in _peserta(session, k).values() if p.status == "terdaftar"], "hadir")
    return jumlah_peserta(session, k.id)


def catat_hasil(session: Session, k: Kegiatan, tidak_lulus: Iterable[int] = (),
                nilai_lulus: float = 80.0,
                nomor_sertifikat: dict[Any, str] | None = None) -> dict[str, int]:
    """Results: every attending participant passes with ``nilai_lulus`` (or the score
    already recorded for him) except those listed, who do not pass. ``nomor_sertifikat``
    (participant number -> the organiser's certificate number) for trainings held outside."""
    failing = {p.id for p in _nomor(session, k, tidak_lulus, "tidak_lulus")}
    certs = {int(n): str(v).strip() for n, v in (nomor_sertifikat or {}).items() if str(v).strip()}
    for p in _nomor(session, k, certs, "nomor_sertifikat"):
        p.nomor_sertifikat = certs[p.nomor_urut or 0][:120]
    scores = {p.id: (50.0 if p.id in failing else (p.nilai if p.nilai is not None
                                                   else nilai_lulus))
              for p in _peserta(session, k).values() if p.status in ("hadir", "lulus",
                                                                      "tidak_lulus")}
    tetapkan_hasil(session, k, scores)
    return jumlah_peserta(session, k.id)
