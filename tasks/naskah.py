"""Thin Prefect tasks over a training's documents (diklat.dokumen, diklat.kegiatan)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task

from diklat import dokumen
from diklat.db import get_engine
from diklat.settings import get_settings


def _out() -> Path:
    out = get_settings().output_dir
    assert out is not None
    return Path(out)


@task(name="siapkan-draf", retries=1, retry_delay_seconds=2)
def siapkan_draf_task(kode: str, jenis: list[str]) -> dict[str, int]:
    return dokumen.siapkan_draf(get_engine(), kode, jenis, _out())


@task(name="tanda-tangan-demo")
def tanda_tangan_demo_task(kode: str) -> int:
    """Demo only: stands in for the paraf chain and signature (a later issue)."""
    return dokumen.tanda_tangan_demo(get_engine(), kode)


@task(name="terbitkan-naskah", retries=1, retry_delay_seconds=2)
def terbitkan_task(kode: str, pdf: bool) -> dict[str, Any]:
    return dokumen.terbitkan(get_engine(), kode, _out(), pdf=pdf)
