"""Plain data of the signing machinery: who signs (:class:`SignerIdentity`), how the visible
stamp looks and where it goes (:class:`Appearance`, :class:`Placement`), one request
(:class:`SignRequest`), its answer (:class:`SignResult`), and the typed refusals (:class:`TteError`
and subclasses).

Secrets are never fields here: the passphrase is a separate argument of ``Signer.sign`` and lives
only for that call; the NIK (needed by BSrE) is kept out of ``repr`` and of every message.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

#: The sentence on every stamp (local and BSrE).
LABEL = "Ditandatangani secara elektronik"
#: A conventional footer of BSrE-certified letters. Only a caller that signs through BSrE may
#: pass it as ``Appearance.footer``; :class:`connectors.tte.local.LocalSigner` refuses it.
BSRE_FOOTER = (
    "Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat "
    "elektronik yang diterbitkan oleh Balai Sertifikasi Elektronik (BSrE), "
    "Badan Siber dan Sandi Negara"
)
#: The anchor text templates carry (tiny, white) inside the signature block.
MARKER = "#TTE#"


def format_nip(nip: str) -> str:
    """``197805022005021003`` -> ``19780502 200502 1 003`` (other lengths: digits as given)."""
    n = re.sub(r"\D", "", nip or "")
    if len(n) != 18:
        return (nip or "").strip()
    return f"{n[0:8]} {n[8:14]} {n[14]} {n[15:18]}"


def mentions_bsre(text: str) -> bool:
    """True when ``text`` claims BSrE/BSSN certification (never allowed on local letters)."""
    t = text.lower()
    return "bsre" in t or "balai sertifikasi elektronik" in t or "badan siber" in t


@dataclass(frozen=True)
class SignerIdentity:
    """The official who signs, as printed in the stamp.

    ``key_id`` names the key under the local CA folder (``signers/<key_id>``); ``nik`` is the
    BSrE account (16 digits) and is needed only by the BSrE signer. The NIK is personal data:
    it is left out of ``repr`` and never appears in logs or messages."""

    nama: str
    jabatan: str
    pangkat: str = ""
    nip: str = ""
    key_id: str = ""
    nik: str = field(default="", repr=False)

    @property
    def nip_formatted(self) -> str:
        return format_nip(self.nip)


@dataclass(frozen=True)
class Placement:
    """Where the stamp box goes.

    The box (``width`` x ``height`` points; 220 x 56 is 7.8 x 2 cm) is put at the first
    occurrence of ``marker`` in the PDF text: centred on it horizontally (``align="center"``)
    or starting at it (``align="left"``), its top edge ``top_offset`` points above the marker's
    baseline (plus ``dx``/``dy``). The template keeps that much room below the marker. Without a marker the box goes to ``fallback_box`` (x1, y1, x2, y2 in points
    from the lower-left corner) on ``fallback_page`` (-1: the last page), or, when
    ``require_anchor``, signing is refused (:class:`AnchorNotFound`)."""

    marker: str = MARKER
    width: float = 220.0
    height: float = 56.0
    align: Literal["center", "left"] = "center"
    top_offset: float = 2.0
    dx: float = 0.0
    dy: float = 0.0
    fallback_page: int = -1
    fallback_box: tuple[float, float, float, float] = (320.0, 90.0, 540.0, 146.0)
    require_anchor: bool = False


@dataclass(frozen=True)
class Appearance:
    """What the visible stamp says: ``label`` (default "Ditandatangani secara elektronik"),
    the signer's position, name, rank and formatted NIP, and a QR code to ``verify_url``.
    ``footer`` (empty by default) is a line printed at the bottom of the stamped page; the BSrE
    sentence belongs there only for BSrE-signed letters."""

    verify_url: str
    label: str = LABEL
    footer: str = ""
    placement: Placement = field(default_factory=Placement)
    visible: bool = True
    #: A PNG of the handwritten signature, for an esign-client that draws the visible signature
    #: itself (``BsreSigner(appearance_mode="esign")``); our own stamp does not use it.
    specimen_png: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SignRequest:
    """One letter to sign. ``reference`` is the caller's handle for logs and reconciliation
    (e.g. the naskah id or the letter number: never personal data)."""

    signer: SignerIdentity
    appearance: Appearance
    reason: str = "Tanda tangan elektronik naskah dinas"
    location: str = ""
    reference: str = ""
    field_name: str = "TTE"
    #: The final signature: no change is allowed after it (DocMDP "no changes": a certification
    #: signature when the PDF has no signature yet, else a field lock on this signature).
    lock: bool = True


class Outcome(enum.StrEnum):
    SIGNED = "signed"
    #: The request may or may not have been carried out (a timeout after the request was sent,
    #: a connection lost before the answer). Never retried automatically: reconcile first
    #: (``BsreSigner.reconcile``) before asking the signer again.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SignResult:
    """The answer of ``Signer.sign``. Refusals are exceptions (:class:`TteError`); an outcome
    that cannot be known is a result with ``outcome == Outcome.UNKNOWN`` and no PDF."""

    outcome: Outcome
    pdf: bytes | None = field(default=None, repr=False)
    sha256: str | None = None
    signer_name: str = ""  # the certificate's common name
    signed_at: dt.datetime | None = None
    backend: Literal["local", "bsre"] = "local"
    document_id: str | None = None  # BSrE id_dokumen when the esign-client gave one
    detail: str = ""  # one Indonesian line
    seconds: float = 0.0

    @property
    def signed(self) -> bool:
        return self.outcome is Outcome.SIGNED


@runtime_checkable
class Signer(Protocol):
    """One interface, two signers (:class:`connectors.tte.local.LocalSigner`,
    :class:`connectors.tte.bsre.BsreSigner`)."""

    backend: Literal["local", "bsre"]

    def sign(
        self, pdf: bytes, *, request: SignRequest, passphrase: str | None = None
    ) -> SignResult: ...


# --------------------------------------------------------------------------- errors


class TteError(Exception):
    """A signing request that was refused: nothing was signed. ``code`` is the esign-client's
    ``status_code`` when it gave one, ``status`` the HTTP status. Messages are Indonesian and
    never contain the passphrase or the NIK."""

    code: int | None = None

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        bits = []
        if self.status is not None:
            bits.append(f"HTTP {self.status}")
        if self.code is not None:
            bits.append(f"kode {self.code}")
        return f"{self.message} ({', '.join(bits)})" if bits else self.message


class AnchorNotFound(TteError):
    """The PDF has no anchor marker and the placement requires one."""


class SignerNotRegistered(TteError):
    """2011: the signer has no (active) account/key."""

    code = 2011


class CertificateProblem(TteError):
    """2021: the signer's certificate is expired, revoked, suspended or otherwise unusable."""

    code = 2021


class WrongPassphrase(TteError):
    """2031: "Passphrase anda salah". The signer may try again with another passphrase."""

    code = 2031


class TteAuthError(TteError):
    """HTTP 401/403: the agency's credentials for the esign-client are wrong."""


class TteRequestError(TteError):
    """HTTP 400 (or another 4xx) without a known code: the request itself is wrong."""


class TteServerError(TteError):
    """HTTP 5xx without a known code: the esign-client failed; nothing was signed."""


class TteUnavailable(TteError):
    """The esign-client could not be reached (connection refused, connect timeout): the request
    never left, so nothing was signed and asking again later is safe."""


class InvalidPdf(TteError):
    """The input is not a PDF that can be signed."""
