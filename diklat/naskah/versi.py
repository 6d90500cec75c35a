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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diklat.db import session_scope
from diklat.kegiatan.data import kegiatan_by_kode
from diklat.models import (
    AuditPersetujuan,
    Bundel,
    Kegiatan,
    Naskah,
    NaskahBerkas,
    Pejabat,
)
from diklat.models.base import utcnow
from diklat.naskah import ikatan, konteks, status
from diklat.naskah.isi import isi_bundel, sumber, tanggal_naskah
from diklat.naskah.konteks import blok_ttd
from diklat.naskah.register import register_bundel, today
from diklat.pegawai.pejabat import pemegang
from diklat.rules.tanggal import tanggal_indonesia
from diklat.settings import Settings, get_settings
from diklat.sop.catalogue import RencanaNaskah, get_sop

log = logging.getLogger("diklat.naskah")


class VersiError(ValueError):
    """A request the life of a version does not allow (with the reason)."""


def sha256_file(path: Path) -> str:
    return ikatan.sha256_path(path)


def sha256_json(data: Any) -> str:
    return ikatan.sha256_json(data)


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
        return {
            "bundel_id": self.bundel_id,
            "jenis": self.jenis,
            "versi": self.versi,
            "status": self.status,
            "jumlah": self.jumlah,
            "manifest": (self.manifest or "")[:12],
            "dibuat": self.dibuat,
            "pdf": self.pdf,
            "diberi_nomor": self.diberi_nomor,
        }


def rencana(kegiatan: Kegiatan, jenis: str) -> RencanaNaskah:
    return get_sop(kegiatan.sop).rencana(jenis, kegiatan.kondisi)


def bundel_terkini(session: Session, kegiatan_id: int, jenis: str) -> Bundel | None:
    return session.execute(
        select(Bundel)
        .where(Bundel.kegiatan_id == kegiatan_id, Bundel.jenis == jenis)
        .order_by(Bundel.versi.desc())
        .limit(1)
    ).scalar_one_or_none()


def berkas(session: Session, naskah_id: int, peran: str) -> NaskahBerkas | None:
    return session.execute(
        select(NaskahBerkas).where(NaskahBerkas.naskah_id == naskah_id, NaskahBerkas.peran == peran)
    ).scalar_one_or_none()


def catat_berkas(session: Session, naskah: Naskah, peran: str, path: Path) -> NaskahBerkas:
    """Record a file of a version once. Recording the same role again with the same bytes
    returns the row; with other bytes it is refused (a version's files never change)."""
    digest = sha256_file(path)
    row = berkas(session, naskah.id, peran)
    if row is not None:
        if row.sha256 != digest and peran in ("draf_docx", "final_docx"):
            raise VersiError(f"berkas {peran} naskah {naskah.id} sudah tercatat dengan isi lain")
        return row
    row = NaskahBerkas(
        naskah_id=naskah.id, peran=peran, path=str(path), sha256=digest, ukuran=path.stat().st_size
    )
    session.add(row)
    if peran == "draf_docx":
        naskah.sha256 = digest
    session.flush()
    return row


def catat_berkas_banyak(session: Session, pairs: Sequence[tuple[Naskah, Path]], peran: str) -> None:
    """:func:`catat_berkas` for many versions at once: one query for the rows already
    recorded and one flush, instead of a query and a flush per file (a bundle of 500)."""
    if not pairs:
        return
    have = {
        r.naskah_id: r
        for r in session.execute(
            select(NaskahBerkas).where(
                NaskahBerkas.naskah_id.in_([n.id for n, _p in pairs]), NaskahBerkas.peran == peran
            )
        ).scalars()
    }
    for naskah, path in pairs:
        digest = sha256_file(path)
        row = have.get(naskah.id)
        if row is not None:
            if row.sha256 != digest and peran in ("draf_docx", "final_docx"):
                raise VersiError(
                    f"berkas {peran} naskah {naskah.id} sudah tercatat dengan isi lain"
                )
            continue
        session.add(
            NaskahBerkas(
                naskah_id=naskah.id,
                peran=peran,
                path=str(path),
                sha256=digest,
                ukuran=path.stat().st_size,
            )
        )
        if peran == "draf_docx":
            naskah.sha256 = digest
    session.flush()


