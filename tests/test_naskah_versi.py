"""A training's documents as immutable versions in bundles, driven by the SOP catalogue
(both databases): drafted once, decided on against the manifest hash, numbered per bundle in
one transaction, issued from the stored context, never from live rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from diklat.db import session_scope
from diklat.kegiatan import ledger
from diklat.kegiatan.data import kegiatan_by_kode, tetapkan_hasil, tetapkan_peserta
from diklat.models import (
    AuditPersetujuan,
    Bundel,
    Naskah,
    NaskahBerkas,
    Pegawai,
    Pejabat,
    Peserta,
    RegisterEntry,
)
from diklat.mulai import simpan_kegiatan
from diklat.naskah import docx_text, ikatan, status
from diklat.naskah import versi as v
from diklat.naskah.isi import IsiTidakLengkap
from diklat.naskah.register import today
from diklat.pegawai.pejabat import ensure_pejabat, pemegang, simpan_pejabat
from diklat.pegawai.personnel import PersonnelWriter
from tests.rekam_support import setujui_semua
from tests.sop_support import siap

KODE = "PK-T-1"
PEGAWAI = [
    ("198501012010012001", "Siti Aminah", "U1", "III/a"),
    ("199002022015031002", "Budi Santoso", "U1", "III/b"),
    ("198803032012041003", "Andi Pratama", "U2", "III/c"),
    ("197904042005022004", "Dewi Lestari", "BK", "III/d"),  # the agency's own staff
]
KEPALA = dict(
    nip="197209131998031001",
    nama="Dr. SUTRISNO, M.Si.",
    peran="kepala",
    jabatan="Kepala Badan",
    pangkat="Pembina Utama Muda (IV/c)",
)


def _dates() -> tuple[dt.date, dt.date]:
    mulai = today()  # held today: certificates may be made, nothing is dated ahead
    return mulai, mulai


@pytest.fixture
def data(engine: Engine) -> Engine:
    w = PersonnelWriter(engine, None, sumber="simpeg")
    w.upsert_units(
        [
            {"kode": "U1", "nama": "Dinas Pendidikan", "email": "diknas@example.go.id"},
            {"kode": "U2", "nama": "Kecamatan Tenggarong", "email": "kec@example.go.id"},
            {
                "kode": "BK",
                "nama": "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
                "singkatan": "BKPSDM",
            },
        ]
    )
    w.write(
        [
            {
                "nip": n,
                "nama": nama,
                "unit_kode": u,
                "golongan": g,
                "pangkat": "Penata",
                "jabatan": "Analis",
                "gelar_belakang": "S.E.",
                "nomor_hp": "0812000",
            }
            for n, nama, u, g in PEGAWAI
        ]
    )
    mulai, selesai = _dates()
    with session_scope(engine) as s:
        ensure_pejabat(s, **KEPALA, email="kepala@example.go.id")
        ensure_pejabat(
            s,
            nip="198005122005022003",
            nama="RINA WULANDARI, S.E.",
            peran="kabid_psda",
            jabatan="Kepala Bidang PSDA",
            pangkat="Pembina (IV/a)",
            email="kabid@example.go.id",
        )
        ensure_pejabat(
            s,
            nip="197706142003121004",
            nama="AHMAD FAUZI, S.H.",
            peran="sekretaris",
            jabatan="Sekretaris",
            email="sekretaris@example.go.id",
        )
    siap(engine)  # the other roles of the path
    with session_scope(engine) as s:
        k = simpan_kegiatan(
            s,
            {
                "kode": KODE,
                "sop": "peningkatan-kapasitas",
                "nama": "Pelatihan Uji",
                "mulai": mulai,
                "selesai": selesai,
                "tempat": "Aula",
                "jp": 24,
                "kuota": 10,
                "lembaga_narasumber": "BPSDM Provinsi",
                "materi": ["Anjab"],
            },
        )
        ids = s.execute(select(Pegawai.id).order_by(Pegawai.nip)).scalars().all()
        tetapkan_peserta(s, k, ids, status="terdaftar")
    return engine


def _bundle(engine: Engine, jenis: str) -> Bundel:
    with session_scope(engine) as s:
        b = v.bundel_terkini(s, kegiatan_by_kode(s, KODE).id, jenis)
        assert b is not None
        s.expunge(b)
        return b


def _texts(engine: Engine, bundel_id: int, peran: str) -> dict[str, str]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(Naskah.kunci, NaskahBerkas.path)
            .join(NaskahBerkas, NaskahBerkas.naskah_id == Naskah.id)
            .where(Naskah.bundel_id == bundel_id, NaskahBerkas.peran == peran)
        ).all()
    return {k: docx_text(Path(p)) for k, p in rows}


def test_bundles_follow_the_catalogue_and_are_made_once(data: Engine, tmp_path: Path) -> None:
    engine = data
    first = v.buat_draf(engine, KODE, "surat_pemberitahuan", tmp_path)
    # One notice per agency of the participants, never to the agency itself.
    assert (first.jumlah, first.dibuat, first.versi) == (2, 2, 1)
    again = v.buat_draf(engine, KODE, "surat_pemberitahuan", tmp_path)
    assert (again.bundel_id, again.dibuat, again.manifest) == (first.bundel_id, 0, first.manifest)
    texts = _texts(engine, first.bundel_id, "draf_docx")
    assert set(texts) == {"opd:U1", "opd:U2"}
    assert "Yth. Camat Tenggarong" in texts["opd:U2"]  # the head's own title
    assert "Yth. Kepala Dinas Pendidikan Kabupaten Kutai Kartanegara" in texts["opd:U1"]
    assert "2 (dua) orang pegawai" in texts["opd:U1"]
    assert "/      /BKPSDM/" in texts["opd:U1"]  # a draft: blank sequence
    # The signer is the catalogue's (SOP 000 step 10: Kepala BKPSDM), not a division head.
    assert "Dr. SUTRISNO, M.Si." in texts["opd:U1"] and "RINA" not in texts["opd:U1"]
    with session_scope(engine) as s:
        b = s.get(Bundel, first.bundel_id)
        assert b is not None and b.status == status.DRAF
        levels = json.loads(b.rantai_json or "[]")
        assert [(x["kind"], x["peran"]) for x in levels] == [
            ("paraf", "kabid_psda"),
            ("paraf", "sekretaris"),
            ("tanda_tangan", "kepala"),
        ]
        assert b.manifest_sha256 == ikatan.manifest_bundel(b)


def test_signed_final_keeps_the_drafted_values(data: Engine, tmp_path: Path) -> None:
    engine = data
    h = v.buat_draf(engine, KODE, "surat_panggilan", tmp_path)
    with session_scope(engine) as s:
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        drafted = {n.kunci: (n.sha256, n.konteks_sha256) for n in b.naskah}
    assert setujui_semua(engine, h.bundel_id) == 3
    # After the decision: the employee is renamed and promoted, a new acting head appears.
    with session_scope(engine) as s:
        s.execute(
            update(Pegawai)
            .where(Pegawai.nip == PEGAWAI[0][0])
            .values(nama="Siti Berubah", golongan="IV/a")
        )
        simpan_pejabat(
            s,
            nip="196801011990031001",
            nama="PLH BARU",
            peran="kepala",
            jabatan="Sekretaris",
            kedudukan="plh",
        )
        assert pemegang(s, "kepala").nama == "PLH BARU"
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        assert v.beri_nomor(s, b) == 4
    out = v.terbitkan(engine, KODE, h.bundel_id, tmp_path, pdf=False)
    assert out.dibuat == 4
    finals = _texts(engine, h.bundel_id, "final_docx")
    siti = finals[f"peserta:{PEGAWAI[0][0]}"]
    assert "Siti Aminah" in siti and "Siti Berubah" not in siti and "IV/a" not in siti
    assert "Dr. SUTRISNO, M.Si." in siti and "PLH BARU" not in siti
    with session_scope(engine) as s:
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        for n in b.naskah:
            # the hash chain: the draft decided on is untouched, its context hash holds
            assert (n.sha256, n.konteks_sha256) == drafted[n.kunci]
            assert v.sha256_json(json.loads(n.konteks_json or "")) == n.konteks_sha256
            files = {f.peran: f for f in n.berkas}
            assert set(files) == {"draf_docx", "final_docx"}
            assert v.sha256_file(Path(files["draf_docx"].path)) == n.sha256
            assert files["final_docx"].sha256 != n.sha256
            assert n.nomor and n.nomor in finals[n.kunci]
    # issued once
    assert v.terbitkan(engine, KODE, h.bundel_id, tmp_path, pdf=False).dibuat == 0


def test_manifest_changes_with_any_member_template_or_setting() -> None:
    base = [("opd:U1", "a" * 64, "c" * 64), ("opd:U2", "b" * 64, "c" * 64)]
    h = ikatan.manifest(base, "t" * 64, "p" * 64)
    assert ikatan.manifest(list(reversed(base)), "t" * 64, "p" * 64) == h  # order: no matter
    assert ikatan.manifest([base[0], ("opd:U2", "x" * 64, "c" * 64)], "t" * 64, "p" * 64) != h
    assert ikatan.manifest([base[0], ("opd:U2", "b" * 64, "x" * 64)], "t" * 64, "p" * 64) != h
    assert ikatan.manifest(base[:1], "t" * 64, "p" * 64) != h
    assert ikatan.manifest(base, "u" * 64, "p" * 64) != h  # another template
    assert ikatan.manifest(base, "t" * 64, "q" * 64) != h  # another setting


def test_catalogue_signer_is_the_audited_signer(data: Engine, tmp_path: Path) -> None:
    engine = data
    h = v.buat_draf(engine, KODE, "undangan_pembukaan", tmp_path)
    with session_scope(engine) as s:
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        kabid = pemegang(s, "kabid_psda")
        with pytest.raises(v.VersiError, match="tercetak"):
            v.tandai_ditandatangani(s, b, kabid, sha=b.manifest_sha256)
        with pytest.raises(v.VersiError, match="berubah"):
            v.tandai_ditandatangani(s, b, pemegang(s, "kepala"), sha="0" * 64)
    setujui_semua(engine, h.bundel_id)
    with session_scope(engine) as s:
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        signer = s.get(Pejabat, b.penandatangan_id)
        assert signer is not None and signer.peran == "kepala"
        audited = (
            s.execute(
                select(AuditPersetujuan.nip).where(
                    AuditPersetujuan.bundel_id == b.id, AuditPersetujuan.peran == "penandatangan"
                )
            )
            .scalars()
            .all()
        )
        assert audited == [signer.nip]
        printed = json.loads(b.naskah[0].konteks_json or "")["ttd"]
        assert printed["nip"].replace(" ", "") == signer.nip
        # the invitation says "daftar terlampir": the list is there
        ctx = json.loads(b.naskah[0].konteks_json or "")
        assert "terlampir" in ctx["tujuan"] and ctx["undangan"][0].startswith("Sekretaris Daerah")


def test_statuses_move_only_as_the_table_allows(data: Engine, tmp_path: Path) -> None:
    engine = data
    h = v.buat_draf(engine, KODE, "sk_panitia", tmp_path)
    with session_scope(engine) as s:
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        with pytest.raises(v.VersiError, match="sudah ditandatangani"):
            v.beri_nomor(s, b)
        with pytest.raises(status.StatusError):
            status.pindah(b, status.DIARSIPKAN)
        assert status.pindah(b, status.DRAF) is False  # already there: no-op
    setujui_semua(engine, h.bundel_id)
    with session_scope(engine) as s:
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        with pytest.raises(status.StatusError):
            v.kembalikan(s, b, "terlambat")  # a signed version is never revised
        assert v.beri_nomor(s, b) == 1
        nomor = b.naskah[0].nomor
        assert nomor is not None and "/KEP/BKPSDM/" in nomor  # the register of keputusan


def test_revision_makes_the_next_version_and_round(data: Engine, tmp_path: Path) -> None:
    """A version sent back stays as it is until the person named corrects it; the next
    version is drafted from the corrected data; the ledger opens the next round."""
    engine = data
    h1 = v.buat_draf(engine, KODE, "surat_permohonan_narasumber", tmp_path)
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        ledger.selesai(s, k, 2)
        ledger.selesai(s, k, 3)
        ledger.tunggu(s, k, 4, tingkat=1)
        b = s.get(Bundel, h1.bundel_id)
        assert b is not None
        v.ajukan(s, b)
        assert v.kembalikan(s, b, "materi kurang lengkap")
        assert ledger.kembalikan(s, k, dari=4, ke=3, note="materi kurang lengkap") == [3, 4]
    # nothing is drafted again by itself
    assert (
        v.buat_draf(engine, KODE, "surat_permohonan_narasumber", tmp_path).bundel_id == h1.bundel_id
    )
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        k.kriteria_json = json.dumps({**k.kriteria, "materi": ["Anjab", "ABK"]})
    h2 = v.versi_berikut(
        engine,
        KODE,
        "surat_permohonan_narasumber",
        tmp_path,
        v.Perbaikan(oleh_nip="199107222018022001", cara="data"),
    )
    assert (h2.versi, h2.status) == (2, status.DRAF) and h2.bundel_id != h1.bundel_id
    assert h2.manifest != h1.manifest
    with session_scope(engine) as s:
        b1, b2 = s.get(Bundel, h1.bundel_id), s.get(Bundel, h2.bundel_id)
        assert b1 is not None and b2 is not None
        assert b1.status == status.DIKEMBALIKAN and b2.catatan == "materi kurang lengkap"
        assert [n.versi for n in b2.naskah] == [2] and b2.diperbaiki_oleh == "199107222018022001"
        k = kegiatan_by_kode(s, KODE)
        st = ledger.keadaan(s, k.id)
        assert st[3].status == ledger.DIKEMBALIKAN and st[2].status == ledger.SELESAI
        row = ledger.mulai(s, k, 3)
        assert (row.putaran, row.status) == (2, ledger.BERJALAN)
        assert ledger.mulai(s, k, 3).id == row.id  # idempotent


def _terbitkan(engine: Engine, jenis: str, tmp_path: Path) -> v.HasilBundel:
    h = v.buat_draf(engine, KODE, jenis, tmp_path)
    with session_scope(engine) as s:
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        unsigned = b.penandatangan_id is None
        if unsigned:
            v.tetapkan_final(s, b, today())
    if not unsigned:
        setujui_semua(engine, h.bundel_id)
        with session_scope(engine) as s:
            b = s.get(Bundel, h.bundel_id)
            assert b is not None
            h.diberi_nomor = v.beri_nomor(s, b)
    out = v.terbitkan(engine, KODE, h.bundel_id, tmp_path, pdf=False)
    out.diberi_nomor = h.diberi_nomor
    return out


def test_register_numbers_bundles_in_sop_order(data: Engine, tmp_path: Path) -> None:
    engine = data
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        tetapkan_hasil(s, k, {p.id: 85.0 for p in s.query(Peserta).filter_by(kegiatan_id=k.id)})
    for jenis in (
        "surat_pemberitahuan",
        "sk_panitia",
        "surat_panggilan",
        "daftar_hadir",
        "sertifikat",
    ):
        _terbitkan(engine, jenis, tmp_path)
    with session_scope(engine) as s:
        entries = s.execute(select(RegisterEntry).order_by(RegisterEntry.id)).scalars().all()
        letters = [(e.urut, e.naskah_id) for e in entries if e.unit == "BKPSDM"]
        assert [u for u, _ in letters] == [1, 2, 3, 4, 5, 6]
        jenis = [s.get(Naskah, nid).jenis for _, nid in letters]  # type: ignore[union-attr]
        assert jenis == ["surat_pemberitahuan"] * 2 + ["surat_panggilan"] * 4
        assert [e.urut for e in entries if e.unit == "BKPSDM-STTP"] == [1, 2, 3, 4]
        assert [e.urut for e in entries if e.unit == "KEP/BKPSDM"] == [1]
        hadir = s.execute(select(Naskah).where(Naskah.jenis == "daftar_hadir")).scalars().all()
        assert len(hadir) == 1 and all(n.nomor is None and n.status == status.FINAL for n in hadir)
        sert = s.execute(select(Naskah).where(Naskah.jenis == "sertifikat")).scalars().first()
        k = kegiatan_by_kode(s, KODE)
        assert sert is not None and sert.tanggal is not None
        assert k.tanggal_selesai is not None and sert.tanggal >= k.tanggal_selesai
        sk = s.execute(select(Naskah).where(Naskah.jenis == "sk_panitia")).scalar_one()
        panggilan = (
            s.execute(select(Naskah).where(Naskah.jenis == "surat_panggilan")).scalars().first()
        )
        assert panggilan is not None and sk.nomor is not None
        ctx = json.loads(panggilan.konteks_json or "")
        assert sk.nomor in ctx["dasar"]  # the summons cites its decree
    # idempotent as a whole
    again = _terbitkan(engine, "surat_panggilan", tmp_path)
    assert (again.diberi_nomor, again.dibuat) == (0, 0)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(RegisterEntry)) == 11


def test_missing_values_are_refused_with_document_and_field(data: Engine, tmp_path: Path) -> None:
    engine = data
    with pytest.raises(
        IsiTidakLengkap, match="sertifikat: peserta: belum ada peserta berstatus lulus"
    ):
        v.buat_draf(engine, KODE, "sertifikat", tmp_path)
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        k.kriteria_json = json.dumps({**k.kriteria, "lembaga_narasumber": None})
    with pytest.raises(
        IsiTidakLengkap, match="surat_permohonan_narasumber: kegiatan.lembaga_narasumber"
    ):
        v.buat_draf(engine, KODE, "surat_permohonan_narasumber", tmp_path)
    with session_scope(engine) as s:
        s.execute(update(Pegawai).where(Pegawai.nip == PEGAWAI[1][0]).values(nama=""))
    with pytest.raises(IsiTidakLengkap, match=r"surat_panggilan: peserta nomor \d+\.nama"):
        v.buat_draf(engine, KODE, "surat_panggilan", tmp_path)
    with session_scope(engine) as s:
        s.query(Peserta).delete()
    with pytest.raises(IsiTidakLengkap, match="daftar_hadir: peserta: belum ada peserta"):
        v.buat_draf(engine, KODE, "daftar_hadir", tmp_path)
    with session_scope(engine) as s:  # nothing half-made was left behind
        assert s.scalar(select(func.count()).select_from(Bundel)) == 0
