"""``diklat demo``: the main job end to end on the embedded defaults (what ``make demo`` runs).

A fresh database (in ``<var>/demo``), the bundled SIMPEG/SIASN simulator, the employees
bootstrapped from SIASN's export file and synced from SIMPEG, then **both SOPs end to end**:

* SOP 000 *Peningkatan Kapasitas Kinerja ASN* for about 60 participants from 8 agencies:
  request for speakers, notices to each agency, the committee decree, summonses, attendance
  sheets, training-kit receipts, the opening invitation, certificates, the activity report,
  the SIASN write-back;
* SOP 002 *Pengiriman Peserta Diklat Teknis dan Fungsional* for one participant, where the
  Sekretaris Daerah signs the assignment letter (``kewenangan_sekda``).

Every step is a Prefect flow run (a temporary local Prefect server, or the one ``diklat server
start`` keeps running). The officials and operators are **scripted** (``simulator.petugas``) but
answer through the real path: each official reads his one-time code from the e-mail in the file
outbox and resumes the waiting run through the Prefect API; one answer carries a wrong code
(refused, audited, the run waits again) and one asks for a revision (version 2, the chain
starts again). Letters are signed for real (PAdES, the project's local CA), sent to the outbox,
archived. The last line of output is one JSON object with the counts.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import typer

from cli import common

PEJABAT_DEMO: list[dict[str, Any]] = [  # invented officials (NIPs well-formed, belonging to nobody)
    {
        "nip": "197209131998031001",
        "nama": "Dr. H. SUTRISNO, S.Sos., M.Si.",
        "peran": "kepala",
        "jabatan": "Kepala Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        "pangkat": "Pembina Utama Muda (IV/c)",
        "email": "kepala.bkpsdm@demo.go.id",
    },
    {
        "nip": "198005122005022003",
        "nama": "RINA WULANDARI, S.E., M.M.",
        "peran": "kabid_psda",
        "jabatan": "Kepala Bidang Pengembangan Sumber Daya Aparatur",
        "pangkat": "Pembina (IV/a)",
        "email": "kabid.psda@demo.go.id",
    },
    {
        "nip": "197706142003121004",
        "nama": "AHMAD FAUZI, S.H., M.H.",
        "peran": "sekretaris",
        "jabatan": "Sekretaris Badan",
        "pangkat": "Pembina Tingkat I (IV/b)",
        "email": "sekretaris.bkpsdm@demo.go.id",
    },
    {
        "nip": "199001012015031001",
        "nama": "NUR HASANAH, S.Psi.",
        "peran": "analis_sdm",
        "jabatan": "Analis SDM Aparatur Ahli Muda",
        "pangkat": "Penata (III/c)",
        "email": "analis.sdm@demo.go.id",
    },
    {
        "nip": "196801011990031001",
        "nama": "Drs. H. MUHAMMAD YUSUF, M.Si.",
        "peran": "sekda",
        "jabatan": "Sekretaris Daerah",
        "pangkat": "Pembina Utama Madya (IV/d)",
        "email": "sekda@demo.go.id",
    },
    # staff: who correct drafts sent back, and the operator who records outside steps
    {
        "nip": "199107222018022001",
        "nama": "SITI AMINAH, S.Kom.",
        "peran": "pengelola",
        "jabatan": "Pengelola Penyelenggaraan Pelatihan",
        "pangkat": "Penata Muda Tk. I (III/b)",
        "email": "pengelola.diklat@demo.go.id",
    },
    {
        "nip": "199305102020121002",
        "nama": "RIZKY PRATAMA, A.Md.",
        "peran": "pengolah_data",
        "jabatan": "Pengolah Data dan Informasi",
        "pangkat": "Pengatur (II/c)",
        "email": "pengolah.data@demo.go.id",
    },
    {
        "nip": "198806302014031002",
        "nama": "BAYU SETIAWAN, S.E.",
        "peran": "pokja",
        "jabatan": "Pokja Peningkatan Kapasitas",
        "pangkat": "Penata (III/c)",
        "email": "pokja.diklat@demo.go.id",
    },
    {
        "nip": "199203152019031004",
        "nama": "DEWI LESTARI, S.AP.",
        "peran": "operator",
        "jabatan": "Operator Diklat",
        "pangkat": "Penata Muda (III/a)",
        "email": "operator.diklat@demo.go.id",
    },
]


def _row(table: Any, langkah: str, counts: dict[str, Any], t0: float) -> None:
    keys = ("inserted", "updated", "unchanged", "deactivated", "quarantined")
    table.add_row(
        langkah,
        *(str(counts.get(k, "")) for k in keys),
        str(counts.get("status")),
        f"{time.perf_counter() - t0:.1f}",
    )


def demo_command(
    pegawai: int = typer.Option(
        2000, "--pegawai", min=100, max=common.MAX_PEGAWAI, help="jumlah pegawai simulator (orang)"
    ),
    seed: int = typer.Option(7, "--seed", help="benih data simulator"),
    bad_share: float = typer.Option(
        0.01, "--bad-share", min=0.0, max=0.5, help="bagian rekaman rusak (0-0,5)"
    ),
    peserta: int = typer.Option(
        60, "--peserta", min=1, max=1000, help="peserta pelatihan SOP 000 (orang)"
    ),
    opd: int = typer.Option(8, "--opd", min=1, max=50, help="instansi asal peserta SOP 000"),
) -> None:
    """Jalankan pekerjaan utama dari awal sampai akhir dengan pengaturan bawaan."""
    from diklat.settings import get_settings, reset_settings_cache

    t_start = time.perf_counter()
    root = Path(get_settings().var_dir)
    produksi = _basis_data_terpasang()
    demo_var = (root / "demo").resolve()
    if demo_var.exists():
        shutil.rmtree(demo_var)  # a fresh database and fresh outputs, every time
    demo_var.mkdir(parents=True)
    _lingkungan_demo(demo_var)
    os.environ.setdefault("DIKLAT_APPROVAL__POLL_SECONDS", "0.25")
    reset_settings_cache()
    server = _prefect_demo(demo_var)  # boots while the database is made
    from diklat.db import get_engine, migrate
    from diklat.settings import mask_url

    settings = get_settings()
    migrate()
    common.console.rule("[bold]diklat-flows demo")
    common.console.print(
        f"Basis data baru khusus demo: {mask_url(settings.database_url)}"
        + (
            f" (DIKLAT_DATABASE_URL yang terpasang, {mask_url(produksi)}, tidak disentuh)"
            if produksi
            else ""
        ),
        markup=False,
        highlight=False,
    )
    try:
        sim = _personnel(server, pegawai, seed, bad_share)
        try:
            out = _trainings(get_engine(), peserta, opd)
        finally:
            sim.stop()
    except Exception as e:  # a readable message; the flow runs keep the details
        raise common.fail(f"demo berhenti: {e.__class__.__name__}: {e}") from e
    finally:
        if server is not None:
            server.stop()
    out["detik"] = round(time.perf_counter() - t_start, 1)
    common.console.print(f"[green]Selesai[/] dalam {out['detik']} s")
    _penutup_demo(demo_var, out)
    common.print_json(out)


def _personnel(server: Any, pegawai: int, seed: int, bad_share: float) -> Any:
    from rich.table import Table

    from diklat.settings import get_settings, reset_settings_cache
    from simulator.server import SimulatorProcess

    sim = SimulatorProcess(n_pegawai=pegawai, seed=seed, bad_share=bad_share)
    sim.start()
    os.environ.update(sim.env())
    reset_settings_cache()
    settings = get_settings()
    common.console.print(
        f"Simulator SIMPEG/SIASN: {sim.url} ({pegawai} pegawai, {bad_share:.0%} rekaman rusak)"
    )
    if server is not None:
        server.wait_ready()
    from flows.import_siasn_export import import_siasn_export
    from flows.sync_pegawai import sync_pegawai
    from simulator.export_csv import write_export

    table = Table(
        "Langkah",
        "baru",
        "berubah",
        "tetap",
        "nonaktif",
        "karantina",
        "status",
        "detik",
        title="Data pegawai",
    )
    import_dir = Path(settings.import_dir or "var/import").resolve()
    import_dir.mkdir(parents=True, exist_ok=True)
    export = import_dir / f"export-data-asn-seed{seed}-{pegawai}.csv"
    write_export(export, n_pegawai=pegawai, seed=seed, bad_share=bad_share)
    t0 = time.perf_counter()
    _row(table, "Impor Export Data ASN", import_siasn_export(path=export.name), t0)
    t0 = time.perf_counter()
    _row(table, "Sinkron penuh SIMPEG", sync_pegawai(full=True), t0)
    table.caption = "Karantina = rekaman rusak simulator, dengan alasannya (diklat karantina)."
    common.console.print(table)
    return sim


def _units(engine: Any, n: int) -> list[str]:
    """The ``n`` agencies with the most active employees in group III (not the BKPSDM)."""
    from diklat.db import session_scope
    from diklat.kegiatan.data import pegawai_frame
    from diklat.naskah.isi import unit_sendiri
    from diklat.settings import get_settings

    df = pegawai_frame(engine)
    with session_scope(engine) as s:
        own = unit_sendiri(s, get_settings())
    df = df[df["golongan"].fillna("").str.startswith("III") & ~df["unit_kode"].isin(own)]
    return list(df["unit_kode"].value_counts().head(n).index)


def siapkan_instansi(engine: Any, n_opd: int, domain: str) -> list[str]:
    """The demo's officials, an e-mail address at ``domain`` for every agency without one,
    and the ``n_opd`` agencies a training takes its participants from (:func:`_units`)."""
    from sqlalchemy import select

    from diklat.db import session_scope
    from diklat.models import UnitKerja
    from diklat.pegawai.pejabat import ensure_pejabat

    with session_scope(engine) as s:
        for p in PEJABAT_DEMO:
            ensure_pejabat(s, **p)
        for u in s.execute(select(UnitKerja).where(UnitKerja.email.is_(None))).scalars():
            u.email = f"{(u.singkatan or u.kode).lower()}@{domain}"
    return _units(engine, n_opd)


def _run_with_officials(flow_fn: Any, data: Any, engine: Any, skenario: Any) -> tuple[Any, Any]:
    from diklat.settings import get_settings
    from simulator.petugas import Petugas

    petugas = Petugas(engine, Path(get_settings().outbox_dir or "var/outbox"), skenario)
    stop = threading.Event()
    th = threading.Thread(target=petugas.jalan, args=(stop, 0.3), daemon=True, name="petugas-demo")
    th.start()
    try:
        return flow_fn(kegiatan=data), petugas
    finally:
        stop.set()
        th.join(timeout=10)


def _trainings(engine: Any, jumlah: int, n_opd: int) -> dict[str, Any]:
    from rich.table import Table
    from sqlalchemy import func, select

    from diklat.db import session_scope
    from diklat.kegiatan.data import DataKegiatan, Narasumber, peserta_frame
    from diklat.models import (
        Arsip,
        Distribusi,
        Kegiatan,
        Naskah,
        Persetujuan,
        RegisterEntry,
    )
    from diklat.naskah import register
    from diklat.settings import get_settings
    from flows.pengiriman_peserta import pengiriman_peserta
    from flows.peningkatan_kapasitas import peningkatan_kapasitas
    from simulator.petugas import Skenario

    settings = get_settings()
    today = register.today(settings)
    units = siapkan_instansi(engine, n_opd, "demo.go.id")
    # Both trainings are held on the demo's day: every step is recorded when it happens,
    # certificates and the activity report after the training, nothing dated ahead.
    pd_ = DataKegiatan(
        kode=f"PD-{today.year}-001",
        sop="pengiriman-peserta",
        nama="Pelatihan Teknis Pengelolaan Arsip Dinamis",
        jenis_diklat_id="3",
        mulai=today,
        selesai=today,
        tempat="Samarinda",
        jp=40,
        kuota=1,
        penyelenggara="Badan Pengembangan Sumber Daya Manusia Provinsi Kalimantan Timur",
        kriteria={"unit": units[:1]},  # type: ignore[arg-type]
        kondisi=["kewenangan_sekda"],
    )
    common.console.print(
        f"SOP 002 {pd_.kode}: 1 peserta, surat tugas ditandatangani Sekretaris Daerah ..."
    )
    t0 = time.perf_counter()
    out_pd, petugas_pd = _run_with_officials(
        pengiriman_peserta, pd_, engine, Skenario(kode_salah_oleh=None, revisi=None)
    )
    t_pd = time.perf_counter() - t0

    pk = DataKegiatan(
        kode=f"PK-{today.year}-001",
        sop="peningkatan-kapasitas",
        nama="Pelatihan Penyusunan Analisis Jabatan dan Analisis Beban Kerja",
        jenis_diklat_id="3",
        mulai=today,
        selesai=today,
        tempat=f"Aula {settings.instansi.singkatan}, {settings.instansi.kota}",
        jp=24,
        kuota=jumlah,
        lembaga_narasumber="Badan Pengembangan Sumber Daya Manusia Provinsi Kalimantan Timur",
        materi=["Analisis Jabatan", "Analisis Beban Kerja", "Peta Jabatan"],
        narasumber=[
            Narasumber(**n)
            for n in (  # invented speakers, for the activity report
                {
                    "nama": "Dr. HARYANTO, M.Si.",
                    "materi": "Analisis Jabatan",
                    "jabatan": "Widyaiswara Ahli Utama BPSDM Provinsi Kalimantan Timur",
                },
                {
                    "nama": "LINDA KARTIKA, S.Psi., M.A.",
                    "materi": "Analisis Beban Kerja",
                    "jabatan": "Widyaiswara Ahli Madya BPSDM Provinsi Kalimantan Timur",
                },
                {
                    "nama": "RUDI HARTONO, S.AP., M.AP.",
                    "materi": "Peta Jabatan",
                    "jabatan": "Analis Kebijakan Ahli Madya BPSDM Provinsi Kalimantan Timur",
                },
            )
        ],
        kriteria={"unit": units, "golongan": ["III"]},  # type: ignore[arg-type]
    )
    common.console.print(
        f"SOP 000 {pk.kode}: {jumlah} calon dari {len(units)} OPD; pejabat "
        "(skrip) menjawab dengan kode dari pos-el ..."
    )
    t0 = time.perf_counter()
    out_pk, petugas_pk = _run_with_officials(peningkatan_kapasitas, pk, engine, Skenario())
    t_pk = time.perf_counter() - t0
    out_dir = Path(settings.output_dir or "var/output")
    with session_scope(engine) as s:
        xlsx = out_dir / f"agenda-surat-keluar-{today.year}.xlsx"
        register.export_excel(s, xlsx, today.year)
        counts = {
            "kegiatan": [pk.kode, pd_.kode],
            "peserta": int(
                s.scalar(select(func.count()).select_from(Kegiatan).join(Kegiatan.peserta)) or 0
            ),
            "naskah": int(s.scalar(select(func.count()).select_from(Naskah)) or 0),
            "nomor": int(s.scalar(select(func.count()).select_from(RegisterEntry)) or 0),
            "email": int(
                s.scalar(
                    select(func.count())
                    .select_from(Distribusi)
                    .where(Distribusi.status == "terkirim")
                )
                or 0
            ),
            "arsip": int(s.scalar(select(func.count()).select_from(Arsip)) or 0),
            "keputusan": int(s.scalar(select(func.count()).select_from(Persetujuan)) or 0),
        }
        kid = s.execute(select(Kegiatan.id).where(Kegiatan.kode == pk.kode)).scalar_one()
    daftar_peserta_excel(out_dir / pk.kode / "daftar-peserta.xlsx", peserta_frame(engine, kid))
    t = Table(
        "Kegiatan",
        "Detik",
        "Keputusan",
        "Ditolak",
        "Revisi",
        "Masukan operator",
        title="SOP dijalankan sampai selesai",
    )
    for kode, secs, p in ((pk.kode, t_pk, petugas_pk), (pd_.kode, t_pd, petugas_pd)):
        c = p.catatan
        t.add_row(
            kode,
            f"{secs:.1f}",
            str(c.keputusan + c.revisi),
            str(c.ditolak),
            str(c.revisi),
            str(c.masukan),
        )
    common.console.print(t)
    common.console.print(
        f"Naskah: {counts['naskah']} versi, {counts['nomor']} nomor, {counts['email']} surel, "
        f"{counts['arsip']} arsip\n"
        f"  surat dan sertifikat (DOCX, PDF, PDF bertanda tangan): {out_dir}\n"
        f"  laporan dan agenda surat keluar: {xlsx}\n"
        f"  kotak keluar surel (.eml): {settings.outbox_dir}\n"
        f"  arsip: {settings.archive_dir}"
    )
    del out_pk, out_pd
    return counts


# --------------------------------------------------------------------------- isolation
# The demo never touches what is configured for production, nor the operator's Prefect
# history: its database, files, mail, archive, signatures and Prefect server are its own,
# under <var>/demo, and its last lines say so and how to look at them.


def _basis_data_terpasang() -> str | None:
    """The database URL configured for this installation (environment or .env), if any."""
    from diklat.settings import get_settings

    return get_settings().database_url if _dikonfigurasi("DIKLAT_DATABASE_URL") else None


def _dikonfigurasi(name: str) -> bool:
    """Whether ``name`` is set in the environment or in a .env file the settings read."""
    if os.environ.get(name):
        return True
    from diklat.settings import _env_files

    for f in _env_files():
        try:
            text = f.read_text(encoding="utf-8")
        except OSError:
            continue
        if any(line.strip().startswith(f"{name}=") for line in text.splitlines()):
            return True
    return False


def lingkungan_demo(demo_var: Path) -> dict[str, str]:
    """The settings of the demo, whatever is configured (they override ``.env`` too): its
    own SQLite database and folders under ``demo_var``, mail to the file outbox, the local
    archive and CA, the simulator's SIASN credentials, and its own Prefect home."""
    from simulator.app import Credentials

    cred = Credentials()
    return {
        "DIKLAT_VAR_DIR": str(demo_var),
        "DIKLAT_DATABASE_URL": f"sqlite:///{(demo_var / 'diklat.db').as_posix()}",
        "DIKLAT_OUTPUT_DIR": str(demo_var / "output"),
        "DIKLAT_OUTBOX_DIR": str(demo_var / "outbox"),
        "DIKLAT_ARCHIVE_DIR": str(demo_var / "arsip"),
        "DIKLAT_IMPORT_DIR": str(demo_var / "import"),
        "DIKLAT_ARSIP__URL": "",
        "DIKLAT_SMTP__HOST": "",
        "DIKLAT_TTE__MODE": "local",
        "DIKLAT_TTE__CA_DIR": str(demo_var / "tte"),
        "DIKLAT_SIASN__TOKEN_URL": "",
        "DIKLAT_SIASN__CONSUMER_KEY": cred.consumer_key,
        "DIKLAT_SIASN__CONSUMER_SECRET": cred.consumer_secret,
        "DIKLAT_SIASN__PASSWORD": cred.sso_password,
        "PREFECT_HOME": str(demo_var / "prefect"),
    }