def konteks_render(
    n: Naskah, *, settings: Settings | None = None, tanggal_draf: dt.date | None = None
) -> dict[str, Any]:
    """The context a draft is rendered from: the stored one, plus the number line with the
    sequence left blank and the date line with the day left blank (the placeholders the
    final fills in, :mod:`diklat.naskah.final`)."""
    s = settings or get_settings()
    if not n.konteks_json:
        raise VersiError(f"naskah {n.id} tidak menyimpan konteksnya; buat versi baru")
    ctx: dict[str, Any] = json.loads(n.konteks_json)
    numbered = n.jenis not in s.naskah.tanpa_nomor
    d = tanggal_draf or today(s)
    ctx["nomor"] = (
        konteks.nomor_draf(n.jenis, d.year, s, unit=ctx.get("unit_nomor") or None)
        if numbered
        else ""
    )
    ctx["tanggal"] = konteks.tanggal_draf(d)
    return ctx


def _stem(kunci: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in (kunci or "naskah"))


def _folder(out_dir: Path, kode: str, b: Bundel, tahap: str) -> Path:
    return out_dir / _stem(kode) / b.jenis / f"v{b.versi}" / tahap


# --------------------------------------------------------------------------- drafting


@dataclass
class Perbaikan:
    """How the next version answers a revision: who corrected it, how (``data``: drafted
    again from the training's data as it is now; ``unggah``: drafts corrected in Word;
    ``tanpa_perubahan``: the person states why nothing needs to change), which documents
    (member keys; ``None``: every member), the uploaded drafts by member key, and where the
    chain starts again."""

    oleh_nip: str
    cara: str
    catatan: str | None = None
    kunci: set[str] | None = None
    unggahan: dict[str, bytes] = field(default_factory=dict)
    mulai_urutan: int = 1


def _new_bundle(
    session: Session,
    engine: Engine,
    k: Kegiatan,
    jenis: str,
    versi: int,
    catatan: str | None,
    settings: Settings,
    *,
    sebelumnya: Bundel | None = None,
    perbaikan: Perbaikan | None = None,
) -> Bundel:
    """A new version of a training's bundle. Its members come from the training's data as it
    is now; after a revision that names documents (``perbaikan.kunci``) the others are the
    previous version's, unchanged (same context, same draft bytes), and uploaded corrections
    replace the named members' drafts."""
    plan = rencana(k, jenis)
    signer, items, contexts = _isi_sekarang(session, engine, k, jenis, settings)
    old = {n.kunci: n for n in sebelumnya.naskah} if sebelumnya is not None else {}
    rantai = [t.model_dump() for t in plan.tingkat]
    b = Bundel(
        kegiatan_id=k.id,
        jenis=jenis,
        versi=versi,
        status=status.DRAF,
        jumlah=len(items),
        rantai_json=json.dumps(rantai),
        penandatangan_id=signer.id if signer else None,
        catatan=catatan,
        dibuat_oleh=(
            sebelumnya.dibuat_oleh
            if sebelumnya is not None
            else settings.approval.pembuat_nip or None
        ),
        template_sha256=ikatan.sha_template(jenis, settings),
        pengaturan_sha256=ikatan.sha_pengaturan(jenis, settings),
        mulai_urutan=perbaikan.mulai_urutan if perbaikan else 1,
    )
    if perbaikan is not None:
        b.diperbaiki_oleh, b.diperbaiki_at = perbaikan.oleh_nip, utcnow()
        b.perbaikan_json = json.dumps(
            {
                "cara": perbaikan.cara,
                "catatan": perbaikan.catatan,
                "dokumen": sorted(perbaikan.kunci) if perbaikan.kunci is not None else None,
            },
            ensure_ascii=False,
        )
    try:
        with session.begin_nested():
            session.add(b)
            session.flush()
    except IntegrityError:  # another process drafted this version first
        again = bundel_terkini(session, k.id, jenis)
        assert again is not None
        return again
    klasifikasi = settings.klasifikasi_for(jenis)
    for it in items:
        prev = old.get(it.kunci)
        keep = (
            prev is not None
            and perbaikan is not None
            and (
                perbaikan.cara == "tanpa_perubahan"
                or (perbaikan.kunci is not None and it.kunci not in perbaikan.kunci)
            )
        )
        if keep or (prev is not None and perbaikan is not None and it.kunci in perbaikan.unggahan):
            assert prev is not None
            konteks_json, konteks_sha = prev.konteks_json, prev.konteks_sha256
        else:
            konteks_json, konteks_sha = contexts[it.kunci]
        asal = (
            "salinan"
            if keep
            else "unggahan"
            if perbaikan is not None and it.kunci in perbaikan.unggahan
            else "templat"
        )
        session.add(
            Naskah(
                kegiatan_id=k.id,
                bundel_id=b.id,
                jenis=jenis,
                kunci=it.kunci,
                versi=versi,
                status=status.DRAF,
                hal=it.hal[:300],
                tujuan=(it.tujuan or None) and it.tujuan[:300],
                sifat=it.sifat,
                klasifikasi=klasifikasi,
                konteks_json=konteks_json,
                konteks_sha256=konteks_sha,
                asal=asal,
                draf_nomor=prev.draf_nomor if prev is not None and asal != "templat" else None,
                draf_tanggal=prev.draf_tanggal if prev is not None and asal != "templat" else None,
                penandatangan_id=signer.id if signer else None,
                penandatangan_nip=signer.nip if signer else None,
            )
        )
    session.flush()
    return b


