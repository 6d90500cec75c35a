"""Correcting a letter sent back, and starting a refused one again: the person the SOP names
makes the next version.

When an official answers ``revisi``, the version goes back to the actor of the step the
catalogue's ``return_to`` names (SOP 002: row 13 -> the drafter, 14 -> the Analis, 15 -> the
Kabid; SOP 000: the typist of the draft), with the note and, for a bundle, the documents to
correct (:func:`menunggu`). That person corrects it (:func:`perbaiki`) in one of three ways:

* ``data``: the data the letter is made from was corrected (the training, the officials,
  the participants): the named documents are drafted again from it;
* ``unggah``: the draft DOCX was downloaded (:func:`unduh`), edited in Word and uploaded; its
  number and date lines and the signature block must survive (the final is made from it);
* ``tanpa_perubahan``: nothing needs to change, and the person says why.

A version identical to the one sent back is refused unless the person states why no change
is needed. The next version keeps the documents the revision did not name byte for byte, and
goes up the chain again from the level it was returned to. A letter refused with ``tolak``
stays refused until an operator deliberately starts its next version (:func:`ulang`).
Everything is audited. No Prefect here.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from diklat import waktu
from diklat.db import session_scope
from diklat.kegiatan import ledger
from diklat.kegiatan.data import kegiatan_by_kode
from diklat.models import AuditPersetujuan, Bundel, Kegiatan, Pejabat, Permintaan
from diklat.models.base import utcnow
from diklat.naskah import status
from diklat.naskah import versi as naskah_versi
from diklat.naskah.final import (
    ANCHOR,
    PenandaHilang,
    ada_penanda,
    periksa_penanda_unggahan,
    teks_docx,
)
from diklat.rules import nip as nip_rules
from diklat.settings import Settings, get_settings

CARA = ("data", "unggah", "tanpa_perubahan")
#: An uploaded draft larger than this is refused (a letter is tens of kilobytes).
BATAS_UNGGAHAN = 10 * 1024 * 1024


class PerbaikanDitolak(ValueError):
    """A correction that cannot be taken (the reason in one line); nothing was recorded."""


@dataclass(frozen=True)
class Menunggu:
    """A version waiting for its correction: who corrects (role, the step and level of the
    ledger), the revision's note, and which documents it names (positions; empty: all)."""

    bundel_id: int
    jenis: str
    versi: int
    langkah: int
    tingkat: int
    peran: str
    mulai_urutan: int
    catatan: str
    dokumen: list[int]
    jumlah: int


def _revisi_terakhir(session: Session, b: Bundel) -> Permintaan | None:
    return (
        session.execute(
            select(Permintaan)
            .where(Permintaan.bundel_id == b.id, Permintaan.keputusan == "revisi")
            .order_by(Permintaan.diputuskan_at.desc())
        )
        .scalars()
        .first()
    )


def menunggu(session: Session, k: Kegiatan, jenis: str) -> Menunggu | None:
    """The training's letter of ``jenis`` waiting for correction, or ``None``."""
    from diklat.naskah.persetujuan import tujuan_perbaikan

    b = naskah_versi.bundel_terkini(session, k.id, jenis)
    if b is None or b.status != status.DIKEMBALIKAN:
        return None
    p = _revisi_terakhir(session, b)
    urutan = (
        p.urutan
        if p is not None
        else max((lv["urutan"] for lv in json.loads(b.rantai_json or "[]")), default=1)
    )
    t = tujuan_perbaikan(b, urutan, k.sop)
    keys = set(json.loads(b.kunci_revisi)) if b.kunci_revisi else set()
    members = list(b.naskah)
    return Menunggu(
        bundel_id=b.id,
        jenis=jenis,
        versi=b.versi,
        langkah=t.langkah,
        tingkat=t.tingkat,
        peran=t.peran,
        mulai_urutan=t.mulai_urutan,
        catatan=b.alasan or "",
        dokumen=[i for i, n in enumerate(members, start=1) if n.kunci in keys],
        jumlah=len(members),
    )


