"""What operators report back to a running training: steps done by people outside the system
("Membuka acara", "Pelaksanaan pelatihan", "Penyerahan Training Kit" ...), the organiser's
offer letter, the agencies' answers about their candidates, who registered, who received a
kit, the results.

Every input names **who records it** (an operator of the agency, by NIP from the officials and
staff table), **when** it happened (refused in the future, before the step it follows, and for
the training's own days before the training's first or last day), may carry **evidence** (files
in the import folder: a scan, attendance photos, archived with their hashes), and is applied by
one function per kind (:data:`JENIS`, :func:`terapkan`). Inputs name participants by their
number in the list (``nomor urut``), never by NIP or name: the forms live in the orchestrator,
which keeps what is typed. No Prefect here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from diklat.kegiatan import ledger
from diklat.kegiatan.data import (
    calon_menurut_kriteria,
    jumlah_peserta,
    tetapkan_hasil,
    tetapkan_peserta,
)
from diklat.models import Kegiatan, Pejabat, Peserta
from diklat.models.base import utcnow
from diklat.rules import nip as nip_rules
from diklat.settings import Settings, get_settings
from diklat.waktu import zona as zona_lembaga  # ``waktu`` is a parameter here


class MasukanDitolak(ValueError):
    """An operator's input that cannot be applied (the reason names the field)."""


def _peserta(session: Session, k: Kegiatan) -> dict[int, Peserta]:
    return {
        p.nomor_urut or 0: p
        for p in session.execute(select(Peserta).where(Peserta.kegiatan_id == k.id)).scalars()
    }


def _nomor(session: Session, k: Kegiatan, nomor: Iterable[int], field: str) -> list[Peserta]:
    rows = _peserta(session, k)
    wanted = list(dict.fromkeys(int(n) for n in nomor))
    unknown = [n for n in wanted if n not in rows]
    if unknown:
        raise MasukanDitolak(f"{field}: nomor peserta tidak ada: {', '.join(map(str, unknown))}")
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


