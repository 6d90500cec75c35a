"""SRIKANDI hand-over packages (both databases): for every registered, signed letter of a
training a folder with the signed PDF and exactly the registration's fields in CSV and JSON
(SHA-256 of the PDF, pages counted in it), a bundle's list, the daily list; voided, unsigned
and altered letters are not handed over; the CLI's exit codes and one-line errors. The
assignment letter is a real PAdES-signed PDF (local CA), whose signature the package keeps
valid."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfWriter
from sqlalchemy import Engine

from connectors.tte import local_ca
from connectors.tte.local import LocalSigner
from connectors.tte.model import Appearance, SignerIdentity, SignRequest
from connectors.tte.verify import verify_pdf
from diklat.db import session_scope
from diklat.laporan.srikandi import FIELDS, nama_folder, paket
from diklat.models import Bundel, Naskah
from diklat.mulai import simpan_kegiatan
from diklat.naskah import register
from diklat.naskah.versi import catat_berkas
from diklat.pegawai.pejabat import simpan_pejabat
from tests.cli_support import Hasil, diklat
from tests.sop_support import LENGKAP, siap
from tests.tte_support import simple_pdf

KEPALA = "197209131998031001"
DIKLAT = str(Path(sys.executable).parent / "diklat")


def make_pdf(path: Path, pages: int) -> Path:
    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(width=595, height=842)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        w.write(f)
    return path


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ca")
    local_ca.init_ca(folder, "Pemerintah Kabupaten Kutai Kartanegara", key_size=2048)
    local_ca.issue_signer(
        folder, KEPALA, "Dr. H. Sunggono, S.Sos., M.Si.", "Sekretaris Daerah", KEPALA
    )
    return folder


@pytest.fixture(scope="module")
def signed(ca: Path) -> bytes:
    """The assignment letter as the signing step leaves it: PAdES, stamp and QR."""
    req = SignRequest(
        signer=SignerIdentity(
            nama="Dr. H. Sunggono, S.Sos., M.Si.",
            jabatan="Sekretaris Daerah",
            nip=KEPALA,
            key_id=KEPALA,
        ),
        appearance=Appearance(verify_url="https://diklat.example.go.id/v/st"),
        reference="st",
        location="Tenggarong",
    )
    pdf = LocalSigner(ca).sign(simple_pdf(["SURAT TUGAS", "Nomor: ..."]), request=req).pdf
    assert pdf
    return pdf


def build(engine: Engine, folder: Path, signed: bytes) -> dict[str, int]:
    """Two summonses in one bundle (2 and 3 pages), an assignment letter (Terbatas, a.n.;
    ``signed``, one page), a voided letter and a registered letter without its signed PDF,
    all dated today."""
    ttd = {
        "an": "",
        "jabatan": "Kepala Badan Kepegawaian dan Pengembangan SDM",
        "nama": "Dr. H. Sunggono, S.Sos., M.Si.",
        "nip": "19720913 199803 1 001",
        "pangkat": "Pembina Utama Muda (IV/c)",
    }
    siap(engine)
    with session_scope(engine) as s:
        k = simpan_kegiatan(
            s,
            {
                "kode": "PK-2026-009",
                "sop": "peningkatan-kapasitas",
                "nama": "Pelatihan Analisis Jabatan",
                "mulai": "2026-12-14",
                "selesai": "2026-12-16",
                **LENGKAP,
            },
        )
        pej = simpan_pejabat(
            s,
            nip=KEPALA,
            nama="Dr. H. Sunggono, S.Sos., M.Si.",
            peran="kepala",
            jabatan="Kepala Badan",
        )
        b = Bundel(
            kegiatan_id=k.id,
            jenis="surat_panggilan",
            versi=1,
            status="ditandatangani",
            jumlah=2,
            penandatangan_id=pej.id,
        )
        s.add(b)
        s.flush()
        ids: dict[str, int] = {}

        def naskah(key: str, jenis: str, **kw: object) -> Naskah:
            konteks = {"ttd": kw.pop("ttd", ttd), "lampiran": kw.pop("lampiran", "-")}
            n = Naskah(
                kegiatan_id=k.id,
                jenis=jenis,
                versi=1,
                status="ditandatangani",
                penandatangan_id=pej.id,
                penandatangan_nip=KEPALA,
                konteks_json=json.dumps(konteks),
                **kw,
            )  # type: ignore[arg-type]
            s.add(n)
            s.flush()
            ids[key] = n.id
            return n

        naskah(
            "p1",
            "surat_panggilan",
            bundel_id=b.id,
            kunci="peserta:1",
            hal="Panggilan Peserta Pelatihan",
            tujuan="Sdr. Siti Aminah",
            lampiran="1 (satu) lembar",
        )
        naskah(
            "p2",
            "surat_panggilan",
            bundel_id=b.id,
            kunci="peserta:2",
            hal="Panggilan Peserta Pelatihan",
            tujuan="Sdr. Budi",
        )
        naskah(
            "st",
            "surat_tugas",
            hal="Surat Tugas",
            tujuan="Kepala Dinas Pendidikan",
            sifat="Terbatas",
            ttd={**ttd, "an": "a.n. Bupati Kutai Kartanegara", "jabatan": "Sekretaris Daerah"},
        )
        naskah("batal", "surat_pemberitahuan", hal="Pemberitahuan", tujuan="OPD")
        naskah("tanpa", "undangan_pembukaan", hal="Undangan", tujuan="Bupati")
        register.register_bundel(s, [ids["p1"], ids["p2"]])
        for key in ("st", "batal", "tanpa"):
            register.register_naskah(s, ids[key])
        for key, pages in (("p1", 2), ("p2", 3), ("st", 1), ("batal", 1)):
            n = s.get(Naskah, ids[key])
            assert n is not None
            pdf = make_pdf(folder / "ttd" / f"{key}.pdf", pages)
            if key == "st":
                pdf.write_bytes(signed)
            catat_berkas(s, n, "ttd_pdf", pdf)
        entry = s.get(Naskah, ids["batal"])
        assert entry is not None and entry.nomor
        register.void(s, entry.nomor, "salah alamat")
    return ids


def test_packages_hold_the_signed_pdf_and_exactly_the_registration_fields(
    engine: Engine, tmp_path: Path, signed: bytes, ca: Path
) -> None:
    ids = build(engine, tmp_path, signed)
    out = tmp_path / "paket"
    with session_scope(engine) as s:
        hasil = paket(s, "PK-2026-009", out)
        nomor = {k: s.get(Naskah, i).nomor for k, i in ids.items()}  # type: ignore[union-attr]
    assert len(hasil.surat) == 3 and hasil.tanpa_ttd == 1 and hasil.berubah == []
    today = register.today()
    base = out / "PK-2026-009"
    folders = sorted(p.name for p in base.iterdir() if p.is_dir())
    assert folders == sorted(str(nomor[k]).replace("/", "-") for k in ("p1", "p2", "st"))
    for key, pages in (("p1", 2), ("p2", 3), ("st", 1)):
        folder = base / str(nomor[key]).replace("/", "-")
        pdf = folder / f"{folder.name}.pdf"
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            [pdf.name, "srikandi.csv", "srikandi.json"]
        )
        assert pdf.read_bytes() == (tmp_path / "ttd" / f"{key}.pdf").read_bytes()
        data = json.loads((folder / "srikandi.json").read_text(encoding="utf-8"))
        assert tuple(data) == FIELDS
        with (folder / "srikandi.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == 1 and tuple(rows[0]) == FIELDS
        assert rows[0] == {k: str(v) for k, v in data.items()}  # CSV and JSON agree
        assert data["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
        assert data["jumlah_halaman"] == pages and data["berkas"] == pdf.name
        assert data["nomor"] == nomor[key] and data["tanggal"] == today.isoformat()
        assert data["penandatangan_nip"] == KEPALA
    p1 = json.loads((base / str(nomor["p1"]).replace("/", "-") / "srikandi.json").read_text())
    assert (p1["klasifikasi"], p1["hal"], p1["sifat"], p1["tujuan"]) == (
        "800.2.4.2",
        "Panggilan Peserta Pelatihan",
        "Biasa",
        "Sdr. Siti Aminah",
    )
    assert p1["jumlah_lampiran"] == 1 and p1["nomor"].startswith("800.2.4.2/")
    assert p1["penandatangan_jabatan"] == "Kepala Badan Kepegawaian dan Pengembangan SDM"
    st_folder = base / str(nomor["st"]).replace("/", "-")
    v = verify_pdf(
        (st_folder / f"{st_folder.name}.pdf").read_bytes(), [local_ca.root_cert_path(ca)]
    )
    assert (v.valid, v.intact, v.trusted) == (True, True, True)  # handed over as signed
    st = json.loads((st_folder / "srikandi.json").read_text())
    assert st["sifat"] == "Terbatas" and st["jumlah_lampiran"] == 0
    assert st["penandatangan_jabatan"] == "a.n. Bupati Kutai Kartanegara Sekretaris Daerah"
    assert st["klasifikasi"] == "800.1.4.1"
    bundle = json.loads((base / "bundel-surat_panggilan-v1.json").read_text())
    assert [r["nomor"] for r in bundle] == [nomor["p1"], nomor["p2"]]
    # the daily list: CSV and Excel, NIP as text, empty columns for the officer
    name = f"daftar-harian-{today.isoformat()}-PK-2026-009"
    assert hasil.daftar_harian == [out / f"{name}.csv", out / f"{name}.xlsx"]
    with (out / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        daily = list(csv.DictReader(f))
    assert [r["nomor"] for r in daily] == [nomor["p1"], nomor["p2"], nomor["st"]]
    assert daily[0]["kegiatan"] == "PK-2026-009" and daily[0]["didaftarkan"] == ""
    ws = load_workbook(out / f"{name}.xlsx").active
    assert ws is not None
    head = [c.value for c in ws[1]]
    nip_col = head.index("NIP penandatangan")
    assert [r[nip_col].value for r in ws.iter_rows(min_row=2)] == [KEPALA] * 3
    assert all(r[nip_col].data_type == "s" for r in ws.iter_rows(min_row=2))
    # again: the same files with the same content
    before = {p: p.read_bytes() for p in out.rglob("*") if p.suffix in (".pdf", ".json", ".csv")}
    with session_scope(engine) as s:
        paket(s, "PK-2026-009", out)
    assert {p: p.read_bytes() for p in before} == before


#: What a hostile official's record may hold: each would be a live formula in a spreadsheet.
HOSTILE = {
    "nama": '=HYPERLINK("http://x","y")',
    "jabatan": "@SUM(1,1)",
    "hal": "+cmd|' /C calc'!A0",
    "tujuan": "-2+3",
}


def test_every_csv_field_is_inert_in_a_spreadsheet(
    engine: Engine, tmp_path: Path, signed: bytes
) -> None:
    """An official named ``=HYPERLINK(...)`` with position ``@SUM(1,1)`` (and a Hal, an
    addressee beginning with ``+``/``-``): every field of every CSV of the packages, the
    bundle's list and both daily lists is text a spreadsheet does not evaluate (a leading
    apostrophe), the JSON twin keeps the value verbatim, the Excel list keeps it as text."""
    from diklat.laporan.srikandi import harian
    from diklat.models import Pejabat

    ids = build(engine, tmp_path, signed)
    with session_scope(engine) as s:
        for i in ids.values():
            n = s.get(Naskah, i)
            assert n is not None
            konteks = json.loads(n.konteks_json or "{}")
            konteks["ttd"] = {
                **konteks["ttd"],
                "nama": HOSTILE["nama"],
                "jabatan": HOSTILE["jabatan"],
                "an": "",
            }
            n.konteks_json, n.hal, n.tujuan = json.dumps(konteks), HOSTILE["hal"], HOSTILE["tujuan"]
        for pej in s.query(Pejabat):
            pej.nama, pej.jabatan = HOSTILE["nama"], HOSTILE["jabatan"]
    out = tmp_path / "paket"
    with session_scope(engine) as s:
        hasil = paket(s, "PK-2026-009", out)
        harian(s, register.today(), tmp_path / "harian")
    assert len(hasil.surat) == 3
    files = sorted((tmp_path / "paket").rglob("*.csv")) + sorted(
        (tmp_path / "harian").rglob("*.csv")
    )
    names = {p.name for p in files}
    assert "srikandi.csv" in names and "bundel-surat_panggilan-v1.csv" in names
    assert sum(n.startswith("daftar-harian-") for n in names) == 2
    checked = 0
    for f in files:
        with f.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        for field in (x for row in rows for x in row):
            assert not field.startswith(("=", "+", "-", "@", "\t", "\r")), (f, field)
            checked += 1
        text = f.read_text(encoding="utf-8")
        for v in (HOSTILE["nama"], HOSTILE["jabatan"], HOSTILE["hal"], HOSTILE["tujuan"]):
            assert ("'" + v).replace('"', '""') in text, (f.name, v)
        # every field quoted: a ";" list separator (Indonesian Excel) cannot split a value
        assert all(line.startswith('"') for line in text.splitlines())
    assert checked > 100
    row = json.loads(next(out.rglob("srikandi.json")).read_text(encoding="utf-8"))
    assert row["penandatangan_nama"] == HOSTILE["nama"]  # the JSON twin: the value itself
    ws = load_workbook(hasil.daftar_harian[1]).active
    assert ws is not None
    cells = [c for r in ws.iter_rows(min_row=2) for c in r if c.value == HOSTILE["nama"]]
    assert cells and all(c.data_type == "s" for c in cells)


def test_date_filter_and_an_altered_pdf(engine: Engine, tmp_path: Path, signed: bytes) -> None:
    ids = build(engine, tmp_path, signed)
    with session_scope(engine) as s:
        other = paket(
            s, "PK-2026-009", tmp_path / "kosong", tanggal=register.today() - dt.timedelta(days=400)
        )
        assert other.surat == [] and other.daftar_harian == []
        n = s.get(Naskah, ids["p2"])
        assert n is not None
    (tmp_path / "ttd" / "p2.pdf").write_bytes(b"%PDF-1.7 diganti")
    with session_scope(engine) as s:
        hasil = paket(s, "PK-2026-009", tmp_path / "paket", tanggal=register.today())
    assert len(hasil.surat) == 2 and hasil.berubah == [n.nomor]
    assert not (tmp_path / "paket" / "PK-2026-009" / str(n.nomor).replace("/", "-")).exists()


def _cli(tmp_path: Path, url: str, *args: str) -> Hasil:
    return diklat(
        tmp_path,
        "srikandi",
        "paket",
        *args,
        env={"DIKLAT_VAR_DIR": str(tmp_path / "var"), "DIKLAT_DATABASE_URL": url},
    )


def _one_line(res: Hasil) -> str:
    assert "Traceback" not in res.stderr + res.stdout, res.stderr
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, res.stderr
    return lines[0]


def test_cli_exit_codes_and_one_line_errors(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path, signed: bytes
) -> None:
    build(sqlite_engine, tmp_path, signed)
    res = _cli(tmp_path, sqlite_url, "PK-2026-009", "--out", "paket", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["surat"] == 3
    assert "1 naskah bernomor belum punya PDF" in _one_line(res)  # a remark, not an error
    res = _cli(tmp_path, sqlite_url, "TIDAK-ADA", "--out", "paket")
    assert res.returncode == 1 and "TIDAK-ADA" in _one_line(res)
    res = _cli(tmp_path, sqlite_url, "PK-2026-009", "--out", "paket", "--tanggal", "besok")
    assert res.returncode == 2 and "--tanggal" in _one_line(res)
    (tmp_path / "ttd" / "p1.pdf").write_bytes(b"%PDF-1.7 diganti")
    res = _cli(tmp_path, sqlite_url, "PK-2026-009", "--out", "paket2")
    assert res.returncode == 1
    assert "berubah" in res.stderr and "Traceback" not in res.stderr


def test_the_records_officers_day_across_trainings(
    engine: Engine, tmp_path: Path, signed: bytes
) -> None:
    """``harian``: every training's letters of one day, packaged, and one list of them all
    numbered through (by training, each in register order); another day's letters are not
    in it."""
    from diklat.laporan.srikandi import harian

    ids = build(engine, tmp_path, signed)
    siap(engine)
    with session_scope(engine) as s:  # a second training with one signed letter the same day
        k = simpan_kegiatan(
            s,
            {
                "kode": "PD-2026-004",
                "sop": "pengiriman-peserta",
                "nama": "Diklat Teknis Arsiparis",
                "mulai": "2026-12-21",
                "selesai": "2026-12-24",
                **LENGKAP,
                "kriteria": {"unit": ["U1"]},
            },
        )
        n = Naskah(
            kegiatan_id=k.id,
            jenis="surat_tugas",
            versi=1,
            status="ditandatangani",
            hal="Surat Tugas Diklat",
            tujuan="Sdr. Rahmat",
            penandatangan_nip=KEPALA,
            konteks_json=json.dumps({"lampiran": "-"}),
        )
        s.add(n)
        s.flush()
        register.register_naskah(s, n.id)
        catat_berkas(s, n, "ttd_pdf", make_pdf(tmp_path / "ttd" / "pd.pdf", 1))
        nomor_pd = n.nomor
    today = register.today()
    out = tmp_path / "harian"
    with session_scope(engine) as s:
        hasil = harian(s, today, out)
        nomor = {key: s.get(Naskah, i).nomor for key, i in ids.items()}  # type: ignore[union-attr]
    assert [p.kegiatan for p in hasil.paket] == ["PD-2026-004", "PK-2026-009"]
    assert hasil.surat == 4 and hasil.as_dict()["tanpa_ttd"] == 1
    day = today.isoformat()
    assert hasil.daftar_harian == [
        out / f"daftar-harian-{day}.csv",
        out / f"daftar-harian-{day}.xlsx",
    ]
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == sorted(
        p.name for p in hasil.daftar_harian
    )  # no per-training lists beside it
    with (out / f"daftar-harian-{day}.csv").open(encoding="utf-8", newline="") as f:
        daily = list(csv.DictReader(f))
    assert [r["no"] for r in daily] == ["1", "2", "3", "4"]
    with session_scope(engine) as s:  # by training, each in the register's order
        own = [r["nomor"] for r in paket(s, "PK-2026-009", tmp_path / "satu").surat]
    assert sorted(own) == sorted([nomor["p1"], nomor["p2"], nomor["st"]])
    assert [(r["kegiatan"], r["nomor"]) for r in daily] == [
        ("PD-2026-004", nomor_pd),
        *[("PK-2026-009", n) for n in own],
    ]
    assert all(r["didaftarkan"] == "" and r["paraf"] == "" for r in daily)
    for r in daily:  # each row's package is there
        assert (out / r["folder"] / "srikandi.json").is_file()
    ws = load_workbook(out / f"daftar-harian-{day}.xlsx").active
    assert ws is not None
    heading = [c.value for c in next(ws.iter_rows(min_row=1, max_row=4)) if c.value]
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "PD-2026-004" in values and nomor_pd in values, heading
    with session_scope(engine) as s:  # another day: nothing, no list
        kosong = harian(s, today - dt.timedelta(days=3), tmp_path / "lain")
    assert kosong.surat == 0 and kosong.daftar_harian == []

    res = _cli_harian(tmp_path, engine, "--out", "cli", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["surat"] == 4
    res = _cli_harian(tmp_path, engine, "--out", "cli", "--tanggal", "kemarin")
    assert res.returncode == 2 and "--tanggal" in _one_line(res)


def _cli_harian(tmp_path: Path, engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    env.update(
        {
            "DIKLAT_VAR_DIR": str(tmp_path / "var"),
            "DIKLAT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        }
    )
    return subprocess.run(
        [DIKLAT, "srikandi", "harian", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_daily_flow_packages_the_day_and_fails_on_an_altered_pdf(
    sqlite_engine: Engine,
    sqlite_url: str,
    tmp_path: Path,
    signed: bytes,
    prefect_api: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scheduled ``serah-srikandi`` flow: the day's packages and list under the output
    folder, counts (no names or NIPs) in its result; an altered signed PDF fails the run after
    the other letters were packaged."""
    from diklat.settings import get_settings, reset_settings_cache
    from flows.serah_srikandi import serah_srikandi

    monkeypatch.setenv("DIKLAT_DATABASE_URL", sqlite_url)
    reset_settings_cache()
    ids = build(sqlite_engine, tmp_path, signed)
    hasil = serah_srikandi()
    day = register.today().isoformat()
    folder = Path(str(get_settings().output_dir)) / "srikandi" / day
    assert hasil["surat"] == 3 and hasil["folder"] == str(folder)
    assert hasil["per_kegiatan"] == [
        {"kegiatan": "PK-2026-009", "surat": 3, "tanpa_ttd": 1, "berubah": 0}
    ]
    assert (folder / f"daftar-harian-{day}.xlsx").is_file()
    assert KEPALA not in json.dumps(hasil)  # the signer's NIP stays in the files

    with session_scope(sqlite_engine) as s:
        p2 = str(s.get(Naskah, ids["p2"]).nomor)  # type: ignore[union-attr]
    assert (folder / nama_folder("PK-2026-009") / nama_folder(p2)).is_dir()
    (tmp_path / "ttd" / "p2.pdf").write_bytes(b"%PDF-1.7 diganti")
    state = serah_srikandi(return_state=True)
    assert state.is_failed()
    message = str(state.message or "")
    assert "berubah" in message and p2 in message and "\n" not in message.strip()
    with (folder / f"daftar-harian-{day}.csv").open(encoding="utf-8", newline="") as f:
        assert len(list(csv.DictReader(f))) == 2  # the others still handed over
    # the day's folder was replaced whole: the altered letter's earlier package is gone
    assert not (folder / nama_folder("PK-2026-009") / nama_folder(p2)).exists()