def _petugas(session: Session, nip: str, peran: str) -> Pejabat:
    info = nip_rules.parse(nip or "")
    if not info.valid:
        raise PerbaikanDitolak(f"NIP tidak valid ({info.reason})")
    p = session.execute(
        select(Pejabat).where(
            Pejabat.nip == info.nip, Pejabat.peran == peran, Pejabat.aktif.is_(True)
        )
    ).scalar_one_or_none()
    if p is None:
        raise PerbaikanDitolak(
            f"NIP ini tidak tercatat sebagai petugas peran {peran} yang "
            f"memperbaiki (diklat pejabat tambah --peran {peran} ...)"
        )
    return p


def _baca_docx(data: bytes, label: str) -> bytes:
    if len(data) > BATAS_UNGGAHAN:
        raise PerbaikanDitolak(f"{label}: berkas lebih dari {BATAS_UNGGAHAN // 2**20} MiB")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if "word/document.xml" not in z.namelist():
                raise PerbaikanDitolak(f"{label}: bukan dokumen Word (.docx)")
    except zipfile.BadZipFile:
        raise PerbaikanDitolak(f"{label}: bukan dokumen Word (.docx)") from None
    return data


def unduh(
    engine: Engine, kode: str, jenis: str, out_dir: Path, nomor_dokumen: Sequence[int] | None = None
) -> list[Path]:
    """Copies of the current version's draft DOCX files, to be corrected in Word (the number
    and date lines and the signature block must stay). Named ``<jenis>-v<versi>-<n>.docx``."""
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        b = naskah_versi.bundel_terkini(ses, k.id, jenis)
        if b is None:
            raise PerbaikanDitolak(f"kegiatan {kode} belum punya konsep {jenis}")
        members = list(b.naskah)
        wanted = list(dict.fromkeys(nomor_dokumen or range(1, len(members) + 1)))
        bad = [n for n in wanted if not 1 <= n <= len(members)]
        if bad:
            raise PerbaikanDitolak(
                f"dokumen {bad[0]} tidak ada (bundel berisi {len(members)} naskah)"
            )
        out_dir.mkdir(parents=True, exist_ok=True)
        out = []
        for n in wanted:
            f = naskah_versi.berkas(ses, members[n - 1].id, "draf_docx")
            if f is None:
                raise PerbaikanDitolak(f"konsep dokumen {n} belum dibuat")
            target = out_dir / f"{jenis}-v{b.versi}-{n}.docx"
            target.write_bytes(Path(f.path).read_bytes())
            out.append(target)
        return out


@dataclass
class HasilPerbaikan:
    bundel_id: int
    versi: int
    diubah: int  # documents that changed
    cara: str


