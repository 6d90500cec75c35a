"""Which flow run drives a training (one live run per training; issue 23).

Revision ID: 0009_sec
Revises: 0008_srikandi
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_sec"
down_revision: str | None = "0009_rekam"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kunci_kegiatan",
        sa.Column("kode", sa.String(length=60), nullable=False),
        sa.Column("flow_run_id", sa.String(length=64), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("pid_token", sa.String(length=80), nullable=True),
        sa.Column("sejak", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kode", name=op.f("pk_kunci_kegiatan")),
    )


def downgrade() -> None:
    op.drop_table("kunci_kegiatan")
