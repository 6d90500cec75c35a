"""Document versions and bundles in the database: drafted once, decided on once, issued from
what was decided on.

A training's documents of one type form a **bundle** (:class:`~diklat.models.Bundel`); each
member is one **version** of one document (:class:`~diklat.models.Naskah`). Drafting a bundle
(:func:`buat_draf`) fixes, for every member, the render context (stored as JSON with its
SHA-256), the signer from the SOP catalogue (the same official is printed in the signature
block and audited at the signature), and renders the draft DOCX (its SHA-256 is what is
decided on; the bundle's manifest hash is over its members' hashes). Nothing of a version
changes afterwards: the final (:func:`terbitkan`) is rendered from the **stored context** plus
number and date, never from live rows, so a nightly sync or a new acting head changes no signed
letter. Only a revision (:func:`kembalikan`, then :func:`buat_draf` again) makes the next
version, from the data as it is then. Files are :class:`~diklat.models.NaskahBerkas` rows (one
per role: draft DOCX/PDF, final DOCX/PDF, signed PDF), each written once.

Every function is idempotent by natural keys (training, type, version, member key, file role),
so a flow resumed from the top calls them again and gets what is there. Status moves go
through :mod:`diklat.naskah.status`. No Prefect here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diklat.db import session_scope
from diklat.kegiatan import kegiatan_by_kode
from diklat.models import (
    AuditPersetujuan,
    Bundel,
    Kegiatan,
    Naskah,
    NaskahBerkas,
    Pejabat,
    Persetujuan,
)
from diklat.naskah import konteks, status
from diklat.naskah.isi import isi_bundel, sumber, tanggal_naskah
from diklat.pejabat import blok_ttd, pemegang
from diklat.register import register_bundel, today
from diklat.rules.tanggal import tanggal_indonesia
from diklat.settings import Settings, get_settings
from diklat.sop.catalogue import RencanaNaskah, get_sop

log = logging.getLogger("diklat.naskah")

#: Draft PDFs for the approvers: all members up to this size, else the first PRATINJAU.
PRATINJAU_PENUH = 20
PRATINJAU = 3


class VersiError(ValueError):
    """A request the life of a version does not allow (with the reason)."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_json(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True,
                                     separators=(",", ":")).encode()).hexdigest()


def manifest_hash(members: Iterable[tuple[str, str]]) -> str:
    """The hash a bundle is decided on: over ``kunci<TAB>sha256`` of every member, in key
    order. Any member changing (content or presence) changes it."""
    lines = "".join(f"{k}\t{h}\n" for k, h in sorted(members))
    return hashlib.sha256(lines.encode()).hexdigest()


@dataclass
class HasilBundel:
    """What a step did to one bundle (counts and ids only: safe for logs and artifacts)."""

    bundel_id: int
    jenis: str
    versi: int
    status: str
    jumlah: int
    manifest: str | None
    dibuat: int = 0  # files rendered now
    pdf: int = 0
    diberi_nomor: int = 0
    catatan: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"bundel_id": self.bundel_id, "jenis": self.jenis, "versi": self.versi,
                "status": self.status, "jumlah": self.jumlah,
                "manifest": (self.manifest or "")[:12], "dibuat": self.dibuat,
                "pdf": self.pdf, "diberi_nomor": self.diberi_nomor}


def rencana(kegiatan: Kegiatan, jenis: str) -> RencanaNaskah:
    return get_sop(kegiatan.sop).rencana(jenis, kegiatan.kondisi)


def bundel_terkini(session: Session, kegiatan_id: int, jenis: str) -> Bundel | None:
    return session.execute(
        select(Bundel).where(Bundel.kegiatan_id == kegiatan_id, Bundel.jenis == jenis)
        .order_by(Bundel.versi.desc()).limit(1)).scalar_one_or_none()


def berkas(session: Session, naskah_id: int, peran: str) -> NaskahBerkas | None:
    return session.execute(select(NaskahBerkas).where(
        NaskahBerkas.naskah_id == naskah_id, NaskahBerkas.peran == peran)).scalar_one_or_none()


