"""Thin Prefect tasks of the SOP flows: the training started or continued, the ledger read once,
operator inputs applied, letters sent and archived, automatic steps. Results carry codes, ids,
counts and statuses (never a NIP)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from diklat.db import get_engine, session_scope
from diklat.kegiatan.data import DataKegiatan
from diklat.masukan import LangkahMenunggu
from diklat.mulai import MulaiKegiatan
from diklat.settings import get_settings


def _out() -> Path:
    out = get_settings().output_dir
    assert out is not None
    return Path(out)


def _flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    return str(flow_run.id) if flow_run.id else None


@task(name="mulai-kegiatan", cache_policy=NO_CACHE)
def mulai_kegiatan_task(data: DataKegiatan) -> MulaiKegiatan:
    """Create the training (or continue it) and read its ledger in one query. A training
    stopped (a letter refused, the training cancelled) reports it: its run does nothing
    more."""
    from diklat.db import require_schema
    from diklat.mulai import mulai_kegiatan
    from tasks.kunci import pegang_kegiatan

    require_schema()  # migrated by the command or deployment that started it
    pegang_kegiatan(data.kode)  # one live run per training; older runs closed in Prefect
    with session_scope() as s:
        mulai = mulai_kegiatan(s, data, _flow_run_id())
        _tandai_run(mulai.kode, data.sop)
        return mulai


def _tandai_run(kode: str, sop: str) -> None:
    """The run's tags name the training, so its page is found by the code in the UI."""
    run_id = _flow_run_id()
    if run_id is None:
        return
    from uuid import UUID

    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as c:
            fr = c.read_flow_run(UUID(run_id))
            tags = sorted({*(fr.tags or []), kode, f"sop:{sop}"})
            if tags != sorted(fr.tags or []):
                c.update_flow_run(UUID(run_id), tags=tags)
    except Exception:  # noqa: BLE001 - a tag never stops a training
        return


def publikasi_langkah(kode: str) -> None:
    """The training's steps as a table artifact of the run (updated as it goes): step,
    status, round, start, end, deadline and standard time; no names, no NIPs."""
    from prefect.artifacts import create_table_artifact

    from diklat.kegiatan import ledger
    from diklat.kegiatan.data import kegiatan_by_kode

    if _flow_run_id() is None:
        return
    with session_scope() as s:
        k = kegiatan_by_kode(s, kode)
        rows = [
            {
                "langkah": r["no"],
                "status": r["status"],
                "putaran": r["putaran"] or "",
                "mulai": (r["mulai"] or "")[:16].replace("T", " "),
                "selesai": (r["selesai"] or "")[:16].replace("T", " "),
                "tenggat": (r["tenggat"] or "")[:16].replace("T", " "),
                "waktu_baku": r["waktu"],
                "terlambat": "ya" if r["terlambat"] else "",
                "rekonstruksi": "ya" if r["rekonstruksi"] else "",
                "kegiatan": r["kegiatan"][:80],
            }
            for r in ledger.laporan_langkah(s, k)
        ]
        status = k.status
    key = "langkah-" + "".join(c if c.isalnum() else "-" for c in kode.lower())
    try:
        create_table_artifact(
            table=rows, key=key[:60], description=f"Langkah SOP kegiatan {kode} ({status})"
        )
    except Exception:  # noqa: BLE001 - an artifact never stops a training
        return


@task(name="langkah-kegiatan", task_run_name="langkah-{kode}", cache_policy=NO_CACHE)
def publikasi_langkah_task(kode: str) -> None:
    """The steps' table artifact, once more (at the end of a run)."""
    publikasi_langkah(kode)


@task(name="langkah-operator", task_run_name="langkah-{no}-{kode}", cache_policy=NO_CACHE)
def buka_operator_task(kode: str, no: int) -> LangkahMenunggu:
    """Start an outside step as waiting for its operator (the operator desk told once);
    describe it for the form."""
    from diklat import masukan

    with session_scope() as s:
        out = masukan.buka_langkah(s, kode, no, flow_run_id=_flow_run_id(), kirim=_kirim())
    publikasi_langkah(kode)
    return out


def _kirim() -> Any:
    from diklat.naskah.surel import kirim_surel

    return kirim_surel


@task(name="masukan-operator", task_run_name="masukan-{no}-{kode}", cache_policy=NO_CACHE)
def masukan_operator_task(kode: str, no: int, jenis: str, isian: dict[str, Any]) -> dict[str, Any]:
    """Apply an operator's input and record the step done; a refused input is counted (the
    run waits again) and its reason returned."""
    from diklat import masukan
    from diklat.kegiatan.data import kegiatan_by_kode

    try:
        with session_scope() as s:
            k = kegiatan_by_kode(s, kode)
            return masukan.terapkan(s, k, no, jenis, isian)
    except masukan.MasukanDitolak as e:
        with session_scope() as s:
            masukan.tolak(s, kegiatan_by_kode(s, kode), no, str(e))
        return {"diterima": False, "alasan": str(e)}