def _isi_sekarang(
    session: Session, engine: Engine, k: Kegiatan, jenis: str, settings: Settings
) -> tuple[Pejabat | None, list[Any], dict[str, tuple[str, str]]]:
    """The signer the catalogue names today, the bundle's members from today's data, and
    each member's render context (JSON, SHA-256) by key."""
    plan = rencana(k, jenis)
    signer: Pejabat | None = None
    if plan.penandatangan is not None:
        signer = pemegang(session, plan.penandatangan)
    items = isi_bundel(sumber(session, engine, k, settings), jenis)
    ttd = blok_ttd(signer) if signer else None
    contexts: dict[str, tuple[str, str]] = {}
    for it in items:
        ctx = konteks.surat(
            jenis,
            hal=it.hal,
            tujuan=it.tujuan,
            tujuan_tempat=it.tujuan_tempat,
            lampiran=it.lampiran,
            sifat=it.sifat,
            ttd=ttd,
            tembusan=it.tembusan,
            settings=settings,
            **it.isi,
        )
        ctx.pop("nomor", None)
        ctx.pop("tanggal", None)
        contexts[it.kunci] = (json.dumps(ctx, ensure_ascii=False, sort_keys=True), sha256_json(ctx))
    return signer, items, contexts


def konteks_anggota(
    session: Session, engine: Engine, k: Kegiatan, jenis: str, settings: Settings | None = None
) -> dict[str, str]:
    """Member key -> the SHA-256 of the context it would be drafted with from today's data."""
    _signer, _items, contexts = _isi_sekarang(session, engine, k, jenis, settings or get_settings())
    return {key: sha for key, (_j, sha) in contexts.items()}


def buat_draf(
    engine: Engine,
    kode: str,
    jenis: str,
    out_dir: Path,
    *,
    pdf: bool = False,
    settings: Settings | None = None,
) -> HasilBundel:
    """The current version of a training's bundle of ``jenis``, drafted: created the first
    time, its draft DOCX files rendered once, the manifest hash fixed; with ``pdf`` also the
    draft PDFs the approvers read (every member, and one merged preview of the bundle). A
    version sent back for correction or refused stays as it is: the next version is made
    by the person who corrects it (:mod:`diklat.naskah.perbaikan`) or deliberately started
    again after a refusal."""
    s = settings or get_settings()
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        b = bundel_terkini(ses, k.id, jenis)
        if b is None:
            b = _new_bundle(ses, engine, k, jenis, 1, None, s)
        bundel_id = b.id
    return _render_drafts(engine, kode, bundel_id, out_dir, pdf=pdf, settings=s)


