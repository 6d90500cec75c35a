"""Thin Prefect tasks of the paraf and signature steps (diklat.naskah.persetujuan,
diklat.naskah.langkah). Results carry ids, counts and statuses: never a code or a NIP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from diklat.db import get_engine, session_scope
from diklat.naskah.langkah import KeadaanNaskah
from diklat.naskah.perbaikan import TungguPerbaikan
from diklat.naskah.persetujuan import Hasil, PermintaanTerbuka
from diklat.settings import get_settings


def _out() -> Path:
    out = get_settings().output_dir
    assert out is not None
    return Path(out)


def kirim_surel(surat: Any) -> None:
    """Send an official's e-mail (a one-time code, a reminder) through the configured
    transport (the file outbox by default)."""
    from diklat.naskah.surel import kirim_surel as kirim

    kirim(surat)


def ui_base() -> str | None:
    """The Prefect UI's address as this process knows it (for links in e-mails)."""
    try:
        from prefect.settings import get_current_settings

        cur = get_current_settings()
        url = cur.ui_url or (str(cur.api.url).removesuffix("/api") if cur.api.url else None)
        return str(url) if url else None
    except Exception:  # an unusual Prefect configuration: the domain falls back itself
        return None


@task(name="buka-permintaan", task_run_name="permintaan-{kode}-{urutan}", cache_policy=NO_CACHE)
def buka_permintaan_task(
    kode: str,
    bundel_id: int | None,
    urutan: int,
    flow_run_id: str | None,
    langkah: int | None = None,
) -> PermintaanTerbuka:
    """Open the request of one level of a bundle's chain, or of a disposition at step
    ``langkah`` (once), send the code (once), describe it for the form."""
    from diklat.kegiatan.data import kegiatan_by_kode
    from diklat.naskah import persetujuan as p
    from tasks.kegiatan import publikasi_langkah

    with session_scope() as ses:
        out = p.buka_permintaan(
            ses,
            kegiatan_by_kode(ses, kode),
            bundel_id,
            urutan,
            flow_run_id=flow_run_id,
            langkah=langkah,
            kirim=kirim_surel,
            ui_base=ui_base(),
        )
    publikasi_langkah(kode)
    return out


@task(name="putuskan", cache_policy=NO_CACHE)
def putuskan_task(
    permintaan_id: int,
    nip: str,
    kode: str,
    keputusan: str,
    catatan: str,
    flow_run_id: str | None,
    dokumen: list[int] | None = None,
) -> Hasil:
    """Check one answer; a refused one is committed (audited, counted) and returned."""
    from diklat.naskah import persetujuan as p

    with session_scope() as ses:
        return p.putuskan(
            ses,
            permintaan_id,
            nip=nip,
            kode=kode,
            keputusan=keputusan,
            catatan=catatan,
            flow_run_id=flow_run_id,
            kirim=kirim_surel,
            ui_base=ui_base(),
            dokumen=dokumen or None,
        )


@task(name="alasan-kegiatan", cache_policy=NO_CACHE)
def alasan_kegiatan_task(kode: str) -> str:
    """Why a training stopped (for the run's final message)."""
    from diklat.kegiatan.data import kegiatan_by_kode

    with session_scope() as ses:
        k = kegiatan_by_kode(ses, kode)
        return k.status_alasan or f"kegiatan {k.status}"


@task(name="buka-perbaikan", task_run_name="perbaikan-{kode}-{jenis}", cache_policy=NO_CACHE)
def buka_perbaikan_task(kode: str, jenis: str, flow_run_id: str | None) -> TungguPerbaikan:
    """Whether the letter still waits for its correction, and the form's description."""
    from diklat.naskah import perbaikan

    with session_scope() as ses:
        return perbaikan.buka(ses, kode, jenis, flow_run_id=flow_run_id, kirim=kirim_surel)


@task(name="perbaikan", task_run_name="perbaikan-{kode}-{jenis}", cache_policy=NO_CACHE)
def perbaikan_task(kode: str, jenis: str, isian: dict[str, Any]) -> dict[str, Any]:
    """Take a correction from the form (uploaded files are names inside the import folder);
    a refused one is counted on the corrector's ledger row and its reason kept."""
    from diklat.naskah import perbaikan

    try:
        h = perbaikan.dari_formulir(get_engine(), kode, jenis, isian, _out())
        return {"diterima": True, "versi": h.versi, "diubah": h.diubah}
    except perbaikan.PerbaikanDitolak as e:
        with session_scope() as ses:
            perbaikan.tolak(ses, kode, jenis, str(e))
        return {"diterima": False, "alasan": str(e)}


@task(name="belum-boleh", task_run_name="tanggal-{kode}-{jenis}", cache_policy=NO_CACHE)
def belum_boleh_task(kode: str, jenis: str) -> str | None:
    """The day a document may first exist when that is still to come (ISO), else None."""
    from diklat.kegiatan.data import kegiatan_by_kode
    from diklat.naskah.isi import tanggal_paling_awal
    from diklat.naskah.register import today

    with session_scope() as ses:
        earliest = tanggal_paling_awal(jenis, kegiatan_by_kode(ses, kode))
    return earliest.isoformat() if earliest is not None and earliest > today() else None


@task(
    name="keadaan-naskah",
    task_run_name="naskah-{kode}-{jenis}",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=2,
)
def keadaan_bundel_task(kode: str, jenis: str, pdf: bool) -> KeadaanNaskah:
    """The current version drafted; what is left of its chain."""
    from diklat.naskah.langkah import siapkan

    return siapkan(get_engine(), kode, jenis, _out(), pdf=pdf)


@task(name="terbitkan-naskah", task_run_name="terbitkan-{kode}-{bundel_id}", cache_policy=NO_CACHE)
def terbitkan_bundel_task(kode: str, bundel_id: int, pdf: bool) -> KeadaanNaskah:
    """Number, issue, stamp and sign (or make final) a decided bundle."""
    from diklat.naskah.langkah import selesaikan

    return selesaikan(get_engine(), kode, bundel_id, _out(), pdf=pdf)


@task(name="pantau-tenggat", cache_policy=NO_CACHE)
def pantau_tenggat_task() -> dict[str, int]:
    from diklat.naskah import persetujuan as p

    with session_scope() as ses:
        return p.pantau_tenggat(ses, kirim_surel).as_dict()


@task(name="lanjutkan-tanggal", cache_policy=NO_CACHE)
def lanjutkan_tanggal_task() -> int:
    """Resume the runs that wait for a date that has come (agency's calendar)."""
    from diklat.naskah.register import today
    from tasks.lanjut import lanjutkan_tanggal

    return lanjutkan_tanggal(today())
