"""Training benchmark: ``python -m bench training [--peserta 500] [--opd 20]``.

One SOP 000 training (*Peningkatan Kapasitas Kinerja ASN*) from planning to the SIASN
write-back for ``peserta`` participants from ``opd`` agencies, on a fresh SQLite database, the
bundled simulator, a temporary Prefect server, with scripted officials and operators answering
every wait at once (``simulator.petugas``: codes read from the outbox, the run resumed through
the Prefect API). Prints one JSON line:

* ``seconds``: the whole training (the flow run, waits included);
* ``own_seconds``: time inside the project's own code (the bodies of the tasks: rendering,
  PDF, signing, register, e-mail, archive, SIASN, database);
* ``prefect_share``: the rest as a share of ``seconds``: Prefect's machinery (flow and task
  orchestration, pausing and resuming, the pause's polling of the API), plus the scripted
  officials' own polling;
* ``floor_seconds``: measured after the run on the training's own final letters: one
  LibreOffice conversion of all of them merged (in the converter's files of at most
  ``connectors.pdf.CHUNK`` letters per template, one ``soffice`` call) plus the SHA-256 of
  every resulting PDF; ``vs_floor`` = ``seconds / floor_seconds`` and
  ``issuing_vs_floor`` = the issuing task's own time / ``floor_seconds``;
* ``peak_rss_mb``: the highest sum, sampled every 0.2 s, of the resident memory of this
  process and its children doing the training's work (LibreOffice, signing workers); a
  child caught between fork and exec (same command line as its parent) is not counted: it
  shows its parent's pages, not memory of its own;
  ``peak_rss_all_mb`` adds the bench's own helpers (the simulator standing in for SIMPEG and
  SIASN, the temporary Prefect server);
* ``own_by_task``: the per-part breakdown (seconds inside each task's function, summed);
* ``libreoffice_kept``: how many times the run started the LibreOffice it keeps running for
  its conversions (``null`` with ``DIKLAT_PDF_BRIDGE=0`` or without Debian's ``python3-uno``:
  every batch then starts its own ``soffice``).

The naive baselines of the parts are the other suites: ``letters`` (docxtpl per letter against
the compiled template; one LibreOffice call per letter against merged batches) and ``register``
(one transaction per number against a bundle in one transaction).

Setup (the employees' sync, the officials) is done before the clock starts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def _emit(row: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(row) + "\n")
    sys.stdout.flush()


class _Timer:
    """Wraps every task's function with a clock (the time inside our own code)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self.per_task: dict[str, float] = {}
        self._lock = threading.Lock()

    def wrap(self, module: Any) -> None:
        from prefect import Task

        for name in dir(module):
            t = getattr(module, name)
            if isinstance(t, Task) and not getattr(t.fn, "_timed", False):
                t.fn = self._timed(t.fn, t.name)

    def _timed(self, fn: Any, name: str) -> Any:
        import functools

        @functools.wraps(fn)
        def inner(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                with self._lock:
                    spent = time.perf_counter() - t0
                    self.seconds += spent
                    self.calls += 1
                    self.per_task[name] = self.per_task.get(name, 0.0) + spent

        inner._timed = True  # type: ignore[attr-defined]
        return inner


class _RssPoller:
    """Samples the resident memory of this process and its descendants (``/proc``)."""

    HELPERS = ("simulator", "prefect", "uvicorn")

    def __init__(self) -> None:
        self.peak_work = 0.0
        self.peak_all = 0.0
        self._stop = threading.Event()
        self._th = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> _RssPoller:
        self._th.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._th.join(timeout=2)

    @staticmethod
    def _children(pid: int) -> list[int]:
        """Direct children of ``pid`` (``/proc/<pid>/task/<tid>/children``), cheap."""
        out: list[int] = []
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return out
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out.extend(int(c) for c in f.read().split())
            except (OSError, ValueError):
                continue
        return out

    @staticmethod
    def _rss_mb(pid: int) -> tuple[float, str]:
        try:
            with open(f"/proc/{pid}/status") as f:
                rss = next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            return 0.0, ""
        return rss / 1024.0, cmd

    def sample(self) -> None:
        work, me = self._rss_mb(os.getpid())
        helpers = 0.0
        todo = [(k, False, me) for k in self._children(os.getpid())]
        while todo:
            pid, helper, parent_cmd = todo.pop()
            mb, cmd = self._rss_mb(pid)
            if cmd == parent_cmd:
                # forked (vfork) and not yet exec'd: it shows its parent's memory as its own
                # (the same pages) for the instant before it becomes, say, pdftotext
                continue
            helper = helper or any(h in cmd for h in self.HELPERS)
            if helper:
                helpers += mb
            else:
                work += mb
            todo.extend((k, helper, cmd) for k in self._children(pid))
        self.peak_work = max(self.peak_work, work)
        self.peak_all = max(self.peak_all, work + helpers)

    def _loop(self) -> None:
        while not self._stop.wait(0.2):
            self.sample()


def floor(engine: Any) -> tuple[float, int]:
    """The converter's cost for the training's final letters (:func:`bench.letters.
    converter_floor`: merged as the converter merges them, one ``soffice`` call, hashing the
    PDFs): what issuing them cannot go below."""
    import shutil

    from sqlalchemy import select

    from bench.letters import converter_floor
    from diklat.db import session_scope
    from diklat.models import NaskahBerkas

    with session_scope(engine) as s:
        paths = [
            Path(p)
            for p in s.scalars(
                select(NaskahBerkas.path)
                .where(NaskahBerkas.peran == "final_docx")
                .order_by(NaskahBerkas.id)
            )
        ]
    work = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    try:
        return converter_floor(paths, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def hitung(engine: Any) -> dict[str, int]:
    """What the training produced: participants, numbers, signed letters, e-mails sent."""
    from sqlalchemy import func, select

    from diklat.db import session_scope
    from diklat.models import Distribusi, NaskahBerkas, Peserta, RegisterEntry

    def count(model: Any, *where: Any) -> int:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    with session_scope(engine) as s:
        return {
            "peserta": count(Peserta),
            "nomor": count(RegisterEntry),
            "ditandatangani": count(NaskahBerkas, NaskahBerkas.peran == "ttd_pdf"),
            "email": count(Distribusi, Distribusi.status == "terkirim"),
        }


def siapkan(engine: Any, peserta: int, opd: int, kode: str) -> tuple[list[str], Any]:
    """The officials, an e-mail address for every agency, and the SOP 000 training of
    ``peserta`` participants from the ``opd`` agencies with the most employees in group III
    (after the employees' sync)."""
    from cli.demo import siapkan_instansi
    from diklat.kegiatan.data import DataKegiatan
    from diklat.naskah.register import today

    units = siapkan_instansi(engine, opd, "bench.go.id")
    mulai = today()  # held on the bench's day: nothing is recorded ahead of its date
    return units, DataKegiatan(
        kode=kode,
        sop="peningkatan-kapasitas",
        nama="Pelatihan Benchmark",
        jenis_diklat_id="3",
        mulai=mulai,
        selesai=mulai,
        tempat="Aula",
        jp=24,
        kuota=peserta,
        lembaga_narasumber="BPSDM Provinsi",
        materi=["Anjab", "ABK"],
        kriteria={"unit": units},  # type: ignore[arg-type]
    )


def run(peserta: int, opd: int, pegawai: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-training-"))
    os.environ["DIKLAT_VAR_DIR"] = str(work / "var")
    os.environ["DIKLAT_APPROVAL__POLL_SECONDS"] = "0.25"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from cli.prefect_server import start_prefect_server_if_needed

    server = start_prefect_server_if_needed()
    from diklat.settings import get_settings, reset_settings_cache
    from simulator.server import SimulatorProcess

    reset_settings_cache()
    sim = SimulatorProcess(n_pegawai=pegawai, seed=3, bad_share=0.0)
    sim.start()
    os.environ.update(sim.env())
    reset_settings_cache()
    try:
        from diklat.db import get_engine, migrate
        from diklat.pegawai import sync_service

        migrate()
        engine = get_engine()
        sync_service.sync_simpeg(engine, full=True)
        if server is not None:
            server.wait_ready()
        units, data = siapkan(engine, peserta, opd, "BENCH-PK-1")
        import tasks.kegiatan
        import tasks.naskah
        import tasks.persetujuan
        import tasks.siasn
        from flows.peningkatan_kapasitas import peningkatan_kapasitas
        from simulator.petugas import Petugas, Skenario

        timer = _Timer()
        for m in (tasks.kegiatan, tasks.naskah, tasks.persetujuan, tasks.siasn):
            timer.wrap(m)
        petugas = Petugas(
            engine,
            Path(get_settings().outbox_dir or ""),
            Skenario(kode_salah_oleh=None, revisi=None),
        )
        stop = threading.Event()
        th = threading.Thread(target=petugas.jalan, args=(stop, 0.2), daemon=True)
        th.start()
        t0 = time.perf_counter()
        with _RssPoller() as rss:
            try:
                out = peningkatan_kapasitas(kegiatan=data)
            finally:
                stop.set()
                th.join(timeout=10)
            seconds = time.perf_counter() - t0
        floor_s, floor_docs = floor(engine)
        n = hitung(engine)
        del out
        return {
            "scenario": "training",
            **n,
            "opd": len(units),
            "waits": petugas.catatan.keputusan + petugas.catatan.masukan,
            "seconds": round(seconds, 1),
            "floor_seconds": round(floor_s, 1),
            "floor_letters": floor_docs,
            "vs_floor": round(seconds / floor_s, 2),
            "issuing_vs_floor": round(timer.per_task.get("terbitkan-naskah", 0.0) / floor_s, 2),
            "libreoffice_kept": pdf_kept_starts(),
            "peak_rss_mb": round(rss.peak_work),
            "peak_rss_all_mb": round(rss.peak_all),
            "own_seconds": round(timer.seconds, 1),
            "task_calls": timer.calls,
            "prefect_share": round(max(0.0, seconds - timer.seconds) / seconds, 3),
            "own_by_task": {
                k: round(v, 1) for k, v in sorted(timer.per_task.items(), key=lambda kv: -kv[1])
            },
        }
    finally:
        sim.stop()
        if server is not None:
            server.stop()


def pdf_kept_starts() -> int | None:
    """How many times the run started a LibreOffice kept running for its conversions
    (``None``: the kept one is off or impossible here, every batch started its own)."""
    from connectors import pdf

    soffice = pdf.find_soffice()
    if soffice is None or pdf._kantor(soffice) is None:
        return None
    return pdf.kantor_starts


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench training")
    ap.add_argument("--peserta", type=int, default=500)
    ap.add_argument("--opd", type=int, default=20)
    ap.add_argument("--pegawai", type=int, default=4000)
    a = ap.parse_args(argv)
    _emit(run(a.peserta, a.opd, a.pegawai))


if __name__ == "__main__":
    main(sys.argv[1:])