def perbaiki(
    engine: Engine,
    kode: str,
    jenis: str,
    out_dir: Path,
    *,
    nip: str,
    cara: str,
    berkas: Mapping[int, bytes] | None = None,
    dokumen: Sequence[int] | None = None,
    catatan: str | None = None,
    alasan_tanpa_perubahan: str | None = None,
    pdf: bool = False,
    settings: Settings | None = None,
) -> HasilPerbaikan:
    """Record the correction of a letter sent back as its next version (see the module
    docstring). :class:`PerbaikanDitolak` with one line when it cannot be taken: nothing is
    recorded then."""
    s = settings or get_settings()
    berkas = dict(berkas or {})
    if cara not in CARA:
        raise PerbaikanDitolak(f"cara perbaikan harus salah satu dari {', '.join(CARA)}")
    alasan = (alasan_tanpa_perubahan or "").strip() or None
    catatan = (catatan or "").strip() or None
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        if k.status != "berjalan":
            raise PerbaikanDitolak(f"kegiatan {kode} berstatus {k.status}")
        m = menunggu(ses, k, jenis)
        if m is None:
            raise PerbaikanDitolak(
                f"{jenis} kegiatan {kode} tidak sedang dikembalikan untuk diperbaiki"
            )
        petugas = _petugas(ses, nip, m.peran)
        b = ses.get(Bundel, m.bundel_id)
        assert b is not None
        members = list(b.naskah)
        if cara == "unggah" and len(members) == 1 and set(berkas) == {0}:
            berkas = {1: berkas[0]}
        named = list(
            dict.fromkeys(
                dokumen
                or m.dokumen
                or (sorted(berkas) if cara == "unggah" else range(1, len(members) + 1))
            )
        )
        bad = [n for n in [*named, *berkas] if not 1 <= n <= len(members)]
        if bad:
            raise PerbaikanDitolak(
                f"dokumen {bad[0]} tidak ada (bundel berisi {len(members)} naskah)"
            )
        unggahan: dict[str, bytes] = {}
        if cara == "unggah":
            if not berkas:
                raise PerbaikanDitolak("tidak ada berkas yang diunggah")
            for n, data in sorted(berkas.items()):
                prev = members[n - 1]
                data = _baca_docx(data, f"dokumen {n}")
                src = naskah_versi.berkas(ses, prev.id, "draf_docx")
                before = Path(src.path).read_bytes() if src is not None else b""
                try:
                    periksa_penanda_unggahan(
                        data,
                        ada_penanda(before, [x for x in (prev.draf_nomor, prev.draf_tanggal) if x]),
                        ttd=b.penandatangan_id is not None and ANCHOR in teks_docx(before),
                    )
                except PenandaHilang as e:
                    raise PerbaikanDitolak(f"dokumen {n}: {e}") from None
                unggahan[prev.kunci] = data
            same = all(
                _teks_sama(ses, members[n - 1].id, unggahan[members[n - 1].kunci]) for n in berkas
            )
            keys = set(unggahan)
        elif cara == "data":
            keys = {members[n - 1].kunci for n in named}
            same = _data_sama(ses, engine, k, b, keys, s)
        else:
            keys = set()
            same = True
        if same and not alasan:
            raise PerbaikanDitolak(
                "versi baru sama dengan yang dikembalikan; perbaiki dulu, atau nyatakan "
                "alasan tidak perlu diubah (--alasan / isian alasan)"
            )
        perbaikan = naskah_versi.Perbaikan(
            oleh_nip=petugas.nip,
            cara=cara,
            catatan=catatan or alasan,
            kunci=keys if cara != "tanpa_perubahan" else set(),
            unggahan=unggahan,
            mulai_urutan=m.mulai_urutan,
        )
        oleh = ledger.Oleh(petugas.nip, petugas.nama)
        peran, langkah, tingkat = m.peran, m.langkah, m.tingkat
        diubah = 0 if cara == "tanpa_perubahan" or same else len(keys)
    h = naskah_versi.versi_berikut(engine, kode, jenis, out_dir, perbaikan, pdf=pdf, settings=s)
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        note = (f"{jenis} v{h.versi} ({cara}): " + (catatan or alasan or "")).strip()
        if tingkat == 0:
            ledger.selesai(ses, k, langkah, actor=peran, oleh=oleh, note=note)
        else:  # the corrector's own level opens the next version's chain
            row = ledger.tunggu(ses, k, langkah, tingkat=tingkat, actor=peran)
            row.note = note[:4000]
        ses.add(
            AuditPersetujuan(
                bundel_id=h.bundel_id,
                nip=oleh.nip,
                nama=oleh.nama,
                peran=peran,
                keputusan="perbaikan",
                catatan=catatan or alasan,
                hasil="diterima",
                alasan=f"{cara}; {diubah} dokumen diubah",
                at=utcnow(),
            )
        )
    return HasilPerbaikan(h.bundel_id, h.versi, diubah, cara)