def catat_berkas(session: Session, naskah: Naskah, peran: str, path: Path) -> NaskahBerkas:
    """Record a file of a version once. Recording the same role again with the same bytes
    returns the row; with other bytes it is refused (a version's files never change)."""
    digest = sha256_file(path)
    row = berkas(session, naskah.id, peran)
    if row is not None:
        if row.sha256 != digest and peran in ("draf_docx", "final_docx"):
            raise VersiError(f"berkas {peran} naskah {naskah.id} sudah tercatat dengan isi lain")
        return row
    row = NaskahBerkas(naskah_id=naskah.id, peran=peran, path=str(path), sha256=digest,
                       ukuran=path.stat().st_size)
    session.add(row)
    if peran == "draf_docx":
        naskah.sha256 = digest
    session.flush()
    return row


def catat_berkas_banyak(session: Session, pairs: Sequence[tuple[Naskah, Path]],
                        peran: str) -> None:
    """:func:`catat_berkas` for many versions at once: one query for the rows already
    recorded and one flush, instead of a query and a flush per file (a bundle of 500)."""
    if not pairs:
        return
    have = {r.naskah_id: r for r in session.execute(select(NaskahBerkas).where(
        NaskahBerkas.naskah_id.in_([n.id for n, _p in pairs]),
        NaskahBerkas.peran == peran)).scalars()}
    for naskah, path in pairs:
        digest = sha256_file(path)
        row = have.get(naskah.id)
        if row is not None:
            if row.sha256 != digest and peran in ("draf_docx", "final_docx"):
                raise VersiError(f"berkas {peran} naskah {naskah.id} sudah tercatat dengan "
                                 "isi lain")
            continue
        session.add(NaskahBerkas(naskah_id=naskah.id, peran=peran, path=str(path),
                                 sha256=digest, ukuran=path.stat().st_size))
        if peran == "draf_docx":
            naskah.sha256 = digest
    session.flush()


def konteks_render(n: Naskah, *, final: bool, settings: Settings | None = None,
                   tanggal_draf: dt.date | None = None) -> dict[str, Any]:
    """The context a version is rendered from: the stored one, plus number and date (final)
    or a number with a blank sequence and a date with a blank day (draft)."""
    s = settings or get_settings()
    if not n.konteks_json:
        raise VersiError(f"naskah {n.id} tidak menyimpan konteksnya; buat versi baru")
    ctx: dict[str, Any] = json.loads(n.konteks_json)
    numbered = n.jenis not in s.naskah.tanpa_nomor
    if final:
        if n.tanggal is None:
            raise VersiError(f"naskah {n.id} belum bertanggal (belum diberi nomor)")
        ctx["nomor"] = n.nomor or ""
        ctx["tanggal"] = tanggal_indonesia(n.tanggal)
    else:
        d = tanggal_draf or today(s)
        ctx["nomor"] = konteks.nomor_draf(n.jenis, d.year, s) if numbered else ""
        ctx["tanggal"] = konteks.tanggal_draf(d)
    return ctx


def _stem(kunci: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in (kunci or "naskah"))


def _folder(out_dir: Path, kode: str, b: Bundel, tahap: str) -> Path:
    return out_dir / _stem(kode) / b.jenis / f"v{b.versi}" / tahap


# --------------------------------------------------------------------------- drafting


