"""``diklat demo``: the main job end to end on the embedded defaults (what ``make demo`` runs).

What exists today, in the order an agency meets it: start the bundled SIMPEG/SIASN
simulator; bootstrap employees from SIASN's export file (and import it again: nothing
written); a full SIMPEG sync; 1 % of employees change, an incremental sync picks up exactly
those; a SIASN refresh of a few NIPs; a training with a participant list (pandas); its
letters as drafts, "signed" by a demo stand-in (the approval issue replaces it), numbered in
the outgoing-letter register, rendered final, converted to PDF; the register and the
participant list exported to Excel. Every step is a Prefect flow run (a temporary local
Prefect server keeps the run history in ``var/prefect``), and the whole demo can be run
again: what is done is skipped, nothing is numbered twice.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import typer

from cli import common

KODE_DEMO = "PK-{tahun}-001"
PEJABAT_DEMO: list[dict[str, Any]] = [  # invented officials (NIPs well-formed, belonging to nobody)
    {"nip": "197209131998031001", "nama": "Dr. H. SUTRISNO, S.Sos., M.Si.", "peran": "kepala",
     "jabatan": "Kepala Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
     "pangkat": "Pembina Utama Muda (IV/c)"},
    {"nip": "198005122005022003", "nama": "RINA WULANDARI, S.E., M.M.", "peran": "kabid_psda",
     "jabatan": "Kepala Bidang Pengembangan Sumber Daya Aparatur", "pangkat": "Pembina (IV/a)"},
    {"nip": "197706142003121004", "nama": "AHMAD FAUZI, S.H., M.H.", "peran": "sekretaris",
     "jabatan": "Sekretaris", "pangkat": "Pembina Tingkat I (IV/b)"},
]


def _row(table: Any, langkah: str, counts: dict[str, Any], t0: float) -> None:
    keys = ("inserted", "updated", "unchanged", "deactivated", "quarantined")
    from diklat.runs import STATUS_LABEL

    status = str(counts.get("status"))
    table.add_row(langkah, *(str(counts.get(k, "")) for k in keys),
                  STATUS_LABEL.get(status, status), f"{time.perf_counter() - t0:.1f}")


def demo_command(
    pegawai: int = typer.Option(2000, "--pegawai", help="jumlah pegawai simulator"),
    seed: int = typer.Option(7, "--seed", help="benih data simulator"),
    bad_share: float = typer.Option(0.01, "--bad-share", help="bagian rekaman rusak"),
    peserta: int = typer.Option(24, "--peserta", help="jumlah peserta pelatihan demo"),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="ubah naskah final ke PDF"),
) -> None:
    """Jalankan pekerjaan utama dari awal sampai akhir dengan pengaturan bawaan."""
    # The tables below summarise; the runs' INFO logs go to the Prefect UI, not the console.
    from cli.flowrun import quiet_prefect_console

    quiet_prefect_console("WARNING")
    from diklat.db import get_engine, migrate
    from diklat.settings import get_settings, mask_url

    settings = get_settings()
    migrate()
    common.console.rule("[bold]diklat-flows demo")
    common.console.print(f"Basis data: {mask_url(settings.database_url)}")
    home = os.environ.get("PREFECT_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
    from cli.prefect_server import start_prefect_server_if_needed

    server = start_prefect_server_if_needed()
    try:
        _personnel(server, pegawai, seed, bad_share)
        _letters(get_engine(), peserta, pdf)
    except Exception as e:  # a readable message; the flow runs keep the details
        raise common.fail(f"demo berhenti: {e.__class__.__name__}: {e}") from e
    finally:
        if server is not None:
            server.stop()


def _personnel(server: Any, pegawai: int, seed: int, bad_share: float) -> None:
    from rich.table import Table

    from diklat.settings import get_settings, reset_settings_cache
    from simulator.server import SimulatorProcess

    sim = SimulatorProcess(n_pegawai=pegawai, seed=seed, bad_share=bad_share)
    try:
        sim.start()
        os.environ.update(sim.env())
        reset_settings_cache()
        settings = get_settings()
        common.console.print(f"Simulator SIMPEG/SIASN: {sim.url} ({pegawai} pegawai, "
                             f"{bad_share:.0%} rekaman rusak)")
        if server is not None:
            server.wait_ready()
            common.console.print(f"Prefect API sementara: {server.api_url}")

        from diklat.db import get_engine
        from diklat.sync_service import save_request
        from flows.import_siasn_export import import_siasn_export
        from flows.sync_pegawai import sync_pegawai
        from simulator.export_csv import write_export

        table = Table("Langkah", "baru", "berubah", "tetap", "nonaktif", "karantina", "status",
                      "detik", title="Data pegawai")
        import_dir = Path(settings.import_dir or "var/import").resolve()
        import_dir.mkdir(parents=True, exist_ok=True)
        export = import_dir / f"export-data-asn-seed{seed}-{pegawai}.csv"
        if not export.exists():
            write_export(export, n_pegawai=pegawai, seed=seed, bad_share=bad_share)
        t0 = time.perf_counter()
        # The flow takes a name inside the import folder, never a path.
        _row(table, "Impor Export Data ASN (awal)", import_siasn_export(path=export.name), t0)
        t0 = time.perf_counter()
        _row(table, "Impor file sama lagi", import_siasn_export(path=export.name), t0)
        t0 = time.perf_counter()
        _row(table, "Sinkron penuh SIMPEG", sync_pegawai(full=True), t0)
        changed = sim.mutate(0.01, seed=seed)
        t0 = time.perf_counter()
        _row(table, f"Sinkron inkremental ({len(changed)} diubah)", sync_pegawai(full=False), t0)
        t0 = time.perf_counter()
        nips = [c["nip"] for c in changed[:5]]
        permintaan = save_request(get_engine(), nips)  # the flow gets an id, never NIPs
        _row(table, f"{len(nips)} NIP dari SIASN", sync_pegawai(permintaan=permintaan), t0)
        table.caption = ("File export SIASN tidak memuat eselon dan TMT pensiun: sinkron penuh "
                         "pertama melengkapinya. Karantina = rekaman rusak simulator, dengan "
                         "alasannya di tabel karantina.")
        common.console.print(table)
    finally:
        sim.stop()


def _letters(engine: Any, jumlah: int, pdf: bool) -> None:
    from rich.table import Table

    from connectors import pdf as pdf_connector
    from diklat import register
    from diklat.db import session_scope
    from diklat.kegiatan import daftar_calon, ensure_kegiatan, peserta_frame, tetapkan_peserta
    from diklat.persiapan import ensure_pejabat
    from diklat.rules.kalender import kalender
    from diklat.settings import get_settings
    from flows.naskah_kegiatan import naskah_kegiatan

    settings = get_settings()
    today = register.today(settings)
    mulai = kalender(settings).tambah_hari_kerja(today, 10)
    selesai = kalender(settings).tambah_hari_kerja(mulai, 2)
    kode = KODE_DEMO.format(tahun=today.year)
    with session_scope(engine) as s:
        for p in PEJABAT_DEMO:
            ensure_pejabat(s, **p)
        k = ensure_kegiatan(
            s, kode, sop_code="peningkatan-kapasitas",
            nama="Pelatihan Penyusunan Analisis Jabatan dan Analisis Beban Kerja",
            jenis_diklat_id="3", penyelenggara=settings.instansi.singkatan,
            tempat=f"Aula {settings.instansi.singkatan}, {settings.instansi.kota}",
            tanggal_mulai=mulai, tanggal_selesai=selesai, jumlah_jp=24, kuota=jumlah)
        kegiatan_id = k.id
        if not k.peserta:
            calon = daftar_calon(engine, jumlah, golongan_awalan=["III"], per_unit=2)
            tetapkan_peserta(s, k, [int(x) for x in calon["id"]])
    out = Path(settings.output_dir or "var/output") / kode
    out.mkdir(parents=True, exist_ok=True)
    df = peserta_frame(engine, kegiatan_id)
    daftar_peserta_excel(out / "daftar-peserta.xlsx", df)
    common.console.print(f"Kegiatan {kode}: {len(df)} peserta dari {df['unit_kode'].nunique()} "
                         f"OPD -> {out / 'daftar-peserta.xlsx'}")
    if pdf and not pdf_connector.available():
        common.console.print("[yellow]Catatan:[/] LibreOffice (soffice) tidak ditemukan: naskah "
                             "hanya dibuat dalam DOCX. Pasang paket Debian "
                             "libreoffice-writer-nogui untuk PDF.")
        pdf = False
    t0 = time.perf_counter()
    hasil = naskah_kegiatan(kode=kode, tanda_tangan_demo=True, pdf=pdf)
    secs = time.perf_counter() - t0
    with session_scope(engine) as s:
        entries = [register.entry_dict(e) for e in register.entries(s, today.year)]
        xlsx = out / f"agenda-surat-keluar-{today.year}.xlsx"
        register.export_excel(s, xlsx, today.year)
    table = Table("Naskah", "Jumlah", title=f"Naskah kegiatan {kode} ({secs:.1f} s)")
    for j, n in hasil["draf"].items():
        table.add_row(f"draf {j} (baru)", str(n))
    table.add_row("ditandatangani (demo, menggantikan alur paraf)",
                  str(hasil["ditandatangani_demo"]))
    table.add_row("diberi nomor di agenda", str(hasil["diberi_nomor"]))
    table.add_row("final DOCX dibuat", str(hasil["final"]))
    table.add_row("PDF", str(hasil["pdf"]))
    common.console.print(table)
    if entries:
        first, last = entries[0], entries[-1]
        common.console.print(f"Agenda surat keluar {today.year}: {len(entries)} nomor, "
                             f"{first['nomor']} ... {last['nomor']}\n  -> {xlsx}")
    common.console.print(f"Berkas: {out}  |  Riwayat run Prefect: var/prefect (UI: "
                         f"`diklat server start`, lalu http://127.0.0.1:4200)")
    common.console.print(f"[green]Selesai[/] {dt.datetime.now():%H:%M:%S}")


def daftar_peserta_excel(path: Path, df: Any) -> int:
    """The participant list as the project writes every Excel file (``diklat.excel``):
    Indonesian headings, no internal ids, NIP as text, text never a formula."""
    import pandas as pd

    from diklat.excel import Kolom, tulis

    kolom = (Kolom("No", "nomor_urut", 5, "angka"), Kolom("NIP", "nip", 21),
             Kolom("Nama", "nama_lengkap", 36), Kolom("Jabatan", "jabatan", 40),
             Kolom("Golongan", "golongan", 10), Kolom("Pangkat", "pangkat", 24),
             Kolom("Unit kerja", "unit_nama", 45), Kolom("Status", "status", 13),
             Kolom("Nomor sertifikat", "nomor_sertifikat", 28))

    def rows() -> Any:
        for r in df.to_dict("records"):
            r = {k: (None if pd.isna(v) else v) for k, v in r.items()}  # NaN, NA -> empty
            nama = r.get("nama") or ""
            if r.get("gelar_depan"):
                nama = f"{r['gelar_depan']} {nama}"
            if r.get("gelar_belakang"):
                nama = f"{nama}, {r['gelar_belakang']}"
            r["nama_lengkap"] = nama
            r["nomor_urut"] = int(r["nomor_urut"]) if r.get("nomor_urut") is not None else None
            yield r

    return tulis(path, "Peserta", kolom, rows())


def add_commands(app: typer.Typer) -> None:
    """Add ``diklat demo`` to the main app."""
    app.command("demo")(demo_command)
