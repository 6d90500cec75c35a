"""A process that starts a training's run the way the SOP flows do (their first task,
``mulai_kegiatan_task``), then stays in the run for a while: ``tests/test_kunci_kegiatan.py``
kills it, or starts two of them at once.

``python tests/kunci_child.py KODE SECONDS [GO_FILE]``: prints ``SIAP`` once imported, waits
for ``GO_FILE`` to exist (when given), runs the flow (``MULAI`` once the training is taken,
then ``SECONDS`` of sleep) and prints its final state as one JSON line."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time

from prefect import flow

from diklat.kegiatan.data import DataKegiatan
from tasks.kegiatan import mulai_kegiatan_task
from tests.sop_support import LENGKAP


def data(kode: str) -> DataKegiatan:
    mulai = dt.date.today() + dt.timedelta(days=30)
    return DataKegiatan(
        kode=kode,
        sop="peningkatan-kapasitas",
        nama="Pelatihan Kunci",
        mulai=mulai,
        selesai=mulai + dt.timedelta(days=2),
        **LENGKAP,
    )


@flow(name="uji-kunci-kegiatan", flow_run_name="pk-{kode}", log_prints=False)
def uji(kode: str, tidur: float = 0.0) -> str:
    mulai_kegiatan_task(data(kode))
    print("MULAI", flush=True)
    time.sleep(tidur)
    return "selesai"


if __name__ == "__main__":
    print("SIAP", flush=True)
    if len(sys.argv) > 3:
        while not os.path.exists(sys.argv[3]):
            time.sleep(0.001)
    state = uji(sys.argv[1], float(sys.argv[2]), return_state=True)
    print(json.dumps({"state": state.type.value, "message": state.message}), flush=True)
