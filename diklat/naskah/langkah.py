"""One letter step of an SOP, as the flows drive it: where a training's bundle of one type
stands, and finishing it once its chain has decided.

:func:`siapkan` drafts the current version (the first, or the next after a revision; draft
PDFs for the approvers to read), records the drafting steps in the ledger, and answers in one
read what is left: the next level of the chain that waits for a decision, or that the bundle is
ready to be issued, or issued already, or refused. :func:`selesaikan` issues a bundle whose chain
has decided: the signature unit (:mod:`diklat.naskah.tanda_tangan`: number, final, stamp, PAdES) for
a signed type, the final for one nobody signs, and the register step in the ledger. Both are
idempotent. No Prefect here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from diklat import waktu
from diklat.db import session_scope
from diklat.kegiatan import ledger
from diklat.kegiatan.data import kegiatan_by_kode
from diklat.models import Bundel, NaskahBerkas
from diklat.naskah import status
from diklat.naskah import versi as naskah_versi
from diklat.naskah.persetujuan import tingkat_berikut
from diklat.naskah.register import today
from diklat.settings import Settings, get_settings


def _issued(ses: Any, b: Bundel, pdf: bool) -> bool:
    want = (
        {"ttd_pdf"}
        if b.penandatangan_id is not None
        else ({"final_docx", "final_pdf"} if pdf else {"final_docx"})
    )
    ids = [n.id for n in b.naskah]
    have: dict[int, set[str]] = {i: set() for i in ids}
    for r in ses.execute(
        select(NaskahBerkas.naskah_id, NaskahBerkas.peran).where(NaskahBerkas.naskah_id.in_(ids))
    ):
        have[r.naskah_id].add(r.peran)
    return bool(ids) and all(want <= have[i] for i in ids)


def _tandai_terbit(ses: Any, k: Any, b: Bundel, plan: Any, pdf: bool) -> None:
    """The ledger steps an issued bundle completes: the register, copies, hand-over. A step
    that also sends or archives the letter (one SOP row "dicatat ... dan dikirim") is left to
    the send or archive step: finished here, a run killed before the sending would skip the
    sending when it starts again."""
    later = set(plan.langkah_distribusi) | set(plan.langkah_arsip)
    if (
        plan.langkah_agenda is not None
        and plan.langkah_agenda not in later
        and b.status in (status.TERDAFTAR, status.DIKIRIM, status.DIARSIPKAN)
    ):
        ledger.selesai(
            ses, k, plan.langkah_agenda, actor=ledger.SISTEM, note="dicatat di agenda surat keluar"
        )
    if _issued(ses, b, pdf):
        for no in plan.langkah_lain:  # copies made, handed over: the issued files exist
            if no not in later:
                ledger.selesai(ses, k, no, actor=ledger.SISTEM, note=f"{b.jenis} v{b.versi} terbit")


@dataclass(frozen=True)
class KeadaanNaskah:
    """Where a training's letter of one type stands, as the letter step of a SOP run reads
    it: the current version, the level that waits for a decision (``tingkat``, its place in
    the chain; ``None`` when nobody signs it or every level has decided), whether it waits
    for its correction, whether it is issued (``selesai``). After issuing, ``terbit`` counts
    what was done (numbered, signed, made final, PDFs) and ``ditolak_ttd`` says why a
    signature was refused (the content changed after the decision: sent back)."""

    bundel_id: int
    jenis: str
    versi: int
    status: str
    jumlah: int
    alasan: str | None
    tingkat: int | None
    perbaikan: bool
    alasan_kegiatan: str | None
    selesai: bool
    terbit: dict[str, Any] = field(default_factory=dict)
    ditolak_ttd: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _keadaan(
    ses: Session, k: Any, b: Bundel, pdf: bool, level: dict[str, Any] | None, **lain: Any
) -> KeadaanNaskah:
    """``level``: :func:`tingkat_berikut` of ``b``, read once by the caller."""
    from diklat.naskah.perbaikan import menunggu

    return KeadaanNaskah(
        bundel_id=b.id,
        jenis=b.jenis,
        versi=b.versi,
        status=b.status,
        jumlah=b.jumlah,
        alasan=b.alasan,
        tingkat=int(level["urutan"]) if level is not None else None,
        perbaikan=b.status == status.DIKEMBALIKAN and menunggu(ses, k, b.jenis) is not None,
        alasan_kegiatan=k.status_alasan if b.status == status.DITOLAK else None,
        selesai=b.status not in status.BERAKHIR and level is None and _issued(ses, b, pdf),
        **lain,
    )


def siapkan(
    engine: Engine,
    kode: str,
    jenis: str,
    out_dir: Path,
    *,
    pdf: bool = True,
    settings: Settings | None = None,
) -> KeadaanNaskah:
    """Where the training's letter of ``jenis`` stands, drafting its first version if there is
    none: the next level that waits for a decision, or a version waiting for its correction,
    or ready to issue, issued, or refused."""
    s = settings or get_settings()
    h = naskah_versi.buat_draf(engine, kode, jenis, out_dir, pdf=pdf, settings=s)
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        b = ses.get(Bundel, h.bundel_id)
        assert b is not None
        plan = naskah_versi.rencana(k, jenis)
        if b.status == status.DRAF and b.versi == 1:
            for no in plan.langkah_draf:  # the system drafted it from the training's data
                ledger.selesai(
                    ses,
                    k,
                    no,
                    actor=ledger.SISTEM,
                    note=f"konsep {jenis} v{b.versi} disusun dari data kegiatan",
                )
        level = tingkat_berikut(ses, b)
        if level is None and b.status not in status.BERAKHIR:
            _tandai_terbit(ses, k, b, plan, pdf)  # a run that stopped right after issuing
        return _keadaan(ses, k, b, pdf, level)


def tanggal_final(ses: Any, k: Any, jenis: str, s: Settings) -> Any:
    """The date of a document nobody signs: a receipt for training kits is dated the day
    the kits were handed over (the step that records it), anything else the day it is made."""
    from diklat.naskah.isi import tanggal_naskah
    from diklat.sop.catalogue import get_sop

    if jenis == "tanda_terima":
        kit = [st.no for st in get_sop(k.sop).steps_for(k.kondisi) if st.masukan == "kit"]
        state = ledger.keadaan(ses, k.id)
        for no in kit:
            lg = state.get(no)
            if lg is not None and lg.status == ledger.SELESAI and lg.selesai is not None:
                return lg.selesai.astimezone(waktu.zona(s)).date()
    return tanggal_naskah(jenis, k, today(s), s)


def selesaikan(
    engine: Engine,
    kode: str,
    bundel_id: int,
    out_dir: Path,
    *,
    pdf: bool = True,
    settings: Settings | None = None,
) -> KeadaanNaskah:
    """Issue a bundle whose chain has decided: signed (number, final, PDF, PAdES), or made
    final and dated when nobody signs it. A signature refused because the content changed
    after the decision sends the version back (audited, the operator told): the returned
    state then says who corrects it."""
    from diklat.naskah.tanda_tangan import IsiBerubah, tanda_tangani, tolak_karena_berubah

    s = settings or get_settings()
    with session_scope(engine) as ses:
        b = ses.get(Bundel, bundel_id)
        assert b is not None
        signed = b.penandatangan_id is not None
        if not signed:
            k = kegiatan_by_kode(ses, kode)
            naskah_versi.tetapkan_final(ses, b, tanggal_final(ses, k, b.jenis, s))
    terbit: dict[str, Any] = {}
    ditolak: str | None = None
    if signed:
        try:
            terbit = tanda_tangani(engine, kode, bundel_id, out_dir, settings=s).as_dict()
        except IsiBerubah as e:
            from diklat.naskah.surel import kirim_surel

            if not tolak_karena_berubah(engine, bundel_id, str(e), kirim=kirim_surel, settings=s):
                raise  # already numbered: not signed; the run stops with the reason
            ditolak = str(e)
    else:
        terbit = naskah_versi.terbitkan(
            engine, kode, bundel_id, out_dir, pdf=pdf, settings=s
        ).as_dict()
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        b = ses.get(Bundel, bundel_id)
        assert b is not None
        plan = naskah_versi.rencana(k, b.jenis)
        _tandai_terbit(ses, k, b, plan, pdf)
        return _keadaan(ses, k, b, pdf, tingkat_berikut(ses, b), terbit=terbit, ditolak_ttd=ditolak)


# --------------------------------------------------------------------------- send and archive


def penerima_naskah(session: Any, n: Any, kegiatan: Any) -> list[Any]:
    """The recipients the SOP step names for one issued document: the agency of a notice, the
    participant of a summons or a certificate, the organiser, the sending agencies and the
    participants of an assignment letter, the invited officials of an invitation, the
    institution asked for speakers. A recipient without a valid address is still listed: the
    distribution records it for delivery by hand."""
    from diklat.kegiatan.data import data_kegiatan
    from diklat.models import Pegawai, Peserta, UnitKerja
    from diklat.naskah.distribusi import Penerima
    from diklat.naskah.isi import unit_sendiri

    def pegawai(nip: str) -> Pegawai | None:
        return session.execute(select(Pegawai).where(Pegawai.nip == nip)).scalar_one_or_none()

    def unit(kode: str) -> UnitKerja | None:
        return session.execute(select(UnitKerja).where(UnitKerja.kode == kode)).scalar_one_or_none()

    def peserta_units() -> tuple[list[Pegawai], list[UnitKerja]]:
        rows = (
            session.execute(
                select(Pegawai)
                .join(Peserta, Peserta.pegawai_id == Pegawai.id)
                .where(
                    Peserta.kegiatan_id == kegiatan.id, Peserta.status.not_in(["batal", "ditolak"])
                )
                .order_by(Peserta.nomor_urut)
            )
            .scalars()
            .all()
        )
        own = unit_sendiri(session, get_settings())
        units = {p.unit.kode: p.unit for p in rows if p.unit is not None and p.unit.kode not in own}
        return list(rows), [units[k] for k in sorted(units)]

    out: list[Any] = []
    kunci = n.kunci or ""
    if kunci.startswith("opd:"):
        u = unit(kunci[4:])
        if u is not None:
            out.append(Penerima.dari_unit(u))
    elif kunci.startswith("peserta:"):
        p = pegawai(kunci[8:])
        if p is not None:
            out.append(Penerima.dari_pegawai(p))
    elif n.jenis == "surat_tugas":
        people, units = peserta_units()
        d = data_kegiatan(kegiatan)
        if d.penyelenggara:
            out.append(
                Penerima(
                    f"penyelenggara:{d.penyelenggara[:80]}", d.penyelenggara, None, "penyelenggara"
                )
            )
        out += [Penerima.dari_unit(u) for u in units]
        out += [Penerima.dari_pegawai(p) for p in people]
    elif n.jenis == "undangan_pembukaan":
        _people, units = peserta_units()
        setda = (
            session.execute(select(UnitKerja).where(UnitKerja.nama.ilike("sekretariat daerah%")))
            .scalars()
            .first()
        )
        invited = ([setda] if setda is not None else []) + [u for u in units if u is not setda]
        out += [Penerima.dari_unit(u, peran="pejabat") for u in invited]
    elif n.jenis == "surat_permohonan_narasumber":
        d = data_kegiatan(kegiatan)
        if d.lembaga_narasumber:
            out.append(
                Penerima(
                    f"lembaga:{d.lembaga_narasumber[:80]}",
                    f"Kepala {d.lembaga_narasumber}",
                    None,
                    "narasumber",
                )
            )
    return out


def kirim(
    engine: Engine,
    kode: str,
    bundel_id: int,
    *,
    transport: Any = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Send every issued member of a bundle to its recipients (at most once per member and
    recipient); a member whose deliveries are all settled (sent, or listed for hand delivery)
    becomes ``dikirim``. One failing recipient never stops the others. Returns counts."""
    from collections import Counter

    from diklat.clients import mail_transport
    from diklat.models import Naskah
    from diklat.naskah.distribusi import distribusikan

    s = settings or get_settings()
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        b = ses.get(Bundel, bundel_id)
        assert b is not None
        plan = [
            (n.id, penerima_naskah(ses, n, k), _isi_surel(ses, n, k, s))
            for n in b.naskah
            if n.status in (status.TERDAFTAR, status.FINAL, status.DITANDATANGANI, status.DIKIRIM)
        ]
    counts: Counter[str] = Counter()
    own = transport is None
    t = transport or mail_transport(s)
    belum = 0
    try:
        settled: list[int] = []
        for naskah_id, people, isi in plan:
            if not people:
                settled.append(naskah_id)
                continue
            res = distribusikan(engine, naskah_id, people, transport=t, settings=s, isi=isi)
            counts.update(res.counts())
            open_ = [i for i in res.items if i.status != "terkirim"]
            belum += len(open_)
            if not open_:  # sent, or delivered by hand and confirmed
                settled.append(naskah_id)
    finally:
        if own:
            t.close()
    with session_scope(engine) as ses:
        for nid in settled:
            n = ses.get(Naskah, nid)
            if n is not None and n.status != status.DIKIRIM:
                status.pindah(n, status.DIKIRIM)
        b = ses.get(Bundel, bundel_id)
        assert b is not None
        if (
            b.naskah
            and all(n.status in (status.DIKIRIM, status.DIARSIPKAN) for n in b.naskah)
            and b.status not in (status.DIKIRIM, status.DIARSIPKAN)
        ):
            status.pindah(b, status.DIKIRIM, "bundel")
    out: dict[str, Any] = {k: v for k, v in counts.items() if v}
    out["belum"] = belum
    return out


