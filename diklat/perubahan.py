"""Correcting and cancelling a training (``diklat kegiatan ubah`` / ``batal``), audited.

* :func:`ubah_kegiatan` corrects a training that has not issued anything yet: refused once a
  letter of it is numbered or a draft was decided on (paraf, signature, revision or refusal),
  and after it was cancelled or finished. The corrected training is checked as completely as a
  new one (:func:`diklat.kesiapan.periksa_kegiatan`); the SOP and the conditions change only
  before its path started. The audit row keeps every field before and after.
* :func:`batalkan_kegiatan` closes a training: status ``dibatalkan`` with the reason
  (``kegiatan.catatan``), its open ledger rows closed (``gagal``, the reason as the note), its
  waiting approval requests ``dibatalkan`` and their unused codes expired, an audit row. It
  returns the Prefect flow run ids the training's rows name, for the caller to cancel through
  Prefect's API (the domain never imports Prefect). Cancelling twice changes nothing.

Plain functions taking a ``Session``; no Prefect here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from diklat.kegiatan import ledger
from diklat.kegiatan.data import (
    DataKegiatan,
    KegiatanBelumSiap,
    KegiatanDitolak,
    catat_audit,
    data_kegiatan,
    kegiatan_by_kode,
    row_values,
)
from diklat.models import (
    Bundel,
    Kegiatan,
    KodeVerifikasi,
    Naskah,
    Pegawai,
    Pejabat,
    Permintaan,
    Persetujuan,
    SopStepLog,
)
from diklat.models.base import utcnow
from diklat.rules import nip as nip_rules

#: Prefect flow run names of a training's SOP runs (``pd-<KODE>``, ``pk-<KODE>``).
PREFIX_RUN = ("pd", "pk")


class PerubahanDitolak(ValueError):
    """A correction or cancellation that cannot be made (one line, the reason)."""


def _pelaku(session: Session, oleh_nip: str | None) -> str | None:
    """The NIP of who acts, normalised; it must be an official's or an employee's."""
    if oleh_nip is None or not oleh_nip.strip():
        return None
    info = nip_rules.parse(oleh_nip)
    if not info.valid:
        raise PerubahanDitolak(f"--oleh: NIP tidak valid ({info.reason})")
    known = (
        session.execute(select(Pejabat.id).where(Pejabat.nip == info.nip).limit(1)).first()
        or session.execute(select(Pegawai.id).where(Pegawai.nip == info.nip).limit(1)).first()
    )
    if not known:
        raise PerubahanDitolak("--oleh: NIP itu bukan pejabat atau pegawai yang dikenal")
    return info.nip


def sudah_terbit(session: Session, k: Kegiatan) -> str | None:
    """Why the training can no longer be corrected (a letter numbered, a draft decided on),
    or None."""
    nomor = session.execute(
        select(Naskah.jenis).where(Naskah.kegiatan_id == k.id, Naskah.nomor.is_not(None)).limit(1)
    ).scalar()
    if nomor is not None:
        return f"naskah {nomor} sudah bernomor"
    diputuskan = session.execute(
        select(Bundel.jenis)
        .join(Persetujuan, Persetujuan.bundel_id == Bundel.id)
        .where(Bundel.kegiatan_id == k.id)
        .limit(1)
    ).scalar()
    if diputuskan is None:
        diputuskan = session.execute(
            select(Bundel.jenis)
            .join(Permintaan, Permintaan.bundel_id == Bundel.id)
            .where(Bundel.kegiatan_id == k.id, Permintaan.keputusan.is_not(None))
            .limit(1)
        ).scalar()
    if diputuskan is not None:
        return f"draf {diputuskan} sudah diputuskan pejabat"
    return None


@dataclass
class HasilUbah:
    kegiatan: Kegiatan
    perubahan: dict[str, list[Any]] = field(default_factory=dict)  # field -> [before, after]
    draf_lama: list[str] = field(default_factory=list)  # undecided drafts made from old data


def ubah_kegiatan(
    session: Session, kode: str, perubahan: dict[str, Any], *, oleh_nip: str | None = None
) -> HasilUbah:
    """Correct training ``kode`` with the fields in ``perubahan`` (``DataKegiatan`` names;
    ``kriteria`` may be partial). Nothing changes (no audit row) when the values are the
    same. :class:`KegiatanBelumSiap` lists every problem of the corrected training."""
    k = kegiatan_by_kode(session, kode)
    if k.status == "dibatalkan":
        raise PerubahanDitolak(f"kegiatan {kode} sudah dibatalkan; tidak dapat diubah")
    if k.status == "selesai":
        raise PerubahanDitolak(f"kegiatan {kode} sudah selesai; tidak dapat diubah")
    why = sudah_terbit(session, k)
    if why:
        raise PerubahanDitolak(
            f"kegiatan {kode} tidak dapat diubah lagi: {why}; batalkan "
            f"dengan `diklat kegiatan batal {kode} --alasan ...` lalu buat "
            "kegiatan baru"
        )
    oleh = _pelaku(session, oleh_nip)
    lama = data_kegiatan(k).model_dump()
    if "kode" in perubahan and perubahan["kode"] != k.kode:
        raise KegiatanDitolak("kode", "kode kegiatan tidak dapat diubah")
    baru = {**lama, **{f: v for f, v in perubahan.items() if f != "kriteria"}}
    if "kriteria" in perubahan:
        baru["kriteria"] = {**lama["kriteria"], **perubahan["kriteria"]}
    started = session.execute(
        select(SopStepLog.id).where(SopStepLog.kegiatan_id == k.id).limit(1)
    ).first() is not None or bool(k.flow_run_id)
    if started and (
        baru["sop"] != lama["sop"] or sorted(set(baru["kondisi"])) != sorted(set(lama["kondisi"]))
    ):
        raise PerubahanDitolak(
            f"kegiatan {kode} sudah berjalan: SOP dan kondisinya tidak dapat diubah"
        )
    from diklat.kesiapan import periksa_kegiatan

    d, masalah = periksa_kegiatan(session, baru)
    if masalah or d is None:
        raise KegiatanBelumSiap(masalah)
    after = d.model_dump()
    before = DataKegiatan.model_validate(lama).model_dump()
    diff = {f: [before[f], after[f]] for f in after if before[f] != after[f]}
    if diff:
        for col, value in row_values(d).items():
            setattr(k, col, value)
        session.flush()
        catat_audit(session, k, "ubah", oleh_nip=oleh, perubahan=diff)
    draf = (
        sorted(
            {
                str(j)
                for j in session.execute(
                    select(Bundel.jenis).where(Bundel.kegiatan_id == k.id, Bundel.status == "draf")
                ).scalars()
            }
        )
        if diff
        else []
    )
    return HasilUbah(kegiatan=k, perubahan=diff, draf_lama=draf)


@dataclass
class HasilBatal:
    kode: str
    alasan: str
    langkah_ditutup: list[int] = field(default_factory=list)
    permintaan_dibatalkan: int = 0
    #: Prefect flow run ids the training's rows name (the training's runs and its waits).
    flow_run_ids: list[str] = field(default_factory=list)
    sudah: bool = False  # it was cancelled before: nothing changed now

    @property
    def nama_run(self) -> list[str]:
        return [f"{p}-{self.kode}" for p in PREFIX_RUN]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kegiatan": self.kode,
            "status": "dibatalkan",
            "alasan": self.alasan,
            "langkah_ditutup": self.langkah_ditutup,
            "permintaan_dibatalkan": self.permintaan_dibatalkan,
            "sudah_dibatalkan": self.sudah,
        }


def batalkan_kegiatan(
    session: Session, kode: str, alasan: str, *, oleh_nip: str | None = None
) -> HasilBatal:
    """Cancel training ``kode`` (see the module docstring)."""
    alasan = " ".join((alasan or "").split())
    if len(alasan) < 3:
        raise PerubahanDitolak("--alasan wajib diisi (paling sedikit 3 huruf)")
    k = kegiatan_by_kode(session, kode)
    runs = _run_ids(session, k)
    if k.status == "dibatalkan":
        return HasilBatal(kode=k.kode, alasan=k.catatan or alasan, flow_run_ids=runs, sudah=True)
    if k.status == "selesai":
        raise PerubahanDitolak(f"kegiatan {kode} sudah selesai; tidak dapat dibatalkan")
    oleh = _pelaku(session, oleh_nip)
    now = utcnow()
    note = f"kegiatan dibatalkan: {alasan}"
    # every open row (every level of a step where the ledger keeps one per level) ends as
    # the ledger's own ``gagal`` ends one: failed now, the reason as its note
    closed: set[int] = set()
    for row in session.execute(
        select(SopStepLog).where(
            SopStepLog.kegiatan_id == k.id, SopStepLog.status.in_(sorted(ledger.TERBUKA))
        )
    ).scalars():
        ledger.pindah(row, ledger.GAGAL)
        row.finished_at, row.note = now, note[:2000]
        closed.add(row.step_no)
    from diklat.naskah import persetujuan

    # waiting and locked requests alike: a locked one of a cancelled training is nobody's work
    waiting = list(
        session.execute(
            select(Permintaan).where(
                Permintaan.kegiatan_id == k.id,
                Permintaan.status.in_([persetujuan.MENUNGGU, persetujuan.TERKUNCI]),
            )
        ).scalars()
    )
    for p in waiting:
        persetujuan.pindah(p, persetujuan.DIBATALKAN)
        p.catatan = (p.catatan or note)[:2000]
    if waiting:
        for code in session.execute(
            select(KodeVerifikasi).where(
                KodeVerifikasi.permintaan_id.in_([p.id for p in waiting]),
                KodeVerifikasi.used_at.is_(None),
            )
        ).scalars():
            code.expires_at = min(code.expires_at, now)
    from diklat.naskah.persetujuan import hentikan_kegiatan

    hentikan_kegiatan(
        session, k, "dibatalkan", f"dibatalkan oleh {_nama(session, oleh)}: {alasan}", now=now
    )
    k.catatan = alasan[:2000]
    session.flush()
    hasil = HasilBatal(
        kode=k.kode,
        alasan=alasan,
        langkah_ditutup=sorted(closed),
        permintaan_dibatalkan=len(waiting),
        flow_run_ids=runs,
    )
    catat_audit(
        session,
        k,
        "batal",
        oleh_nip=oleh,
        alasan=alasan,
        perubahan={
            "langkah_ditutup": sorted(closed),
            "permintaan_dibatalkan": len(waiting),
            "flow_run": runs,
        },
    )
    return hasil


def _nama(session: Session, nip: str | None) -> str:
    from diklat.models import Pejabat

    if not nip:
        return "operator"
    p = session.execute(select(Pejabat.nama).where(Pejabat.nip == nip)).scalars().first()
    return p or "operator"


def _run_ids(session: Session, k: Kegiatan) -> list[str]:
    ids = {k.flow_run_id} if k.flow_run_id else set()
    ids.update(
        str(x)
        for x in session.execute(
            select(SopStepLog.flow_run_id)
            .where(SopStepLog.kegiatan_id == k.id, SopStepLog.flow_run_id.is_not(None))
            .distinct()
        ).scalars()
    )
    ids.update(
        str(x)
        for x in session.execute(
            select(Permintaan.flow_run_id)
            .where(Permintaan.kegiatan_id == k.id, Permintaan.flow_run_id.is_not(None))
            .distinct()
        ).scalars()
    )
    return sorted(ids)


def riwayat_kegiatan(session: Session, kode: str) -> list[dict[str, Any]]:
    """The training's audit rows, oldest first."""
    from diklat.models import AuditKegiatan

    k = kegiatan_by_kode(session, kode)
    return [
        {
            "aksi": a.aksi,
            "oleh_nip": a.oleh_nip,
            "alasan": a.alasan,
            "perubahan": json.loads(a.perubahan_json) if a.perubahan_json else None,
            "at": a.at.isoformat(timespec="seconds"),
        }
        for a in session.execute(
            select(AuditKegiatan)
            .where(AuditKegiatan.kegiatan_id == k.id)
            .order_by(AuditKegiatan.id)
        ).scalars()
    ]
