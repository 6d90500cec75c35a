"""Scripted officials and operators for the demo and the tests: they answer waiting SOP runs
through the real path, as people would.

An official reads his one-time code from his e-mail (the file outbox) and resumes the waiting
run through the Prefect API with the resume form's fields (decision, NIP, code, note); an
operator reports an outside step with its form (done, when, note, and the lists the step needs).
The script can make one answer wrong (a refused code) and ask for one revision, so that the
refusal path and the revision round are exercised too. Nothing here shortcuts the checks: every
answer goes through the same ``putuskan`` / operator-input code as a person's would.
"""

from __future__ import annotations

import email
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, select

log = logging.getLogger("simulator.petugas")
_CODE = re.compile(r"^Kode: (\d{6})\r?$", re.M)


@dataclass
class Skenario:
    """What the scripted people do besides agreeing: one wrong code (the first answer of the
    given role), one revision (a document type and the role that asks for it, version 1)."""

    kode_salah_oleh: str | None = "kabid_psda"
    revisi: tuple[str, str] | None = ("surat_pemberitahuan", "sekretaris")
    catatan_revisi: str = "Mohon lampiran daftar calon peserta diperiksa ulang."
    nilai_lulus: float = 85.0
    jeda: float = 0.0  # seconds an official "reads" before answering


@dataclass
class Catatan:
    keputusan: int = 0
    ditolak: int = 0
    revisi: int = 0
    masukan: int = 0
    per_peran: dict[str, int] = field(default_factory=dict)


