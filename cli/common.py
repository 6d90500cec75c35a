"""Shared helpers for CLI commands: JSON output, tables, one-line errors and exit codes.

Exit codes: 0 done; 1 failed (the message says why and what to do); 2 input refused
(nothing was done); 130 interrupted (Ctrl-C, SIGTERM: the next run continues).
Every error is ONE line on stderr, in Indonesian, never a traceback
(``DIKLAT_DEBUG=1`` adds the traceback for a developer).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from cli.berhenti import EXIT_INTERRUPTED, INTERRUPTED_LINE  # said and returned when stopped

if TYPE_CHECKING:
    from diklat.berkas import Keluaran

EXIT_FAILED = 1
EXIT_REFUSED = 2

#: The largest row id (PostgreSQL's ``integer``): an id option or argument beyond it is
#: refused by the command line (exit 2) before it reaches a database driver, which would
#: fail with an OverflowError (SQLite) or a DataError (PostgreSQL).
MAX_ID = 2**31 - 1
#: A TCP port.
MAX_PORT = 65535
#: The most employees the bundled simulator generates (the benchmarks use 50,000).
MAX_PEGAWAI = 1_000_000
#: Years a register, report or training may be about.
TAHUN_PERTAMA = 2000


def tahun(value: int | None, option: str = "--tahun") -> int:
    """A year option: this year when not given; outside 2000..next year refused (exit 2)."""
    import datetime as dt

    from diklat.naskah.register import today

    year = today().year if value is None else value
    last = dt.date.today().year + 1
    if not TAHUN_PERTAMA <= year <= last:
        raise refuse(f"{option} {year} di luar rentang {TAHUN_PERTAMA}..{last}")
    return year


def tanggal_wajar(value: Any, option: str = "--tanggal") -> Any:
    """A date option whose year lies in 2000..next year, else refused (exit 2): a register,
    a hand-over or a report is never about year 1 or 9999."""
    import datetime as dt

    last = dt.date.today().year + 1
    if value is not None and not TAHUN_PERTAMA <= value.year <= last:
        raise refuse(f"{option} {value.isoformat()} di luar tahun {TAHUN_PERTAMA}..{last}")
    return value


#: The help of every command's ``--timpa``.
TIMPA_HELP = (
    "timpa berkas yang sudah ada walaupun bukan tulisan diklat (atau sudah diubah sejak ditulis)"
)


def keluaran_berkas(
    out: Path, akhiran: Sequence[str], timpa: bool = False, opsi: str = "--out"
) -> Keluaran:
    """``--out FILE`` checked before any work (:func:`diklat.berkas.keluaran_berkas`): the
    suffix, an existing folder, no foreign file in the way; refused: exit 2."""
    from diklat import berkas
    from diklat.settings import get_settings

    try:
        return berkas.keluaran_berkas(
            out,
            akhiran,
            timpa=timpa,
            opsi=opsi,
            catatan=berkas.folder_catatan(get_settings().var_dir),
        )
    except berkas.KeluaranDitolak as e:
        raise refuse(str(e)) from None


def keluaran_folder(
    out: Path, timpa: bool = False, opsi: str = "--out", buat_induk: bool = False
) -> Keluaran:
    """``--out FOLDER`` checked before any work (:func:`diklat.berkas.keluaran_folder`)."""
    from diklat import berkas
    from diklat.settings import get_settings

    try:
        return berkas.keluaran_folder(
            out,
            timpa=timpa,
            opsi=opsi,
            buat_induk=buat_induk,
            catatan=berkas.folder_catatan(get_settings().var_dir),
        )
    except berkas.KeluaranDitolak as e:
        raise refuse(str(e)) from None


@contextmanager
def tulis_keluaran(k: Keluaran) -> Iterator[Path]:
    """:func:`diklat.berkas.tulis` for a command: write into what it yields; a file found in
    the way when moving into place is refused (exit 2, nothing written)."""
    from diklat import berkas

    try:
        with berkas.tulis(k) as sementara:
            yield sementara
    except berkas.KeluaranDitolak as e:
        raise refuse(str(e)) from None


#: ``-h`` as well as ``--help`` everywhere.
CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


def new_app(**kwargs: Any) -> typer.Typer:
    """A sub-app in the house style: Indonesian help without rich boxes (flags shown as
    flags, no type column), ``-h``, no completion commands."""
    kwargs.setdefault("no_args_is_help", True)
    return typer.Typer(
        rich_markup_mode=None, context_settings=CONTEXT, add_completion=False, **kwargs
    )


console = Console()
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(width=120)  # logs and pipes: tables readable, not squeezed to 80
err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def error_line(message: str, prefix: str = "Galat") -> None:
    """One line on stderr (newlines in ``message`` folded), never wrapped or marked up."""
    text = " ".join(str(message).split())
    if err_console.is_terminal:
        err_console.print(f"[bold red]{prefix}:[/] ", end="", soft_wrap=True)
        err_console.print(text, markup=False, highlight=False, soft_wrap=True)
    else:
        sys.stderr.write(f"{prefix}: {text}\n")
    sys.stderr.flush()


def notice(message: str) -> None:
    """A remark that does not stop the command (one line on stderr)."""
    error_line(message, "Catatan")


def fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    """Print ``message`` as the one error line; ``raise common.fail(...)`` exits ``code``."""
    error_line(message)
    return typer.Exit(code)


def refuse(message: str) -> typer.Exit:
    """Refused input (exit 2): nothing was done."""
    return fail(message, EXIT_REFUSED)


_said: list[str] = []


def say_interrupted() -> None:
    """The one line of an interrupted command, once per process."""
    if not _said:
        _said.append(INTERRUPTED_LINE)
        error_line(INTERRUPTED_LINE, "Dihentikan")


def interrupted() -> typer.Exit:
    """Ctrl-C or SIGTERM: the one line, exit 130."""
    say_interrupted()
    return typer.Exit(EXIT_INTERRUPTED)


def describe_error(e: BaseException) -> tuple[str, int]:
    """The one line and exit code for an error that reached the top of a command."""
    from diklat import runs
    from diklat.db import DatabaseUnusable

    if isinstance(e, DatabaseUnusable):
        return str(e), EXIT_FAILED
    if isinstance(e, runs.RunBusy):
        return str(e), EXIT_FAILED
    if runs.is_interrupt(e):
        return INTERRUPTED_LINE, EXIT_INTERRUPTED
    from diklat.settings import KonfigurasiSalah

    if isinstance(e, KonfigurasiSalah):
        return str(e), EXIT_REFUSED
    connectors = sys.modules.get("connectors.http")
    if connectors is not None and isinstance(e, connectors.ConnectorError):
        # the message, never the URL (a SIASN path carries a NIP)
        return f"sistem luar menolak atau tidak menjawab ({type(e).__name__}): {e.message}", (
            EXIT_FAILED
        )
    try:
        from pydantic import ValidationError
    except ImportError:  # pragma: no cover
        ValidationError = ()  # type: ignore[assignment,misc]
    if isinstance(e, ValidationError):
        errors = e.errors()
        where = ".".join(str(x) for x in errors[0]["loc"]) if errors else ""
        msg = errors[0]["msg"] if errors else str(e)
        return (
            f"pengaturan tidak valid ({where}: {msg}); periksa variabel DIKLAT_* dan berkas .env",
            EXIT_REFUSED,
        )
    sqlalchemy = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy is not None and isinstance(e, sqlalchemy.SQLAlchemyError):
        return (
            f"basis data tidak dapat dipakai ({runs.safe_error(e)}); periksa "
            "DIKLAT_DATABASE_URL dan jalankan `diklat init`",
            EXIT_FAILED,
        )
    if isinstance(e, OSError):
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        return f"{e.strerror or e}{where}", EXIT_FAILED
    return (f"galat tak terduga: {runs.safe_error(e)} (DIKLAT_DEBUG=1 untuk detail)", EXIT_FAILED)


def report(e: BaseException) -> int:
    """Print the one line for ``e``; returns the exit code."""
    message, code = describe_error(e)
    if code == EXIT_INTERRUPTED:
        say_interrupted()
    else:
        error_line(message)
    if os.environ.get("DIKLAT_DEBUG"):
        import traceback

        traceback.print_exception(e)
    return code
