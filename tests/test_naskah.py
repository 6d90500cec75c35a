"""Templates and the rendering engine: expected text, fast path = docxtpl, escaping,
missing variables, page settings, loops, context builders.

Expected texts live in ``tests/expected/<jenis>.txt``; after a deliberate template change
regenerate them with ``DIKLAT_UPDATE_EXPECTED=1 pytest tests/test_naskah.py`` and review the
diff like any other change.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from pathlib import Path

import pytest
from docx import Document
from lxml import etree

from diklat.naskah import (
    JENIS,
    MissingVariableError,
    TemplateNotFoundError,
    clear_cache,
    docx_text,
    load_template,
    render_batch,
    render_one,
)
from diklat.naskah import konteks as k
from diklat.naskah.contoh import contoh, peserta_list
from diklat.settings import get_settings, reset_settings_cache

EXPECTED = Path(__file__).parent / "expected"
UPDATE = os.environ.get("DIKLAT_UPDATE_EXPECTED") == "1"
HOSTILE = "A<b>&amp;\"Q\" 'x' {{ 7*7 }} {% if 1 %}X{% endif %} </w:t>]]>"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_cache()


def test_every_type_has_a_template_and_classification() -> None:
    s = get_settings()
    assert set(JENIS) == set(s.naskah.klasifikasi)
    for jenis in JENIS:
        assert (Path(s.templates_dir) / f"{jenis}.docx").is_file()


@pytest.mark.parametrize("jenis", JENIS)
def test_rendered_text_matches_expected(jenis: str) -> None:
    text = docx_text(load_template(jenis).render(contoh(jenis)))
    path = EXPECTED / f"{jenis}.txt"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    # the parts an official document must show (so an expected file cannot be empty)
    s = get_settings()
    kls = s.klasifikasi_for(jenis)
    if jenis not in s.naskah.tanpa_nomor:  # attendance sheet, receipt: no number
        # in the type's own series: the decrees' KEP/BKPSDM, the certificates' BKPSDM-STTP
        assert f"{kls}/034/{s.unit_nomor(jenis)}/2026" in text
    else:
        assert "/034/" not in text and "Nomor" not in text
    assert "PEMERINTAH KABUPATEN KUTAI KARTANEGARA" in text
    assert re.search(r"NIP\. \d{8} \d{6} \d \d{3}", text)
    # the letter's date; an attendance sheet is dated by its day (hari, tanggal)
    from diklat.naskah.contoh import TANGGAL_JENIS
    from diklat.rules.tanggal import hari_tanggal, tanggal_indonesia

    d = TANGGAL_JENIS[jenis]
    assert (hari_tanggal(d) if jenis == "daftar_hadir" else tanggal_indonesia(d)) in text


LETTERS = (
    "surat_permohonan_narasumber",
    "surat_pemberitahuan",
    "surat_panggilan",
    "undangan_pembukaan",
)


@pytest.mark.parametrize("jenis", LETTERS)
def test_letters_have_the_official_parts(jenis: str) -> None:
    ctx = contoh(jenis)
    text = docx_text(load_template(jenis).render(ctx))
    lines = text.splitlines()
    from diklat.naskah.contoh import TANGGAL_JENIS
    from diklat.rules.tanggal import tanggal_indonesia

    assert f"Tenggarong, {tanggal_indonesia(TANGGAL_JENIS[jenis])}" in lines
    for label, value in (
        ("Nomor", ctx["nomor"]),
        ("Sifat", "Biasa"),
        ("Lampiran", ctx["lampiran"]),
        ("Hal", ctx["hal"]),
    ):
        assert f"{label}\t:\t{value}" in lines
    assert f"Yth. {ctx['tujuan'].splitlines()[0]}" in text
    ttd = ctx["ttd"]
    flat = " ".join(lines)  # a long position breaks into balanced lines
    assert f"{ttd['jabatan']}," in flat and ttd["nama"] in lines and f"NIP. {ttd['nip']}" in lines
    if ttd["an"]:
        assert f"{ttd['an']}," in flat
    if ctx["tembusan"]:
        assert "Tembusan:" in lines and f"1. {ctx['tembusan'][0]}" in lines


@pytest.mark.parametrize("jenis", JENIS)
def test_fast_path_equals_docxtpl(jenis: str) -> None:
    tpl = load_template(jenis)
    assert tpl.fast
    ctx = contoh(jenis, hal=HOSTILE) | {"tembusan": ["Satu\nDua", HOSTILE]}
    fast, slow = tpl.render(ctx), tpl.render_docxtpl(ctx)
    assert docx_text(fast) == docx_text(slow)


def test_output_is_a_valid_docx() -> None:
    data = load_template("surat_pemberitahuan").render(contoh("surat_pemberitahuan"))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names[0] == "[Content_Types].xml"
        for n in names:
            if n.endswith(".xml") or n.endswith(".rels"):
                etree.fromstring(z.read(n))  # well-formed
    doc = Document(io.BytesIO(data))
    assert len(doc.tables) >= 1  # the attachment list
    assert doc.sections[0].page_height is not None


def test_hostile_values_render_literally() -> None:
    p = dict(peserta_list()[0], nama=HOSTILE)
    ctx = contoh(
        "surat_panggilan", peserta=p, hal="Hal & <i>Hal</i>", tujuan="Ctrl\x01\x0bchars\u0007bell"
    )
    data = load_template("surat_panggilan").render(ctx)
    text = docx_text(data)
    assert HOSTILE in text
    assert "49" not in text.replace("2026", "")  # {{ 7*7 }} was never evaluated
    assert "Hal & <i>Hal</i>" in text
    assert "Yth. Ctrlchars\nbell" in text  # invalid XML characters dropped, \a -> line break
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        etree.fromstring(z.read("word/document.xml"))


def test_line_breaks_in_values() -> None:
    ctx = contoh(
        "undangan_pembukaan", tujuan="Bapak/Ibu Kepala Perangkat Daerah\n(daftar terlampir)"
    )
    text = docx_text(load_template("undangan_pembukaan").render(ctx))
    assert "Yth. Bapak/Ibu Kepala Perangkat Daerah\n(daftar terlampir)" in text
    data = load_template("undangan_pembukaan").render(ctx)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert b"<w:br/>" in z.read("word/document.xml")


def test_missing_variable_names_template_and_variable() -> None:
    ctx = contoh("surat_panggilan")
    del ctx["hal"]
    with pytest.raises(MissingVariableError) as ei:
        load_template("surat_panggilan").render(ctx)
    assert ei.value.template == "surat_panggilan" and ei.value.variable == "hal"
    assert "surat_panggilan" in str(ei.value) and "'hal'" in str(ei.value)

    ctx = contoh("sertifikat")
    ctx["peserta"] = {k2: v for k2, v in ctx["peserta"].items() if k2 != "nip"}
    with pytest.raises(MissingVariableError, match=r"sertifikat.*'nip'"):
        load_template("sertifikat").render(ctx)
    # the slow path says the same
    with pytest.raises(MissingVariableError, match=r"sertifikat.*'nip'"):
        load_template("sertifikat").render_docxtpl(ctx)


def test_loops_in_tables() -> None:
    many = [
        k.orang(
            {
                "nama": f"PEGAWAI {i}",
                "nip": "199003152015031002",
                "golongan": "III/a",
                "jabatan": "Pelaksana",
            }
        )
        for i in range(1, 26)
    ]
    text = docx_text(
        load_template("surat_pemberitahuan").render(
            contoh("surat_pemberitahuan", peserta=many, jumlah_peserta="25")
        )
    )
    rows = [ln for ln in text.splitlines() if " | PEGAWAI " in ln]
    assert len(rows) == 25 and rows[0].startswith("1 | PEGAWAI 1 |")
    assert rows[-1].startswith("25 | PEGAWAI 25 |")
    empty = docx_text(load_template("daftar_hadir").render(contoh("daftar_hadir", peserta=[])))
    assert "No. | Nama / NIP | Jabatan / Unit Kerja | Tanda Tangan" in empty
    assert "NIP. 19900315" not in empty


def test_optional_parts_disappear() -> None:
    ctx = contoh(
        "surat_panggilan",
        tembusan=[],
        ttd=k.penandatangan(
            "Dr. H. SUTRISNO, S.Sos., M.Si.", "197209131998031001", "Kepala Badan", plt=True
        ),
    )
    text = docx_text(load_template("surat_panggilan").render(ctx))
    assert "Tembusan" not in text and "a.n." not in text
    assert "Plt. Kepala Badan," in text.splitlines()
    assert not any(ln.strip() == "" for ln in text.splitlines())


def test_page_size_and_font_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIKLAT_NASKAH__KERTAS", "F4")
    monkeypatch.setenv("DIKLAT_NASKAH__FONT", "Bookman Old Style")
    reset_settings_cache()
    letter = Document(
        io.BytesIO(load_template("surat_panggilan").render(contoh("surat_panggilan")))
    )
    sec = letter.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (215, 330)
    cert = Document(io.BytesIO(load_template("sertifikat").render(contoh("sertifikat"))))
    sec = cert.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (330, 215)  # landscape
    assert letter.styles["Normal"].font.name == "Bookman Old Style"
    monkeypatch.setenv("DIKLAT_NASKAH__FONT_SIZE_PT", "11.5")
    reset_settings_cache()
    small = Document(io.BytesIO(load_template("surat_panggilan").render(contoh("surat_panggilan"))))
    assert small.styles["Normal"].font.size.pt == 11.5
    # the docxtpl path sees the same page settings
    slow = Document(io.BytesIO(load_template("sertifikat").render_docxtpl(contoh("sertifikat"))))
    assert round(slow.sections[0].page_width.mm) == 330


def test_render_batch_files_and_determinism(tmp_path: Path) -> None:
    ctxs = [
        contoh("sertifikat", nomor=f"800.2.4.2/{i:03d}/BKPSDM/2026", peserta=p)
        for i, p in enumerate(peserta_list(), 1)
    ]
    paths = render_batch("sertifikat", ctxs, tmp_path / "a")
    assert [p.name for p in paths] == [f"sertifikat_000{i}.docx" for i in (1, 2, 3)]
    assert "SITI NURHALIZA, S.H." in docx_text(paths[1])
    again = render_batch("sertifikat", ctxs, tmp_path / "b", names=["x", "y", "z"])
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (*paths, *again)]
    assert digest[:3] == digest[3:]  # same data, same bytes (hash-stable for approvals)
    assert len(set(digest[:3])) == 3
    assert not list((tmp_path / "a").glob("*.tmp"))
    with pytest.raises(ValueError):
        render_batch("sertifikat", ctxs[:1], tmp_path, names=["../evil"])
    one = render_one("sertifikat", ctxs[0], tmp_path / "c" / "one.docx")
    assert one.read_bytes() == paths[0].read_bytes()


def test_unknown_template() -> None:
    with pytest.raises(TemplateNotFoundError):
        load_template("surat_tidak_ada")
    with pytest.raises(TemplateNotFoundError):
        load_template("../etc/passwd")


def test_column_loop_template_falls_back_to_docxtpl(tmp_path: Path) -> None:
    d = Document()
    t = d.add_table(rows=1, cols=3)
    t.rows[0].cells[0].text = "{%tc for x in xs %}"
    t.rows[0].cells[1].text = "{{ x }}"
    t.rows[0].cells[2].text = "{%tc endfor %}"
    path = tmp_path / "kolom.docx"
    d.save(str(path))
    tpl = load_template(path)
    assert not tpl.fast
    assert docx_text(tpl.render({"xs": ["a", "b", "c"]})).strip() == "a | b | c"


def test_context_builders_keep_personal_data_out() -> None:
    p = k.orang(
        {
            "nip": "199003152015031002",
            "nama": "ANDI",
            "gelar_depan": "Ir.",
            "gelar_belakang": "M.T.",
            "pangkat": "Penata",
            "golongan": "III/c",
            "nik": "6402010101900001",
            "nomor_hp": "081234567890",
            "email": "a@b.c",
            "jabatan": "Analis",
            "unit_nama": "Dinas X",
        },
        kedudukan="Ketua",
        nik="1",
    )
    assert p == {
        "nama": "Ir. ANDI, M.T.",
        "nip": "19900315 201503 1 002",
        "pangkat": "Penata (III/c)",
        "golongan": "III/c",
        "jabatan": "Analis",
        "unit": "Dinas X",
        "kedudukan": "Ketua",
    }
    kop = k.kop()
    assert kop["nama_lengkap"] == (
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia Kabupaten Kutai Kartanegara"
    )
    t = k.penandatangan(
        "RINA",
        "198005122005022003",
        "Sekretaris",
        pangkat="Pembina",
        golongan="IV/a",
        an="Kepala BKPSDM",
    )
    assert (t["an"], t["jabatan"], t["nip"], t["pangkat"], t["sebutan"]) == (
        "a.n. Kepala BKPSDM",
        "Sekretaris",
        "19800512 200502 2 003",
        "Pembina (IV/a)",
        "Kepala BKPSDM",
    )
    assert k.nomor_draf("surat_panggilan", 2026) == "800.2.4.2/      /BKPSDM/2026"
    draft = k.surat("surat_panggilan", hal="x", tujuan="y")
    assert draft["nomor"].startswith("800.2.4.2/      /") and draft["tanggal"].startswith("      ")
    with pytest.raises(ValueError):
        k.surat("surat_panggilan", sifat="Bebas")


def test_headers_and_footers_are_rendered_too(tmp_path: Path) -> None:
    d = Document()
    d.sections[0].header.paragraphs[0].text = "Kepala: {{ nomor }}"
    d.sections[0].footer.paragraphs[0].text = "Kaki: {{ hal }}"
    d.add_paragraph("Isi {{ hal }}")
    path = tmp_path / "hf.docx"
    d.save(str(path))
    tpl = load_template(path)
    ctx = {"nomor": "800/1 & <2>", "hal": "Uji"}
    for data in (tpl.render(ctx), tpl.render_docxtpl(ctx)):
        doc = Document(io.BytesIO(data))
        assert doc.sections[0].header.paragraphs[0].text == "Kepala: 800/1 & <2>"
        assert doc.sections[0].footer.paragraphs[0].text == "Kaki: Uji"
        assert docx_text(data) == "Isi Uji\n"