@task(name="langkah-otomatis", task_run_name="langkah-{no}-{kode}", cache_policy=NO_CACHE)
def langkah_otomatis_task(kode: str, no: int, aksi: str) -> dict[str, Any]:
    """A step the system does itself: plan the candidates from the criteria, recap the
    agencies' proposals, register the participants (recorded as done by ``sistem``)."""
    from diklat import masukan
    from diklat.kegiatan import ledger, usulan
    from diklat.kegiatan.data import jumlah_peserta, kegiatan_by_kode

    with session_scope() as s:
        k = kegiatan_by_kode(s, kode)
        if aksi == "rencana":
            counts = masukan.rencanakan_calon(get_engine(), s, k)
        elif aksi == "rekap_usulan":
            counts = usulan.rekap(s, k)
        elif aksi == "terdaftar":
            counts = masukan.tetapkan_terdaftar(s, k)
        else:
            counts = jumlah_peserta(s, k.id)
        masukan.selesai(s, k, no, actor=ledger.SISTEM, data={"peserta": counts})
        return {"no": no, "peserta": counts}


@task(name="kirim-naskah", task_run_name="kirim-{kode}-{bundel_id}", cache_policy=NO_CACHE)
def kirim_task(kode: str, bundel_id: int, langkah: list[int]) -> dict[str, Any]:
    """Send a bundle's issued letters (at most once per letter and recipient). The SOP's
    sending steps are done only when every delivery is sent or confirmed by hand; until then
    they wait (``belum``: deliveries still open, ``ditolak``: checks so far)."""
    from diklat.kegiatan import ledger
    from diklat.kegiatan.data import kegiatan_by_kode
    from diklat.naskah.langkah import kirim

    hasil = kirim(get_engine(), kode, bundel_id)
    belum = int(hasil.pop("belum", 0))
    note = ", ".join(f"{a} {b}" for a, b in hasil.items())
    cek = 0
    with session_scope() as s:
        k = kegiatan_by_kode(s, kode)
        for no in langkah:
            if belum:
                row = ledger.tunggu(s, k, no, actor=ledger.SISTEM, flow_run_id=_flow_run_id())
                row.note = f"menunggu {belum} pengiriman diselesaikan atau dikonfirmasi; {note}"
                cek = row.ditolak
            else:
                ledger.selesai(s, k, no, actor=ledger.SISTEM, note=note)
    return {**hasil, "belum": belum, "cek": cek}


@task(name="cek-kirim", task_run_name="cek-kirim-{kode}-{no}", cache_policy=NO_CACHE)
def cek_kirim_task(kode: str, no: int) -> int:
    """One more check of a sending step's open deliveries is due (the next wait's key)."""
    from diklat.kegiatan import ledger
    from diklat.kegiatan.data import kegiatan_by_kode

    with session_scope() as s:
        row = ledger.tunggu(s, kegiatan_by_kode(s, kode), no)
        row.ditolak += 1
        return row.ditolak


@task(name="arsip-naskah", task_run_name="arsip-{kode}-{bundel_id}", cache_policy=NO_CACHE)
def arsip_task(kode: str, bundel_id: int, langkah: list[int]) -> int:
    """Archive a bundle's issued letters (content-addressed) and record the archive steps."""
    from diklat.kegiatan import ledger
    from diklat.kegiatan.data import kegiatan_by_kode
    from diklat.naskah.langkah import arsipkan

    made = arsipkan(get_engine(), kode, bundel_id)
    with session_scope() as s:
        k = kegiatan_by_kode(s, kode)
        for no in langkah:
            ledger.selesai(s, k, no, actor=ledger.SISTEM, note=f"{made} arsip baru")
    return made


@task(name="arsip-kegiatan", task_run_name="arsip-{kode}", cache_policy=NO_CACHE)
def arsip_kegiatan_task(kode: str, no: int) -> dict[str, Any]:
    """Archive every issued document of a training and record the step."""
    from diklat import masukan
    from diklat.kegiatan import ledger
    from diklat.kegiatan.data import kegiatan_by_kode
    from diklat.naskah.langkah import arsipkan_kegiatan

    made = arsipkan_kegiatan(get_engine(), kode)
    with session_scope() as s:
        masukan.selesai(
            s, kegiatan_by_kode(s, kode), no, actor=ledger.SISTEM, data={"arsip_baru": made}
        )
    return {"arsip_baru": made}
