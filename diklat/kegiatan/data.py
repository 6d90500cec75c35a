"""Trainings (kegiatan) as first-class records: the typed model an operator fills in (CLI,
later the SOP flows' Prefect parameter form), creating and reading trainings, participants.

:class:`DataKegiatan` is the one definition of a training's fields; :func:`periksa` turns raw
input into it or refuses with :class:`KegiatanDitolak` naming the field; :func:`simpan_kegiatan`
stores it idempotently (the same data again returns the same training; other data under an
existing code is refused). Plain functions taking a ``Session`` (or an ``Engine`` for read-only
pandas frames). No Prefect here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from connectors.records import JENIS_DIKLAT
from diklat.models import Kegiatan, Pegawai, Peserta, RiwayatDiklat, UnitKerja
from diklat.models.base import utcnow

if TYPE_CHECKING:  # imported where a DataFrame is made: a resumed run that makes none
    import pandas as pd  # starts about 0.3 s sooner

#: Every civil servant's yearly right to competency development, in lesson hours.
JP_TAHUNAN = 20


class KegiatanDitolak(ValueError):
    """Input for a training that cannot be accepted; ``field`` names the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class KegiatanBelumSiap(KegiatanDitolak):
    """A training that cannot start: every problem found, each with what fixes it
    (:class:`diklat.kesiapan.Masalah`). ``field`` is the first problem's."""

    def __init__(self, masalah: Sequence[Any]) -> None:
        self.masalah = list(masalah)
        first = self.masalah[0] if self.masalah else None
        super().__init__(
            getattr(first, "bagian", "kegiatan"), getattr(first, "pesan", "tidak dapat dibuat")
        )

    def __str__(self) -> str:
        return "; ".join(str(m) for m in self.masalah) or "kegiatan tidak dapat dibuat"


class KegiatanTidakAda(LookupError):
    def __init__(self, kode: str) -> None:
        self.kode = kode
        super().__init__(f"kegiatan {kode!r} tidak ada; lihat `diklat kegiatan list`")


class Kriteria(BaseModel):
    """Who may be a candidate (empty lists: no restriction)."""

    model_config = ConfigDict(extra="forbid")

    unit: list[str] = Field(
        default_factory=list,
        title="Unit kerja",
        description="kode unit kerja (OPD) asal calon peserta",
    )
    golongan: list[str] = Field(
        default_factory=list,
        title="Golongan",
        description="golongan atau awalannya, mis. III atau III/a",
    )
    jabatan: list[str] = Field(
        default_factory=list, title="Jabatan", description="kata dalam nama jabatan, mis. Analis"
    )
    kurang_20_jp: bool = Field(
        default=False,
        title="Kurang dari 20 JP tahun ini",
        description="hanya pegawai yang belum mencapai 20 JP tahun ini",
    )


#: The years a training may fall in.
TAHUN_KEGIATAN = (2000, 2100)


class Narasumber(BaseModel):
    """A speaker as the activity report names him: name (with titles), position, topic."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    nama: str = Field(min_length=3, max_length=200, title="Nama (dengan gelar)")
    jabatan: str = Field(
        default="",
        max_length=300,
        title="Jabatan",
        description="jabatan dan instansinya, mis. Widyaiswara Ahli Madya "
        "BPSDM Provinsi Kalimantan Timur",
    )
    materi: str = Field(default="", max_length=300, title="Materi")


class SuratRujukan(BaseModel):
    """An incoming letter the training's letters cite (the organiser's invitation under SOP
    002): "Dasar 1. Surat ... Nomor ... tanggal ..."."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    nomor: str = Field(min_length=1, max_length=100, title="Nomor surat")
    tanggal: dt.date = Field(title="Tanggal surat")
    pengirim: str | None = Field(
        default=None,
        max_length=300,
        title="Pengirim",
        description="jabatan penanda tangan surat, mis. Kepala Badan "
        "...; kosong: pimpinan penyelenggara",
    )
    hal: str | None = Field(default=None, max_length=300, title="Hal")