def _new_bundle(session: Session, engine: Engine, k: Kegiatan, jenis: str, versi: int,
                catatan: str | None, settings: Settings) -> Bundel:
    plan = rencana(k, jenis)
    signer: Pejabat | None = None
    if plan.penandatangan is not None:
        signer = pemegang(session, plan.penandatangan)
    items = isi_bundel(sumber(session, engine, k, settings), jenis)
    rantai = [t.model_dump() for t in plan.tingkat]
    b = Bundel(kegiatan_id=k.id, jenis=jenis, versi=versi, status=status.DRAF,
               jumlah=len(items), rantai_json=json.dumps(rantai),
               penandatangan_id=signer.id if signer else None, catatan=catatan,
               dibuat_oleh=settings.approval.pembuat_nip or None)
    try:
        with session.begin_nested():
            session.add(b)
            session.flush()
    except IntegrityError:  # another process drafted this version first
        again = bundel_terkini(session, k.id, jenis)
        assert again is not None
        return again
    ttd = blok_ttd(signer) if signer else None
    klasifikasi = settings.klasifikasi_for(jenis)
    for it in items:
        ctx = konteks.surat(jenis, hal=it.hal, tujuan=it.tujuan, tujuan_tempat=it.tujuan_tempat,
                            lampiran=it.lampiran, sifat=it.sifat, ttd=ttd,
                            tembusan=it.tembusan, settings=settings, **it.isi)
        ctx.pop("nomor", None)
        ctx.pop("tanggal", None)
        session.add(Naskah(
            kegiatan_id=k.id, bundel_id=b.id, jenis=jenis, kunci=it.kunci, versi=versi,
            status=status.DRAF, hal=it.hal[:300], tujuan=(it.tujuan or None) and it.tujuan[:300],
            sifat=it.sifat, klasifikasi=klasifikasi,
            konteks_json=json.dumps(ctx, ensure_ascii=False, sort_keys=True),
            konteks_sha256=sha256_json(ctx),
            penandatangan_id=signer.id if signer else None,
            penandatangan_nip=signer.nip if signer else None))
    session.flush()
    return b


def buat_draf(engine: Engine, kode: str, jenis: str, out_dir: Path, *, pdf: bool = False,
              settings: Settings | None = None) -> HasilBundel:
    """The current version of a training's bundle of ``jenis``, drafted: created the first
    time (or after a revision: the next version, answering the revision's note), its draft
    DOCX files rendered once, the manifest hash fixed; with ``pdf`` also the draft PDFs the
    approvers read. A bundle refused (``ditolak``) stays refused."""
    s = settings or get_settings()
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        b = bundel_terkini(ses, k.id, jenis)
        if b is None or b.status == status.DIKEMBALIKAN:
            b = _new_bundle(ses, engine, k, jenis, (b.versi + 1) if b else 1,
                            b.alasan if b else None, s)
        bundel_id = b.id
    return _render_drafts(engine, kode, bundel_id, out_dir, pdf=pdf, settings=s)


def _render_drafts(engine: Engine, kode: str, bundel_id: int, out_dir: Path, *, pdf: bool,
                   settings: Settings) -> HasilBundel:
    from diklat.naskah import render_batch

    made = pdfs = 0
    with session_scope(engine) as ses:
        b = ses.get(Bundel, bundel_id)
        assert b is not None
        members = list(b.naskah)
        done = {r.naskah_id for r in ses.execute(select(NaskahBerkas).where(
            NaskahBerkas.naskah_id.in_([n.id for n in members]),
            NaskahBerkas.peran == "draf_docx")).scalars()}
        todo = [n for n in members if n.id not in done]
        if todo:
            paths = render_batch(b.jenis, [konteks_render(n, final=False, settings=settings)
                                           for n in todo],
                                 _folder(out_dir, kode, b, "draf"),
                                 names=[_stem(n.kunci) for n in todo], settings=settings)
            catat_berkas_banyak(ses, list(zip(todo, paths, strict=True)), "draf_docx")
            made = len(todo)
        if b.manifest_sha256 is None:
            b.manifest_sha256 = manifest_hash((n.kunci, n.sha256 or "") for n in members)
        if pdf:
            # What the approvers read: every draft of a small bundle; of a large one (the
            # summonses of 500 participants, one template, one text but the names) the first
            # PRATINJAU; all drafts stay as DOCX and the decision covers every member's hash.
            preview = members if len(members) <= PRATINJAU_PENUH else members[:PRATINJAU]
            pdfs = _convert(ses, preview, "draf_docx", "draf_pdf",
                            _folder(out_dir, kode, b, "draf-pdf"))
        return HasilBundel(b.id, b.jenis, b.versi, b.status, b.jumlah, b.manifest_sha256,
                           dibuat=made, pdf=pdfs)


_font_checked: set[str] = set()


