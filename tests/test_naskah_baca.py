"""The letters read the way the agency's secretary reads a draft before it goes up for paraf
(issue 20, second reading): each test renders a training's letters from the database to PDF
(LibreOffice) and reads the PDF's text layer with poppler's ``pdftotext`` or its layout (on
which page a block stands), as the secretary reads the printed letter."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from connectors import pdf as pdfconn
from diklat.db import session_scope
from diklat.kegiatan.data import kegiatan_by_kode, tetapkan_peserta
from diklat.models import Bundel, Naskah, NaskahBerkas, Pegawai
from diklat.mulai import simpan_kegiatan
from diklat.naskah import versi as v
from diklat.naskah.register import today
from diklat.pegawai.pejabat import ensure_pejabat
from diklat.pegawai.personnel import PersonnelWriter
from tests.rekam_support import terbitkan
from tests.sop_support import siap

PD = "PD-BACA-1"  # SOP 002, the Sekretaris Daerah signs the assignment letter
PK = "PK-BACA-1"  # SOP 000, run by the agency itself
PENYELENGGARA = "Badan Pengembangan Sumber Daya Manusia Provinsi Kalimantan Timur"

UNITS = [
    {
        "kode": "64021002",
        "nama": "SD Negeri 012 Loa Kulu",
        "email": "sd012@example.go.id",
        "alamat": "Jl. Poros Loa Kulu, Loa Kulu",
        "induk_kode": "64021000",
        "tempat": "Loa Kulu",
    },
    {
        "kode": "64021000",
        "nama": "Dinas Pendidikan dan Kebudayaan",
        "email": "diknas@example.go.id",
        "alamat": "Jl. Pesut No. 1, Tenggarong",
        "tempat": "Tenggarong",
    },
    {
        "kode": "64021200",
        "nama": "RSUD A.M. Parikesit",
        "email": "rsud@example.go.id",
        "alamat": "Jl. Ratu Agung No. 1, Tenggarong Seberang",
        "tempat": "Tenggarong Seberang",
    },
    {
        "kode": "64020100",
        "nama": "Sekretariat Daerah",
        "singkatan": "SETDA",
        "email": "setda@example.go.id",
        "alamat": "Jl. Wolter Monginsidi No. 1, Tenggarong",
        "tempat": "Tenggarong",
    },
    {
        "kode": "64020500",
        "nama": "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        "singkatan": "BKPSDM",
        "alamat": "Jalan Wolter Monginsidi, Tenggarong",
        "tempat": "Tenggarong",
    },
]
PEGAWAI = [  # nip, name, unit, golongan, pangkat, jabatan
    (
        "198501012010012001",
        "SITI AMINAH",
        "64021002",
        "III/b",
        "Penata Muda Tk. I",
        "Guru Ahli Pertama",
    ),
    (
        "199002022015031002",
        "BUDI SANTOSO",
        "64021000",
        "III/c",
        "Penata",
        "Analis Kepegawaian Ahli Pertama",
    ),
    ("198803032012041003", "RATNA DEWI", "64021200", "IV/a", "Pembina", "Apoteker Ahli Madya"),
    (
        "197904042005022004",
        "DEWI LESTARI",
        "64020100",
        "III/d",
        "Penata Tk. I",
        "Analis Kebijakan Ahli Muda",
    ),
    ("198206062008011005", "YUSUF HABIBI", "64020500", "III/d", "Penata Tk. I", "Pengelola Diklat"),
]
NARASUMBER = [
    {
        "nama": "Dr. HARYANTO, M.Si.",
        "jabatan": "Widyaiswara Ahli Utama BPSDM Provinsi Kalimantan Timur",
        "materi": "Analisis Jabatan dan Peta Jabatan",
    },
    {
        "nama": "LINDA KARTIKA, S.Psi., M.A.",
        "jabatan": "Analis Kebijakan Ahli Madya",
        "materi": "Analisis Beban Kerja",
    },
]
PEJABAT = [
    dict(
        nip="197209131998031001",
        nama="Dr. H. SUTRISNO, S.Sos., M.Si.",
        peran="kepala",
        jabatan="Kepala Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        pangkat="Pembina Utama Muda (IV/c)",
    ),
    dict(
        nip="198005122005022003",
        nama="RINA WULANDARI, S.E., M.M.",
        peran="kabid_psda",
        jabatan="Kepala Bidang Pengembangan Sumber Daya Aparatur",
        pangkat="Pembina (IV/a)",
    ),
    dict(
        nip="197706142003121004",
        nama="AHMAD FAUZI, S.H., M.H.",
        peran="sekretaris",
        jabatan="Sekretaris Badan",
        pangkat="Pembina Tingkat I (IV/b)",
    ),
    dict(
        nip="199001012015031001",
        nama="NUR HASANAH, S.Psi.",
        peran="analis_sdm",
        jabatan="Analis SDM Aparatur Ahli Muda",
        pangkat="Penata (III/c)",
    ),
    dict(
        nip="196801011990031001",
        nama="Drs. H. MUHAMMAD YUSUF, M.Si.",
        peran="sekda",
        jabatan="Sekretaris Daerah",
        pangkat="Pembina Utama Madya (IV/d)",
    ),
]


@pytest.fixture
def soffice() -> str:
    path = pdfconn.find_soffice()
    if path is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice (soffice) or poppler (pdftotext) not installed")
    return path


@pytest.fixture
def data(sqlite_engine: Engine, soffice: str) -> Engine:
    """Both SOPs' trainings: SOP 002 with the Sekda's authority (the hospital's pharmacist;
    notices to the hospital and the Setda), SOP 000 run by the agency (participants from the
    school, the education office, the hospital and the Setda)."""
    engine = sqlite_engine
    w = PersonnelWriter(engine, None, sumber="simpeg")
    w.upsert_units(UNITS)
    w.write(
        [
            {"nip": n, "nama": nama, "unit_kode": u, "golongan": g, "pangkat": pk, "jabatan": jab}
            for n, nama, u, g, pk, jab in PEGAWAI
        ]
    )
    mulai = today()  # held today: certificates and reports may be made, nothing dated ahead
    with session_scope(engine) as s:
        for p in PEJABAT:
            ensure_pejabat(s, **p, email=f"{p['peran']}@example.go.id")
    siap(engine)  # the staff who correct drafts sent back
    with session_scope(engine) as s:
        pd_ = simpan_kegiatan(
            s,
            {
                "kode": PD,
                "sop": "pengiriman-peserta",
                "nama": "Pelatihan Teknis Pengelolaan Arsip Dinamis",
                "mulai": mulai,
                "selesai": mulai,
                "tempat": "Samarinda",
                "jp": 40,
                "penyelenggara": PENYELENGGARA,
                "kriteria": {"unit": ["64021200", "64020100"]},
                "surat_penyelenggara": {
                    "nomor": "800.2.4.2/0412/BPSDM.KT/2026",
                    "tanggal": today() - dt.timedelta(days=3),
                    "hal": "Pemanggilan Peserta Pelatihan",
                },
                "kondisi": ["kewenangan_sekda"],
            },
        )
        pk = simpan_kegiatan(
            s,
            {
                "kode": PK,
                "sop": "peningkatan-kapasitas",
                "nama": "Pelatihan Penyusunan Analisis Jabatan",
                "mulai": mulai,
                "selesai": mulai,
                "tempat": "Aula BKPSDM, Tenggarong",
                "jp": 24,
                "lembaga_narasumber": PENYELENGGARA,
                "materi": ["Analisis Jabatan", "Analisis Beban Kerja", "Peta Jabatan"],
                "narasumber": NARASUMBER,
            },
        )
        ids = dict(s.execute(select(Pegawai.nip, Pegawai.id)).all())
        tetapkan_peserta(s, pd_, [ids["198803032012041003"]], status="terdaftar")
        tetapkan_peserta(s, pk, [ids[p[0]] for p in PEGAWAI[:4]], status="terdaftar")
    return engine


def pdftotext(path: Path, *, layout: bool = True) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pages(path: Path) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    return pdftotext(path).split("\f")[:-1]


def terbit(engine: Engine, kode: str, jenis: str, out: Path) -> dict[str, Path]:
    """Draft, decide (the officials, through the real path), number and issue a bundle; its
    final PDFs by key."""
    h = terbitkan(engine, kode, jenis, out, pdf=True)
    return _berkas(engine, h.bundel_id, "final_pdf")


def _berkas(engine: Engine, bundel_id: int, peran: str) -> dict[str, Path]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(Naskah.kunci, NaskahBerkas.path)
            .join(NaskahBerkas, NaskahBerkas.naskah_id == Naskah.id)
            .where(Naskah.bundel_id == bundel_id, NaskahBerkas.peran == peran)
        ).all()
    return {k: Path(p) for k, p in rows}


def bundel(engine: Engine, kode: str, jenis: str) -> Bundel:
    with session_scope(engine) as s:
        b = v.bundel_terkini(s, kegiatan_by_kode(s, kode).id, jenis)
        assert b is not None
        s.expunge(b)
        return b


def flat(text: str) -> str:
    """The text with its line breaks and runs of spaces as one space (a sentence that the
    layout wraps reads as one)."""
    return " ".join(text.split())


# --------------------------------------------------------------------------- 1. organiser


def test_notice_names_the_trainings_organiser(data: Engine, tmp_path: Path) -> None:
    """SOP 002: the organiser is the training's penyelenggara (the province's body), not the
    agency that sends the participants; SOP 000: the agency itself."""
    pd_ = terbit(data, PD, "surat_pemberitahuan", tmp_path)
    assert pd_
    for path in pd_.values():
        text = flat(pdftotext(path))
        assert (
            f"{PENYELENGGARA} akan menyelenggarakan Pelatihan Teknis Pengelolaan Arsip Dinamis"
        ) in text
        assert "Sumber Daya Manusia Kabupaten Kutai Kartanegara akan menyelenggarakan" not in text
    pk = terbit(data, PK, "surat_pemberitahuan", tmp_path)
    text = flat(pdftotext(next(iter(pk.values()))))
    assert (
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia Kabupaten Kutai "
        "Kartanegara akan menyelenggarakan Pelatihan Penyusunan Analisis Jabatan"
    ) in text


# --------------------------------------------------------------------------- 2. Setda letters


def _signer_subject(pdf: Path) -> dict[str, str]:
    """The signer certificate's subject (O, OU, title, CN) read from the signed PDF."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(pdf, "rb") as fh:
        sig = PdfFileReader(fh).embedded_signatures[0]
        return {k: str(val) for k, val in sig.signer_cert.subject.native.items()}