class Petugas:
    """Answers every waiting run it finds, once per wait (``jalan`` in a thread)."""

    def __init__(self, engine: Engine, outbox: Path, skenario: Skenario | None = None,
                 *, resume: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.engine = engine
        self.outbox = Path(outbox)
        self.skenario = skenario or Skenario()
        self.catatan = Catatan()
        self._answered: set[tuple[str, str]] = set()
        self._wrong_done = False
        self._revised = False
        self._resume = resume or _resume

    # ------------------------------------------------------------------ reading

    def kode_untuk(self, alamat: str) -> str | None:
        """The newest code e-mailed to ``alamat``."""
        found: tuple[int, str] | None = None
        for f in self.outbox.glob("*.eml"):
            try:
                msg = email.message_from_bytes(f.read_bytes())
            except OSError:
                continue
            if (msg["To"] or "").strip() != alamat:
                continue
            body = msg.get_payload(decode=True)
            if not isinstance(body, bytes):
                continue
            m = _CODE.search(body.decode("utf-8", "replace"))
            if m and (found is None or f.stat().st_mtime_ns > found[0]):
                found = (f.stat().st_mtime_ns, m.group(1))
        return found[1] if found else None

    @staticmethod
    def _paused(flow_run_id: str) -> str | None:
        """The pause key when the run waits (paused or suspended), else None."""
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as c:
            fr = c.read_flow_run(UUID(flow_run_id))
        st = fr.state
        if st is None or not st.is_paused():
            return None
        return str(st.state_details.pause_key or "")

    # ------------------------------------------------------------------ answering

    def langkah(self) -> int:
        """One pass: answer every wait found. Returns how many were answered."""
        return self._officials() + self._operators()

    def _officials(self) -> int:
        from diklat.db import session_scope
        from diklat.models import Bundel, Pejabat, Permintaan

        with session_scope(self.engine) as s:
            rows = [(p.id, p.flow_run_id, p.peran, p.kind, p.pejabat_id, p.bundel_id)
                    for p in s.execute(select(Permintaan).where(
                        Permintaan.status == "menunggu", Permintaan.flow_run_id.is_not(None))
                        .order_by(Permintaan.id)).scalars()]
            info = {}
            for pid, _fr, _peran, _kind, pej_id, bid in rows:
                pej = s.get(Pejabat, pej_id) if pej_id else None
                b = s.get(Bundel, bid)
                info[pid] = (pej.nip if pej else "", pej.email if pej else "",
                             b.jenis if b else "", b.versi if b else 0)
        done = 0
        for pid, flow_run_id, peran, _kind, _pej, _bid in rows:
            key = self._paused(str(flow_run_id))
            if key is None or (str(flow_run_id), key) in self._answered:
                continue
            nip, alamat, jenis, versi = info[pid]
            kode = self.kode_untuk(alamat or "")
            if kode is None:
                continue
            answer = {"keputusan": "setuju", "nip": nip, "kode": kode, "catatan": ""}
            sk = self.skenario
            if sk.kode_salah_oleh == peran and not self._wrong_done:
                answer["kode"] = "000000" if kode != "000000" else "111111"
                self._wrong_done = True
                self.catatan.ditolak += 1
            elif sk.revisi == (jenis, peran) and versi == 1 and not self._revised:
                answer.update(keputusan="revisi", catatan=sk.catatan_revisi)
                self._revised = True
                self.catatan.revisi += 1
            else:
                self.catatan.keputusan += 1
            if sk.jeda:
                time.sleep(sk.jeda)
            self._answered.add((str(flow_run_id), key))
            self.catatan.per_peran[peran] = self.catatan.per_peran.get(peran, 0) + 1
            self._resume(str(flow_run_id), answer)
            done += 1
        return done

    def _operators(self) -> int:
        from diklat.db import session_scope
        from diklat.models import Kegiatan, Peserta, SopStepLog
        from diklat.sop.catalogue import get_sop

        with session_scope(self.engine) as s:
            waits = []
            for row in s.execute(select(SopStepLog).where(
                    SopStepLog.status == "menunggu", SopStepLog.flow_run_id.is_not(None))):
                log_row = row[0]
                k = s.get(Kegiatan, log_row.kegiatan_id)
                if k is None:
                    continue
                jenis = get_sop(k.sop).step(log_row.step_no).masukan
                if jenis is None:
                    continue  # a paraf or signature: officials answer those
                nomor = sorted(p.nomor_urut or 0 for p in s.execute(select(Peserta).where(
                    Peserta.kegiatan_id == k.id, Peserta.status.not_in(["batal", "ditolak"]))
                ).scalars())
                waits.append((log_row.flow_run_id, jenis, nomor, k.sop))
        done = 0
        for flow_run_id, jenis, nomor, sop in waits:
            key = self._paused(str(flow_run_id))
            if key is None or (str(flow_run_id), key) in self._answered:
                continue
            answer: dict[str, Any] = {"selesai": True, "waktu": "",
                                      "catatan": "dilaksanakan sesuai jadwal"}
            if jenis == "balasan":
                answer["ditarik"] = []
            elif jenis in ("kehadiran", "pendaftaran"):
                answer["tidak_hadir"] = []
            elif jenis == "kit":
                answer["penerima"] = nomor
            elif jenis == "hasil":
                answer.update(tidak_lulus=[], nilai_lulus=self.skenario.nilai_lulus,
                              nomor_sertifikat={str(n): f"STTPL/{n:03d}/PENYELENGGARA"
                                                for n in nomor} if sop == "pengiriman-peserta"
                              else {})
            self._answered.add((str(flow_run_id), key))
            self.catatan.masukan += 1
            self._resume(str(flow_run_id), answer)
            done += 1
        return done

    def jalan(self, berhenti: threading.Event, interval: float = 0.5) -> None:
        """Answer waits until ``berhenti`` is set (for a thread)."""
        while not berhenti.is_set():
            try:
                self.langkah()
            except Exception as e:  # a run that just moved on: try again next pass
                log.debug("petugas: %s", type(e).__name__)
            berhenti.wait(interval)


def _resume(flow_run_id: str, run_input: dict[str, Any]) -> None:
    from prefect.flow_runs import resume_flow_run

    resume_flow_run(UUID(flow_run_id), run_input=run_input)
