"""What happened, for an operator: the run history and the quarantine.

Plain reads for ``diklat riwayat`` and ``diklat karantina list`` (JSON, tables, Excel);
no Prefect. Sources are named as an operator types them: ``simpeg``, ``siasn``, ``export``
(stored as ``siasn-export``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select

from diklat.excel import Kolom
from diklat.models import Karantina, SyncRun
from diklat.pegawai.personnel import MODE_LABEL
from diklat.runs import STATUS_LABEL

#: Source names on the command line -> as stored.
SUMBER: dict[str, str] = {"simpeg": "simpeg", "siasn": "siasn", "export": "siasn-export"}
_SUMBER_NAMA = {v: k for k, v in SUMBER.items()}
#: What kind of run a source's run is.
JENIS: dict[str, str] = {"simpeg": "sinkron", "siasn": "siasn", "siasn-export": "impor"}
COUNT_KEYS = ("seen", "inserted", "updated", "unchanged", "deactivated", "quarantined")


def _iso(v: dt.datetime | None) -> str | None:
    if v is None:
        return None
    if v.tzinfo is None:
        v = v.replace(tzinfo=dt.UTC)
    return v.isoformat(timespec="seconds")


def riwayat(engine: Engine, jumlah: int = 20) -> list[dict[str, Any]]:
    """The newest ``jumlah`` sync and import runs, newest first: id, kind (``jenis``:
    sinkron / siasn / impor), start (``mulai``), duration (``detik``), status (Indonesian),
    the counts (as ``diklat sync --json`` names them), the run it continued
    (``lanjutan_dari``), file, message."""
    with engine.connect() as conn:
        rows = conn.execute(select(SyncRun).order_by(SyncRun.id.desc()).limit(jumlah)).all()
    out = []
    for r in rows:
        item: dict[str, Any] = {
            "id": r.id,
            "jenis": JENIS.get(r.sumber, r.sumber),
            "sumber": _SUMBER_NAMA.get(r.sumber, r.sumber),
            "mode": MODE_LABEL.get(r.mode, r.mode),
            "mulai": _iso(r.started_at),
            "selesai": _iso(r.finished_at),
            "detik": round(r.seconds, 3) if r.seconds is not None else None,
            "status": STATUS_LABEL.get(r.status, r.status),
        }
        item.update({k: getattr(r, k) for k in COUNT_KEYS})
        item.update(lanjutan_dari=r.resumed_from_id, berkas=r.file_name, pesan=r.error)
        out.append(item)
    return out


def karantina(
    engine: Engine, sumber: str | None = None, *, terbuka_saja: bool = False
) -> list[dict[str, Any]]:
    """Quarantined records, one per record and reason, the most recently seen first:
    source, key (the NIP as received), reason, line, first and last seen (``pertama``,
    ``terakhir``), how many times (``kali``), resolved (``selesai``: the source later
    delivered the record clean) and when, and the last run that saw it."""
    k = Karantina
    stmt = select(
        k.id,
        k.sumber,
        k.kunci,
        k.alasan,
        k.baris,
        k.created_at,
        k.terakhir,
        k.kali,
        k.selesai_pada,
        k.sync_run_id,
    )
    if sumber:
        stmt = stmt.where(k.sumber == SUMBER.get(sumber, sumber))
    if terbuka_saja:
        stmt = stmt.where(k.selesai_pada.is_(None))
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(k.terakhir.desc(), k.id.desc())).all()
    return [
        {
            "id": r.id,
            "sumber": _SUMBER_NAMA.get(r.sumber, r.sumber),
            "kunci": r.kunci,
            "alasan": r.alasan,
            "baris": r.baris,
            "pertama": _iso(r.created_at),
            "terakhir": _iso(r.terakhir),
            "kali": r.kali,
            "selesai": r.selesai_pada is not None,
            "selesai_pada": _iso(r.selesai_pada),
            "run": r.sync_run_id,
        }
        for r in rows
    ]


#: Columns of ``diklat karantina list --out F.xlsx``.
KOLOM_KARANTINA: Sequence[Kolom] = (
    Kolom("Sumber", "sumber", 9),
    Kolom("NIP / kunci", "kunci", 22),
    Kolom("Alasan", "alasan", 60),
    Kolom("Baris", "baris", 8, "angka"),
    Kolom("Pertama terlihat", "pertama_waktu", 18, "waktu"),
    Kolom("Terakhir terlihat", "terakhir_waktu", 18, "waktu"),
    Kolom("Kali", "kali", 7, "angka"),
    Kolom("Selesai", "status", 10),
    Kolom("Run terakhir", "run", 12, "angka"),
)


def karantina_excel(path: Any, rows: list[dict[str, Any]]) -> int:  # noqa: ANN401
    """The quarantine list as an Excel file (the project's one writer)."""
    from diklat.excel import tulis

    def row(r: dict[str, Any]) -> dict[str, Any]:
        return {
            **r,
            "pertama_waktu": _parse(r["pertama"]),
            "terakhir_waktu": _parse(r["terakhir"]),
            "status": "selesai" if r["selesai"] else "terbuka",
        }

    return tulis(path, "Karantina", KOLOM_KARANTINA, (row(r) for r in rows))


def _parse(v: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(v) if v else None
