"""The signature of a bundle as one idempotent unit: number, final, PDF, stamp, PAdES.

After the signer's ``setuju`` (:mod:`diklat.naskah.persetujuan`), :func:`tanda_tangani` does, for the
bundle version decided on and only for what is not done yet:

1. registers the numbers (once, one transaction for the whole bundle; types without a number
   get their date);
2. renders each final from the version's stored context plus number and date, and converts the
   new finals to PDF in one LibreOffice batch (:func:`diklat.naskah.versi.terbitkan`);
3. gives each letter a random verification token, then stamps the visible signature (name,
   position, rank, NIP, "Ditandatangani secara elektronik", a QR to ``<verify_base_url>/v/<token>``)
   and signs it as PAdES through the configured signer (the local CA by default, or BSrE's
   esign-client). Number, date and QR are in the PDF before it is signed, so the signature
   covers them. Each signed PDF is the version's ``ttd_pdf`` file.

A letter signed by the local CA says so honestly (its footer never carries the BSrE sentence).
The passphrase, when the signer needs one, is only an argument of the one call that uses it:
never stored, logged or retried. A BSrE call whose answer never came leaves the letter
``unknown``: it is reported, not signed again, until reconciled. No Prefect here.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from connectors.tte.model import (
    BSRE_FOOTER,
    Appearance,
    Outcome,
    SignerIdentity,
    SignRequest,
)
from diklat.db import session_scope
from diklat.models import Bundel, Naskah, NaskahBerkas, Pejabat
from diklat.naskah import ikatan, konteks, status
from diklat.naskah import versi as naskah_versi
from diklat.naskah.final import FinalBerbeda, PenandaHilang
from diklat.settings import Settings, get_settings

log = logging.getLogger("diklat.naskah.tanda_tangan")


class TandaTanganError(RuntimeError):
    """The bundle cannot be signed (not decided on, no PDF converter, signer refused)."""


class IsiBerubah(TandaTanganError):
    """What would be signed is not what was decided on (the template, a setting, a stored
    context, a draft or a final changed): the signature is refused."""


@dataclass
class HasilTandaTangan:
    bundel_id: int
    ditandatangani: int = 0  # letters signed now
    sudah: int = 0  # letters already signed before
    diberi_nomor: int = 0
    belum_pasti: list[int] = field(default_factory=list)  # naskah ids with an unknown outcome
    detik: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "bundel_id": self.bundel_id,
            "ditandatangani": self.ditandatangani,
            "sudah": self.sudah,
            "diberi_nomor": self.diberi_nomor,
            "belum_pasti": len(self.belum_pasti),
            "detik": round(self.detik, 2),
        }


def verify_url(token: str, settings: Settings | None = None) -> str:
    s = settings or get_settings()
    return f"{s.tte.verify_base_url.rstrip('/')}/v/{token}"


def siapkan_penandatangan(pejabat: Pejabat, settings: Settings | None = None) -> None:
    """Local CA only: the CA and the official's certificate exist (made once, idempotent)."""
    s = settings or get_settings()
    if s.tte.mode != "local":
        return
    from connectors.tte.local_ca import init_ca, issue_signer
    from diklat.clients import ca_dir
    from diklat.naskah.konteks import jabatan_cetak
    from diklat.pegawai.pejabat import kantor

    folder = ca_dir(s)
    init_ca(folder, f"{s.instansi.singkatan} {s.instansi.pemerintah.title()}")
    # The certificate names whom the official signs for: the government (O) and his office
    # (OU), the Sekretariat Daerah for the Sekretaris Daerah, never the agency running the CA.
    office = konteks.kop(s, kantor=kantor(pejabat))
    issue_signer(
        folder,
        pejabat.nip,
        pejabat.nama,
        jabatan_cetak(pejabat, s),
        pejabat.nip,
        organization=f"Pemerintah {office['daerah']}",
        unit=office["kantor"],
    )


def identitas(pejabat: Pejabat, jabatan_cetak: str | None = None) -> SignerIdentity:
    return SignerIdentity(
        nama=pejabat.nama,
        jabatan=jabatan_cetak or pejabat.jabatan,
        pangkat=pejabat.pangkat or "",
        nip=pejabat.nip,
        key_id=pejabat.nip,
        nik=pejabat.nik or "",
    )