class DataKegiatan(BaseModel):
    """A training as an operator describes it (also the SOP flows' parameter form)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kode: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$",
        title="Kode kegiatan",
        description="kunci kegiatan, mis. PK-2026-003 (huruf, angka, . _ -)",
    )
    sop: str = Field(
        title="SOP", description="kode SOP: peningkatan-kapasitas atau pengiriman-peserta"
    )
    nama: str = Field(min_length=3, max_length=300, title="Nama pelatihan")
    jenis_diklat_id: str | None = Field(
        default=None,
        title="Jenis diklat (SIASN)",
        description="jenisDiklatId SIASN 1-24, mis. 3 = Diklat Teknis",
    )
    mulai: dt.date = Field(title="Tanggal mulai")
    selesai: dt.date = Field(title="Tanggal selesai")
    tempat: str | None = Field(default=None, max_length=300, title="Tempat")
    jp: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        title="Jumlah JP",
        description="jam pelajaran (1 JP = 45 menit)",
    )
    kuota: int | None = Field(default=None, ge=1, le=10000, title="Kuota peserta")
    penyelenggara: str | None = Field(
        default=None,
        max_length=300,
        title="Penyelenggara",
        description="lembaga penyelenggara (SOP 002) atau kosong bila BKPSDM sendiri",
    )
    surat_penyelenggara: SuratRujukan | None = Field(
        default=None,
        title="Surat penyelenggara",
        description="surat undangan/pemanggilan dari penyelenggara (SOP 002), dikutip sebagai "
        "dasar surat tugas",
    )
    lembaga_narasumber: str | None = Field(
        default=None,
        max_length=300,
        title="Lembaga narasumber",
        description="lembaga pelatihan yang dimohon narasumber (SOP 000)",
    )
    materi: list[str] = Field(default_factory=list, title="Materi")
    narasumber: list[Narasumber] = Field(
        default_factory=list,
        title="Narasumber",
        description="narasumber yang hadir (nama, jabatan, materi), untuk laporan kegiatan",
    )
    kriteria: Kriteria = Field(default_factory=Kriteria, title="Kriteria calon peserta")
    kondisi: list[str] = Field(
        default_factory=list,
        title="Kondisi",
        description="mis. kewenangan_sekda (surat tugas ditandatangani Sekretaris Daerah)",
    )

    @field_validator("sop")
    @classmethod
    def _sop(cls, v: str) -> str:
        from diklat.sop.catalogue import UnknownSop, get_sop

        try:
            get_sop(v)
        except UnknownSop as e:
            raise ValueError(str(e)) from None
        return v

    @field_validator("jenis_diklat_id")
    @classmethod
    def _jenis(cls, v: str | None) -> str | None:
        if v is not None and v not in JENIS_DIKLAT:
            raise ValueError("jenisDiklatId SIASN harus 1 sampai 24")
        return v

    @model_validator(mode="after")
    def _rules(self) -> DataKegiatan:
        for name in ("mulai", "selesai"):
            tanggal = getattr(self, name)
            if not TAHUN_KEGIATAN[0] <= tanggal.year <= TAHUN_KEGIATAN[1]:
                # the working-time calendar and deadlines need a real year
                raise KegiatanDitolak(
                    name,
                    f"tanggal {tanggal} di luar tahun {TAHUN_KEGIATAN[0]}..{TAHUN_KEGIATAN[1]}",
                )
        if self.selesai < self.mulai:
            raise KegiatanDitolak(
                "selesai", f"tanggal selesai {self.selesai} sebelum tanggal mulai {self.mulai}"
            )
        if self.surat_penyelenggara and self.surat_penyelenggara.tanggal > self.mulai:
            raise KegiatanDitolak(
                "surat_penyelenggara.tanggal",
                f"surat penyelenggara bertanggal "
                f"{self.surat_penyelenggara.tanggal} sesudah pelatihan "
                f"dimulai ({self.mulai})",
            )
        from diklat.sop.catalogue import get_sop

        known = get_sop(self.sop).kondisi
        for k in self.kondisi:
            if k not in known:
                raise KegiatanDitolak(
                    "kondisi",
                    f"{k!r} tidak dikenal SOP {self.sop} (yang "
                    f"ada: {', '.join(known) or 'tidak ada'})",
                )
        return self


_PESAN = {
    "missing": "wajib diisi",
    "string_pattern_mismatch": "format tidak valid",
    "string_too_short": "terlalu pendek",
    "string_too_long": "terlalu panjang",
    "greater_than_equal": "harus paling sedikit {ge}",
    "less_than_equal": "harus paling banyak {le}",
    "int_parsing": "harus bilangan bulat",
    "int_from_float": "harus bilangan bulat",
    "date_parsing": "tanggal tidak valid (YYYY-MM-DD)",
    "date_from_datetime_parsing": "tanggal tidak valid (YYYY-MM-DD)",
    "date_from_datetime_inexact": "tanggal tidak valid (YYYY-MM-DD)",
    "extra_forbidden": "isian tidak dikenal",
    "bool_parsing": "harus ya/tidak",
}


def galat_isian(err: Any) -> KegiatanDitolak:
    """One of pydantic's errors on a training's input as :class:`KegiatanDitolak`, with the
    field's dotted path and an Indonesian message."""
    field = ".".join(str(p) for p in err["loc"]) or "kegiatan"
    ctx = err.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, KegiatanDitolak):
        return inner
    template = _PESAN.get(err["type"])
    if template:
        message = template.format(**{k: v for k, v in ctx.items() if k in ("ge", "le")})
    else:
        message = str(inner) if inner else err["msg"]
    value = err.get("input")
    if isinstance(value, str | int | float) and err["type"] != "missing":
        message += f" (nilai: {value!r})"
    return KegiatanDitolak(field, message)


