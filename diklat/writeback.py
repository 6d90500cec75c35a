"""The SIASN write-back: after a training closes, each participant who passed gets a course
record in SIASN (``kursus/save``), then its certificate (``upload-dok-rw``, 881 for a kursus).

Exactly once per participant:

* the record id SIASN returns is stored first thing, in its own transaction (``peserta.
  siasn_riwayat_id``), so a crash after that never saves a second record;
* a save whose answer never came (timeout, dropped connection after the request left) may have
  been stored by SIASN: before saving again, the participant's ``rw-kursus`` is read and a
  record with our certificate number is adopted instead;
* the certificate upload is recorded (``siasn_dok_at``) once SIASN accepted it.

A failure for one participant is recorded (``siasn_catatan``) and the others go on; a NIP SIASN
does not know is reported, not retried. Our own training history gets the course too
(``riwayat_diklat``, the 20 JP count). No Prefect here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from connectors.http import ConnectorError, NotFound, TransportError
from diklat.db import session_scope
from diklat.kegiatan import kegiatan_by_kode
from diklat.models import Naskah, NaskahBerkas, Pegawai, Peserta, RiwayatDiklat
from diklat.models.base import utcnow
from diklat.rules.tanggal import format_dmy
from diklat.settings import Settings, get_settings

log = logging.getLogger("diklat.writeback")


@dataclass
class HasilWriteback:
    disimpan: int = 0  # course records saved now
    diunggah: int = 0  # certificates uploaded now
    sudah: int = 0  # participants already complete
    tidak_dikenal: int = 0  # NIP unknown to SIASN
    gagal: int = 0
    dicocokkan: int = 0  # an unanswered save found again in rw-kursus
    catatan: list[str] = field(default_factory=list)  # by participant number, no NIP

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "catatan"} | {
            "pending": len(self.catatan)}


def _body(k: Any, p: Peserta, pg: Pegawai, nomor: str, s: Settings) -> dict[str, Any]:
    mulai, selesai = k.tanggal_mulai, k.tanggal_selesai or k.tanggal_mulai
    return {
        "id": "", "instansiId": s.instansi.instansi_siasn_id, "pnsOrangId": pg.pns_orang_id,
        "namaKursus": k.nama, "jenisDiklatId": str(k.jenis_diklat_id or "3"),
        "jenisKursus": "", "jenisKursusSertipikat": "T",
        "institusiPenyelenggara": k.penyelenggara or s.instansi.nama.title(),
        "jumlahJam": int(k.jumlah_jp or 0), "nomorSertipikat": nomor,
        "tahunKursus": int(selesai.year) if selesai else None,
        "tanggalKursus": format_dmy(mulai), "tanggalSelesaiKursus": format_dmy(selesai),
        "lokasiId": "",
    }


def tulis_kursus(engine: Engine, kode: str, client: Any, *,
                 settings: Settings | None = None) -> HasilWriteback:
    """Write every passed participant's course record and certificate to SIASN (see above)."""
    s = settings or get_settings()
    out = HasilWriteback()
    with session_scope(engine) as ses:
        k = kegiatan_by_kode(ses, kode)
        rows = ses.execute(select(Peserta, Pegawai).join(Pegawai, Peserta.pegawai_id == Pegawai.id)
                           .where(Peserta.kegiatan_id == k.id, Peserta.status == "lulus")
                           .order_by(Peserta.nomor_urut)).all()
        todo = [(p.id, p.nomor_urut, pg.nip) for p, pg in rows]
        kid = k.id
    for pid, urut, nip in todo:
        try:
            _satu(engine, kid, pid, nip, client, out, s)
        except ConnectorError as e:
            out.gagal += 1
            out.catatan.append(f"peserta nomor {urut}: {type(e).__name__}")
            _catat(engine, pid, f"{type(e).__name__}: {str(e)[:300]}")
            log.warning("write-back peserta %s gagal: %s", pid, type(e).__name__)
    return out


def _catat(engine: Engine, pid: int, note: str | None) -> None:
    with session_scope(engine) as ses:
        p = ses.get(Peserta, pid)
        if p is not None:
            p.siasn_catatan = note