def footer(settings: Settings) -> str:
    """BSrE's sentence only on BSrE-signed letters; an honest line on the local CA's."""
    if settings.tte.mode == "bsre":
        return BSRE_FOOTER
    return (
        f"Ditandatangani secara elektronik dengan sertifikat internal "
        f"{settings.instansi.singkatan}; keaslian dapat diperiksa melalui kode QR."
    )


def tanda_tangani(
    engine: Engine,
    kode: str,
    bundel_id: int,
    out_dir: Path,
    *,
    passphrase: str | None = None,
    settings: Settings | None = None,
    signer: Any = None,
) -> HasilTandaTangan:
    """Number, issue, stamp and sign a signed-off bundle (see the module docstring)."""
    import time

    from diklat.clients import signer_from_settings

    s = settings or get_settings()
    t0 = time.perf_counter()
    out = HasilTandaTangan(bundel_id)
    with session_scope(engine) as ses:
        b = ses.get(Bundel, bundel_id)
        if b is None:
            raise TandaTanganError(f"bundel {bundel_id} tidak ada")
        if b.status not in (
            status.DITANDATANGANI,
            status.TERDAFTAR,
            status.DIKIRIM,
            status.DIARSIPKAN,
        ):
            raise TandaTanganError(
                f"bundel {b.jenis} v{b.versi} berstatus {b.status}: belum disetujui penandatangan"
            )
        if b.status == status.DITANDATANGANI:
            # what was decided on must still be what is on disk, before a number is spent
            try:
                ikatan.periksa(ses, b, s)
            except ikatan.IkatanBerubah as e:
                raise IsiBerubah(str(e)) from None
            out.diberi_nomor = naskah_versi.beri_nomor(ses, b, settings=s)
        pej = ses.get(Pejabat, b.penandatangan_id) if b.penandatangan_id else None
        if pej is None:
            raise TandaTanganError(f"bundel {b.jenis} tidak punya penandatangan")
        for n in b.naskah:
            if n.token is None:
                n.token = secrets.token_urlsafe(24)
        jabatan = _printed_position(b)
        ident = identitas(pej, jabatan)
        jenis, versi = b.jenis, b.versi
        awal = _permintaan_awal(ses, b, kode, out_dir, ident, s)
    sig = signer or signer_from_settings(s)
    try:
        with _sambil_konversi(engine, bundel_id, sig, passphrase, awal, s) as pra:
            naskah_versi.terbitkan(engine, kode, bundel_id, out_dir, pdf=True, settings=s)
    except (ikatan.IkatanBerubah, FinalBerbeda, PenandaHilang) as e:
        raise IsiBerubah(str(e)) from None
    except naskah_versi.VersiError as e:
        raise TandaTanganError(str(e)) from None
    with session_scope(engine) as ses:
        b = ses.get(Bundel, bundel_id)
        assert b is not None
        rows = {
            (f.naskah_id, f.peran): f
            for f in ses.execute(
                select(NaskahBerkas).where(
                    NaskahBerkas.naskah_id.in_([n.id for n in b.naskah]),
                    NaskahBerkas.peran.in_(["final_pdf", "ttd_pdf"]),
                )
            ).scalars()
        }
        todo: list[tuple[Naskah, bytes]] = []
        for n in b.naskah:
            if (n.id, "ttd_pdf") in rows:
                out.sudah += 1
            elif (n.id, "final_pdf") in rows:
                f = rows[(n.id, "final_pdf")]
                path = Path(f.path)
                data = path.read_bytes() if path.exists() else b""
                # a final on disk is never trusted without its recorded hash: the bytes
                # checked are the bytes signed
                if ikatan.sha256_bytes(data) != f.sha256:
                    raise IsiBerubah(
                        f"PDF final {jenis.replace('_', ' ')} "
                        f"{n.kunci or ''} berubah sesudah dibuat; tidak "
                        "ditandatangani"
                    )
                todo.append((n, data))
            else:
                raise TandaTanganError(
                    "PDF final tidak dapat dibuat (LibreOffice tidak ada?): "
                    "naskah tidak dapat ditandatangani"
                )
        items = [(data, permintaan_ttd(n, ident, jenis, versi, s)) for n, data in todo]
    if not items:
        out.detik = time.perf_counter() - t0
        return out
    siapkan_penandatangan(_pejabat(engine, bundel_id), s)
    results = _sign_all(sig, items, passphrase, pra)
    folder = (
        out_dir
        / "".join(c if c.isalnum() or c in "-_." else "_" for c in kode)
        / jenis
        / f"v{versi}"
        / "ttd"
    )
    folder.mkdir(parents=True, exist_ok=True)
    _simpan_tertanda(engine, todo, results, folder, out)
    out.detik = time.perf_counter() - t0
    log.info(
        "bundel %s: %d naskah ditandatangani, %d belum pasti",
        bundel_id,
        out.ditandatangani,
        len(out.belum_pasti),
    )
    return out


