"""Flow-level building blocks of the SOP flows: the wait for an official and a whole letter
step in one call.

Not a flow itself: the functions here run inside a flow (a Prefect wait must happen in the
flow's own body, never in a task) and call thin tasks for everything that touches the
database or the outside world.

* :func:`tunggu_keputusan` makes one level of a bundle's chain wait for its official: it opens
  the request (once), e-mails the code (once), then **suspends** the run when it belongs to a
  deployment (the process exits; on resume the flow restarts from the top and comes back here)
  or **pauses** it in-process otherwise. The wait key is explicit and stable
  (``p<request>-j<answers so far>``): a run restarted from the top waits under the same key until
  an answer was processed, so the stored answer is found again instead of a new wait. A refused
  answer is audited and the run waits again under the next key; it never fails the run.
* :func:`langkah_naskah` is one letter step of an SOP: draft (or the next version after a
  revision) -> each paraf level -> the signature -> number, final, stamp, PAdES. It decides
  from the database what is already done, so calling it again after a resume costs one query.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from prefect import get_run_logger
from prefect.input import RunInput
from pydantic import Field

from tasks import persetujuan as t

#: A wait never times out in Prefect: our deadlines come from the SOP ledger (the pause-expiry
#: service of the server would look at only 200 paused runs per pass anyway).
PAUSE_TIMEOUT = 60 * 60 * 24 * 60


class KeputusanForm(RunInput):
    """The resume form officials fill in (Prefect UI, or `diklat approve`)."""

    keputusan: Literal["setuju", "revisi", "tolak"] = Field(
        title="Keputusan", description="setuju; revisi (kembalikan untuk diperbaiki); tolak")
    nip: str = Field(title="NIP Anda", description="NIP pejabat yang diminta, 18 digit",
                     max_length=30)
    kode: str = Field(title="Kode verifikasi", description="6 digit dari surel; sekali pakai",
                      max_length=12)
    catatan: str = Field(default="", title="Catatan",
                         description="wajib untuk revisi dan tolak", max_length=2000)


def _deployed() -> bool:
    from prefect.runtime import deployment

    return bool(deployment.id)


def _flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    return str(flow_run.id) if flow_run.id else None


def _tunggu(form: Any, key: str, poll_seconds: float) -> Any:
    """Suspend a deployed run (its process exits; the run restarts from the top on resume),
    pause one that runs in this process; under an explicit key either way."""
    from prefect.flow_runs import pause_flow_run, suspend_flow_run

    if _deployed():
        return suspend_flow_run(wait_for_input=form, key=key, timeout=None)
    # Prefect annotates poll_interval as int; it is passed to time.sleep, which takes floats.
    return pause_flow_run(wait_for_input=form, key=key, timeout=PAUSE_TIMEOUT,
                          poll_interval=poll_seconds)  # type: ignore[call-overload]


def _lupakan_jawaban(key: str) -> None:
    """The answer under ``key`` is processed (accepted or refused, and audited in our own
    database): remove it from Prefect's run inputs, so that no code an official typed stays
    readable there, not even a right code sent with a refused NIP (still valid afterwards).
    Best effort: a run never fails over it; the wait after a restart uses the next key."""
    run_id = _flow_run_id()
    if run_id is None:
        return
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as c:
            for state in ("suspended", "paused"):  # Prefect's keys: <state>-<key>-response
                name = f"{state}-{key}-response"
                for i in c.filter_flow_run_input(UUID(run_id), key_prefix=name, limit=5,
                                                 exclude_keys=set()):
                    if i.key == name:
                        c.delete_flow_run_input(UUID(run_id), i.key)
    except Exception as e:  # noqa: BLE001 - cleanup only
        get_run_logger().debug("jawaban %s tidak terhapus dari Prefect: %s", key,
                               type(e).__name__)


def tunggu_keputusan(kode: str, bundel_id: int, urutan: int) -> dict[str, Any]:
    """Wait until one level of a bundle's chain is decided; returns the accepted decision
    (``keputusan``, ``permintaan_id``, ``selesai``)."""
    logger = get_run_logger()
    while True:
        req = t.buka_permintaan_task(kode, bundel_id, urutan, _flow_run_id())
        if req["status"] == "diputuskan":
            return {"keputusan": req["keputusan"], "permintaan_id": req["id"],
                    "selesai": req["selesai"]}
        form = KeputusanForm.with_initial_data(description=req["deskripsi"])
        key = f"p{req['id']}-j{req['jawaban']}"
        logger.info("menunggu %s level %s (permintaan %s)", req["kind"], urutan, req["id"])
        answer = _tunggu(form, key, req["poll_seconds"])
        hasil = t.putuskan_task(req["id"], answer.nip, answer.kode, answer.keputusan,
                                answer.catatan, _flow_run_id())
        _lupakan_jawaban(key)
        if hasil["diterima"]:
            logger.info("permintaan %s: %s", req["id"], hasil["keputusan"])
            return {"keputusan": hasil["keputusan"], "permintaan_id": req["id"],
                    "selesai": hasil["selesai"]}
        logger.warning("jawaban atas permintaan %s ditolak: %s; menunggu lagi", req["id"],
                       hasil["alasan"])


def langkah_naskah(kode: str, jenis: str, *, pdf: bool = True) -> dict[str, Any]:
    """One letter step: the current version drafted, its chain decided level by level, then
    (when signed) numbered, issued, stamped and signed. A revision drafts the next version
    and starts the chain again; a refusal ends the step. Returns the bundle's state."""
    logger = get_run_logger()
    while True:
        state = t.keadaan_bundel_task(kode, jenis, pdf)
        if state["status"] == "ditolak":
            logger.warning("%s ditolak: %s", jenis, state["alasan"])
            return state
        if state["selesai"]:
            return state
        level = state["tingkat"]
        if level is None:  # nobody signs (attendance sheet, receipt) or everyone decided
            return t.terbitkan_bundel_task(kode, state["bundel_id"], pdf)
        tunggu_keputusan(kode, state["bundel_id"], level["urutan"])
        # loop: the next level, the signature, or the next version after a revision


