"""SIASN as it really is: the mapping of SIASN's unit GUIDs onto the region's unit codes; the
write-back's state per participant as a named value, with its attempts.

Revision ID: 0007_siasn
Revises: 0006_sop
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_siasn"
down_revision: str | None = "0006_sop"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "siasn_unor",
        sa.Column("id_siasn", sa.String(length=64), nullable=False),
        sa.Column("nama", sa.String(length=300), nullable=False),
        sa.Column("cepat_kode", sa.String(length=64), nullable=True),
        sa.Column("diatasan_id", sa.String(length=64), nullable=True),
        sa.Column("unit_kode", sa.String(length=64), nullable=True),
        sa.Column("cara", sa.String(length=20), nullable=True),
        sa.Column("catatan", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id_siasn", name=op.f("pk_siasn_unor")),
    )
    with op.batch_alter_table("peserta", schema=None) as batch_op:
        batch_op.add_column(sa.Column("siasn_status", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("siasn_percobaan", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("peserta", schema=None) as batch_op:
        batch_op.alter_column(
            "siasn_percobaan",
            server_default=None,
            existing_type=sa.Integer(),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("peserta", schema=None) as batch_op:
        batch_op.drop_column("siasn_percobaan")
        batch_op.drop_column("siasn_status")
    op.drop_table("siasn_unor")
