"""Thin Prefect tasks of the SOPs' SIASN steps: verifying candidates against SIASN, writing the
course records back. Results carry counts and participant numbers only."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from diklat.db import get_engine, session_scope


def _client() -> Any:
    from diklat.clients import siasn_client

    return siasn_client()


def _flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    return str(flow_run.id) if flow_run.id else None


@task(name="verifikasi-siasn", task_run_name="verifikasi-siasn-{kode}", cache_policy=NO_CACHE)
def verifikasi_siasn_task(kode: str, no: int) -> dict[str, Any]:
    """Ask SIASN about each candidate and record its answer (verified, not eligible with the
    reason, not checked: :mod:`diklat.kegiatan.verifikasi`). The step is done only when every
    candidate has an answer; otherwise it waits (``selesai`` false, with the participant
    numbers not checked) and the next call asks again. Counts and numbers only, no NIP."""
    from diklat import masukan
    from diklat.kegiatan import ledger
    from diklat.kegiatan.data import kegiatan_by_kode
    from diklat.kegiatan.verifikasi import verifikasi_calon

    hasil = verifikasi_calon(get_engine(), kode, flow_run_id=_flow_run_id())
    with session_scope() as s:
        k = kegiatan_by_kode(s, kode)
        if hasil.selesai:
            masukan.selesai(
                s,
                k,
                no,
                actor=ledger.SISTEM,
                data={
                    "siasn": {
                        "terverifikasi": hasil.terverifikasi,
                        "tidak_memenuhi": hasil.tidak_memenuhi,
                        "alasan": hasil.alasan,
                        "status": hasil.siasn,
                    }
                },
            )
        else:
            row = ledger.tunggu(s, k, no, flow_run_id=_flow_run_id())
            return {**hasil.as_dict(), "cek": row.ditolak}
    return hasil.as_dict()


@task(name="pemutakhiran-siasn", task_run_name="siasn-{kode}", cache_policy=NO_CACHE)
def pemutakhiran_siasn_task(kode: str) -> dict[str, Any]:
    """Course records and certificates of the passed participants to SIASN (exactly once)."""
    from diklat.kegiatan.writeback import tulis_kursus

    with _client() as client:
        return tulis_kursus(get_engine(), kode, client).as_dict()