def periksa(raw: dict[str, Any] | DataKegiatan) -> DataKegiatan:
    """Validate raw input; :class:`KegiatanDitolak` names the first bad field."""
    if isinstance(raw, DataKegiatan):
        return raw
    try:
        return DataKegiatan.model_validate(raw)
    except KegiatanDitolak:
        raise
    except ValidationError as e:
        raise galat_isian(e.errors()[0]) from None


def row_values(d: DataKegiatan) -> dict[str, Any]:
    return {
        "sop": d.sop,
        "nama": d.nama,
        "jenis_diklat_id": d.jenis_diklat_id,
        "tanggal_mulai": d.mulai,
        "tanggal_selesai": d.selesai,
        "tempat": d.tempat,
        "jumlah_jp": d.jp,
        "kuota": d.kuota,
        "penyelenggara": d.penyelenggara,
        "kondisi_json": json.dumps(sorted(set(d.kondisi))),
        "kriteria_json": json.dumps(
            {
                **d.kriteria.model_dump(),
                "lembaga_narasumber": d.lembaga_narasumber,
                "materi": d.materi,
                **({"narasumber": [n.model_dump() for n in d.narasumber]} if d.narasumber else {}),
                **(
                    {"surat_penyelenggara": d.surat_penyelenggara.model_dump(mode="json")}
                    if d.surat_penyelenggara
                    else {}
                ),
            },
            ensure_ascii=False,
            sort_keys=True,
        ),
    }


def data_kegiatan(k: Kegiatan) -> DataKegiatan:
    """The typed model of a stored training."""
    extra = k.kriteria
    return DataKegiatan(
        kode=k.kode,
        sop=k.sop,
        nama=k.nama,
        jenis_diklat_id=k.jenis_diklat_id,
        mulai=k.tanggal_mulai or dt.date.today(),
        selesai=k.tanggal_selesai or k.tanggal_mulai or dt.date.today(),
        tempat=k.tempat,
        jp=k.jumlah_jp,
        kuota=k.kuota,
        penyelenggara=k.penyelenggara,
        lembaga_narasumber=extra.get("lembaga_narasumber"),
        materi=list(extra.get("materi") or []),
        narasumber=[Narasumber(**n) for n in extra.get("narasumber") or []],
        surat_penyelenggara=SuratRujukan(**extra["surat_penyelenggara"])
        if extra.get("surat_penyelenggara")
        else None,
        kriteria=Kriteria(**{f: extra[f] for f in Kriteria.model_fields if f in extra}),
        kondisi=k.kondisi,
    )


def catat_audit(
    session: Session,
    k: Kegiatan,
    aksi: str,
    *,
    oleh_nip: str | None = None,
    alasan: str | None = None,
    perubahan: dict[str, Any] | None = None,
) -> None:
    """One audit row of a change to a training (``buat``, ``ubah``, ``batal``)."""
    from diklat.models import AuditKegiatan

    session.add(
        AuditKegiatan(
            kegiatan_id=k.id,
            aksi=aksi,
            oleh_nip=oleh_nip,
            alasan=alasan,
            perubahan_json=json.dumps(perubahan, ensure_ascii=False, sort_keys=True, default=str)
            if perubahan is not None
            else None,
            at=utcnow(),
        )
    )
    session.flush()