def versi_berikut(
    engine: Engine,
    kode: str,
    jenis: str,
    out_dir: Path,
    perbaikan: Perbaikan,
    *,
    pdf: bool = False,
    settings: Settings | None = None,
) -> HasilBundel:
    """The next version of a bundle returned for correction (or refused and started again),
    made as ``perbaikan`` says: uploaded drafts written as this version's files, unchanged
    members copied byte for byte, the rest drafted from the data. Idempotent per version."""
    s = settings or get_settings()
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        prev = bundel_terkini(ses, k.id, jenis)
        if prev is None or prev.status not in status.BERAKHIR:
            raise VersiError(f"{jenis} tidak sedang dikembalikan atau ditolak")
        b = _new_bundle(
            ses,
            engine,
            k,
            jenis,
            prev.versi + 1,
            prev.alasan,
            s,
            sebelumnya=prev,
            perbaikan=perbaikan,
        )
        old = {n.kunci: n for n in prev.naskah}
        folder = _folder(out_dir, kode, b, "draf")
        for n in b.naskah:
            if n.asal == "templat" or berkas(ses, n.id, "draf_docx") is not None:
                continue
            if n.asal == "unggahan":
                data = perbaikan.unggahan[n.kunci]
            else:
                src = berkas(ses, old[n.kunci].id, "draf_docx")
                if src is None:
                    raise VersiError(f"konsep {n.kunci} versi {prev.versi} tidak ada")
                data = Path(src.path).read_bytes()
                if ikatan.sha256_bytes(data) != src.sha256:
                    raise VersiError(f"berkas konsep {n.kunci} versi {prev.versi} berubah")
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{_stem(n.kunci)}.docx"
            tmp = target.with_suffix(".docx.tmp")
            tmp.write_bytes(data)
            tmp.replace(target)
            catat_berkas(ses, n, "draf_docx", target)
        bundel_id = b.id
    return _render_drafts(engine, kode, bundel_id, out_dir, pdf=pdf, settings=s)


def _render_drafts(
    engine: Engine, kode: str, bundel_id: int, out_dir: Path, *, pdf: bool, settings: Settings
) -> HasilBundel:
    from diklat.naskah import render_batch

    made = pdfs = 0
    with session_scope(engine) as ses:
        b = ses.get(Bundel, bundel_id)
        assert b is not None
        members = list(b.naskah)
        done = {
            r.naskah_id
            for r in ses.execute(
                select(NaskahBerkas).where(
                    NaskahBerkas.naskah_id.in_([n.id for n in members]),
                    NaskahBerkas.peran == "draf_docx",
                )
            ).scalars()
        }
        todo = [n for n in members if n.id not in done]
        if todo:
            d = today(settings)
            ctxs = [konteks_render(n, settings=settings, tanggal_draf=d) for n in todo]
            paths = render_batch(
                b.jenis,
                ctxs,
                _folder(out_dir, kode, b, "draf"),
                names=[_stem(n.kunci) for n in todo],
                settings=settings,
            )
            for n, ctx in zip(todo, ctxs, strict=True):
                n.draf_nomor = ctx["nomor"] or None
                n.draf_tanggal = ctx["tanggal"]
            catat_berkas_banyak(ses, list(zip(todo, paths, strict=True)), "draf_docx")
            made = len(todo)
        if b.manifest_sha256 is None:
            b.manifest_sha256 = ikatan.manifest_bundel(b)
        if pdf:
            # What the approvers read: every draft, and the bundle as one merged preview
            # (the 500 summonses of a training in one file); the decision covers every
            # member's hash.
            pdfs = _convert(
                ses, members, "draf_docx", "draf_pdf", _folder(out_dir, kode, b, "draf-pdf")
            )
            simpan_teks_draf(ses, members)
            pratinjau(ses, b, out_dir, kode)
        return HasilBundel(
            b.id, b.jenis, b.versi, b.status, b.jumlah, b.manifest_sha256, dibuat=made, pdf=pdfs
        )


#: The role of a draft PDF's text layer, kept beside it (``<draft>.txt``).
TEKS_DRAF = "draf_teks"


def simpan_teks_draf(ses: Session, members: Sequence[Naskah]) -> int:
    """Keep the text layer of each draft PDF the approvers read (poppler's, as the check of
    a final reads it) in a file beside it, recorded with its hash as :data:`TEKS_DRAF`: the
    check of the final against its draft, usually in a later process (a deployed run resumes
    elsewhere), reads that instead of the PDF. Just after a conversion the texts come from
    the merged PDFs (:func:`connectors.pdf.teks_pdf`). Nothing is kept without poppler.
    Returns how many were kept."""
    from connectors.pdf import pembaca_teks, teks_pdf

    if pembaca_teks() != "poppler":
        return 0
    rows = ses.execute(
        select(NaskahBerkas).where(
            NaskahBerkas.naskah_id.in_([n.id for n in members]),
            NaskahBerkas.peran.in_(["draf_pdf", TEKS_DRAF]),
        )
    ).scalars()
    by = {(r.naskah_id, r.peran): r for r in rows}
    todo = [
        (n, Path(by[(n.id, "draf_pdf")].path))
        for n in members
        if (n.id, "draf_pdf") in by and (n.id, TEKS_DRAF) not in by
    ]
    if not todo:
        return 0
    texts = teks_pdf([p for _n, p in todo])
    kept: list[tuple[Naskah, Path]] = []
    for (n, pdf), text in zip(todo, texts, strict=True):
        target = pdf.with_suffix(".txt")
        tmp = target.with_suffix(".txt.tmp")
        tmp.write_bytes(text.encode("utf-8"))  # the bytes whose hash is recorded, as read
        tmp.replace(target)
        kept.append((n, target))
    catat_berkas_banyak(ses, kept, TEKS_DRAF)
    return len(kept)


