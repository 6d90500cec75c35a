"""Thin Prefect task of the SRIKANDI hand-over (:mod:`diklat.laporan.srikandi`): the day's packages and
list under the output folder. Its result carries counts and letter numbers, never a name or a
NIP."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from diklat.db import session_scope
from diklat.settings import get_settings


@task(name="serah-srikandi", task_run_name="srikandi-{tanggal}", cache_policy=NO_CACHE)
def serah_srikandi_task(tanggal: str) -> dict[str, Any]:
    """Package every training's signed letters dated ``tanggal`` (ISO date) under
    ``<output>/srikandi/<tanggal>/`` with the day's list (the same files again on a rerun)."""
    import datetime as dt

    from diklat.laporan.srikandi import harian

    out = get_settings().output_dir
    assert out is not None
    folder = Path(out) / "srikandi" / tanggal
    # Written beside and swapped in whole: a letter voided (or a day emptied) since the last
    # run leaves nothing stale behind, and a failure leaves the previous output as it was.
    fresh = folder.with_name(f".{tanggal}.baru")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    with session_scope() as s:
        hasil = harian(s, dt.date.fromisoformat(tanggal), fresh)
    old = folder.with_name(f".{tanggal}.lama")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    hasil.daftar_harian = [folder / p.name for p in hasil.daftar_harian]
    return {
        **hasil.as_dict(),
        "folder": str(folder),
        "per_kegiatan": [
            {
                "kegiatan": p.kegiatan,
                "surat": len(p.surat),
                "tanpa_ttd": p.tanpa_ttd,
                "berubah": len(p.berubah),
            }
            for p in hasil.paket
        ],
    }