def kegiatan_by_kode(session: Session, kode: str) -> Kegiatan:
    k = session.execute(select(Kegiatan).where(Kegiatan.kode == kode)).scalar_one_or_none()
    if k is None:
        raise KegiatanTidakAda(kode)
    return k


def daftar_kegiatan(session: Session) -> list[Kegiatan]:
    return list(
        session.execute(
            select(Kegiatan).order_by(Kegiatan.tanggal_mulai.desc(), Kegiatan.kode)
        ).scalars()
    )


def kegiatan_dict(k: Kegiatan) -> dict[str, Any]:
    d = data_kegiatan(k)
    out: dict[str, Any] = d.model_dump(mode="json")
    out.update(
        {
            "id": k.id,
            "status": k.status,
            "alasan": k.status_alasan,
            "status_sejak": k.status_at.isoformat(timespec="seconds") if k.status_at else None,
        }
    )
    return out


# --------------------------------------------------------------------------- participants


def pegawai_frame(engine: Engine, *, aktif: bool = True) -> pd.DataFrame:
    """Employees with their unit as a DataFrame (no contact data: nobody needs it here)."""
    import pandas as pd

    p, u = Pegawai, UnitKerja
    stmt = (
        select(
            p.id,
            p.nip,
            p.nama,
            p.gelar_depan,
            p.gelar_belakang,
            p.jenis_kelamin,
            p.jabatan,
            p.golongan,
            p.pangkat,
            p.status,
            u.kode.label("unit_kode"),
            u.nama.label("unit_nama"),
        )
        .join(u, p.unit_id == u.id)
        .where(p.aktif.is_(aktif))
        .order_by(p.nip)
    )
    with engine.connect() as conn:
        return pd.read_sql(stmt, conn, dtype={"nip": "string"})


#: Participant statuses that count as a completed training (the STTP is given).
SELESAI_PESERTA = ("lulus",)


def _tahun(tahun: int) -> tuple[dt.date, dt.date]:
    return dt.date(tahun, 1, 1), dt.date(tahun, 12, 31)


def jp_rincian(engine: Engine, tahun: int) -> pd.DataFrame:
    """Every training that counts towards an employee's lesson hours in ``tahun``, one row
    each: ``pegawai_id, sumber, nama_kursus, jp, tanggal_selesai``. THE source of the 20 JP
    count (the candidate criterion and the JP report both sum it, see :func:`dengan_jp`):

    * the training history (``riwayat_diklat``: SIASN ``rw-kursus`` items and our own
      write-back rows) of that year;
    * participants who passed one of our trainings ending that year (``lulus``), also before
      the SIASN write-back made a history row of it.

    A training is counted once: a participation already in the history (same employee and
    training), and a SIASN item that is our own write-back (its record id or certificate
    number), are dropped."""
    import pandas as pd

    a, b = _tahun(tahun)
    r, p, k = RiwayatDiklat, Peserta, Kegiatan
    riwayat = select(
        r.pegawai_id,
        r.kegiatan_id,
        r.siasn_id,
        r.nomor_sertifikat,
        r.nama_kursus,
        r.jumlah_jp.label("jp"),
        r.sumber,
        r.tanggal_selesai,
    ).where(r.tahun == tahun)
    akhir = func.coalesce(k.tanggal_selesai, k.tanggal_mulai)
    ikut = (
        select(
            p.pegawai_id,
            p.kegiatan_id,
            p.siasn_riwayat_id.label("siasn_id"),
            p.nomor_sertifikat,
            k.nama.label("nama_kursus"),
            func.coalesce(k.jumlah_jp, 0).label("jp"),
            akhir.label("tanggal_selesai"),
        )
        .join(k, p.kegiatan_id == k.id)
        .where(p.status.in_(SELESAI_PESERTA), akhir >= a, akhir <= b)
    )
    with engine.connect() as conn:
        h = pd.read_sql(riwayat, conn)
        q = pd.read_sql(ikut, conn)
    q["sumber"] = "kegiatan"
    kolom = ["pegawai_id", "sumber", "nama_kursus", "jp", "tanggal_selesai"]
    ours = pd.concat([h[h["kegiatan_id"].notna()], q])  # every participation of ours
    if len(q):
        punya = set(zip(h["pegawai_id"], h["kegiatan_id"], strict=True))
        q = q[
            [
                (pg, kg) not in punya
                for pg, kg in zip(q["pegawai_id"], q["kegiatan_id"], strict=True)
            ]
        ]
    if len(h) and len(ours):
        ids = {
            (pg, str(x))
            for pg, x in zip(ours["pegawai_id"], ours["siasn_id"], strict=True)
            if pd.notna(x) and str(x)
        }
        certs = {
            (pg, str(x))
            for pg, x in zip(ours["pegawai_id"], ours["nomor_sertifikat"], strict=True)
            if pd.notna(x) and str(x)
        }
        mirror = [
            pd.isna(kg) and ((pg, str(sid)) in ids or (pg, str(no)) in certs)
            for pg, kg, sid, no in zip(
                h["pegawai_id"], h["kegiatan_id"], h["siasn_id"], h["nomor_sertifikat"], strict=True
            )
        ]
        h = h[[not m for m in mirror]]
    frames = [f[kolom] for f in (h, q) if len(f)]
    if not frames:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c in ("pegawai_id", "jp") else "object") for c in kolom}
        )
    out = pd.concat(frames, ignore_index=True)
    out["jp"] = out["jp"].fillna(0).astype("int64")
    out["pegawai_id"] = out["pegawai_id"].astype("int64")
    # SQLite hands a computed date back as text: one type for every row
    out["tanggal_selesai"] = [
        None if pd.isna(d) else pd.Timestamp(d).date() for d in out["tanggal_selesai"]
    ]
    return out


