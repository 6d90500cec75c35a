"""Distribution and archive benchmark: ``python -m bench.io [--n-mail 60] [--n-files 1000]
[--database-url URL]``.

Prints one JSON object per scenario (``scenario``, ``seconds``, ``items``, ``per_second``,
``peak_rss_mb``):

* ``smtp``: ``n-mail`` deliveries of one signed PDF (40 kB) through ``distribusikan`` to an
  SMTP server on loopback (aiosmtpd's ``Sink`` in a child process, so it does not share this
  process's GIL), one reused connection, each claimed and settled in its own transaction;
* ``smtp_again``: the same call again (a resumed flow): every delivery found settled;
* ``outbox``: the same deliveries to the file outbox (a fresh document version);
* ``archive``: ``n-files`` distinct PDF-sized files (50 kB) through ``arsipkan`` (one
  transaction per file, as a flow step would), local folder store;
* ``archive_again``: the same files again (idempotent: hashed, found, nothing written);
* ``verify``: ``verify_all`` over the archive.

The database is a fresh SQLite file in a temporary folder unless ``--database-url`` is given
(then a fresh schema is not made: point it at an empty database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _emit(row: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(row) + "\n")
    sys.stdout.flush()


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _line(scenario: str, seconds: float, items: int, **extra: Any) -> dict[str, Any]:
    return {
        "scenario": scenario,
        "seconds": round(seconds, 3),
        "items": items,
        "per_second": round(items / seconds, 1) if seconds else None,
        "peak_rss_mb": _rss_mb(),
        **extra,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("SMTP server did not start")


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.io")
    ap.add_argument("--n-mail", type=int, default=60)
    ap.add_argument("--n-files", type=int, default=1000)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-io-"))
    os.environ["DIKLAT_VAR_DIR"] = str(work / "var")
    from sqlalchemy.orm import Session

    from connectors.mail import OutboxTransport, SmtpTransport
    from diklat.arsip import arsipkan, verify_all
    from diklat.clients import archive_store
    from diklat.db import make_engine, migrate
    from diklat.models import Kegiatan, Naskah, NaskahBerkas
    from diklat.naskah.distribusi import Penerima, distribusikan
    from diklat.settings import reset_settings_cache

    reset_settings_cache()
    url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    migrate(url)
    engine = make_engine(url)
    pdf = work / "surat.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + os.urandom(40_000) + b"\n%%EOF\n")
    with Session(engine) as s, s.begin():
        k = Kegiatan(kode="BENCH-IO", sop="peningkatan-kapasitas", nama="Benchmark")
        s.add(k)
        s.flush()
        naskah: list[int] = []
        for kunci in ("smtp", "outbox"):
            n = Naskah(
                kegiatan_id=k.id,
                jenis="surat_panggilan",
                kunci=kunci,
                versi=1,
                status="terdaftar",
                nomor=f"800.2.4.2/{len(naskah) + 1:03d}/BKPSDM/2026",
                tanggal=dt.date(2026, 11, 23),
            )
            s.add(n)
            s.flush()
            s.add(
                NaskahBerkas(
                    naskah_id=n.id,
                    peran="final_pdf",
                    path=str(pdf),
                    sha256="0" * 64,
                    ukuran=pdf.stat().st_size,
                )
            )
            naskah.append(n.id)
        kegiatan_id = k.id
    people = [
        Penerima(f"pegawai:{i:018d}", f"Peserta {i}", f"peserta{i}@kukarkab.go.id")
        for i in range(args.n_mail)
    ]

    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port)
        with SmtpTransport("127.0.0.1", port, security="none", timeout=10) as t:
            t0 = time.perf_counter()
            res = distribusikan(engine, naskah[0], people, transport=t)
            _emit(
                _line(
                    "smtp",
                    time.perf_counter() - t0,
                    len(people),
                    terkirim=res.counts()["terkirim"],
                    connections=t.connections,
                )
            )
            t0 = time.perf_counter()
            res = distribusikan(engine, naskah[0], people, transport=t)
            _emit(
                _line(
                    "smtp_again",
                    time.perf_counter() - t0,
                    len(people),
                    baru=sum(i.baru for i in res.items),
                )
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
    t0 = time.perf_counter()
    res = distribusikan(engine, naskah[1], people, transport=OutboxTransport(work / "outbox"))
    _emit(_line("outbox", time.perf_counter() - t0, len(people), terkirim=res.counts()["terkirim"]))

    files = work / "files"
    files.mkdir()
    paths = []
    for i in range(args.n_files):
        p = files / f"laporan_{i:05d}.pdf"
        p.write_bytes(b"%PDF-1.4\n" + os.urandom(50_000))
        paths.append(p)
    store = archive_store()
    for scenario in ("archive", "archive_again"):
        t0 = time.perf_counter()
        created = 0
        for p in paths:
            with Session(engine) as s, s.begin():
                created += arsipkan(
                    s, p, kegiatan_id=kegiatan_id, jenis="laporan_kegiatan", store=store
                ).baru
        _emit(
            _line(
                scenario,
                time.perf_counter() - t0,
                len(paths),
                created=created,
                mb=round(len(paths) * 50_000 / 1e6, 1),
            )
        )
    t0 = time.perf_counter()
    with Session(engine) as s:
        v = verify_all(s, store)
    _emit(_line("verify", time.perf_counter() - t0, v["checked"], ok=v["ok"]))
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
