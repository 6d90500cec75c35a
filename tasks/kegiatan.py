"""Thin Prefect tasks of the SOP flows: the training started or continued, the ledger read once,
operator inputs applied, letters sent and archived, automatic steps. Results carry codes, ids,
counts and statuses (never a NIP)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from diklat.db import get_engine, session_scope
from diklat.kegiatan import DataKegiatan
from diklat.settings import get_settings


def _out() -> Path:
    out = get_settings().output_dir
    assert out is not None
    return Path(out)


def _flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    return str(flow_run.id) if flow_run.id else None


@task(name="mulai-kegiatan", cache_policy=NO_CACHE)
def mulai_kegiatan_task(data: DataKegiatan) -> dict[str, Any]:
    """Create the training (or continue it: the same code and data) and read its ledger in
    one query: ``{"kode", "langkah": {no: status}}``."""
    from diklat import ledger
    from diklat.db import migrate
    from diklat.kegiatan import simpan_kegiatan
    from tasks.kunci import pegang_kegiatan

    migrate()
    pegang_kegiatan(data.kode)  # one live run per training; older runs closed in Prefect
    with session_scope() as s:
        k = simpan_kegiatan(s, data)
        k.flow_run_id = _flow_run_id()
        state = ledger.keadaan(s, k.id)
        return {"kode": k.kode, "langkah": {no: lg.status for no, lg in state.items()},
                "naskah_terbuka": naskah_terbuka(s, k.id)}


def naskah_terbuka(s: Any, kegiatan_id: int) -> list[str]:
    """Document types whose newest version is issued or on its way but not archived yet (one
    query): a letter whose ledger steps are all done may still owe its sending or archiving
    when the run before was killed in between."""
    from sqlalchemy import select

    from diklat.models import Bundel
    from diklat.naskah import status as st

    newest: dict[str, tuple[int, str]] = {}
    for jenis, versi, status in s.execute(select(Bundel.jenis, Bundel.versi, Bundel.status)
                                          .where(Bundel.kegiatan_id == kegiatan_id)):
        if jenis not in newest or versi > newest[jenis][0]:
            newest[jenis] = (versi, status)
    return sorted(j for j, (_v, status) in newest.items()
                  if status not in (st.DIARSIPKAN, st.DITOLAK))


@task(name="langkah-operator", task_run_name="langkah-{no}-{kode}", cache_policy=NO_CACHE)
def buka_operator_task(kode: str, no: int) -> dict[str, Any]:
    """Start an outside step as waiting for its operator; describe it for the form."""
    from diklat import ledger
    from diklat.kegiatan import kegiatan_by_kode, peserta_frame
    from diklat.sop.catalogue import get_sop

    with session_scope() as s:
        k = kegiatan_by_kode(s, kode)
        row = ledger.tunggu(s, k, no, flow_run_id=_flow_run_id())
        sop = get_sop(k.sop)
        step = sop.step(no)
        out = {"status": row.status, "putaran": row.putaran, "ditolak": row.ditolak,
               "tenggat": row.deadline.isoformat() if row.deadline else None}
        kid = k.id
        pelaksana = ", ".join(sop.pelaksana_nama(step))
    df = peserta_frame(get_engine(), kid)
    df = df[~df["status"].isin(["batal", "ditolak"])]
    daftar = [f"{int(r.nomor_urut)}. {r.nama} ({r.unit_nama or '-'}), {r.status}"
              for r in df.itertuples()][:200]
    out["deskripsi"] = "\n".join([
        f"### Langkah {no}: {step.kegiatan}", "",
        f"- **Pelaksana:** {pelaksana}",
        f"- **Kelengkapan:** {step.kelengkapan}", f"- **Output:** {step.output}",
        f"- **Waktu baku:** {step.waktu}", f"- **Tenggat:** {out['tenggat'] or '-'}", "",
        "Isi setelah langkah ini dilaksanakan. Peserta disebut dengan nomor urutnya:", "",
        *[f"    {x}" for x in daftar]])
    return out


def _waktu(value: Any) -> dt.datetime | None:
    """``YYYY-MM-DD HH:MM`` in the agency's time zone (empty: now); refused when unreadable
    or in the future."""
    from zoneinfo import ZoneInfo

    from diklat import masukan
    from diklat.models.base import utcnow

    if value in (None, ""):
        return None
    try:
        w = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(
            str(value).strip())
    except ValueError:
        raise masukan.MasukanDitolak(f"waktu: {value!r} tidak terbaca; tulis YYYY-MM-DD HH:MM"
                                     ) from None
    if w.tzinfo is None:
        w = w.replace(tzinfo=ZoneInfo(get_settings().timezone))
    if w > utcnow() + dt.timedelta(minutes=5):
        raise masukan.MasukanDitolak("waktu: tidak boleh di masa depan")
    return w


@task(name="masukan-operator", task_run_name="masukan-{no}-{kode}", cache_policy=NO_CACHE)
def masukan_operator_task(kode: str, no: int, jenis: str, isian: dict[str, Any]) -> dict[str, Any]:
    """Apply an operator's input and record the step done; a refused input is counted (the
    run waits again) and its reason returned."""
    from diklat import masukan
    from diklat.kegiatan import kegiatan_by_kode
    from diklat.models import SopStepLog

    try:
        waktu = _waktu(isian.get("waktu"))
        with session_scope() as s:
            k = kegiatan_by_kode(s, kode)
            data: dict[str, Any] = {}
            if jenis == "balasan":
                counts = masukan.balasan_instansi(s, k, isian.get("ditarik") or [])
                data = {"ditarik": isian.get("ditarik") or []}
            elif jenis == "kehadiran":
                counts = masukan.tetapkan_terdaftar(s, k, isian.get("tidak_hadir") or [])
                data = {"tidak_hadir": isian.get("tidak_hadir") or []}
            elif jenis == "pendaftaran":
                counts = masukan.catat_hadir(s, k, isian.get("tidak_hadir") or [])
                data = {"tidak_hadir": isian.get("tidak_hadir") or []}
            elif jenis == "kit":
                masukan._nomor(s, k, isian.get("penerima") or [], "penerima")
                counts = {}
                data = {"penerima_kit": sorted(isian.get("penerima") or [])}
            elif jenis == "hasil":
                counts = masukan.catat_hasil(s, k, isian.get("tidak_lulus") or [],
                                             float(isian.get("nilai_lulus") or 80),
                                             isian.get("nomor_sertifikat") or {})
                data = {"tidak_lulus": isian.get("tidak_lulus") or []}
            else:
                counts = {}
            masukan.selesai(s, k, no, waktu=waktu, catatan=isian.get("catatan") or None,
                            data=data or None)
            return {"diterima": True, "peserta": counts}
    except masukan.MasukanDitolak as e:
        with session_scope() as s:
            from sqlalchemy import select

            k = kegiatan_by_kode(s, kode)
            row = s.execute(select(SopStepLog).where(
                SopStepLog.kegiatan_id == k.id, SopStepLog.step_no == no)
                .order_by(SopStepLog.putaran.desc()).limit(1)).scalar_one()
            row.ditolak += 1
        return {"diterima": False, "alasan": str(e)}


@task(name="langkah-otomatis", task_run_name="langkah-{no}-{kode}", cache_policy=NO_CACHE)
def langkah_otomatis_task(kode: str, no: int, aksi: str) -> dict[str, Any]:
    """A step the system does itself: plan the candidates, verify them, register them."""
    from diklat import masukan
    from diklat.kegiatan import jumlah_peserta, kegiatan_by_kode

    with session_scope() as s:
        k = kegiatan_by_kode(s, kode)
        if aksi == "rencana":
            counts = masukan.rencanakan_calon(get_engine(), s, k)
        elif aksi == "verifikasi":
            counts = masukan.verifikasi(s, k)
        elif aksi == "terdaftar":
            counts = masukan.tetapkan_terdaftar(s, k)
        else:
            counts = jumlah_peserta(s, k.id)
        masukan.selesai(s, k, no, data={"peserta": counts})
        return {"no": no, "peserta": counts}


@task(name="kirim-naskah", task_run_name="kirim-{kode}-{bundel_id}", cache_policy=NO_CACHE)
def kirim_task(kode: str, bundel_id: int, langkah: list[int]) -> dict[str, Any]:
    """Send a bundle's issued letters (at most once per letter and recipient) and record the
    SOP's distribution steps done."""
    from diklat import ledger
    from diklat.kegiatan import kegiatan_by_kode
    from diklat.langkah_naskah import kirim

    counts = kirim(get_engine(), kode, bundel_id)
    with session_scope() as s:
        k = kegiatan_by_kode(s, kode)
        for no in langkah:
            ledger.selesai(s, k, no, note=", ".join(f"{a} {b}" for a, b in counts.items()))
    return counts


