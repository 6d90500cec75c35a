"""The process ``tests/test_crash.py`` kills: runs one SOP flow for a training, locally (paused
in-process, answered by the scripted officials of the test process), and SIGKILLs itself at a
chosen point.

``python tests/crash_child.py SOP DATA.json KILL`` where KILL is ``-`` (no kill), ``t:SECONDS``
(a SIGKILL from a timer, wherever the run is) or ``POINT:N`` (SIGKILL right after the N-th call
of that point in this process returned, before its caller could record anything):

* ``render``: drafts of a bundle rendered (DOCX and PDF);
* ``nomor``: a bundle's numbers taken in the register (inside the transaction, uncommitted);
* ``ttd``: a bundle's PDFs signed (before the signed files are recorded);
* ``kirim``: an e-mail written to the outbox (before its delivery row is settled);
* ``arsip``: a file written into the archive (before its index row).

Exits 0 with the flow's result as JSON on stdout when the flow ends.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

POINTS: dict[str, tuple[str, str, str | None]] = {
    # point -> (module, attribute, class or None)
    "render": ("diklat.naskah.versi", "_render_drafts", None),
    "nomor": ("diklat.naskah.register", "register_bundel", None),
    "ttd": ("diklat.naskah.tanda_tangan", "_sign_all", None),
    "kirim": ("connectors.mail", "send", "OutboxTransport"),
    "arsip": ("connectors.archive", "store", "ContentStore"),
}


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _killer(fn: Callable[..., Any], n: int) -> Callable[..., Any]:
    calls = [0]
    lock = threading.Lock()

    def inner(*a: Any, **kw: Any) -> Any:
        out = fn(*a, **kw)
        with lock:
            calls[0] += 1
            if calls[0] >= n:
                _die()
        return out

    return inner


def arm(spec: str) -> None:
    if spec == "-":
        return
    point, _, arg = spec.partition(":")
    if point == "t":
        threading.Timer(float(arg), _die).start()
        return
    import importlib

    mod_name, attr, cls_name = POINTS[point]
    mod = importlib.import_module(mod_name)
    if cls_name is not None:
        cls = getattr(mod, cls_name)
        setattr(cls, attr, _killer(getattr(cls, attr), int(arg)))
        return
    original = getattr(mod, attr)
    wrapped = _killer(original, int(arg))
    # the defining module and every module that imported the function by name
    for m in list(sys.modules.values()):
        if m is not None and getattr(m, attr, None) is original:
            setattr(m, attr, wrapped)


def main(argv: list[str]) -> int:
    sop, data_file, spec = argv
    from diklat.kegiatan.data import DataKegiatan

    data = DataKegiatan.model_validate_json(Path(data_file).read_text())
    if sop == "peningkatan-kapasitas":
        from flows.peningkatan_kapasitas import peningkatan_kapasitas as flow
    else:
        from flows.pengiriman_peserta import pengiriman_peserta as flow
    import diklat.naskah.tanda_tangan  # noqa: F401
    import diklat.naskah.versi  # noqa: F401  (loaded before the points are armed)
    import tasks.kegiatan  # noqa: F401
    import tasks.naskah  # noqa: F401

    arm(spec)
    out = flow(kegiatan=data)
    sys.stdout.write(json.dumps(out, default=str) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
