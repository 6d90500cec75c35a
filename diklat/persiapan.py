"""The letters of one training, built from the database: which documents (natural keys) and
what goes into each (render contexts).

A *spec* names one document: ``(jenis, kunci)`` plus its heading (``hal``, ``tujuan``) and a
context built from the training, its participants and the signing officials. Flows render
specs as drafts, and again with number and date once registered. No Prefect here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from diklat.models import Kegiatan, Pejabat
from diklat.naskah import konteks
from diklat.rules.tanggal import hari_tanggal
from diklat.settings import Settings, get_settings

#: Document types this module can build for a training, in SOP order.
JENIS_KEGIATAN = ("surat_pemberitahuan", "surat_panggilan", "daftar_hadir", "sertifikat")


@dataclass
class NaskahSpec:
    jenis: str
    kunci: str
    hal: str
    tujuan: str
    isi: dict[str, Any] = field(default_factory=dict)  # the document's own fields
    tujuan_tempat: str = "Tempat"
    lampiran: str = "-"
    tembusan: list[str] = field(default_factory=list)
    ttd_peran: str = "kepala"
    ttd_an: bool = False

    def context(self, ttd: dict[str, str], *, nomor: str | None, tanggal: dt.date | None,
                settings: Settings | None = None) -> dict[str, Any]:
        return konteks.surat(self.jenis, hal=self.hal, tujuan=self.tujuan,
                             tujuan_tempat=self.tujuan_tempat, nomor=nomor, tanggal=tanggal,
                             lampiran=self.lampiran, ttd=ttd, tembusan=self.tembusan,
                             settings=settings, **self.isi)


def pejabat(session: Session, peran: str) -> Pejabat:
    p = session.execute(
        select(Pejabat).where(Pejabat.peran == peran, Pejabat.aktif.is_(True))
        .order_by(Pejabat.id)
    ).scalars().first()
    if p is None:
        raise LookupError(f"tidak ada pejabat aktif dengan peran {peran!r}: tambahkan di tabel "
                          f"pejabat")
    return p


def ensure_pejabat(session: Session, *, nip: str, nama: str, peran: str, jabatan: str,
                   pangkat: str | None = None, email: str | None = None,
                   plt: bool = False) -> Pejabat:
    p = session.execute(
        select(Pejabat).where(Pejabat.nip == nip, Pejabat.peran == peran)
    ).scalar_one_or_none()
    if p is None:
        p = Pejabat(nip=nip, nama=nama, peran=peran, jabatan=jabatan, pangkat=pangkat,
                    email=email, plt=plt, aktif=True)
        session.add(p)
        session.flush()
    return p


def penandatangan(session: Session, spec: NaskahSpec) -> dict[str, str]:
    """The signature block of a spec: the head, or a division head ``a.n.`` the head."""
    p = pejabat(session, spec.ttd_peran)
    an = None
    if spec.ttd_an:
        kepala = pejabat(session, "kepala")
        an = kepala.jabatan
    return konteks.penandatangan_pejabat(p, an=an)


def _kegiatan_ringkas(k: Kegiatan) -> dict[str, str]:
    mulai = k.tanggal_mulai or dt.date.today()
    return konteks.kegiatan_ringkas(k.nama, mulai, k.tanggal_selesai, tempat=k.tempat or "",
                                    jp=k.jumlah_jp, waktu="08.00 WITA s.d. selesai")


def _orang(row: pd.Series) -> dict[str, str]:
    return konteks.orang({k: (None if pd.isna(v) else v) for k, v in row.items()})


def specs_for(kegiatan: Kegiatan, peserta: pd.DataFrame,
              jenis: Sequence[str] = JENIS_KEGIATAN,
              settings: Settings | None = None) -> Iterator[NaskahSpec]:
    """The documents of a training for these participants (``peserta_frame`` rows)."""
    s = settings or get_settings()
    keg = _kegiatan_ringkas(kegiatan)
    daerah = konteks.kop(s)["daerah"]
    batas = konteks.tanggal_surat(kegiatan.tanggal_mulai - dt.timedelta(days=7)) \
        if kegiatan.tanggal_mulai else "-"
    if "surat_pemberitahuan" in jenis:
        for (kode, unit), rows in peserta.groupby(["unit_kode", "unit_nama"], sort=True):
            yield NaskahSpec(
                jenis="surat_pemberitahuan", kunci=f"opd:{kode}",
                hal=f"Pemberitahuan Calon Peserta {kegiatan.nama}",
                tujuan=f"Kepala {unit} {daerah}", tujuan_tempat=s.instansi.kota,
                lampiran="1 (satu) lembar", ttd_peran="kabid_psda", ttd_an=True,
                tembusan=[f"Sekretaris Daerah {daerah}"],
                isi={"kegiatan": keg, "opd": {"nama": str(unit)},
                     "peserta": [_orang(r) for _, r in rows.iterrows()],
                     "jumlah_peserta": str(len(rows)), "batas_konfirmasi": batas},
            )
    if "surat_panggilan" in jenis:
        for _, r in peserta.iterrows():
            p = _orang(r)
            yield NaskahSpec(
                jenis="surat_panggilan", kunci=f"peserta:{r['nip']}",
                hal=f"Panggilan Peserta {kegiatan.nama}", tujuan=f"Saudara {p['nama']}",
                tujuan_tempat=p["unit"], ttd_peran="kabid_psda", ttd_an=True,
                tembusan=[f"Kepala {p['unit']}"],
                isi={"kegiatan": keg, "peserta": p, "pakaian": "Pakaian Dinas Harian (PDH)",
                     "dasar": f"Keputusan Kepala {s.instansi.singkatan} tentang Penetapan "
                              f"Peserta {kegiatan.nama}"},
            )
    if "daftar_hadir" in jenis and kegiatan.tanggal_mulai:
        yield NaskahSpec(
            jenis="daftar_hadir", kunci="hari:1", hal="Daftar Hadir", tujuan="",
            ttd_peran="kabid_psda",
            isi={"kegiatan": keg, "hari_tanggal": hari_tanggal(kegiatan.tanggal_mulai),
                 "sesi": "Hari pertama", "peserta": [_orang(r) for _, r in peserta.iterrows()]},
        )
    if "sertifikat" in jenis:
        for _, r in peserta.iterrows():
            yield NaskahSpec(
                jenis="sertifikat", kunci=f"peserta:{r['nip']}", hal="Sertifikat", tujuan="",
                isi={"kegiatan": keg, "peserta": _orang(r), "predikat": "Sangat Baik"},
            )
