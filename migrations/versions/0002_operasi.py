"""operations: run ownership and lock, deduplicated quarantine, NIP requests

Revision ID: 0002_operasi
Revises: 0001

- ``sync_run``: who runs it (``host``, ``pid``, ``pid_token``), ``heartbeat_at``, the lock it
  holds while running (``kunci``, one running run per lock through a partial unique index)
  and ``data_per`` (the instant its data reflect). Runs left ``running`` by a process that
  no longer exists are closed as ``interrupted`` by the next run (``diklat.runs``).
- ``karantina``: one row per record and reason (``sidik``), with ``terakhir`` (last seen),
  ``kali`` (how many times) and ``selesai_pada`` (resolved). Existing duplicate rows are
  merged: the newest row stays, first seen = the oldest ``created_at``.
- ``sync_request``: the NIPs of a ``diklat sync --nip`` run (the flow receives the id).
- ``pegawai.sumber_hash``: the hash of a record as its source last sent it (an identical
  record is unchanged without being validated again).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_operasi"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sidik(sumber: str, kunci: str | None, baris: int | None, alasan: str) -> str:
    """Same as ``diklat.personnel.karantina_sidik`` (copied: a migration must not change
    when the application does; tests/test_runs.py checks that both agree)."""
    where = kunci if kunci else f"baris:{baris if baris is not None else ''}"
    return hashlib.sha1(f"{sumber}\x1f{where}\x1f{alasan}".encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kunci", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pid_token", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("data_per", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_sync_run_kunci_running",
        "sync_run",
        ["kunci"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )

    with op.batch_alter_table("karantina", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sidik", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("terakhir", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("kali", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("selesai_pada", sa.DateTime(timezone=True), nullable=True))

    conn = op.get_bind()
    k = sa.table(
        "karantina",
        sa.column("id", sa.Integer),
        sa.column("sumber", sa.String),
        sa.column("kunci", sa.String),
        sa.column("baris", sa.Integer),
        sa.column("alasan", sa.Text),
        sa.column("created_at", sa.DateTime),
        sa.column("sidik", sa.String),
        sa.column("terakhir", sa.DateTime),
        sa.column("kali", sa.Integer),
    )
    groups: dict[str, list[tuple[int, object]]] = {}
    for row in conn.execute(
        sa.select(k.c.id, k.c.sumber, k.c.kunci, k.c.baris, k.c.alasan, k.c.created_at).order_by(
            k.c.id
        )
    ):
        groups.setdefault(_sidik(row.sumber, row.kunci, row.baris, row.alasan), []).append(
            (row.id, row.created_at)
        )
    for sidik, rows in groups.items():
        keep = rows[-1][0]
        seen = [r[1] for r in rows if r[1] is not None]
        conn.execute(
            k.update()
            .where(k.c.id == keep)
            .values(
                sidik=sidik,
                kali=len(rows),
                created_at=min(seen) if seen else None,
                terakhir=max(seen) if seen else None,
            )
        )
        drop = [r[0] for r in rows[:-1]]
        for i in range(0, len(drop), 500):
            conn.execute(k.delete().where(k.c.id.in_(drop[i : i + 500])))
    conn.execute(k.update().where(k.c.terakhir.is_(None)).values(terakhir=k.c.created_at))

    with op.batch_alter_table("karantina", schema=None) as batch_op:
        batch_op.alter_column("sidik", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("terakhir", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column("kali", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_karantina_sidik"), ["sidik"])

    with op.batch_alter_table("pegawai", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sumber_hash", sa.String(length=32), nullable=True))

    op.create_table(
        "sync_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nips", sa.Text(), nullable=False),
        sa.Column("jumlah", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_request")),
    )


def downgrade() -> None:
    op.drop_table("sync_request")
    with op.batch_alter_table("pegawai", schema=None) as batch_op:
        batch_op.drop_column("sumber_hash")
    with op.batch_alter_table("karantina", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_karantina_sidik"), type_="unique")
        batch_op.drop_column("selesai_pada")
        batch_op.drop_column("kali")
        batch_op.drop_column("terakhir")
        batch_op.drop_column("sidik")
    op.drop_index("uq_sync_run_kunci_running", table_name="sync_run")
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.drop_column("data_per")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("pid_token")
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
        batch_op.drop_column("kunci")
