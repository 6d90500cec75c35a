"""The Alembic migrations create exactly the schema the models describe (both databases)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from diklat.models import Base


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_upgrade_keeps_ground_floor_data(db_url: str) -> None:
    """A database of the ground floor (revision 0001) with a training, an acting head and a
    rendered letter upgrades without losing them."""
    from sqlalchemy import text

    from diklat.db import get_engine, migrate

    migrate(db_url, "0001")
    eng = get_engine(db_url)
    with eng.begin() as c:
        c.execute(
            text(
                "INSERT INTO kegiatan (kode, sop_code, nama, status) VALUES "
                "('K1', 'peningkatan-kapasitas', 'Lama', 'direncanakan')"
            )
        )
        c.execute(
            text(
                "INSERT INTO pejabat (nip, nama, peran, jabatan, plt, aktif) VALUES "
                "('197209131998031001', 'A', 'kepala', 'Kepala', true, true)"
            )
        )
        c.execute(
            text(
                "INSERT INTO naskah (kegiatan_id, jenis, kunci, versi, status, sifat, "
                "file_docx, file_pdf, sha256, data_json) SELECT id, 'surat_tugas', '', 1, "
                "'terdaftar', 'Biasa', 'out/K1/final/x.docx', 'out/K1/pdf/x.pdf', "
                "'ab', '{}' FROM kegiatan"
            )
        )
        c.execute(
            text(
                "INSERT INTO unit_kerja (kode, nama, alamat, sumber, aktif) VALUES "
                "('U1', 'SD Negeri 012 Loa Kulu', 'Loa Kulu', 'simpeg', true)"
            )
        )
    migrate(db_url)
    with eng.connect() as c:
        assert c.execute(text("SELECT sop, kondisi_json FROM kegiatan")).one() == (
            "peningkatan-kapasitas",
            "[]",
        )
        assert c.execute(text("SELECT kedudukan FROM pejabat")).scalar_one() == "plt"
        assert c.execute(text("SELECT konteks_json FROM naskah")).scalar_one() == "{}"
        files = c.execute(text("SELECT peran, path FROM naskah_berkas ORDER BY peran")).all()
    assert [tuple(f) for f in files] == [
        ("final_docx", "out/K1/final/x.docx"),
        ("final_pdf", "out/K1/pdf/x.pdf"),
    ]
    with eng.connect() as c:  # 0009: a unit's town, unknown until its source or an operator says
        assert tuple(
            c.execute(text("SELECT nama, alamat, tempat, tempat_operator FROM unit_kerja")).one()
        ) == ("SD Negeri 012 Loa Kulu", "Loa Kulu", None, None)


def test_fast_head_check_agrees_with_alembic(sqlite_url: str) -> None:
    """``ensure_schema`` recognises an up-to-date database without Alembic: its reading of
    the migration files must give Alembic's head, and an old database is still migrated."""
    from sqlalchemy import create_engine, text

    from diklat.db import current_versions, ensure_schema, head_revision, migrate, newest_revision

    assert newest_revision() == head_revision() is not None
    migrate(sqlite_url, "0001")
    assert current_versions(sqlite_url) == ["0001"]
    ensure_schema(sqlite_url)
    assert current_versions(sqlite_url) == [head_revision()]
    eng = create_engine(sqlite_url)
    with eng.connect() as c:
        assert c.execute(text("SELECT count(*) FROM sync_request")).scalar_one() == 0
    eng.dispose()
