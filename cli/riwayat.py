"""``diklat riwayat [--jumlah N] [--json]``: each sync and import run with its kind, start,
duration, status, counts and the run it continued."""

from __future__ import annotations

import typer

from cli import common


def riwayat_command(
    jumlah: int = typer.Option(
        20,
        "--jumlah",
        "-n",
        min=1,
        max=100_000,
        metavar="N",
        help="berapa run terakhir (bawaan: 20)",
    ),
    as_json: bool = typer.Option(False, "--json", help="cetak sebagai JSON (daftar)"),
) -> None:
    """Riwayat run sinkronisasi dan impor, terbaru dulu."""
    from diklat.db import ensure_schema, get_engine
    from diklat.pegawai import operasi

    ensure_schema()
    rows = operasi.riwayat(get_engine(), jumlah)
    if as_json:
        common.print_json(rows)
        return
    from rich import box
    from rich.table import Table

    table = Table(title="Riwayat run", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in (
        "Run",
        "Jenis",
        "Mulai",
        "Detik",
        "Status",
        "Baru",
        "Ubah",
        "Tetap",
        "Nonaktif",
        "Karantina",
        "Dari",
    ):
        table.add_column(
            col, no_wrap=True, justify="left" if col in ("Jenis", "Mulai", "Status") else "right"
        )
    table.add_column("Catatan", overflow="fold", ratio=1, min_width=12)
    for r in rows:
        mulai = (r["mulai"] or "")[:16].replace("T", " ")
        table.add_row(
            f"#{r['id']}",
            f"{r['jenis']} {r['mode']}",
            mulai,
            "" if r["detik"] is None else f"{r['detik']:.1f}",
            r["status"],
            str(r["inserted"]),
            str(r["updated"]),
            str(r["unchanged"]),
            str(r["deactivated"]),
            str(r["quarantined"]),
            f"#{r['lanjutan_dari']}" if r["lanjutan_dari"] else "",
            r["berkas"] or (r["pesan"] or "")[:160],
        )
    common.console.print(table)


def add_commands(app: typer.Typer) -> None:
    """Add ``diklat riwayat`` to the main app."""
    app.command("riwayat")(riwayat_command)