def test_a_letter_the_sekda_signs_is_a_setda_letter(data: Engine, tmp_path: Path) -> None:
    from diklat.models import RegisterEntry
    from diklat.naskah import tanda_tangan

    final = terbit(data, PD, "surat_tugas", tmp_path)
    text = pdftotext(next(iter(final.values())))
    head = text[: text.index("SURAT TUGAS")]
    assert "SEKRETARIAT DAERAH" in head and "BADAN KEPEGAWAIAN" not in head
    assert "setda@kukarkab.go.id" in head
    assert "Sekretaris Daerah Kabupaten Kutai Kartanegara," in flat(text)
    assert "Sekretaris Daerah," not in flat(text)
    b = bundel(data, PD, "surat_tugas")
    with session_scope(data) as s:
        e = s.execute(
            select(RegisterEntry)
            .join(Naskah, RegisterEntry.naskah_id == Naskah.id)
            .where(Naskah.bundel_id == b.id)
        ).scalar_one()
        assert e.unit == "SETDA" and "/SETDA/" in e.nomor
    assert f"NOMOR {e.nomor}" in text
    # the agency's own letters stay in its series
    pk = terbit(data, PK, "surat_pemberitahuan", tmp_path)
    assert "/BKPSDM/" in pdftotext(next(iter(pk.values())))
    # the signer's certificate names the Sekretariat Daerah, not the agency
    tanda_tangan.tanda_tangani(data, PD, b.id, tmp_path)
    signed = next(iter(_berkas(data, b.id, "ttd_pdf").values()))
    subject = _signer_subject(signed)
    assert subject["organizational_unit_name"] == "Sekretariat Daerah"
    assert subject["organization_name"] == "Pemerintah Kabupaten Kutai Kartanegara"
    assert subject["title"] == "Sekretaris Daerah Kabupaten Kutai Kartanegara"
    assert "BKPSDM" not in " ".join(subject.values())
    assert "Sekretaris Daerah Kabupaten Kutai" in flat(pdftotext(signed))  # the stamp