def resume_dengan_keputusan(flow_run_id: str, answer: dict[str, Any]) -> None:
    """Resume a waiting run with an answer already checked elsewhere (terminal, signing
    page): the run checks it again and finds the decision taken."""
    from prefect.flow_runs import resume_flow_run

    resume_flow_run(UUID(flow_run_id), run_input=answer)


# --------------------------------------------------------------------------- operator inputs


class SelesaiForm(RunInput):
    """A step done by people outside the system: when, and a note."""

    selesai: bool = Field(default=True, title="Sudah dilaksanakan")
    waktu: str = Field(default="", title="Waktu pelaksanaan",
                       description="YYYY-MM-DD HH:MM waktu setempat; kosong: sekarang")
    catatan: str = Field(default="", title="Catatan", max_length=2000)


class BalasanForm(SelesaiForm):
    ditarik: list[int] = Field(default_factory=list, title="Calon yang ditarik instansi",
                               description="nomor urut peserta (lihat daftar di atas)")


class KehadiranForm(SelesaiForm):
    tidak_hadir: list[int] = Field(default_factory=list, title="Tidak hadir / batal",
                                   description="nomor urut peserta")


class KitForm(SelesaiForm):
    penerima: list[int] = Field(default_factory=list, title="Penerima Training Kit",
                                description="nomor urut peserta yang menerima")


class HasilForm(SelesaiForm):
    tidak_lulus: list[int] = Field(default_factory=list, title="Tidak lulus",
                                   description="nomor urut peserta yang tidak lulus")
    nilai_lulus: float = Field(default=80.0, ge=60, le=100, title="Nilai peserta lulus",
                               description="untuk peserta yang belum bernilai")
    nomor_sertifikat: dict[int, str] = Field(
        default_factory=dict, title="Nomor sertifikat dari penyelenggara",
        description="nomor urut -> nomor sertifikat (diklat di luar instansi)")


FORMS: dict[str, type[SelesaiForm]] = {
    "selesai": SelesaiForm, "balasan": BalasanForm, "kehadiran": KehadiranForm,
    "pendaftaran": KehadiranForm, "kit": KitForm, "hasil": HasilForm,
}


def tunggu_operator(kode: str, no: int, jalur: Jalur) -> dict[str, Any]:
    """Wait for an operator to report an outside step (a form with done, when, note and what
    the step needs, as the catalogue's ``masukan`` says); a refused input is counted and
    waited for again."""
    from tasks import kegiatan as tk

    logger = get_run_logger()
    jenis = jalur.sop.step(no).masukan or "selesai"
    form_cls = FORMS[jenis]
    while True:
        info = tk.buka_operator_task(kode, no)
        if info["status"] == "selesai":
            return {"no": no, "diterima": True}
        form = form_cls.with_initial_data(description=info["deskripsi"])
        key = f"l{no}-r{info['putaran']}-j{info['ditolak']}"
        logger.info("menunggu operator: langkah %s", no)
        from diklat.settings import get_settings

        answer = _tunggu(form, key, get_settings().approval.poll_seconds)
        isian = answer.model_dump(exclude={"metadata"})
        if not isian.get("selesai", True):
            continue  # "not yet": wait again under the same key after the next resume
        res = tk.masukan_operator_task(kode, no, jenis, isian)
        if res["diterima"]:
            return {"no": no, **res}
        logger.warning("masukan langkah %s ditolak: %s; menunggu lagi", no, res["alasan"])


def surat(kode: str, jenis: str, jalur: Jalur, *, pdf: bool = True) -> dict[str, Any]:
    """One letter step of the SOP table, in one call: draft -> paraf chain -> signature ->
    number -> send -> archive. Skipped without any task call when the ledger read at the
    start says every step of it is done."""
    from tasks import kegiatan as tk

    plan = jalur.rencana[jenis]
    if jenis not in jalur.terbuka and all(not jalur.perlu(no) for no in plan.semua_langkah):
        return {"jenis": jenis, "dilewati": True}
    st = langkah_naskah(kode, jenis, pdf=pdf)
    if st["status"] == "ditolak":
        return st
    if plan.langkah_distribusi:
        st["kirim"] = tk.kirim_task(kode, st["bundel_id"], plan.langkah_distribusi)
    st["arsip"] = tk.arsip_task(kode, st["bundel_id"], plan.langkah_arsip)
    return st


class Jalur:
    """A training's path through its SOP as the flow sees it at (re)start: the catalogue's
    steps and document plans for its conditions, and the ledger's state read in one query."""

    def __init__(self, sop_code: str, kondisi: list[str], state: dict[int, str],
                 terbuka: list[str] | None = None) -> None:
        from diklat.sop.catalogue import get_sop

        self.sop = get_sop(sop_code)
        self.kondisi = kondisi
        self.state = state
        self.terbuka = set(terbuka or ())  # letters issued but not archived yet
        self.rencana = {p.jenis: p for p in self.sop.rencana_naskah(kondisi)}

    def perlu(self, no: int) -> bool:
        """Whether step ``no`` is on the path and not done yet."""
        return self.sop.step(no).applies(self.kondisi) and self.state.get(no) != "selesai"