def jp_tahun(engine: Engine, tahun: int) -> pd.Series:
    """Lesson hours per employee (``pegawai_id``) in a year (:func:`jp_rincian` summed)."""
    import pandas as pd

    df = jp_rincian(engine, tahun)
    if not len(df):
        return pd.Series(dtype="int64")
    return df.groupby("pegawai_id")["jp"].sum()


def dengan_jp(engine: Engine, df: pd.DataFrame, tahun: int) -> pd.DataFrame:
    """``df`` (employees, column ``id``) with ``jp`` (lesson hours in ``tahun``) and
    ``kurang_20_jp`` (below the yearly right of :data:`JP_TAHUNAN`): the one rule behind the
    candidate criterion "below 20 JP this year" and the JP report."""
    jp = jp_tahun(engine, tahun)
    out = df.assign(jp=df["id"].map(jp).fillna(0).astype("int64"))
    return out.assign(kurang_20_jp=out["jp"] < JP_TAHUNAN)


def daftar_calon(
    engine: Engine,
    jumlah: int,
    *,
    unit_kodes: Sequence[str] | None = None,
    golongan_awalan: Sequence[str] | None = None,
    jabatan_kata: Sequence[str] | None = None,
    kurang_20_jp_tahun: int | None = None,
    per_unit: int | None = None,
) -> pd.DataFrame:
    """A candidate list: active employees (status Aktif), optionally from some units, ranks
    and positions, below 20 JP in a year, spread over the units (round-robin by NIP order) up
    to ``jumlah``."""
    import pandas as pd

    df = pegawai_frame(engine)
    df = df[df["status"].fillna("Aktif").str.startswith("Aktif")]
    if unit_kodes:
        df = df[df["unit_kode"].isin(list(unit_kodes))]
    if golongan_awalan:
        df = df[df["golongan"].fillna("").str.startswith(tuple(golongan_awalan))]
    if jabatan_kata:
        pattern = "|".join(pd.Series(list(jabatan_kata)).str.lower().map(_escape))
        df = df[df["jabatan"].fillna("").str.lower().str.contains(pattern, regex=True)]
    if kurang_20_jp_tahun is not None:
        df = dengan_jp(engine, df, kurang_20_jp_tahun)
        df = df[df["kurang_20_jp"]].drop(columns=["jp", "kurang_20_jp"])
    df = df.assign(_rank=df.groupby("unit_kode").cumcount())
    if per_unit is not None:
        df = df[df["_rank"] < per_unit]
    df = df.sort_values(["_rank", "unit_kode", "nip"]).head(jumlah)
    return df.drop(columns="_rank").sort_values(["unit_nama", "nama"]).reset_index(drop=True)


def _escape(s: str) -> str:
    import re

    return re.escape(s)