def test_setda_letter_on_the_regional_heads_letterhead(
    data: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diklat.naskah import konteks
    from diklat.settings import reset_settings_cache

    monkeypatch.setenv("DIKLAT_SETDA__KOP", "kepala_daerah")
    reset_settings_cache()
    text = pdftotext(next(iter(terbit(data, PD, "surat_tugas", tmp_path).values())))
    head = text[: text.index("SURAT TUGAS")]
    assert "BUPATI KUTAI KARTANEGARA" in head and "BADAN KEPEGAWAIAN" not in head
    # the draft shows the series it will be numbered in
    assert konteks.nomor_draf("surat_tugas", 2026, unit="SETDA") == "800.1.4.1/      /SETDA/2026"
    with session_scope(data) as s:
        n = s.execute(select(Naskah).where(Naskah.jenis == "surat_tugas")).scalar_one()
        import json

        assert json.loads(n.konteks_json or "{}")["unit_nomor"] == "SETDA"


# --------------------------------------------------------------------------- 3. tembusan


def tembusan(text: str) -> list[str]:
    """The copy list of a letter's text: the numbered lines after ``Tembusan:``."""
    lines = [ln.strip() for ln in text.splitlines()]
    if "Tembusan:" not in lines:
        return []
    out = []
    for ln in lines[lines.index("Tembusan:") + 1 :]:
        if not ln or not ln[0].isdigit():
            break
        out.append(ln.split(". ", 1)[1])
    return out


def test_tembusan_never_repeats_the_addressee_and_names_positions(
    data: Engine, tmp_path: Path
) -> None:
    notices = terbit(data, PK, "surat_pemberitahuan", tmp_path)
    setda = pdftotext(notices["opd:64020100"])
    assert "Yth. Sekretaris Daerah Kabupaten Kutai Kartanegara" in setda
    assert not any("Sekretaris Daerah" in t for t in tembusan(setda))
    other = pdftotext(notices["opd:64021000"])
    assert tembusan(other) == ["Sekretaris Daerah Kabupaten Kutai Kartanegara"]
    st = pdftotext(next(iter(terbit(data, PD, "surat_tugas", tmp_path).values())))
    assert tembusan(st) == [f"Kepala {PENYELENGGARA}", "Direktur RSUD A.M. Parikesit"]


# --------------------------------------------------------------------------- 4. "di" line


def di(text: str) -> str:
    """The place after the addressee: the line after ``di``."""
    lines = [ln.strip() for ln in text.splitlines()]
    return lines[lines.index("di") + 1]


def test_di_names_the_addressees_town(data: Engine, tmp_path: Path) -> None:
    from diklat.pegawai.unit_kerja import atur_tempat

    permohonan = terbit(data, PK, "surat_permohonan_narasumber", tmp_path)
    assert di(pdftotext(permohonan[""])) == "Samarinda"  # a province's body
    notices = terbit(data, PK, "surat_pemberitahuan", tmp_path)
    assert di(pdftotext(notices["opd:64021002"])) == "Loa Kulu"  # the school's own town
    assert di(pdftotext(notices["opd:64021200"])) == "Tenggarong Seberang"
    assert di(pdftotext(notices["opd:64021000"])) == "Tenggarong"
    # a summons goes to the participant's unit's town, never the unit's name
    with session_scope(data) as s:  # an operator corrects the hospital's town first
        atur_tempat(s, "64021200", "Tenggarong  Seberang ")
    summons = terbit(data, PK, "surat_panggilan", tmp_path)
    assert di(pdftotext(summons["peserta:198501012010012001"])) == "Loa Kulu"
    assert di(pdftotext(summons["peserta:198803032012041003"])) == "Tenggarong Seberang"
    assert all(not di(pdftotext(p)).startswith(("SD ", "Dinas", "RSUD")) for p in summons.values())


# --------------------------------------------------------------------------- 5. report


def _starts_with_digit(text: str) -> list[str]:
    """Sentences of numbered items (``1. ...``) and paragraphs that start with digits."""
    out = []
    for ln in (x.strip() for x in text.splitlines()):
        body = ln.split(". ", 1)[1] if ln[:1].isdigit() and ". " in ln[:4] else ln
        if body[:1].isdigit():
            out.append(ln)
    return out


def test_report_names_speakers_and_writes_numbers_with_words(data: Engine, tmp_path: Path) -> None:
    text = pdftotext(
        next(iter(terbit(data, PK, "laporan_kegiatan", tmp_path).values())), layout=False
    )
    body = flat(text)
    for n in NARASUMBER:
        assert f"{n['nama']} ({n['jabatan']}): {n['materi']}" in body
    assert PENYELENGGARA not in body  # the speakers, not the institution with each topic
    assert "24 (dua puluh empat) jam pelajaran" in body
    assert "Sebanyak 0 (nol) orang peserta dinyatakan lulus" in body
    assert _starts_with_digit(text) == []
    # without the speakers' names, the institution asked is named once with its topics
    with session_scope(data) as s:
        k = simpan_kegiatan(
            s,
            {
                "kode": "PK-BACA-2",
                "sop": "peningkatan-kapasitas",
                "nama": "Pelatihan Kedua",
                "mulai": today(),
                "selesai": today(),
                "tempat": "Aula",
                "jp": 16,
                "lembaga_narasumber": PENYELENGGARA,
                "materi": ["Analisis Jabatan", "Analisis Beban Kerja", "Peta Jabatan"],
            },
        )
        pid = s.execute(select(Pegawai.id)).scalars().first()
        tetapkan_peserta(s, k, [pid], status="terdaftar")
    text2 = flat(
        pdftotext(next(iter(terbit(data, "PK-BACA-2", "laporan_kegiatan", tmp_path).values())))
    )
    assert (
        f"1. Narasumber dari {PENYELENGGARA}: Analisis Jabatan, Analisis Beban Kerja dan "
        f"Peta Jabatan"
    ) in text2
    assert text2.count(PENYELENGGARA) == 1
    assert "16 (enam belas) jam pelajaran" in text2


def _batch_pdfs(jenis: str, contexts: list[dict[str, Any]], out: Path) -> list[Path]:
    from diklat.naskah import render_batch

    docx = render_batch(jenis, contexts, out / "docx")
    pdfs = pdfconn.convert_batch(docx, out / "pdf")
    assert pdfs is not None
    return pdfs


def page_of(path: Path, needle: str) -> int:
    """The (0-based) page whose text holds ``needle`` (its last occurrence)."""
    found = [i for i, p in enumerate(pages(path)) if needle in flat(p)]
    assert found, needle
    return found[-1]


@pytest.mark.parametrize("kertas", ["A4", "F4"])
def test_report_signature_block_never_alone(
    soffice: str, tmp_path: Path, kertas: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However long the report, its closing, the date line and the signature block share a
    page: rendered with 0 to 20 speakers, the break falls everywhere once."""
    from diklat.naskah import clear_cache
    from diklat.naskah.contoh import contoh
    from diklat.settings import reset_settings_cache

    monkeypatch.setenv("DIKLAT_NASKAH__KERTAS", kertas)
    reset_settings_cache()
    clear_cache()
    one = {
        "nama": "Drs. BAMBANG SUKMA, M.AP.",
        "jabatan": "Widyaiswara Ahli Utama",
        "materi": "Analisis Jabatan",
    }
    contexts = [contoh("laporan_kegiatan", narasumber=[one] * n) for n in range(0, 21)]
    for path in _batch_pdfs("laporan_kegiatan", contexts, tmp_path):
        block = page_of(path, "NIP. 19720913 199803 1 001")
        assert page_of(path, "Demikian laporan ini disampaikan") == block, path
        assert page_of(path, "Tenggarong, ") == block, path


def test_paper_is_also_an_agency_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """``DIKLAT_INSTANSI__KERTAS=F4`` (the acceptance checks' spelling) gives F4 pages."""
    import io
    import zipfile

    from diklat.naskah import clear_cache, load_template
    from diklat.naskah.contoh import contoh
    from diklat.settings import get_settings, reset_settings_cache

    monkeypatch.setenv("DIKLAT_INSTANSI__KERTAS", "F4")
    reset_settings_cache()
    clear_cache()
    assert get_settings().naskah.kertas == "F4"
    data = load_template("surat_tugas").render(contoh("surat_tugas"))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert 'w:h="18709"' in z.read("word/document.xml").decode()
    clear_cache()


# --------------------------------------------------------------------------- 6. pages


def _all_types(tmp: Path) -> dict[str, Path]:
    """Every type's example, plus a summons whose copy list used to be alone on page 2, in one
    LibreOffice call."""
    from diklat.naskah import JENIS, render_batch
    from diklat.naskah.contoh import contoh

    docx = []
    for jenis in JENIS:
        docx += render_batch(jenis, [contoh(jenis)], tmp / "docx", names=[jenis])
    pdfs = pdfconn.convert_batch(docx, tmp / "pdf")
    assert pdfs is not None
    return {p.stem: p for p in pdfs}


@pytest.mark.parametrize("kertas", ["A4", "F4"])
def test_date_line_block_and_copy_list_share_a_page(
    soffice: str, tmp_path: Path, kertas: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diklat.naskah import clear_cache
    from diklat.naskah.contoh import contoh
    from diklat.settings import reset_settings_cache

    monkeypatch.setenv("DIKLAT_INSTANSI__KERTAS", kertas)
    reset_settings_cache()
    clear_cache()
    pdfs = _all_types(tmp_path)
    for jenis, path in pdfs.items():
        ttd = contoh(jenis)["ttd"]
        if not ttd:
            continue
        texts = pages(path)
        block = min(i for i, p in enumerate(texts) if f"NIP. {ttd['nip']}" in p)
        for label in ("Ditetapkan di", "Dikeluarkan di", "pada tanggal :", "Tembusan:", "Demikian"):
            where = [
                i
                for i, p in enumerate(texts)
                if any(" ".join(ln.split()).startswith(label) for ln in p.splitlines())
            ]
            if where:
                assert where[0] == block, (kertas, jenis, label, where, block)
    clear_cache()


def _sign(engine: Engine, kode: str, jenis: str, out: Path) -> dict[str, Path]:
    """The bundle issued and signed with the local CA; its signed PDFs by key."""
    from diklat.naskah import tanda_tangan

    terbit(engine, kode, jenis, out)
    b = bundel(engine, kode, jenis)
    tanda_tangan.tanda_tangani(engine, kode, b.id, out)
    return _berkas(engine, b.id, "ttd_pdf")


def test_signed_letter_stamps_every_block_footer_every_page_no_marker(
    data: Engine, tmp_path: Path
) -> None:
    from connectors.tte.verify import verify_pdf
    from diklat.clients import trust_roots
    from tests.tte_support import read_qr

    signed = _sign(data, PK, "surat_pemberitahuan", tmp_path)
    path = signed["opd:64021000"]
    texts = pages(path)
    assert len(texts) >= 2  # the letter and its attachment (the list of candidates)
    assert "#TTE#" not in pdftotext(path) and "#TTE#" not in pdftotext(path, layout=False)
    for text in texts:
        assert "Ditandatangani secara elektronik dengan sertifikat internal BKPSDM" in flat(text)
    with session_scope(data) as s:
        token = s.execute(
            select(Naskah.token).where(
                Naskah.jenis == "surat_pemberitahuan", Naskah.kunci == "opd:64021000"
            )
        ).scalar_one()
    url = f"http://127.0.0.1:8000/v/{token}"
    for page in (1, len(texts)):  # the letter's block and the attachment's
        folder = tmp_path / f"qr{page}"
        folder.mkdir()
        assert read_qr(path.read_bytes(), folder, page=page) == [url], page
    assert "Ditandatangani secara elektronik oleh:" in flat(texts[-1])  # drawn on the page
    v = verify_pdf(path.read_bytes(), trust_roots())
    assert (v.valid, v.intact, v.trusted, v.modified_after_signing) == (True, True, True, False)
    if shutil.which("pdfsig"):
        out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
        assert "Signature is Valid" in out and "Total document signed" in out


# --------------------------------------------------------------------------- 7. attendance


def test_attendance_sheet_is_closed_by_the_committee_chair(data: Engine, tmp_path: Path) -> None:
    sheets = terbit(data, PK, "daftar_hadir", tmp_path)
    text = pdftotext(sheets["hari:1"])
    lines = [" ".join(ln.split()) for ln in text.splitlines()]
    day = next(ln for ln in lines if ln.startswith("Hari/Tanggal")).split(", ", 1)[1]
    last = lines[max(i for i, ln in enumerate(lines) if "..........." in ln) :]
    closing = [ln for ln in last if ln]
    assert closing[-4:] == [
        f"Tenggarong, {day}",
        "Ketua Panitia,",
        "RINA WULANDARI, S.E., M.M.",
        "NIP. 19800512 200502 2 003",
    ]


# --------------------------------------------------------------------------- 8. assignment


def test_assignment_letter_names_the_unit_and_closes_once(data: Engine, tmp_path: Path) -> None:
    text = flat(pdftotext(next(iter(terbit(data, PD, "surat_tugas", tmp_path).values()))))
    assert "Jabatan : Apoteker Ahli Madya pada RSUD A.M. Parikesit" in text
    assert text.count("penuh tanggung jawab") == 1  # the closing, not also the last "Untuk"
    assert "Demikian surat tugas ini dibuat untuk dilaksanakan dengan penuh tanggung jawab." in text


# --------------------------------------------------------------------------- 9. STTP


def test_certificate_hours_rank_title_and_recorded_result(data: Engine, tmp_path: Path) -> None:
    from diklat.kegiatan.data import tetapkan_hasil
    from diklat.models import Peserta

    with session_scope(data) as s:
        k = kegiatan_by_kode(s, PK)
        rows = dict(
            s.execute(
                select(Pegawai.nip, Peserta.id)
                .join(Pegawai, Peserta.pegawai_id == Pegawai.id)
                .where(Peserta.kegiatan_id == k.id)
            ).all()
        )
        tetapkan_hasil(s, k, {rows["198501012010012001"]: 95.0, rows["198803032012041003"]: 72.5})
    certs = terbit(data, PK, "sertifikat", tmp_path)
    assert set(certs) == {"peserta:198501012010012001", "peserta:198803032012041003"}
    siti = pdftotext(certs["peserta:198501012010012001"])
    assert "selama 24 (dua puluh empat) jam pelajaran dengan predikat Sangat Memuaskan" in flat(
        siti
    )
    assert "Pangkat/Golongan Penata Muda Tk. I (III/b)" in flat(siti)
    ratna = flat(pdftotext(certs["peserta:198803032012041003"]))
    assert "dengan predikat Cukup Memuaskan" in ratna  # the recorded result, per participant
    # the signer's title breaks into balanced lines: no word alone on a line
    lines = [ln.strip() for ln in siti.splitlines() if ln.strip()]
    at = next(i for i, ln in enumerate(lines) if ln.startswith("Tenggarong, "))
    title = lines[at + 1 : next(i for i, ln in enumerate(lines) if ln.startswith("Dr. H."))]
    title = [ln for ln in title if ln != "#TTE#"]
    assert " ".join(title) == "Kepala Badan Kepegawaian dan Pengembangan Sumber Daya Manusia,"
    assert all(len(ln.split()) > 1 for ln in title), title


# --------------------------------------------------------------------------- 10. what is signed


def test_draft_series_attachment_names_register_hal(data: Engine, tmp_path: Path) -> None:
    import email

    from connectors.mail import OutboxTransport
    from diklat.kegiatan.data import tetapkan_hasil
    from diklat.models import Peserta, RegisterEntry
    from diklat.naskah.distribusi import Penerima, distribusikan

    # the approver's draft of the decree shows the decrees' series it will be numbered in
    v.buat_draf(data, PK, "sk_panitia", tmp_path, pdf=True)
    draft = _berkas(data, bundel(data, PK, "sk_panitia").id, "draf_pdf")[""]
    assert f"NOMOR 800.2.4.2/ /KEP/BKPSDM/{today().year}" in flat(pdftotext(draft))
    # a signed notice goes out as a file named after the letter
    signed = _sign(data, PK, "surat_pemberitahuan", tmp_path)
    with session_scope(data) as s:
        n = s.execute(
            select(Naskah).where(
                Naskah.jenis == "surat_pemberitahuan", Naskah.kunci == "opd:64021000"
            )
        ).scalar_one()
        nid, nomor = n.id, n.nomor
    assert signed["opd:64021000"].name == "opd_64021000.pdf"
    outbox = tmp_path / "outbox"
    distribusikan(
        data,
        nid,
        [Penerima("opd:64021000", "Kepala Dinas", "diknas@example.go.id")],
        transport=OutboxTransport(outbox),
    )
    msg = email.message_from_bytes(next(outbox.glob("*.eml")).read_bytes())
    names = [p.get_filename() for p in msg.walk() if p.get_filename()]
    assert names == [f"{nomor.replace('/', '-')}-surat-pemberitahuan.pdf"]
    assert names[0].startswith("800.2.4.1-") and "-BKPSDM-" in names[0]
    # the register's Hal of a certificate names the holder and the training
    with session_scope(data) as s:
        k = kegiatan_by_kode(s, PK)
        pid = s.execute(
            select(Peserta.id)
            .join(Pegawai, Peserta.pegawai_id == Pegawai.id)
            .where(Pegawai.nip == "198501012010012001")
        ).scalar_one()
        tetapkan_hasil(s, k, {pid: 90.5})
    terbit(data, PK, "sertifikat", tmp_path)
    with session_scope(data) as s:
        hal = s.execute(
            select(RegisterEntry.hal)
            .join(Naskah, RegisterEntry.naskah_id == Naskah.id)
            .where(Naskah.jenis == "sertifikat")
        ).scalar_one()
    assert hal == (
        "Surat Tanda Tamat Pelatihan Pelatihan Penyusunan Analisis Jabatan atas nama SITI AMINAH"
    )
    # the receipts speak of training kit in Indonesian
    receipt = next(iter(terbit(data, PK, "tanda_terima", tmp_path).values()))
    text = flat(pdftotext(receipt, layout=False))
    assert "Perlengkapan pelatihan (tas, modul dan alat tulis)" in text
    assert "Training Kit" not in text


# --------------------------------------------------------------------------- 11. verification


def test_verification_page_certificate_fields_and_agency_time(
    data: Engine, tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import re

    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from cli.tte import add_commands
    from diklat.kegiatan.data import tetapkan_hasil
    from diklat.models import Peserta
    from diklat.settings import reset_settings_cache
    from web.app import create_app

    monkeypatch.setenv("DIKLAT_DATABASE_URL", sqlite_url)  # the page reads this database
    reset_settings_cache()
    with session_scope(data) as s:
        pid = s.execute(
            select(Peserta.id)
            .join(Pegawai, Peserta.pegawai_id == Pegawai.id)
            .where(Pegawai.nip == "198501012010012001")
        ).scalar_one()
        tetapkan_hasil(s, kegiatan_by_kode(s, PK), {pid: 91.0})
    path = next(iter(_sign(data, PK, "sertifikat", tmp_path).values()))
    with session_scope(data) as s:
        token = s.execute(select(Naskah.token).where(Naskah.jenis == "sertifikat")).scalar_one()
    client = TestClient(create_app())
    page = client.get(f"/v/{token}").text
    assert re.search(r"id='pemegang'>SITI AMINAH<", page)
    assert re.search(r"id='kegiatan'>Pelatihan Penyusunan Analisis Jabatan<", page)
    assert re.search(r"id='waktu'>\d+ \w+ \d{4} \d\d\.\d\d WITA<", page)
    assert "UTC" not in page
    checked = client.post(
        f"/v/{token}", files={"berkas": ("s.pdf", path.read_bytes(), "application/pdf")}
    ).text
    assert "data-verdict='valid'" in checked
    assert re.search(
        r"Ditandatangani oleh Dr\. H\. SUTRISNO, S\.Sos\., M\.Si\. pada "
        r"\d+ \w+ \d{4} \d\d\.\d\d WITA\.",
        checked,
    )
    assert "UTC" not in checked
    # one changed byte: not valid, not intact, modified after signing, the signer still trusted
    pdf = path.read_bytes()
    m = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)", pdf)
    assert m
    pos = int(m.group(2)) // 3
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(pdf[:pos] + bytes([pdf[pos] ^ 0x01]) + pdf[pos + 1 :])
    app = __import__("typer").Typer()

    @app.callback()
    def _root() -> None:
        """diklat (test)"""

    add_commands(app)
    runner = CliRunner()
    r = runner.invoke(app, ["tte", "verify", str(bad), "--json"])
    assert r.exit_code == 1, r.output
    v = json.loads(r.output)
    assert (v["valid"], v["intact"], v["trusted"], v["modified_after_signing"]) == (
        False,
        False,
        True,
        True,
    )
    r = runner.invoke(app, ["tte", "verify", str(path), "--json"])
    good = json.loads(r.output)
    assert (good["valid"], good["trusted"], good["modified_after_signing"]) == (True, True, False)
    assert good["signed_at"].endswith("+08:00") and "WITA" in good["reason"]


# --------------------------------------------------------------------------- 12. examples


def test_examples_agree_with_themselves(soffice: str, tmp_path: Path) -> None:
    """``diklat naskah render JENIS --contoh --pdf`` (the README's and the golden files'
    examples): no summons dated before the decree it cites, no report or certificate dated
    before its training ends, every number in its type's series."""
    import re

    from typer.testing import CliRunner

    from cli.main import app
    from diklat.naskah import JENIS
    from diklat.rules.tanggal import parse_tanggal_indonesia

    texts = {}
    runner = CliRunner()
    for jenis in JENIS:
        r = runner.invoke(
            app, ["naskah", "render", jenis, "--contoh", "--pdf", "--out", str(tmp_path / jenis)]
        )
        assert r.exit_code == 0, r.output
        texts[jenis] = flat(pdftotext(next((tmp_path / jenis).glob("*.pdf"))))
    date = (
        r"(\d{1,2} (?:Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|"
        r"November|Desember) \d{4})"
    )

    def letter_date(text: str) -> dt.date:
        return parse_tanggal_indonesia(
            re.findall(rf"(?:Tenggarong,|pada tanggal :) {date}", text)[-1]
        )

    sk = texts["sk_panitia"]
    sk_nomor = re.search(r"NOMOR (\S+)", sk)
    assert sk_nomor and "/KEP/" in sk_nomor.group(1)
    cited = re.search(
        rf"Nomor {re.escape(sk_nomor.group(1))} tanggal {date}", texts["surat_panggilan"]
    )
    assert cited, "the summons cites the example decree"
    assert parse_tanggal_indonesia(cited.group(1)) == letter_date(sk)
    assert letter_date(texts["surat_panggilan"]) >= letter_date(sk)
    end = parse_tanggal_indonesia(re.search(rf"s\.d\. {date}", texts["sertifikat"]).group(1))
    assert letter_date(texts["sertifikat"]) >= end
    assert letter_date(texts["laporan_kegiatan"]) > end
    assert re.search(r"Nomor: \S+/034/BKPSDM-STTP/2026", texts["sertifikat"])


# --------------------------------------------------------------------------- 13. emblem


def test_init_and_config_say_when_the_emblem_is_not_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from diklat.naskah.lambang import placeholder
    from diklat.settings import reset_settings_cache

    runner = CliRunner()
    for command in (["init"], ["config"]):
        r = runner.invoke(app, command)
        assert r.exit_code == 0, r.output
        assert "Lambang daerah belum diatur" in r.output
        assert "DIKLAT_INSTANSI__LAMBANG=" in r.output
    bad = tmp_path / "lambang.jpg"
    bad.write_bytes(b"\xff\xd8 not a png")
    monkeypatch.setenv("DIKLAT_INSTANSI__LAMBANG", str(bad))
    reset_settings_cache()
    r = runner.invoke(app, ["config"])
    assert r.exit_code == 0 and "Lambang daerah tidak dapat dipakai" in r.output
    good = tmp_path / "lambang.png"
    good.write_bytes(placeholder())
    monkeypatch.setenv("DIKLAT_INSTANSI__LAMBANG", str(good))
    reset_settings_cache()
    r = runner.invoke(app, ["init"])
    assert r.exit_code == 0 and "Lambang" not in r.output


def test_assignment_letter_cites_the_organisers_letter(data: Engine, tmp_path: Path) -> None:
    from diklat.kegiatan.data import KegiatanDitolak, periksa
    from diklat.rules.tanggal import tanggal_indonesia

    text = flat(pdftotext(next(iter(terbit(data, PD, "surat_tugas", tmp_path).values()))))
    sent = tanggal_indonesia(today() - dt.timedelta(days=3))
    assert (
        f"Dasar : 1. Surat Kepala {PENYELENGGARA} Nomor 800.2.4.2/0412/BPSDM.KT/2026 "
        f"tanggal {sent} hal Pemanggilan Peserta Pelatihan;"
    ) in text
    # a cited letter dated after the training starts is refused, naming the field
    raw = {
        "kode": "PD-X",
        "sop": "pengiriman-peserta",
        "nama": "Pelatihan X",
        "mulai": "2026-11-23",
        "selesai": "2026-11-25",
        "penyelenggara": PENYELENGGARA,
        "surat_penyelenggara": {"nomor": "1/X/2026", "tanggal": "2026-11-24"},
    }
    with pytest.raises(KegiatanDitolak) as e:
        periksa(raw)
    assert e.value.field == "surat_penyelenggara.tanggal"
