"""The single-process half of ``tests/test_pool.py``, in a process of its own so that it runs
while the pool works: the same sync and both SOPs, run locally (paused in-process, answered by
scripted officials in a thread) on a database of its own.

``python tests/pool_child.py`` with the world's settings in the environment
(``DIKLAT_DATABASE_URL``, ``DIKLAT_VAR_DIR``, the simulator's URLs, ``PREFECT_API_URL``).
Prints the units the trainings were made for as one JSON line and exits 0 when both SOPs end.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from sqlalchemy import select

    from diklat.db import make_engine, migrate, session_scope
    from diklat.models import UnitKerja
    from diklat.pegawai import sync_service
    from flows.pengiriman_peserta import pengiriman_peserta
    from flows.peningkatan_kapasitas import peningkatan_kapasitas
    from simulator.petugas import Petugas, Skenario
    from tests.sop_support import add_officials
    from tests.test_pool import trainings

    url = os.environ["DIKLAT_DATABASE_URL"]
    migrate(url)
    engine = make_engine(url)
    sync_service.sync_simpeg(engine, full=True)
    add_officials(engine)
    with session_scope(engine) as s:
        units = list(s.execute(select(UnitKerja.kode).order_by(UnitKerja.kode)).scalars().all()[:3])
    petugas = Petugas(
        engine,
        Path(os.environ["DIKLAT_VAR_DIR"]) / "outbox",
        Skenario(kode_salah_oleh=None, revisi=None),
    )
    stop = threading.Event()
    th = threading.Thread(target=petugas.jalan, args=(stop, 0.2), daemon=True)
    th.start()
    try:
        data = trainings(units, "SATU")
        pengiriman_peserta(kegiatan=data[0])
        peningkatan_kapasitas(kegiatan=data[1])
    finally:
        stop.set()
        th.join(timeout=10)
    print(json.dumps(units), flush=True)


if __name__ == "__main__":
    main()
