"""Operators: every change to a training audited (created, corrected, cancelled), and SIASN's
answer per candidate at verification (verified, not eligible with the reason, not checked).

Revision ID: 0009_ops
Revises: 0008_srikandi
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_ops"
down_revision: str | None = "0009_letters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_kegiatan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kegiatan_id", sa.Integer(), nullable=False),
        sa.Column("aksi", sa.String(length=20), nullable=False),
        sa.Column("oleh_nip", sa.String(length=18), nullable=True),
        sa.Column("alasan", sa.Text(), nullable=True),
        sa.Column("perubahan_json", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["kegiatan_id"], ["kegiatan.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_kegiatan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_kegiatan_kegiatan_id"), ["kegiatan_id"], unique=False
        )
    with op.batch_alter_table("peserta", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verifikasi", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("verifikasi_alasan", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("verifikasi_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("peserta", schema=None) as batch_op:
        batch_op.drop_column("verifikasi_at")
        batch_op.drop_column("verifikasi_alasan")
        batch_op.drop_column("verifikasi")
    with op.batch_alter_table("audit_kegiatan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_kegiatan_kegiatan_id"))
    op.drop_table("audit_kegiatan")
