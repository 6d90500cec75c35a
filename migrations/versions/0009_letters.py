"""Units carry their town (the "di" line of a letter to them): ``tempat`` from the source
(SIMPEG's ``kota``) and ``tempat_operator``, set by hand, which wins and no sync overwrites.

Revision ID: 0009_letters
Revises: 0008_srikandi
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_letters"
down_revision: str | None = "0009_sec"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("unit_kerja", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tempat", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("tempat_operator", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unit_kerja", schema=None) as batch_op:
        batch_op.drop_column("tempat_operator")
        batch_op.drop_column("tempat")
