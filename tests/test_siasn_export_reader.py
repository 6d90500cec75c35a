"""The SIASN export reader alone (no database): refusals, quirks, mapping, streaming.

``export_text``/``write_export`` build small export files and are reused by
``test_siasn_export.py``.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diklat.pegawai.siasn_export import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    ExportRefused,
    clean_cell,
    inspect_export,
    normalise_jenis_pegawai,
    read_batches,
)

NIPS = ["198501012010012001", "199002022015031002", "200012312024211001", "197805022005021003"]


def base_row(nip: str, **kw: str) -> dict[str, str]:
    """A full export row (65 columns) for ``nip``; ``kw`` overrides columns."""
    row = {c: "" for c in REQUIRED_COLUMNS}
    row.update(
        {
            "pns_id": "8ae48" + nip[-6:] + "0" * 21,
            "nip_baru": "'" + nip,
            "nip_lama": "'" + nip[-9:],
            "nama": "Siti Aminah",
            "gelar_depan": "Dr.",
            "gelar_belakang": "S.E., M.Si.",
            "tempat_lahir_id": "'6402",
            "tempat_lahir_nama": "Tenggarong",
            "tanggal_lahir": f"{nip[6:8]}-{nip[4:6]}-{nip[0:4]}",
            "jenis_kelamin": "F" if nip[14] == "2" else "M",
            "nik": "'6402010101850001",
            "nomor_hp": "'081234567890",
            "email": "siti@example.com",
            "email_gov": "siti@kukarkab.go.id",
            "alamat": "Jl. Mawar, No. 1",
            "npwp_nomor": "'123456789012345",
            "bpjs": "'0001234567890",
            "jenis_pegawai_nama": "PPPK" if nip[12] == "2" else "PNS Daerah Kabupaten/Kota",
            "kedudukan_hukum_nama": "Aktif",
            "tmt_cpns": f"01-{nip[12:14]}-{nip[8:12]}" if nip[12] != "2" else "null",
            "gol_akhir_nama": "III/a",
            "jenis_jabatan_nama": "Fungsional Tertentu",
            "jabatan_nama": "Analis SDM Aparatur Ahli Pertama",
            "tingkat_pendidikan_nama": "S-1/Sarjana",
            "pendidikan_nama": "S-1 Manajemen",
            "unor_id": "'4001",
            "unor_nama": "Badan Kepegawaian dan Pengembangan SDM",
            "is_valid_nik": "1",
        }
    )
    row.update(kw)
    return row


def _quote(cell: str, delimiter: str) -> str:
    if delimiter in cell or '"' in cell or "\n" in cell or "\r" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def export_text(
    rows: Sequence[Mapping[str, str]],
    *,
    delimiter: str = ",",
    columns: Sequence[str] = REQUIRED_COLUMNS,
    newline: str = "\n",
) -> str:
    lines = [delimiter.join(columns)]
    for r in rows:
        lines.append(delimiter.join(_quote(r.get(c, ""), delimiter) for c in columns))
    return newline.join(lines) + newline


def write_export(
    path: Path, rows: Sequence[Mapping[str, str]], *, bom: bool = False, **kw: Any
) -> Path:
    data = export_text(rows, **kw).encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def read_all(path: Path) -> tuple[list[dict[str, Any]], list[Any]]:
    info = inspect_export(path)
    recs: list[dict[str, Any]] = []
    rej: list[Any] = []
    for b in read_batches(info, batch_size=2):
        recs += b.records
        rej += b.rejected
    return recs, rej


# --------------------------------------------------------------------------- mapping


def test_maps_by_header_name_with_every_quirk(tmp_path: Path) -> None:
    rows = [base_row(n) for n in NIPS[:3]]
    rows[1]["gelar_depan"] = "null"
    rows[1]["email"] = "NULL"  # falls back to email_gov
    cols = list(REQUIRED_COLUMNS)
    cols.reverse()  # position must not matter
    path = write_export(
        tmp_path / "x.csv", rows, columns=cols, bom=True, delimiter=";", newline="\r\n"
    )
    info = inspect_export(path)
    assert info.delimiter == ";" and info.bom and info.unknown_columns == ()
    recs, rej = read_all(path)
    assert rej == []
    r0, r1, r2 = recs
    assert r0["nip"] == NIPS[0] and isinstance(r0["nip"], str)
    assert r0["nip_lama"] == NIPS[0][-9:]
    assert r0["jenis_kelamin"] == "P" and r1["jenis_kelamin"] == "L"
    assert r0["tanggal_lahir"] == dt.date(1985, 1, 1)
    assert r0["tmt_cpns"] == dt.date(2010, 1, 1)
    assert r0["unit_kode"] == "4001" and r0["unit_nama"].startswith("Badan Kepegawaian")
    assert r0["golongan"] == "III/a" and r0["pangkat"] == "Penata Muda"
    assert r0["jenis_pegawai"] == "PNS" and r2["jenis_pegawai"] == "PPPK"
    assert r2["tmt_cpns"] is None
    assert r0["nomor_hp"] == "081234567890" and r0["email"] == "siti@example.com"
    assert r1["gelar_depan"] is None and r1["email"] == "siti@kukarkab.go.id"
    assert r0["gelar_belakang"] == "S.E., M.Si."
    assert r0["_baris"] == 2 and r2["_baris"] == 4
    for r in recs:
        assert not {"nik", "npwp_nomor", "bpjs", "alamat"} & set(r)
        assert "6402010101850001" not in repr(r) and "Mawar" not in repr(r)


@pytest.mark.parametrize("delimiter", [",", ";", "|", "\t"])
def test_delimiter_detected_and_quoted_delimiters_kept(tmp_path: Path, delimiter: str) -> None:
    row = base_row(
        NIPS[0],
        jabatan_nama=f"Kepala Sub Bagian Umum{delimiter} Kepegawaian",
        nama='Siti "Ami" Aminah',
    )
    path = write_export(tmp_path / "d.csv", [row, base_row(NIPS[1])], delimiter=delimiter)
    info = inspect_export(path)
    assert info.delimiter == delimiter
    recs, rej = read_all(path)
    assert rej == [] and len(recs) == 2
    assert recs[0]["jabatan"] == f"Kepala Sub Bagian Umum{delimiter} Kepegawaian"
    assert recs[0]["nama"] == 'Siti "Ami" Aminah'


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_bom_and_line_ends(tmp_path: Path, bom: bool, newline: str) -> None:
    path = write_export(tmp_path / "b.csv", [base_row(n) for n in NIPS], bom=bom, newline=newline)
    recs, rej = read_all(path)
    assert [r["nip"] for r in recs] == NIPS and rej == []
    assert [r["_baris"] for r in recs] == [2, 3, 4, 5]
    assert recs[-1]["status"] == "Aktif"


def test_multiline_quoted_field_keeps_line_numbers(tmp_path: Path) -> None:
    rows = [base_row(NIPS[0], jabatan_nama="Kepala\nBidang"), base_row(NIPS[1])]
    recs, _ = read_all(write_export(tmp_path / "m.csv", rows))
    assert recs[0]["jabatan"] == "Kepala\nBidang"
    assert [r["_baris"] for r in recs] == [2, 4]


def test_identifiers_never_become_numbers(tmp_path: Path) -> None:
    # A NIP that a float would corrupt (18 digits > 2**53) and a leading-zero id.
    row = base_row(NIPS[3], unor_id="'0042", nip_lama="'010203040")
    recs, _ = read_all(write_export(tmp_path / "n.csv", [row]))
    assert recs[0]["nip"] == "197805022005021003"
    assert recs[0]["unit_kode"] == "0042" and recs[0]["nip_lama"] == "010203040"
    assert float("197805022005021003") != 197805022005021003  # why it matters


def test_optional_and_unknown_columns(tmp_path: Path) -> None:
    cols = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, "kolom_baru"]
    row = base_row(NIPS[0], nama_sekolah="Universitas Mulawarman", flag_ikd="1", kolom_baru="x")
    info = inspect_export(write_export(tmp_path / "o.csv", [row], columns=cols))
    assert info.optional_present == OPTIONAL_COLUMNS
    assert info.unknown_columns == ("kolom_baru",)
    assert any("kolom_baru" in n for n in info.notices())


def test_clean_cell_rules() -> None:
    assert clean_cell("'197805022005021003") == "197805022005021003"
    assert clean_cell(" null ") is None and clean_cell("NULL") is None and clean_cell("") is None
    assert clean_cell("'+62 812-3456") == "+62 812-3456"
    assert clean_cell("'Ain") == "'Ain"  # a name is not a number: its apostrophe stays
    assert clean_cell("'abc", identifier=True) == "abc"
    assert normalise_jenis_pegawai("PNS Daerah Kabupaten/Kota") == "PNS"
    assert normalise_jenis_pegawai("Pegawai Pemerintah dengan Perjanjian Kerja") == "PPPK"
    assert normalise_jenis_pegawai("lainnya") is None


# --------------------------------------------------------------------------- bad rows


def test_truncated_last_line_is_rejected_with_its_line(tmp_path: Path) -> None:
    text = export_text([base_row(n) for n in NIPS[:3]])
    text = text.rstrip("\n")
    text = text[: text.rfind("\n") + 60]  # the last row cut after 60 characters
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    recs, rej = read_all(path)
    assert [r["nip"] for r in recs] == NIPS[:2]
    assert len(rej) == 1 and rej[0].baris == 4 and "terpotong" in rej[0].alasan
    assert rej[0].kunci == NIPS[2]
    assert rej[0].payload is not None and "nomor_hp" not in rej[0].payload


def test_unterminated_quote_at_end_is_rejected(tmp_path: Path) -> None:
    text = export_text([base_row(n) for n in NIPS[:2]]).rstrip("\n")
    cut = text.rfind("Siti Aminah")
    path = tmp_path / "q.csv"
    path.write_text(text[:cut] + '"Siti Ami', encoding="utf-8")
    recs, rej = read_all(path)
    assert len(recs) == 1 and len(rej) == 1 and rej[0].baris == 3


def test_too_many_fields_rejected_but_trailing_delimiter_accepted(tmp_path: Path) -> None:
    text = export_text([base_row(n) for n in NIPS[:2]])
    lines = text.splitlines()
    lines[1] = lines[1] + ","  # trailing delimiter: fine
    lines[2] = lines[2].replace("Siti Aminah", "Siti, Aminah")  # unquoted delimiter
    path = tmp_path / "e.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    recs, rej = read_all(path)
    assert [r["nip"] for r in recs] == [NIPS[0]]
    assert len(rej) == 1 and rej[0].baris == 3 and "berlebih" in rej[0].alasan


# --------------------------------------------------------------------------- refusals


def test_missing_required_columns_are_listed(tmp_path: Path) -> None:
    cols = [c for c in REQUIRED_COLUMNS if c not in ("unor_id", "tmt_cpns")]
    path = write_export(tmp_path / "m.csv", [base_row(NIPS[0])], columns=cols)
    with pytest.raises(ExportRefused, match=r"\(2\): tmt_cpns, unor_id"):
        inspect_export(path)


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "kosong.csv"
    path.write_bytes(content)
    with pytest.raises(ExportRefused, match="kosong"):
        inspect_export(path)


def test_header_only_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportRefused, match="hanya berisi header"):
        inspect_export(write_export(tmp_path / "h.csv", []))


def test_not_text_files_refused(tmp_path: Path) -> None:
    xlsx = tmp_path / "export.xlsx"
    with zipfile.ZipFile(xlsx, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ExportRefused, match="bukan file teks CSV melainkan arsip ZIP"):
        inspect_export(xlsx)
    png = tmp_path / "x.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    with pytest.raises(ExportRefused, match="gambar PNG"):
        inspect_export(png)
    blob = tmp_path / "blob.csv"
    blob.write_bytes(export_text([base_row(NIPS[0])]).encode() + b"\x00\x01\x02")
    with pytest.raises(ExportRefused, match="NUL"):
        inspect_export(blob)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(export_text([base_row(NIPS[0], nama="Jos\u00e9")]).encode("cp1252"))
    with pytest.raises(ExportRefused, match=r"bukan teks UTF-8 \(byte \d+, baris 2\)"):
        inspect_export(latin)
    with pytest.raises(ExportRefused, match="tidak ditemukan"):
        inspect_export(tmp_path / "nope.csv")


def test_not_an_export_header_refused(tmp_path: Path) -> None:
    path = tmp_path / "lain.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ExportRefused, match="bukan header ekspor SIASN"):
        inspect_export(path)


def test_streaming_in_batches(tmp_path: Path) -> None:
    rows = [base_row(NIPS[i % 4]) for i in range(25)]
    info = inspect_export(write_export(tmp_path / "s.csv", rows))
    assert info.lines == 26
    sizes = [b.rows for b in read_batches(info, batch_size=10)]
    assert sizes == [10, 10, 5]


def test_jenis_jabatan_one_name_for_every_source(tmp_path: Path) -> None:
    rows = [
        base_row(NIPS[0], jenis_jabatan_nama="null", jenis_jabatan_id="2"),
        base_row(NIPS[1], jenis_jabatan_nama="Fungsional Umum", jenis_jabatan_id="4"),
        base_row(NIPS[2], jenis_jabatan_nama="Struktural", jenis_jabatan_id="1"),
    ]
    recs, _ = read_all(write_export(tmp_path / "j.csv", rows))
    assert [r["jenis_jabatan"] for r in recs] == ["Fungsional Tertentu", "Pelaksana", "Struktural"]


def test_file_parameter_is_a_name_inside_the_import_folder(tmp_path: Path) -> None:
    """What the flow (UI, API) accepts: names inside the import folder only. Absolute paths,
    ``~``, climbing out and links leading out are refused with the same message whether
    the file exists or not."""
    from diklat.pegawai.siasn_export import resolve_import_path
    from diklat.settings import get_settings

    base = Path(str(get_settings().import_dir))
    base.mkdir(parents=True)
    assert resolve_import_path("2026/export.csv") == base.resolve() / "2026" / "export.csv"
    outside = tmp_path / "rahasia.csv"
    outside.write_text("x")
    (base / "tautan.csv").symlink_to(outside)
    messages = set()
    for bad in (
        str(outside),
        str(tmp_path / "tidak-ada.csv"),
        "/etc/shadow",
        "/etc/tidak-ada",
        "~/x.csv",
        "~root/.bashrc",
        "../rahasia.csv",
        "../../etc/passwd",
        "a/../../rahasia.csv",
        "tautan.csv",
        "",
        ".",
    ):
        with pytest.raises(ExportRefused, match="bukan nama berkas di dalam folder") as ei:
            resolve_import_path(bad)
        messages.add(str(ei.value).replace(repr(bad), "X"))
    assert len(messages) == 1  # a refusal never tells whether a file exists


def test_nip_mangled_by_a_spreadsheet_gets_a_clear_reason(tmp_path: Path) -> None:
    rows = [
        base_row(NIPS[0], nip_baru="1.97805E+17"),
        base_row(NIPS[1], nip_baru="1,97805E+17"),
        base_row(NIPS[2], nip_baru="197805022005021000.0"),
        base_row(NIPS[3]),
    ]
    recs, rej = read_all(write_export(tmp_path / "xl.csv", rows, delimiter=";"))
    assert [r["nip"] for r in recs] == [NIPS[3]]
    assert [r.baris for r in rej] == [2, 3, 4]
    assert all("dirusak spreadsheet" in r.alasan for r in rej)
    assert all(r.payload is not None and "nomor_hp" not in r.payload for r in rej)


def test_one_endless_line_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "satu_baris.csv"
    path.write_text("nip_baru," + "x" * 300_000, encoding="utf-8")
    with pytest.raises(ExportRefused, match="terlalu panjang|too long"):
        inspect_export(path)


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)


@settings(max_examples=60, deadline=None)
@given(
    nama=_TEXT,
    jabatan=_TEXT,
    delimiter=st.sampled_from([",", ";", "|", "\t"]),
    bom=st.booleans(),
    crlf=st.booleans(),
)
def test_any_text_survives_the_file(
    nama: str, jabatan: str, delimiter: str, bom: bool, crlf: bool
) -> None:
    """Whatever a name or position contains (delimiters, quotes, line breaks, non-Latin
    letters), quoted the way CSV quotes it, it comes back as the same text. (A bare CR in an
    UNquoted field is a line end for every CSV reader; writers quote it, as this one does.)"""
    import tempfile

    row = base_row(NIPS[0], nama=nama, jabatan_nama=jabatan)
    with tempfile.TemporaryDirectory() as d:
        path = write_export(
            Path(d) / "p.csv", [row], delimiter=delimiter, bom=bom, newline="\r\n" if crlf else "\n"
        )
        recs, rej = read_all(path)
    assert rej == [] and len(recs) == 1

    def expect(v: str) -> str | None:
        return clean_cell(v)

    assert recs[0]["nama"] == expect(nama)
    assert recs[0]["jabatan"] == expect(jabatan)
    assert recs[0]["nip"] == NIPS[0]
