"""SIASN's "Export Data ASN" file for the simulator's employees (``diklat simulator export-csv``).

The rows come from the same generator as the server (same seed, same people, same bad records),
streamed through the ``csv`` module, so memory does not grow with the file. Columns and quirks
are those of :func:`simulator.shapes.export_row`; the delimiter, a byte-order mark, CRLF line
ends and the two newer columns are options, as they differ between real exports.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from simulator.data import Dataset, Extra, iter_employees
from simulator.shapes import EXPORT_COLUMNS, NEW_COLUMNS, export_row


def write_rows(
    path: Path | str,
    records: Iterable[tuple[dict[str, Any], Extra]],
    *,
    delimiter: str = ",",
    bom: bool = False,
    crlf: bool = False,
    new_columns: bool = False,
    unor_guid: bool = False,
) -> dict[str, Any]:
    """Write the header and one row per record; returns ``{rows, bytes, seconds, path}``.
    ``unor_guid``: units as SIASN's GUIDs, as in a real export (see ``export_row``)."""
    if delimiter not in (",", ";", "|", "\t"):
        raise ValueError(f"unsupported delimiter {delimiter!r}")
    t0 = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = list(EXPORT_COLUMNS) + (list(NEW_COLUMNS) if new_columns else [])
    rows = 0
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        w = csv.writer(
            f,
            delimiter=delimiter,
            lineterminator="\r\n" if crlf else "\n",
            quoting=csv.QUOTE_MINIMAL,
        )
        w.writerow(header)
        batch: list[list[str]] = []
        for rec, extra in records:
            batch.append(export_row(rec, extra, new_columns, unor_guid))
            if len(batch) >= 1000:
                w.writerows(batch)
                rows += len(batch)
                batch.clear()
        w.writerows(batch)
        rows += len(batch)
    return {
        "path": str(path),
        "rows": rows,
        "bytes": path.stat().st_size,
        "seconds": round(time.perf_counter() - t0, 3),
    }


def write_export(
    path: Path | str, n_pegawai: int = 1000, seed: int = 1, bad_share: float = 0.0, **options: Any
) -> dict[str, Any]:
    """The export of the freshly generated data of ``(seed, n_pegawai, bad_share)``."""
    return write_rows(path, iter_employees(seed, n_pegawai, bad_share), **options)


def write_dataset_export(path: Path | str, dataset: Dataset, **options: Any) -> dict[str, Any]:
    """The export of a dataset's current state (after mutations; removed employees left out)."""
    return write_rows(path, ((rec, extra) for _i, rec, extra in dataset.iter_records()), **options)
