"""Incoming letters and the agencies' proposals of candidates: outside parties answer for
themselves.

* An **incoming letter** (agenda surat masuk, :func:`catat_surat_masuk`) is recorded with its
  own number and date and who sent it: the organiser's offer (SOP 002 row 1), an agency's
  proposal of candidates (SOP 002 row 8; the replies to SOP 000's notices, row 12). Letters
  that answer it cite it ("Dasar: Surat ... Nomor ... tanggal ...": :func:`dasar`).
* An agency **proposes candidates** (:func:`catat_usulan`) with its letter's number and date
  and the NIPs it proposes, either through the operator (``sumber`` operator, who recorded it
  is kept) or itself through the link in the notice's e-mail (``tautan``): a random token per
  agency and training (:func:`tautan_untuk`), valid until the proposals step's deadline, through
  which nothing but that training's name and that agency's own proposal is visible.
* When the proposals step closes, :func:`rekap` turns the proposals into candidates.

Every refusal is one line (:class:`UsulanDitolak`); nothing is recorded then. No Prefect.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diklat import waktu
from diklat.models import (
    Kegiatan,
    Pegawai,
    Peserta,
    SuratMasuk,
    TautanUsulan,
    UnitKerja,
    Usulan,
)
from diklat.models.base import utcnow
from diklat.rules import nip as nip_rules
from diklat.settings import Settings, get_settings

JENIS_SURAT = ("penawaran", "usulan", "balasan")


class UsulanDitolak(ValueError):
    """A proposal or incoming letter that cannot be recorded (the reason names the field)."""


def _today(settings: Settings) -> dt.date:
    return waktu.hari_ini(settings)


def _nomor(nomor: str) -> str:
    text = " ".join((nomor or "").split())
    if not text:
        raise UsulanDitolak("nomor surat wajib diisi")
    if len(text) > 120:
        raise UsulanDitolak("nomor surat terlalu panjang (paling banyak 120 karakter)")
    return text


def _tanggal(tanggal: dt.date | str, s: Settings) -> dt.date:
    if isinstance(tanggal, str):
        try:
            tanggal = dt.date.fromisoformat(tanggal.strip())
        except ValueError:
            raise UsulanDitolak(
                f"tanggal surat {tanggal!r} tidak terbaca; tulis YYYY-MM-DD"
            ) from None
    if tanggal > _today(s):
        raise UsulanDitolak(f"tanggal surat {tanggal.isoformat()} belum tiba")
    return tanggal


def catat_surat_masuk(
    session: Session,
    k: Kegiatan | None,
    *,
    jenis: str,
    nomor: str,
    tanggal: dt.date | str,
    pengirim: str,
    unit_kode: str | None = None,
    hal: str | None = None,
    sumber: str = "operator",
    dicatat_oleh: str | None = None,
    berkas: Path | None = None,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> SuratMasuk:
    """Record an incoming letter once (the same sender and number again returns it; with
    another date it is refused). ``berkas``: the scan, archived with its hash."""
    s = settings or get_settings()
    if jenis not in JENIS_SURAT:
        raise UsulanDitolak(f"jenis surat masuk harus salah satu dari {', '.join(JENIS_SURAT)}")
    nomor = _nomor(nomor)
    tgl = _tanggal(tanggal, s)
    pengirim = " ".join((pengirim or "").split())
    if not pengirim:
        raise UsulanDitolak("pengirim surat wajib diisi")
    kid = k.id if k is not None else None
    row = session.execute(
        select(SuratMasuk).where(
            SuratMasuk.kegiatan_id == kid,
            SuratMasuk.pengirim == pengirim[:300],
            SuratMasuk.nomor == nomor,
        )
    ).scalar_one_or_none()
    if row is not None:
        if row.tanggal != tgl:
            raise UsulanDitolak(
                f"surat {nomor} dari {pengirim} sudah tercatat bertanggal {row.tanggal.isoformat()}"
            )
        return row
    row = SuratMasuk(
        kegiatan_id=kid,
        jenis=jenis,
        nomor=nomor,
        tanggal=tgl,
        pengirim=pengirim[:300],
        unit_kode=unit_kode,
        hal=(hal or None) and hal[:300],
        diterima_at=now or utcnow(),
        sumber=sumber,
        dicatat_oleh=dicatat_oleh,
    )
    if berkas is not None:
        from diklat.arsip import arsipkan

        e = arsipkan(
            session,
            berkas,
            kegiatan_id=kid,
            klasifikasi="800.2.4.1",
            jenis=f"surat_masuk_{jenis}",
            tanggal=tgl,
            settings=s,
        )
        row.berkas_nama, row.berkas_sha256 = berkas.name[:300], e.sha256
    session.add(row)
    session.flush()
    return row


def surat_penawaran(session: Session, k: Kegiatan) -> SuratMasuk | None:
    """The organiser's offer letter of a training, when recorded."""
    return (
        session.execute(
            select(SuratMasuk)
            .where(SuratMasuk.kegiatan_id == k.id, SuratMasuk.jenis == "penawaran")
            .order_by(SuratMasuk.id)
        )
        .scalars()
        .first()
    )


