"""A record an auditor can trust: the training's stop reason; one ledger row per level of an
approval chain, who acted, evidence and deadline follow-up; what a version was decided on
(template, settings), where its chain starts after a correction and who corrected it; the
draft's number and date lines; incoming letters, agencies' proposals and their links;
dispositions (requests on an incoming letter).

Revision ID: 0009_rekam
Revises: 0008_srikandi
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_rekam"
down_revision: str | None = "0008_srikandi"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "surat_masuk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kegiatan_id", sa.Integer(), nullable=True),
        sa.Column("jenis", sa.String(length=20), nullable=False),
        sa.Column("nomor", sa.String(length=120), nullable=False),
        sa.Column("tanggal", sa.Date(), nullable=False),
        sa.Column("pengirim", sa.String(length=300), nullable=False),
        sa.Column("unit_kode", sa.String(length=50), nullable=True),
        sa.Column("hal", sa.String(length=300), nullable=True),
        sa.Column("diterima_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sumber", sa.String(length=20), nullable=False),
        sa.Column("dicatat_oleh", sa.String(length=18), nullable=True),
        sa.Column("berkas_nama", sa.String(length=300), nullable=True),
        sa.Column("berkas_sha256", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["kegiatan_id"], ["kegiatan.id"], name=op.f("fk_surat_masuk_kegiatan_id_kegiatan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surat_masuk")),
        sa.UniqueConstraint(
            "kegiatan_id",
            "pengirim",
            "nomor",
            name=op.f("uq_surat_masuk_kegiatan_id_pengirim_nomor"),
        ),
    )
    with op.batch_alter_table("surat_masuk", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_surat_masuk_kegiatan_id"), ["kegiatan_id"], unique=False
        )

    op.create_table(
        "tautan_usulan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kegiatan_id", sa.Integer(), nullable=False),
        sa.Column("unit_kode", sa.String(length=50), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("berlaku_sampai", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dipakai_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["kegiatan_id"],
            ["kegiatan.id"],
            name=op.f("fk_tautan_usulan_kegiatan_id_kegiatan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tautan_usulan")),
        sa.UniqueConstraint(
            "kegiatan_id", "unit_kode", name=op.f("uq_tautan_usulan_kegiatan_id_unit_kode")
        ),
        sa.UniqueConstraint("token", name=op.f("uq_tautan_usulan_token")),
    )
    with op.batch_alter_table("tautan_usulan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tautan_usulan_kegiatan_id"), ["kegiatan_id"], unique=False
        )

    op.create_table(
        "usulan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kegiatan_id", sa.Integer(), nullable=False),
        sa.Column("surat_masuk_id", sa.Integer(), nullable=False),
        sa.Column("unit_kode", sa.String(length=50), nullable=False),
        sa.Column("pegawai_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["kegiatan_id"],
            ["kegiatan.id"],
            name=op.f("fk_usulan_kegiatan_id_kegiatan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pegawai_id"], ["pegawai.id"], name=op.f("fk_usulan_pegawai_id_pegawai")
        ),
        sa.ForeignKeyConstraint(
            ["surat_masuk_id"],
            ["surat_masuk.id"],
            name=op.f("fk_usulan_surat_masuk_id_surat_masuk"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usulan")),
        sa.UniqueConstraint(
            "kegiatan_id", "pegawai_id", name=op.f("uq_usulan_kegiatan_id_pegawai_id")
        ),
    )
    with op.batch_alter_table("usulan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usulan_kegiatan_id"), ["kegiatan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_usulan_surat_masuk_id"), ["surat_masuk_id"], unique=False
        )

    with op.batch_alter_table("bundel", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mulai_urutan", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("template_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("pengaturan_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("kunci_revisi", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("diperbaiki_oleh", sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column("diperbaiki_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("perbaikan_json", sa.Text(), nullable=True))

    with op.batch_alter_table("kegiatan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_alasan", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("status_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("naskah", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draf_nomor", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("draf_tanggal", sa.String(length=60), nullable=True))
        batch_op.add_column(
            sa.Column("asal", sa.String(length=20), server_default="templat", nullable=False)
        )

    with op.batch_alter_table("permintaan_persetujuan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("surat_masuk_id", sa.Integer(), nullable=True))
        batch_op.alter_column("bundel_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_permintaan_persetujuan_surat_masuk_id"), ["surat_masuk_id"], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_permintaan_persetujuan_surat_masuk_id_langkah_urutan_putaran"),
            ["surat_masuk_id", "langkah", "urutan", "putaran"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_permintaan_persetujuan_surat_masuk_id_surat_masuk"),
            "surat_masuk",
            ["surat_masuk_id"],
            ["id"],
        )

    with op.batch_alter_table("sop_step_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tingkat", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("oleh_nip", sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column("oleh_nama", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("bukti_json", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("pengingat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("eskalasi_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(
            batch_op.f("uq_sop_step_log_kegiatan_id_step_no_putaran"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_sop_step_log_kegiatan_id_step_no_tingkat_putaran"),
            ["kegiatan_id", "step_no", "tingkat", "putaran"],
        )


def downgrade() -> None:
    with op.batch_alter_table("sop_step_log", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_sop_step_log_kegiatan_id_step_no_tingkat_putaran"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_sop_step_log_kegiatan_id_step_no_putaran"),
            ["kegiatan_id", "step_no", "putaran"],
        )
        batch_op.drop_column("eskalasi_at")
        batch_op.drop_column("pengingat_at")
        batch_op.drop_column("bukti_json")
        batch_op.drop_column("oleh_nama")
        batch_op.drop_column("oleh_nip")
        batch_op.drop_column("tingkat")

    with op.batch_alter_table("permintaan_persetujuan", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_permintaan_persetujuan_surat_masuk_id_surat_masuk"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_permintaan_persetujuan_surat_masuk_id_langkah_urutan_putaran"),
            type_="unique",
        )
        batch_op.drop_index(batch_op.f("ix_permintaan_persetujuan_surat_masuk_id"))
        batch_op.alter_column("bundel_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("surat_masuk_id")

    with op.batch_alter_table("naskah", schema=None) as batch_op:
        batch_op.drop_column("asal")
        batch_op.drop_column("draf_tanggal")
        batch_op.drop_column("draf_nomor")

    with op.batch_alter_table("kegiatan", schema=None) as batch_op:
        batch_op.drop_column("status_at")
        batch_op.drop_column("status_alasan")

    with op.batch_alter_table("bundel", schema=None) as batch_op:
        batch_op.drop_column("perbaikan_json")
        batch_op.drop_column("diperbaiki_at")
        batch_op.drop_column("diperbaiki_oleh")
        batch_op.drop_column("kunci_revisi")
        batch_op.drop_column("pengaturan_sha256")
        batch_op.drop_column("template_sha256")
        batch_op.drop_column("mulai_urutan")

    with op.batch_alter_table("usulan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usulan_surat_masuk_id"))
        batch_op.drop_index(batch_op.f("ix_usulan_kegiatan_id"))

    op.drop_table("usulan")
    with op.batch_alter_table("tautan_usulan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tautan_usulan_kegiatan_id"))

    op.drop_table("tautan_usulan")
    with op.batch_alter_table("surat_masuk", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surat_masuk_kegiatan_id"))

    op.drop_table("surat_masuk")
