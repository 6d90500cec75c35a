"""A training as a first-class record: conditions and criteria on the training, the SOP ledger
keyed by (training, step, round), bundles, immutable document versions with their stored
render context and their files, officials acting as Plt./Plh. or signing a.n., decisions on
bundles, participants' results.

Revision ID: 0003_kegiatan
Revises: 0002_operasi
Create Date: 2026-12-01 20:40:09.372522
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_kegiatan"
down_revision: str | None = "0002_operasi"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.text("(CURRENT_TIMESTAMP)")


def upgrade() -> None:
    op.create_table(
        "bundel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kegiatan_id", sa.Integer(), nullable=False),
        sa.Column("jenis", sa.String(length=60), nullable=False),
        sa.Column("versi", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=True),
        sa.Column("jumlah", sa.Integer(), nullable=False),
        sa.Column("rantai_json", sa.Text(), nullable=True),
        sa.Column("penandatangan_id", sa.Integer(), nullable=True),
        sa.Column("catatan", sa.Text(), nullable=True),
        sa.Column("alasan", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["kegiatan_id"], ["kegiatan.id"], name=op.f("fk_bundel_kegiatan_id_kegiatan")
        ),
        sa.ForeignKeyConstraint(
            ["penandatangan_id"], ["pejabat.id"], name=op.f("fk_bundel_penandatangan_id_pejabat")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundel")),
        sa.UniqueConstraint(
            "kegiatan_id", "jenis", "versi", name=op.f("uq_bundel_kegiatan_id_jenis_versi")
        ),
    )
    op.create_index(op.f("ix_bundel_kegiatan_id"), "bundel", ["kegiatan_id"], unique=False)

    op.create_table(
        "naskah_berkas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("naskah_id", sa.Integer(), nullable=False),
        sa.Column("peran", sa.String(length=20), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("ukuran", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["naskah_id"], ["naskah.id"], name=op.f("fk_naskah_berkas_naskah_id_naskah")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_naskah_berkas")),
        sa.UniqueConstraint("naskah_id", "peran", name=op.f("uq_naskah_berkas_naskah_id_peran")),
    )
    op.create_index(
        op.f("ix_naskah_berkas_naskah_id"), "naskah_berkas", ["naskah_id"], unique=False
    )
    # Files recorded on ground-floor documents become file rows (size unknown: 0).
    op.execute(
        "INSERT INTO naskah_berkas (naskah_id, peran, path, sha256, ukuran, created_at) "
        "SELECT id, CASE WHEN file_docx LIKE '%/final/%' THEN 'final_docx' ELSE 'draf_docx' END, "
        "file_docx, COALESCE(sha256, ''), 0, CURRENT_TIMESTAMP FROM naskah "
        "WHERE file_docx IS NOT NULL"
    )
    op.execute(
        "INSERT INTO naskah_berkas (naskah_id, peran, path, sha256, ukuran, created_at) "
        "SELECT id, 'final_pdf', file_pdf, '', 0, CURRENT_TIMESTAMP FROM naskah "
        "WHERE file_pdf IS NOT NULL"
    )

    with op.batch_alter_table("audit_persetujuan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bundel_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_audit_persetujuan_bundel_id"), ["bundel_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_persetujuan_bundel_id_bundel"), "bundel", ["bundel_id"], ["id"]
        )

    with op.batch_alter_table("kegiatan", schema=None) as batch_op:
        batch_op.alter_column(
            "sop_code", new_column_name="sop", existing_type=sa.String(60), existing_nullable=False
        )
        batch_op.add_column(
            sa.Column("kondisi_json", sa.Text(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("kriteria_json", sa.Text(), nullable=True))
    with op.batch_alter_table("kegiatan", schema=None) as batch_op:
        batch_op.alter_column(
            "kondisi_json", server_default=None, existing_type=sa.Text(), existing_nullable=False
        )

    with op.batch_alter_table("naskah", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bundel_id", sa.Integer(), nullable=True))
        batch_op.alter_column(
            "data_json",
            new_column_name="konteks_json",
            existing_type=sa.Text(),
            existing_nullable=True,
        )
        batch_op.add_column(sa.Column("konteks_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("penandatangan_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_naskah_bundel_id"), ["bundel_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_naskah_penandatangan_id_pejabat"),
            "pejabat",
            ["penandatangan_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_naskah_bundel_id_bundel"), "bundel", ["bundel_id"], ["id"]
        )
        batch_op.drop_column("file_pdf")
        batch_op.drop_column("file_docx")

    with op.batch_alter_table("pejabat", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kedudukan", sa.String(length=10), nullable=False, server_default="definitif")
        )
        batch_op.add_column(sa.Column("an_jabatan", sa.String(length=300), nullable=True))
    op.execute("UPDATE pejabat SET kedudukan = 'plt' WHERE plt")
    with op.batch_alter_table("pejabat", schema=None) as batch_op:
        batch_op.alter_column(
            "kedudukan", server_default=None, existing_type=sa.String(10), existing_nullable=False
        )
        batch_op.drop_column("plt")

    # Decisions are taken on bundles now; the ground floor wrote none (its demo stand-in
    # audited in audit_persetujuan), so the table is made again.
    op.drop_table("persetujuan")
    op.create_table(
        "persetujuan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bundel_id", sa.Integer(), nullable=False),
        sa.Column("urutan", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("peran", sa.String(length=60), nullable=False),
        sa.Column("pejabat_id", sa.Integer(), nullable=True),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("nama", sa.String(length=200), nullable=False),
        sa.Column("keputusan", sa.String(length=20), nullable=False),
        sa.Column("catatan", sa.Text(), nullable=True),
        sa.Column("naskah_sha256", sa.String(length=64), nullable=False),
        sa.Column("flow_run_id", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundel_id"], ["bundel.id"], name=op.f("fk_persetujuan_bundel_id_bundel")
        ),
        sa.ForeignKeyConstraint(
            ["pejabat_id"], ["pejabat.id"], name=op.f("fk_persetujuan_pejabat_id_pejabat")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persetujuan")),
        sa.UniqueConstraint(
            "bundel_id",
            "urutan",
            "naskah_sha256",
            name=op.f("uq_persetujuan_bundel_id_urutan_naskah_sha256"),
        ),
    )
    op.create_index(op.f("ix_persetujuan_bundel_id"), "persetujuan", ["bundel_id"], unique=False)

    with op.batch_alter_table("peserta", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nilai", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("predikat", sa.String(length=40), nullable=True))

    # The ground floor's step log had no key and was never written: made again with one.
    op.drop_table("sop_step_log")
    op.create_table(
        "sop_step_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kegiatan_id", sa.Integer(), nullable=False),
        sa.Column("step_no", sa.Integer(), nullable=False),
        sa.Column("putaran", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("waktu_min_s", sa.Integer(), nullable=True),
        sa.Column("waktu_max_s", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("flow_run_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["kegiatan_id"],
            ["kegiatan.id"],
            ondelete="CASCADE",
            name=op.f("fk_sop_step_log_kegiatan_id_kegiatan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sop_step_log")),
        sa.UniqueConstraint(
            "kegiatan_id",
            "step_no",
            "putaran",
            name=op.f("uq_sop_step_log_kegiatan_id_step_no_putaran"),
        ),
    )
    op.create_index(
        op.f("ix_sop_step_log_kegiatan_id"), "sop_step_log", ["kegiatan_id"], unique=False
    )


def downgrade() -> None:
    raise NotImplementedError("0003_kegiatan cannot be downgraded: restore a backup instead")
