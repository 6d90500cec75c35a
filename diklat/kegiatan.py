"""Trainings (kegiatan) and their participants: idempotent creation and participant lists.

Plain functions taking a ``Session`` (or an ``Engine`` for read-only pandas frames), so a flow
resumed from the top calls them again and gets what is already there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from diklat.models import Kegiatan, Pegawai, Peserta, UnitKerja
from diklat.models.base import utcnow


def ensure_kegiatan(session: Session, kode: str, **fields: Any) -> Kegiatan:
    """The training with this ``kode``; created with ``fields`` the first time. Later calls
    return it unchanged (a resumed flow must not overwrite what an operator edited)."""
    k = session.execute(select(Kegiatan).where(Kegiatan.kode == kode)).scalar_one_or_none()
    if k is None:
        if "sop_code" not in fields or "nama" not in fields:
            raise ValueError("kegiatan baru membutuhkan sop_code dan nama")
        k = Kegiatan(kode=kode, **fields)
        session.add(k)
        session.flush()
    return k


def pegawai_frame(engine: Engine, *, aktif: bool = True) -> pd.DataFrame:
    """Employees with their unit as a DataFrame (no contact data: nobody needs it here)."""
    p, u = Pegawai, UnitKerja
    stmt = (
        select(p.id, p.nip, p.nama, p.gelar_depan, p.gelar_belakang, p.jenis_kelamin,
               p.jabatan, p.golongan, p.pangkat, p.status, u.kode.label("unit_kode"),
               u.nama.label("unit_nama"))
        .join(u, p.unit_id == u.id)
        .where(p.aktif.is_(aktif))
        .order_by(p.nip)
    )
    with engine.connect() as conn:
        return pd.read_sql(stmt, conn, dtype={"nip": "string"})


def daftar_calon(
    engine: Engine,
    jumlah: int,
    *,
    unit_kodes: Sequence[str] | None = None,
    golongan_awalan: Sequence[str] | None = None,
    per_unit: int | None = None,
) -> pd.DataFrame:
    """A candidate list: active employees (status Aktif), optionally from some units and
    ranks, spread over the units (round-robin by NIP order) up to ``jumlah``."""
    df = pegawai_frame(engine)
    df = df[df["status"].fillna("Aktif").str.startswith("Aktif")]
    if unit_kodes:
        df = df[df["unit_kode"].isin(list(unit_kodes))]
    if golongan_awalan:
        df = df[df["golongan"].fillna("").str.startswith(tuple(golongan_awalan))]
    df = df.assign(_rank=df.groupby("unit_kode").cumcount())
    if per_unit is not None:
        df = df[df["_rank"] < per_unit]
    df = df.sort_values(["_rank", "unit_kode", "nip"]).head(jumlah)
    return df.drop(columns="_rank").sort_values(["unit_nama", "nama"]).reset_index(drop=True)


def tetapkan_peserta(session: Session, kegiatan: Kegiatan, pegawai_ids: Iterable[int],
                     status: str = "calon") -> list[Peserta]:
    """Add these employees as participants (idempotent by (kegiatan, pegawai)); numbers
    them in order. Returns all participants of the training."""
    existing = {p.pegawai_id: p for p in session.execute(
        select(Peserta).where(Peserta.kegiatan_id == kegiatan.id)).scalars()}
    urut = max((p.nomor_urut or 0 for p in existing.values()), default=0)
    for pid in pegawai_ids:
        if pid in existing:
            continue
        urut += 1
        existing[pid] = Peserta(kegiatan_id=kegiatan.id, pegawai_id=int(pid), status=status,
                                nomor_urut=urut, status_at=utcnow())
        session.add(existing[pid])
    session.flush()
    return sorted(existing.values(), key=lambda p: p.nomor_urut or 0)


def peserta_frame(engine: Engine, kegiatan_id: int) -> pd.DataFrame:
    """The participant list of one training, in participant order, with unit e-mail."""
    p, pg, u = Peserta, Pegawai, UnitKerja
    stmt = (
        select(p.id.label("peserta_id"), p.nomor_urut, p.status, p.nomor_sertifikat,
               pg.id.label("pegawai_id"), pg.nip, pg.nama, pg.gelar_depan, pg.gelar_belakang,
               pg.jabatan, pg.golongan, pg.pangkat, u.kode.label("unit_kode"),
               u.nama.label("unit_nama"), u.email.label("unit_email"))
        .join(pg, p.pegawai_id == pg.id)
        .join(u, pg.unit_id == u.id, isouter=True)
        .where(p.kegiatan_id == kegiatan_id)
        .order_by(p.nomor_urut)
    )
    with engine.connect() as conn:
        return pd.read_sql(stmt, conn, dtype={"nip": "string"})
