"""Entry point of the ``diklat`` command (installed as ``.venv/bin/diklat``).

Every command speaks Indonesian (help, options, errors: :mod:`cli.bahasa`), takes ``-h`` as
well as ``--help``, and ends in one of the exit codes of :mod:`cli.common`. Anything that
reaches the top is printed as ONE line on stderr, never a traceback (:func:`main`).
Modules are imported when a command needs them, so ``diklat --help`` and quick commands
start fast (``python -X importtime``: Prefect alone costs about two seconds).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

from cli import bahasa, common


class DiklatApp(typer.Typer):
    """The root app; calling it runs the command line through :func:`main`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        main()


app = DiklatApp(
    name="diklat",
    help="diklat-flows: SOP pelatihan BKPSDM sebagai alur kerja (Prefect) yang dapat diaudit.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings=common.CONTEXT,
    pretty_exceptions_enable=False,
)


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("diklat-flows")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "0+unknown"


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"diklat-flows {version()}\n")
        raise typer.Exit(0)


@app.callback()
def _main(
    show_version: bool = typer.Option(
        False,
        "--version",
        "-V",
        is_eager=True,
        callback=_show_version,
        help="tampilkan versi lalu keluar",
    ),
) -> None:
    """Keep Prefect's own state (its SQLite database, profiles) inside ./var by default.

    Done when a command runs (not at import), and the folder is made here because Prefect
    cannot create it inside a ``var/`` that does not exist yet."""
    from diklat.settings import get_settings

    settings = get_settings()
    if settings.var_dir_tebakan and "PREFECT_HOME" not in os.environ:
        return  # no data folder known: nothing is created in the working directory
    home = os.environ.setdefault("PREFECT_HOME", str(Path(settings.var_dir).resolve() / "prefect"))
    Path(home).mkdir(parents=True, exist_ok=True)


@app.command()
def init(
    database_url: str = typer.Option(
        None, "--database-url", metavar="URL", help="URL SQLAlchemy (bawaan: DIKLAT_DATABASE_URL)"
    ),
) -> None:
    """Buat atau perbarui skema basis data (migrasi Alembic)."""
    from diklat.db import DatabaseUnusable, current_revision, migrate
    from diklat.settings import get_settings, mask_url

    url = database_url or get_settings().database_url
    try:
        migrate(url)
    except DatabaseUnusable as e:
        raise common.fail(str(e)) from None
    except Exception as e:  # a useful message, not a traceback, for a wrong URL
        from diklat.runs import safe_error

        raise common.fail(f"migrasi gagal pada {mask_url(url)}: {safe_error(e)}") from None
    common.console.print(f"Basis data siap: {mask_url(url)} (revisi {current_revision(url)})")
    _lambang()


def _lambang() -> None:
    """Tell the operator plainly when the regional emblem of the letterhead is not set."""
    from diklat.naskah.lambang import periksa_lambang
    from diklat.settings import get_settings

    message = periksa_lambang(get_settings().instansi.lambang)
    if message:
        common.notice(message)


@app.command()
def config(as_json: bool = typer.Option(False, "--json", help="cetak sebagai JSON")) -> None:
    """Tampilkan pengaturan yang berlaku (rahasia disamarkan, juga di dalam URL)."""
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
    _lambang()


nip_app = common.new_app(help="Periksa NIP (PNS dan PPPK).")
app.add_typer(nip_app, name="nip")


@nip_app.command("check")
def nip_check(
    nip: str = typer.Argument(..., metavar="NIP", help="NIP, boleh dengan spasi"),
    as_json: bool = typer.Option(False, "--json", help="cetak sebagai JSON"),
) -> None:
    """Normalisasi dan validasi satu NIP; keluar 0 bila valid, 1 bila tidak."""
    from diklat.rules.nip import parse

    info = parse(nip)
    if as_json:
        d = info.as_json()
        common.print_json(
            {k: d[k] for k in ("nip", "valid", "jenis", "tanggal_lahir", "jenis_kelamin", "reason")}
        )
    elif info.valid:
        common.console.print(
            f"[green]valid[/] {info.nip} {info.jenis} lahir {info.tanggal_lahir} "
            f"({info.jenis_kelamin})"
        )
    else:
        common.console.print(f"[red]tidak valid[/] {info.nip}: {info.reason}")
    raise typer.Exit(0 if info.valid else 1)


def _add_areas() -> None:
    # Each area owns one module with an ``add_commands(app)`` function.
    from cli import (
        arsip,
        demo,
        importer,
        karantina,
        kegiatan,
        laporan,
        pekerja_cmd,
        perbaikan,
        persetujuan,
        prefect_server,
        register_cmd,
        riwayat,
        siasn,
        simulator_cmd,
        sop,
        srikandi,
        sync,
        tte,
        unit,
        up,
    )

    for module in (
        sop,
        sync,
        simulator_cmd,
        importer,
        karantina,
        riwayat,
        register_cmd,
        kegiatan,
        laporan,
        srikandi,
        persetujuan,
        tte,
        arsip,
        prefect_server,
        pekerja_cmd,
        up,
        demo,
        siasn,
        perbaikan,
        unit,
    ):
        module.add_commands(app)


_add_areas()


def main(argv: list[str] | None = None) -> None:
    """Run the command line: every outcome is an exit code, every error one line."""
    from typer._click import exceptions as cx

    from cli.flowrun import fast_exit

    _stop_on_sigterm()
    bahasa.pasang()
    command = typer.main.get_command(app)
    try:
        rv = command.main(
            args=argv if argv is not None else sys.argv[1:],
            prog_name="diklat",
            standalone_mode=False,
        )
        code = rv if isinstance(rv, int) else 0
    except cx.NoArgsIsHelpError as e:
        sys.stdout.write((e.ctx.get_help() if e.ctx is not None else "") + "\n")
        code = 0
    except typer.Exit as e:
        code = e.exit_code
    except cx.UsageError as e:
        common.error_line(bahasa.pesan_pemakaian(e))
        code = common.EXIT_REFUSED
    except cx.ClickException as e:
        common.error_line(e.format_message())
        code = e.exit_code
    except typer.Abort:
        code = common.EXIT_INTERRUPTED
    except BaseException as e:  # the one place that turns errors into lines
        if isinstance(e, SystemExit):
            raise
        code = common.report(e)
    if code == common.EXIT_INTERRUPTED:  # Typer turns an early Ctrl-C into exit 130
        common.say_interrupted()
    sys.stdout.flush()
    fast_exit(code)
    sys.exit(code)


def _stop_on_sigterm() -> None:
    """Until a command installs its own handling (:mod:`cli.flowrun`), SIGTERM ends the
    command like Ctrl-C: one line, exit 130, never a silent kill."""
    import contextlib
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGTERM, stop)


if __name__ == "__main__":
    main()