def _teks_draf_tersimpan(row: NaskahBerkas | None) -> str | None:
    """A kept draft text, if its file still has the recorded hash."""
    if row is None:
        return None
    try:
        data = Path(row.path).read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != row.sha256:
        log.warning("teks konsep %s tidak cocok dengan hash tercatat; PDF-nya dibaca", row.path)
        return None
    return data.decode("utf-8")


def pratinjau(ses: Session, b: Bundel, out_dir: Path, kode: str) -> Path | None:
    """One PDF of every draft of a bundle version, in the bundle's order (made once; ``None``
    while a draft PDF is missing, e.g. without LibreOffice)."""
    members = list(b.naskah)
    rows = {
        r.naskah_id: r
        for r in ses.execute(
            select(NaskahBerkas).where(
                NaskahBerkas.naskah_id.in_([n.id for n in members]),
                NaskahBerkas.peran == "draf_pdf",
            )
        ).scalars()
    }
    if not members or any(n.id not in rows for n in members):
        return None
    if len(members) == 1:
        return Path(rows[members[0].id].path)
    target = _folder(out_dir, kode, b, "pratinjau") / f"{b.jenis}-v{b.versi}-semua.pdf"
    if target.exists():
        return target
    from connectors.pdf import gabung_pdf

    target.parent.mkdir(parents=True, exist_ok=True)
    return gabung_pdf([Path(rows[n.id].path) for n in members], target)


_font_checked: set[str] = set()


def periksa_font(settings: Settings | None = None) -> str | None:
    """A warning (logged once per process, and returned) when the configured letter font is
    not installed, naming the font LibreOffice substitutes for it."""
    from connectors.pdf import font_substitute

    font = (settings or get_settings()).naskah.font
    sub = font_substitute(font)
    if sub is None:
        return None
    message = (
        f"font {font!r} tidak terpasang; PDF memakai {sub!r} sebagai gantinya (pasang "
        f"fontnya atau atur DIKLAT_NASKAH__FONT)"
    )
    if font not in _font_checked:
        _font_checked.add(font)
        log.warning(message)
    return message


def _convert(
    ses: Session, members: Sequence[Naskah], src: str, dst: str, out: Path, *, periksa: Any = None
) -> int:
    """Convert members' ``src`` files lacking a ``dst`` file to PDF in one LibreOffice batch;
    ``periksa(session, [(naskah, pdf), ...])`` checks them before they are recorded."""
    from diklat.clients import convert_pdf as convert_batch

    ids = [n.id for n in members]
    have = {
        (r.naskah_id, r.peran): r
        for r in ses.execute(
            select(NaskahBerkas).where(
                NaskahBerkas.naskah_id.in_(ids), NaskahBerkas.peran.in_([src, dst])
            )
        ).scalars()
    }
    todo = [n for n in members if (n.id, src) in have and (n.id, dst) not in have]
    if not todo:
        return 0
    periksa_font()
    converted = convert_batch([Path(have[(n.id, src)].path) for n in todo], out)
    if converted is None:
        return 0
    pairs = list(zip(todo, converted, strict=True))
    if periksa is not None:
        periksa(ses, pairs)
    catat_berkas_banyak(ses, pairs, dst)
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
        raise VersiError(
            f"bundel {b.jenis} v{b.versi} berubah: keputusan atas hash "
            f"{sha[:12]} bukan {b.manifest_sha256[:12]}"
        )


def ajukan(session: Session, b: Bundel) -> bool:
    """A drafted bundle goes up the paraf chain (draf -> paraf)."""
    _check_manifest(b, None)
    return _move(b, status.PARAF) if b.status == status.DRAF else False


