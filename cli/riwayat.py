"""``diklat riwayat [--jumlah N] [--json]``: each sync and import run with its kind, start,
duration, status, counts and the run it continued."""

from __future__ import annotations

import typer

from cli import common


def riwayat_command(
    jumlah: int = typer.Option(20, "--jumlah", "-n", min=1, metavar="N",
                               help="berapa run terakhir (bawaan: 20)"),
    as_json: bool = typer.Option(False, "--json", help="cetak sebagai JSON (daftar)"),
) -> None:
    """Riwayat run sinkronisasi dan impor, terbaru dulu."""
    from diklat import operasi
    from diklat.db import get_engine
    from flows.sync_pegawai import ensure_schema

    ensure_schema()
    rows = operasi.riwayat(get_engine(), jumlah)
    if as_json:
        common.print_json(rows)
        return
    from rich.table import Table

    table = Table(title="Riwayat run")
    for col, kw in (("Run", {"justify": "right"}), ("Jenis", {}), ("Mulai", {"no_wrap": True}),
                    ("Detik", {"justify": "right"}), ("Status", {}),
                    ("Baru", {"justify": "right"}), ("Berubah", {"justify": "right"}),
                    ("Tetap", {"justify": "right"}), ("Nonaktif", {"justify": "right"}),
                    ("Karantina", {"justify": "right"}), ("Lanjutan", {"justify": "right"}),
                    ("Catatan", {"overflow": "fold"})):
        table.add_column(col, **kw)  # type: ignore[arg-type]
    for r in rows:
        mulai = (r["mulai"] or "")[:19].replace("T", " ")
        table.add_row(str(r["id"]), f"{r['jenis']} {r['mode']}", mulai,
                      "" if r["detik"] is None else f"{r['detik']:.1f}", r["status"],
                      str(r["inserted"]), str(r["updated"]), str(r["unchanged"]),
                      str(r["deactivated"]), str(r["quarantined"]),
                      f"#{r['lanjutan_dari']}" if r["lanjutan_dari"] else "",
                      r["berkas"] or (r["pesan"] or "")[:120])
    common.console.print(table)


def add_commands(app: typer.Typer) -> None:
    """Add ``diklat riwayat`` to the main app."""
    app.command("riwayat")(riwayat_command)
