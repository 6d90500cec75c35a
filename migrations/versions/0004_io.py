"""distribution and archive: delivery claims and audit trail, archive metadata and NIP index

Adds to ``distribusi``: kegiatan_id, alamat, nama_penerima, subjek, klaim_token, klaim_at
(+ indexes on kegiatan_id and status); to ``arsip``: jenis, nomor, tanggal (+ index on nomor,
and a partial unique index on (kegiatan_id, sha256) for entries without a document). New
tables ``distribusi_jejak`` (audit trail of each delivery) and ``arsip_nip`` (which NIPs an
archived document concerns).

Revision ID: 0004_io
Revises: 0001
Create Date: 2026-12-01 20:34:11.952991
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_io"
down_revision: str | None = "0003_kegiatan"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "arsip_nip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("arsip_id", sa.Integer(), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.ForeignKeyConstraint(
            ["arsip_id"], ["arsip.id"], name=op.f("fk_arsip_nip_arsip_id_arsip"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arsip_nip")),
        sa.UniqueConstraint("arsip_id", "nip", name=op.f("uq_arsip_nip_arsip_id_nip")),
    )
    with op.batch_alter_table("arsip_nip", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_arsip_nip_nip"), ["nip"], unique=False)

    op.create_table(
        "distribusi_jejak",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distribusi_id", sa.Integer(), nullable=False),
        sa.Column("peristiwa", sa.String(length=30), nullable=False),
        sa.Column("dari_status", sa.String(length=20), nullable=True),
        sa.Column("ke_status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("keterangan", sa.Text(), nullable=True),
        sa.Column("oleh", sa.String(length=100), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["distribusi_id"],
            ["distribusi.id"],
            name=op.f("fk_distribusi_jejak_distribusi_id_distribusi"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distribusi_jejak")),
    )
    with op.batch_alter_table("distribusi_jejak", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_distribusi_jejak_distribusi_id"), ["distribusi_id"], unique=False
        )

    with op.batch_alter_table("arsip", schema=None) as batch_op:
        batch_op.add_column(sa.Column("jenis", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("nomor", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("tanggal", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_arsip_nomor"), ["nomor"], unique=False)
        batch_op.create_index(
            "uq_arsip_kegiatan_sha256_tanpa_naskah",
            ["kegiatan_id", "sha256"],
            unique=True,
            sqlite_where=sa.text("naskah_id IS NULL"),
            postgresql_where=sa.text("naskah_id IS NULL"),
        )

    with op.batch_alter_table("distribusi", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kegiatan_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("alamat", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("nama_penerima", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("subjek", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("klaim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("klaim_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_distribusi_kegiatan_id"), ["kegiatan_id"], unique=False
        )
        batch_op.create_index("ix_distribusi_status", ["status"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_distribusi_kegiatan_id_kegiatan"), "kegiatan", ["kegiatan_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("distribusi", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_distribusi_kegiatan_id_kegiatan"), type_="foreignkey"
        )
        batch_op.drop_index("ix_distribusi_status")
        batch_op.drop_index(batch_op.f("ix_distribusi_kegiatan_id"))
        batch_op.drop_column("klaim_at")
        batch_op.drop_column("klaim_token")
        batch_op.drop_column("subjek")
        batch_op.drop_column("nama_penerima")
        batch_op.drop_column("alamat")
        batch_op.drop_column("kegiatan_id")

    with op.batch_alter_table("arsip", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_arsip_kegiatan_sha256_tanpa_naskah",
            sqlite_where=sa.text("naskah_id IS NULL"),
            postgresql_where=sa.text("naskah_id IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_arsip_nomor"))
        batch_op.drop_column("tanggal")
        batch_op.drop_column("nomor")
        batch_op.drop_column("jenis")

    with op.batch_alter_table("distribusi_jejak", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_distribusi_jejak_distribusi_id"))

    op.drop_table("distribusi_jejak")
    with op.batch_alter_table("arsip_nip", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arsip_nip_nip"))

    op.drop_table("arsip_nip")