def selesai(
    session: Session,
    k: Kegiatan,
    no: int,
    *,
    waktu: dt.datetime | None = None,
    catatan: str | None = None,
    actor: str | None = None,
    oleh: ledger.Oleh | None = None,
    bukti: list[dict[str, Any]] | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Record an outside step as done at ``waktu`` (default now) by ``oleh`` with the note,
    the evidence and, for inputs that carry lists, what was reported (as JSON, participant
    numbers only). A time before the step's row opened moves its start back: the step was
    done before the system asked for it."""
    note = catatan or None
    if data:
        note = f"{note or ''}\n{json.dumps(data, ensure_ascii=False, sort_keys=True)}".strip()
    row = ledger.mulai(session, k, no, actor=actor, oleh=oleh, now=waktu)
    if waktu is not None and waktu < row.started_at:
        row.started_at = waktu
    # the operator's own row (level 0): a step whose officials also dispose of it (SOP 000
    # row 12) is done only when they have
    ledger.selesai(
        session,
        k,
        no,
        tingkat=0,
        actor=actor,
        oleh=oleh,
        note=note,
        bukti=bukti,
        now=waktu or utcnow(),
    )


def rencanakan_calon(
    engine: Engine, session: Session, k: Kegiatan, per_unit: int | None = None
) -> dict[str, int]:
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


def verifikasi(
    session: Session,
    k: Kegiatan,
    ditolak: Iterable[int] = (),
    jawaban: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """Candidates checked against SIMPEG-SIASN: those the operator refuses (participant
    numbers) out; SIASN's answer per candidate (``jawaban``: NIP ->
    :class:`diklat.pegawai.sync_service.JawabanSiasn`) recorded on each (:mod:`diklat.kegiatan.verifikasi`:
    verified, not eligible with the reason, or not checked). Nobody is verified without an
    answer: a candidate SIASN did not answer for stays a candidate."""
    _set(_nomor(session, k, ditolak, "ditolak"), "ditolak", "tidak memenuhi syarat")
    if jawaban is not None:
        from diklat.kegiatan.verifikasi import catat_jawaban

        catat_jawaban(session, k, jawaban)
    return jumlah_peserta(session, k.id)


def tetapkan_terdaftar(
    session: Session, k: Kegiatan, tidak_hadir: Iterable[int] = ()
) -> dict[str, int]:
    """Confirmed participants are registered; those who will not come are cancelled."""
    _set(_nomor(session, k, tidak_hadir, "tidak_hadir"), "batal", "tidak dapat hadir")
    _set(
        [
            p
            for p in _peserta(session, k).values()
            if p.status in ("calon", "diusulkan", "terverifikasi")
        ],
        "terdaftar",
    )
    return jumlah_peserta(session, k.id)


def catat_hadir(session: Session, k: Kegiatan, tidak_hadir: Iterable[int] = ()) -> dict[str, int]:
    """Registration at the venue: who came."""
    _set(_nomor(session, k, tidak_hadir, "tidak_hadir"), "batal", "tidak hadir")
    _set([p for p in _peserta(session, k).values() if p.status == "terdaftar"], "hadir")
    return jumlah_peserta(session, k.id)


def catat_hasil(
    session: Session,
    k: Kegiatan,
    tidak_lulus: Iterable[int] = (),
    nilai_lulus: float = 80.0,
    nomor_sertifikat: dict[Any, str] | None = None,
) -> dict[str, int]:
    """Results: every attending participant passes with ``nilai_lulus`` (or the score
    already recorded for him) except those listed, who do not pass. ``nomor_sertifikat``
    (participant number -> the organiser's certificate number) for trainings held outside."""
    failing = {p.id for p in _nomor(session, k, tidak_lulus, "tidak_lulus")}
    certs = {int(n): str(v).strip() for n, v in (nomor_sertifikat or {}).items() if str(v).strip()}
    for p in _nomor(session, k, certs, "nomor_sertifikat"):
        p.nomor_sertifikat = certs[p.nomor_urut or 0][:120]
    scores = {
        p.id: (50.0 if p.id in failing else (p.nilai if p.nilai is not None else nilai_lulus))
        for p in _peserta(session, k).values()
        if p.status in ("hadir", "lulus", "tidak_lulus")
    }
    tetapkan_hasil(session, k, scores)
    return jumlah_peserta(session, k.id)


# --------------------------------------------------------------------------- operator inputs


class Isian(BaseModel):
    """What every operator input carries: who records it, when it happened, a note and
    evidence. The SOP flows' forms are these models."""

    nip: str = Field(
        title="NIP petugas yang mencatat",
        max_length=30,
        description="petugas BKPSDM yang melaksanakan atau mencatat langkah ini",
    )
    waktu: str = Field(
        default="",
        title="Waktu pelaksanaan",
        description="YYYY-MM-DD HH:MM waktu setempat; kosong: sekarang",
    )
    catatan: str = Field(default="", title="Catatan", max_length=2000)
    bukti: str = Field(
        default="",
        title="Berkas bukti",
        max_length=1000,
        description="nama berkas di folder impor (pindaian, foto), dipisah koma; boleh kosong",
    )


class IsianPenawaran(Isian):
    nomor_surat: str = Field(title="Nomor surat penawaran", max_length=120)
    tanggal_surat: str = Field(title="Tanggal surat penawaran", description="YYYY-MM-DD")
    pengirim: str = Field(
        default="", title="Pengirim", description="kosong: penyelenggara kegiatan", max_length=300
    )
    hal: str = Field(default="", title="Hal", max_length=300)


class IsianBalasan(Isian):
    ditarik: list[int] = Field(
        default_factory=list, title="Calon yang ditarik instansi", description="nomor urut peserta"
    )


class IsianKehadiran(Isian):
    tidak_hadir: list[int] = Field(
        default_factory=list, title="Tidak hadir / batal", description="nomor urut peserta"
    )


class IsianKit(Isian):
    penerima: list[int] = Field(
        default_factory=list,
        title="Penerima perlengkapan pelatihan",
        description="nomor urut peserta yang menerima",
    )


class IsianHasil(Isian):
    tidak_lulus: list[int] = Field(
        default_factory=list, title="Tidak lulus", description="nomor urut peserta yang tidak lulus"
    )
    nilai_lulus: float = Field(
        default=80.0,
        ge=60,
        le=100,
        title="Nilai peserta lulus",
        description="untuk peserta yang belum bernilai",
    )
    nomor_sertifikat: dict[int, str] = Field(
        default_factory=dict,
        title="Nomor sertifikat dari penyelenggara",
        description="nomor urut -> nomor sertifikat (diklat di luar instansi)",
    )


@dataclass(frozen=True)
class JenisMasukan:
    """One kind of operator input: its fields and what applying it does."""

    isian: type[Isian]
    terapkan: Callable[[Session, Kegiatan, Any, Settings], dict[str, Any]]


def _pakai_selesai(session: Session, k: Kegiatan, isi: Any, s: Settings) -> dict[str, Any]:
    return {}


def _pakai_penawaran(session: Session, k: Kegiatan, isi: Any, s: Settings) -> dict[str, Any]:
    from diklat.kegiatan.usulan import UsulanDitolak, catat_surat_masuk

    try:
        sm = catat_surat_masuk(
            session,
            k,
            jenis="penawaran",
            nomor=isi.nomor_surat,
            tanggal=isi.tanggal_surat,
            pengirim=isi.pengirim or k.penyelenggara or "",
            hal=isi.hal or None,
            dicatat_oleh=isi.nip,
            settings=s,
        )
    except UsulanDitolak as e:
        raise MasukanDitolak(str(e)) from None
    return {"surat_masuk": sm.id}


def _pakai_usulan(session: Session, k: Kegiatan, isi: Any, s: Settings) -> dict[str, Any]:
    from diklat.kegiatan.usulan import daftar_usulan

    rows = daftar_usulan(session, k)
    if not rows:
        raise MasukanDitolak(
            "belum ada usulan calon peserta dari OPD; catat usulan dengan "
            f"`diklat usulan catat {k.kode} ...` atau tunggu OPD mengisi "
            "tautannya"
        )
    return {"usulan": len(rows), "calon": sum(r["jumlah"] for r in rows)}


def _pakai_balasan(session: Session, k: Kegiatan, isi: Any, s: Settings) -> dict[str, Any]:
    from diklat.kegiatan.usulan import daftar_usulan, rekap

    if daftar_usulan(session, k):
        rekap(session, k)
    counts = balasan_instansi(session, k, isi.ditarik)
    return {"ditarik": sorted(isi.ditarik), "peserta": counts}


def _pakai_kehadiran(session: Session, k: Kegiatan, isi: Any, s: Settings) -> dict[str, Any]:
    return {
        "tidak_hadir": sorted(isi.tidak_hadir),
        "peserta": tetapkan_terdaftar(session, k, isi.tidak_hadir),
    }


def _pakai_pendaftaran(session: Session, k: Kegiatan, isi: Any, s: Settings) -> dict[str, Any]:
    return {
        "tidak_hadir": sorted(isi.tidak_hadir),
        "peserta": catat_hadir(session, k, isi.tidak_hadir),
    }


def _pakai_kit(session: Session, k: Kegiatan, isi: Any, s: Settings) -> dict[str, Any]:
    _nomor(session, k, isi.penerima, "penerima")
    return {"penerima_kit": sorted(isi.penerima)}


def _pakai_hasil(session: Session, k: Kegiatan, isi: Any, s: Settings) -> dict[str, Any]:
    return {
        "tidak_lulus": sorted(isi.tidak_lulus),
        "peserta": catat_hasil(session, k, isi.tidak_lulus, isi.nilai_lulus, isi.nomor_sertifikat),
    }


#: Every kind of operator input (the catalogue's ``masukan``): fields and what it does.
JENIS: dict[str, JenisMasukan] = {
    "selesai": JenisMasukan(Isian, _pakai_selesai),
    "penawaran": JenisMasukan(IsianPenawaran, _pakai_penawaran),
    "usulan": JenisMasukan(Isian, _pakai_usulan),
    "balasan": JenisMasukan(IsianBalasan, _pakai_balasan),
    "kehadiran": JenisMasukan(IsianKehadiran, _pakai_kehadiran),
    "pendaftaran": JenisMasukan(IsianKehadiran, _pakai_pendaftaran),
    "kit": JenisMasukan(IsianKit, _pakai_kit),
    "hasil": JenisMasukan(IsianHasil, _pakai_hasil),
}


def petugas(session: Session, nip: str) -> Pejabat:
    """The agency's official or staff member who records an input (any active one)."""
    info = nip_rules.parse(nip or "")
    if not info.valid:
        raise MasukanDitolak(f"nip: NIP petugas tidak valid ({info.reason})")
    p = (
        session.execute(select(Pejabat).where(Pejabat.nip == info.nip, Pejabat.aktif.is_(True)))
        .scalars()
        .first()
    )
    if p is None:
        raise MasukanDitolak(
            "nip: NIP ini tidak tercatat sebagai pejabat atau petugas "
            "BKPSDM (diklat pejabat tambah ... --peran operator)"
        )
    return p


def baca_waktu(value: Any, tz: str) -> dt.datetime | None:
    """``YYYY-MM-DD HH:MM`` in the agency's time zone (empty: now)."""
    if value in (None, ""):
        return None
    try:
        w = (
            value
            if isinstance(value, dt.datetime)
            else dt.datetime.fromisoformat(str(value).strip())
        )
    except ValueError:
        raise MasukanDitolak(f"waktu: {value!r} tidak terbaca; tulis YYYY-MM-DD HH:MM") from None
    if w.tzinfo is None:
        w = w.replace(tzinfo=ZoneInfo(tz))
    return w


def periksa_waktu(
    session: Session,
    k: Kegiatan,
    no: int,
    waktu: dt.datetime | None,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> None:
    """Impossible times are refused: in the future; before the step this one follows has
    finished; a step on the training's own days (catalogue ``saat``) before the training's
    first (``mulai``) or last (``selesai``) day."""
    from diklat.sop.catalogue import get_sop

    s = settings or get_settings()
    moment = waktu or now or utcnow()
    if moment > (now or utcnow()) + dt.timedelta(minutes=5):
        raise MasukanDitolak("waktu: tidak boleh di masa depan")
    sop = get_sop(k.sop)
    step = sop.step(no)
    day = moment.astimezone(zona_lembaga(s)).date()
    first, last = k.tanggal_mulai, k.tanggal_selesai or k.tanggal_mulai
    if step.saat == "mulai" and first is not None and day < first:
        raise MasukanDitolak(
            f"waktu: langkah {no} baru dapat terjadi mulai hari pertama "
            f"pelatihan ({first.isoformat()})"
        )
    if step.saat == "selesai" and last is not None and day < last:
        raise MasukanDitolak(
            f"waktu: langkah {no} baru dapat terjadi pada hari terakhir "
            f"pelatihan ({last.isoformat()}) atau sesudahnya"
        )
    state = ledger.keadaan(session, k.id)
    before = [
        st.no
        for st in sop.steps_for(k.kondisi)
        if st.no < no
        and st.no in state
        and state[st.no].status == ledger.SELESAI
        and state[st.no].selesai
    ]
    if before and waktu is not None:
        prev = state[before[-1]]
        assert prev.selesai is not None
        if waktu < prev.selesai - dt.timedelta(minutes=1):
            local = prev.selesai.astimezone(zona_lembaga(s)).strftime("%Y-%m-%d %H:%M")
            raise MasukanDitolak(f"waktu: sebelum langkah {prev.no} selesai ({local})")


def _bukti(session: Session, k: Kegiatan, nama: str, s: Settings) -> list[dict[str, Any]]:
    """Evidence files (names inside the import folder), archived with the training."""
    from diklat.arsip import arsipkan
    from diklat.berkas import OutsideFolder, confine

    out = []
    base = Path(s.import_dir or Path(s.var_dir) / "import")
    for name in [x.strip() for x in (nama or "").split(",") if x.strip()]:
        try:
            path = confine(name, base)
        except OutsideFolder as e:
            raise MasukanDitolak(f"bukti: {e}") from None
        if not path.is_file():
            raise MasukanDitolak(f"bukti: berkas {name!r} tidak ada di folder impor")
        e2 = arsipkan(
            session, path, kegiatan_id=k.id, klasifikasi="800.2.4.2", jenis="bukti", settings=s
        )
        out.append({"nama": path.name, "sha256": e2.sha256})
    return out


def terapkan(
    session: Session,
    k: Kegiatan,
    no: int,
    jenis: str,
    isian: dict[str, Any],
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Apply one operator input to step ``no`` (checked as the module docstring says) and
    record the step done by the person named; :class:`MasukanDitolak` (one line naming the
    field) when it cannot be taken: nothing is recorded then (the caller counts it)."""
    s = settings or get_settings()
    kind = JENIS.get(jenis)
    if kind is None:
        raise MasukanDitolak(f"jenis masukan tidak dikenal: {jenis}")
    try:
        isi = kind.isian.model_validate(
            {key: v for key, v in isian.items() if key in kind.isian.model_fields}
        )
    except ValidationError as e:
        err = e.errors()[0]
        raise MasukanDitolak(f"{'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    if k.status not in ("berjalan", "direncanakan"):
        raise MasukanDitolak(f"kegiatan {k.kode} berstatus {k.status}")
    orang = petugas(session, isi.nip)
    waktu = baca_waktu(isi.waktu, s.timezone)
    periksa_waktu(session, k, no, waktu, now=now, settings=s)
    data = kind.terapkan(session, k, isi, s)
    bukti = _bukti(session, k, isi.bukti, s)
    selesai(
        session,
        k,
        no,
        waktu=waktu,
        catatan=isi.catatan or None,
        oleh=ledger.Oleh(orang.nip, orang.nama),
        bukti=bukti or None,
        data={key: v for key, v in data.items() if v not in (None, {}, [])} or None,
    )
    return {"diterima": True, **data}


def tolak(session: Session, k: Kegiatan, no: int, alasan: str = "") -> int:
    """Count a refused input on the step's current row (the suffix of the next wait's key)
    and keep its reason for the next form."""
    row = ledger.tunggu(session, k, no)
    row.ditolak += 1
    row.note = f"masukan ditolak: {alasan}"[:2000] if alasan else row.note
    session.flush()
    return row.ditolak


@dataclass
class LangkahMenunggu:
    """An outside step waiting for its operator, as the form shows it."""

    status: str
    putaran: int
    ditolak: int
    tenggat: str | None  # local time, readable
    deskripsi: str


def _lokal(d: dt.datetime | None, s: Settings) -> str | None:
    if d is None:
        return None
    tz = zona_lembaga(s)
    local = d.astimezone(tz)
    return f"{local:%d-%m-%Y %H:%M} {_zona(s.timezone)}"


def _zona(tz: str) -> str:
    return {
        "Asia/Jakarta": "WIB",
        "Asia/Pontianak": "WIB",
        "Asia/Makassar": "WITA",
        "Asia/Jayapura": "WIT",
    }.get(tz, tz)


def buka_langkah(
    session: Session,
    kode: str,
    no: int,
    *,
    flow_run_id: str | None = None,
    kirim: Callable[[Any], None] | None = None,
    settings: Settings | None = None,
) -> LangkahMenunggu:
    """Start an outside step as waiting for its operator (the operator desk is e-mailed what
    to do when the wait opens) and describe it for the form: what, who, the standard time,
    the deadline in the agency's time, the participants by number only (names stay out of
    what the orchestrator stores: ``diklat kegiatan calon KODE`` lists them), and why the
    last input was refused."""
    from diklat.kegiatan.data import kegiatan_by_kode
    from diklat.sop.catalogue import get_sop

    s = settings or get_settings()
    k = kegiatan_by_kode(session, kode)
    sop = get_sop(k.sop)
    step = sop.step(no)
    before = ledger.keadaan(session, k.id).get(no)
    row = ledger.tunggu(session, k, no, flow_run_id=flow_run_id)
    baru = before is None or before.putaran != row.putaran
    pelaksana = ", ".join(sop.pelaksana_nama(step))
    n = [
        x
        for x in session.execute(
            select(Peserta.nomor_urut)
            .where(Peserta.kegiatan_id == k.id, Peserta.status.not_in(["batal", "ditolak"]))
            .order_by(Peserta.nomor_urut)
        ).scalars()
        if x is not None
    ]
    peserta = f"{len(n)} peserta bernomor urut {min(n)}–{max(n)}" if n else "belum ada peserta"
    tenggat = _lokal(row.deadline, s)
    lines = []
    if row.ditolak and row.note and row.note.startswith("masukan ditolak:"):
        lines += [
            f"**Jawaban sebelumnya ditolak:** {row.note[len('masukan ditolak:') :].strip()}",
            "",
        ]
    lines += [
        f"### Langkah {no}: {step.kegiatan}",
        "",
        f"- **Kegiatan:** {k.kode} — {k.nama}",
        f"- **Pelaksana:** {pelaksana}",
        f"- **Kelengkapan:** {step.kelengkapan}",
        f"- **Output:** {step.output}",
        f"- **Waktu baku:** {step.waktu}",
        f"- **Tenggat:** {tenggat or '-'}",
        *(
            [
                f"- **Tidak dapat dicatat sebelum:** "
                f"{(k.tanggal_mulai if step.saat == 'mulai' else k.tanggal_selesai)}"
            ]
            if step.saat
            else []
        ),
        "",
        "Isi setelah langkah ini dilaksanakan: NIP Anda (petugas yang mencatat), waktunya, "
        "catatan dan berkas bukti (nama berkas di folder impor) bila ada. Peserta disebut "
        f"dengan nomor urutnya ({peserta}; daftar nama: `diklat kegiatan calon {k.kode}`).",
    ]
    if baru and kirim is not None:
        from diklat.naskah.persetujuan import _alamat_operator
        from diklat.naskah.surel import Surat

        for alamat, nama in _alamat_operator(session, step.pelaksana, s):
            kirim(
                Surat(
                    kepada=alamat,
                    nama=nama,
                    subjek=f"[diklat] Menunggu petugas: langkah {no} ({k.kode})",
                    isi=f"Yth. {nama},\n\nKegiatan {k.kode} ({k.nama}) menunggu "
                    f"langkah {no}: {step.kegiatan}\nTenggat: {tenggat or '-'}\n\n"
                    "Isi formulir pada run kegiatan ini di UI Prefect setelah "
                    "dilaksanakan, atau lihat daftar tugas: diklat tugas",
                )
            )
    return LangkahMenunggu(
        status=row.status,
        putaran=row.putaran,
        ditolak=row.ditolak,
        tenggat=tenggat,
        deskripsi="\n".join(lines),
    )