def _isi_surel(ses: Any, n: Any, k: Any, s: Settings) -> Any:
    """The covering note of a notice to an agency carries the agency's own link to propose
    its candidates (valid until the proposals step's deadline)."""
    from diklat.kegiatan.usulan import tautan_untuk
    from diklat.naskah.distribusi import isi_bawaan
    from diklat.sop.catalogue import get_sop

    kunci = n.kunci or ""
    if n.jenis != "surat_pemberitahuan" or not kunci.startswith("opd:"):
        return None
    steps = [
        st for st in get_sop(k.sop).steps_for(k.kondisi) if st.masukan in ("usulan", "balasan")
    ]
    if not steps:
        return None
    hi = steps[0].waktu_max
    kal = ledger.kalender_sop(k)
    from diklat.models.base import utcnow

    until = kal.deadline(utcnow(), hi) if hi is not None else None
    token = tautan_untuk(ses, k, kunci[4:], until or utcnow())
    link = f"{s.tte.verify_base_url.rstrip('/')}/u/{token}"
    batas = until.astimezone(waktu.zona(s)).strftime("%d-%m-%Y %H:%M") if until else "-"

    def isi(p: Any) -> str:
        return (
            isi_bawaan(n, p, s) + "\n\nUsulan calon peserta dapat disampaikan langsung "
            f"melalui tautan berikut sampai {batas}:\n{link}\n(isi nomor dan tanggal "
            "surat usulan instansi serta NIP calon yang diusulkan)\n"
        )

    return isi


