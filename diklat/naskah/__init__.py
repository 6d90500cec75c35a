"""Official documents (naskah dinas): Word templates, rendering, context building.

Plain functions for flows and the CLI::

    from diklat.naskah import render_batch, render_one, konteks
    ctx = konteks.surat("surat_panggilan", hal=..., tujuan=..., ttd=konteks.penandatangan(...), ...)
    paths = render_batch("surat_panggilan", [ctx, ...], out_dir)

PDF conversion is in :mod:`connectors.pdf` (LibreOffice); the register of numbers in
:mod:`diklat.naskah.register`.
"""

from diklat.naskah.engine import (
    CompiledTemplate,
    MissingVariableError,
    NaskahError,
    TemplateNotFoundError,
    clear_cache,
    load_template,
    render_batch,
    render_one,
)
from diklat.naskah.jenis import JENIS
from diklat.naskah.teks import docx_text

__all__ = [
    "JENIS",
    "CompiledTemplate",
    "MissingVariableError",
    "NaskahError",
    "TemplateNotFoundError",
    "clear_cache",
    "docx_text",
    "load_template",
    "render_batch",
    "render_one",
]
