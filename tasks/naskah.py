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
    from sqlalchemy import select

    from diklat.db import session_scope
    from diklat.models import Kegiatan, Naskah
    from diklat.persiapan import pejabat

    n = 0
    with session_scope() as s:
        k = s.execute(select(Kegiatan).where(Kegiatan.kode == kode)).scalar_one()
        kepala = pejabat(s, "kepala")
        for naskah in s.execute(select(Naskah).where(Naskah.kegiatan_id == k.id,
                                                     Naskah.status == "draf")).scalars():
            n += dokumen.tandai_ditandatangani(
                s, naskah, nip=kepala.nip,
                alasan="demo: ditandatangani otomatis; alur paraf dan tanda tangan menyusul")
    return n


@task(name="terbitkan-naskah", retries=1, retry_delay_seconds=2)
def terbitkan_task(kode: str, pdf: bool) -> dict[str, Any]:
    return dokumen.terbitkan(get_engine(), kode, _out(), pdf=pdf)
