"""The statuses of a document version and of its bundle, and the transitions allowed between
them: one set of constants, one table, one function that moves a row.

::

    draf ──► paraf ──► ditandatangani ──► terdaftar ──► dikirim ──► diarsipkan
      │        │             │                │            │
      │        ├─► dikembalikan (revision: the person the SOP names makes the next version)
      │        └─► ditolak (the document's path ends, with the reason)
      ├─► final (a document that needs no signature: attendance sheet, receipt)
      └─► ditandatangani (a chain without paraf)
    ditandatangani / terdaftar / dikirim / diarsipkan ──► dibatalkan (voided; number kept)

Moving a row to the status it already has is a no-op that returns ``False`` (a resumed flow
calls it again); any other move that is not in the table raises :class:`StatusError`, never a
silent skip.
"""

from __future__ import annotations

from typing import Protocol

DRAF = "draf"
PARAF = "paraf"
DITANDATANGANI = "ditandatangani"
TERDAFTAR = "terdaftar"
FINAL = "final"
DIKIRIM = "dikirim"
DIARSIPKAN = "diarsipkan"
DIKEMBALIKAN = "dikembalikan"
DITOLAK = "ditolak"
DIBATALKAN = "dibatalkan"

STATUS: tuple[str, ...] = (
    DRAF,
    PARAF,
    DITANDATANGANI,
    TERDAFTAR,
    FINAL,
    DIKIRIM,
    DIARSIPKAN,
    DIKEMBALIKAN,
    DITOLAK,
    DIBATALKAN,
)

#: What an operator reads for each status.
LABEL: dict[str, str] = {
    DRAF: "konsep",
    PARAF: "dalam paraf",
    DITANDATANGANI: "ditandatangani",
    TERDAFTAR: "bernomor",
    FINAL: "final (tanpa tanda tangan)",
    DIKIRIM: "terkirim",
    DIARSIPKAN: "diarsipkan",
    DIKEMBALIKAN: "dikembalikan untuk diperbaiki",
    DITOLAK: "ditolak",
    DIBATALKAN: "dibatalkan",
}

TRANSISI: dict[str, frozenset[str]] = {
    DRAF: frozenset({PARAF, DITANDATANGANI, FINAL, DIKEMBALIKAN, DITOLAK}),
    PARAF: frozenset({DITANDATANGANI, DIKEMBALIKAN, DITOLAK}),
    # a signed version whose content no longer matches what was decided on is sent back
    # before it gets a number (diklat.naskah.ikatan)
    DITANDATANGANI: frozenset({TERDAFTAR, DIKIRIM, DIARSIPKAN, DIBATALKAN, DIKEMBALIKAN}),
    TERDAFTAR: frozenset({DIKIRIM, DIARSIPKAN, DIBATALKAN}),
    FINAL: frozenset({DIKIRIM, DIARSIPKAN}),
    DIKIRIM: frozenset({DIARSIPKAN, DIBATALKAN}),
    DIARSIPKAN: frozenset({DIBATALKAN}),
    DIKEMBALIKAN: frozenset(),
    DITOLAK: frozenset(),
    DIBATALKAN: frozenset(),
}

#: A version in one of these states is decided on: its content never changes again.
DIPUTUSKAN = frozenset({DITANDATANGANI, TERDAFTAR, FINAL, DIKIRIM, DIARSIPKAN, DIBATALKAN})
#: A version in one of these states has (or may have) a final rendering.
SIAP_FINAL = frozenset({DITANDATANGANI, TERDAFTAR, FINAL, DIKIRIM, DIARSIPKAN})
#: The path of a version ended without it being issued.
BERAKHIR = frozenset({DIKEMBALIKAN, DITOLAK})


class StatusError(ValueError):
    """A transition the table does not allow."""

    def __init__(self, what: str, dari: str, ke: str) -> None:
        self.dari, self.ke = dari, ke
        allowed = ", ".join(sorted(TRANSISI.get(dari, ()))) or "tidak ada"
        super().__init__(
            f"{what}: status {dari!r} tidak dapat menjadi {ke!r} (yang boleh: {allowed})"
        )


class _HasStatus(Protocol):
    status: str


def boleh(dari: str, ke: str) -> bool:
    return ke in TRANSISI.get(dari, frozenset())


def pindah(obj: _HasStatus, ke: str, what: str = "naskah") -> bool:
    """Move ``obj`` to status ``ke``. ``False`` if it already is there; :class:`StatusError`
    if the table does not allow it."""
    if ke not in TRANSISI:
        raise ValueError(f"status tidak dikenal: {ke!r}")
    if obj.status == ke:
        return False
    if not boleh(obj.status, ke):
        raise StatusError(what, obj.status, ke)
    obj.status = ke
    return True