def _sertifikat(ses: Any, kid: int, nip: str) -> tuple[str | None, Path | None]:
    n = ses.execute(select(Naskah).where(Naskah.kegiatan_id == kid, Naskah.jenis == "sertifikat",
                                         Naskah.kunci == f"peserta:{nip}",
                                         Naskah.nomor.is_not(None))
                    .order_by(Naskah.versi.desc())).scalars().first()
    if n is None:
        return None, None
    f = ses.execute(select(NaskahBerkas.path).where(
        NaskahBerkas.naskah_id == n.id, NaskahBerkas.peran.in_(["ttd_pdf", "final_pdf"]))
        .order_by(NaskahBerkas.peran.desc())).scalars().first()
    return n.nomor, Path(f) if f else None


def _satu(engine: Engine, kid: int, pid: int, nip: str, client: Any, out: HasilWriteback,
          s: Settings) -> None:
    from diklat.models import Kegiatan

    with session_scope(engine) as ses:
        p = ses.get(Peserta, pid)
        k = ses.get(Kegiatan, kid)
        pg = ses.execute(select(Pegawai).where(Pegawai.nip == nip)).scalar_one()
        assert p is not None and k is not None
        if p.siasn_riwayat_id and (p.siasn_dok_at or p.siasn_catatan):
            out.sudah += 1
            return
        nomor, pdf = _sertifikat(ses, kid, nip)
        nomor = nomor or p.nomor_sertifikat  # a certificate of an outside organiser
        if nomor is None:
            out.catatan.append(f"peserta nomor {p.nomor_urut}: sertifikat belum bernomor")
            return
        riwayat_id, orang = p.siasn_riwayat_id, pg.pns_orang_id
        body = _body(k, p, pg, nomor, s)
        urut = p.nomor_urut
        riwayat_key = f"kegiatan:{kid}"
        if ses.execute(select(RiwayatDiklat.id).where(RiwayatDiklat.pegawai_id == pg.id,
                                                      RiwayatDiklat.kunci == riwayat_key)
                       ).first() is None:
            ses.add(RiwayatDiklat(pegawai_id=pg.id, kunci=riwayat_key, kegiatan_id=kid,
                                  nama_kursus=k.nama, jenis_diklat_id=k.jenis_diklat_id,
                                  institusi=k.penyelenggara, jumlah_jp=int(k.jumlah_jp or 0),
                                  tahun=(k.tanggal_selesai or k.tanggal_mulai or
                                         utcnow().date()).year,
                                  tanggal_mulai=k.tanggal_mulai,
                                  tanggal_selesai=k.tanggal_selesai, nomor_sertifikat=nomor,
                                  sumber="diklat"))
    if not orang:
        data = client.data_utama(nip)
        if data is None:
            out.tidak_dikenal += 1
            out.catatan.append(f"peserta nomor {urut}: NIP tidak dikenal SIASN")
            _catat(engine, pid, "NIP tidak dikenal SIASN")
            return
        orang = data.get("pns_orang_id")
        body["pnsOrangId"] = orang
    if not riwayat_id:
        riwayat_id = _cari(client, nip, nomor)
        if riwayat_id:
            out.dicocokkan += 1
        else:
            try:
                riwayat_id = client.save_kursus(body)
            except TransportError:
                # the request may have arrived: look again before any second save
                riwayat_id = _cari(client, nip, nomor)
                if not riwayat_id:
                    raise
                out.dicocokkan += 1
            else:
                out.disimpan += 1
        with session_scope(engine) as ses:  # stored first thing, on its own
            p = ses.get(Peserta, pid)
            assert p is not None
            p.siasn_riwayat_id = riwayat_id
    if pdf is not None and pdf.is_file():
        client.upload_dok_rw(riwayat_id, pdf, id_ref_dokumen="881")
        with session_scope(engine) as ses:
            p = ses.get(Peserta, pid)
            assert p is not None
            p.siasn_dok_at, p.siasn_catatan = utcnow(), None
        out.diunggah += 1
    else:
        _catat(engine, pid, "sertifikat dari penyelenggara: unggah berkasnya di SIASN")


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
