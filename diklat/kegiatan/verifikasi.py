"""Verifying candidates against SIASN (SOP 002 row 10), one answer per candidate.

Each candidate still to be checked (status ``calon`` or ``diusulkan``) is asked of SIASN
through the personnel write path (:func:`diklat.pegawai.sync_service.refresh_from_siasn`, which also
refreshes his data) and gets SIASN's real answer, stored on the participant
(``peserta.verifikasi``, ``verifikasi_alasan``, ``verifikasi_at``):

* ``terverifikasi``: SIASN knows him, he is active, his golongan and position fit the
  training's criteria (status ``terverifikasi``);
* ``tidak_memenuhi`` with the reason: ``tidak_aktif`` (SIASN's kedudukan is not Aktif:
  retired, on leave ...), ``tidak_ditemukan`` (SIASN does not know the NIP),
  ``nip_tidak_valid``, ``golongan`` or ``jabatan`` (outside the training's criteria); status
  ``ditolak`` with the reason as note;
* ``belum_diperiksa`` with ``gagal`` (SIASN failed or could not be reached) or
  ``tidak_terbaca`` (its answer could not be read): never counted as verified; the status
  stays, and the next run asks again.

:func:`verifikasi_calon` returns a :class:`HasilVerifikasi` (counts, the reasons, the
participant numbers not checked): while some are not checked the step is not done, and the
flow waits (or the operator decides). Messages and results name participants by their number
in the list, never by NIP. No Prefect here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from diklat.kegiatan.data import Kriteria, data_kegiatan, jumlah_peserta, kegiatan_by_kode
from diklat.models import Kegiatan, Pegawai, Peserta
from diklat.models.base import utcnow
from diklat.pegawai.sync_service import JawabanSiasn

TERVERIFIKASI, TIDAK_MEMENUHI, BELUM_DIPERIKSA = (
    "terverifikasi",
    "tidak_memenuhi",
    "belum_diperiksa",
)
#: Reasons, as the operator reads them.
ALASAN: dict[str, str] = {
    "tidak_aktif": "tidak aktif menurut SIASN",
    "tidak_ditemukan": "NIP tidak ditemukan di SIASN",
    "nip_tidak_valid": "NIP tidak valid",
    "golongan": "golongan di luar kriteria kegiatan",
    "jabatan": "jabatan di luar kriteria kegiatan",
    "gagal": "belum diperiksa: SIASN gagal atau tidak terjangkau",
    "tidak_terbaca": "belum diperiksa: jawaban SIASN tidak terbaca",
}
#: Participant statuses still waiting for their check.
DIPERIKSA = ("calon", "diusulkan")
_TIDAK_MEMENUHI = {"tidak_ditemukan": "tidak_ditemukan", "nip_tidak_valid": "nip_tidak_valid"}


@dataclass(frozen=True)
class HasilVerifikasi:
    """The outcome of one verification run of a training."""

    kode: str
    terverifikasi: int = 0
    tidak_memenuhi: int = 0
    belum_diperiksa: int = 0
    #: Participant numbers (``nomor urut``) SIASN did not answer for: the step waits.
    nomor_belum_diperiksa: list[int] = field(default_factory=list)
    #: Reason -> how many (not eligible and not checked).
    alasan: dict[str, int] = field(default_factory=dict)
    #: How the SIASN refresh ended: ``berhasil``, ``sebagian`` (some NIPs not fetched),
    #: ``gagal`` (SIASN down, a sync holding the lock ...), None when nobody was asked.
    siasn: str | None = None
    peserta: dict[str, int] = field(default_factory=dict)  # counts by status afterwards

    @property
    def selesai(self) -> bool:
        """Every candidate has SIASN's answer: the step may close."""
        return self.belum_diperiksa == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kegiatan": self.kode,
            "terverifikasi": self.terverifikasi,
            "tidak_memenuhi": self.tidak_memenuhi,
            "belum_diperiksa": self.belum_diperiksa,
            "nomor_belum_diperiksa": list(self.nomor_belum_diperiksa),
            "alasan": dict(self.alasan),
            "siasn": self.siasn,
            "selesai": self.selesai,
            "peserta": dict(self.peserta),
        }


def nilai_calon(record: Mapping[str, Any], kriteria: Kriteria) -> str | None:
    """Why a candidate SIASN knows is not eligible (a reason code), or None when he is:
    active (SIASN's kedudukan ``Aktif``), golongan and position within the criteria."""
    status = record.get("status")
    if record.get("aktif") is False or (status and not str(status).startswith("Aktif")):
        return "tidak_aktif"
    if kriteria.golongan and not str(record.get("golongan") or "").startswith(
        tuple(kriteria.golongan)
    ):
        return "golongan"
    if kriteria.jabatan:
        jabatan = str(record.get("jabatan") or "").lower()
        if not any(word.lower() in jabatan for word in kriteria.jabatan):
            return "jabatan"
    return None


def _menilai(jawab: JawabanSiasn | None, kriteria: Kriteria) -> tuple[str, str | None]:
    if jawab is None:
        return BELUM_DIPERIKSA, "gagal"  # never asked: SIASN down before it came to him
    if jawab.hasil == "ada" and jawab.record is not None:
        reason = nilai_calon(jawab.record, kriteria)
        return (TIDAK_MEMENUHI, reason) if reason else (TERVERIFIKASI, None)
    if jawab.hasil in _TIDAK_MEMENUHI:
        return TIDAK_MEMENUHI, _TIDAK_MEMENUHI[jawab.hasil]
    return BELUM_DIPERIKSA, "tidak_terbaca" if jawab.hasil == "tidak_terbaca" else "gagal"


