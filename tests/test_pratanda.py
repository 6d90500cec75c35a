"""Signing while LibreOffice converts (diklat.naskah.pratanda): a bundle's letters are signed by the
pool as their final PDFs appear; the signature recorded is over exactly the bytes recorded as
the final, and a result is never used for other bytes than it was made for."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.tte import local_ca
from connectors.tte.verify import verify_pdf
from diklat.clients import ca_dir
from diklat.db import get_engine, migrate, session_scope
from diklat.models import Bundel, NaskahBerkas
from diklat.mulai import simpan_kegiatan
from diklat.naskah import pratanda, versi
from diklat.naskah import tanda_tangan as tt
from diklat.naskah.register import today
from diklat.pegawai.pejabat import simpan_pejabat
from diklat.settings import get_settings
from tests.rekam_support import setujui_semua
from tests.sop_support import LENGKAP, siap


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[object, int, Path]:
    from connectors import pdf as pdfconn

    if not pdfconn.available():
        if os.environ.get("DIKLAT_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice required")
        pytest.skip("LibreOffice needed to sign PDFs")
    migrate()
    engine = get_engine()
    mulai = today()
    with session_scope(engine) as s:
        for peran, nip in (
            ("kabid_psda", "198005122005022003"),
            ("sekretaris", "197706142003121004"),
            ("kepala", "197209131998031001"),
        ):
            simpan_pejabat(
                s,
                nip=nip,
                nama=f"NAMA {peran.upper()}",
                peran=peran,
                jabatan=f"Jabatan {peran}",
                email=f"{peran}@example.go.id",
            )
    siap(engine)
    with session_scope(engine) as s:
        simpan_kegiatan(
            s,
            {
                "kode": "PK-P",
                "sop": "peningkatan-kapasitas",
                "nama": "Pelatihan Pratanda",
                "mulai": mulai,
                "selesai": mulai,
                **LENGKAP,
            },
        )
    out = Path(get_settings().output_dir or tmp_path)
    h = versi.buat_draf(engine, "PK-P", "surat_permohonan_narasumber", out)
    setujui_semua(engine, h.bundel_id)  # the officials decide, through the real path
    return engine, h.bundel_id, out


def test_letters_signed_during_conversion_are_the_ones_recorded(
    bundle: tuple[object, int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, bundel_id, out = bundle
    monkeypatch.setattr(tt, "PARALEL_MULAI", 1)  # the one letter is a "large" bundle here
    taken: list[int] = []
    real = pratanda.Pratanda.ambil

    def ambil(self: pratanda.Pratanda, items: list[tuple[bytes, object]]) -> list[object]:
        got = real(self, items)  # type: ignore[arg-type]
        taken.append(sum(r is not None for r in got))
        return got  # type: ignore[return-value]

    monkeypatch.setattr(pratanda.Pratanda, "ambil", ambil)
    hasil = tt.tanda_tangani(engine, "PK-P", bundel_id, out)  # type: ignore[arg-type]
    assert hasil.ditandatangani == 1 and taken == [1]  # signed by the pool, during conversion
    with session_scope(engine) as s:  # type: ignore[arg-type]
        rows = {r.peran: r for r in s.execute(select(NaskahBerkas)).scalars()}
    signed = Path(rows["ttd_pdf"].path).read_bytes()
    assert hashlib.sha256(signed).hexdigest() == rows["ttd_pdf"].sha256
    final = Path(rows["final_pdf"].path).read_bytes()
    assert signed.startswith(final)  # an incremental update of exactly the recorded final
    v = verify_pdf(signed, [local_ca.root_cert_path(ca_dir())])
    assert v.valid and v.intact


def test_a_result_is_only_used_for_the_same_bytes(
    bundle: tuple[object, int, Path], tmp_path: Path
) -> None:
    """The pool signed a letter; the file then changed: its result is not handed over."""
    from connectors.tte.local import LocalSigner
    from connectors.tte.pool import SigningPool
    from tests.tte_support import simple_pdf

    engine, bundel_id, out = bundle
    with session_scope(engine) as s:  # type: ignore[arg-type]
        b = s.get(Bundel, bundel_id)
        assert b is not None
        pej = tt._pejabat(engine, bundel_id)  # type: ignore[arg-type]
        tt.siapkan_penandatangan(pej)
        req = tt.permintaan_ttd(b.naskah[0], tt.identitas(pej), b.jenis, b.versi, get_settings())
    path = tmp_path / "a.pdf"
    path.write_bytes(simple_pdf(["Surat A"]))
    pool = SigningPool(2)
    try:
        pra = pratanda.Pratanda(pool, LocalSigner(ca_dir()).config(), {str(path.resolve()): req})
        pra([path])
        assert pra.dikirim == 1
        other = simple_pdf(["Surat B"])
        assert pra.ambil([(other, req)]) == [None]  # other bytes: not this result
        assert pra.ambil([(path.read_bytes(), req)])[0] is not None
    finally:
        pool.close()
