"""One voice: the texts Typer prints itself (help headings, the help option, usage errors),
in Indonesian.

Typer (0.29, pinned in ``constraints.txt``) carries its own copy of click
(``typer._click``): a few of its texts go through ``gettext`` (headings: patched here
through the modules' ``_``), others are literals (the usage prefix, the help option's text:
patched at the two functions that write them). Usage errors are rephrased by class in
:func:`pesan_pemakaian`. Called once by ``cli.main`` before a command runs.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

TEKS: dict[str, str] = {
    "Options": "Opsi",
    "Arguments": "Argumen",
    "Commands": "Perintah",
    "default: {default}": "bawaan: {default}",
    "required": "wajib",
    "env var: {var}": "variabel lingkungan: {var}",
    "(dynamic)": "(dinamis)",
    "Missing command.": "Perintah belum diberikan.",
    "No such command {name!r}.": "Perintah {name!r} tidak ada.",
}
HELP_TEXT = "tampilkan bantuan ini lalu keluar"
USAGE_PREFIX = "Pemakaian: "

_done: list[bool] = []


def _lookup(original: Callable[[str], str]) -> Callable[[str], str]:
    def gettext(message: str) -> str:
        return TEKS.get(message) or original(message)

    return gettext


def pasang() -> None:
    """Give Typer the Indonesian texts (idempotent)."""
    if _done:
        return
    core = importlib.import_module("typer.core")
    original = getattr(core, "_", None)
    if callable(original):
        core._ = _lookup(original)  # type: ignore[attr-defined]
    decorators = importlib.import_module("typer._click.decorators")
    formatting = importlib.import_module("typer._click.formatting")
    help_option = decorators.help_option

    def help_option_id(param_decls: list[str]) -> Callable[[Any], Any]:
        def apply(cmd: Any) -> Any:
            result = help_option(param_decls)(cmd)
            opt = cmd.params[-1] if getattr(cmd, "params", None) else None
            if opt is not None and getattr(opt, "help", None) == "Show this message and exit.":
                opt.help = HELP_TEXT
            return result

        return apply

    decorators.help_option = help_option_id  # type: ignore[attr-defined]
    write_usage = formatting.HelpFormatter.write_usage

    def write_usage_id(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, USAGE_PREFIX if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = write_usage_id  # type: ignore[method-assign]
    _done.append(True)


_PYDANTIC = {
    "Input should be a valid integer": "harus bilangan bulat",
    "Input should be a valid number": "harus bilangan",
    "Input should be greater than or equal to": "paling kecil",
    "Input should be less than or equal to": "paling besar",
    "Input should be greater than": "harus lebih dari",
    "Input should be less than": "harus kurang dari",
}
_INVALID = re.compile(r"^(?:Value )?(?P<v>'.*'|\S+) is not a valid (?P<t>\w+)\.?$")
_TYPES = {
    "integer": "bilangan bulat",
    "int": "bilangan bulat",
    "float": "bilangan",
    "boolean": "ya/tidak",
    "bool": "ya/tidak",
    "path": "jalur",
    "datetime": "waktu",
}
_RANGE = re.compile(r"^(?P<v>\S+) is not in the range (?P<r>.+?)\.?$")
_CHOICE = re.compile(r"^(?P<v>.+?) is not one of (?P<c>.+?)\.?$")


def _nilai(message: str) -> str:
    """click's and pydantic's value messages in Indonesian (the common ones)."""
    message = message.removeprefix("Value error, ")
    for en, idn in _PYDANTIC.items():
        if message.startswith(en):
            rest = message[len(en) :].split(",")[0].strip()
            return f"{idn} {rest}".strip()
    m = _INVALID.match(message)
    if m:
        return f"{m['v']} bukan {_TYPES.get(m['t'].lower(), m['t'])} yang valid"
    m = _RANGE.match(message)
    if m:
        return f"{m['v']} di luar rentang {m['r']}"
    m = _CHOICE.match(message)
    if m:
        return f"{m['v']} bukan salah satu dari {m['c']}"
    return message.rstrip(".")


def pesan_pemakaian(e: Any) -> str:
    """A usage error of the vendored click as one Indonesian line."""
    from typer._click import exceptions as cx

    hint = getattr(e, "param_hint", None)
    param = getattr(e, "param", None)
    if hint is None and param is not None:
        try:
            hint = param.get_error_hint()
        except Exception:
            hint = getattr(param, "name", None)
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(str(h) for h in hint)
    if isinstance(e, cx.NoSuchOption):
        text = f"opsi tidak dikenal: {e.option_name}"
        if getattr(e, "possibilities", None):
            text += f" (maksud Anda {', '.join(sorted(e.possibilities or ()))}?)"
    elif isinstance(e, cx.MissingParameter):
        kind = getattr(e, "param_type", None) or getattr(param, "param_type_name", "")
        what = {"argument": "argumen", "option": "opsi"}.get(kind or "", "nilai")
        text = f"{what} {hint or ''} wajib diisi".replace("  ", " ")
    elif isinstance(e, cx.BadParameter):
        text = f"nilai tidak valid untuk {hint or 'parameter'}: {_nilai(e.message)}"
    elif isinstance(e, cx.BadOptionUsage):
        text = f"opsi {e.option_name} dipakai keliru: {_nilai(e.message)}"
    else:
        text = _nilai(e.format_message())
    ctx = getattr(e, "ctx", None)
    where = f" (lihat `{ctx.command_path} -h`)" if ctx is not None else ""
    return " ".join(f"{text}{where}".split())
