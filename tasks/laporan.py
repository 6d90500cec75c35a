"""Thin Prefect tasks of the reports (:mod:`diklat.laporan.rekap`): write the files, publish what the
orchestrator may show (steps, times, judgements: never a name or a NIP), archive the files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from diklat.db import session_scope
from diklat.settings import get_settings


def _folder(kode: str) -> Path:
    out = get_settings().output_dir
    assert out is not None
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in kode)
    return Path(out) / safe / "laporan"


@task(name="tulis-kepatuhan", task_run_name="kepatuhan-{kode}", cache_policy=NO_CACHE)
def tulis_kepatuhan_task(kode: str) -> dict[str, Any]:
    """Measure the training and write ``kepatuhan-<kode>.xlsx`` and ``.png`` under its output
    folder: ``{"xlsx", "png", "ringkasan", "tabel"}``."""
    from diklat.laporan.rekap import kepatuhan, tabel_artefak, tulis_kepatuhan

    with session_scope() as s:
        hasil = kepatuhan(s, kode)
    files = tulis_kepatuhan(hasil, _folder(kode) / f"kepatuhan-{kode}.xlsx")
    return {
        "xlsx": str(files["xlsx"]),
        "png": str(files["png"]),
        "ringkasan": hasil.ringkasan,
        "tabel": tabel_artefak(hasil),
    }


@task(name="artefak-kepatuhan", cache_policy=NO_CACHE)
def publish_kepatuhan_task(kode: str, hasil: dict[str, Any]) -> None:
    """A table artifact of the training's steps; the summary and the chart's path above it."""
    r = hasil["ringkasan"]
    persen = r["persen_tepat_waktu"]
    create_table_artifact(
        table=hasil["tabel"],
        key=f"kepatuhan-{kode.lower()}".replace("_", "-")[:60],
        description=(
            f"Kepatuhan SOP {r['sop']} kegiatan {kode}: {r['selesai']} dari "
            f"{r['langkah']} langkah selesai, {r['terlambat']} putaran terlambat, "
            f"{'-' if persen is None else f'{persen}%'} tepat waktu. "
            f"Grafik: {hasil['png']}; Excel: {hasil['xlsx']}"
        ),
    )


@task(name="arsip-laporan", task_run_name="arsip-laporan-{kode}", cache_policy=NO_CACHE)
def arsip_laporan_task(kode: str, paths: list[str], jenis: str, klasifikasi: str) -> int:
    """Archive report files for the training (idempotent per content); how many entries."""
    from diklat.arsip import arsipkan
    from diklat.kegiatan.data import kegiatan_by_kode

    with session_scope() as s:
        kid = kegiatan_by_kode(s, kode).id
        return len(
            [arsipkan(s, p, kegiatan_id=kid, jenis=jenis, klasifikasi=klasifikasi) for p in paths]
        )
