"""CLI: ``diklat register ...`` (the outgoing-letter register) and ``diklat naskah ...``
(templates and rendering)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from cli import common

register_app = common.new_app(help="Register surat keluar (agenda): daftar, ekspor, batalkan.")
naskah_app = common.new_app(help="Templat naskah dinas: buat templat, render DOCX/PDF.")


def _db_errors() -> type[Exception]:
    """SQLAlchemy's base error, imported when a command touches the database (``diklat -h``
    and the other areas do not pay for SQLAlchemy)."""
    from sqlalchemy.exc import SQLAlchemyError

    return SQLAlchemyError


def _db_fail(e: Exception) -> typer.Exit:
    """A short message for a database that is missing, unreachable or not migrated."""
    first = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
    return common.fail(
        f"basis data tidak dapat dipakai ({first}); sudah menjalankan `diklat init`?"
    )


def _year(year: int | None) -> int:
    return common.tahun(year)


def _tanggal(tanggal: str | None) -> dt.date | None:
    """``--tanggal`` as a date; exit 2 with one line when it is not ``YYYY-MM-DD``."""
    if tanggal is None:
        return None
    try:
        value = dt.date.fromisoformat(tanggal.strip())
    except ValueError:
        raise common.refuse(
            f"--tanggal {tanggal!r} bukan tanggal YYYY-MM-DD yang valid (contoh 2026-11-23)"
        ) from None
    return common.tanggal_wajar(value)


def _jenis_valid(jenis: str) -> str:
    """A known document type, or exit 2 listing the valid ones."""
    from diklat.settings import get_settings

    known = list(get_settings().naskah.klasifikasi)
    if jenis not in known:
        raise common.refuse(
            f"jenis naskah {jenis!r} tidak dikenal; pilih salah satu: " + ", ".join(known)
        )
    return jenis


def _contexts(path: Path) -> list[Any]:
    """The contexts in a ``--context`` JSON file (an object or a list of objects); exit 2
    with one line for a missing, unreadable or malformed file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise common.refuse(f"--context: berkas {path} tidak ada") from None
    except (OSError, UnicodeDecodeError) as e:
        raise common.refuse(f"--context: berkas {path} tidak terbaca ({e})") from None
    try:
        data = json.loads(text)
    except ValueError as e:
        raise common.refuse(f"--context: {path.name} bukan JSON yang valid ({e})") from None
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(x, dict) for x in items):
        raise common.refuse(
            f"--context: {path.name} harus berisi satu objek JSON atau daftar objek"
        )
    return items


@register_app.command("list")
def register_list(
    year: int = typer.Option(
        None,
        "--tahun",
        "--year",
        "-y",
        metavar="TAHUN",
        help="tahun (bawaan: tahun ini; --year: nama lama)",
    ),
    unit: str = typer.Option(None, "--unit", metavar="KODE", help="kode unit"),
    as_json: bool = typer.Option(False, "--json", help="cetak sebagai JSON (daftar)"),
) -> None:
    """Tampilkan register surat keluar satu tahun."""
    from diklat.db import session_scope
    from diklat.naskah.register import entries, entry_dict

    tahun = _year(year)
    try:
        with session_scope() as s:
            rows = [entry_dict(e) for e in entries(s, tahun, unit)]
    except _db_errors() as e:  # no schema yet, unreachable database
        raise _db_fail(e) from e
    if as_json:
        common.print_json(rows)
        return
    from rich.table import Table

    table = Table(title=f"Register surat keluar {tahun}")
    table.add_column("Urut", justify="right")
    table.add_column("Nomor", no_wrap=True)
    table.add_column("Tanggal", no_wrap=True)
    table.add_column("Hal", overflow="fold")
    table.add_column("Status")
    table.add_column("Naskah", justify="right")
    for r in rows:
        status = r["status"] if r["status"] == "aktif" else f"[red]batal[/]: {r['alasan_batal']}"
        table.add_row(
            str(r["urut"]),
            r["nomor"],
            r["tanggal"] or "",
            r["hal"] or "",
            status,
            str(r["naskah_id"] or ""),
        )
    common.console.print(table)
    common.console.print(f"{len(rows)} nomor")


@register_app.command("export")
def register_export(
    out: Path = typer.Option(..., "--out", "-o", metavar="BERKAS.xlsx", help="berkas .xlsx"),
    year: int = typer.Option(
        None,
        "--tahun",
        "--year",
        "-y",
        metavar="TAHUN",
        help="tahun (bawaan: tahun ini; --year: nama lama)",
    ),
    unit: str = typer.Option(None, "--unit", metavar="KODE", help="kode unit"),
    timpa: bool = typer.Option(False, "--timpa", help=common.TIMPA_HELP),
) -> None:
    """Ekspor register ke Excel (judul kolom berbahasa Indonesia)."""
    from diklat.db import session_scope
    from diklat.naskah.register import export_excel

    tahun = _year(year)
    k = common.keluaran_berkas(out, (".xlsx",), timpa)
    try:
        with session_scope() as s, common.tulis_keluaran(k) as tmp:
            n = export_excel(s, tmp, tahun, unit)
    except _db_errors() as e:
        raise _db_fail(e) from e
    common.console.print(f"{n} baris register {tahun} ditulis ke {k.target}")


