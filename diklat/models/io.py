"""Deliveries and the archive: the columns and tables distribution and archiving add.

``Distribusi`` and ``Arsip`` are declared in ``diklat/models/naskah.py`` (with the columns
migration ``0004_io`` adds); this module adds their indexes, the delivery audit trail and the
archive's NIP index. The domain code (``diklat/naskah/distribusi.py``, ``diklat/arsip.py``) reads and writes these two
tables with Core statements over ``DISTRIBUSI`` / ``ARSIP`` so that mypy checks it without
knowing about the appended attributes.

Personal data: ``distribusi.alamat`` holds the e-mail address a message went to and
``arsip_nip.nip`` which employees a document concerns; neither ever reaches a log.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from diklat.models.base import Base, UTCDateTime, utcnow
from diklat.models.naskah import Arsip, Distribusi

#: Delivery states (``distribusi.status``); see ``diklat/naskah/distribusi.py`` for the transitions.
STATUS_DISTRIBUSI = (
    "antri",  # known, not being sent: the next run sends it (e.g. released by an operator)
    "mengirim",  # claimed: a send is under way or died; Message-ID already fixed
    "terkirim",  # handed to the transport (SMTP 250 / .eml written)
    "tertunda",  # transient failures outlived the retry budget: not delivered, next run retries
    "gagal",  # refused for good (5xx, recipient refused): not retried until released
    "perlu_cek",  # outcome unknown (SMTP answer never came): an operator decides
    "manual",  # no valid e-mail address: to be delivered by hand, with a receipt
)


#: The two tables as Core objects (typed).
DISTRIBUSI = cast(Table, Distribusi.__table__)
ARSIP = cast(Table, Arsip.__table__)

if "ix_distribusi_status" not in {i.name for i in DISTRIBUSI.indexes}:
    Index("ix_distribusi_status", DISTRIBUSI.c.status)
# ``UNIQUE (naskah_id, sha256)`` does not hold for entries without a document (reports):
# NULLs are distinct, so those are unique per training and content instead.
if "uq_arsip_kegiatan_sha256_tanpa_naskah" not in {i.name for i in ARSIP.indexes}:
    Index(
        "uq_arsip_kegiatan_sha256_tanpa_naskah",
        ARSIP.c.kegiatan_id,
        ARSIP.c.sha256,
        unique=True,
        sqlite_where=ARSIP.c.naskah_id.is_(None),
        postgresql_where=ARSIP.c.naskah_id.is_(None),
    )


class DistribusiJejak(Base):
    """The audit trail of one delivery: every claim, settle, reconciliation and operator
    action (who released a ``perlu_cek`` delivery, and why). Never updated or deleted."""

    __tablename__ = "distribusi_jejak"

    id: Mapped[int] = mapped_column(primary_key=True)
    distribusi_id: Mapped[int] = mapped_column(ForeignKey("distribusi.id"), index=True)
    peristiwa: Mapped[str] = mapped_column(String(30))  # klaim, terkirim, lepas, ...
    dari_status: Mapped[str | None] = mapped_column(String(20))
    ke_status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    keterangan: Mapped[str | None] = mapped_column(Text)  # reason, SMTP reply (no addresses)
    oleh: Mapped[str | None] = mapped_column(String(100))  # operator for manual actions
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ArsipNip(Base):
    """Which employees an archived document concerns (for ``diklat archive find --nip``)."""

    __tablename__ = "arsip_nip"
    __table_args__ = (UniqueConstraint("arsip_id", "nip"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    arsip_id: Mapped[int] = mapped_column(ForeignKey("arsip.id", ondelete="CASCADE"))
    nip: Mapped[str] = mapped_column(String(18), index=True)


DISTRIBUSI_JEJAK = cast(Table, DistribusiJejak.__table__)
ARSIP_NIP = cast(Table, ArsipNip.__table__)