def calon_menurut_kriteria(
    engine: Engine,
    k: Kegiatan,
    *,
    per_unit: int | None = None,
) -> pd.DataFrame:
    """The candidate list of a training from its own criteria and quota."""
    c = data_kegiatan(k).kriteria
    return daftar_calon(
        engine,
        k.kuota or 30,
        unit_kodes=c.unit or None,
        golongan_awalan=c.golongan or None,
        jabatan_kata=c.jabatan or None,
        kurang_20_jp_tahun=(k.tanggal_mulai or dt.date.today()).year if c.kurang_20_jp else None,
        per_unit=per_unit,
    )


def tetapkan_peserta(
    session: Session, kegiatan: Kegiatan, pegawai_ids: Iterable[int], status: str = "calon"
) -> list[Peserta]:
    """Add these employees as participants (idempotent by (kegiatan, pegawai)); numbers
    them in order. Returns all participants of the training."""
    existing = {
        p.pegawai_id: p
        for p in session.execute(
            select(Peserta).where(Peserta.kegiatan_id == kegiatan.id)
        ).scalars()
    }
    urut = max((p.nomor_urut or 0 for p in existing.values()), default=0)
    for pid in pegawai_ids:
        if pid in existing:
            continue
        urut += 1
        existing[pid] = Peserta(
            kegiatan_id=kegiatan.id,
            pegawai_id=int(pid),
            status=status,
            nomor_urut=urut,
            status_at=utcnow(),
        )
        session.add(existing[pid])
    session.flush()
    return sorted(existing.values(), key=lambda p: p.nomor_urut or 0)


#: LAN's qualifications for a final score (lower bound, exclusive -> predikat).
PREDIKAT: tuple[tuple[float, str], ...] = (
    (90.0, "Sangat Memuaskan"),
    (80.0, "Memuaskan"),
    (70.0, "Cukup Memuaskan"),
    (60.0, "Kurang Memuaskan"),
    (-1.0, "Tidak Memuaskan"),
)
NILAI_LULUS = 60.0


def predikat(nilai: float) -> str:
    for bound, label in PREDIKAT:
        if nilai > bound:
            return label
    return PREDIKAT[-1][1]


def tetapkan_hasil(session: Session, kegiatan: Kegiatan, nilai: dict[int, float]) -> int:
    """Record participants' final scores (``peserta.id -> 0..100``): predikat, and status
    ``lulus`` or ``tidak_lulus``. Returns how many changed."""
    changed = 0
    for p in session.execute(
        select(Peserta).where(Peserta.kegiatan_id == kegiatan.id, Peserta.id.in_(list(nilai)))
    ).scalars():
        v = float(nilai[p.id])
        if not 0 <= v <= 100:
            raise KegiatanDitolak("nilai", f"peserta nomor {p.nomor_urut}: nilai {v} di luar 0-100")
        status = "lulus" if v > NILAI_LULUS else "tidak_lulus"
        if (p.nilai, p.predikat, p.status) != (v, predikat(v), status):
            p.nilai, p.predikat, p.status, p.status_at = v, predikat(v), status, utcnow()
            changed += 1
    session.flush()
    return changed


def peserta_frame(engine: Engine, kegiatan_id: int) -> pd.DataFrame:
    """The participant list of one training, in participant order, with unit e-mail."""
    import pandas as pd

    p, pg, u = Peserta, Pegawai, UnitKerja
    stmt = (
        select(
            p.id.label("peserta_id"),
            p.nomor_urut,
            p.status,
            p.catatan,
            p.nilai,
            p.predikat,
            p.nomor_sertifikat,
            pg.id.label("pegawai_id"),
            pg.nip,
            pg.nama,
            pg.gelar_depan,
            pg.gelar_belakang,
            pg.jabatan,
            pg.golongan,
            pg.pangkat,
            u.kode.label("unit_kode"),
            u.nama.label("unit_nama"),
            u.email.label("unit_email"),
        )
        .join(pg, p.pegawai_id == pg.id)
        .join(u, pg.unit_id == u.id, isouter=True)
        .where(p.kegiatan_id == kegiatan_id)
        .order_by(p.nomor_urut)
    )
    with engine.connect() as conn:
        return pd.read_sql(stmt, conn, dtype={"nip": "string"})


def jumlah_peserta(session: Session, kegiatan_id: int) -> dict[str, int]:
    """Participant counts by status."""
    rows = session.execute(
        select(Peserta.status, func.count())
        .where(Peserta.kegiatan_id == kegiatan_id)
        .group_by(Peserta.status)
    ).all()
    return {str(s): int(n) for s, n in rows}
