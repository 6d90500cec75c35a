"""Flow-level building blocks of the SOP flows: the waits for people and a whole letter step in
one call.

Not a flow itself: the functions here run inside a flow (a Prefect wait must happen in the
flow's own body, never in a task) and call thin tasks for everything that touches the
database or the outside world. Every wait **suspends** the run when it belongs to a deployment
(the process exits; on resume the flow restarts from the top and comes back here) or **pauses**
it in-process otherwise, always under an explicit, stable key, so that a run restarted from the
top waits under the same key until an answer was processed. Every answer is removed from
Prefect's stored run inputs once processed (accepted or refused): nothing typed there (a NIP,
a code) stays readable.

* :func:`tunggu_keputusan`: one level of a letter's chain waits for its official (key
  ``p<request>-j<answers so far>``); a refused answer is audited, the next form says why, and
  the run waits again.
* :func:`tunggu_perbaikan`: a letter sent back waits for the person the SOP names to correct
  it (key ``r<bundle>-j<refused so far>``).
* :func:`tunggu_operator`: a step done by people outside the system waits for an operator's
  report (key ``l<step>-r<round>-j<refused so far>``).
* :func:`langkah_naskah` / :func:`surat`: one letter step of an SOP: draft -> each paraf level
  -> the signature -> number, final, stamp, PAdES -> send (the step closes only when every
  delivery is sent or confirmed by hand) -> archive.

A letter refused (``tolak``) stops the training's path: :class:`Dihentikan` is raised and the
SOP flow ends Cancelled with the reason as its message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from prefect import get_run_logger
from prefect.input import RunInput
from prefect.states import Cancelled, State
from pydantic import Field

from diklat import masukan as masukan_domain
from diklat.kegiatan.data import DataKegiatan
from diklat.kegiatan.ledger import StatusLangkah
from diklat.mulai import MulaiKegiatan
from diklat.naskah import status as status_naskah
from diklat.naskah.langkah import KeadaanNaskah
from tasks import kegiatan as tk
from tasks import persetujuan as t

#: A wait never times out in Prefect: our deadlines come from the SOP ledger (the pause-expiry
#: service of the server would look at only 200 paused runs per pass anyway).
PAUSE_TIMEOUT = 60 * 60 * 24 * 60


#: A training's code as :class:`DataKegiatan` accepts it.
_KODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}")


def nama_run(awalan: str) -> Any:
    """The run name ``<awalan>-<KODE>`` from the raw ``kegiatan`` parameter (a dict from a
    deployment's form, a :class:`DataKegiatan` in-process), so that a run whose parameters are
    refused still carries its training's code; ``<awalan>-tanpa-kode`` when there is none."""

    def nama() -> str:
        from prefect.runtime import flow_run

        raw = (flow_run.parameters or {}).get("kegiatan")
        kode = raw.get("kode") if isinstance(raw, dict) else getattr(raw, "kode", None)
        kode = str(kode or "").strip()
        return f"{awalan}-{kode}" if _KODE.fullmatch(kode) else f"{awalan}-tanpa-kode"

    nama.__name__ = f"nama_run_{awalan}"
    return nama


def terima_kegiatan(raw: Any, sop: str, pdf: Any = True) -> tuple[DataKegiatan, bool] | State:
    """The SOP flows' parameters checked by the domain's own rules (the flows do not let
    Prefect validate them: a wrong date there fails the run with a traceback before it is
    named). A refused value ends the run Failed with one Indonesian line naming the field,
    before anything is recorded."""
    from prefect.states import Failed
    from pydantic import TypeAdapter, ValidationError

    from diklat.kegiatan.data import KegiatanDitolak, periksa

    try:
        data = periksa(raw)
        if data.sop != sop:
            raise KegiatanDitolak("sop", f"flow ini untuk SOP {sop}, bukan {data.sop!r}")
        cetak = TypeAdapter(bool).validate_python(pdf)
    except KegiatanDitolak as e:
        pesan = f"Parameter kegiatan ditolak: {e}"
    except ValidationError:
        pesan = "Parameter pdf ditolak: harus true atau false"
    else:
        return data, cetak
    get_run_logger().error(pesan)
    return Failed(message=pesan)


class Dihentikan(Exception):
    """The training's path stopped (a letter refused, the training cancelled): nothing after
    it runs; the SOP flow ends Cancelled with this message."""


class KeputusanForm(RunInput):
    """The resume form officials fill in (Prefect UI, the approval page, `diklat approve`)."""

    keputusan: Literal["setuju", "revisi", "tolak"] = Field(
        title="Keputusan", description="setuju; revisi (kembalikan untuk diperbaiki); tolak"
    )
    nip: str = Field(
        title="NIP Anda", description="NIP pejabat yang diminta, 18 digit", max_length=30
    )
    kode: str = Field(
        title="Kode verifikasi", description="6 digit dari surel; sekali pakai", max_length=12
    )
    catatan: str = Field(
        default="",
        title="Catatan (wajib untuk revisi dan tolak)",
        description="untuk revisi: apa yang harus diperbaiki; untuk tolak: alasannya",
        max_length=2000,
    )
    dokumen: str = Field(
        default="",
        title="Dokumen yang direvisi (bundel)",
        description="nomor dokumen dalam pratinjau, mis. 2, 5; kosong: seluruh bundel",
        max_length=500,
    )


class PerbaikanForm(RunInput):
    """The form of the person who corrects a letter sent back."""

    nip: str = Field(
        title="NIP Anda", description="petugas yang diminta memperbaiki", max_length=30
    )
    cara: Literal["data", "unggah", "tanpa_perubahan"] = Field(
        title="Cara perbaikan",
        description="data: data kegiatan sudah dibetulkan, konsep dibuat ulang; unggah: "
        "konsep DOCX diperbaiki di Word (berkas di folder impor); "
        "tanpa_perubahan: tidak perlu diubah (isi alasan)",
    )
    berkas: str = Field(
        default="",
        title="Berkas DOCX (untuk unggah)",
        max_length=1000,
        description="nama berkas di folder impor; untuk bundel: nomor=berkas, "
        "mis. 2=sertifikat-2.docx, 5=sertifikat-5.docx",
    )
    dokumen: str = Field(
        default="",
        title="Dokumen yang diperbaiki (bundel)",
        max_length=500,
        description="nomor dokumen, mis. 2, 5; kosong: yang diminta revisi",
    )
    catatan: str = Field(default="", title="Catatan perbaikan", max_length=2000)
    alasan: str = Field(default="", title="Alasan bila tidak ada perubahan", max_length=2000)


class CekKirimForm(RunInput):
    """An operator asks the sending step to check its deliveries again."""

    nip: str = Field(title="NIP petugas", max_length=30)
    catatan: str = Field(default="", title="Catatan", max_length=2000)


def _deployed() -> bool:
    from prefect.runtime import deployment

    return bool(deployment.id)


def _flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    return str(flow_run.id) if flow_run.id else None


def _poll() -> float:
    from diklat.settings import get_settings

    return get_settings().approval.poll_seconds


def _tunggu(form: Any, key: str, poll_seconds: float | None = None) -> Any:
    """Suspend a deployed run (its process exits; the run restarts from the top on resume),
    pause one that runs in this process; under an explicit key either way."""
    from prefect.flow_runs import pause_flow_run, suspend_flow_run

    if _deployed():
        return suspend_flow_run(wait_for_input=form, key=key, timeout=None)
    # Prefect annotates poll_interval as int; it is passed to time.sleep, which takes floats.
    return pause_flow_run(
        wait_for_input=form, key=key, timeout=PAUSE_TIMEOUT, poll_interval=poll_seconds or _poll()
    )  # type: ignore[call-overload]


def _lupakan(awalan: str) -> None:
    """Answers under keys starting with ``awalan`` are processed (accepted or refused, and
    audited in our own database): remove them from Prefect's run inputs, so that nothing an
    official or operator typed stays readable there. Best effort: a run never fails over it."""
    from tasks.lanjut import hapus_jawaban

    run_id = _flow_run_id()
    if run_id is not None:
        hapus_jawaban(run_id, awalan)


def lupakan_semua_jawaban(kode: str) -> None:
    """At a run's end: remove every answer still stored for it, and for the training's
    earlier runs. An answer can arrive just after its wait moved on (the decision taken
    elsewhere, seen by the wait's poll), and an earlier run killed or cancelled right after an
    answer reached it never removed that answer: nothing else would remove them later."""
    from tasks.lanjut import hapus_jawaban_kegiatan

    hapus_jawaban_kegiatan(kode, _flow_run_id())


def _nomor_list(text: str) -> list[int]:
    out = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if part:
            try:
                out.append(int(part))
            except ValueError:
                out.append(-1)
    return out


# --------------------------------------------------------------------------- officials


@dataclass(frozen=True)
class Keputusan:
    """An accepted decision on one level: ``setuju``, ``revisi`` or ``tolak``."""

    keputusan: str
    permintaan_id: int
    selesai: bool


def tunggu_keputusan(
    kode: str, bundel_id: int | None, urutan: int, *, langkah: int | None = None
) -> Keputusan:
    """Wait until one level of a bundle's chain (or of a disposition at step ``langkah``) is
    decided; returns the accepted decision."""
    logger = get_run_logger()
    while True:
        req = t.buka_permintaan_task(kode, bundel_id, urutan, _flow_run_id(), langkah=langkah)
        if req.diputuskan:
            _lupakan(f"p{req.id}-")  # answered from a terminal or the approval page
            return Keputusan(req.keputusan or "", req.id, req.selesai)
        form = KeputusanForm.with_initial_data(description=req.deskripsi)
        key = f"p{req.id}-j{req.jawaban}"
        logger.info("menunggu %s tingkat %s (permintaan %s)", req.kind, urutan, req.id)
        answer = _tunggu(form, key, req.poll_seconds)
        hasil = t.putuskan_task(
            req.id,
            answer.nip,
            answer.kode,
            answer.keputusan,
            answer.catatan,
            _flow_run_id(),
            dokumen=_nomor_list(answer.dokumen),
        )
        _lupakan(f"p{req.id}-")
        if hasil.diterima:
            logger.info("permintaan %s: %s", req.id, hasil.keputusan)
            return Keputusan(hasil.keputusan or "", req.id, hasil.selesai)
        logger.info("jawaban atas permintaan %s ditolak; menunggu lagi", req.id)


# --------------------------------------------------------------------------- corrections


def tunggu_perbaikan(kode: str, jenis: str, bundel_id: int) -> None:
    """Wait until the person the SOP names corrects a letter sent back (the form, or
    ``diklat naskah perbaiki``, which resumes this wait)."""
    logger = get_run_logger()
    while True:
        w = t.buka_perbaikan_task(kode, jenis, _flow_run_id())
        if not w.menunggu:
            _lupakan(f"r{bundel_id}-")
            return
        form = PerbaikanForm.with_initial_data(description=w.deskripsi)
        key = f"r{w.bundel_id}-j{w.ditolak}"
        logger.info("%s v%s menunggu perbaikan oleh %s", jenis, w.versi, w.peran)
        answer = _tunggu(form, key)
        hasil = t.perbaikan_task(kode, jenis, answer.model_dump(exclude={"metadata"}))
        _lupakan(f"r{w.bundel_id}-")
        if hasil["diterima"]:
            logger.info("%s diperbaiki: versi %s", jenis, hasil["versi"])
            return
        logger.info("perbaikan %s ditolak; menunggu lagi", jenis)


# --------------------------------------------------------------------------- letters


def langkah_naskah(kode: str, jenis: str, *, pdf: bool = True) -> KeadaanNaskah:
    """One letter step: the current version drafted, its chain decided level by level, then
    (when signed) numbered, issued, stamped and signed. A revision waits for the person who
    corrects it and goes up the chain again from where the SOP says; a refusal stops the
    training's path (:class:`Dihentikan`). Returns the bundle's state."""
    while True:
        state = t.keadaan_bundel_task(kode, jenis, pdf)
        if state.status == status_naskah.DITOLAK:
            raise Dihentikan(
                state.alasan_kegiatan or f"{jenis.replace('_', ' ')} ditolak: {state.alasan}"
            )
        if state.perbaikan:
            tunggu_perbaikan(kode, jenis, state.bundel_id)
            continue
        if state.selesai:
            return state
        if state.tingkat is None:  # nobody signs (attendance sheet, receipt) or all decided
            out = t.terbitkan_bundel_task(kode, state.bundel_id, pdf)
            if out.ditolak_ttd:
                get_run_logger().warning("tanda tangan %s ditolak: %s", jenis, out.ditolak_ttd)
                continue  # sent back: the correction is waited for
            return out
        tunggu_keputusan(kode, state.bundel_id, state.tingkat)
        # loop: the next level, the signature, a correction, or the end after a refusal


def tunggu_kirim(kode: str, bundel_id: int, no: int, hasil: dict[str, Any]) -> None:
    """A sending step with deliveries still open (to be handed over and confirmed, or to be
    checked) waits: ``diklat distribusi konfirmasi`` resumes it once the last one is settled,
    or an operator asks for a check in the form."""
    desc = "\n".join(
        [
            f"### Langkah {no}: pengiriman belum selesai",
            "",
            f"{hasil['belum']} pengiriman belum terkirim atau belum dikonfirmasi (diserahkan "
            "langsung, alamat surel tidak ada, perlu dicek).",
            "",
            "Selesaikan dengan `diklat distribusi list --kegiatan " + kode + "` lalu "
            "`diklat distribusi konfirmasi ID --alasan ...` (tanda terima, penyerahan langsung) "
            "atau `diklat distribusi lepas ID --alasan ...` (kirim ulang). Langkah ini selesai "
            "bila semua pengiriman terkirim atau dikonfirmasi; isi formulir ini untuk memeriksa "
            "lagi sekarang.",
        ]
    )
    form = CekKirimForm.with_initial_data(description=desc)
    key = f"d{bundel_id}-c{hasil['cek']}"
    get_run_logger().info("langkah %s menunggu %s pengiriman", no, hasil["belum"])
    _tunggu(form, key)
    _lupakan(f"d{bundel_id}-")
    tk.cek_kirim_task(kode, no)


def surat(
    kode: str, jenis: str, jalur: Jalur, *, pdf: bool = True, siapkan_saja: bool = False
) -> dict[str, Any]:
    """One letter step of the SOP table, in one call: draft -> paraf chain -> signature ->
    number -> send (until every delivery is settled) -> archive. Skipped without any task
    call when the ledger read at the start says every step of it is done. ``siapkan_saja``:
    only its draft (a receipt prepared before the kits are handed over)."""
    plan = jalur.rencana[jenis]
    if jenis not in jalur.terbuka and all(not jalur.perlu(no) for no in plan.semua_langkah):
        return {"jenis": jenis, "dilewati": True}
    if siapkan_saja:
        return t.keadaan_bundel_task(kode, jenis, pdf).as_dict()
    tanggal = t.belum_boleh_task(kode, jenis)
    if tanggal is not None:  # a certificate before the training's last day
        tunggu_tanggal(kode, jenis, dt.date.fromisoformat(tanggal))
    st = langkah_naskah(kode, jenis, pdf=pdf)
    out = st.as_dict()  # the run's result: the letter's state, its sending, its archive
    if plan.langkah_distribusi:
        while True:
            kirim = tk.kirim_task(kode, st.bundel_id, plan.langkah_distribusi)
            if not kirim["belum"]:
                break
            tunggu_kirim(kode, st.bundel_id, plan.langkah_distribusi[0], kirim)
        out["kirim"] = kirim
    out["arsip"] = tk.arsip_task(kode, st.bundel_id, plan.langkah_arsip)
    return out


def verifikasi(kode: str, no: int) -> dict[str, Any]:
    """Candidates checked against SIASN, each with SIASN's own answer: while SIASN has not
    answered for some (down, unreachable), the step waits (deadline, reminders) and asks
    again when an operator asks for it; nobody is ever taken as verified unchecked."""
    from tasks.siasn import verifikasi_siasn_task

    while True:
        hasil = verifikasi_siasn_task(kode, no)
        if hasil.get("selesai"):
            return hasil
        belum = hasil.get("nomor_belum_diperiksa") or []
        desc = "\n".join(
            [
                f"### Langkah {no}: verifikasi calon di SIASN belum lengkap",
                "",
                f"SIASN belum menjawab untuk {len(belum)} calon (nomor urut "
                f"{', '.join(map(str, belum[:50]))}). Calon tidak pernah dianggap terverifikasi "
                "tanpa jawaban SIASN.",
                "",
                "Isi formulir ini untuk menanyakan SIASN lagi (mis. setelah SIASN pulih).",
            ]
        )
        form = CekKirimForm.with_initial_data(description=desc)
        key = f"c{no}-{hasil.get('cek', 0)}"
        get_run_logger().info("langkah %s menunggu jawaban SIASN untuk %s calon", no, len(belum))
        _tunggu(form, key)
        _lupakan(f"c{no}-")
        tk.cek_kirim_task(kode, no)


# --------------------------------------------------------------------------- operators


def _form(jenis: str) -> type[RunInput]:
    """The Prefect form of an operator input kind: the domain's fields as a RunInput."""
    isian = masukan_domain.JENIS[jenis].isian
    return type(f"Form{isian.__name__}", (RunInput, isian), {"__module__": __name__})


_FORMS: dict[str, type[RunInput]] = {j: _form(j) for j in masukan_domain.JENIS}


def tunggu_operator(kode: str, no: int, jalur: Jalur) -> dict[str, Any]:
    """Wait for an operator to report an outside step (who, when, a note, evidence and what
    the step needs, as the catalogue's ``masukan`` says); a refused input is counted, the
    next form says why, and the run waits again."""
    logger = get_run_logger()
    jenis = jalur.sop.step(no).masukan or "selesai"
    form_cls = _FORMS[jenis]
    while True:
        info = tk.buka_operator_task(kode, no)
        if info.status == StatusLangkah.SELESAI:
            return {"no": no, "diterima": True}
        form = form_cls.with_initial_data(description=info.deskripsi)
        key = f"l{no}-r{info.putaran}-j{info.ditolak}"
        logger.info("menunggu petugas: langkah %s", no)
        answer = _tunggu(form, key)
        res = tk.masukan_operator_task(kode, no, jenis, answer.model_dump(exclude={"metadata"}))
        _lupakan(f"l{no}-r{info.putaran}-")
        if res["diterima"]:
            return {"no": no, **res}
        logger.info("masukan langkah %s ditolak; menunggu lagi", no)


def langkah(kode: str, no: int, jalur: Jalur) -> dict[str, Any] | None:
    """An outside step of the SOP table, skipped when the ledger says it is done: dispositions
    the catalogue declares wait for their officials, other steps for an operator's report."""
    if not jalur.perlu(no):
        return None
    step = jalur.sop.step(no)
    out: dict[str, Any] = {}
    if step.masukan is not None and jalur.state.get(no) != StatusLangkah.SELESAI:
        out = tunggu_operator(kode, no, jalur)
    if step.approval is not None and step.approval.kind == "disposisi":
        for i, _role in enumerate(step.approval.roles, start=1):
            d = tunggu_keputusan(kode, None, i, langkah=no)
            if d.keputusan == "tolak":
                raise Dihentikan(t.alasan_kegiatan_task(kode))
    return out


def jalankan_sop(
    kegiatan: Any, sop: str, pdf: Any, jalan: Callable[[MulaiKegiatan, bool], dict[str, Any]]
) -> dict[str, Any] | State:
    """The frame of both SOP flows: the form checked (:func:`terima_kegiatan`), the training
    started or continued, its path walked by ``jalan``; a training stopped on the way ends the
    run Cancelled with the reason. Either way no answer is left in Prefect and the steps'
    table is published once more."""
    diterima = terima_kegiatan(kegiatan, sop, pdf)
    if isinstance(diterima, State):  # refused: one line, nothing recorded
        return diterima
    data, pdf_ok = diterima
    mulai = tk.mulai_kegiatan_task(data)
    try:
        hasil: dict[str, Any] | State = jalan(mulai, pdf_ok)
    except Dihentikan as e:
        get_run_logger().warning("kegiatan %s dihentikan: %s", mulai.kode, e)
        hasil = Cancelled(message=f"Kegiatan {mulai.kode} dihentikan: {e}")
    lupakan_semua_jawaban(mulai.kode)
    tk.publikasi_langkah_task(mulai.kode)
    return hasil


def hentikan_bila_berhenti(mulai: MulaiKegiatan) -> None:
    """A training stopped before this run started (refused, cancelled) does nothing more."""
    if mulai.berhenti:
        raise Dihentikan(mulai.alasan or f"kegiatan {mulai.status}")


def tunggu_tanggal(kode: str, jenis: str, tanggal: dt.date) -> None:
    """A document that may not exist before a date (a certificate before the training's last
    day) waits for it without holding a process when deployed: the run suspends, and the
    hourly deadline monitor resumes it on that day."""
    from prefect.input import RunInput as _RI

    class TanggalForm(_RI):
        lanjut: bool = Field(default=True, title="Lanjutkan")

    key = f"t{jenis}-{tanggal.isoformat()}"
    get_run_logger().info("%s menunggu tanggal %s", jenis, tanggal.isoformat())
    desc = (
        f"{jenis.replace('_', ' ')} kegiatan {kode} baru dapat dibuat mulai "
        f"{tanggal.isoformat()}; run ini dilanjutkan otomatis pada tanggal itu."
    )
    _tunggu(TanggalForm.with_initial_data(description=desc), key, 3600)
    _lupakan(f"t{jenis}-")


class Jalur:
    """A training's path through its SOP as the flow sees it at (re)start: the catalogue's
    steps and document plans for its conditions, and the ledger's state read in one query."""

    def __init__(
        self,
        sop_code: str,
        kondisi: list[str],
        state: dict[int, str],
        terbuka: list[str] | None = None,
    ) -> None:
        from diklat.sop.catalogue import get_sop

        self.sop = get_sop(sop_code)
        self.kondisi = kondisi
        self.state = state
        self.terbuka = set(terbuka or ())  # letters issued but not archived yet
        self.rencana = {p.jenis: p for p in self.sop.rencana_naskah(kondisi)}

    def perlu(self, no: int) -> bool:
        """Whether step ``no`` is on the path and not done yet."""
        return (
            self.sop.step(no).applies(self.kondisi) and self.state.get(no) != StatusLangkah.SELESAI
        )