def periksa_font(settings: Settings | None = None) -> str | None:
    """A warning (logged once per process, and returned) when the configured letter font is
    not installed, naming the font LibreOffice substitutes for it."""
    from connectors.pdf import font_substitute

    font = (settings or get_settings()).naskah.font
    sub = font_substitute(font)
    if sub is None:
        return None
    message = (f"font {font!r} tidak terpasang; PDF memakai {sub!r} sebagai gantinya (pasang "
               f"fontnya atau atur DIKLAT_NASKAH__FONT)")
    if font not in _font_checked:
        _font_checked.add(font)
        log.warning(message)
    return message


def _convert(ses: Session, members: Sequence[Naskah], src: str, dst: str, out: Path) -> int:
    """Convert members' ``src`` files lacking a ``dst`` file to PDF in one LibreOffice batch."""
    from connectors.pdf import convert_batch

    ids = [n.id for n in members]
    have = {(r.naskah_id, r.peran): r for r in ses.execute(select(NaskahBerkas).where(
        NaskahBerkas.naskah_id.in_(ids), NaskahBerkas.peran.in_([src, dst]))).scalars()}
    todo = [n for n in members if (n.id, src) in have and (n.id, dst) not in have]
    if not todo:
        return 0
    periksa_font()
    converted = convert_batch([Path(have[(n.id, src)].path) for n in todo], out)
    if converted is None:
        return 0
    catat_berkas_banyak(ses, list(zip(todo, converted, strict=True)), dst)
    return len(todo)


# --------------------------------------------------------------------------- decisions


def _members(b: Bundel) -> list[Naskah]:
    return list(b.naskah)


def _move(b: Bundel, ke: str) -> bool:
    moved = status.pindah(b, ke, f"bundel {b.jenis} v{b.versi}")
    for n in _members(b):
        status.pindah(n, ke, f"naskah {n.jenis} {n.kunci}")
    return moved


def _check_manifest(b: Bundel, sha: str | None) -> None:
    if b.manifest_sha256 is None:
        raise VersiError(f"bundel {b.jenis} v{b.versi} belum selesai dibuat (manifest kosong)")
    if sha is not None and sha != b.manifest_sha256:
        raise VersiError(f"bundel {b.jenis} v{b.versi} berubah: keputusan atas hash "
                         f"{sha[:12]} bukan {b.manifest_sha256[:12]}")


def ajukan(session: Session, b: Bundel) -> bool:
    """A drafted bundle goes up the paraf chain (draf -> paraf)."""
    _check_manifest(b, None)
    return _move(b, status.PARAF) if b.status == status.DRAF else False


def tandai_ditandatangani(session: Session, b: Bundel, pejabat: Pejabat, *,
                          sha: str | None = None, alasan: str = "",
                          flow_run_id: str | None = None) -> bool:
    """The signature on a bundle: only the official printed in its signature block (fixed at
    drafting) may sign, against the manifest hash. Audited. ``False`` if it already was."""
    _check_manifest(b, sha)
    if b.penandatangan_id is None:
        raise VersiError(f"bundel {b.jenis} tidak ditandatangani menurut SOP")
    if pejabat.id != b.penandatangan_id:
        raise VersiError(f"bundel {b.jenis} v{b.versi} ditandatangani pejabat yang tercetak "
                         f"pada naskah (id {b.penandatangan_id}), bukan pejabat id {pejabat.id}")
    if b.status in status.DIPUTUSKAN:
        return False
    _move(b, status.DITANDATANGANI)
    session.add(AuditPersetujuan(bundel_id=b.id, nip=pejabat.nip, peran="penandatangan",
                                 hasil="diterima", alasan=alasan or None,
                                 flow_run_id=flow_run_id))
    session.flush()
    return True


def tetapkan_final(session: Session, b: Bundel, tanggal: dt.date) -> bool:
    """A bundle nobody signs (attendance sheets, receipts) is final as drafted, dated."""
    _check_manifest(b, None)
    if b.penandatangan_id is not None:
        raise VersiError(f"bundel {b.jenis} harus ditandatangani dulu")
    if b.status != status.DRAF:
        return False
    _move(b, status.FINAL)
    for n in _members(b):
        n.tanggal = n.tanggal or tanggal
    session.flush()
    return True