def _simpan_tertanda(
    engine: Engine,
    todo: list[tuple[Naskah, bytes]],
    results: list[Any],
    folder: Path,
    out: HasilTandaTangan,
) -> None:
    """Write the signed PDFs and record them as the versions' ``ttd_pdf`` in one
    transaction (one query for the rows, one flush); an unknown outcome is listed."""
    signed: list[tuple[int, Path]] = []
    for (n, _p), r in zip(todo, results, strict=True):
        if r.outcome != Outcome.SIGNED or r.pdf is None:
            out.belum_pasti.append(n.id)
            continue
        target = folder / f"{naskah_versi._stem(n.kunci)}.pdf"
        tmp = target.with_suffix(".pdf.tmp")
        tmp.write_bytes(r.pdf)
        tmp.replace(target)
        signed.append((n.id, target))
    if not signed:
        return
    with session_scope(engine) as ses:
        rows = {
            n.id: n
            for n in ses.execute(
                select(Naskah).where(Naskah.id.in_([i for i, _t in signed]))
            ).scalars()
        }
        naskah_versi.catat_berkas_banyak(ses, [(rows[i], t) for i, t in signed], "ttd_pdf")
    out.ditandatangani += len(signed)


def permintaan_ttd(
    n: Naskah, ident: SignerIdentity, jenis: str, versi: int, s: Settings
) -> SignRequest:
    """What one letter is signed with (its QR's URL, footer, reason, place, reference)."""
    return SignRequest(
        signer=ident,
        appearance=Appearance(verify_url=verify_url(n.token or "", s), footer=footer(s)),
        reason=f"Penandatanganan {jenis.replace('_', ' ')}",
        location=s.instansi.kota,
        reference=n.nomor or f"{jenis}-{n.kunci}-v{versi}",
    )


def _permintaan_awal(
    ses: Any, b: Bundel, kode: str, out_dir: Path, ident: SignerIdentity, s: Settings
) -> dict[Path, SignRequest]:
    """For the letters still to sign: where their final PDF will be written, and what each
    will be signed with (for :mod:`diklat.naskah.pratanda`). Numbers and tokens are set by now."""
    done = {
        r.naskah_id
        for r in ses.execute(
            select(NaskahBerkas).where(
                NaskahBerkas.naskah_id.in_([n.id for n in b.naskah]),
                NaskahBerkas.peran == "ttd_pdf",
            )
        ).scalars()
    }
    folder = naskah_versi._folder(out_dir, kode, b, "pdf")
    return {
        folder / f"{naskah_versi._stem(n.kunci)}.pdf": permintaan_ttd(n, ident, b.jenis, b.versi, s)
        for n in b.naskah
        if n.id not in done
    }


def _sambil_konversi(
    engine: Engine,
    bundel_id: int,
    sig: Any,
    passphrase: str | None,
    awal: dict[Path, SignRequest],
    s: Settings,
) -> Any:
    """Letters signed on the other core while LibreOffice converts (:mod:`diklat.naskah.pratanda`)."""
    import os

    from diklat.naskah.pratanda import sambil_konversi

    return sambil_konversi(
        sig,
        passphrase,
        awal,
        min(os.cpu_count() or 1, 4),
        PARALEL_MULAI,
        lambda: siapkan_penandatangan(_pejabat(engine, bundel_id), s),
    )


#: A bundle at least this large is signed by several processes (the local CA only: BSrE's
#: esign-client signs one call at a time, and a passphrase never leaves this process).
PARALEL_MULAI = 40


