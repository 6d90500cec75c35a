"""Our own run history: sync/import runs and quarantined records (the SOP ledger is
``diklat.models.kegiatan.SopStepLog``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from diklat.models.base import Base, UTCDateTime, utcnow


class SyncRun(Base):
    """One run of the personnel sync or of a SIASN export import."""

    __tablename__ = "sync_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    sumber: Mapped[str] = mapped_column(String(30))  # simpeg / siasn / siasn-export
    mode: Mapped[str] = mapped_column(String(20))  # full / incremental / nips / file
    status: Mapped[str] = mapped_column(String(20), default="running")  # running/success/failed
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


class Karantina(Base):
    """A record refused on the way in, with its reason. Nothing is silently dropped."""

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