def arsipkan(engine: Engine, kode: str, bundel_id: int, *, settings: Settings | None = None) -> int:
    """Archive every issued member of a bundle (its signed PDF, or its final PDF/DOCX when
    nobody signs), content-addressed, with the participants it concerns; members become
    ``diarsipkan``. Idempotent; returns how many entries were made now."""
    from diklat.arsip import arsipkan as arsip_simpan
    from diklat.models import Naskah

    s = settings or get_settings()
    made = 0
    with session_scope(engine) as ses:
        b = ses.get(Bundel, bundel_id)
        assert b is not None
        for n in b.naskah:
            if n.status not in (
                status.TERDAFTAR,
                status.FINAL,
                status.DIKIRIM,
                status.DITANDATANGANI,
                status.DIARSIPKAN,
            ):
                continue
            files = {f.peran: f.path for f in n.berkas}
            path = next(
                (files[r] for r in ("ttd_pdf", "final_pdf", "final_docx") if r in files), None
            )
            if path is None:
                continue
            nips = [n.kunci[8:]] if (n.kunci or "").startswith("peserta:") else []
            e = arsip_simpan(ses, path, naskah_id=n.id, nip_terkait=nips, settings=s)
            made += 1 if e.baru else 0
            row = ses.get(Naskah, n.id)
            assert row is not None
            if row.status != status.DIARSIPKAN:
                status.pindah(row, status.DIARSIPKAN)
        if (
            b.naskah
            and all(n.status == status.DIARSIPKAN for n in b.naskah)
            and b.status != status.DIARSIPKAN
        ):
            status.pindah(b, status.DIARSIPKAN, "bundel")
    return made


def naskah_terbuka(s: Session, kegiatan_id: int) -> list[str]:
    """Document types whose newest version is issued or on its way but not archived yet (one
    query): a letter whose ledger steps are all done may still owe its sending or archiving
    when the run before was killed in between."""
    newest: dict[str, tuple[int, str]] = {}
    for jenis, versi, keadaan in s.execute(
        select(Bundel.jenis, Bundel.versi, Bundel.status).where(Bundel.kegiatan_id == kegiatan_id)
    ):
        if jenis not in newest or versi > newest[jenis][0]:
            newest[jenis] = (versi, keadaan)
    return sorted(
        j
        for j, (_v, keadaan) in newest.items()
        if keadaan not in (status.DIARSIPKAN, status.DITOLAK)
    )


def arsipkan_kegiatan(engine: Engine, kode: str, *, settings: Settings | None = None) -> int:
    """Archive every issued document of training ``kode`` (:func:`arsipkan` per bundle);
    returns how many entries were made now."""
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, kode)
        ids = s.execute(select(Bundel.id).where(Bundel.kegiatan_id == k.id)).scalars().all()
    return sum(arsipkan(engine, kode, bid, settings=settings) for bid in ids)
