"""Register benchmark: ``python -m bench register [--procs 8] [--bundles 5] [--size 100]``.

Prints one JSON line per scenario (``scenario``, ``numbers``, ``seconds``,
``numbers_per_second``, ``gaps``, ``duplicates``):

* ``register_pg``: ``procs`` processes at once, each numbering ``bundles`` bundles of
  ``size`` signed letters on PostgreSQL, a bundle in ONE transaction
  (:func:`diklat.naskah.register.register_bundel`);
* ``register_pg_single``: the baseline in the same run: the same processes numbering letters
  one at a time, one transaction each (:func:`diklat.naskah.register.register_naskah`), as the
  ground floor did; ``register_pg`` carries ``ratio`` = its rate / the baseline's.

PostgreSQL comes from ``DIKLAT_BENCH_POSTGRES_URL`` or ``DIKLAT_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); each scenario runs in a schema of its
own, dropped afterwards. Letters are created before the clock starts; the wall time is from
the moment all processes are released to the last commit. Every run checks the register for
gaps and duplicates.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
import uuid
from typing import Any

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _emit(row: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(row) + "\n")
    sys.stdout.flush()


def _worker(url: str, n: int, size: int, bundled: bool, barrier: Any) -> tuple[float, float]:
    from diklat.db import make_engine, session_scope
    from diklat.models import Naskah
    from diklat.naskah.register import register_bundel, register_naskah, today

    eng = make_engine(url)
    with session_scope(eng) as s:
        rows = [
            Naskah(
                jenis="surat_panggilan",
                kunci=f"{uuid.uuid4().hex}",
                versi=1,
                status="ditandatangani",
                hal="Panggilan",
                tujuan="Peserta",
            )
            for _ in range(n * size)
        ]
        s.add_all(rows)
        s.flush()
        ids = [r.id for r in rows]
    d = today()
    barrier.wait()
    t0 = time.time()
    if bundled:
        for k in range(n):
            with session_scope(eng) as s:
                register_bundel(s, ids[k * size : (k + 1) * size], d)
    else:
        for i in ids:
            with session_scope(eng) as s:
                register_naskah(s, i, d)
    t1 = time.time()
    eng.dispose()
    return t0, t1


def _scenario(
    url_base: str, name: str, procs: int, n: int, size: int, bundled: bool
) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    from diklat.db import migrate

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url_base)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url_base else "?"
    url = f"{url_base}{sep}options=-csearch_path%3D{schema}"
    try:
        migrate(url)
        ctx = multiprocessing.get_context("spawn")
        with ctx.Manager() as m:
            barrier = m.Barrier(procs)
            with ctx.Pool(procs) as pool:
                times = pool.starmap(_worker, [(url, n, size, bundled, barrier)] * procs)
        seconds = max(t1 for _, t1 in times) - min(t0 for t0, _ in times)
        eng = create_engine(url)
        with eng.connect() as c:
            urut = [r[0] for r in c.execute(text("SELECT urut FROM register_entry ORDER BY urut"))]
        eng.dispose()
        total = procs * n * size
        gaps = sorted(set(range(1, total + 1)) - set(urut))
        return {
            "scenario": name,
            "processes": procs,
            "bundle": size if bundled else 1,
            "numbers": len(urut),
            "seconds": round(seconds, 3),
            "numbers_per_second": round(len(urut) / seconds, 1),
            "gaps": len(gaps),
            "duplicates": len(urut) - len(set(urut)),
        }
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench register")
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--bundles", type=int, default=5, help="bundles per process")
    ap.add_argument("--size", type=int, default=100, help="letters per bundle")
    ap.add_argument(
        "--single", type=int, default=50, help="letters per process in the one-at-a-time baseline"
    )
    a = ap.parse_args(argv)
    url = (
        os.environ.get("DIKLAT_BENCH_POSTGRES_URL")
        or os.environ.get("DIKLAT_TEST_POSTGRES_URL")
        or DEFAULT_PG
    )
    base = _scenario(url, "register_pg_single", a.procs, a.single, 1, bundled=False)
    fast = _scenario(url, "register_pg", a.procs, a.bundles, a.size, bundled=True)
    fast["ratio"] = round(fast["numbers_per_second"] / base["numbers_per_second"], 1)
    _emit(fast)
    _emit(base)


if __name__ == "__main__":
    main(sys.argv[1:])