def _change_entry(change: Callable[[Any], Any]) -> dict[str, Any]:
    """Run one register change in its own transaction; rule and database errors become a
    message and a non-zero exit."""
    from diklat.db import session_scope
    from diklat.naskah.register import RegisterError, entry_dict

    try:
        with session_scope() as s:
            return entry_dict(change(s))
    except RegisterError as e:
        raise common.fail(str(e)) from e
    except _db_errors() as e:
        raise _db_fail(e) from e


@register_app.command("void")
def register_void(
    nomor: str = typer.Argument(..., metavar="NOMOR", help="nomor surat"),
    alasan: str = typer.Option(..., "--alasan", metavar="TEKS", help="alasan pembatalan"),
    as_json: bool = typer.Option(False, "--json", help="cetak sebagai JSON"),
) -> None:
    """Batalkan nomor: entri tetap ada, bertanda batal dengan alasannya."""
    from diklat.naskah.register import void

    row = _change_entry(lambda s: void(s, nomor, alasan))
    if as_json:
        common.print_json(row)
    else:
        common.console.print(f"Nomor {row['nomor']} dibatalkan: {row['alasan_batal']}")


@register_app.command("add")
def register_add(
    naskah_id: int = typer.Argument(
        ...,
        metavar="ID_NASKAH",
        min=1,
        max=common.MAX_ID,
        help="id naskah yang sudah ditandatangani",
    ),
    tanggal: str = typer.Option(
        None, "--tanggal", metavar="YYYY-MM-DD", help="tanggal surat (bawaan: hari ini)"
    ),
    as_json: bool = typer.Option(False, "--json", help="cetak sebagai JSON"),
) -> None:
    """Daftarkan naskah yang sudah ditandatangani (idempoten: nomor yang ada dikembalikan)."""
    from diklat.naskah.register import register_naskah

    tgl = _tanggal(tanggal)
    row = _change_entry(lambda s: register_naskah(s, naskah_id, tgl))
    if as_json:
        common.print_json(row)
    else:
        common.console.print(f"Naskah {naskah_id}: nomor {row['nomor']} ({row['tanggal']})")


@naskah_app.command("templates")
def naskah_templates(
    out: Path = typer.Option(
        None, "--out", metavar="FOLDER", help="folder (bawaan: templates_dir)"
    ),
    force: bool = typer.Option(False, "--force", help="timpa templat yang ada"),
) -> None:
    """Buat templat Word bawaan (tidak menimpa templat yang sudah ada kecuali --force)."""
    from diklat.berkas import di_tempat
    from diklat.settings import get_settings
    from tools.build_templates import JENIS, build_all

    k = (
        common.keluaran_folder(out, force)
        if out is not None
        else common.keluaran_folder(get_settings().templates_dir, force, buat_induk=True)
    )
    todo = [j for j in JENIS if force or not (k.target / f"{j}.docx").exists()]
    with common.tulis_keluaran(k) as tmp:
        written = build_all(tmp, force=True, only=todo) if todo else []
    for p in written:
        common.console.print(str(di_tempat(p, tmp, k)))
    common.console.print(f"{len(written)} templat ditulis")


@naskah_app.command("render")
def naskah_render(
    jenis: str = typer.Argument(..., metavar="JENIS", help="jenis naskah, mis. surat_panggilan"),
    out: Path = typer.Option(
        None, "--out", "-o", metavar="FOLDER", help="folder keluaran (bawaan: var/output/naskah)"
    ),
    context: Path = typer.Option(
        None,
        "--context",
        "-c",
        metavar="BERKAS.json",
        help="berkas JSON: satu konteks (objek) atau daftar konteks",
    ),
    contoh: bool = typer.Option(False, "--contoh", help="pakai konteks contoh"),
    pdf: bool = typer.Option(False, "--pdf", help="juga PDF (LibreOffice)"),
    timpa: bool = typer.Option(False, "--timpa", help=common.TIMPA_HELP),
) -> None:
    """Render naskah dari templat ke DOCX (dan PDF)."""
    from diklat.naskah import NaskahError, render_batch
    from diklat.settings import get_settings

    _jenis_valid(jenis)
    k = (
        common.keluaran_folder(out, timpa)
        if out is not None
        else common.keluaran_folder(
            Path(get_settings().output_dir or "var/output") / "naskah", timpa, buat_induk=True
        )
    )
    if contoh:
        from diklat.naskah.contoh import contoh as contoh_ctx

        contexts = [contoh_ctx(jenis)]
    elif context:
        contexts = _contexts(context)
    else:
        raise common.refuse("beri --context BERKAS.json atau --contoh")
    from diklat.berkas import di_tempat

    pdfs: list[Path] | None = []
    with common.tulis_keluaran(k) as tmp:
        try:
            paths = render_batch(jenis, contexts, tmp)
        except (NaskahError, KeyError) as e:
            raise common.fail(str(e)) from e
        if pdf:
            from diklat.clients import convert_pdf

            pdfs = convert_pdf(paths, tmp)
    for p in paths:
        common.console.print(str(di_tempat(p, tmp, k)))
    if pdfs is None:
        common.err_console.print("[yellow]LibreOffice tidak ada: hanya DOCX.[/]")
    else:
        for p in pdfs:
            common.console.print(str(di_tempat(p, tmp, k)))


def add_commands(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.add_typer(register_app, name="register")
    app.add_typer(naskah_app, name="naskah")
