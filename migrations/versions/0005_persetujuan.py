"""Paraf and signature: approval requests per chain level, their codes and audit, the drafter
of a bundle, verification tokens of letters, officials' NIK for BSrE.

Revision ID: 0005_persetujuan
Revises: 0004_io
Create Date: 2026-12-01 21:17:04.030018
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_persetujuan"
down_revision: str | None = "0004_io"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "permintaan_persetujuan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bundel_id", sa.Integer(), nullable=False),
        sa.Column("kegiatan_id", sa.Integer(), nullable=False),
        sa.Column("urutan", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("peran", sa.String(length=60), nullable=False),
        sa.Column("langkah", sa.Integer(), nullable=False),
        sa.Column("putaran", sa.Integer(), nullable=False),
        sa.Column("pejabat_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("keputusan", sa.String(length=20), nullable=True),
        sa.Column("catatan", sa.Text(), nullable=True),
        sa.Column("sejak", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenggat", sa.DateTime(timezone=True), nullable=True),
        sa.Column("diputuskan_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flow_run_id", sa.String(length=64), nullable=True),
        sa.Column("salah", sa.Integer(), nullable=False),
        sa.Column("pengingat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("eskalasi_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["bundel_id"], ["bundel.id"], name=op.f("fk_permintaan_persetujuan_bundel_id_bundel")
        ),
        sa.ForeignKeyConstraint(
            ["kegiatan_id"],
            ["kegiatan.id"],
            name=op.f("fk_permintaan_persetujuan_kegiatan_id_kegiatan"),
        ),
        sa.ForeignKeyConstraint(
            ["pejabat_id"],
            ["pejabat.id"],
            name=op.f("fk_permintaan_persetujuan_pejabat_id_pejabat"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permintaan_persetujuan")),
        sa.UniqueConstraint(
            "bundel_id", "urutan", name=op.f("uq_permintaan_persetujuan_bundel_id_urutan")
        ),
        sa.UniqueConstraint("token", name=op.f("uq_permintaan_persetujuan_token")),
    )
    with op.batch_alter_table("permintaan_persetujuan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permintaan_persetujuan_bundel_id"), ["bundel_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_permintaan_persetujuan_kegiatan_id"), ["kegiatan_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_permintaan_persetujuan_status"), ["status"], unique=False
        )

    with op.batch_alter_table("audit_persetujuan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("permintaan_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("nama", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("keputusan", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("catatan", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_audit_persetujuan_permintaan_id"), ["permintaan_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_persetujuan_permintaan_id_permintaan_persetujuan"),
            "permintaan_persetujuan",
            ["permintaan_id"],
            ["id"],
        )

    with op.batch_alter_table("bundel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dibuat_oleh", sa.String(length=18), nullable=True))

    with op.batch_alter_table("kode_verifikasi", schema=None) as batch_op:
        batch_op.add_column(sa.Column("permintaan_id", sa.Integer(), nullable=True))
        batch_op.alter_column("naskah_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_kode_verifikasi_permintaan_id"), ["permintaan_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_kode_verifikasi_permintaan_id_permintaan_persetujuan"),
            "permintaan_persetujuan",
            ["permintaan_id"],
            ["id"],
        )

    with op.batch_alter_table("naskah", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_naskah_token"), ["token"])

    with op.batch_alter_table("pejabat", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nik", sa.String(length=16), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("0005_persetujuan cannot be downgraded: restore a backup instead")
