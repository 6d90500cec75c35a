"""SRIKANDI hand-over: when the records officer registered a letter in SRIKANDI, and
SRIKANDI's agenda number.

Revision ID: 0008_srikandi
Revises: 0007_siasn
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_srikandi"
down_revision: str | None = "0007_siasn"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("naskah", schema=None) as batch_op:
        batch_op.add_column(sa.Column("srikandi_didaftarkan", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("srikandi_nomor", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("naskah", schema=None) as batch_op:
        batch_op.drop_column("srikandi_nomor")
        batch_op.drop_column("srikandi_didaftarkan")
