"""Starting a training: checked completely before it is created (:mod:`diklat.kesiapan`),
created once under its code (a second start with the same data continues it), and, for a SOP
run, its state read in one go (:class:`MulaiKegiatan`: status, conditions, the ledger's steps,
the letters still open).

Above the training record (:mod:`diklat.kegiatan.data`), the readiness check and the letter step:
the record itself imports none of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diklat.kegiatan import ledger
from diklat.kegiatan.data import (
    DataKegiatan,
    KegiatanBelumSiap,
    KegiatanDitolak,
    catat_audit,
    data_kegiatan,
    periksa,
    row_values,
)
from diklat.kesiapan import periksa_kegiatan
from diklat.models import AuditKegiatan, Kegiatan
from diklat.naskah.langkah import naskah_terbuka


@dataclass(frozen=True)
class MulaiKegiatan:
    """What a SOP run knows when it (re)starts a training, read in one query: its code,
    status (and why, for a stopped one), conditions, each step's ledger status and the
    document types issued but not archived yet."""

    kode: str
    status: str
    alasan: str | None
    kondisi: list[str]
    langkah: dict[int, str]
    naskah_terbuka: list[str]

    @property
    def berhenti(self) -> bool:
        """Refused or cancelled before this run: the run does nothing more."""
        return self.status in ("ditolak", "dibatalkan")


def mulai_kegiatan(
    session: Session, data: DataKegiatan, flow_run_id: str | None = None
) -> MulaiKegiatan:
    """Create the training (or continue it: the same code and data), record the run that
    carries it, and read its state (:class:`MulaiKegiatan`)."""
    k = simpan_kegiatan(session, data)
    k.flow_run_id = flow_run_id
    state = ledger.keadaan(session, k.id)
    return MulaiKegiatan(
        kode=k.kode,
        status=k.status,
        alasan=k.status_alasan,
        kondisi=list(k.kondisi),
        langkah={no: lg.status for no, lg in state.items()},
        naskah_terbuka=naskah_terbuka(session, k.id),
    )


def simpan_kegiatan(
    session: Session, raw: dict[str, Any] | DataKegiatan, *, oleh_nip: str | None = None
) -> Kegiatan:
    """Create a training (idempotent): the same data under an existing code returns it
    (checked again while none of its steps has started: a run starting it finds what went
    missing since); different data is refused (field ``kode``), unless the stored training
    was corrected since with ``diklat kegiatan ubah`` (the stored record wins over a run's
    parameters; SOP and conditions must agree); a cancelled training's code is refused.

    A new training is checked completely first (:func:`diklat.kesiapan.periksa_kegiatan`:
    every field, the unit criteria, the employees, an official with an e-mail address for
    every role of every approval on its path, every field its letters print):
    :class:`KegiatanBelumSiap` lists every problem, and nothing is created. Two starts of the
    same new training at once: the second finds the first's row."""
    try:
        d: DataKegiatan | None = periksa(raw)
    except KegiatanDitolak:
        d = None
    if d is not None:
        k = session.execute(select(Kegiatan).where(Kegiatan.kode == d.kode)).scalar_one_or_none()
        if k is not None:
            return _lanjutkan(session, k, d)
    d, masalah = periksa_kegiatan(session, raw)
    if masalah or d is None:
        raise KegiatanBelumSiap(masalah)
    k = Kegiatan(kode=d.kode, status="direncanakan", **row_values(d))
    try:
        with session.begin_nested():  # another start may create the same code right now
            session.add(k)
            session.flush()
    except IntegrityError:
        other = session.execute(
            select(Kegiatan).where(Kegiatan.kode == d.kode)
        ).scalar_one_or_none()
        if other is None:
            raise
        return _lanjutkan(session, other, d)
    catat_audit(session, k, "buat", oleh_nip=oleh_nip)
    return k


def _lanjutkan(session: Session, k: Kegiatan, d: DataKegiatan) -> Kegiatan:
    """The existing training ``k`` for a create (or a run's start) with data ``d``."""
    if k.status == "dibatalkan":
        raise KegiatanDitolak(
            "kode",
            f"kegiatan {k.kode} sudah dibatalkan"
            + (f" ({k.catatan})" if k.catatan else "")
            + "; pakai kode lain",
        )
    if data_kegiatan(k) == d:
        if k.status == "direncanakan":  # created earlier, started now: checked again
            _d, masalah = periksa_kegiatan(session, d)
            if masalah:
                raise KegiatanBelumSiap(masalah)
        return k
    if (
        _pernah_diubah(session, k)
        and d.sop == k.sop
        and sorted(set(d.kondisi)) == sorted(k.kondisi)
    ):
        return k  # corrected by `kegiatan ubah` after the run started: the record wins
    raise KegiatanDitolak("kode", f"{d.kode} sudah dipakai kegiatan lain dengan data berbeda")


def _pernah_diubah(session: Session, k: Kegiatan) -> bool:
    return (
        session.execute(
            select(AuditKegiatan.id)
            .where(AuditKegiatan.kegiatan_id == k.id, AuditKegiatan.aksi == "ubah")
            .limit(1)
        ).first()
        is not None
    )