def _teks_sama(ses: Session, naskah_id: int, data: bytes) -> bool:
    f = naskah_versi.berkas(ses, naskah_id, "draf_docx")
    if f is None:
        return False
    return " ".join(teks_docx(Path(f.path)).split()) == " ".join(teks_docx(data).split())


def _data_sama(
    ses: Session, engine: Engine, k: Kegiatan, b: Bundel, keys: set[str], s: Settings
) -> bool:
    """Whether drafting the named documents again from today's data gives the same contexts
    (nothing was corrected)."""
    new = naskah_versi.konteks_anggota(ses, engine, k, b.jenis, s)
    old = {n.kunci: n.konteks_sha256 for n in b.naskah}
    return set(new) == set(old) and all(new[key] == old[key] for key in keys)


def ulang(
    engine: Engine,
    kode: str,
    jenis: str,
    out_dir: Path,
    *,
    nip: str,
    alasan: str,
    pdf: bool = False,
    settings: Settings | None = None,
) -> HasilPerbaikan:
    """Start the next version of a letter that was refused (``tolak``): deliberately, by an
    operator of the agency, with the reason. The training's path is open again (its run,
    started again, goes on from this letter); the letter goes up its whole chain as a new
    round."""
    s = settings or get_settings()
    alasan = (alasan or "").strip()
    if not alasan:
        raise PerbaikanDitolak("alasan wajib diisi")
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        b = naskah_versi.bundel_terkini(ses, k.id, jenis)
        if b is None or b.status != status.DITOLAK:
            raise PerbaikanDitolak(f"{jenis} kegiatan {kode} tidak dalam keadaan ditolak")
        if k.status == "dibatalkan":
            raise PerbaikanDitolak(f"kegiatan {kode} sudah dibatalkan")
        plan = naskah_versi.rencana(k, jenis)
        drafter = plan.langkah_draf[0]
        role = get_role(k, drafter)
        petugas = _petugas_apa_saja(ses, nip)
        perbaikan = naskah_versi.Perbaikan(
            oleh_nip=petugas.nip, cara="ulang", catatan=alasan, kunci=None, mulai_urutan=1
        )
        last = max([*plan.langkah_draf, *(t.langkah for t in plan.tingkat)])
        ledger.kembalikan(ses, k, dari=last, ke=drafter, note=f"dimulai ulang: {alasan}")
        k.status, k.status_alasan, k.status_at = (
            "berjalan",
            f"{jenis} dimulai ulang oleh {petugas.nama}: {alasan}",
            utcnow(),
        )
        oleh = ledger.Oleh(petugas.nip, petugas.nama)
    h = naskah_versi.versi_berikut(engine, kode, jenis, out_dir, perbaikan, pdf=pdf, settings=s)
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        for no in naskah_versi.rencana(k, jenis).langkah_draf:  # drafted again from the data
            ledger.selesai(
                ses,
                k,
                no,
                actor=ledger.SISTEM,
                note=f"{jenis} v{h.versi} disusun ulang atas permintaan {oleh.nama}",
            )
        ses.add(
            AuditPersetujuan(
                bundel_id=h.bundel_id,
                nip=oleh.nip,
                nama=oleh.nama,
                peran=role,
                keputusan="ulang",
                catatan=alasan,
                hasil="diterima",
                at=utcnow(),
            )
        )
    return HasilPerbaikan(h.bundel_id, h.versi, h.jumlah, "ulang")


def get_role(k: Kegiatan, no: int) -> str:
    from diklat.sop.catalogue import get_sop

    return get_sop(k.sop).step(no).pelaksana[0]