def dasar(session: Session, k: Kegiatan) -> list[dict[str, Any]]:
    """The incoming letters a training's letters answer ("Dasar"): the organiser's offer,
    as number, date (ISO) and sender."""
    sm = surat_penawaran(session, k)
    if sm is None:
        return []
    return [
        {
            "nomor": sm.nomor,
            "tanggal": sm.tanggal.isoformat(),
            "pengirim": sm.pengirim,
            "hal": sm.hal,
        }
    ]


# --------------------------------------------------------------------------- proposals


@dataclass
class HasilUsulan:
    surat_masuk_id: int
    unit: str
    diusulkan: int  # NIPs recorded now
    sudah: int  # recorded before (the same letter again)


def _unit(session: Session, kode: str) -> UnitKerja:
    u = session.execute(select(UnitKerja).where(UnitKerja.kode == kode)).scalar_one_or_none()
    if u is None:
        raise UsulanDitolak(f"unit kerja {kode!r} tidak dikenal")
    return u


def _bagian_dari(session: Session, unit_kode: str) -> set[str]:
    """A unit and every unit below it (a school under the education office)."""
    units = session.execute(select(UnitKerja.kode, UnitKerja.induk_kode)).all()
    children: dict[str | None, list[str]] = {}
    for kode, induk in units:
        children.setdefault(induk, []).append(kode)
    out, todo = {unit_kode}, [unit_kode]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def catat_usulan(
    session: Session,
    k: Kegiatan,
    *,
    unit_kode: str,
    nomor_surat: str,
    tanggal_surat: dt.date | str,
    nips: Sequence[str],
    sumber: str = "operator",
    oleh_nip: str | None = None,
    berkas: Path | None = None,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> HasilUsulan:
    """An agency's proposal of candidates, from its letter: every NIP valid, an active
    employee of that agency (or a unit below it), not proposed before for this training;
    every problem listed at once, nothing recorded then."""
    s = settings or get_settings()
    if k.status not in ("berjalan", "direncanakan"):
        raise UsulanDitolak(f"kegiatan {k.kode} berstatus {k.status}: usulan tidak diterima")
    u = _unit(session, unit_kode)
    wanted = [n for n in (str(x).strip() for x in nips) if n]
    if not wanted:
        raise UsulanDitolak("usulan tidak memuat NIP")
    problems: list[str] = []
    ids: list[int] = []
    allowed = _bagian_dari(session, u.kode)
    seen: set[str] = set()
    for i, raw in enumerate(wanted, start=1):
        info = nip_rules.parse(raw)
        if not info.valid:
            problems.append(f"baris {i}: NIP tidak valid ({info.reason})")
            continue
        if info.nip in seen:
            problems.append(f"baris {i}: NIP ditulis dua kali")
            continue
        seen.add(info.nip)
        p = session.execute(select(Pegawai).where(Pegawai.nip == info.nip)).scalar_one_or_none()
        if p is None or not p.aktif:
            problems.append(f"baris {i}: bukan pegawai aktif")
            continue
        if p.unit is None or p.unit.kode not in allowed:
            problems.append(f"baris {i}: bukan pegawai {u.nama}")
            continue
        ids.append(p.id)
    if problems:
        raise UsulanDitolak("; ".join(problems))
    sm = catat_surat_masuk(
        session,
        k,
        jenis="usulan",
        nomor=nomor_surat,
        tanggal=tanggal_surat,
        pengirim=u.nama,
        unit_kode=u.kode,
        hal=f"Usulan calon peserta {k.nama}",
        sumber=sumber,
        dicatat_oleh=oleh_nip,
        berkas=berkas,
        now=now,
        settings=s,
    )
    existing = {
        r.pegawai_id: r
        for r in session.execute(
            select(Usulan).where(Usulan.kegiatan_id == k.id, Usulan.pegawai_id.in_(ids))
        ).scalars()
    }
    other = [
        i
        for i, pid in enumerate(ids, start=1)
        if pid in existing and existing[pid].surat_masuk_id != sm.id
    ]
    if other:
        raise UsulanDitolak(
            "; ".join(f"baris {i}: sudah diusulkan dengan surat lain" for i in other)
        )
    made = 0
    for pid in ids:
        if pid not in existing:
            session.add(
                Usulan(
                    kegiatan_id=k.id,
                    surat_masuk_id=sm.id,
                    unit_kode=u.kode,
                    pegawai_id=pid,
                    created_at=now or utcnow(),
                )
            )
            made += 1
    session.flush()
    return HasilUsulan(sm.id, u.kode, made, len(ids) - made)


def daftar_usulan(session: Session, k: Kegiatan) -> list[dict[str, Any]]:
    """The agencies' proposals of a training (``diklat usulan list``): unit, letter number
    and date, how many, and whether the operator or the agency's link recorded it."""
    rows = session.execute(
        select(SuratMasuk, func.count(Usulan.id))
        .join(Usulan, Usulan.surat_masuk_id == SuratMasuk.id, isouter=True)
        .where(SuratMasuk.kegiatan_id == k.id, SuratMasuk.jenis == "usulan")
        .group_by(SuratMasuk.id)
        .order_by(SuratMasuk.diterima_at, SuratMasuk.id)
    ).all()
    return [
        {
            "unit": sm.unit_kode,
            "nama_unit": sm.pengirim,
            "nomor_surat": sm.nomor,
            "tanggal_surat": sm.tanggal.isoformat(),
            "jumlah": int(n),
            "sumber": sm.sumber,
            "diterima": sm.diterima_at.isoformat(timespec="seconds"),
        }
        for sm, n in rows
    ]


def unit_membalas(session: Session, k: Kegiatan) -> set[str]:
    return {
        u
        for u in session.execute(
            select(SuratMasuk.unit_kode).where(
                SuratMasuk.kegiatan_id == k.id, SuratMasuk.jenis == "usulan"
            )
        ).scalars()
        if u
    }


def rekap(session: Session, k: Kegiatan, *, unit_diminta: Iterable[str] = ()) -> dict[str, int]:
    """The proposals become the training's candidates (``diusulkan``). Where candidates were
    planned from criteria (SOP 000), an agency's planned candidates it did not propose are
    cancelled with the reason, and so are those of an agency that did not answer; the
    agencies asked (``unit_diminta``) are the ones that received a notice."""
    from diklat.kegiatan.data import jumlah_peserta, tetapkan_peserta

    props = list(
        session.execute(
            select(Usulan).where(Usulan.kegiatan_id == k.id).order_by(Usulan.id)
        ).scalars()
    )
    proposed = {u.pegawai_id for u in props}
    answered = unit_membalas(session, k)
    tetapkan_peserta(session, k, [u.pegawai_id for u in props], status="diusulkan")
    for p in session.execute(select(Peserta).where(Peserta.kegiatan_id == k.id)).scalars():
        if p.pegawai_id in proposed:
            if p.status == "calon":
                p.status, p.status_at = "diusulkan", utcnow()
            continue
        if p.status != "calon":
            continue
        peg = session.get(Pegawai, p.pegawai_id)
        unit = peg.unit.kode if peg is not None and peg.unit is not None else None
        p.status, p.status_at = "batal", utcnow()
        p.catatan = (
            "tidak diusulkan oleh instansinya"
            if unit in answered
            else "instansi tidak menyampaikan usulan"
        )
    del unit_diminta
    session.flush()
    return jumlah_peserta(session, k.id)


# --------------------------------------------------------------------------- the agency's link


def tautan_untuk(session: Session, k: Kegiatan, unit_kode: str, berlaku_sampai: dt.datetime) -> str:
    """The agency's link token for this training: made once (the same token again when the
    notice's e-mail is built again), valid until ``berlaku_sampai`` (the latest given)."""
    row = session.execute(
        select(TautanUsulan).where(
            TautanUsulan.kegiatan_id == k.id, TautanUsulan.unit_kode == unit_kode
        )
    ).scalar_one_or_none()
    if row is None:
        row = TautanUsulan(
            kegiatan_id=k.id,
            unit_kode=unit_kode,
            token=secrets.token_urlsafe(24),
            berlaku_sampai=berlaku_sampai,
        )
        session.add(row)
    elif row.berlaku_sampai is None or row.berlaku_sampai < berlaku_sampai:
        row.berlaku_sampai = berlaku_sampai
    session.flush()
    return row.token


@dataclass
class Tautan:
    kegiatan: Kegiatan
    unit: UnitKerja
    berlaku_sampai: dt.datetime | None
    row: TautanUsulan


def buka_tautan(session: Session, token: str, *, now: dt.datetime | None = None) -> Tautan:
    """The training and agency behind a link; :class:`LookupError` for an unknown token,
    :class:`UsulanDitolak` once its deadline passed or the training no longer takes
    proposals."""
    if not token or len(token) > 64:
        raise LookupError(token)
    row = session.execute(
        select(TautanUsulan).where(TautanUsulan.token == token)
    ).scalar_one_or_none()
    if row is None:
        raise LookupError(token)
    k = session.get(Kegiatan, row.kegiatan_id)
    assert k is not None
    u = _unit(session, row.unit_kode)
    moment = now or utcnow()
    if row.berlaku_sampai is not None and moment > row.berlaku_sampai:
        raise UsulanDitolak("batas waktu usulan sudah lewat; hubungi BKPSDM")
    if k.status not in ("berjalan", "direncanakan"):
        raise UsulanDitolak(f"kegiatan {k.nama} tidak lagi menerima usulan")
    return Tautan(k, u, row.berlaku_sampai, row)


def usulan_unit(session: Session, k: Kegiatan, unit_kode: str) -> list[dict[str, Any]]:
    """What an agency proposed for a training (for its own page): letter and count."""
    return [r for r in daftar_usulan(session, k) if r["unit"] == unit_kode]


__all__ = [
    "HasilUsulan",
    "Tautan",
    "UsulanDitolak",
    "buka_tautan",
    "catat_surat_masuk",
    "catat_usulan",
    "dasar",
    "daftar_usulan",
    "rekap",
    "surat_penawaran",
    "tautan_untuk",
    "unit_membalas",
    "usulan_unit",
]
