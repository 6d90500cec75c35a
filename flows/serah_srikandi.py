"""Flow: the records officer's SRIKANDI hand-over of one day (``serah-srikandi``). SRIKANDI has
no public API, so letters are registered there by hand; at the end of each working day this
flow packages every training's signed letters of the day (PDF plus the registration's fields in
CSV and JSON) under the output folder's ``srikandi/<date>/`` with one list of them all, and
shows the counts per training as a table artifact (numbers and counts, no names or NIPs).
Scheduled from ``srikandi_cron`` (15:30 on working days, the agency's time zone); run it by
hand with a date for another day (the day's folder is replaced whole each time). A signed PDF
altered since signing is not handed over and fails the run, with the letters' numbers, after
the others were packaged. Letters signed after the day's run are packaged by running it again
for that date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from diklat import waktu
from diklat.laporan.srikandi import pesan_berubah, pesan_tanpa_ttd
from tasks.srikandi import serah_srikandi_task

DEPLOYMENT_NAME = "harian"


class PdfBerubah(RuntimeError):
    """Signed PDFs missing or no longer matching what was signed (one line)."""


@task(name="artefak-srikandi", cache_policy=NO_CACHE)
def _artefak(hasil: dict[str, Any]) -> None:
    create_table_artifact(
        table=hasil["per_kegiatan"]
        or [{"kegiatan": "-", "surat": 0, "tanpa_ttd": 0, "berubah": 0}],
        key=f"srikandi-{hasil['tanggal']}",
        description=(
            f"Serah SRIKANDI {hasil['tanggal']}: {hasil['surat']} naskah dari "
            f"{len(hasil['per_kegiatan'])} kegiatan. Paket dan daftar harian: "
            f"{hasil['folder']}"
        ),
    )


def _hari_jadwal() -> dt.date:
    """The day this run was scheduled for, in the agency's time zone (a run that starts late,
    after the machine was off at 15:30, still packages its own day)."""
    from prefect.runtime import flow_run

    when = flow_run.scheduled_start_time
    return when.astimezone(waktu.zona()).date()


@flow(name="serah-srikandi", flow_run_name="srikandi-harian", log_prints=False)
def serah_srikandi(tanggal: dt.date | None = None) -> dict[str, Any]:
    """``tanggal``: the letters' date (empty: the day the run was scheduled for, in the
    agency's time zone)."""
    hasil = serah_srikandi_task((tanggal or _hari_jadwal()).isoformat())
    _artefak(hasil)
    logger = get_run_logger()
    logger.info(
        "serah SRIKANDI %s: %d naskah dari %d kegiatan",
        hasil["tanggal"],
        hasil["surat"],
        len(hasil["per_kegiatan"]),
    )
    if hasil["tanpa_ttd"]:
        logger.warning(pesan_tanpa_ttd(hasil["tanpa_ttd"]))
    if hasil["gagal"]:
        raise PdfBerubah(f"tidak dipaketkan: {'; '.join(hasil['gagal'])}")
    if hasil["berubah"]:
        raise PdfBerubah(pesan_berubah(hasil["berubah"]))
    return hasil


def deployment(**kw: Any) -> Any:
    from prefect.schedules import Cron

    from diklat.settings import get_settings

    s = get_settings()
    return serah_srikandi.to_deployment(
        name=DEPLOYMENT_NAME,
        tags=["srikandi", "arsip"],
        schedules=[Cron(s.srikandi_cron, timezone=s.timezone)],
        description="Paket serah SRIKANDI dan daftar harian petugas arsip (semua kegiatan, "
        "naskah bertanggal hari ini atau tanggal yang diisi)",
        **kw,
    )
