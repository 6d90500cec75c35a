"""Paraf and signature: the places where a training waits for an official, and the checks an
answer must pass.

A bundle version's chain (fixed at drafting, from the SOP catalogue: ordered paraf levels, then
the signature) is worked through level by level. For each level:

* :func:`buka` opens a **request** (``permintaan_persetujuan``, unique per bundle and level):
  who is asked (the holder of the role; for the signature the official printed in the letter),
  since when, and the deadline (the step's standard time in working time, from the ledger);
* :func:`kirim_kode` e-mails that official a **one-time code** with the link to the waiting
  run (once per request; a new one only when the last one expired). The code is stored only as
  a keyed hash, is single-use and expires (``settings.approval.otp_lifetime_minutes``); after
  the decision it is worthless, so nothing secret stays in what the orchestrator stores;
* :func:`putuskan` takes an answer (decision, NIP, code, note) and either accepts it or refuses
  it with the reason. Refused: a wrong, expired or already used code, a NIP that does not hold
  the level's role (for the signature: is not the official printed in the letter), the
  drafter deciding on his own draft, a revision or refusal without a note, an answer to a
  request already decided or locked. Every answer, accepted or refused, is audited (level,
  role, NIP, name, decision, note, time, the manifest hash decided on, the flow run). After
  ``otp_max_attempts`` refused answers the request is **locked** and the official's superior
  (``settings.approval.atasan``) is told. A refused answer never fails the run: the caller waits
  again.

An accepted ``setuju`` moves the bundle up (``paraf``, then ``ditandatangani`` at the signature)
and finishes the level's SOP step in the ledger once every level of that step has decided;
``revisi`` returns the version for correction (the next draft is the next version, and the
steps from the catalogue's ``return_to`` open their next round); ``tolak`` ends the document's
path with the reason.

Functions take a ``Session`` and never commit: the caller owns the transaction (a refused
answer must be committed too, so that it counts). No Prefect here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diklat import waktu
from diklat.kegiatan import ledger
from diklat.models import (
    AuditPersetujuan,
    Bundel,
    Kegiatan,
    KodeVerifikasi,
    Pejabat,
    Permintaan,
    Persetujuan,
)
from diklat.models.base import utcnow
from diklat.naskah import status
from diklat.naskah import versi as naskah_versi
from diklat.naskah.surel import Surat
from diklat.pegawai.pejabat import PejabatTidakAda, pemegang
from diklat.rules import nip as nip_rules
from diklat.settings import Settings, get_settings

log = logging.getLogger("diklat.naskah.persetujuan")

KEPUTUSAN = ("setuju", "revisi", "tolak")


class StatusPermintaan(StrEnum):
    """The status of one request (one level of a chain, or one disposition)."""

    MENUNGGU = "menunggu"
    DIPUTUSKAN = "diputuskan"
    TERKUNCI = "terkunci"
    DIBATALKAN = "dibatalkan"


MENUNGGU, DIPUTUSKAN, TERKUNCI, DIBATALKAN = (
    StatusPermintaan.MENUNGGU,
    StatusPermintaan.DIPUTUSKAN,
    StatusPermintaan.TERKUNCI,
    StatusPermintaan.DIBATALKAN,
)
#: The moves a request may make: decided once and for all; locked after too many refused
#: answers until a superior opens it again; cancelled (its version returned or refused, its
#: training cancelled, a hard deadline passed) while it waits or is locked.
PINDAH: dict[str, frozenset[str]] = {
    MENUNGGU: frozenset({DIPUTUSKAN, TERKUNCI, DIBATALKAN}),
    TERKUNCI: frozenset({MENUNGGU, DIBATALKAN}),
    DIPUTUSKAN: frozenset(),
    DIBATALKAN: frozenset(),
}
LABEL_KIND = {"paraf": "paraf", "tanda_tangan": "tanda tangan", "disposisi": "disposisi"}


class PersetujuanError(ValueError):
    """A request that cannot be opened or answered at all (not a refused answer)."""


def pindah(p: Permintaan, ke: str) -> bool:
    """Move a request to ``ke`` by :data:`PINDAH`; its current status: ``False``; any other
    move raises :class:`PersetujuanError`."""
    if p.status == ke:
        return False
    if ke not in PINDAH.get(p.status, frozenset()):
        raise PersetujuanError(f"permintaan {p.id}: status {p.status} tidak dapat menjadi {ke}")
    p.status = str(ke)
    return True


@dataclass
class Hasil:
    """The outcome of one answer. ``diterima`` False: refused with ``alasan`` (the run waits
    again). ``selesai`` True when the bundle's chain has ended (signed, returned, refused)."""

    diterima: bool
    alasan: str | None
    permintaan_id: int
    keputusan: str | None = None
    selesai: bool = False
    terkunci: bool = False
    #: The request had been decided by this very answer before (a replay): nothing done now.
    sudah: bool = False
    #: Refused answers left before the request locks.
    sisa: int | None = None


# --------------------------------------------------------------------------- the code


def _secret(settings: Settings) -> bytes:
    if settings.approval.kode_secret is not None:
        return settings.approval.kode_secret.get_secret_value().encode()
    path = Path(settings.var_dir) / "rahasia" / "kode.key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_bytes(32)
        try:
            with open(path, "xb", opener=lambda p, f: __import__("os").open(p, f, 0o600)) as fh:
                fh.write(key)
        except FileExistsError:  # another process made it first
            return path.read_bytes()
        return key


def hash_kode(kode: str, permintaan_id: int, settings: Settings | None = None) -> str:
    """A keyed hash of a code, bound to its request (a code is worthless for another one)."""
    s = settings or get_settings()
    msg = f"{permintaan_id}:{kode.strip()}".encode()
    return hmac.new(_secret(s), msg, hashlib.sha256).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


# --------------------------------------------------------------------------- requests


def rantai(b: Bundel) -> list[dict[str, Any]]:
    """The bundle version's chain as fixed at drafting."""
    return list(json.loads(b.rantai_json or "[]"))


def tingkat_berikut(session: Session, b: Bundel) -> dict[str, Any] | None:
    """The first level of the chain without an accepted decision on this manifest; ``None``
    when every level has decided (or the version's path ended)."""
    if b.status in status.BERAKHIR or b.status in status.DIPUTUSKAN:
        return None
    done = set(
        session.execute(
            select(Persetujuan.urutan).where(
                Persetujuan.bundel_id == b.id,
                Persetujuan.keputusan == "setuju",
                Persetujuan.naskah_sha256 == b.manifest_sha256,
            )
        ).scalars()
    )
    for level in rantai(b):
        if level["urutan"] < (b.mulai_urutan or 1):
            continue  # a corrected version goes up again from the level it returned to
        if level["urutan"] not in done:
            return level
    return None