@task(name="arsip-naskah", task_run_name="arsip-{kode}-{bundel_id}", cache_policy=NO_CACHE)
def arsip_task(kode: str, bundel_id: int, langkah: list[int]) -> int:
    """Archive a bundle's issued letters (content-addressed) and record the archive steps."""
    from diklat import ledger
    from diklat.kegiatan import kegiatan_by_kode
    from diklat.langkah_naskah import arsipkan

    made = arsipkan(get_engine(), kode, bundel_id)
    with session_scope() as s:
        k = kegiatan_by_kode(s, kode)
        for no in langkah:
            ledger.selesai(s, k, no, note=f"{made} arsip baru")
    return made


@task(name="arsip-kegiatan", task_run_name="arsip-{kode}", cache_policy=NO_CACHE)
def arsip_kegiatan_task(kode: str, no: int) -> dict[str, Any]:
    """Archive every issued document of a training and record the step."""
    from sqlalchemy import select

    from diklat import masukan
    from diklat.kegiatan import kegiatan_by_kode
    from diklat.langkah_naskah import arsipkan
    from diklat.models import Bundel

    with session_scope() as s:
        k = kegiatan_by_kode(s, kode)
        ids = s.execute(select(Bundel.id).where(Bundel.kegiatan_id == k.id)).scalars().all()
    made = sum(arsipkan(get_engine(), kode, bid) for bid in ids)
    with session_scope() as s:
        masukan.selesai(s, kegiatan_by_kode(s, kode), no, data={"arsip_baru": made})
    return {"arsip_baru": made}