def test_the_officer_records_registrations_and_sees_whats_left(
    engine: Engine, tmp_path: Path, signed: bytes, db_url: str
) -> None:
    """``catat`` records that letters were registered in SRIKANDI (all or nothing), ``belum``
    lists the signed letters still to register, and the daily list shows the recorded date."""
    from diklat.laporan.srikandi import SrikandiError, belum, catat, harian

    ids = build(engine, tmp_path, signed)
    with session_scope(engine) as s:
        nomor = {k: s.get(Naskah, i).nomor for k, i in ids.items()}  # type: ignore[union-attr]
        assert [r["nomor"] for r in belum(s)] == [
            r["nomor"] for r in paket(s, "PK-2026-009", tmp_path / "p").surat
        ]  # the three signed ones, register order
    today = register.today()
    for bad in (nomor["tanpa"], nomor["batal"]):  # unsigned, voided: refused, none recorded
        with session_scope(engine) as s, pytest.raises(SrikandiError, match="tidak ada yang"):
            catat(s, [str(nomor["p1"]), str(bad)], today)
    with session_scope(engine) as s, pytest.raises(SrikandiError, match="sebelum tanggal"):
        catat(s, [str(nomor["p1"])], today - dt.timedelta(days=1))
    with session_scope(engine) as s, pytest.raises(SrikandiError, match="belum tiba"):
        catat(s, [str(nomor["p1"])], today + dt.timedelta(days=1))
    with session_scope(engine) as s:
        assert len(belum(s)) == 3  # nothing recorded
        assert catat(s, [str(nomor["p1"])], today, "SRK-0001") == [nomor["p1"]]
    with session_scope(engine) as s:
        left = [r["nomor"] for r in belum(s)]
        n = s.get(Naskah, ids["p1"])
        assert n is not None and (n.srikandi_didaftarkan, n.srikandi_nomor) == (today, "SRK-0001")
        hasil = harian(s, today, tmp_path / "h")
    assert nomor["p1"] not in left and len(left) == 2
    with hasil.daftar_harian[0].open(encoding="utf-8", newline="") as f:
        daily = {r["nomor"]: r["didaftarkan"] for r in csv.DictReader(f)}
    assert daily[str(nomor["p1"])] == today.isoformat()
    assert daily[str(nomor["p2"])] == ""

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    env.update({"DIKLAT_VAR_DIR": str(tmp_path / "var"), "DIKLAT_DATABASE_URL": db_url})

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [DIKLAT, "srikandi", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    res = cli("catat", "800/999/X/2026")
    assert res.returncode == 2 and "800/999/X/2026" in _one_line(res)
    res = cli("catat", str(nomor["p2"]), str(nomor["st"]), "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["dicatat"] == [nomor["p2"], nomor["st"]]
    res = cli("belum", "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["jumlah"] == 0
