"""The document types (keys of ``settings.naskah.klasifikasi`` and template file names)."""

from __future__ import annotations

from diklat.settings import DEFAULT_KLASIFIKASI

#: In the order the SOPs produce them: the keys of the default classification codes.
JENIS: tuple[str, ...] = tuple(DEFAULT_KLASIFIKASI)