def kembalikan(session: Session, b: Bundel, alasan: str) -> bool:
    """Revision: the version goes back for correction with the note; the next
    :func:`buat_draf` makes the next version."""
    if not alasan.strip():
        raise VersiError("catatan revisi wajib diisi")
    if b.status == status.DIKEMBALIKAN:
        return False
    _move(b, status.DIKEMBALIKAN)
    b.alasan = alasan.strip()
    session.flush()
    return True


def tolak(session: Session, b: Bundel, alasan: str) -> bool:
    """Refusal: the document's path ends, with the reason."""
    if not alasan.strip():
        raise VersiError("alasan penolakan wajib diisi")
    if b.status == status.DITOLAK:
        return False
    _move(b, status.DITOLAK)
    b.alasan = alasan.strip()
    session.flush()
    return True


def beri_nomor(session: Session, b: Bundel, tanggal: dt.date | None = None,
               settings: Settings | None = None) -> int:
    """Number a signed bundle in the register (one transaction for all members); a type
    that carries no number gets only its date. Returns how many numbers were given now."""
    s = settings or get_settings()
    if b.status not in (status.DITANDATANGANI, status.TERDAFTAR):
        raise VersiError(f"bundel {b.jenis} v{b.versi} berstatus {b.status}: hanya bundel yang "
                         "sudah ditandatangani yang diberi nomor")
    k = session.get(Kegiatan, b.kegiatan_id)
    assert k is not None
    tgl = tanggal or tanggal_naskah(b.jenis, k, today(s), s)
    members = _members(b)
    if b.jenis in s.naskah.tanpa_nomor:
        for n in members:
            n.tanggal = n.tanggal or tgl
        session.flush()
        return 0
    before = sum(1 for n in members if n.nomor)
    register_bundel(session, [n.id for n in members], tgl, settings=s)
    if b.status == status.DITANDATANGANI:
        status.pindah(b, status.TERDAFTAR, f"bundel {b.jenis}")
    return len(members) - before


def setujui_demo(session: Session, b: Bundel, *, alasan: str) -> bool:
    """Demo only: every level of the bundle's chain decides "setuju", as the officials the
    catalogue names, audited as a demo stand-in (the paraf chain with verified officials
    replaces it). Returns False when the bundle was already decided on."""
    if b.status in status.DIPUTUSKAN or b.penandatangan_id is None:
        return False
    _check_manifest(b, None)
    for level in json.loads(b.rantai_json or "[]"):
        if level["kind"] == "tanda_tangan":
            signer = session.get(Pejabat, b.penandatangan_id)
            assert signer is not None
            pej = signer
        else:
            pej = pemegang(session, level["peran"])
        exists = session.execute(select(Persetujuan.id).where(
            Persetujuan.bundel_id == b.id, Persetujuan.urutan == level["urutan"],
            Persetujuan.naskah_sha256 == b.manifest_sha256)).first()
        if exists is None:
            session.add(Persetujuan(
                bundel_id=b.id, urutan=level["urutan"], kind=level["kind"],
                peran=level["peran"], pejabat_id=pej.id, nip=pej.nip, nama=pej.nama,
                keputusan="setuju", catatan=alasan, naskah_sha256=b.manifest_sha256 or ""))
        if level["kind"] == "paraf":
            ajukan(session, b)
            session.add(AuditPersetujuan(bundel_id=b.id, nip=pej.nip, peran=level["peran"],
                                         hasil="diterima", alasan=alasan))
    signer = session.get(Pejabat, b.penandatangan_id)
    assert signer is not None
    return tandai_ditandatangani(session, b, signer, sha=b.manifest_sha256, alasan=alasan)


# --------------------------------------------------------------------------- issuing


