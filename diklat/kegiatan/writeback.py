"""The SIASN write-back: after a training closes, each participant who passed gets a course
record in SIASN (``kursus/save``), then its certificate (``upload-dok-rw``, 881 for a kursus).

Exactly once per participant, whatever fails and however often the run is repeated:

* the record id SIASN returns is stored first thing, in its own transaction (``peserta.
  siasn_riwayat_id``, state ``tersimpan``), so a crash after that never saves a second record;
* before any save the participant's ``rw-kursus`` is read and a record with our certificate
  number is adopted instead (a save whose answer never came, or a crash between SIASN's answer
  and our commit); a save that failed in a way that may have reached SIASN (no answer, a 5xx,
  an unreadable answer) is looked up again at once the same way;
* the certificate counts as uploaded only when SIASN answers ``code`` 1 (a refusal at HTTP 200
  is a failure), then ``siasn_dok_at`` and state ``selesai``.

A participant's failure is recorded (state ``gagal``, ``siasn_percobaan`` + 1, the reason in
``siasn_catatan``) and the others go on; the failed ones are tried once more at the end of the
run and, if they still fail, listed for the operator (the next run tries them again). When
several in a row fail because SIASN does not answer, the rest are not tried (listed the same
way). A NIP SIASN does not know is reported (state ``tidak_dikenal``) and not tried again until
the operator clears it (:func:`ulangi`). A configuration error (wrong base path, credentials
refused) stops the run with one line: it is nobody's individual failure.

Our own training history gets the course too (``riwayat_diklat``, the 20 JP count). No Prefect
here; results name participants by their number, never by NIP.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from connectors.http import (
    AuthError,
    BadPayload,
    ConnectorError,
    NotFound,
    ServerError,
    TransportError,
)
from connectors.siasn import SiasnMisconfigured, SiasnRefused
from diklat.db import session_scope
from diklat.kegiatan.data import kegiatan_by_kode
from diklat.models import Kegiatan, Naskah, NaskahBerkas, Pegawai, Peserta, RiwayatDiklat
from diklat.models.base import utcnow
from diklat.rules.tanggal import format_dmy
from diklat.settings import Settings, get_settings

log = logging.getLogger("diklat.kegiatan.writeback")

#: Failures in a row (SIASN not answering) after which the remaining participants wait for
#: the next run instead of each spending the whole retry budget.
BERTURUT_MAKS = 3
SELESAI = ("selesai", "tanpa_berkas")


class WritebackBerhenti(RuntimeError):
    """The write-back cannot go on for anybody (configuration, credentials): one line."""


@dataclass
class HasilWriteback:
    disimpan: int = 0  # course records saved now
    diunggah: int = 0  # certificates uploaded now
    sudah: int = 0  # participants already complete
    dicocokkan: int = 0  # a record of ours found in rw-kursus and adopted (no second save)
    tidak_dikenal: list[int] = field(default_factory=list)  # participant numbers
    gagal: list[int] = field(default_factory=list)  # still failing after the retry
    catatan: list[str] = field(default_factory=list)  # by participant number, no NIP

    def as_dict(self) -> dict[str, Any]:
        return {
            "disimpan": self.disimpan,
            "diunggah": self.diunggah,
            "sudah": self.sudah,
            "dicocokkan": self.dicocokkan,
            "tidak_dikenal": len(self.tidak_dikenal),
            "gagal": len(self.gagal),
            "peserta_gagal": list(self.gagal),
            "peserta_tidak_dikenal": list(self.tidak_dikenal),
            "pending": len(self.catatan),
            "catatan": list(self.catatan),
        }


@dataclass
class _Peserta:
    pid: int
    urut: int | None
    nip: str


def tulis_kursus(
    engine: Engine, kode: str, client: Any, *, settings: Settings | None = None
) -> HasilWriteback:
    """Write every passed participant's course record and certificate to SIASN (see above).
    Raises :class:`WritebackBerhenti` when SIASN cannot be used at all."""
    s = settings or get_settings()
    out = HasilWriteback()
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        rows = ses.execute(
            select(Peserta, Pegawai)
            .join(Pegawai, Peserta.pegawai_id == Pegawai.id)
            .where(Peserta.kegiatan_id == k.id, Peserta.status == "lulus")
            .order_by(Peserta.nomor_urut, Peserta.id)
        ).all()
        todo = [_Peserta(p.id, p.nomor_urut, pg.nip) for p, pg in rows]
        kid = k.id
    failed: list[tuple[_Peserta, str]] = []
    in_a_row = 0
    for putaran in (1, 2):  # the failed ones once more at the end
        queue = todo if putaran == 1 else [p for p, _ in failed]
        failed = []
        for ps in queue:
            if in_a_row >= BERTURUT_MAKS:
                failed.append((ps, "SIASN tidak menjawab; dicoba lagi pada jalankan berikutnya"))
                continue
            try:
                _satu(engine, kid, ps, client, out, s)
                in_a_row = 0
            except (SiasnMisconfigured, AuthError) as e:
                raise WritebackBerhenti(_berhenti(e)) from None
            except ConnectorError as e:
                reason = _alasan(e)
                in_a_row = in_a_row + 1 if e.retriable else 0
                failed.append((ps, reason))
                _gagal(engine, ps.pid, reason)
                log.warning(
                    "write-back peserta nomor %s gagal (putaran %d): %s",
                    ps.urut,
                    putaran,
                    type(e).__name__,
                )
        if not failed:
            break
        in_a_row = 0
    for ps, reason in failed:
        out.gagal.append(ps.urut or 0)
        out.catatan.append(f"peserta nomor {ps.urut}: {reason}")
    return out


class PesertaTidakAda(LookupError):
    """No participant with this number in the training."""


def ulangi(engine: Engine, kode: str, *nomor_urut: int) -> list[int]:
    """The operator fixed participants SIASN did not know (or wants another attempt): the
    next run tries them again. All or nothing: an unknown number (:class:`PesertaTidakAda`)
    changes no one. Returns the numbers reopened (not those done or not tried yet)."""
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        rows = {
            p.nomor_urut: p
            for p in ses.execute(
                select(Peserta).where(
                    Peserta.kegiatan_id == k.id, Peserta.nomor_urut.in_(nomor_urut)
                )
            ).scalars()
        }
        missing = [n for n in nomor_urut if n not in rows]
        if missing:
            raise PesertaTidakAda(
                f"kegiatan {kode} tidak punya peserta nomor {', '.join(map(str, missing))}"
            )
        dibuka = []
        for n in dict.fromkeys(nomor_urut):
            p = rows[n]
            if p.siasn_status in ("tidak_dikenal", "gagal"):
                p.siasn_status = "tersimpan" if p.siasn_riwayat_id else None
                p.siasn_catatan = None
                dibuka.append(n)
        return dibuka


#: What each write-back state means to an operator.
KETERANGAN = {
    None: "belum dikirim",
    "tersimpan": "riwayat tersimpan, sertifikat belum terunggah",
    "selesai": "selesai",
    "gagal": "gagal, dicoba lagi pada jalankan berikutnya",
    "tanpa_berkas": "riwayat tersimpan; sertifikat dari penyelenggara, unggah manual di SIASN",
    "tidak_dikenal": "NIP tidak dikenal SIASN; perbaiki lalu `--ulangi`",
}


def status(engine: Engine, kode: str) -> list[dict[str, Any]]:
    """The write-back state of each participant who passed (for the operator: names, no
    NIP), in participant order."""
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        rows = ses.execute(
            select(Peserta, Pegawai.nama)
            .join(Pegawai, Peserta.pegawai_id == Pegawai.id)
            .where(Peserta.kegiatan_id == k.id, Peserta.status == "lulus")
            .order_by(Peserta.nomor_urut, Peserta.id)
        ).all()
        return [
            {
                "nomor": p.nomor_urut,
                "nama": nama,
                "status": p.siasn_status or "belum",
                "keterangan": KETERANGAN.get(p.siasn_status, p.siasn_status or ""),
                "percobaan_gagal": p.siasn_percobaan or 0,
                "riwayat_siasn": bool(p.siasn_riwayat_id),
                "sertifikat_terunggah": p.siasn_dok_at is not None,
                "catatan": p.siasn_catatan,
            }
            for p, nama in rows
        ]


def _berhenti(e: ConnectorError) -> str:
    if isinstance(e, SiasnMisconfigured):
        return e.message
    return (
        f"SIASN menolak kredensial ({e.message}); periksa DIKLAT_SIASN__CONSUMER_KEY/SECRET, "
        "USERNAME/PASSWORD atau SSO_TOKEN"
    )


def _alasan(e: ConnectorError) -> str:
    """The operator's note for one failure: the kind and SIASN's message, never a URL."""
    if isinstance(e, SiasnRefused):
        return f"ditolak SIASN: {e.message}"[:300]
    return f"{type(e).__name__}: {e.message}"[:300]


def _gagal(engine: Engine, pid: int, note: str) -> None:
    with session_scope(engine) as ses:
        p = ses.get(Peserta, pid)
        if p is not None:
            p.siasn_status, p.siasn_catatan = "gagal", note
            p.siasn_percobaan = (p.siasn_percobaan or 0) + 1


def _set(engine: Engine, pid: int, **values: Any) -> None:
    with session_scope(engine) as ses:
        p = ses.get(Peserta, pid)
        assert p is not None
        for k, v in values.items():
            setattr(p, k, v)


def _body(k: Kegiatan, pg: Pegawai, nomor: str, s: Settings) -> dict[str, Any]:
    mulai, selesai = k.tanggal_mulai, k.tanggal_selesai or k.tanggal_mulai
    return {
        "id": "",
        "instansiId": s.instansi.instansi_siasn_id,
        "pnsOrangId": pg.pns_orang_id,
        "namaKursus": k.nama,
        "jenisDiklatId": str(k.jenis_diklat_id or "3"),
        "jenisKursus": "",
        "jenisKursusSertipikat": "T",
        "institusiPenyelenggara": k.penyelenggara or s.instansi.nama.title(),
        "jumlahJam": int(k.jumlah_jp or 0),
        "nomorSertipikat": nomor,
        "tahunKursus": int(selesai.year) if selesai else None,
        "tanggalKursus": format_dmy(mulai),
        "tanggalSelesaiKursus": format_dmy(selesai),
        "lokasiId": "",
    }


def _sertifikat(ses: Any, kid: int, nip: str) -> tuple[str | None, Path | None]:
    n = (
        ses.execute(
            select(Naskah)
            .where(
                Naskah.kegiatan_id == kid,
                Naskah.jenis == "sertifikat",
                Naskah.kunci == f"peserta:{nip}",
                Naskah.nomor.is_not(None),
            )
            .order_by(Naskah.versi.desc())
        )
        .scalars()
        .first()
    )
    if n is None:
        return None, None
    f = (
        ses.execute(
            select(NaskahBerkas.path)
            .where(NaskahBerkas.naskah_id == n.id, NaskahBerkas.peran.in_(["ttd_pdf", "final_pdf"]))
            .order_by(NaskahBerkas.peran.desc())
        )
        .scalars()
        .first()
    )
    return n.nomor, Path(f) if f else None


def _satu(
    engine: Engine, kid: int, ps: _Peserta, client: Any, out: HasilWriteback, s: Settings
) -> None:
    with session_scope(engine) as ses:
        p = ses.get(Peserta, ps.pid)
        k = ses.get(Kegiatan, kid)
        pg = ses.execute(select(Pegawai).where(Pegawai.nip == ps.nip)).scalar_one()
        assert p is not None and k is not None
        if p.siasn_status in SELESAI:
            out.sudah += 1
            return
        if p.siasn_status == "tidak_dikenal":
            out.tidak_dikenal.append(ps.urut or 0)
            out.catatan.append(f"peserta nomor {ps.urut}: NIP tidak dikenal SIASN")
            return
        nomor, pdf = _sertifikat(ses, kid, ps.nip)
        nomor = nomor or p.nomor_sertifikat  # a certificate of an outside organiser
        if nomor is None:
            out.catatan.append(f"peserta nomor {ps.urut}: sertifikat belum bernomor")
            return
        riwayat_id, orang = p.siasn_riwayat_id, pg.pns_orang_id
        body = _body(k, pg, nomor, s)
        _riwayat_sendiri(ses, k, pg, nomor)
    if not riwayat_id:
        if not orang:
            data = client.data_utama(ps.nip)
            if data is None:
                _set(
                    engine,
                    ps.pid,
                    siasn_status="tidak_dikenal",
                    siasn_catatan="NIP tidak dikenal SIASN",
                )
                out.tidak_dikenal.append(ps.urut or 0)
                out.catatan.append(f"peserta nomor {ps.urut}: NIP tidak dikenal SIASN")
                return
            body["pnsOrangId"] = data.get("pns_orang_id")
        riwayat_id = _cari(client, ps.nip, nomor)  # ours already there (an unanswered save)
        if riwayat_id:
            out.dicocokkan += 1
        else:
            try:
                riwayat_id = client.save_kursus(body)
            except (TransportError, ServerError, BadPayload):
                # the save may have reached SIASN: look again before anything else
                riwayat_id = _cari(client, ps.nip, nomor)
                if not riwayat_id:
                    raise
                out.dicocokkan += 1
            else:
                out.disimpan += 1
        # stored first thing, on its own
        _set(engine, ps.pid, siasn_riwayat_id=riwayat_id, siasn_status="tersimpan")
    if pdf is not None and pdf.is_file():
        client.upload_dok_rw(riwayat_id, pdf, id_ref_dokumen="881")
        _set(engine, ps.pid, siasn_dok_at=utcnow(), siasn_status="selesai", siasn_catatan=None)
        out.diunggah += 1
    else:
        _set(
            engine,
            ps.pid,
            siasn_status="tanpa_berkas",
            siasn_catatan="sertifikat dari penyelenggara: unggah berkasnya di SIASN",
        )


def _riwayat_sendiri(ses: Any, k: Kegiatan, pg: Pegawai, nomor: str) -> None:
    """The course in our own training history (the 20 JP count), once."""
    kunci = f"kegiatan:{k.id}"
    if ses.execute(
        select(RiwayatDiklat.id).where(
            RiwayatDiklat.pegawai_id == pg.id, RiwayatDiklat.kunci == kunci
        )
    ).first():
        return
    ses.add(
        RiwayatDiklat(
            pegawai_id=pg.id,
            kunci=kunci,
            kegiatan_id=k.id,
            nama_kursus=k.nama,
            jenis_diklat_id=k.jenis_diklat_id,
            institusi=k.penyelenggara,
            jumlah_jp=int(k.jumlah_jp or 0),
            tahun=(k.tanggal_selesai or k.tanggal_mulai or utcnow().date()).year,
            tanggal_mulai=k.tanggal_mulai,
            tanggal_selesai=k.tanggal_selesai,
            nomor_sertifikat=nomor,
            sumber="diklat",
        )
    )


def _cari(client: Any, nip: str, nomor: str) -> str | None:
    """A course record of ours already in SIASN (by certificate number)."""
    try:
        items = client.rw_kursus(nip)
    except NotFound:
        return None
    for it in items:
        if str(it.get("noSertipikat") or it.get("nomorSertipikat") or "") == nomor and it.get("id"):
            return str(it["id"])
    return None
