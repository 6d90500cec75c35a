"""Scripted officials, staff, operators and agencies for the demo and the tests: they answer
waiting SOP runs through the real path, as people would.

* An **official** reads his one-time code from his e-mail (the file outbox) and answers the
  wait his request is under (paraf, signature, disposition) with decision, NIP and code.
* The **person who corrects** a letter sent back downloads its draft, edits it the way Word
  would (a sentence added to the body, the number and date lines and the signature block
  left alone), puts it in the import folder and answers the correction form with it.
* An **operator** reports an outside step with its form: who (his NIP), when (now), a note,
  and the lists the step needs; he confirms hand deliveries (``distribusi konfirmasi``) before
  asking a sending step to check again.
* An **agency** that received a notice proposes its candidates through the link in the
  notice's e-mail, with its own letter number and date.

The script can make one answer wrong (a refused code) and ask for one revision (of a document
type by a role, optionally naming documents of the bundle), so that the refusal path and the
correction round are exercised too. Nothing here shortcuts the checks: every answer goes
through the same code as a person's would, and only ever to the wait it was made for
(:func:`tasks.lanjut.lanjutkan` checks the wait's key).
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

log = logging.getLogger("simulator.petugas")
_CODE = re.compile(r"^Kode: (\d{6})\r?$", re.M)
_LINK = re.compile(r"/u/([A-Za-z0-9_-]{20,64})")

#: The staff NIP the scripted operator records outside steps with (role ``operator``).
NIP_OPERATOR = "199203152019031004"


@dataclass
class Skenario:
    """What the scripted people do besides agreeing: one wrong code (the first answer of the
    given role), one revision (a document type and the role that asks for it, version 1;
    ``dokumen_revisi``: the documents of the bundle it names, by position)."""

    kode_salah_oleh: str | None = "kabid_psda"
    revisi: tuple[str, str] | None = ("surat_pemberitahuan", "sekretaris")
    catatan_revisi: str = "Mohon lampiran daftar calon peserta diperiksa ulang."
    dokumen_revisi: tuple[int, ...] = (2,)
    nilai_lulus: float = 85.0
    jeda: float = 0.0  # seconds an official "reads" before answering
    tolak: tuple[str, str] | None = None  # (document type, role) that refuses


@dataclass
class Catatan:
    keputusan: int = 0
    ditolak: int = 0
    revisi: int = 0
    perbaikan: int = 0
    masukan: int = 0
    usulan: int = 0
    konfirmasi: int = 0
    per_peran: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Surel:
    """What the scripted people read of an e-mail in the outbox."""

    mtime: int
    kepada: str
    isi: str


def _body(msg: Any) -> str:
    part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
    data = part.get_payload(decode=True) if part is not None else None
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else ""


def _lanjutkan(flow_run_id: str, awalan: str, jawaban: dict[str, Any]) -> bool:
    from tasks.lanjut import lanjutkan

    return lanjutkan(flow_run_id, awalan, jawaban)


class Petugas:
    """Answers every waiting run it finds, once per wait (``jalan`` in a thread)."""

    def __init__(
        self,
        engine: Engine,
        outbox: Path,
        skenario: Skenario | None = None,
        *,
        resume: Callable[[str, str, dict[str, Any]], bool] | None = None,
        import_dir: Path | None = None,
    ) -> None:
        from diklat.settings import get_settings

        self.engine = engine
        self.outbox = Path(outbox)
        self.skenario = skenario or Skenario()
        self.catatan = Catatan()
        self._answered: set[tuple[str, str]] = set()
        self._links: set[str] = set()
        self._dibaca: dict[str, tuple[tuple[int, int], Surel]] = {}
        self._client: Any = None  # the Prefect client of ``jalan``'s passes
        self._wrong_done = False
        self._revised = False
        self._refused = False
        self._resume = resume or _lanjutkan
        s = get_settings()
        self.import_dir = Path(import_dir or s.import_dir or Path(s.var_dir) / "import")

    # ------------------------------------------------------------------ reading

    def _surel(self) -> list[Surel]:
        """The outbox's e-mails, each parsed once (a file the outbox wrote is not written
        again; a changed size or time is read anew). Re-parsing every message with its PDFs
        on every pass cost a 500-participant training 60 % of its time in this thread."""
        out = []
        for f in self.outbox.glob("*.eml"):
            try:
                st = f.stat()
                tanda = (st.st_mtime_ns, st.st_size)
                hit = self._dibaca.get(f.name)
                if hit is None or hit[0] != tanda:
                    msg = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
                    hit = (tanda, Surel(st.st_mtime_ns, (msg["To"] or "").strip(), _body(msg)))
                    self._dibaca[f.name] = hit
            except OSError:
                continue
            out.append(hit[1])
        return out

    def kode_untuk(self, alamat: str) -> str | None:
        """The newest code e-mailed to ``alamat``."""
        found: tuple[int, str] | None = None
        for surel in self._surel():
            if surel.kepada != alamat:
                continue
            m = _CODE.search(surel.isi)
            if m and (found is None or surel.mtime > found[0]):
                found = (surel.mtime, m.group(1))
        return found[1] if found else None

    def _waits(self, flow_run_ids: list[str]) -> dict[str, str | None]:
        from tasks.lanjut import kunci_tunggu_semua

        return kunci_tunggu_semua(flow_run_ids, self._client)

    # ------------------------------------------------------------------ answering

    def langkah(self) -> int:
        """One pass: agencies propose, then every wait found is answered. Returns how many."""
        done = self._agencies()
        runs = self._runs()
        waits = self._waits(runs)  # one request a pass, not one client per run
        for flow_run_id in runs:
            key = waits.get(flow_run_id)
            if key is None or (flow_run_id, key) in self._answered:
                continue
            handler = {
                "p": self._official,
                "r": self._corrector,
                "l": self._operator,
                "d": self._deliveries,
                "c": self._check_again,
            }.get(key[:1])
            if handler is not None and handler(flow_run_id, key):
                self._answered.add((flow_run_id, key))
                done += 1
        return done

    def _runs(self) -> list[str]:
        from diklat.db import session_scope
        from diklat.models import Kegiatan, Permintaan, SopStepLog

        with session_scope(self.engine) as s:
            ids = set(
                s.execute(
                    select(Kegiatan.flow_run_id).where(
                        Kegiatan.status == "berjalan", Kegiatan.flow_run_id.is_not(None)
                    )
                ).scalars()
            )
            ids |= set(
                s.execute(
                    select(Permintaan.flow_run_id).where(
                        Permintaan.status == "menunggu", Permintaan.flow_run_id.is_not(None)
                    )
                ).scalars()
            )
            ids |= set(
                s.execute(
                    select(SopStepLog.flow_run_id).where(
                        SopStepLog.status == "menunggu", SopStepLog.flow_run_id.is_not(None)
                    )
                ).scalars()
            )
        return sorted(str(i) for i in ids if i)

    def _official(self, flow_run_id: str, key: str) -> bool:
        from diklat.db import session_scope
        from diklat.models import Bundel, Pejabat, Permintaan

        pid = int(key[1:].split("-", 1)[0])
        with session_scope(self.engine) as s:
            p = s.get(Permintaan, pid)
            if p is None or p.status != "menunggu":
                return False
            pej = s.get(Pejabat, p.pejabat_id) if p.pejabat_id else None
            b = s.get(Bundel, p.bundel_id) if p.bundel_id else None
            nip, alamat, peran = (pej.nip if pej else ""), (pej.email if pej else ""), p.peran
            jenis, versi = (b.jenis, b.versi) if b is not None else ("disposisi", 1)
        kode = self.kode_untuk(alamat or "")
        if kode is None:
            return False
        answer = {"keputusan": "setuju", "nip": nip, "kode": kode, "catatan": "", "dokumen": ""}
        sk = self.skenario
        if sk.kode_salah_oleh == peran and not self._wrong_done:
            answer["kode"] = "000000" if kode != "000000" else "111111"
            self._wrong_done = True
            self.catatan.ditolak += 1
        elif sk.revisi == (jenis, peran) and versi == 1 and not self._revised:
            answer.update(
                keputusan="revisi",
                catatan=sk.catatan_revisi,
                dokumen=", ".join(map(str, sk.dokumen_revisi)),
            )
            self._revised = True
            self.catatan.revisi += 1
        elif sk.tolak == (jenis, peran) and not self._refused:
            answer.update(keputusan="tolak", catatan="Tidak sesuai dengan rencana kerja.")
            self._refused = True
        else:
            self.catatan.keputusan += 1
        if sk.jeda:
            time.sleep(sk.jeda)
        self.catatan.per_peran[peran] = self.catatan.per_peran.get(peran, 0) + 1
        return self._resume(flow_run_id, f"p{pid}-", answer)

    def _nip_peran(self, peran: str) -> str:
        from diklat.db import session_scope
        from diklat.pegawai.pejabat import PejabatTidakAda, pemegang

        with session_scope(self.engine) as s:
            try:
                return pemegang(s, peran).nip
            except PejabatTidakAda:
                return NIP_OPERATOR

    def _corrector(self, flow_run_id: str, key: str) -> bool:
        """Download the named drafts, edit them as Word would, upload them."""
        from diklat.db import session_scope
        from diklat.models import Bundel, Kegiatan
        from diklat.naskah.perbaikan import menunggu, unduh

        bid = int(key[1:].split("-", 1)[0])
        with session_scope(self.engine) as s:
            b = s.get(Bundel, bid)
            if b is None:
                return False
            k = s.get(Kegiatan, b.kegiatan_id)
            assert k is not None
            m = menunggu(s, k, b.jenis)
            if m is None:
                return False
            kode, jenis = k.kode, b.jenis
        nomor = m.dokumen or list(range(1, m.jumlah + 1))
        self.import_dir.mkdir(parents=True, exist_ok=True)
        files = unduh(self.engine, kode, jenis, self.import_dir / "perbaikan", nomor)
        names = []
        for n, f in zip(nomor, files, strict=True):
            _sunting(f, "Daftar calon peserta telah diperiksa ulang sesuai catatan.")
            names.append(
                f"{n}={f.relative_to(self.import_dir)}"
                if m.jumlah > 1
                else str(f.relative_to(self.import_dir))
            )
        answer = {
            "nip": self._nip_peran(m.peran),
            "cara": "unggah",
            "berkas": ", ".join(names),
            "dokumen": "",
            "catatan": "diperbaiki sesuai catatan revisi",
            "alasan": "",
        }
        self.catatan.perbaikan += 1
        return self._resume(flow_run_id, f"r{bid}-", answer)

    def _operator(self, flow_run_id: str, key: str) -> bool:
        from diklat.db import session_scope
        from diklat.models import Kegiatan, Peserta
        from diklat.sop.catalogue import get_sop

        no = int(key[1:].split("-", 1)[0])
        with session_scope(self.engine) as s:
            k = (
                s.execute(select(Kegiatan).where(Kegiatan.flow_run_id == flow_run_id))
                .scalars()
                .first()
            )
            if k is None:
                return False
            jenis = get_sop(k.sop).step(no).masukan or "selesai"
            nomor = sorted(
                p.nomor_urut or 0
                for p in s.execute(
                    select(Peserta).where(
                        Peserta.kegiatan_id == k.id, Peserta.status.not_in(["batal", "ditolak"])
                    )
                ).scalars()
            )
            sop, penyelenggara = k.sop, k.penyelenggara
        answer: dict[str, Any] = {
            "nip": NIP_OPERATOR,
            "waktu": "",
            "bukti": "",
            "catatan": "dilaksanakan sesuai jadwal",
        }
        if jenis == "penawaran":  # the organiser's letter, received a few days ago
            import datetime as dt

            from diklat.naskah.register import today

            sent = today() - dt.timedelta(days=3)
            answer.update(
                nomor_surat=f"800.2.4.2/0412/BPSDM/{sent.year}",
                tanggal_surat=sent.isoformat(),
                pengirim=penyelenggara or "",
                hal="Pemanggilan peserta pelatihan",
            )
        elif jenis == "balasan":
            answer["ditarik"] = []
        elif jenis in ("kehadiran", "pendaftaran"):
            answer["tidak_hadir"] = []
        elif jenis == "kit":
            answer["penerima"] = nomor
        elif jenis == "hasil":
            answer.update(
                tidak_lulus=[],
                nilai_lulus=self.skenario.nilai_lulus,
                nomor_sertifikat={str(n): f"STTPL/{n:03d}/PENYELENGGARA" for n in nomor}
                if sop == "pengiriman-peserta"
                else {},
            )
        self.catatan.masukan += 1
        return self._resume(flow_run_id, f"l{no}-", answer)

    def _deliveries(self, flow_run_id: str, key: str) -> bool:
        """Hand deliveries done with a receipt, recorded; then the step checks again."""
        from diklat.db import session_scope
        from diklat.models import Bundel, Distribusi, Naskah
        from diklat.naskah import distribusi

        bid = int(key[1:].split("-", 1)[0])
        with session_scope(self.engine) as s:
            b = s.get(Bundel, bid)
            if b is None:
                return False
            ids = s.execute(
                select(Distribusi.id)
                .join(Naskah, Naskah.id == Distribusi.naskah_id)
                .where(Naskah.bundel_id == bid, Distribusi.status.in_(["manual", "perlu_cek"]))
            ).scalars()
            for did in list(ids):
                distribusi.konfirmasi(
                    s, did, alasan="diserahkan langsung, tanda terima ada", oleh="operator (skrip)"
                )
                self.catatan.konfirmasi += 1
        return self._resume(
            flow_run_id, f"d{bid}-", {"nip": NIP_OPERATOR, "catatan": "sudah dikonfirmasi"}
        )

    def _check_again(self, flow_run_id: str, key: str) -> bool:
        """A step waiting for an outside system (SIASN's answers): ask it again."""
        return self._resume(
            flow_run_id,
            key.split("-", 1)[0] + "-",
            {"nip": NIP_OPERATOR, "catatan": "periksa lagi"},
        )

    def _agencies(self) -> int:
        """Every agency that received a notice with its link proposes its candidates."""
        from diklat.db import session_scope
        from diklat.kegiatan import usulan
        from diklat.models import Pegawai, Peserta, Usulan

        done = 0
        for surel in sorted(self._surel(), key=lambda x: x.mtime):
            m = _LINK.search(surel.isi)
            if m is None or m.group(1) in self._links:
                continue
            token = m.group(1)
            with session_scope(self.engine) as s:
                try:
                    t = usulan.buka_tautan(s, token)
                except (LookupError, usulan.UsulanDitolak):
                    self._links.add(token)
                    continue
                k, unit = t.kegiatan, t.unit
                units = _under(s, unit.kode)
                planned = [
                    p.nip
                    for p in s.execute(
                        select(Pegawai)
                        .join(Peserta, Peserta.pegawai_id == Pegawai.id)
                        .where(Peserta.kegiatan_id == k.id, Peserta.status == "calon")
                        .order_by(Peserta.nomor_urut)
                    ).scalars()
                    if p.unit is not None and p.unit.kode in units
                ]
                if not planned:  # nothing planned (SOP 002): the agency picks its own
                    planned = [
                        p.nip
                        for p in s.execute(
                            select(Pegawai).where(Pegawai.aktif.is_(True)).order_by(Pegawai.nip)
                        ).scalars()
                        if p.unit is not None and p.unit.kode in units
                    ][: max(1, k.kuota or 1)]
                # an agency does not propose again whom another letter proposed already (a
                # parent agency's units include its sub-units, which answer for themselves)
                proposed = set(
                    s.execute(
                        select(Pegawai.nip)
                        .join(Usulan, Usulan.pegawai_id == Pegawai.id)
                        .where(Usulan.kegiatan_id == k.id)
                    ).scalars()
                )
                planned = [n for n in planned if n not in proposed]
                if not planned:
                    self._links.add(token)
                    continue
                from diklat.naskah.register import today

                try:
                    with s.begin_nested():  # a refused letter leaves nothing behind
                        usulan.catat_usulan(
                            s,
                            k,
                            unit_kode=unit.kode,
                            nomor_surat=f"800/{len(self._links) + 1:03d}/"
                            f"{(unit.singkatan or unit.kode)[:12]}",
                            tanggal_surat=today(),
                            nips=planned,
                            sumber="tautan",
                        )
                except usulan.UsulanDitolak as e:  # refused: this agency is done; the others
                    log.debug("petugas: usulan %s ditolak: %s", unit.kode, e)  # still answer
                    self._links.add(token)
                    continue
            self._links.add(token)
            self.catatan.usulan += 1
            done += 1
        return done

    def jalan(self, berhenti: threading.Event, interval: float = 0.5) -> None:
        """Answer waits until ``berhenti`` is set (for a thread), with one Prefect client
        for all its passes."""
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            self._client = client
            try:
                while not berhenti.is_set():
                    try:
                        self.langkah()
                    except Exception as e:  # a run that just moved on: try again next pass
                        log.debug("petugas: %s: %s", type(e).__name__, e)
                    berhenti.wait(interval)
            finally:
                self._client = None


def _under(session: Any, kode: str) -> set[str]:
    from diklat.kegiatan.usulan import _bagian_dari

    return _bagian_dari(session, kode)


def _sunting(path: Path, kalimat: str) -> None:
    """Edit a draft as Word would: one sentence added to the first body paragraph that is
    long prose (never the number, date or signature lines)."""
    from docx import Document

    doc = Document(str(path))
    for p in doc.paragraphs:
        text = p.text
        if len(text) > 80 and "#TTE#" not in text and "Nomor" not in text[:10]:
            p.add_run(" " + kalimat)
            break
    doc.save(str(path))


__all__ = ["NIP_OPERATOR", "Catatan", "Petugas", "Skenario"]