def terbitkan(engine: Engine, kode: str, bundel_id: int, out_dir: Path, *, pdf: bool = True,
              settings: Settings | None = None) -> HasilBundel:
    """Render the finals of a decided bundle from each version's stored context plus number
    and date (once), and convert the new finals to PDF in one LibreOffice batch (once)."""
    from diklat.naskah import render_batch

    s = settings or get_settings()
    with session_scope(engine) as ses:
        b = ses.get(Bundel, bundel_id)
        if b is None:
            raise VersiError(f"bundel {bundel_id} tidak ada")
        members = _members(b)
        ready = [n for n in members if n.status in status.SIAP_FINAL]
        if len(ready) != len(members) and b.status not in status.SIAP_FINAL:
            raise VersiError(f"bundel {b.jenis} v{b.versi} berstatus {b.status}: belum dapat "
                             "diterbitkan")
        have = {r.naskah_id for r in ses.execute(select(NaskahBerkas).where(
            NaskahBerkas.naskah_id.in_([n.id for n in ready]),
            NaskahBerkas.peran == "final_docx")).scalars()}
        todo = [n for n in ready if n.id not in have]
        if todo:
            paths = render_batch(b.jenis, [konteks_render(n, final=True, settings=s)
                                           for n in todo],
                                 _folder(out_dir, kode, b, "final"),
                                 names=[_stem(n.kunci) for n in todo], settings=s)
            catat_berkas_banyak(ses, list(zip(todo, paths, strict=True)), "final_docx")
        hasil = HasilBundel(b.id, b.jenis, b.versi, b.status, b.jumlah, b.manifest_sha256,
                            dibuat=len(todo))
    if pdf:
        with session_scope(engine) as ses:
            b = ses.get(Bundel, bundel_id)
            assert b is not None
            hasil.pdf = _convert(ses, _members(b), "final_docx", "final_pdf",
                                 _folder(out_dir, kode, b, "pdf"))
    return hasil


def naskah_dict(session: Session, n: Naskah) -> dict[str, Any]:
    """A version as ``kegiatan show`` lists it."""
    return {"id": n.id, "jenis": n.jenis, "kunci": n.kunci, "versi": n.versi,
            "status": n.status, "sha256": n.sha256, "nomor": n.nomor,
            "tanggal": n.tanggal.isoformat() if n.tanggal else None,
            "bundel_id": n.bundel_id}


def daftar_naskah(session: Session, kegiatan_id: int) -> list[Naskah]:
    return list(session.execute(
        select(Naskah).where(Naskah.kegiatan_id == kegiatan_id)
        .order_by(Naskah.id)).scalars())


def jalankan_demo(engine: Engine, kode: str, jenis: str, out_dir: Path, *, pdf: bool = True,
                  settings: Settings | None = None) -> HasilBundel:
    """One bundle end to end with the demo stand-in for the officials: draft, the chain
    decides "setuju" (audited as a demo), number, final, PDF; a bundle nobody signs is made
    final. Each SOP step it passes is recorded in the ledger. Idempotent."""
    from diklat import ledger

    s = settings or get_settings()
    hasil = buat_draf(engine, kode, jenis, out_dir, settings=s)
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        plan = rencana(k, jenis)
        for no in plan.langkah_draf:
            ledger.selesai(ses, k, no, note=f"konsep {jenis} v{hasil.versi}")
        b = ses.get(Bundel, hasil.bundel_id)
        assert b is not None
        if b.penandatangan_id is None:
            tetapkan_final(ses, b, tanggal_naskah(jenis, k, today(s), s))
        else:
            setujui_demo(ses, b, alasan="demo: disetujui otomatis oleh pejabat menurut katalog "
                                        "SOP; alur paraf dengan kode verifikasi menyusul")
            for t in plan.tingkat:
                ledger.selesai(ses, k, t.langkah, actor=t.peran, note="demo")
            hasil.diberi_nomor = beri_nomor(ses, b, settings=s)
            if plan.langkah_agenda is not None:
                ledger.selesai(ses, k, plan.langkah_agenda, note="dicatat di agenda surat keluar")
    out = terbitkan(engine, kode, hasil.bundel_id, out_dir, pdf=pdf, settings=s)
    out.diberi_nomor = hasil.diberi_nomor
    return out