def _sign_all(
    sig: Any, items: list[tuple[bytes, SignRequest]], passphrase: str | None, pra: Any = None
) -> list[Any]:
    """Sign every letter of a bundle: in one batch (the key opened once), on the machine's
    cores for a large bundle under the local CA (:mod:`connectors.tte.pool`: worker
    processes that stay up, keys prepared once per worker for every bundle). ``pra``: what
    was signed while LibreOffice converted (:mod:`diklat.naskah.pratanda`), used for exactly the
    same bytes and request; the rest is signed here."""
    if pra is not None:
        early = pra.ambil(items)
        rest = [i for i, r in enumerate(early) if r is None]
        if rest:
            signed = iter(_sign_all(sig, [items[i] for i in rest], passphrase))
            early = [r if r is not None else next(signed) for r in early]
        return early
    import os

    from connectors.tte.local import LocalSigner
    from connectors.tte.pool import shared_pool, shared_pool_running

    workers = min(os.cpu_count() or 1, 4)
    if (
        isinstance(sig, LocalSigner)
        and passphrase is None
        and workers > 1
        and (len(items) >= PARALEL_MULAI or shared_pool_running())
    ):
        return shared_pool(workers).sign(sig.config(), items)
    if hasattr(sig, "sign_batch"):
        return list(sig.sign_batch(items, passphrase=passphrase))
    return [sig.sign(pdf, request=req, passphrase=passphrase) for pdf, req in items]


def _pejabat(engine: Engine, bundel_id: int) -> Pejabat:
    with session_scope(engine) as ses:
        b = ses.get(Bundel, bundel_id)
        assert b is not None and b.penandatangan_id is not None
        p = ses.get(Pejabat, b.penandatangan_id)
        assert p is not None
        ses.expunge(p)
        return p


def _printed_position(b: Bundel) -> str | None:
    """The position as printed in the letter's signature block (``Plt.``/``a.n.`` included)."""
    import json

    for n in b.naskah:
        ttd = json.loads(n.konteks_json or "{}").get("ttd") or {}
        if ttd.get("jabatan"):
            return " ".join(x for x in (ttd.get("an", ""), ttd["jabatan"]) if x)
    return None


def tolak_karena_berubah(
    engine: Engine,
    bundel_id: int,
    alasan: str,
    *,
    kirim: Any = None,
    settings: Settings | None = None,
) -> bool:
    """A signature refused because the content changed after the decision: audited, the
    operator told, and the version sent back when it has no number yet (its next version goes
    up the chain again from the level the signature returns to). Returns whether it was sent
    back (a numbered one is not: the operator voids the number, ``diklat register void``,
    and starts the letter again)."""
    from diklat.models import AuditPersetujuan, Kegiatan
    from diklat.models.base import utcnow
    from diklat.naskah.persetujuan import Surat, _alamat_operator, kembalikan_ke_pemeriksa, rantai

    s = settings or get_settings()
    with session_scope(engine) as ses:
        b = ses.get(Bundel, bundel_id)
        assert b is not None
        ses.add(
            AuditPersetujuan(
                bundel_id=b.id,
                peran="penandatangan",
                hasil="ditolak",
                alasan=f"tanda tangan ditolak: {alasan}"[:2000],
                at=utcnow(),
            )
        )
        k = ses.get(Kegiatan, b.kegiatan_id)
        assert k is not None
        kembali = b.status == status.DITANDATANGANI
        if kembali:
            naskah_versi.kembalikan(
                ses, b, f"isi berubah sesudah disetujui: {alasan}", isi_berubah=True
            )
            ttd = [lv for lv in rantai(b) if lv["kind"] == "tanda_tangan"]
            if ttd:
                kembalikan_ke_pemeriksa(
                    ses, k, b, ttd[-1]["urutan"], f"tanda tangan ditolak: {alasan}"
                )
        if kirim is not None:
            for alamat, nama in _alamat_operator(ses, ["operator"], s):
                kirim(
                    Surat(
                        kepada=alamat,
                        nama=nama,
                        subjek=f"[diklat] Tanda tangan ditolak: {b.jenis} ({k.kode})",
                        isi=f"Yth. {nama},\n\nTanda tangan {b.jenis.replace('_', ' ')} "
                        f"v{b.versi} kegiatan {k.kode} ditolak: {alasan}\n\n"
                        + (
                            "Konsep dikembalikan untuk dibuat versi baru: "
                            if kembali
                            else "Nomornya sudah diberikan: batalkan "
                            "(diklat register void NOMOR --alasan ...) lalu ajukan "
                            "versi baru. "
                        )
                        + f"diklat kegiatan show {k.kode}",
                    )
                )
        return kembali
