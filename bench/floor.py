"""The floors of ``python -m bench sync``: what any implementation of the sync or the import
must do, timed as a whole process like the ``diklat`` commands they are compared with.

``python -m bench.floor sync --url URL --key KEY --db FILE``: fetch every page of
``/pegawai`` over loopback HTTP (the same keyset pagination and page size as the connector,
one ``requests`` session, JSON decoded) and write every record into ``pegawai`` with one
prepared ``executemany`` (no validation, no hashing, no quarantine, no run bookkeeping).

``python -m bench.floor import --file CSV --db FILE``: read the export file with the CSV
reader and write every row with the same ``executemany``.

``--db`` is a SQLite file whose schema ``diklat init`` created (the same table, indexes and
constraints the product writes into). Prints one JSON line ``{"rows": N, "seconds": S}``
(``seconds``: inside the process, after its imports). Imports only the standard library and
``requests``: the point is the cost of the work, not of this project's modules.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
import time
from collections.abc import Sequence

#: The columns written (the SIMPEG record's own fields; ``unit_id`` is taken as 1).
COLUMNS = (
    "nip",
    "nip_lama",
    "pns_orang_id",
    "nama",
    "gelar_depan",
    "gelar_belakang",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "jenis_pegawai",
    "jabatan",
    "jenis_jabatan",
    "eselon",
    "golongan",
    "pangkat",
    "pendidikan_tingkat",
    "pendidikan",
    "status",
    "tmt_cpns",
    "tmt_pensiun",
    "email",
    "nomor_hp",
)
_SQL = (
    f"INSERT INTO pegawai ({', '.join(COLUMNS)}, unit_id, aktif, sumber, content_hash, "
    f"created_at, updated_at) VALUES ({', '.join('?' for _ in COLUMNS)}, 1, 1, 'floor', "
    f"'', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
)

#: Export file column -> the column written (the file's own names for the same fields).
_CSV = {
    "nip_baru": "nip",
    "nip_lama": "nip_lama",
    "pns_id": "pns_orang_id",
    "nama": "nama",
    "gelar_depan": "gelar_depan",
    "gelar_belakang": "gelar_belakang",
    "jenis_kelamin": "jenis_kelamin",
    "tempat_lahir_nama": "tempat_lahir",
    "tanggal_lahir": "tanggal_lahir",
    "jenis_pegawai_nama": "jenis_pegawai",
    "jabatan_nama": "jabatan",
    "jenis_jabatan_nama": "jenis_jabatan",
    "gol_akhir_nama": "golongan",
    "tingkat_pendidikan_nama": "pendidikan_tingkat",
    "pendidikan_nama": "pendidikan",
    "kedudukan_hukum_nama": "status",
    "tmt_cpns": "tmt_cpns",
    "email": "email",
    "nomor_hp": "nomor_hp",
}


def _write(db: str, rows: Sequence[tuple[object, ...]]) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys=OFF")  # unit 1 may not exist: not what is measured
    with conn:
        conn.executemany(_SQL, rows)
    conn.close()


def floor_sync(url: str, key: str, db: str, page_size: int = 1000) -> int:
    import requests

    session = requests.Session()
    session.headers["X-API-Key"] = key
    rows: list[tuple[object, ...]] = []
    params: dict[str, str | int] = {"limit": page_size}
    while True:
        r = session.get(f"{url.rstrip('/')}/pegawai", params=params, timeout=60)
        r.raise_for_status()
        doc = r.json()
        for rec in doc["data"]:
            rows.append(tuple(rec.get(c) for c in COLUMNS))
        if not doc.get("next") or not doc["data"]:
            break
        params["after"] = doc["next"]
    _write(db, rows)
    return len(rows)


def floor_import(path: str, db: str) -> int:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        index = {name.strip().lower(): i for i, name in enumerate(header)}
        wanted = {v: k for k, v in _CSV.items()}
        order = [index.get(wanted[c]) if c in wanted else None for c in COLUMNS]
        rows = [
            tuple(line[i] if i is not None and i < len(line) else None for i in order)
            for line in reader
        ]
    _write(db, rows)
    return len(rows)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.floor")
    ap.add_argument("what", choices=("sync", "import"))
    ap.add_argument("--url")
    ap.add_argument("--key", default="")
    ap.add_argument("--file")
    ap.add_argument("--db", required=True)
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = floor_sync(a.url, a.key, a.db) if a.what == "sync" else floor_import(a.file, a.db)
    print(json.dumps({"rows": rows, "seconds": round(time.perf_counter() - t0, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