def calon_diperiksa(session: Session, k: Kegiatan) -> list[tuple[Peserta, str]]:
    """The candidates still to check, with their NIPs, in participant order."""
    rows = session.execute(
        select(Peserta, Pegawai.nip)
        .join(Pegawai, Pegawai.id == Peserta.pegawai_id)
        .where(Peserta.kegiatan_id == k.id, Peserta.status.in_(DIPERIKSA))
        .order_by(Peserta.nomor_urut)
    ).all()
    return [(p, str(nip)) for p, nip in rows]


def catat_jawaban(
    session: Session,
    k: Kegiatan,
    jawaban: Mapping[str, JawabanSiasn],
    *,
    siasn: str | None = None,
    now: dt.datetime | None = None,
) -> HasilVerifikasi:
    """Record SIASN's answer on every candidate still to check (a candidate missing from
    ``jawaban`` was not reached: not checked). Idempotent: a verified or refused
    candidate is not asked again."""
    kriteria = data_kegiatan(k).kriteria
    moment = now or utcnow()
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    unchecked: list[int] = []
    for p, nip in calon_diperiksa(session, k):
        hasil, reason = _menilai(jawaban.get(nip), kriteria)
        counts[hasil] += 1
        if reason:
            reasons[reason] += 1
        p.verifikasi, p.verifikasi_alasan, p.verifikasi_at = hasil, reason, moment
        if hasil == TERVERIFIKASI:
            p.status, p.status_at, p.catatan = "terverifikasi", moment, None
        elif hasil == TIDAK_MEMENUHI:
            p.status, p.status_at = "ditolak", moment
            p.catatan = ALASAN.get(reason or "", reason)
        else:
            p.catatan = ALASAN.get(reason or "", reason)
            unchecked.append(p.nomor_urut or 0)
    session.flush()
    return HasilVerifikasi(
        kode=k.kode,
        terverifikasi=counts[TERVERIFIKASI],
        tidak_memenuhi=counts[TIDAK_MEMENUHI],
        belum_diperiksa=counts[BELUM_DIPERIKSA],
        nomor_belum_diperiksa=unchecked,
        alasan=dict(reasons),
        siasn=siasn,
        peserta=jumlah_peserta(session, k.id),
    )


def verifikasi_calon(
    engine: Engine, kode: str, *, client: Any = None, flow_run_id: str | None = None
) -> HasilVerifikasi:
    """Ask SIASN about every candidate of training ``kode`` still to check and record each
    answer (see the module docstring). SIASN failing or a sync holding the lock leaves the
    candidates not reached as not checked; a configuration SIASN cannot work with is raised
    (nothing to wait for)."""
    from diklat.db import session_scope
    from diklat.pegawai.sync_service import refresh_from_siasn

    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, kode)
        nips = [nip for _p, nip in calon_diperiksa(s, k)]
    jawaban: dict[str, JawabanSiasn] = {}
    status: str | None = None
    if nips:
        try:
            refresh_from_siasn(
                engine, nips, client=client, flow_run_id=flow_run_id, jawaban=jawaban
            )
            status = "berhasil"
        except Exception as e:
            if _salah_konfigurasi(e):
                raise
            answered = any(j.hasil != "gagal" for j in jawaban.values())
            status = "sebagian" if answered else "gagal"
    with session_scope(engine) as s:
        return catat_jawaban(s, kegiatan_by_kode(s, kode), jawaban, siasn=status)


def _salah_konfigurasi(e: BaseException) -> bool:
    from connectors.siasn import SiasnMisconfigured
    from diklat.settings import KonfigurasiSalah

    return isinstance(e, KonfigurasiSalah | SiasnMisconfigured) or isinstance(
        e.__cause__, SiasnMisconfigured | KonfigurasiSalah
    )


def ringkasan_verifikasi(session: Session, kegiatan_id: int) -> dict[str, Any]:
    """What ``kegiatan show`` says about the check: counts by answer, reasons, and the
    participant numbers not checked yet."""
    rows = session.execute(
        select(Peserta.nomor_urut, Peserta.verifikasi, Peserta.verifikasi_alasan)
        .where(Peserta.kegiatan_id == kegiatan_id, Peserta.verifikasi.is_not(None))
        .order_by(Peserta.nomor_urut)
    ).all()
    counts: Counter[str] = Counter(str(r.verifikasi) for r in rows)
    reasons: Counter[str] = Counter(str(r.verifikasi_alasan) for r in rows if r.verifikasi_alasan)
    return {
        TERVERIFIKASI: counts[TERVERIFIKASI],
        TIDAK_MEMENUHI: counts[TIDAK_MEMENUHI],
        BELUM_DIPERIKSA: counts[BELUM_DIPERIKSA],
        "alasan": dict(reasons),
        "nomor_belum_diperiksa": [
            int(r.nomor_urut or 0) for r in rows if r.verifikasi == BELUM_DIPERIKSA
        ],
    }
