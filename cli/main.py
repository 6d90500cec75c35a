"""Entry point of the ``diklat`` command (installed as ``.venv/bin/diklat``)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from cli import common

app = typer.Typer(
    name="diklat",
    help="diklat-flows: SOP pelatihan BKPSDM sebagai alur kerja (Prefect) yang dapat diaudit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _main() -> None:
    """Keep Prefect's own state (its SQLite database, profiles) inside ./var by default.

    Done when a command runs (not at import), and the folder is made here because Prefect
    cannot create it inside a ``var/`` that does not exist yet."""
    from diklat.settings import get_settings

    home = os.environ.setdefault(
        "PREFECT_HOME", str(Path(get_settings().var_dir).resolve() / "prefect"))
    Path(home).mkdir(parents=True, exist_ok=True)


@app.command()
def init(
    database_url: str = typer.Option(None, "--database-url", help="SQLAlchemy URL (default: settings)"),
) -> None:
    """Buat atau perbarui skema basis data (migrasi Alembic)."""
    from diklat.db import current_revision, migrate
    from diklat.settings import get_settings, mask_url

    url = database_url or get_settings().database_url
    try:
        migrate(url)
    except Exception as e:  # a useful message, not a traceback, for a wrong URL
        raise common.fail(f"migrasi gagal pada {mask_url(url)}: {e}") from e
    common.console.print(f"Basis data siap: {mask_url(url)} (revisi {current_revision(url)})")


@app.command()
def config(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Tampilkan pengaturan yang berlaku (rahasia disamarkan)."""
    from diklat.settings import get_settings

    data = get_settings().masked()
    if as_json:
        common.print_json(data)
        return
    from rich.table import Table

    table = Table("Pengaturan", "Nilai", title="Pengaturan efektif (DIKLAT_*)")

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}{k}." if isinstance(v, dict) else f"{prefix}{k}", v)
        else:
            table.add_row(prefix.rstrip("."), str(value))

    walk("", data)
    common.console.print(table)


nip_app = typer.Typer(help="Periksa NIP (PNS dan PPPK).", no_args_is_help=True)
app.add_typer(nip_app, name="nip")


@nip_app.command("check")
def nip_check(nip: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Normalisasi dan validasi satu NIP; keluar 0 bila valid, 1 bila tidak."""
    from diklat.rules.nip import parse

    info = parse(nip)
    if as_json:
        d = info.as_json()
        common.print_json({k: d[k] for k in
                           ("nip", "valid", "jenis", "tanggal_lahir", "jenis_kelamin", "reason")})
    elif info.valid:
        common.console.print(f"[green]valid[/] {info.nip} {info.jenis} lahir {info.tanggal_lahir} "
                             f"({info.jenis_kelamin})")
    else:
        common.console.print(f"[red]tidak valid[/] {info.nip}: {info.reason}")
    raise typer.Exit(0 if info.valid else 1)


def _register_areas() -> None:
    # Each area owns one module with an ``add_commands(app)`` function.
    from cli import demo, importer, prefect_server, register_cmd, simulator_cmd, sop, sync

    for module in (sop, sync, simulator_cmd, importer, register_cmd, prefect_server, demo):
        module.add_commands(app)


_register_areas()

if __name__ == "__main__":
    app()