def _asked(session: Session, b: Bundel, level: dict[str, Any]) -> Pejabat:
    if level["kind"] == "tanda_tangan":
        if b.penandatangan_id is None:
            raise PersetujuanError(f"bundel {b.jenis} v{b.versi} tidak punya penandatangan")
        p = session.get(Pejabat, b.penandatangan_id)
        assert p is not None
        return p
    return pemegang(session, level["peran"])


def buka(
    session: Session,
    b: Bundel,
    level: dict[str, Any],
    *,
    flow_run_id: str | None = None,
    now: dt.datetime | None = None,
) -> Permintaan:
    """The request of one level of a bundle version (opened the first time: the official
    asked, the deadline from the ledger's step). Idempotent."""
    p = session.execute(
        select(Permintaan).where(Permintaan.bundel_id == b.id, Permintaan.urutan == level["urutan"])
    ).scalar_one_or_none()
    if p is not None:
        if flow_run_id and p.status == MENUNGGU and p.flow_run_id != flow_run_id:
            p.flow_run_id = flow_run_id  # a new run of the same training took over the wait
        return p
    k = session.get(Kegiatan, b.kegiatan_id)
    assert k is not None
    moment = now or utcnow()
    row = ledger.tunggu(
        session,
        k,
        level["langkah"],
        tingkat=level["urutan"],
        actor=level["peran"],
        flow_run_id=flow_run_id,
        now=moment,
    )
    p = Permintaan(
        bundel_id=b.id,
        kegiatan_id=b.kegiatan_id,
        urutan=level["urutan"],
        kind=level["kind"],
        peran=level["peran"],
        langkah=level["langkah"],
        putaran=row.putaran,
        pejabat_id=_asked(session, b, level).id,
        status=MENUNGGU,
        sejak=row.started_at,
        tenggat=row.deadline,
        flow_run_id=flow_run_id,
        token=secrets.token_urlsafe(24),
        salah=0,
    )
    session.add(p)
    session.flush()
    return p


def buka_disposisi(
    session: Session,
    k: Kegiatan,
    langkah: int,
    urutan: int,
    *,
    flow_run_id: str | None = None,
    now: dt.datetime | None = None,
) -> Permintaan:
    """The request of one official's disposition at an SOP step the catalogue declares as
    ``disposisi`` (SOP 002 rows 2-3 on the organiser's offer, SOP 000 row 12 on the agencies'
    replies): a decision of the named official, with a one-time code like a paraf. Idempotent
    per step, level and round."""
    from diklat.kegiatan.usulan import surat_penawaran
    from diklat.sop.catalogue import get_sop

    step = get_sop(k.sop).step(langkah)
    if step.approval is None or step.approval.kind != "disposisi":
        raise PersetujuanError(f"langkah {langkah} bukan disposisi")
    peran = step.approval.roles[urutan - 1]
    moment = now or utcnow()
    row = ledger.tunggu(
        session, k, langkah, tingkat=urutan, actor=peran, flow_run_id=flow_run_id, now=moment
    )
    p = session.execute(
        select(Permintaan).where(
            Permintaan.kegiatan_id == k.id,
            Permintaan.bundel_id.is_(None),
            Permintaan.langkah == langkah,
            Permintaan.urutan == urutan,
            Permintaan.putaran == row.putaran,
        )
    ).scalar_one_or_none()
    if p is not None:
        if flow_run_id and p.status == MENUNGGU and p.flow_run_id != flow_run_id:
            p.flow_run_id = flow_run_id
        return p
    sm = surat_penawaran(session, k) if "penawaran" in step.kelengkapan.lower() else None
    p = Permintaan(
        bundel_id=None,
        surat_masuk_id=sm.id if sm else None,
        kegiatan_id=k.id,
        urutan=urutan,
        kind="disposisi",
        peran=peran,
        langkah=langkah,
        putaran=row.putaran,
        pejabat_id=pemegang(session, peran).id,
        status=MENUNGGU,
        sejak=row.started_at,
        tenggat=row.deadline,
        flow_run_id=flow_run_id,
        token=secrets.token_urlsafe(24),
        salah=0,
    )
    session.add(p)
    session.flush()
    return p


