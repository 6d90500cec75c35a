"""The SOP flows: refused operator inputs counted on the ledger row (a stable wait key);
the SIASN write-back's progress per participant.

Revision ID: 0006_sop
Revises: 0005_persetujuan
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_sop"
down_revision: str | None = "0005_persetujuan"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("peserta", schema=None) as batch_op:
        batch_op.add_column(sa.Column("siasn_dok_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("siasn_catatan", sa.Text(), nullable=True))
    with op.batch_alter_table("sop_step_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ditolak", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("sop_step_log", schema=None) as batch_op:
        batch_op.alter_column(
            "ditolak", server_default=None, existing_type=sa.Integer(), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("peserta", schema=None) as batch_op:
        batch_op.drop_column("siasn_catatan")
        batch_op.drop_column("siasn_dok_at")
    with op.batch_alter_table("sop_step_log", schema=None) as batch_op:
        batch_op.drop_column("ditolak")
