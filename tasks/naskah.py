"""Thin Prefect tasks over a training's documents (diklat.naskah.versi)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from diklat.db import get_engine, session_scope
from diklat.kegiatan.data import kegiatan_by_kode
from diklat.naskah import versi
from diklat.settings import get_settings
from diklat.sop.catalogue import get_sop


def _out() -> Path:
    out = get_settings().output_dir
    assert out is not None
    return Path(out)


@task(name="jenis-naskah", cache_policy=NO_CACHE)
def jenis_kegiatan_task(kode: str) -> list[str]:
    """The document types of the training's SOP path, in SOP order (from the catalogue)."""
    with session_scope() as s:
        k = kegiatan_by_kode(s, kode)
        return [r.jenis for r in get_sop(k.sop).rencana_naskah(k.kondisi)]


@task(
    name="bundel-naskah",
    task_run_name="naskah-{kode}-{jenis}",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=2,
)
def bundel_task(kode: str, jenis: str, pdf: bool) -> dict[str, Any]:
    """One bundle drafted (the officials decide on it through their own waits)."""
    return versi.buat_draf(get_engine(), kode, jenis, _out(), pdf=pdf).as_dict()


@task(name="artefak-naskah", cache_policy=NO_CACHE)
def publish_naskah_task(kode: str, hasil: list[dict[str, Any]]) -> None:
    """A table artifact: per document type, how many, status, version, numbers given."""
    rows = [
        {
            "jenis": h["jenis"],
            "jumlah": h["jumlah"],
            "status": h["status"],
            "versi": h["versi"],
            "diberi_nomor": h["diberi_nomor"],
            "dibuat": h["dibuat"],
            "pdf": h["pdf"],
            "manifest": h["manifest"],
        }
        for h in hasil
    ]
    create_table_artifact(
        table=rows,
        key=f"naskah-{kode.lower()}".replace("_", "-")[:60],
        description=f"Naskah kegiatan {kode}",
    )
