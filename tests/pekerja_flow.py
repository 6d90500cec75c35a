"""A flow for tests/test_pekerja.py: it writes down which process ran it and what that process
had imported before the flow started, then sleeps as long as asked."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from prefect import flow


@flow(name="uji-pekerja")
def uji_pekerja(catatan: str, tidur: float = 0.0) -> None:
    Path(catatan).write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "ppid": os.getppid(),
                "cwd": os.getcwd(),
                "sop_dimuat": "flows.peningkatan_kapasitas" in sys.modules,
                "stdin_tty": os.isatty(0),
            }
        ),
        encoding="utf-8",
    )
    print("uji-pekerja jalan", flush=True)
    time.sleep(tidur)