def jumlah_jawaban(session: Session, permintaan_id: int) -> int:
    """How many answers were processed for a request (the suffix of the next wait's key, so
    a run restarted from the top waits under the same key until an answer is processed)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(AuditPersetujuan)
            .where(AuditPersetujuan.permintaan_id == permintaan_id)
        )
        or 0
    )


# --------------------------------------------------------------------------- codes by e-mail


def _code_valid(session: Session, p: Permintaan, now: dt.datetime) -> KodeVerifikasi | None:
    return session.execute(
        select(KodeVerifikasi)
        .where(
            KodeVerifikasi.permintaan_id == p.id,
            KodeVerifikasi.used_at.is_(None),
            KodeVerifikasi.expires_at > now,
        )
        .order_by(KodeVerifikasi.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def ringkasan(session: Session, b: Bundel) -> dict[str, Any]:
    """What is decided on, without personal data: type, Hal, addressee (or a count), version,
    number of letters, manifest hash, where the draft files are."""
    k = session.get(Kegiatan, b.kegiatan_id)
    members = list(b.naskah)
    first = members[0] if members else None
    draf = [f for n in members[:1] for f in n.berkas if f.peran in ("draf_pdf", "draf_docx")]
    folder = str(Path(draf[0].path).parent) if draf else "-"
    tujuan = (
        (first.tujuan or "-")
        if first is not None and len(members) == 1
        else f"{len(members)} naskah"
    )
    hal = first.hal if first else ""
    if any(n.kunci.startswith("peserta:") for n in members):
        # a letter per participant (a certificate) names its holder in Hal and addressee:
        # what the request shows (forms, Prefect, e-mail subjects) names the bundle instead
        hal = (
            f"{b.jenis.replace('_', ' ').title()} {k.nama if k else ''}".strip()
            + " (satu naskah per peserta)"
        )
        tujuan = f"{len(members)} peserta"
    return {
        "kegiatan": k.kode if k else "",
        "nama_kegiatan": k.nama if k else "",
        "jenis": b.jenis,
        "versi": b.versi,
        "jumlah": len(members),
        "hal": hal,
        "tujuan": tujuan,
        "manifest": b.manifest_sha256 or "",
        "berkas": folder,
        "catatan_revisi": b.catatan,
    }


def ringkasan_permintaan(session: Session, p: Permintaan) -> dict[str, Any]:
    """:func:`ringkasan` of a request's bundle, or of the incoming letter a disposition is
    asked on (its sender, number, date and Hal)."""
    if p.bundel_id is not None:
        b = session.get(Bundel, p.bundel_id)
        assert b is not None
        return ringkasan(session, b)
    from diklat.models import SuratMasuk
    from diklat.rules.tanggal import tanggal_indonesia

    k = session.get(Kegiatan, p.kegiatan_id)
    sm = session.get(SuratMasuk, p.surat_masuk_id) if p.surat_masuk_id else None
    hal = (
        f"Disposisi surat {sm.pengirim} Nomor {sm.nomor} tanggal "
        f"{tanggal_indonesia(sm.tanggal)}" + (f" hal {sm.hal}" if sm.hal else "")
        if sm is not None
        else f"Disposisi langkah {p.langkah}"
    )
    return {
        "kegiatan": k.kode if k else "",
        "nama_kegiatan": k.nama if k else "",
        "jenis": "disposisi",
        "versi": 1,
        "jumlah": 1,
        "hal": hal,
        "tujuan": "-",
        "manifest": "",
        "berkas": sm.berkas_nama if sm and sm.berkas_nama else "-",
        "catatan_revisi": None,
    }


def deskripsi_form(session: Session, p: Permintaan, settings: Settings | None = None) -> str:
    """What the resume form shows above its fields (Markdown, no personal data): why the last
    answer was refused and how many tries are left, the letter (Hal, addressee, version,
    how many documents, the hash decided on), the level, the deadline in the agency's time,
    where the drafts are."""
    s = settings or get_settings()
    r = ringkasan_permintaan(session, p)
    b = session.get(Bundel, p.bundel_id) if p.bundel_id is not None else None
    total = len(rantai(b)) if b is not None else 1
    apa = {"tanda_tangan": "Tanda tangan", "paraf": "Paraf"}.get(p.kind, "Disposisi")
    lines: list[str] = []
    last = session.execute(
        select(AuditPersetujuan)
        .where(AuditPersetujuan.permintaan_id == p.id)
        .order_by(AuditPersetujuan.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if last is not None and last.hasil == "ditolak":
        sisa = max(0, s.approval.otp_max_attempts - p.salah)
        lines += [f"**Jawaban sebelumnya ditolak:** {last.alasan}; sisa {sisa} percobaan", ""]
    tenggat = (
        p.tenggat.astimezone(_tz(s)).strftime("%d-%m-%Y %H:%M") + " " + _zona(s)
        if p.tenggat
        else "-"
    )
    lines += [
        f"### {apa}: {r['jenis'].replace('_', ' ')} ({r['kegiatan']})",
        "",
        f"- **Kegiatan:** {r['nama_kegiatan']}",
        f"- **Hal:** {r['hal']}",
        f"- **Tujuan:** {r['tujuan']}",
    ]
    if b is not None:
        lines += [
            f"- **Versi:** {r['versi']}, **{r['jumlah']} naskah** (nomor 1-{r['jumlah']} "
            f"dalam pratinjau), hash `{r['manifest'][:16]}`",
            f"- **Tingkat:** {p.urutan} dari {total} (peran `{p.peran}`, langkah SOP {p.langkah})",
            f"- **Konsep PDF:** `{r['berkas']}`",
        ]
    lines.append(f"- **Tenggat:** {tenggat}")
    link = halaman_persetujuan(p, s)
    lines.append(f"- **Halaman persetujuan (konsep dan riwayat):** {link}")
    if r["catatan_revisi"]:
        lines.append(f"- **Menjawab catatan revisi:** {r['catatan_revisi']}")
    lines += [
        "",
        "Isi NIP Anda dan kode verifikasi 6 digit dari surel. Revisi dan tolak "
        "wajib disertai catatan; revisi bundel boleh menyebut nomor dokumennya.",
    ]
    return "\n".join(lines)


def _zona(s: Settings) -> str:
    return {
        "Asia/Jakarta": "WIB",
        "Asia/Pontianak": "WIB",
        "Asia/Makassar": "WITA",
        "Asia/Jayapura": "WIT",
    }.get(s.timezone, s.timezone)


def halaman_persetujuan(p: Permintaan, settings: Settings | None = None) -> str:
    """The approval page of a request on ``diklat web`` (the draft, the chain so far, the
    answer form): a random token per request, valid until the decision."""
    s = settings or get_settings()
    return f"{s.tte.verify_base_url.rstrip('/')}/p/{p.token}"


def surat_kode(
    session: Session, p: Permintaan, kode: str, *, ui_url: str, settings: Settings
) -> Surat:
    pej = session.get(Pejabat, p.pejabat_id) if p.pejabat_id else None
    assert pej is not None
    r = ringkasan_permintaan(session, p)
    halaman = halaman_persetujuan(p, settings)
    lampiran = _lampiran_konsep(session, p, settings)
    apa = LABEL_KIND.get(p.kind, p.kind)
    tenggat = (
        p.tenggat.astimezone(_tz(settings)).strftime("%d-%m-%Y %H:%M") + " " + _zona(settings)
        if p.tenggat
        else "-"
    )
    isi = "\n".join(
        [
            f"Yth. {pej.nama},",
            "",
            f"Mohon {apa} atas {r['jenis'].replace('_', ' ')} kegiatan {r['kegiatan']} "
            f"({r['nama_kegiatan']}).",
            f"Hal: {r['hal']}",
            f"Tujuan: {r['tujuan']}",
            f"Versi: {r['versi']}, {r['jumlah']} naskah, hash {r['manifest'][:12]}",
            *([f"Konsep terlampir ({lampiran[0][0]})."] if lampiran else []),
            *([f"Catatan revisi sebelumnya: {r['catatan_revisi']}"] if r["catatan_revisi"] else []),
            f"Tenggat: {tenggat}",
            "",
            f"Baca konsep dan berikan keputusan (setuju / revisi / tolak) di: {halaman}",
            *(
                [
                    f"Untuk menandatangani dengan sertifikat BSrE (passphrase Anda), buka: "
                    f"{halaman_ttd(p, settings)}"
                ]
                if p.kind == "tanda_tangan" and settings.tte.mode == "bsre"
                else []
            ),
            f"Atau di UI Prefect: {ui_url}",
            f"atau dengan perintah: diklat approve {p.id} --nip <NIP Anda> --kode <kode> "
            "--keputusan setuju",
            "",
            f"Kode: {kode}",
            "",
            f"Kode hanya berlaku sekali dan sampai {settings.approval.otp_lifetime_minutes} menit "
            "sejak surel ini. Jangan teruskan surel ini.",
        ]
    )
    return Surat(
        kepada=pej.email or "",
        nama=pej.nama,
        subjek=f"[diklat] Mohon {apa}: {r['hal']} ({r['kegiatan']})",
        isi=isi,
        lampiran=lampiran,
    )


#: The draft is attached to an official's e-mail up to this size (larger: the page's link).
BATAS_LAMPIRAN = 10 * 1024 * 1024


def _lampiran_konsep(
    session: Session, p: Permintaan, settings: Settings
) -> list[tuple[str, bytes, str]]:
    """The draft decided on, as one PDF (the bundle merged), to attach to the official's
    e-mail; none without draft PDFs or over :data:`BATAS_LAMPIRAN`."""
    if p.bundel_id is None:
        return []
    b = session.get(Bundel, p.bundel_id)
    k = session.get(Kegiatan, p.kegiatan_id)
    if b is None or k is None:
        return []
    path = naskah_versi.pratinjau(session, b, Path(settings.output_dir or "var/output"), k.kode)
    if path is None or not path.exists() or path.stat().st_size > BATAS_LAMPIRAN:
        return []
    name = f"konsep-{b.jenis.replace('_', '-')}-v{b.versi}-{k.kode}.pdf"
    return [(name, path.read_bytes(), "application/pdf")]


def _tz(settings: Settings) -> Any:
    return waktu.zona(settings)


@dataclass(frozen=True)
class PermintaanTerbuka:
    """One level of a chain (or of a disposition) as the waiting run sees it: the request,
    whether it is decided (and how), whether the bundle's chain has ended, how many answers
    came (the wait's key changes with each), and the form's description."""

    id: int
    status: str
    keputusan: str | None
    kind: str
    selesai: bool
    jawaban: int
    poll_seconds: float
    deskripsi: str

    @property
    def diputuskan(self) -> bool:
        return self.status == DIPUTUSKAN


def buka_permintaan(
    session: Session,
    k: Kegiatan,
    bundel_id: int | None,
    urutan: int,
    *,
    flow_run_id: str | None,
    langkah: int | None = None,
    kirim: Callable[[Surat], None],
    ui_base: str | None = None,
    settings: Settings | None = None,
) -> PermintaanTerbuka:
    """Open the request of level ``urutan`` of a bundle's chain, or of the disposition at
    step ``langkah`` (once), send its code (once, while it waits), and describe it."""
    s = settings or get_settings()
    if bundel_id is not None:
        b = session.get(Bundel, bundel_id)
        assert b is not None
        level = next(lv for lv in rantai(b) if lv["urutan"] == urutan)
        req = buka(session, b, level, flow_run_id=flow_run_id)
        selesai = b.status in status.DIPUTUSKAN or b.status in status.BERAKHIR
    else:
        assert langkah is not None
        req = buka_disposisi(session, k, langkah, urutan, flow_run_id=flow_run_id)
        selesai = req.status == DIPUTUSKAN
    if req.status == MENUNGGU:
        kirim_kode(session, req, kirim, ui_url=tautan_run(flow_run_id, s, ui_base), settings=s)
    return PermintaanTerbuka(
        id=req.id,
        status=req.status,
        keputusan=req.keputusan,
        kind=req.kind,
        selesai=selesai,
        jawaban=jumlah_jawaban(session, req.id),
        poll_seconds=s.approval.poll_seconds,
        deskripsi=deskripsi_form(session, req, s),
    )


def kirim_kode(
    session: Session,
    p: Permintaan,
    kirim: Callable[[Surat], None],
    *,
    ui_url: str,
    paksa: bool = False,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> bool:
    """E-mail the asked official a one-time code for this request, unless a valid one was
    already sent (``paksa``: a new one anyway). Returns whether a code went out now. The code
    itself is never stored or returned: only its keyed hash is kept."""
    s = settings or get_settings()
    moment = now or utcnow()
    if p.status != MENUNGGU:
        return False
    if not paksa and _code_valid(session, p, moment) is not None:
        return False
    pej = session.get(Pejabat, p.pejabat_id) if p.pejabat_id else None
    if pej is None or not pej.email:
        raise PersetujuanError(
            f"pejabat peran {p.peran} tidak punya alamat pos-el untuk kode "
            f"verifikasi; isi dengan `diklat pejabat tambah ... --email`"
        )
    kode = _new_code()
    session.add(
        KodeVerifikasi(
            pejabat_id=pej.id,
            permintaan_id=p.id,
            kode_hash=hash_kode(kode, p.id, s),
            expires_at=moment + dt.timedelta(minutes=s.approval.otp_lifetime_minutes),
            attempts=0,
            created_at=moment,
        )
    )
    session.flush()
    kirim(surat_kode(session, p, kode, ui_url=ui_url, settings=s))
    log.info("kode verifikasi permintaan %s dikirim", p.id)
    return True


# --------------------------------------------------------------------------- answers


def _audit(
    session: Session,
    p: Permintaan,
    b: Bundel | None,
    *,
    nip: str | None,
    nama: str | None,
    keputusan: str | None,
    catatan: str | None,
    hasil: str,
    alasan: str | None,
    flow_run_id: str | None,
    now: dt.datetime,
) -> None:
    session.add(
        AuditPersetujuan(
            bundel_id=b.id if b is not None else None,
            permintaan_id=p.id,
            nip=nip,
            nama=nama,
            peran=p.peran,
            keputusan=keputusan,
            catatan=catatan,
            sha256=b.manifest_sha256 if b is not None else None,
            hasil=hasil,
            alasan=alasan,
            flow_run_id=flow_run_id,
            at=now,
        )
    )


def nomor_dokumen(b: Bundel, nomor: Sequence[int]) -> list[str]:
    """Member keys of a bundle by their position (1 = the first document of the bundle's
    merged preview); :class:`ValueError` naming a number that is not in the bundle."""
    members = list(b.naskah)
    keys = []
    for n in dict.fromkeys(int(x) for x in nomor):
        if not 1 <= n <= len(members):
            raise ValueError(f"dokumen {n} tidak ada (bundel berisi {len(members)} naskah)")
        keys.append(members[n - 1].kunci)
    return keys


def putuskan(
    session: Session,
    permintaan_id: int,
    *,
    nip: str,
    kode: str,
    keputusan: str,
    catatan: str | None = None,
    flow_run_id: str | None = None,
    now: dt.datetime | None = None,
    kirim: Callable[[Surat], None] | None = None,
    ui_base: str | None = None,
    lewat_halaman: bool = False,
    dokumen: Sequence[int] | None = None,
    settings: Settings | None = None,
) -> Hasil:
    """Check and apply one answer. A refused answer is audited, counted, and returned with its
    reason (never raised: the run keeps waiting). See the module docstring for the rules.
    ``dokumen``: with ``revisi``, the documents of the bundle to correct (by position)."""
    s = settings or get_settings()
    moment = now or utcnow()
    p = session.get(Permintaan, permintaan_id, with_for_update=True)
    if p is None:
        raise PersetujuanError(f"permintaan {permintaan_id} tidak ada")
    b = session.get(Bundel, p.bundel_id) if p.bundel_id is not None else None
    catatan = (catatan or "").strip() or None
    info = nip_rules.parse(nip or "")
    nip_n = info.nip if info.valid else (nip or "").strip()[:18]
    pej = session.execute(
        select(Pejabat).where(
            Pejabat.nip == nip_n, Pejabat.peran == p.peran, Pejabat.aktif.is_(True)
        )
    ).scalar_one_or_none()
    hash_ini = hash_kode(kode or "", p.id, s)
    code = session.execute(
        select(KodeVerifikasi).where(
            KodeVerifikasi.permintaan_id == p.id, KodeVerifikasi.kode_hash == hash_ini
        )
    ).scalar_one_or_none()
    newest = session.execute(
        select(func.max(KodeVerifikasi.id)).where(KodeVerifikasi.permintaan_id == p.id)
    ).scalar_one()
    usable = (
        code is not None and code.used_at is None and code.id == newest and code.expires_at > moment
    )

    def refuse(alasan: str) -> Hasil:
        p.salah += 1
        _audit(
            session,
            p,
            b,
            nip=nip_n or None,
            nama=pej.nama if pej else None,
            keputusan=keputusan,
            catatan=catatan,
            hasil="ditolak",
            alasan=alasan,
            flow_run_id=flow_run_id,
            now=moment,
        )
        locked = False
        if p.status == MENUNGGU and usable and code is not None:
            # the right code came with a refused answer: it is now written where the answer
            # was typed (the orchestrator's stored input); it is spent, a new one goes out
            code.used_at = moment
            code.attempts += 1
            if kirim is not None and p.salah < s.approval.otp_max_attempts:
                try:
                    kirim_kode(
                        session,
                        p,
                        kirim,
                        ui_url=tautan_run(p.flow_run_id, s, ui_base),
                        paksa=True,
                        now=moment,
                        settings=s,
                    )
                    alasan = f"{alasan}; kode itu tidak berlaku lagi, kode baru sudah dikirim"
                except PersetujuanError:
                    alasan = f"{alasan}; kode itu tidak berlaku lagi"
        if p.status == MENUNGGU and kirim is not None and p.salah < s.approval.otp_max_attempts:
            _kabari_penolakan(session, p, alasan, s.approval.otp_max_attempts - p.salah, kirim)
        if p.status == MENUNGGU and p.salah >= s.approval.otp_max_attempts:
            pindah(p, TERKUNCI)
            locked = True
            _audit(
                session,
                p,
                b,
                nip=None,
                nama=None,
                keputusan=None,
                catatan=None,
                hasil="dikunci",
                alasan=f"dikunci setelah {p.salah} jawaban ditolak",
                flow_run_id=flow_run_id,
                now=moment,
            )
            _beri_tahu_atasan(session, p, b, kirim, f"dikunci setelah {p.salah} jawaban ditolak", s)
            alasan = f"{alasan}; permintaan dikunci, atasan diberi tahu"
        session.flush()
        log.info("jawaban atas permintaan %s ditolak", p.id)
        return Hasil(
            False,
            alasan,
            p.id,
            keputusan,
            terkunci=locked,
            sisa=max(0, s.approval.otp_max_attempts - p.salah),
        )

    if p.status == DIPUTUSKAN:
        # The very answer that decided, arriving a second time (given in the terminal, then
        # handed to the waiting run; or typed again): the decision stands, nothing more is
        # recorded, and the caller learns that it was already decided.
        decider = (
            session.execute(
                select(AuditPersetujuan.nip).where(
                    AuditPersetujuan.permintaan_id == p.id, AuditPersetujuan.hasil == "diterima"
                )
            )
            .scalars()
            .first()
        )
        if (
            code is not None
            and code.used_at is not None
            and keputusan == p.keputusan
            and decider == nip_n
        ):
            return Hasil(True, None, p.id, p.keputusan, selesai=_ended(p, b), sudah=True)
        return refuse("permintaan sudah diputuskan; kode sudah dipakai")
    if p.status != MENUNGGU:
        return refuse(f"permintaan {p.status}; hubungi operator")
    if keputusan not in KEPUTUSAN:
        return refuse(f"keputusan harus salah satu dari {', '.join(KEPUTUSAN)}")
    if not info.valid:
        return refuse("NIP tidak valid")
    if pej is None:
        return refuse(f"NIP ini tidak memegang peran {p.peran} yang diminta")
    if p.pejabat_id is not None and p.kind == "tanda_tangan" and pej.id != p.pejabat_id:
        return refuse("hanya pejabat yang tercetak pada naskah yang dapat menandatangani")
    if b is not None and b.dibuat_oleh and b.dibuat_oleh == pej.nip:
        return refuse("pembuat konsep tidak dapat memaraf atau menandatangani konsepnya sendiri")
    if code is None:
        return refuse("kode verifikasi salah")
    if code.used_at is not None:
        return refuse("kode verifikasi sudah pernah dipakai")
    if code.id != newest:
        return refuse("kode verifikasi sudah diganti; pakai kode terbaru dari surel")
    if code.expires_at <= moment:
        if kirim is not None:
            kirim_kode(
                session,
                p,
                kirim,
                ui_url=tautan_run(p.flow_run_id, s, ui_base),
                paksa=True,
                now=moment,
                settings=s,
            )
            return refuse("kode verifikasi kedaluwarsa; kode baru sudah dikirim")
        return refuse("kode verifikasi kedaluwarsa")
    if keputusan in ("revisi", "tolak") and not catatan:
        return refuse(f"keputusan {keputusan} wajib disertai catatan")
    if keputusan == "revisi" and p.kind == "disposisi":
        return refuse("disposisi tidak dapat direvisi: teruskan (setuju) atau tolak")
    kunci_revisi: list[str] | None = None
    if keputusan == "revisi" and dokumen and b is not None:
        try:
            kunci_revisi = nomor_dokumen(b, dokumen)
        except ValueError as e:
            return refuse(str(e))
    if (
        keputusan == "setuju"
        and p.kind == "tanda_tangan"
        and s.tte.mode == "bsre"
        and not lewat_halaman
    ):
        # a BSrE signature needs the signer's passphrase, typed only on the signing page
        return refuse(f"tanda tangan BSrE hanya melalui halaman tanda tangan: {halaman_ttd(p, s)}")
    if b is not None and (b.status in status.BERAKHIR or b.status in status.DIPUTUSKAN):
        return refuse(f"naskah sudah {status.LABEL.get(b.status, b.status)}")

    # Accepted.
    code.used_at = moment
    code.attempts += 1
    pindah(p, DIPUTUSKAN)
    p.keputusan, p.catatan, p.diputuskan_at = keputusan, catatan, moment
    p.flow_run_id = flow_run_id or p.flow_run_id
    if b is not None:
        session.add(
            Persetujuan(
                bundel_id=b.id,
                urutan=p.urutan,
                kind=p.kind,
                peran=p.peran,
                pejabat_id=pej.id,
                nip=pej.nip,
                nama=pej.nama,
                keputusan=keputusan,
                catatan=catatan,
                naskah_sha256=b.manifest_sha256 or "",
                flow_run_id=flow_run_id,
                decided_at=moment,
            )
        )
    _audit(
        session,
        p,
        b,
        nip=pej.nip,
        nama=pej.nama,
        keputusan=keputusan,
        catatan=catatan,
        hasil="diterima",
        alasan=None,
        flow_run_id=flow_run_id,
        now=moment,
    )
    k = session.get(Kegiatan, p.kegiatan_id)
    assert k is not None
    oleh = ledger.Oleh(pej.nip, pej.nama)
    if keputusan == "setuju":
        if b is not None and p.kind == "tanda_tangan":
            naskah_versi.tandai_ditandatangani(
                session, b, pej, sha=b.manifest_sha256, flow_run_id=flow_run_id
            )
        elif b is not None:
            naskah_versi.ajukan(session, b)
        ledger.selesai(
            session,
            k,
            p.langkah,
            tingkat=p.urutan,
            actor=p.peran,
            oleh=oleh,
            note=catatan,
            now=moment,
            flow_run_id=flow_run_id,
        )
    elif keputusan == "revisi":
        assert b is not None
        naskah_versi.kembalikan(session, b, catatan or "")
        b.kunci_revisi = json.dumps(kunci_revisi) if kunci_revisi else None
        ledger.selesai(
            session,
            k,
            p.langkah,
            tingkat=p.urutan,
            actor=p.peran,
            oleh=oleh,
            note=f"revisi: {catatan}",
            now=moment,
            flow_run_id=flow_run_id,
        )
        kembalikan_ke_pemeriksa(session, k, b, p.urutan, catatan or "", now=moment)
        _batalkan_sisa(session, b)
    else:
        ditolak = f"{_apa(p, b)} ditolak oleh {pej.nama} ({p.peran}): {catatan}"
        if b is not None:
            naskah_versi.tolak(session, b, catatan or "")
            _batalkan_sisa(session, b)
        ledger.gagal(
            session, k, p.langkah, f"ditolak: {catatan}", tingkat=p.urutan, oleh=oleh, now=moment
        )
        hentikan_kegiatan(session, k, "ditolak", ditolak, now=moment)
    session.flush()
    log.info("permintaan %s: %s diterima", p.id, keputusan)
    return Hasil(True, None, p.id, keputusan, selesai=_ended(p, b))


def _kabari_penolakan(
    session: Session, p: Permintaan, alasan: str, sisa: int, kirim: Callable[[Surat], None]
) -> None:
    """The official asked learns at once that an answer to his request was refused (his own
    mistake, or someone else answering in his name), and how many tries are left."""
    pej = session.get(Pejabat, p.pejabat_id) if p.pejabat_id else None
    if pej is None or not pej.email:
        return
    r = ringkasan_permintaan(session, p)
    kirim(
        Surat(
            kepada=pej.email,
            nama=pej.nama,
            subjek=f"[diklat] Jawaban ditolak: {r['hal']} ({r['kegiatan']})",
            isi=f"Yth. {pej.nama},\n\nJawaban atas permintaan "
            f"{LABEL_KIND.get(p.kind, p.kind)} {r['hal']} ditolak: {alasan}.\n"
            f"Sisa {sisa} percobaan sebelum permintaan dikunci.\n\n"
            f"Jawab lagi di: {halaman_persetujuan(p)}\n"
            "Bila bukan Anda yang menjawab, beri tahu operator.",
        )
    )


def _apa(p: Permintaan, b: Bundel | None) -> str:
    if b is not None:
        return f"{b.jenis.replace('_', ' ')} v{b.versi}"
    return f"disposisi langkah {p.langkah}"


def hentikan_kegiatan(
    session: Session, k: Kegiatan, status_baru: str, alasan: str, *, now: dt.datetime | None = None
) -> None:
    """The training's path stops (a refusal, a cancellation): status and reason recorded;
    nothing after it runs until someone deliberately starts it again."""
    k.status, k.status_alasan, k.status_at = status_baru, alasan[:4000], now or utcnow()
    session.flush()


@dataclass(frozen=True)
class TujuanPerbaikan:
    """Who corrects a returned version: the actor of the step the revision returns to (the
    SOP's "dikembalikan ke ... untuk diperbaiki"), at which level the chain starts again."""

    langkah: int
    tingkat: int  # the level row of that step (0 for a drafting step)
    peran: str
    mulai_urutan: int  # the chain level the corrected version starts at


def tujuan_perbaikan(b: Bundel, urutan: int, sop_code: str) -> TujuanPerbaikan:
    """Where a revision decided at chain level ``urutan`` goes: SOP 002 row 13 -> the
    drafter (row 12, the chain starts again at the Analis), row 14 -> the Analis (row 13,
    his paraf again), row 15 -> the Kabid (row 14, the Kepala next); SOP 000 -> the typist
    of the draft."""
    from diklat.sop.catalogue import get_sop

    levels = rantai(b)
    level = next((lv for lv in levels if lv["urutan"] == urutan), None)
    back = (level or {}).get("return_to") or (level or {}).get("langkah") or 0
    target = next((lv for lv in levels if lv["langkah"] == back), None)
    step = get_sop(sop_code).step(back)
    peran = target["peran"] if target is not None else step.pelaksana[0]
    return TujuanPerbaikan(
        langkah=back,
        tingkat=target["urutan"] if target else 0,
        peran=peran,
        mulai_urutan=target["urutan"] if target else 1,
    )


def kembalikan_ke_pemeriksa(
    session: Session,
    k: Kegiatan,
    b: Bundel,
    urutan: int,
    catatan: str,
    *,
    now: dt.datetime | None = None,
) -> TujuanPerbaikan:
    """The ledger of a revision: the steps from the return target to the deciding one are
    closed (their next round repeats them), and the return target's row opens at once as
    waiting for the person who corrects."""
    t = tujuan_perbaikan(b, urutan, k.sop)
    level = next((lv for lv in rantai(b) if lv["urutan"] == urutan), None)
    dari = level["langkah"] if level else t.langkah
    ledger.kembalikan(session, k, dari=dari, ke=min(t.langkah, dari), note=catatan, now=now)
    ledger.tunggu(session, k, t.langkah, tingkat=t.tingkat, actor=t.peran, now=now)
    return t


def _ended(p: Permintaan, b: Bundel | None) -> bool:
    if b is None:
        return p.status == DIPUTUSKAN
    return b.status in status.BERAKHIR or b.status in status.DIPUTUSKAN


def _batalkan_sisa(session: Session, b: Bundel) -> None:
    """Requests of a version that was returned or refused stop waiting."""
    for q in session.execute(
        select(Permintaan).where(Permintaan.bundel_id == b.id, Permintaan.status == MENUNGGU)
    ).scalars():
        pindah(q, DIBATALKAN)


def halaman_ttd(p: Permintaan, settings: Settings | None = None) -> str:
    """The signing page of a signature request (``diklat web``)."""
    s = settings or get_settings()
    return f"{s.tte.verify_base_url.rstrip('/')}/ttd/{p.token}"


def _ui_url(p: Permintaan, settings: Settings) -> str:
    return tautan_run(p.flow_run_id, settings)


def tautan_run(
    flow_run_id: str | None, settings: Settings | None = None, base: str | None = None
) -> str:
    """The Prefect UI page of a flow run (where the resume form is): the configured UI
    address, else ``base`` (the orchestrator's own, passed by the caller), else the API's."""
    import os

    s = settings or get_settings()
    base = (
        s.approval.ui_url
        or base
        or (os.environ.get("PREFECT_API_URL", "").removesuffix("/api") or "http://127.0.0.1:4200")
    )
    return f"{base.rstrip('/')}/runs/flow-run/{flow_run_id}" if flow_run_id else base


def _beri_tahu_atasan(
    session: Session,
    p: Permintaan,
    b: Bundel | None,
    kirim: Callable[[Surat], None] | None,
    sebab: str,
    settings: Settings,
) -> bool:
    """Tell the superior of the asked role (``settings.approval.atasan``) about a request."""
    if kirim is None:
        return False
    atasan = _atasan(session, p.peran, settings)
    if atasan is None:
        return False
    r = ringkasan_permintaan(session, p)
    kirim(
        Surat(
            kepada=atasan.email or "",
            nama=atasan.nama,
            subjek=f"[diklat] Perlu perhatian: {LABEL_KIND.get(p.kind, p.kind)} "
            f"{r['hal']} ({r['kegiatan']})",
            isi="\n".join(
                [
                    f"Yth. {atasan.nama},",
                    "",
                    f"Permintaan {LABEL_KIND.get(p.kind, p.kind)} kepada peran {p.peran} atas "
                    f"{r['jenis'].replace('_', ' ')} kegiatan {r['kegiatan']} {sebab}.",
                    f"Hal: {r['hal']}",
                    f"Lihat: {_ui_url(p, settings)}",
                    f"Perintah: diklat approvals list; diklat kegiatan show {r['kegiatan']}",
                ]
            ),
        )
    )
    return True


def _atasan(session: Session, peran: str, settings: Settings) -> Pejabat | None:
    role = settings.approval.atasan.get(peran)
    if not role:
        return None
    try:
        atasan = pemegang(session, role)
    except PejabatTidakAda:
        return None
    return atasan if atasan.email else None


# --------------------------------------------------------------------------- deadlines


@dataclass
class HasilPantau:
    diingatkan: list[int] = field(default_factory=list)
    dieskalasi: list[int] = field(default_factory=list)
    dihentikan: list[int] = field(default_factory=list)
    #: Operator steps (ledger rows) reminded and escalated.
    langkah_diingatkan: list[int] = field(default_factory=list)
    langkah_dieskalasi: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "diingatkan": len(self.diingatkan),
            "dieskalasi": len(self.dieskalasi),
            "dihentikan": len(self.dihentikan),
            "langkah_diingatkan": len(self.langkah_diingatkan),
            "langkah_dieskalasi": len(self.langkah_dieskalasi),
        }


def _lewat(
    kal: Any, sejak: dt.datetime, now: dt.datetime, standar_detik: int | None, kali: float
) -> bool:
    """Whether ``kali`` times the standard time, counted in working time (office hours,
    weekends and holidays excluded, in the SOP's time zone), has passed since ``sejak``."""
    if not standar_detik:
        return False
    return kal.elapsed(sejak, now) >= dt.timedelta(seconds=standar_detik * kali)


def pantau_tenggat(
    session: Session,
    kirim: Callable[[Surat], None],
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> HasilPantau:
    """For every waiting request and every step waiting for an operator: a reminder once
    its deadline passed; the superior told once twice the standard time has passed in
    **working time** (a Friday-afternoon request is not escalated over the weekend); at the
    hard limit what the settings say (remind again, escalate again, or stop the document's
    path). Our own deadlines from the ledger, in the SOP's time zone, not the orchestrator's
    pause timeout. Idempotent per stage."""
    from diklat.models import SopStepLog

    s = settings or get_settings()
    moment = now or utcnow()
    out = HasilPantau()
    rows = (
        session.execute(
            select(Permintaan).where(
                Permintaan.status == MENUNGGU,
                Permintaan.tenggat.is_not(None),
                Permintaan.tenggat < moment,
            )
        )
        .scalars()
        .all()
    )
    for p in rows:
        b = session.get(Bundel, p.bundel_id) if p.bundel_id is not None else None
        k = session.get(Kegiatan, p.kegiatan_id)
        assert k is not None and p.tenggat is not None
        kal = ledger.kalender_sop(k)
        row = (
            session.execute(
                select(SopStepLog).where(
                    SopStepLog.kegiatan_id == k.id,
                    SopStepLog.step_no == p.langkah,
                    SopStepLog.tingkat == p.urutan,
                    SopStepLog.putaran == p.putaran,
                )
            )
            .scalars()
            .first()
        )
        standard = (
            row.waktu_max_s
            if row is not None
            else int(kal.elapsed(p.sejak, p.tenggat).total_seconds())
        )
        if p.pengingat_at is None:
            pej = session.get(Pejabat, p.pejabat_id) if p.pejabat_id else None
            if pej is not None and pej.email:
                r = ringkasan_permintaan(session, p)
                kirim(
                    Surat(
                        kepada=pej.email,
                        nama=pej.nama,
                        subjek=f"[diklat] Pengingat: {r['hal']} ({r['kegiatan']})",
                        isi=f"Yth. {pej.nama},\n\nPermintaan "
                        f"{LABEL_KIND.get(p.kind, p.kind)} atas {r['hal']} telah "
                        f"melewati tenggat. Kode verifikasi pada surel sebelumnya "
                        f"masih dapat dipakai bila belum kedaluwarsa.\n\n"
                        f"{_ui_url(p, s)}",
                    )
                )
            p.pengingat_at = moment
            out.diingatkan.append(p.id)
        if p.eskalasi_at is None and _lewat(kal, p.sejak, moment, standard, 2):
            _beri_tahu_atasan(session, p, b, kirim, "melewati dua kali waktu baku", s)
            p.eskalasi_at = moment
            out.dieskalasi.append(p.id)
        past_hard = _lewat(kal, p.sejak, moment, standard, s.approval.batas_keras_kali)
        if past_hard and s.approval.batas_keras == "hentikan":
            alasan = "dihentikan: melewati batas waktu keras"
            if b is not None:
                naskah_versi.tolak(session, b, alasan)
                _batalkan_sisa(session, b)
            else:
                pindah(p, DIBATALKAN)
            ledger.gagal(
                session, k, p.langkah, "melewati batas waktu keras", tingkat=p.urutan, now=moment
            )
            hentikan_kegiatan(session, k, "ditolak", f"{_apa(p, b)} {alasan}", now=moment)
            out.dihentikan.append(p.id)
        elif (
            past_hard
            and p.eskalasi_at is not None
            and not _lewat(kal, p.sejak, p.eskalasi_at, standard, s.approval.batas_keras_kali)
        ):
            if s.approval.batas_keras == "eskalasi":
                _beri_tahu_atasan(session, p, b, kirim, "melewati batas waktu keras", s)
            p.eskalasi_at = moment  # once past the hard limit
            out.dieskalasi.append(p.id)
    _pantau_operator(session, kirim, moment, s, out)
    session.flush()
    return out


def _pantau_operator(
    session: Session,
    kirim: Callable[[Surat], None],
    moment: dt.datetime,
    s: Settings,
    out: HasilPantau,
) -> None:
    """Steps waiting for an operator (a form, a correction, deliveries to confirm) past their
    deadline: the operator desk (or the step's role holders) reminded once, the role's
    superior told at twice the standard working time."""
    from diklat.models import SopStepLog
    from diklat.sop.catalogue import get_sop

    waiting_requests = {
        (p.kegiatan_id, p.langkah, p.urutan)
        for p in session.execute(
            select(Permintaan).where(Permintaan.status.in_([MENUNGGU, TERKUNCI]))
        ).scalars()
    }
    rows = (
        session.execute(
            select(SopStepLog).where(
                SopStepLog.status == ledger.MENUNGGU,
                SopStepLog.deadline.is_not(None),
                SopStepLog.deadline < moment,
            )
        )
        .scalars()
        .all()
    )
    for row in rows:
        if (row.kegiatan_id, row.step_no, row.tingkat) in waiting_requests:
            continue  # an official's request: reminded above
        k = session.get(Kegiatan, row.kegiatan_id)
        if k is None or k.status not in ("berjalan", "direncanakan"):
            continue
        step = get_sop(k.sop).step(row.step_no)
        roles = (row.actor or "").split(",")
        apa = f"Langkah {row.step_no} kegiatan {k.kode}: {step.kegiatan}"
        if row.pengingat_at is None:
            for alamat, nama in _alamat_operator(session, roles, s):
                kirim(
                    Surat(
                        kepada=alamat,
                        nama=nama,
                        subjek=f"[diklat] Pengingat: langkah {row.step_no} ({k.kode})",
                        isi=f"Yth. {nama},\n\n{apa}\nsudah melewati tenggat "
                        f"{row.deadline.astimezone(_tz(s)).strftime('%d-%m-%Y %H:%M') if row.deadline else '-'}"
                        f".\n\nLihat: diklat tugas; diklat kegiatan show {k.kode}",
                    )
                )
            row.pengingat_at = moment
            out.langkah_diingatkan.append(row.id)
        kal = ledger.kalender_sop(k)
        if row.eskalasi_at is None and _lewat(kal, row.started_at, moment, row.waktu_max_s, 2):
            atasan = next((a for a in (_atasan(session, r, s) for r in roles) if a), None)
            if atasan is not None:
                kirim(
                    Surat(
                        kepada=atasan.email or "",
                        nama=atasan.nama,
                        subjek=f"[diklat] Perlu perhatian: langkah {row.step_no} ({k.kode})",
                        isi=f"Yth. {atasan.nama},\n\n{apa}\nmenunggu petugas "
                        "melewati dua kali waktu baku (jam kerja).\n\n"
                        f"Lihat: diklat kegiatan show {k.kode}",
                    )
                )
            row.eskalasi_at = moment
            out.langkah_dieskalasi.append(row.id)


def _alamat_operator(session: Session, roles: Sequence[str], s: Settings) -> list[tuple[str, str]]:
    """Where an operator step's messages go: the operator desk, else the step's role
    holders with an e-mail."""
    if s.approval.operator_email:
        return [(s.approval.operator_email, "Petugas")]
    out = []
    for r in roles:
        try:
            p = pemegang(session, r)
        except PejabatTidakAda:
            continue
        if p.email:
            out.append((p.email, p.nama))
    return out


# --------------------------------------------------------------------------- listings


def daftar_menunggu(
    session: Session, now: dt.datetime | None = None, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """What waits (``diklat approvals list``): one row per open request."""
    s = settings or get_settings()
    moment = now or utcnow()
    tz = _tz(s)
    out = []
    rows = session.execute(
        select(Permintaan)
        .where(Permintaan.status.in_([MENUNGGU, TERKUNCI]))
        .order_by(Permintaan.sejak)
    ).scalars()
    for p in rows:
        b = session.get(Bundel, p.bundel_id)
        k = session.get(Kegiatan, p.kegiatan_id)
        pej = session.get(Pejabat, p.pejabat_id) if p.pejabat_id else None
        assert b is not None and k is not None
        out.append(
            {
                "id": p.id,
                "kegiatan": k.kode,
                "naskah": f"{b.jenis} v{b.versi}",
                "bundel_id": b.id,
                "jumlah": b.jumlah,
                "level": p.urutan,
                "kind": p.kind,
                "peran": p.peran,
                "nip": pej.nip if pej else None,
                "nama": pej.nama if pej else None,
                "status": p.status,
                "sejak": p.sejak.astimezone(tz).isoformat(timespec="seconds"),
                "tenggat": p.tenggat.astimezone(tz).isoformat(timespec="seconds")
                if p.tenggat
                else None,
                "terlambat": bool(p.tenggat and moment > p.tenggat),
                "flow_run_id": p.flow_run_id,
            }
        )
    return out


def riwayat(
    session: Session,
    kegiatan_id: int,
    settings: Settings | None = None,
) -> list[dict[str, Any]]:
    """Every answer on a training's documents, accepted or refused, in time order."""
    tz = _tz(settings or get_settings())
    rows = session.execute(
        select(AuditPersetujuan, Bundel, Permintaan)
        .join(Bundel, AuditPersetujuan.bundel_id == Bundel.id)
        .join(Permintaan, AuditPersetujuan.permintaan_id == Permintaan.id, isouter=True)
        .where(Bundel.kegiatan_id == kegiatan_id)
        .order_by(AuditPersetujuan.at, AuditPersetujuan.id)
    ).all()
    return [
        {
            "waktu": a.at.astimezone(tz).isoformat(timespec="seconds"),
            "naskah": f"{b.jenis} v{b.versi}",
            "level": p.urutan if p else None,
            "peran": a.peran,
            "nip": a.nip,
            "nama": a.nama,
            "keputusan": a.keputusan,
            "hasil": a.hasil,
            "alasan": a.alasan,
            "catatan": a.catatan,
            "sha256": a.sha256,
            "flow_run_id": a.flow_run_id,
        }
        for a, b, p in rows
    ]


def permintaan_untuk(session: Session, bundel_ids: Sequence[int]) -> list[Permintaan]:
    return list(
        session.execute(
            select(Permintaan).where(Permintaan.bundel_id.in_(list(bundel_ids)))
        ).scalars()
    )