def _lingkungan_demo(demo_var: Path) -> None:
    os.environ.update(lingkungan_demo(demo_var))
    for name in ("PREFECT_API_URL", "PREFECT_PROFILES_PATH", "PREFECT_PROFILE"):
        os.environ.pop(name, None)  # never the operator's server or profile


def _prefect_demo(demo_var: Path) -> Any:
    """A temporary Prefect server of the demo's own (history in ``<demo>/prefect``), never
    the one ``make up`` or ``diklat server start`` runs: the demo's runs stay out of the
    operator's history. Its output goes to ``<demo>/log/prefect-server.log``; a generous
    SQLite wait keeps a busy machine from 'database is locked' answers."""
    from cli.prefect_server import TemporaryPrefectServer, client_auth_from_server_setting

    client_auth_from_server_setting()
    return TemporaryPrefectServer(
        log=demo_var / "log" / "prefect-server.log",
        env_extra={"PREFECT_SERVER_DATABASE_TIMEOUT": "60"},
    )


def _penutup_demo(demo_var: Path, out: dict[str, Any]) -> None:
    """The demo's last lines: where its data and its Prefect runs are, and how to look."""
    import sys

    kode = out.get("kegiatan", ["PK-..."])[0]
    diklat = "diklat"
    if shutil.which("diklat") is None:  # not on PATH (no activated .venv): say where it is
        exe = Path(sys.executable).parent / "diklat"
        try:
            diklat = str(exe.relative_to(Path.cwd()))
        except ValueError:
            diklat = str(exe)
    env = (
        f"DIKLAT_VAR_DIR={demo_var} "
        f"DIKLAT_DATABASE_URL=sqlite:///{(demo_var / 'diklat.db').as_posix()} {diklat}"
    )
    common.console.print(
        f"Data demo hanya di {demo_var} (basis data, surat, surel, arsip), tidak di basis data "
        f"yang dipakai `make up`.\n"
        f"Run Prefect demo ada di server Prefect sementara milik demo (riwayat "
        f"{demo_var / 'prefect'}), TIDAK di UI `make up`. Untuk melihatnya:\n"
        f"  {env} kegiatan show {kode}\n"
        f"  {env} server start --port 4300   (UI: http://127.0.0.1:4300; "
        f"hentikan dengan `... server stop`)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def daftar_peserta_excel(path: Path, df: Any) -> int:
    """The participant list as ``diklat laporan peserta`` writes its first sheet (the one
    Excel writer: Indonesian headings, no internal ids, NIP as text, text never a formula)."""
    from diklat.excel import tulis
    from diklat.laporan.rekap import KOLOM_PESERTA, baris_peserta

    return tulis(path, "Peserta", KOLOM_PESERTA, baris_peserta(df))


def add_commands(app: typer.Typer) -> None:
    """Add ``diklat demo`` to the main app."""
    app.command("demo")(demo_command)


__all__ = ["PEJABAT_DEMO", "demo_command", "siapkan_instansi"]
