"""``diklat srikandi paket`` and ``diklat srikandi harian``: hand-over packages for registering
signed letters by hand in SRIKANDI (:mod:`diklat.laporan.srikandi`), per training or for one day
across trainings (the records officer's daily list)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from cli import common

srikandi_app = common.new_app(
    help="SRIKANDI: paket serah naskah untuk didaftarkan manual oleh petugas arsip."
)


def _tanggal(tanggal: str | None, *, hari_ini: bool) -> Any:
    """``--tanggal`` read (exit 2 when unreadable); empty: today, or None for "all"."""
    from diklat.naskah.register import RegisterError, parse_tanggal, today

    try:
        tgl = parse_tanggal(tanggal)
    except RegisterError as e:
        raise common.refuse(f"--tanggal: {e}") from None
    return common.tanggal_wajar(tgl) or (today() if hari_ini else None)


def _tempat(paths: list[Path], tmp: Path, k: Any) -> list[Path]:
    from diklat.berkas import di_tempat

    return [di_tempat(p, tmp, k) for p in paths]


def _akhiri(tanpa_ttd: int, berubah: list[str], gagal: list[str] | None = None) -> None:
    """What was not handed over: a remark for unsigned letters, exit 1 for altered or
    missing files."""
    from diklat.laporan.srikandi import pesan_berubah, pesan_tanpa_ttd

    if tanpa_ttd:
        common.notice(pesan_tanpa_ttd(tanpa_ttd))
    if berubah:
        raise common.fail(pesan_berubah(berubah))
    if gagal:
        raise common.fail(f"tidak dipaketkan: {'; '.join(gagal)}")


@srikandi_app.command("paket")
def paket(
    kode: str = typer.Argument(..., metavar="KODE", help="kode kegiatan"),
    out: Path = typer.Option(..., "--out", help="folder tujuan paket"),
    tanggal: str = typer.Option(
        None, "--tanggal", metavar="YYYY-MM-DD", help="hanya naskah bertanggal ini (bawaan: semua)"
    ),
    as_json: bool = typer.Option(False, "--json", help="cetak ringkasan sebagai JSON"),
    timpa: bool = typer.Option(False, "--timpa", help=common.TIMPA_HELP),
) -> None:
    """Tulis, untuk tiap naskah kegiatan yang sudah bernomor dan ditandatangani, folder berisi
    PDF bertanda tangan serta CSV dan JSON isian pendaftaran SRIKANDI, dan daftar harian."""
    from diklat.db import session_scope
    from diklat.kegiatan.data import KegiatanTidakAda
    from diklat.laporan.srikandi import SrikandiError
    from diklat.laporan.srikandi import paket as buat_paket

    tgl = _tanggal(tanggal, hari_ini=False)
    k = common.keluaran_folder(out, timpa)
    try:
        with common.tulis_keluaran(k) as tmp, session_scope() as s:
            hasil = buat_paket(s, kode, tmp, tanggal=tgl)
    except (KegiatanTidakAda, SrikandiError) as e:
        raise common.fail(str(e)) from None
    hasil.folder = _tempat([hasil.folder], tmp, k)[0]
    hasil.daftar_harian = _tempat(hasil.daftar_harian, tmp, k)
    data: dict[str, Any] = hasil.as_dict()
    if as_json:
        common.print_json(data)
    else:
        common.console.print(
            f"SRIKANDI {kode}: {len(hasil.surat)} paket naskah di {hasil.folder}; daftar harian: "
            + (", ".join(p.name for p in hasil.daftar_harian) or "-"),
            markup=False,
            highlight=False,
        )
    _akhiri(hasil.tanpa_ttd, hasil.berubah)


@srikandi_app.command("harian")
def harian(
    out: Path = typer.Option(..., "--out", help="folder tujuan paket"),
    tanggal: str = typer.Option(
        None, "--tanggal", metavar="YYYY-MM-DD", help="tanggal naskah (bawaan: hari ini)"
    ),
    as_json: bool = typer.Option(False, "--json", help="cetak ringkasan sebagai JSON"),
    timpa: bool = typer.Option(False, "--timpa", help=common.TIMPA_HELP),
) -> None:
    """Paket serah SRIKANDI semua kegiatan untuk naskah bertanggal satu hari, dan satu daftar
    harian untuk petugas arsip (semua kegiatan, bernomor urut)."""
    from diklat.db import session_scope
    from diklat.laporan.srikandi import SrikandiError
    from diklat.laporan.srikandi import harian as buat_harian

    tgl = _tanggal(tanggal, hari_ini=True)
    k = common.keluaran_folder(out, timpa)
    folder = k.target
    try:
        with common.tulis_keluaran(k) as tmp, session_scope() as s:
            hasil = buat_harian(s, tgl, tmp)
    except SrikandiError as e:
        raise common.fail(str(e)) from None
    for p in hasil.paket:
        p.folder = _tempat([p.folder], tmp, k)[0]
    hasil.daftar_harian = _tempat(hasil.daftar_harian, tmp, k)
    data = hasil.as_dict()
    if as_json:
        common.print_json(data)
    else:
        common.console.print(
            f"SRIKANDI {tgl.isoformat()}: {hasil.surat} paket naskah dari "
            f"{len(hasil.paket)} kegiatan di {folder}; daftar harian: "
            + (", ".join(p.name for p in hasil.daftar_harian) or "-"),
            markup=False,
            highlight=False,
        )
    _akhiri(data["tanpa_ttd"], data["berubah"], data["gagal"])


@srikandi_app.command("catat")
def catat(
    nomor: list[str] = typer.Argument(..., metavar="NOMOR...", help="nomor surat"),
    tanggal: str = typer.Option(
        None,
        "--tanggal",
        metavar="YYYY-MM-DD",
        help="tanggal didaftarkan di SRIKANDI (bawaan: hari ini)",
    ),
    nomor_srikandi: str = typer.Option(
        None, "--nomor-srikandi", help="nomor agenda SRIKANDI (untuk satu surat)"
    ),
    as_json: bool = typer.Option(False, "--json", help="cetak sebagai JSON"),
) -> None:
    """Catat bahwa surat sudah didaftarkan petugas arsip di SRIKANDI (semua atau tidak sama
    sekali)."""
    from diklat.db import ensure_schema, session_scope
    from diklat.laporan.srikandi import SrikandiError
    from diklat.laporan.srikandi import catat as catat_surat

    tgl = _tanggal(tanggal, hari_ini=True)
    ensure_schema()
    try:
        with session_scope() as s:
            dicatat = catat_surat(s, nomor, tgl, nomor_srikandi)
    except SrikandiError as e:
        raise common.refuse(str(e)) from None
    if as_json:
        common.print_json({"dicatat": dicatat, "tanggal": tgl.isoformat()})
    else:
        common.console.print(
            f"{len(dicatat)} surat dicatat terdaftar di SRIKANDI pada {tgl.isoformat()}",
            markup=False,
            highlight=False,
        )


@srikandi_app.command("belum")
def belum(as_json: bool = typer.Option(False, "--json", help="cetak sebagai JSON")) -> None:
    """Surat bertanda tangan yang belum dicatat terdaftar di SRIKANDI, yang terlama dulu."""
    from diklat.db import ensure_schema, session_scope
    from diklat.laporan.srikandi import belum as daftar_belum

    ensure_schema()
    with session_scope() as s:
        rows = daftar_belum(s)
    if as_json:
        common.print_json({"belum": rows, "jumlah": len(rows)})
        return
    from rich import box
    from rich.table import Table

    table = Table(title="Belum didaftarkan di SRIKANDI", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("Tanggal", "Nomor", "Kegiatan", "Hal", "Tujuan"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["tanggal"], r["nomor"], r["kegiatan"], r["hal"], r["tujuan"])
    common.console.print(table)


def add_commands(app: typer.Typer) -> None:
    app.add_typer(srikandi_app, name="srikandi")
