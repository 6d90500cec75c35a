"""A record an auditor can trust (both databases): a refusal stops the training; a revision is
made by the person the SOP names (a Word upload or the data) and goes back up from where the
SOP says, one document of a bundle alone if asked; an identical or broken upload is refused;
what is signed is what was decided on (an edited context, template or final PDF is refused at
signing, audited, sent back); agencies propose for themselves through their link until the
deadline; operators name who acted, impossible times are refused; nothing is numbered or
dated ahead; escalation counts working time across a weekend."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from diklat import masukan
from diklat.db import session_scope
from diklat.kegiatan import ledger, usulan
from diklat.kegiatan.data import kegiatan_by_kode, tetapkan_peserta
from diklat.models import (
    AuditPersetujuan,
    Bundel,
    Naskah,
    NaskahBerkas,
    Pegawai,
    SopStepLog,
)
from diklat.mulai import simpan_kegiatan
from diklat.naskah import perbaikan, status
from diklat.naskah import versi as v
from diklat.naskah.persetujuan import buka, pantau_tenggat
from diklat.naskah.register import RegisterError, today
from diklat.pegawai.pejabat import simpan_pejabat
from diklat.pegawai.personnel import PersonnelWriter
from diklat.settings import reset_settings_cache
from tests.rekam_support import Kotak, putuskan_tingkat, setujui_semua
from tests.sop_support import OFFICIALS

KODE = "PK-R"
PEGAWAI = [
    ("198501012010012001", "Siti Aminah", "U1"),
    ("199002022015031002", "Budi", "U1"),
    ("198803032012041003", "Andi", "U2"),
    ("197904042005022004", "Dewi", "U3"),
]


@pytest.fixture
def world(engine: Engine) -> Engine:
    w = PersonnelWriter(engine, None, sumber="simpeg")
    w.upsert_units(
        [
            {"kode": "U1", "nama": "Dinas Pendidikan", "email": "u1@example.go.id"},
            {"kode": "U2", "nama": "Inspektorat", "email": "u2@example.go.id"},
            {"kode": "U3", "nama": "Dinas Kesehatan", "email": "u3@example.go.id"},
        ]
    )
    w.write(
        [
            {
                "nip": n,
                "nama": nama,
                "unit_kode": u,
                "golongan": "III/a",
                "pangkat": "Penata",
                "jabatan": "Analis",
            }
            for n, nama, u in PEGAWAI
        ]
    )
    with session_scope(engine) as s:
        for peran, nip in OFFICIALS.items():
            simpan_pejabat(
                s,
                nip=nip,
                nama=f"PETUGAS {peran.upper()}",
                peran=peran,
                jabatan=f"Jabatan {peran}",
                email=f"{peran}@example.go.id",
            )
        k = simpan_kegiatan(
            s,
            {
                "kode": KODE,
                "sop": "peningkatan-kapasitas",
                "nama": "Pelatihan Uji",
                "mulai": today(),
                "selesai": today(),
                "tempat": "Aula",
                "jp": 24,
                "kuota": 10,
                "lembaga_narasumber": "BPSDM Provinsi",
                "materi": ["Anjab"],
                "kriteria": {"unit": ["U1", "U2", "U3"]},
            },
        )
        ids = s.execute(select(Pegawai.id).order_by(Pegawai.nip)).scalars().all()
        tetapkan_peserta(s, k, ids, status="calon")
        k.status = "berjalan"
    return engine


def _draf(engine: Engine, jenis: str, tmp: Path) -> int:
    """The first version drafted as the flow drafts it (its drafting steps recorded)."""
    h = v.buat_draf(engine, KODE, jenis, tmp)
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        for no in v.rencana(k, jenis).langkah_draf:
            ledger.selesai(s, k, no, actor=ledger.SISTEM)
    return h.bundel_id


def _members(engine: Engine, bundel_id: int) -> list[tuple[str, str, str]]:
    with session_scope(engine) as s:
        b = s.get(Bundel, bundel_id)
        assert b is not None
        return [(n.kunci, n.sha256 or "", n.asal) for n in b.naskah]


def _edit(path: Path, sentence: str) -> bytes:
    from docx import Document

    doc = Document(str(path))
    p = next(p for p in doc.paragraphs if len(p.text) > 80 and "#TTE#" not in p.text)
    p.add_run(" " + sentence)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_one_document_of_a_bundle_revised_by_upload(world: Engine, tmp_path: Path) -> None:
    """The Sekretaris sends back notice 2 of 3; the typist (SOP 000: return_to 8) uploads it
    corrected in Word; only that document changes, the chain starts again from the Kabid."""
    engine = world
    bid = _draf(engine, "surat_pemberitahuan", tmp_path)
    assert putuskan_tingkat(engine, bid).diterima  # the Kabid initials
    h = putuskan_tingkat(engine, bid, "revisi", "alamat dinas kedua salah", dokumen=[2])
    assert h.diterima
    before = _members(engine, bid)
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        m = perbaikan.menunggu(s, k, "surat_pemberitahuan")
        assert m is not None and (m.peran, m.langkah, m.dokumen) == ("pengelola", 8, [2])
        st = ledger.keadaan(s, k.id)
        assert st[8].status == ledger.MENUNGGU and st[8].putaran == 2
        assert st[9].status == ledger.DIKEMBALIKAN
    files = perbaikan.unduh(engine, KODE, "surat_pemberitahuan", tmp_path / "unduh", [2])
    # an upload identical in text is refused; so is one that lost its date line
    with pytest.raises(perbaikan.PerbaikanDitolak, match="sama dengan yang dikembalikan"):
        perbaikan.perbaiki(
            engine,
            KODE,
            "surat_pemberitahuan",
            tmp_path,
            nip=OFFICIALS["pengelola"],
            cara="unggah",
            berkas={2: files[0].read_bytes()},
        )
    with session_scope(engine) as s:
        draf_tanggal = s.execute(
            select(Naskah.draf_tanggal).where(Naskah.bundel_id == bid, Naskah.kunci == before[1][0])
        ).scalar_one()
    assert draf_tanggal and draf_tanggal.startswith("  ")
    broken = _tanpa(files[0].read_bytes(), draf_tanggal)
    with pytest.raises(perbaikan.PerbaikanDitolak, match="tidak memuat"):
        perbaikan.perbaiki(
            engine,
            KODE,
            "surat_pemberitahuan",
            tmp_path,
            nip=OFFICIALS["pengelola"],
            cara="unggah",
            berkas={2: broken},
        )
    # someone else than the role the SOP names may not correct it
    with pytest.raises(perbaikan.PerbaikanDitolak, match="peran pengelola"):
        perbaikan.perbaiki(
            engine,
            KODE,
            "surat_pemberitahuan",
            tmp_path,
            nip=OFFICIALS["kabid_psda"],
            cara="unggah",
            berkas={2: _edit(files[0], "Alamat sudah dibetulkan.")},
        )
    hp = perbaikan.perbaiki(
        engine,
        KODE,
        "surat_pemberitahuan",
        tmp_path,
        nip=OFFICIALS["pengelola"],
        cara="unggah",
        berkas={2: _edit(files[0], "Alamat sudah dibetulkan.")},
    )
    assert (hp.versi, hp.diubah) == (2, 1)
    after = _members(engine, hp.bundel_id)
    assert [x[0] for x in after] == [x[0] for x in before]
    changed = [a for a, b in zip(after, before, strict=True) if a[1] != b[1]]
    assert [c[2] for c in changed] == ["unggahan"] and changed[0][0] == before[1][0]
    assert [a[2] for a in after].count("salinan") == 2
    with session_scope(engine) as s:
        b2 = s.get(Bundel, hp.bundel_id)
        assert (
            b2 is not None and b2.mulai_urutan == 1 and b2.diperbaiki_oleh == OFFICIALS["pengelola"]
        )
        k = kegiatan_by_kode(s, KODE)
        row8 = s.execute(
            select(SopStepLog).where(
                SopStepLog.kegiatan_id == k.id, SopStepLog.step_no == 8, SopStepLog.putaran == 2
            )
        ).scalar_one()
        assert row8.status == ledger.SELESAI and row8.oleh_nip == OFFICIALS["pengelola"]
    # the corrected version goes up the whole chain again and is issued from the upload
    setujui_semua(engine, hp.bundel_id)
    with session_scope(engine) as s:
        b2 = s.get(Bundel, hp.bundel_id)
        assert b2 is not None
        v.beri_nomor(s, b2)
    v.terbitkan(engine, KODE, hp.bundel_id, tmp_path, pdf=False)
    with session_scope(engine) as s:
        n2 = s.execute(
            select(Naskah).where(Naskah.bundel_id == hp.bundel_id, Naskah.kunci == before[1][0])
        ).scalar_one()
        final = v.berkas(s, n2.id, "final_docx")
        assert final is not None and n2.nomor
        from diklat.naskah.final import teks_docx

        text = teks_docx(Path(final.path))
        assert "Alamat sudah dibetulkan." in text and n2.nomor in text


def _tanpa(docx: bytes, text: str) -> bytes:
    """The DOCX with ``text`` deleted wherever it stands (a line a user typed over)."""
    import zipfile
    from xml.sax.saxutils import escape

    zin = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith(".xml"):
                data = data.decode().replace(escape(text), "").encode()
            z.writestr(info, data)
    return out.getvalue()


def test_revision_by_data_and_without_change(world: Engine, tmp_path: Path) -> None:
    engine = world
    bid = _draf(engine, "surat_permohonan_narasumber", tmp_path)
    assert putuskan_tingkat(engine, bid, "revisi", "materi kurang").diterima
    # nothing corrected: refused, unless the person says why
    with pytest.raises(perbaikan.PerbaikanDitolak, match="sama dengan"):
        perbaikan.perbaiki(
            engine,
            KODE,
            "surat_permohonan_narasumber",
            tmp_path,
            nip=OFFICIALS["pengelola"],
            cara="data",
        )
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        k.kriteria_json = json.dumps({**k.kriteria, "materi": ["Anjab", "ABK"]})
    h = perbaikan.perbaiki(
        engine,
        KODE,
        "surat_permohonan_narasumber",
        tmp_path,
        nip=OFFICIALS["pengelola"],
        cara="data",
        catatan="materi ditambah",
    )
    assert h.versi == 2 and h.diubah == 1
    assert putuskan_tingkat(engine, h.bundel_id, "revisi", "tetap kurang").diterima
    h3 = perbaikan.perbaiki(
        engine,
        KODE,
        "surat_permohonan_narasumber",
        tmp_path,
        nip=OFFICIALS["pengelola"],
        cara="tanpa_perubahan",
        alasan_tanpa_perubahan="materi sudah sesuai DPA",
    )
    assert (h3.versi, h3.diubah) == (3, 0)
    assert _members(engine, h3.bundel_id)[0][1] == _members(engine, h.bundel_id)[0][1]


def test_refusal_stops_the_training_until_started_again(world: Engine, tmp_path: Path) -> None:
    engine = world
    bid = _draf(engine, "surat_permohonan_narasumber", tmp_path)
    assert putuskan_tingkat(engine, bid).diterima
    assert putuskan_tingkat(engine, bid, "tolak", "narasumber tidak dianggarkan").diterima
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        assert k.status == "ditolak" and "narasumber tidak dianggarkan" in (k.status_alasan or "")
        st = ledger.keadaan(s, k.id)
        assert st[4].status == ledger.GAGAL
    # nothing more is taken for a stopped training
    with pytest.raises(perbaikan.PerbaikanDitolak):
        perbaikan.perbaiki(
            engine,
            KODE,
            "surat_permohonan_narasumber",
            tmp_path,
            nip=OFFICIALS["pengelola"],
            cara="data",
        )
    with session_scope(engine) as s, pytest.raises(masukan.MasukanDitolak, match="ditolak"):
        masukan.terapkan(
            s, kegiatan_by_kode(s, KODE), 23, "selesai", {"nip": OFFICIALS["operator"]}
        )
    # started again deliberately: a new version, a new round
    h = perbaikan.ulang(
        engine,
        KODE,
        "surat_permohonan_narasumber",
        tmp_path,
        nip=OFFICIALS["operator"],
        alasan="anggaran narasumber tersedia",
    )
    assert h.versi == 2
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        assert k.status == "berjalan"
        st = ledger.keadaan(s, k.id)
        assert st[2].putaran == 2 or st.get(2) is None or st[2].status != ledger.SELESAI
        audit = (
            s.execute(
                select(AuditPersetujuan.keputusan).where(AuditPersetujuan.bundel_id == h.bundel_id)
            )
            .scalars()
            .all()
        )
        assert "ulang" in audit


def _approved(engine: Engine, tmp: Path, jenis: str = "surat_permohonan_narasumber") -> int:
    bid = _draf(engine, jenis, tmp)
    setujui_semua(engine, bid)
    return bid


def test_edited_context_is_refused_at_signing(world: Engine, tmp_path: Path) -> None:
    from diklat.naskah.tanda_tangan import IsiBerubah, tanda_tangani

    engine = world
    bid = _approved(engine, tmp_path)
    with session_scope(engine) as s:
        n = s.execute(select(Naskah).where(Naskah.bundel_id == bid)).scalar_one()
        ctx = json.loads(n.konteks_json or "{}")
        ctx["hal"] = "Permohonan yang lain"
        n.konteks_json = json.dumps(ctx)
    with pytest.raises(IsiBerubah, match="data naskah"):
        tanda_tangani(engine, KODE, bid, tmp_path)
    with session_scope(engine) as s:
        assert s.execute(select(Naskah.nomor).where(Naskah.bundel_id == bid)).scalar_one() is None


def test_edited_template_is_refused_at_signing(
    world: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diklat.naskah.tanda_tangan import IsiBerubah, tanda_tangani
    from diklat.settings import get_settings

    tpl = tmp_path / "templates"
    shutil.copytree(get_settings().templates_dir, tpl)
    monkeypatch.setenv("DIKLAT_TEMPLATES_DIR", str(tpl))
    reset_settings_cache()
    engine = world
    bid = _approved(engine, tmp_path)
    with open(tpl / "surat_permohonan_narasumber.docx", "ab") as f:
        f.write(b"\0")  # any change to the file
    with pytest.raises(IsiBerubah, match="templat"):
        tanda_tangani(engine, KODE, bid, tmp_path)


def test_swapped_final_pdf_is_refused_and_sent_back(world: Engine, tmp_path: Path) -> None:
    from connectors import pdf as pdfconn
    from diklat.naskah.langkah import selesaikan

    if not pdfconn.available():
        pytest.skip("LibreOffice needed")
    engine = world
    bid = _approved(engine, tmp_path)
    with session_scope(engine) as s:  # numbered and converted, then the process died
        b = s.get(Bundel, bid)
        assert b is not None
        v.beri_nomor(s, b)
    v.terbitkan(engine, KODE, bid, tmp_path, pdf=True)
    with session_scope(engine) as s:
        f = s.execute(
            select(NaskahBerkas)
            .join(Naskah, Naskah.id == NaskahBerkas.naskah_id)
            .where(Naskah.bundel_id == bid, NaskahBerkas.peran == "final_pdf")
        ).scalar_one()
        path = Path(f.path)
    data = path.read_bytes()
    path.write_bytes(
        data.replace(b"Permohonan", b"Permohonon", 1) if b"Permohonan" in data else data + b"%"
    )
    from diklat.naskah.tanda_tangan import IsiBerubah

    with pytest.raises(IsiBerubah, match="berubah sesudah dibuat"):
        selesaikan(engine, KODE, bid, tmp_path, pdf=True)
    with session_scope(engine) as s:
        assert (
            s.execute(select(NaskahBerkas).where(NaskahBerkas.peran == "ttd_pdf")).first() is None
        )
        audit = s.execute(
            select(AuditPersetujuan).where(
                AuditPersetujuan.bundel_id == bid, AuditPersetujuan.hasil == "ditolak"
            )
        ).scalars()
        assert any("tanda tangan ditolak" in (a.alasan or "") for a in audit)


def test_changed_content_before_numbering_sends_the_letter_back(
    world: Engine, tmp_path: Path
) -> None:
    from diklat.naskah.langkah import selesaikan

    engine = world
    bid = _approved(engine, tmp_path)
    with session_scope(engine) as s:
        f = s.execute(
            select(NaskahBerkas)
            .join(Naskah, Naskah.id == NaskahBerkas.naskah_id)
            .where(Naskah.bundel_id == bid, NaskahBerkas.peran == "draf_docx")
        ).scalar_one()
        Path(f.path).write_bytes(Path(f.path).read_bytes() + b"\0")  # the approved draft
    out = selesaikan(engine, KODE, bid, tmp_path, pdf=False)
    assert out.ditolak_ttd is not None and "berubah" in out.ditolak_ttd
    assert out.perbaikan and not out.selesai  # waits for its correction
    with session_scope(engine) as s:
        b = s.get(Bundel, bid)
        assert b is not None and b.status == status.DIKEMBALIKAN
        assert all(n.nomor is None for n in b.naskah)  # no number spent
        m = perbaikan.menunggu(s, kegiatan_by_kode(s, KODE), "surat_permohonan_narasumber")
        assert m is not None and m.peran == "pengelola"


@pytest.mark.parametrize("pypdf", [False, True], ids=["poppler", "pypdf"])
def test_text_changed_beyond_number_and_date_is_refused(tmp_path: Path, pypdf: bool) -> None:
    from connectors.pdf import teks_pdf
    from diklat.naskah.final import FinalBerbeda, periksa_teks_pdf

    if not pypdf and shutil.which("pdftotext") is None:
        pytest.skip("poppler (pdftotext) not installed: the pypdf variant runs")
    files = []
    for i, text in enumerate(
        [
            "Nomor 800/   /BK/2026 Biaya Rp 5.000.000",
            "Nomor 800/034/BK/2026 Biaya Rp 9.000.000",
            "Nomor 800/034/BK/2026 Biaya Rp 5.000.000",
        ]
    ):
        files.append(tmp_path / f"{i}.pdf")
        files[-1].write_bytes(_pdf_with(text))
    draf, ubah, benar = teks_pdf(files, pypdf=pypdf)
    assert "Biaya" in draf and "9.000.000" in ubah
    with pytest.raises(FinalBerbeda):
        periksa_teks_pdf(draf, ubah, {"800/   /BK/2026": "800/034/BK/2026"})
    periksa_teks_pdf(draf, benar, {"800/   /BK/2026": "800/034/BK/2026"})


@pytest.mark.parametrize(
    ("final", "ok"),
    [
        ("Nomor 800/034/BK/2026 pada 21 Desember 2026. Samarinda, 7 Desember 2026", True),
        ("Nomor 800/034/BK/2026 pada 21 Desember 2026. Samarinda,      Desember 2026", True),
        ("Nomor 800/034/BK/2026 pada 27 Desember 2026. Samarinda, 7 Desember 2026", False),
        ("Nomor 800/034/BK/2026 pada 21 Desember 2026. Samarinda, 7 Desember 2027", False),
        ("Nomor 800/035/BK/2026 pada 21 Desember 2026. Samarinda, 7 Desember 2026", False),
        ("Nomor 800/034/BK/2026 pada 21 Desember 2026. Balikpapan, 7 Desember 2026", False),
        ("Nomor 800/034/BK/2026 pada 21 Desember 2026. Samarinda, 7 Desember 2026 x", False),
    ],
)
def test_final_text_differs_only_where_number_and_date_stand(final: str, ok: bool) -> None:
    """The walk that accepts a final without the tolerant comparison: only a placeholder's
    occurrence may differ, and only by its value (a date in the body that ends like the
    date line is not taken for it)."""
    from diklat.naskah.final import FinalBerbeda, _compact, _hanya_penanda, periksa_teks_pdf

    draf = "Nomor 800/   /BK/2026 pada 21 Desember 2026. Samarinda,      Desember 2026"
    pengganti = {"800/   /BK/2026": "800/034/BK/2026", "      Desember 2026": "7 Desember 2026"}
    strict = _hanya_penanda(_compact(draf), _compact(final), pengganti)
    assert strict is ok
    if ok:
        periksa_teks_pdf(draf, final, pengganti)
    else:
        assert not strict
        with pytest.raises(FinalBerbeda):
            periksa_teks_pdf(draf, final, pengganti)


def _pdf_with(text: str) -> bytes:
    """A one-page PDF whose text layer is ``text`` (written by hand: no extra dependency)."""
    content = f"BT /F1 10 Tf 20 700 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    )
    return out.getvalue()


def test_agency_proposes_through_its_link_until_the_deadline(world: Engine) -> None:
    engine = world
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        token = usulan.tautan_untuk(s, k, "U1", now + dt.timedelta(days=3))
        assert usulan.tautan_untuk(s, k, "U1", now + dt.timedelta(days=2)) == token  # once
    with session_scope(engine) as s:
        t = usulan.buka_tautan(s, token)
        with pytest.raises(usulan.UsulanDitolak, match="bukan pegawai Dinas Pendidikan"):
            usulan.catat_usulan(
                s,
                t.kegiatan,
                unit_kode="U1",
                nomor_surat="800/1/DISDIK",
                tanggal_surat=today(),
                nips=[PEGAWAI[2][0]],
                sumber="tautan",
            )
    with session_scope(engine) as s:
        t = usulan.buka_tautan(s, token)
        h = usulan.catat_usulan(
            s,
            t.kegiatan,
            unit_kode="U1",
            nomor_surat="800/1/DISDIK",
            tanggal_surat=today(),
            nips=[PEGAWAI[0][0]],
            sumber="tautan",
        )
        assert h.diusulkan == 1
        rows = usulan.daftar_usulan(s, t.kegiatan)
    assert [(r["unit"], r["nomor_surat"], r["jumlah"], r["sumber"]) for r in rows] == [
        ("U1", "800/1/DISDIK", 1, "tautan")
    ]
    with session_scope(engine) as s, pytest.raises(LookupError):
        usulan.buka_tautan(s, "tidak-ada-token-seperti-ini-123")
    with session_scope(engine) as s, pytest.raises(usulan.UsulanDitolak, match="batas waktu"):
        usulan.buka_tautan(s, token, now=now + dt.timedelta(days=4))
    # the recap: the proposed candidate stays, U1's other planned one is out, the agencies
    # that did not answer lose theirs (with the reason)
    with session_scope(engine) as s:
        counts = usulan.rekap(s, kegiatan_by_kode(s, KODE))
    assert counts == {"diusulkan": 1, "batal": 3}


def test_agency_page_takes_a_proposal_and_refuses_after_the_deadline(
    world: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from web.app import create_app

    engine = world
    monkeypatch.setenv("DIKLAT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_settings_cache()
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        token = usulan.tautan_untuk(s, k, "U2", now + dt.timedelta(hours=1))
    c = TestClient(create_app())
    page = c.get(f"/u/{token}")
    assert page.status_code == 200 and "Inspektorat" in page.text and "Pelatihan Uji" in page.text
    assert PEGAWAI[2][0] not in page.text  # no NIP shown
    r = c.post(
        f"/u/{token}",
        data={
            "nomor_surat": "800/7/INSP",
            "tanggal_surat": today().isoformat(),
            "nip": PEGAWAI[2][0],
        },
    )
    assert r.status_code == 200 and "Usulan diterima" in r.text
    assert c.get("/u/bukan-token-yang-ada-sama-sekali").status_code == 404
    with session_scope(engine) as s:
        from diklat.models import TautanUsulan

        s.execute(select(TautanUsulan)).scalar_one().berlaku_sampai = now - dt.timedelta(minutes=1)
    late = c.post(
        f"/u/{token}",
        data={
            "nomor_surat": "800/8/INSP",
            "tanggal_surat": today().isoformat(),
            "nip": PEGAWAI[2][0],
        },
    )
    assert late.status_code == 410 and "batas waktu" in late.text


def test_operator_inputs_name_who_acted_and_refuse_impossible_times(
    world: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = world
    imp = tmp_path / "var" / "import"
    imp.mkdir(parents=True, exist_ok=True)
    (imp / "foto-pembukaan.jpg").write_bytes(b"\xff\xd8\xff foto")
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        k.tanggal_mulai = today() + dt.timedelta(days=1)  # the training is tomorrow
        k.tanggal_selesai = today() + dt.timedelta(days=2)
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        with pytest.raises(masukan.MasukanDitolak, match="hari pertama pelatihan"):
            masukan.terapkan(s, k, 35, "selesai", {"nip": OFFICIALS["operator"]})
        with pytest.raises(masukan.MasukanDitolak, match="hari terakhir"):
            masukan.terapkan(s, k, 36, "selesai", {"nip": OFFICIALS["operator"]})
        with pytest.raises(masukan.MasukanDitolak, match="masa depan"):
            masukan.terapkan(
                s,
                k,
                23,
                "selesai",
                {
                    "nip": OFFICIALS["operator"],
                    "waktu": (dt.datetime.now() + dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
                },
            )
        with pytest.raises(masukan.MasukanDitolak, match="tidak tercatat"):
            masukan.terapkan(s, k, 23, "selesai", {"nip": "199912312020121001"})
        with pytest.raises(masukan.MasukanDitolak, match="folder"):
            masukan.terapkan(
                s, k, 23, "selesai", {"nip": OFFICIALS["operator"], "bukti": "../../etc/passwd"}
            )
        ledger.selesai(s, k, 22, now=dt.datetime.now(dt.UTC))
    with (
        session_scope(engine) as s,
        pytest.raises(masukan.MasukanDitolak, match="sebelum langkah 22"),
    ):
        masukan.terapkan(
            s,
            kegiatan_by_kode(s, KODE),
            23,
            "selesai",
            {
                "nip": OFFICIALS["operator"],
                "waktu": (dt.datetime.now() - dt.timedelta(days=3)).strftime("%Y-%m-%d %H:%M"),
            },
        )
    with session_scope(engine) as s:
        out = masukan.terapkan(
            s,
            kegiatan_by_kode(s, KODE),
            23,
            "selesai",
            {
                "nip": OFFICIALS["operator"],
                "catatan": "jadwal disepakati",
                "bukti": "foto-pembukaan.jpg",
            },
        )
        assert out["diterima"]
    with session_scope(engine) as s:
        row = s.execute(select(SopStepLog).where(SopStepLog.step_no == 23)).scalar_one()
        assert row.oleh_nip == OFFICIALS["operator"] and row.oleh_nama == "PETUGAS OPERATOR"
        bukti = json.loads(row.bukti_json or "[]")
        assert bukti[0]["nama"] == "foto-pembukaan.jpg" and len(bukti[0]["sha256"]) == 64


def test_nothing_dated_ahead(world: Engine, tmp_path: Path) -> None:
    from diklat.naskah.isi import TanggalBelumTiba, tanggal_naskah
    from diklat.naskah.register import register_naskah

    engine = world
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        k.tanggal_selesai = today() + dt.timedelta(days=2)
        with pytest.raises(TanggalBelumTiba):
            tanggal_naskah("sertifikat", k, today())
        with pytest.raises(TanggalBelumTiba):
            tanggal_naskah("laporan_kegiatan", k, today())
        assert tanggal_naskah("surat_panggilan", k, today()) == today()
    bid = _approved(engine, tmp_path)
    with session_scope(engine) as s:
        n = s.execute(select(Naskah).where(Naskah.bundel_id == bid)).scalar_one()
        with pytest.raises(RegisterError, match="belum tiba"):
            register_naskah(s, n.id, today() + dt.timedelta(days=1))


def test_escalation_counts_working_time_across_a_weekend(world: Engine, tmp_path: Path) -> None:
    """A paraf asked on Friday at 15:55 with 10 minutes' standard time: its deadline falls on
    the next working day; over the weekend nothing is reminded or escalated (wall-clock time
    would have escalated on Saturday); past the deadline a reminder; at twice the standard
    time in office hours the superior is told."""
    from zoneinfo import ZoneInfo

    engine = world
    with session_scope(engine) as s:
        kal = ledger.kalender_sop(kegiatan_by_kode(s, KODE))
    d = today()
    while d.weekday() != 4 or not kal.is_hari_kerja(d):
        d -= dt.timedelta(days=1)
    start = dt.datetime.combine(d, dt.time(15, 55), tzinfo=ZoneInfo("Asia/Makassar"))
    kotak = Kotak()
    bid = _draf(engine, "surat_permohonan_narasumber", tmp_path)
    with session_scope(engine) as s:
        b = s.get(Bundel, bid)
        assert b is not None
        from diklat.naskah.persetujuan import kirim_kode, rantai

        p = buka(s, b, rantai(b)[0], now=start)
        kirim_kode(s, p, kotak, ui_url="http://ui", now=start)
        pid, deadline = p.id, p.tenggat
    assert deadline is not None and deadline.date() > d
    saturday = start + dt.timedelta(days=1)
    with session_scope(engine) as s:
        r = pantau_tenggat(s, kotak, now=saturday)
        assert (r.diingatkan, r.dieskalasi) == ([], [])
    with session_scope(engine) as s:
        r = pantau_tenggat(s, kotak, now=deadline + dt.timedelta(minutes=1))
        assert (r.diingatkan, r.dieskalasi) == ([pid], [])
    twice = kal.deadline(start, dt.timedelta(minutes=20))
    with session_scope(engine) as s:
        assert pantau_tenggat(s, kotak, now=twice - dt.timedelta(minutes=1)).dieskalasi == []
    with session_scope(engine) as s:
        r = pantau_tenggat(s, kotak, now=twice + dt.timedelta(minutes=1))
        assert r.dieskalasi == [pid] and kotak.sent[-1].kepada == "sekretaris@example.go.id"


def test_operator_steps_are_reminded_too(world: Engine) -> None:
    engine = world
    kotak = Kotak()
    t0 = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    with session_scope(engine) as s:
        row = ledger.tunggu(s, kegiatan_by_kode(s, KODE), 23, now=t0)
        rid = row.id
    with session_scope(engine) as s:
        r = pantau_tenggat(s, kotak)
        assert rid in r.langkah_diingatkan and rid in r.langkah_dieskalasi
    assert any("langkah 23" in x.subjek for x in kotak.sent)


def test_no_served_deployment_can_decide_for_an_official() -> None:
    from flows.deployments import deployments

    deps = deployments()
    assert len(deps) >= 9
    for dep in deps:
        params = set(dep._parameter_openapi_schema.properties)
        assert not any("demo" in p or "setujui" in p for p in params), (dep.name, params)


def test_status_table_never_lets_an_official_revise_a_signed_version() -> None:
    class B:
        status = status.DITANDATANGANI
        jenis = "x"
        versi = 1

    with pytest.raises(status.StatusError):
        v.kembalikan(None, B(), "terlambat")  # type: ignore[arg-type]


def test_operators_work_list(
    world: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``diklat tugas --json``: a step waiting for its operator's form, a letter to deliver by
    hand and confirm, a signed letter not yet registered in SRIKANDI."""
    from typer.testing import CliRunner

    from cli.main import app
    from connectors import pdf as pdfconn
    from diklat.models import Distribusi
    from diklat.naskah.tanda_tangan import tanda_tangani

    if not pdfconn.available():
        pytest.skip("LibreOffice needed to sign")
    engine = world
    monkeypatch.setenv("DIKLAT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_settings_cache()
    t0 = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    with session_scope(engine) as s:
        ledger.tunggu(s, kegiatan_by_kode(s, KODE), 23, now=t0)
    bid = _approved(engine, tmp_path)
    tanda_tangani(engine, KODE, bid, tmp_path)
    with session_scope(engine) as s:
        n = s.execute(select(Naskah).where(Naskah.bundel_id == bid)).scalar_one()
        s.add(
            Distribusi(
                naskah_id=n.id,
                kegiatan_id=n.kegiatan_id,
                penerima="lembaga:x",
                nama_penerima="Kepala BPSDM",
                status="manual",
            )
        )
    r = CliRunner().invoke(app, ["tugas", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    by = {x["jenis"]: x for x in rows}
    assert {"formulir", "konfirmasi", "srikandi"} <= set(by)
    assert by["formulir"]["kegiatan"] == KODE and by["formulir"]["langkah"] == 23
    assert by["formulir"]["terlambat"] is True and by["formulir"]["tenggat"]
    assert {"jenis", "kegiatan", "langkah", "sejak", "tenggat", "terlambat"} <= set(rows[0])
    assert "SRIKANDI" in by["srikandi"]["keterangan"]
    for nip in OFFICIALS.values():
        assert nip not in r.stdout


def test_final_copies_untouched_parts_as_stored(tmp_path: Path) -> None:
    """Filling the number and date rewrites only the parts where they stand; every other
    member is copied byte for byte as stored (not decompressed and compressed again), and
    the result is a sound package whose text is the draft's with the lines replaced."""
    import zipfile

    from diklat.naskah.final import isi_penanda, periksa_teks, teks_docx

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {w}><w:body>'
        '<w:p><w:r><w:t xml:space="preserve">Nomor 800/   /BK/2026</w:t></w:r></w:p>'
        '<w:p><w:r><w:t xml:space="preserve">      Desember 2026</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    styles = ("<w:styles " + w + ">" + "<w:style/>" * 20000 + "</w:styles>").encode()
    draft = io.BytesIO()
    with zipfile.ZipFile(draft, "w") as z:
        z.writestr("word/document.xml", body, zipfile.ZIP_DEFLATED)
        z.writestr("word/styles.xml", styles, zipfile.ZIP_DEFLATED)
        z.writestr("word/media/image1.png", b"\x89PNG" + bytes(range(256)) * 40)
    pengganti = {"800/   /BK/2026": "800/034/BK/2026", "      Desember 2026": "7 Desember 2026"}
    hasil = isi_penanda(draft.getvalue(), pengganti, wajib=list(pengganti))
    assert hasil.jumlah == dict.fromkeys(pengganti, 1)
    src, out = zipfile.ZipFile(draft), zipfile.ZipFile(io.BytesIO(hasil.docx))
    assert out.testzip() is None
    assert [i.filename for i in out.infolist()] == [i.filename for i in src.infolist()]
    for name in ("word/styles.xml", "word/media/image1.png"):
        a, b = src.getinfo(name), out.getinfo(name)
        assert (a.compress_type, a.compress_size, a.CRC) == (
            b.compress_type,
            b.compress_size,
            b.CRC,
        )
        assert out.read(name) == src.read(name)
    assert "800/034/BK/2026" in teks_docx(hasil.docx)
    assert "7 Desember 2026" in teks_docx(hasil.docx)
    periksa_teks(draft.getvalue(), hasil.docx, pengganti)


@pytest.mark.parametrize("poppler", [True, False], ids=["pdfunite", "pypdf"])
def test_preview_joins_the_drafts_in_order(
    tmp_path: Path, poppler: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle's preview is its drafts' PDFs in the bundle's order, with pdfunite or with
    pypdf where poppler is absent."""
    from connectors import pdf as pdfconn

    if poppler and shutil.which("pdfunite") is None:
        pytest.skip("poppler (pdfunite) not installed: the pypdf variant runs")
    if not poppler:
        real = shutil.which
        monkeypatch.setattr(pdfconn.shutil, "which", lambda n: None if n == "pdfunite" else real(n))
    files = []
    for i, text in enumerate(["Surat satu", "Surat dua", "Surat tiga"]):
        files.append(tmp_path / f"{i}.pdf")
        files[-1].write_bytes(_pdf_with(text))
    out = pdfconn.gabung_pdf(files, tmp_path / "semua.pdf")
    assert not (tmp_path / "semua.pdf.tmp").exists()
    pages = pdfconn.teks_pdf([out])[0].split("\f")
    assert [p.strip() for p in pages if p.strip()] == ["Surat satu", "Surat dua", "Surat tiga"]


@pytest.mark.parametrize("kept", ["kept", "tampered"])
def test_final_check_reads_the_draft_text_kept_at_drafting(
    world: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: str
) -> None:
    """The draft PDF's text is kept beside it when it is converted (with its hash), and the
    check of the final, in a later process, reads that instead of the PDF; a kept text that
    no longer has its hash is not used (the PDF is read) and the final is still checked."""
    from connectors import pdf as pdfconn

    if not pdfconn.available() or pdfconn.pembaca_teks() != "poppler":
        pytest.skip("LibreOffice and poppler-utils needed")
    engine = world
    jenis = "surat_permohonan_narasumber"
    bid = v.buat_draf(engine, KODE, jenis, tmp_path, pdf=True).bundel_id
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        for no in v.rencana(k, jenis).langkah_draf:
            ledger.selesai(s, k, no, actor=ledger.SISTEM)
    setujui_semua(engine, bid)
    with session_scope(engine) as s:
        rows = {
            r.peran: (Path(r.path), r.sha256)
            for r in s.execute(
                select(NaskahBerkas)
                .join(Naskah, Naskah.id == NaskahBerkas.naskah_id)
                .where(Naskah.bundel_id == bid)
            ).scalars()
        }
        b = s.get(Bundel, bid)
        assert b is not None
        v.beri_nomor(s, b)
    teks, draf_pdf = rows[v.TEKS_DRAF][0], rows["draf_pdf"][0]
    exe = pdfconn._pdftotext()
    assert exe is not None
    assert teks.read_text(encoding="utf-8") == pdfconn._teks_poppler(exe, draf_pdf)
    if kept == "tampered":
        teks.write_text("Isi lain\f", encoding="utf-8")
    pdfconn._TEKS.clear()  # issuing in another process: a deployed run resumed elsewhere
    calls: list[Path] = []
    real = pdfconn._teks_poppler

    def counting(exe: str, pdf: Path) -> str:
        calls.append(Path(pdf))
        return real(exe, pdf)

    monkeypatch.setattr(pdfconn, "_teks_poppler", counting)
    v.terbitkan(engine, KODE, bid, tmp_path, pdf=True)
    assert (draf_pdf in calls) == (kept == "tampered")
    assert any(p.parent.name == "pdf" for p in calls)  # the final itself was read
    with session_scope(engine) as s:
        assert (
            s.execute(
                select(NaskahBerkas)
                .join(Naskah, Naskah.id == NaskahBerkas.naskah_id)
                .where(Naskah.bundel_id == bid, NaskahBerkas.peran == "final_pdf")
            ).scalar_one()
            is not None
        )