def _petugas_apa_saja(session: Session, nip: str) -> Pejabat:
    """Any active official or staff member of the agency (the operator who acts)."""
    info = nip_rules.parse(nip or "")
    if not info.valid:
        raise PerbaikanDitolak(f"NIP tidak valid ({info.reason})")
    p = (
        session.execute(select(Pejabat).where(Pejabat.nip == info.nip, Pejabat.aktif.is_(True)))
        .scalars()
        .first()
    )
    if p is None:
        raise PerbaikanDitolak(
            "NIP ini tidak tercatat sebagai pejabat atau petugas (diklat pejabat tambah ...)"
        )
    return p


@dataclass
class TungguPerbaikan:
    """Whether a letter still waits for its correction, and what the form shows."""

    menunggu: bool
    bundel_id: int | None = None
    versi: int = 0
    peran: str = ""
    ditolak: int = 0
    deskripsi: str = ""


def _baris(session: Session, k: Kegiatan, m: Menunggu) -> Any:
    return ledger.tunggu(session, k, m.langkah, tingkat=m.tingkat, actor=m.peran)


def buka(
    session: Session,
    kode: str,
    jenis: str,
    *,
    flow_run_id: str | None = None,
    kirim: Any = None,
    settings: Settings | None = None,
) -> TungguPerbaikan:
    """The wait for a correction as the flow shows it: who corrects (the role the SOP names),
    the official's note, the documents named, how to correct (download, edit in Word, upload;
    or correct the data; or state why nothing changes), the deadline. The person who corrects
    is e-mailed once when the wait opens."""
    from diklat.sop.catalogue import get_sop

    s = settings or get_settings()
    k = kegiatan_by_kode(session, kode)
    m = menunggu(session, k, jenis)
    if m is None:
        return TungguPerbaikan(False)
    row = _baris(session, k, m)
    baru = row.flow_run_id is None
    if flow_run_id:
        row.flow_run_id = flow_run_id
    sop = get_sop(k.sop)
    role = sop.pelaksana.get(m.peran, m.peran)

    tenggat = (
        row.deadline.astimezone(waktu.zona(s)).strftime("%d-%m-%Y %H:%M") if row.deadline else "-"
    )
    dok = ", ".join(map(str, m.dokumen)) if m.dokumen else f"semua ({m.jumlah} naskah)"
    lines = []
    if row.ditolak and row.note and row.note.startswith("perbaikan ditolak:"):
        lines += [
            f"**Perbaikan sebelumnya ditolak:** {row.note[len('perbaikan ditolak:') :].strip()}",
            "",
        ]
    lines += [
        f"### Perbaikan: {jenis.replace('_', ' ')} v{m.versi} ({k.kode})",
        "",
        f"- **Dikembalikan kepada:** {role} (langkah SOP {m.langkah})",
        f"- **Catatan revisi:** {m.catatan}",
        f"- **Dokumen yang direvisi:** {dok}",
        f"- **Tenggat:** {tenggat}",
        "",
        "Perbaiki dengan salah satu cara:",
        f"1. **data** — betulkan data kegiatan/pejabat/peserta (mis. `diklat kegiatan ubah "
        f"{k.kode} ...`), lalu pilih cara `data`: konsep dibuat ulang dari data;",
        f"2. **unggah** — unduh konsep: `diklat naskah unduh {k.kode} {jenis} --out DIR`, "
        "perbaiki di Word (baris nomor, tanggal dan blok tanda tangan jangan dihapus), taruh "
        "di folder impor, isi nama berkasnya (bundel: `nomor=berkas`);",
        "3. **tanpa_perubahan** — bila memang tidak perlu diubah: isi alasannya.",
        "",
        f"Atau dari terminal: `diklat naskah perbaiki {k.kode} {jenis} --nip NIP "
        "--berkas FILE.docx`.",
    ]
    if baru and kirim is not None:
        from diklat.naskah.persetujuan import _alamat_operator
        from diklat.naskah.surel import Surat

        for alamat, nama in _alamat_operator(session, [m.peran], s):
            kirim(
                Surat(
                    kepada=alamat,
                    nama=nama,
                    subjek=f"[diklat] Perbaikan diminta: {jenis.replace('_', ' ')} ({k.kode})",
                    isi=f"Yth. {nama},\n\n{jenis.replace('_', ' ')} v{m.versi} kegiatan "
                    f"{k.kode} dikembalikan untuk diperbaiki.\nCatatan: {m.catatan}\n"
                    f"Dokumen: {dok}\nTenggat: {tenggat}\n\n"
                    f"diklat naskah unduh {k.kode} {jenis} --out DIR\n"
                    f"diklat naskah perbaiki {k.kode} {jenis} --nip NIP "
                    "--berkas FILE.docx",
                )
            )
    session.flush()
    return TungguPerbaikan(True, m.bundel_id, m.versi, m.peran, row.ditolak, "\n".join(lines))


