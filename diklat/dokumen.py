"""The life of one document (naskah) in the database: draft, signed, numbered, rendered.

Every function is idempotent by the document's natural key (kegiatan, jenis, kunci, versi):
a flow resumed from the top calls them again and gets back what is already there, so no
letter, number or file is made twice. No Prefect here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from diklat.db import session_scope
from diklat.models import AuditPersetujuan, Kegiatan, Naskah
from diklat.settings import get_settings


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ensure_naskah(
    session: Session,
    *,
    kegiatan_id: int | None,
    jenis: str,
    kunci: str = "",
    versi: int = 1,
    hal: str | None = None,
    tujuan: str | None = None,
    sifat: str = "Biasa",
) -> Naskah:
    """The document with this natural key; created as a draft the first time."""
    n = session.execute(
        select(Naskah).where(Naskah.kegiatan_id == kegiatan_id, Naskah.jenis == jenis,
                             Naskah.kunci == kunci, Naskah.versi == versi)
    ).scalar_one_or_none()
    if n is None:
        n = Naskah(kegiatan_id=kegiatan_id, jenis=jenis, kunci=kunci, versi=versi, hal=hal,
                   tujuan=tujuan, sifat=sifat, status="draf",
                   klasifikasi=get_settings().klasifikasi_for(jenis))
        session.add(n)
        session.flush()
    return n


def catat_berkas(naskah: Naskah, docx: Path | None = None, pdf: Path | None = None,
                 context: Mapping[str, Any] | None = None) -> None:
    """Record a rendered file on the document with its SHA-256 (the hash approvals sign)."""
    if docx is not None:
        naskah.file_docx = str(docx)
        naskah.sha256 = sha256_file(docx)
    if pdf is not None:
        naskah.file_pdf = str(pdf)
    if context is not None:
        naskah.data_json = json.dumps(
            {k: v for k, v in context.items() if k not in ("kop", "settings")},
            ensure_ascii=False, default=str)


def tandai_ditandatangani(session: Session, naskah: Naskah, *, nip: str, alasan: str) -> bool:
    """Move a draft to ``ditandatangani`` and audit who did it and why. Returns False when it
    already was signed (or further). The approval issue replaces the callers of this with the
    paraf chain and a verified signature; the demo uses it to stand in for them, and says so
    in the audit trail."""
    if naskah.status != "draf":
        return False
    naskah.status = "ditandatangani"
    naskah.penandatangan_nip = nip
    session.add(AuditPersetujuan(naskah_id=naskah.id, nip=nip, peran="penandatangan",
                                 hasil="diterima", alasan=alasan))
    session.flush()
    return True


# --------------------------------------------------------------------------- a training's letters


def _stem(kunci: str, versi: int) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in (kunci or "naskah"))
    return f"{safe}-v{versi}"


def siapkan_draf(engine: Engine, kode: str, jenis: Sequence[str], out_dir: Path) -> dict[str, int]:
    """Create (once) and render (once) the draft of every document of a training.
    Returns how many drafts were rendered now per document type (0 on a resumed run)."""
    from diklat.kegiatan import peserta_frame
    from diklat.naskah import render_batch
    from diklat.persiapan import penandatangan, specs_for

    done: dict[str, int] = {}
    with session_scope(engine) as s:
        k = _kegiatan(s, kode)
        specs = list(specs_for(k, peserta_frame(engine, k.id), jenis))
        for j in jenis:
            todo: list[tuple[Naskah, dict[str, Any]]] = []
            for spec in (x for x in specs if x.jenis == j):
                n = ensure_naskah(s, kegiatan_id=k.id, jenis=j, kunci=spec.kunci,
                                  hal=spec.hal, tujuan=spec.tujuan)
                if n.status == "draf" and not (n.file_docx and Path(n.file_docx).exists()):
                    todo.append((n, spec.context(penandatangan(s, spec), nomor=None,
                                                 tanggal=None)))
            if todo:
                paths = render_batch(j, [c for _, c in todo], out_dir / kode / "draf" / j,
                                     names=[_stem(n.kunci, n.versi) for n, _ in todo])
                for (n, ctx), p in zip(todo, paths, strict=True):
                    catat_berkas(n, docx=p, context=ctx)
            done[j] = len(todo)
    return done


def terbitkan(engine: Engine, kode: str, out_dir: Path, *, pdf: bool = True,
              tanggal: dt.date | None = None) -> dict[str, Any]:
    """Number every signed document of a training in the register (idempotent), render its
    final version with number and date, and convert the new finals to PDF in one batch."""
    from diklat.kegiatan import peserta_frame
    from diklat.naskah import render_batch
    from diklat.persiapan import penandatangan, specs_for
    from diklat.register import register_naskah

    settings = get_settings()
    unnumbered = set(settings.naskah.tanpa_nomor)
    numbered = 0
    with session_scope(engine) as s:
        k = _kegiatan(s, kode)
        for n in s.execute(select(Naskah).where(Naskah.kegiatan_id == k.id,
                                                Naskah.status == "ditandatangani")
                           .order_by(Naskah.jenis, Naskah.kunci)).scalars():
            if n.jenis in unnumbered:
                continue
            register_naskah(s, n.id, tanggal, unit=settings.unit_nomor(n.jenis))
            numbered += 1
    finals: list[Path] = []  # final DOCX files that still need their PDF
    rendered = 0
    with session_scope(engine) as s:
        k = _kegiatan(s, kode)
        specs = {(x.jenis, x.kunci): x for x in specs_for(k, peserta_frame(engine, k.id))}
        todo: dict[str, list[tuple[Naskah, dict[str, Any]]]] = {}
        final_ready = (Naskah.status == "terdaftar") | (
            (Naskah.status == "ditandatangani") & Naskah.jenis.in_(unnumbered))
        for n in s.execute(select(Naskah).where(Naskah.kegiatan_id == k.id, final_ready)
                           .order_by(Naskah.jenis, Naskah.kunci)).scalars():
            if n.file_docx and "/final/" in n.file_docx and Path(n.file_docx).exists():
                if pdf and not (n.file_pdf and Path(n.file_pdf).exists()):
                    finals.append(Path(n.file_docx))  # a run that stopped before its PDFs
                continue
            spec = specs.get((n.jenis, n.kunci))
            if spec is None:
                continue
            todo.setdefault(n.jenis, []).append(
                (n, spec.context(penandatangan(s, spec), nomor=n.nomor, tanggal=n.tanggal)))
        for j, items in todo.items():
            paths = render_batch(j, [c for _, c in items], out_dir / kode / "final" / j,
                                 names=[f"{j}_{_stem(n.kunci, n.versi)}" for n, _ in items])
            for (n, ctx), p in zip(items, paths, strict=True):
                catat_berkas(n, docx=p, context=ctx)
                finals.append(p)
                rendered += 1
    pdfs = 0
    if pdf and finals:
        from connectors.pdf import convert_batch

        converted = convert_batch(finals, out_dir / kode / "pdf")
        if converted:
            by_docx = dict(zip(finals, converted, strict=True))
            with session_scope(engine) as s:
                for n in s.execute(select(Naskah).where(
                        Naskah.file_docx.in_([str(p) for p in finals]))).scalars():
                    catat_berkas(n, pdf=by_docx[Path(n.file_docx or "")])
                    pdfs += 1
    return {"diberi_nomor": numbered, "final": rendered, "pdf": pdfs}


def tanda_tangan_demo(engine: Engine, kode: str) -> int:
    """Demo only: every draft of a training signed by the active head (``kepala``), audited
    as a demo stand-in for the paraf chain and signature. Returns how many were signed now."""
    from diklat.persiapan import pejabat

    n = 0
    with session_scope(engine) as s:
        k = _kegiatan(s, kode)
        kepala = pejabat(s, "kepala")
        for naskah in s.execute(select(Naskah).where(Naskah.kegiatan_id == k.id,
                                                     Naskah.status == "draf")).scalars():
            n += tandai_ditandatangani(
                s, naskah, nip=kepala.nip,
                alasan="demo: ditandatangani otomatis; alur paraf dan tanda tangan menyusul")
    return n


def _kegiatan(s: Session, kode: str) -> Kegiatan:
    k = s.execute(select(Kegiatan).where(Kegiatan.kode == kode)).scalar_one_or_none()
    if k is None:
        raise LookupError(f"kegiatan {kode!r} tidak ada")
    return k
