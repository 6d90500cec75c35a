"""Our own run history: sync/import runs and quarantined records (the SOP ledger is
``diklat.models.kegiatan.SopStepLog``)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from diklat.models.base import Base, UTCDateTime, utcnow

#: ``sync_run.status`` values (see :mod:`diklat.runs`).
RUN_STATUSES = ("running", "success", "failed", "interrupted")


class SyncRun(Base):
    """One run of the personnel sync or of a SIASN export import.

    The lifecycle columns (``status`` .. ``heartbeat_at``) are managed by :mod:`diklat.runs`:
    who runs it (host, process id and a token of that process's start, so a reused process
    id is not mistaken for the owner), a heartbeat for owners on other hosts, and ``kunci``:
    the name of the lock the run holds while ``running`` (a partial unique index allows one
    running run per lock, so a second sync or import against the same database is refused
    at once, on SQLite and PostgreSQL alike).
    """

    __tablename__ = "sync_run"
    __table_args__ = (
        Index(
            "uq_sync_run_kunci_running",
            "kunci",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sumber: Mapped[str] = mapped_column(String(30))  # simpeg / siasn / siasn-export
    mode: Mapped[str] = mapped_column(String(20))  # full / incremental / nips / file / file-full
    status: Mapped[str] = mapped_column(String(20), default="running")  # RUN_STATUSES
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    seconds: Mapped[float | None] = mapped_column(Float)
    since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    checkpoint: Mapped[str | None] = mapped_column(Text)  # JSON: where to resume
    high_watermark: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    file_name: Mapped[str | None] = mapped_column(String(300))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    seen: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deactivated: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    resumed_from_id: Mapped[int | None] = mapped_column(Integer)
    # -- lifecycle (diklat.runs)
    kunci: Mapped[str | None] = mapped_column(String(60))  # lock held while running
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    pid_token: Mapped[str | None] = mapped_column(String(80))  # boot id + process start
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The instant the run's data reflect: a sync's (first attempt's) start, an export
    #: file's modification time. An older export than the newest data is warned about.
    data_per: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def counts(self) -> dict[str, object]:
        return {
            "sync_run_id": self.id,
            "sumber": self.sumber,
            "mode": self.mode,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "quarantined": self.quarantined,
            "seconds": round(self.seconds or 0.0, 3),
            "status": self.status,
        }


class SyncSeen(Base):
    """NIPs seen by a full sync so far, so an interrupted full sync can resume and still
    deactivate exactly the employees absent from the whole source."""

    __tablename__ = "sync_seen"

    sync_run_id: Mapped[int] = mapped_column(
        ForeignKey("sync_run.id", ondelete="CASCADE"), primary_key=True
    )
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)


def karantina_sidik(sumber: str, kunci: str | None, baris: int | None, alasan: str) -> str:
    """One quarantine row per record and reason: the record is its key (the NIP as
    received) or, without one, its line number."""
    where = kunci if kunci else f"baris:{baris if baris is not None else ''}"
    return hashlib.sha1(f"{sumber}\x1f{where}\x1f{alasan}".encode()).hexdigest()


def _sidik_default(context: Any) -> str:
    p = context.get_current_parameters()
    return karantina_sidik(p["sumber"], p.get("kunci"), p.get("baris"), p["alasan"])


class Karantina(Base):
    """A record refused on the way in, with its reason. Nothing is silently dropped.

    One row per record and reason (``sidik``, a hash of source, key or line, and reason):
    ``created_at`` is when it was first seen, ``terakhir`` the last time, ``kali`` how many
    times; ``sync_run_id`` is the last run that saw it. When the same source later delivers
    the record clean, ``selesai_pada`` is set (resolved); seen bad again, it is reopened."""

    __tablename__ = "karantina"

    id: Mapped[int] = mapped_column(primary_key=True)
    sync_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("sync_run.id", ondelete="CASCADE"), index=True
    )
    sumber: Mapped[str] = mapped_column(String(30))
    kunci: Mapped[str | None] = mapped_column(String(100))  # the NIP as received
    baris: Mapped[int | None] = mapped_column(Integer)  # line number in an imported file
    alasan: Mapped[str] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)  # JSON, personal fields removed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sidik: Mapped[str] = mapped_column(String(40), unique=True, default=_sidik_default)
    terakhir: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kali: Mapped[int] = mapped_column(Integer, default=1)
    selesai_pada: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SyncRequest(Base):
    """NIPs asked for by ``diklat sync --nip``: the flow receives this row's id, never the
    NIPs (a NIP encodes birth date and sex; Prefect keeps parameters in clear)."""

    __tablename__ = "sync_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    nips: Mapped[str] = mapped_column(Text)  # JSON list
    jumlah: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KunciKegiatan(Base):
    """Which flow run drives a training now: one row per training code (taken before the
    training's own row exists, so two starts of a new training cannot both create it), with
    the process that holds it (host, process id, a token of its start; a heartbeat for
    holders on another host). See :mod:`diklat.kegiatan.kunci`."""

    __tablename__ = "kunci_kegiatan"

    kode: Mapped[str] = mapped_column(String(60), primary_key=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    pid_token: Mapped[str | None] = mapped_column(String(80))
    sejak: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