def tolak(session: Session, kode: str, jenis: str, alasan: str) -> None:
    """Count a refused correction on the corrector's row and keep its reason for the form."""
    k = kegiatan_by_kode(session, kode)
    m = menunggu(session, k, jenis)
    if m is None:
        return
    row = _baris(session, k, m)
    row.ditolak += 1
    row.note = f"perbaikan ditolak: {alasan}"[:2000]
    session.flush()


def _berkas_formulir(text: str, base: Path, single: bool) -> dict[int, bytes]:
    """``a.docx`` (one letter) or ``2=a.docx, 5=b.docx`` (documents of a bundle): files
    inside the import folder, read."""
    from diklat.berkas import OutsideFolder, confine

    out: dict[int, bytes] = {}
    for part in [x.strip() for x in (text or "").split(",") if x.strip()]:
        if "=" in part:
            no, _, name = part.partition("=")
            try:
                n = int(no.strip())
            except ValueError:
                raise PerbaikanDitolak(f"berkas: {part!r} bukan nomor=berkas") from None
        elif single or not out:
            n, name = (1 if single else 0), part
        else:
            raise PerbaikanDitolak("berkas: untuk bundel tulis nomor=berkas")
        try:
            path = confine(name.strip(), base)
        except OutsideFolder as e:
            raise PerbaikanDitolak(f"berkas: {e}") from None
        if not path.is_file():
            raise PerbaikanDitolak(f"berkas: {name.strip()!r} tidak ada di folder impor")
        out[n] = path.read_bytes()
    return out


def dari_formulir(
    engine: Engine,
    kode: str,
    jenis: str,
    isian: Mapping[str, Any],
    out_dir: Path,
    *,
    settings: Settings | None = None,
) -> HasilPerbaikan:
    """A correction typed in the flow's form: files are names inside the import folder."""
    s = settings or get_settings()
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        m = menunggu(ses, k, jenis)
        single = m is not None and m.jumlah == 1
    base = Path(s.import_dir or Path(s.var_dir) / "import")
    berkas = _berkas_formulir(str(isian.get("berkas") or ""), base, single)
    if 0 in berkas and not single:
        raise PerbaikanDitolak("berkas: untuk bundel tulis nomor=berkas")
    dokumen = []
    for part in str(isian.get("dokumen") or "").replace(";", ",").split(","):
        if part.strip():
            try:
                dokumen.append(int(part))
            except ValueError:
                raise PerbaikanDitolak(f"dokumen: {part.strip()!r} bukan nomor") from None
    return perbaiki(
        engine,
        kode,
        jenis,
        out_dir,
        nip=str(isian.get("nip") or ""),
        cara=str(isian.get("cara") or ""),
        berkas=berkas,
        dokumen=dokumen or None,
        catatan=str(isian.get("catatan") or ""),
        alasan_tanpa_perubahan=str(isian.get("alasan") or ""),
        settings=s,
    )


__all__ = [
    "CARA",
    "HasilPerbaikan",
    "Menunggu",
    "PerbaikanDitolak",
    "menunggu",
    "perbaiki",
    "ulang",
    "unduh",
]