def tandai_ditandatangani(
    session: Session,
    b: Bundel,
    pejabat: Pejabat,
    *,
    sha: str | None = None,
    alasan: str = "",
    flow_run_id: str | None = None,
) -> bool:
    """The signature on a bundle: only the official printed in its signature block (fixed at
    drafting) may sign, against the manifest hash. Audited. ``False`` if it already was."""
    _check_manifest(b, sha)
    if b.penandatangan_id is None:
        raise VersiError(f"bundel {b.jenis} tidak ditandatangani menurut SOP")
    if pejabat.id != b.penandatangan_id:
        raise VersiError(
            f"bundel {b.jenis} v{b.versi} ditandatangani pejabat yang tercetak "
            f"pada naskah (id {b.penandatangan_id}), bukan pejabat id {pejabat.id}"
        )
    if b.status in status.DIPUTUSKAN:
        return False
    _move(b, status.DITANDATANGANI)
    session.add(
        AuditPersetujuan(
            bundel_id=b.id,
            nip=pejabat.nip,
            peran="penandatangan",
            hasil="diterima",
            alasan=alasan or None,
            flow_run_id=flow_run_id,
        )
    )
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


def kembalikan(session: Session, b: Bundel, alasan: str, *, isi_berubah: bool = False) -> bool:
    """Revision: the version goes back for correction with the note; the person who
    corrects it makes the next version (:func:`versi_berikut`). A signed version is never
    revised by an official; it is sent back only when its content no longer matches what
    was signed (``isi_berubah``, before it has a number)."""
    if not alasan.strip():
        raise VersiError("catatan revisi wajib diisi")
    if b.status == status.DIKEMBALIKAN:
        return False
    if b.status == status.DITANDATANGANI and not isi_berubah:
        raise status.StatusError(f"bundel {b.jenis} v{b.versi}", b.status, status.DIKEMBALIKAN)
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


def beri_nomor(
    session: Session, b: Bundel, tanggal: dt.date | None = None, settings: Settings | None = None
) -> int:
    """Number a signed bundle in the register (one transaction for all members); a type
    that carries no number gets only its date. Returns how many numbers were given now."""
    s = settings or get_settings()
    if b.status not in (status.DITANDATANGANI, status.TERDAFTAR):
        raise VersiError(
            f"bundel {b.jenis} v{b.versi} berstatus {b.status}: hanya bundel yang "
            "sudah ditandatangani yang diberi nomor"
        )
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


# --------------------------------------------------------------------------- issuing


def pengganti_final(n: Naskah, settings: Settings | None = None) -> dict[str, str]:
    """The draft's number and date lines and what the final prints instead."""
    if n.tanggal is None:
        raise VersiError(f"naskah {n.id} belum bertanggal (belum diberi nomor)")
    if not n.draf_tanggal:
        raise VersiError(f"naskah {n.id} tidak mencatat baris tanggal konsepnya")
    out = {n.draf_tanggal: tanggal_indonesia(n.tanggal)}
    if n.draf_nomor:
        if not n.nomor:
            raise VersiError(f"naskah {n.id} belum bernomor")
        out[n.draf_nomor] = n.nomor
    return out


def buat_final(draft: bytes, n: Naskah, settings: Settings | None = None) -> bytes:
    """The final of one version: its approved draft's bytes with the number and date lines
    filled in, checked to differ from the draft in nothing else."""
    from diklat.naskah.final import ada_penanda, isi_penanda, periksa_teks, teks_docx

    pengganti = pengganti_final(n, settings)
    teks = teks_docx(draft)
    # a template that prints no date line (an attendance sheet) has nothing to fill there
    wajib = ada_penanda(draft, list(pengganti), teks=teks)
    out = isi_penanda(draft, pengganti, wajib=wajib).docx
    periksa_teks(draft, out, pengganti, teks_draf=teks)
    return out


