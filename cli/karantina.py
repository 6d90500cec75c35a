"""``diklat karantina list [--sumber simpeg|siasn|export] [--terbuka] [--json] [--out F.xlsx]``:
the records refused on the way in, one per record and reason, with when they were first and
last seen, how many times, and whether the source later delivered them clean."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from cli import common

karantina_app = common.new_app(
    help="Rekaman yang ditolak saat sinkronisasi atau impor (karantina)."
)


class Sumber(StrEnum):
    simpeg = "simpeg"
    siasn = "siasn"
    export = "export"


@karantina_app.command("list")
def karantina_list(
    sumber: Sumber = typer.Option(
        None, "--sumber", case_sensitive=False, help="hanya dari sumber ini"
    ),
    terbuka: bool = typer.Option(False, "--terbuka", help="hanya yang belum selesai"),
    as_json: bool = typer.Option(False, "--json", help="cetak sebagai JSON (daftar)"),
    out: Path = typer.Option(
        None, "--out", "-o", metavar="BERKAS.xlsx", help="tulis juga ke berkas Excel"
    ),
    timpa: bool = typer.Option(False, "--timpa", help=common.TIMPA_HELP),
) -> None:
    """Daftar karantina: satu baris per rekaman dan alasan, terbaru dulu."""
    from diklat.db import ensure_schema, get_engine
    from diklat.pegawai import operasi

    k = common.keluaran_berkas(out, (".xlsx",), timpa) if out is not None else None
    ensure_schema()
    rows = operasi.karantina(get_engine(), sumber.value if sumber else None, terbuka_saja=terbuka)
    if k is not None:
        with common.tulis_keluaran(k) as tmp:
            n = operasi.karantina_excel(tmp, rows)
        common.notice(f"{n} baris karantina ditulis ke {k.target}")
    if as_json:
        common.print_json(rows)
        return
    from rich import box
    from rich.table import Table

    table = Table(title="Karantina", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("Sumber", "NIP / kunci", "Baris", "Pertama", "Terakhir", "Kali", "Status"):
        table.add_column(col, no_wrap=True, justify="right" if col in ("Baris", "Kali") else "left")
    table.add_column("Alasan", overflow="fold", ratio=1, min_width=20)
    for r in rows:
        table.add_row(
            r["sumber"],
            r["kunci"] or "-",
            str(r["baris"] or ""),
            (r["pertama"] or "")[:16].replace("T", " "),
            (r["terakhir"] or "")[:16].replace("T", " "),
            str(r["kali"]),
            "selesai" if r["selesai"] else "terbuka",
            r["alasan"],
        )
    common.console.print(table)
    terbuka_n = sum(1 for r in rows if not r["selesai"])
    common.console.print(f"{len(rows)} rekaman, {terbuka_n} belum selesai")


def add_commands(app: typer.Typer) -> None:
    """Add ``diklat karantina ...`` to the main app."""
    app.add_typer(karantina_app, name="karantina")
