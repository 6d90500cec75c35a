"""``diklat unit list [--tanpa-tempat] [--json]``, ``diklat unit tempat KODE TEMPAT``: the
region's units (OPD) and the town each is in, the "di" line of every letter addressed to it
(``di Loa Kulu``). The town comes from SIMPEG (``kota``) with the nightly sync; an operator
sets it for a unit SIMPEG gives none or a wrong one (it wins, no sync overwrites it; an empty
TEMPAT clears it)."""

from __future__ import annotations

import typer

from cli import common

unit_app = common.new_app(help="Unit kerja (OPD) dan kota tempatnya untuk alamat surat.")


@unit_app.command("list")
def unit_list(
    tanpa_tempat: bool = typer.Option(
        False, "--tanpa-tempat", help="hanya unit yang kotanya belum diketahui"
    ),
    as_json: bool = typer.Option(False, "--json", help="cetak sebagai JSON (daftar)"),
) -> None:
    """Unit kerja aktif dengan kota tempatnya (baris "di" pada surat)."""
    from diklat.db import ensure_schema, session_scope
    from diklat.pegawai.unit_kerja import daftar_unit

    ensure_schema()
    with session_scope() as s:
        rows = daftar_unit(s, tanpa_tempat=tanpa_tempat)
    if as_json:
        common.print_json(rows)
        return
    from rich import box
    from rich.table import Table

    table = Table(title="Unit kerja", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("Kode", "Nama", "Tempat", "Dari"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["kode"], r["nama"], r["tempat"] or "-", r["sumber_tempat"] or "-")
    common.console.print(table)
    kosong = sum(1 for r in rows if not r["tempat"])
    common.console.print(
        f"{len(rows)} unit, {kosong} tanpa tempat (surat ke unit itu memakai "
        "kota instansi; atur dengan `diklat unit tempat KODE TEMPAT`)"
    )


@unit_app.command("tempat")
def unit_tempat(
    kode: str = typer.Argument(..., metavar="KODE", help="kode unit kerja"),
    tempat: str = typer.Argument(
        ...,
        metavar="TEMPAT",
        help="kota atau kecamatan, mis. 'Loa Kulu'; kosong ('') menghapus isian operator",
    ),
) -> None:
    """Atur kota tempat unit kerja (menang atas data SIMPEG, tidak ditimpa sinkronisasi)."""
    from diklat.db import ensure_schema, session_scope
    from diklat.pegawai.unit_kerja import TempatTidakValid, UnitTidakAda, atur_tempat
    from diklat.pegawai.unit_kerja import tempat as tempat_of

    ensure_schema()
    try:
        with session_scope() as s:
            u = atur_tempat(s, kode.strip(), tempat)
            now, nama = tempat_of(u), u.nama
    except (UnitTidakAda, TempatTidakValid) as e:
        raise common.refuse(str(e)) from None
    common.console.print(f"{kode}: {nama} di {now or '(tidak diketahui)'}")


def add_commands(app: typer.Typer) -> None:
    """Add ``diklat unit ...`` to the main app."""
    app.add_typer(unit_app, name="unit")