def terbitkan(
    engine: Engine,
    kode: str,
    bundel_id: int,
    out_dir: Path,
    *,
    pdf: bool = True,
    settings: Settings | None = None,
) -> HasilBundel:
    """Make the finals of a decided bundle (once): each is its approved draft with number and
    date filled in (:func:`buat_final`), after checking that the template, the settings, the
    stored contexts and the drafts are the ones decided on (:func:`diklat.naskah.ikatan.periksa`);
    then convert the new finals to PDF in one LibreOffice batch (once), each checked against
    the draft PDF the approvers read."""
    s = settings or get_settings()
    with session_scope(engine) as ses:
        b = ses.get(Bundel, bundel_id)
        if b is None:
            raise VersiError(f"bundel {bundel_id} tidak ada")
        members = _members(b)
        ready = [n for n in members if n.status in status.SIAP_FINAL]
        if len(ready) != len(members) and b.status not in status.SIAP_FINAL:
            raise VersiError(
                f"bundel {b.jenis} v{b.versi} berstatus {b.status}: belum dapat diterbitkan"
            )
        have = {
            r.naskah_id
            for r in ses.execute(
                select(NaskahBerkas).where(
                    NaskahBerkas.naskah_id.in_([n.id for n in ready]),
                    NaskahBerkas.peran == "final_docx",
                )
            ).scalars()
        }
        todo = [n for n in ready if n.id not in have]
        if todo:
            ikatan.periksa(ses, b, s)
            folder = _folder(out_dir, kode, b, "final")
            folder.mkdir(parents=True, exist_ok=True)
            made: list[tuple[Naskah, Path]] = []
            for n in todo:
                src = berkas(ses, n.id, "draf_docx")
                assert src is not None  # periksa: every member's draft is recorded
                data = buat_final(Path(src.path).read_bytes(), n, s)
                target = folder / f"{_stem(n.kunci)}.docx"
                tmp = target.with_suffix(".docx.tmp")
                tmp.write_bytes(data)
                tmp.replace(target)
                made.append((n, target))
            catat_berkas_banyak(ses, made, "final_docx")
        hasil = HasilBundel(
            b.id, b.jenis, b.versi, b.status, b.jumlah, b.manifest_sha256, dibuat=len(todo)
        )
    if pdf:
        with session_scope(engine) as ses:
            b = ses.get(Bundel, bundel_id)
            assert b is not None
            hasil.pdf = _convert(
                ses,
                _members(b),
                "final_docx",
                "final_pdf",
                _folder(out_dir, kode, b, "pdf"),
                periksa=_sama_dengan_draf,
            )
    return hasil


def _sama_dengan_draf(ses: Session, pairs: Sequence[tuple[Naskah, Path]]) -> None:
    """Each final PDF says what the draft PDF the approvers read says, but number and date.
    A draft's text is the one kept when it was converted (:func:`simpan_teks_draf`, its
    file checked against its hash) or read now; the finals' texts come from their merged
    conversion, or are read now (poppler, both cores)."""
    from connectors.pdf import pembaca_teks, teks_pdf
    from diklat.naskah.final import periksa_teks_pdf

    rows = ses.execute(
        select(NaskahBerkas).where(
            NaskahBerkas.naskah_id.in_([n.id for n, _ in pairs]),
            NaskahBerkas.peran.in_(["draf_pdf", TEKS_DRAF]),
        )
    ).scalars()
    by = {(r.naskah_id, r.peran): r for r in rows}
    kept_ok = pembaca_teks() == "poppler"  # kept texts are poppler's
    checked: list[tuple[Naskah, str | None, Path, Path]] = []
    for n, final_pdf in pairs:
        draf = by.get((n.id, "draf_pdf"))
        if draf is None:
            continue
        path = Path(draf.path)
        if not path.exists() or sha256_file(path) != draf.sha256:
            raise VersiError(f"PDF konsep naskah {n.kunci or n.jenis} berubah sesudah disetujui")
        kept = _teks_draf_tersimpan(by.get((n.id, TEKS_DRAF))) if kept_ok else None
        checked.append((n, kept, path, final_pdf))
    to_read = [p for _n, kept, d, f in checked for p in ([f] if kept is not None else [d, f])]
    texts = iter(teks_pdf(to_read))
    for n, kept, _d, _f in checked:
        draf_teks = kept if kept is not None else next(texts)
        periksa_teks_pdf(draf_teks, next(texts), pengganti_final(n))


def naskah_dict(session: Session, n: Naskah) -> dict[str, Any]:
    """A version as ``kegiatan show`` lists it."""
    return {
        "id": n.id,
        "jenis": n.jenis,
        "kunci": n.kunci,
        "versi": n.versi,
        "status": n.status,
        "sha256": n.sha256,
        "nomor": n.nomor,
        "tanggal": n.tanggal.isoformat() if n.tanggal else None,
        "bundel_id": n.bundel_id,
    }


def daftar_naskah(session: Session, kegiatan_id: int) -> list[Naskah]:
    return list(
        session.execute(
            select(Naskah).where(Naskah.kegiatan_id == kegiatan_id).order_by(Naskah.id)
        ).scalars()
    )
