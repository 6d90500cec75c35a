"""Thin Prefect tasks of the SOPs' SIASN steps: verifying candidates against SIASN, writing the
course records back. Results carry counts only."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from diklat.db import get_engine, session_scope


def _client() -> Any:
    from diklat.clients import siasn_client

    return siasn_client()


def _misconfigured(e: BaseException) -> bool:
    """A configuration SIASN cannot work with (wrong base path, half-real URLs), as opposed
    to SIASN being down for a while."""
    from connectors.siasn import SiasnMisconfigured
    from diklat.settings import KonfigurasiSalah

    return isinstance(e, KonfigurasiSalah) or isinstance(e.__cause__, SiasnMisconfigured)


@task(name="verifikasi-siasn", task_run_name="verifikasi-siasn-{kode}", cache_policy=NO_CACHE)
def verifikasi_siasn_task(kode: str, no: int) -> dict[str, Any]:
    """Refresh the candidates' data from SIASN, then mark them verified (the step done)."""
    from diklat import masukan, sync_service
    from diklat.kegiatan import kegiatan_by_kode, peserta_frame

    with session_scope() as s:
        kid = kegiatan_by_kode(s, kode).id
    nips = [str(x) for x in peserta_frame(get_engine(), kid)["nip"]]
    counts: dict[str, Any] = {}
    if nips:
        try:
            counts = dict(sync_service.refresh_from_siasn(get_engine(), nips))
        except Exception as e:  # SIASN down, a sync holding the lock: verify from SIMPEG data
            if _misconfigured(e):  # but a wrong configuration stops the run, with one line
                raise
            counts = {"status": "gagal", "error": type(e).__name__}
    with session_scope() as s:
        k = kegiatan_by_kode(s, kode)
        peserta = masukan.verifikasi(s, k)
        masukan.selesai(s, k, no, data={"siasn": {key: counts.get(key) for key in
                                                 ("updated", "unchanged", "quarantined",
                                                  "status")}})
    return {"peserta": peserta, "siasn": counts.get("status")}


@task(name="pemutakhiran-siasn", task_run_name="siasn-{kode}", cache_policy=NO_CACHE)
def pemutakhiran_siasn_task(kode: str) -> dict[str, Any]:
    """Course records and certificates of the passed participants to SIASN (exactly once)."""
    from diklat.writeback import tulis_kursus

    with _client() as client:
        return tulis_kursus(get_engine(), kode, client).as_dict()
