"""The ``bsre`` signer: the agency's on-premise BSrE esign-client over HTTP (``requests``).

API v1 (multipart): ``POST /api/sign/pdf`` with ``file``, ``nik``, ``passphrase``, ``tampilan``
(``visible``/``invisible``), ``image``, ``imageTTD``, ``linkQR``, ``page``, ``xAxis``,
``yAxis``, ``width``, ``height`` (v1 convention: ``xAxis``/``yAxis`` the lower-left corner,
``width``/``height`` the *upper-right* corner, as public clients send them), ``reason``,
``location``. The answer is the signed PDF (header ``id_dokumen``) or JSON ``{"id_dokumen":
...}`` to fetch **once** from ``GET /api/sign/download/{id}`` (a second download is a 404).
``POST /api/sign/verify`` takes ``signed_file``. API v2 (JSON): ``POST /api/v2/sign/pdf`` with
``nik``, ``passphrase``, ``signatureProperties`` (``tampilan`` ``VISIBLE``/``INVISIBLE``,
``page``, ``originX``, ``originY``, ``width``, ``height``, ``imageBase64``, ``reason``,
``location``) and ``file`` (base64 list), answering ``{"file": [base64]}``;
``POST /api/v2/verify/pdf`` with ``file``. Errors carry ``status_code``: 2011 (not registered),
2021 (certificate), 2031 ("Passphrase anda salah"), under HTTP 400 or 500.

Rules that differ from :mod:`connectors.http` on purpose:

* **A sign call is never retried**, and neither is a download (it works once). A timeout or a
  connection lost after the request was sent gives ``SignResult(outcome=UNKNOWN)`` (with the
  ``document_id`` when one was already given), which the caller reconciles (``reconcile``) before
  asking the official for the passphrase again. A connection that was refused or timed out while
  connecting never reached the esign-client: :class:`TteUnavailable` (nothing signed).
* The passphrase and the NIK go only into the request body. They are in no log line, no
  exception (answer texts are scrubbed of them, and requests' own exceptions, which hold the
  request, are not chained), no ``repr`` and nothing returned.

``appearance_mode="stamp"`` (default) draws our own stamp (:func:`connectors.tte.stamp.stamp_pdf`,
the same as the local signer's) into the page and asks for an invisible signature, so the
letter looks the same under both signers; ``"esign"`` lets the esign-client draw its visible
signature at the anchor box with ``linkQR`` (and the specimen image, if any).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import requests
from requests.adapters import HTTPAdapter

from connectors.http import scrub
from connectors.tte.model import (
    CertificateProblem,
    InvalidPdf,
    Outcome,
    SignerNotRegistered,
    SignRequest,
    SignResult,
    TteAuthError,
    TteError,
    TteRequestError,
    TteServerError,
    TteUnavailable,
    WrongPassphrase,
)
from connectors.tte.stamp import Box, place_box, stamp_pdf

log = logging.getLogger("diklat.connectors.tte")

_CODES: dict[int, type[TteError]] = {
    2011: SignerNotRegistered,
    2021: CertificateProblem,
    2031: WrongPassphrase,
}


class DocumentGone(TteError):
    """``/api/sign/download/{id}`` answered 404: already downloaded (it works once) or unknown."""


@dataclass(frozen=True)
class BsreVerification:
    """What the esign-client says about a PDF (``summary`` ``VALID`` / ``INVALID`` ...)."""

    valid: bool
    summary: str
    notes: str
    signatures: int
    signers: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


class BsreSigner:
    """Client of one esign-client. ``timeout`` bounds the wait for the answer to a sign call
    (seconds); ``connect_timeout`` the connection set-up."""

    backend: Literal["local", "bsre"] = "bsre"

    def __init__(
        self,
        base_url: str,
        *,
        api: Literal["v1", "v2"] = "v1",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 3.05,
        appearance_mode: Literal["stamp", "esign"] = "stamp",
        verify_tls: bool | str = True,
        session: requests.Session | None = None,
    ) -> None:
        if api not in ("v1", "v2"):
            raise ValueError("api must be 'v1' or 'v2'")
        self.base_url = base_url.rstrip("/")
        self.api = api
        self.timeout = (connect_timeout, timeout)
        self.appearance_mode = appearance_mode
        self._auth = (username, password or "") if username else None
        self.session = session or requests.Session()
        adapter = HTTPAdapter(max_retries=0)  # never a transport-level retry either
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.verify = verify_tls
        self.calls: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"BsreSigner(base_url={self.base_url!r}, api={self.api!r})"

    def close(self) -> None:
        self.session.close()

    # ------------------------------------------------------------------ transport

    def _send(
        self,
        method: str,
        path: str,
        *,
        secrets: tuple[str, ...] = (),
        reference: str = "",
        timeout: tuple[float, float] | None = None,
        **kw: Any,
    ) -> requests.Response:
        """One attempt. Raises :class:`TteUnavailable` (not sent), :class:`OutcomeUnknown` (sent, no
        answer) or a typed error for an error answer; returns 2xx answers."""
        url = f"{self.base_url}{path}"
        key = "/api/sign/download" if path.startswith("/api/sign/download/") else path
        self.calls[key] = self.calls.get(key, 0) + 1
        t0 = time.monotonic()
        try:
            resp = self.session.request(
                method, url, auth=self._auth, timeout=timeout or self.timeout, **kw
            )
        except requests.ConnectTimeout:
            log.warning("tte bsre %s %s: connect timeout (%s)", method, path, reference)
            raise TteUnavailable(
                "esign-client tidak dapat dihubungi (batas waktu koneksi)"
            ) from None
        except requests.ReadTimeout:
            log.warning(
                "tte bsre %s %s: no answer within %.0fs (%s)",
                method,
                path,
                (timeout or self.timeout)[1],
                reference,
            )
            raise OutcomeUnknown("esign-client tidak menjawab dalam batas waktu") from None
        except requests.ConnectionError as e:
            if _never_sent(e):
                log.warning("tte bsre %s %s: connection refused (%s)", method, path, reference)
                raise TteUnavailable("esign-client tidak dapat dihubungi") from None
            log.warning("tte bsre %s %s: connection lost (%s)", method, path, reference)
            raise OutcomeUnknown("koneksi ke esign-client terputus sebelum ada jawaban") from None
        except requests.RequestException as e:
            log.warning("tte bsre %s %s: %s (%s)", method, path, e.__class__.__name__, reference)
            raise OutcomeUnknown(f"permintaan gagal: {e.__class__.__name__}") from None
        log.info(
            "tte bsre %s %s -> %s in %.2fs (%s)",
            method,
            path,
            resp.status_code,
            time.monotonic() - t0,
            reference,
        )
        if resp.status_code >= 400 or _json_error(resp):
            raise _error_for(resp, secrets)
        return resp

    # ------------------------------------------------------------------ signing

    def sign(
        self, pdf: bytes, *, request: SignRequest, passphrase: str | None = None
    ) -> SignResult:
        """Sign one PDF through the esign-client. Never retried; see the module."""
        nik = request.signer.nik
        if not nik:
            raise TteRequestError("NIK penandatangan untuk BSrE belum diisi")
        if not passphrase:
            raise TteRequestError("passphrase wajib diisi")
        if not pdf.lstrip()[:5].startswith(b"%PDF"):
            raise InvalidPdf("berkas bukan PDF")
        t0 = time.perf_counter()
        appearance = request.appearance
        box: Box | None = None
        tampilan = "invisible"
        if appearance.visible and self.appearance_mode == "stamp":
            pdf, _box = stamp_pdf(pdf, request.signer, appearance)
        elif appearance.visible:
            box = place_box(pdf, appearance.placement)
            tampilan = "visible"
        secrets = (nik, passphrase)
        try:
            if self.api == "v1":
                signed, doc_id = self._sign_v1(
                    pdf, request, nik, passphrase, tampilan, box, secrets
                )
            else:
                signed, doc_id = (
                    self._sign_v2(pdf, request, nik, passphrase, tampilan, box, secrets),
                    None,
                )
        except OutcomeUnknown as e:
            return SignResult(
                outcome=Outcome.UNKNOWN,
                backend="bsre",
                document_id=e.document_id,
                detail=f"hasil tidak diketahui: {e}; jangan ulangi sebelum direkonsiliasi",
                seconds=time.perf_counter() - t0,
            )
        finally:
            del secrets, passphrase, nik
        return _signed(signed, doc_id, time.perf_counter() - t0)

    def _sign_v1(
        self,
        pdf: bytes,
        request: SignRequest,
        nik: str,
        passphrase: str,
        tampilan: str,
        box: Box | None,
        secrets: tuple[str, ...],
    ) -> tuple[bytes, str | None]:
        a = request.appearance
        data: dict[str, str] = {
            "nik": nik,
            "passphrase": passphrase,
            "tampilan": tampilan,
            "reason": request.reason,
            "location": request.location,
        }
        files: dict[str, tuple[str, bytes, str]] = {"file": ("naskah.pdf", pdf, "application/pdf")}
        if box is not None:
            data.update(
                {
                    "linkQR": a.verify_url,
                    "page": str(box.page_index + 1),
                    "xAxis": _num(box.x1),
                    "yAxis": _num(box.y1),
                    "width": _num(box.x2),
                    "height": _num(box.y2),
                    "image": "true" if a.specimen_png else "false",
                }
            )
            if a.specimen_png:
                files["imageTTD"] = ("spesimen.png", a.specimen_png, "image/png")
        resp = self._send(
            "POST",
            "/api/sign/pdf",
            data=data,
            files=files,
            secrets=secrets,
            reference=request.reference,
        )
        doc_id = resp.headers.get("id_dokumen") or None
        if resp.content.lstrip()[:5].startswith(b"%PDF"):
            return resp.content, doc_id
        body = _json(resp)
        if isinstance(body, dict) and body.get("id_dokumen"):
            doc_id = str(body["id_dokumen"])
        if not doc_id:
            raise OutcomeUnknown("jawaban esign-client bukan PDF dan tanpa id_dokumen")
        try:
            return self.download(doc_id, reference=request.reference), doc_id
        except OutcomeUnknown as e:
            e.document_id = doc_id
            raise

    def _sign_v2(
        self,
        pdf: bytes,
        request: SignRequest,
        nik: str,
        passphrase: str,
        tampilan: str,
        box: Box | None,
        secrets: tuple[str, ...],
    ) -> bytes:
        a = request.appearance
        props: dict[str, Any] = {
            "tampilan": tampilan.upper(),
            "reason": request.reason,
            "location": request.location,
        }
        if box is not None:
            props.update(
                {
                    "page": box.page_index + 1,
                    "originX": box.x1,
                    "originY": box.y1,
                    "width": box.width,
                    "height": box.height,
                }
            )
            if a.specimen_png:
                props["imageBase64"] = base64.b64encode(a.specimen_png).decode()
        body = {
            "nik": nik,
            "passphrase": passphrase,
            "signatureProperties": [props],
            "file": [base64.b64encode(pdf).decode()],
        }
        resp = self._send(
            "POST", "/api/v2/sign/pdf", json=body, secrets=secrets, reference=request.reference
        )
        data = _json(resp)
        files = data.get("file") if isinstance(data, dict) else None
        if not files or not isinstance(files, list):
            raise OutcomeUnknown("jawaban esign-client v2 tanpa berkas")
        try:
            return base64.b64decode(files[0], validate=True)
        except (ValueError, TypeError):
            raise OutcomeUnknown("berkas dari esign-client v2 bukan base64 yang sah") from None

    def download(self, document_id: str, *, reference: str = "") -> bytes:
        """Fetch a signed document by ``id_dokumen`` (v1). Works **once** (never retried); a
        second call is :class:`DocumentGone`. Use :meth:`reconcile` rather than calling this
        after an unknown outcome: it turns a timeout into a result instead of an exception."""
        if not document_id or "/" in document_id:
            raise TteRequestError("id_dokumen tidak sah")
        try:
            resp = self._send(
                "GET", f"/api/sign/download/{document_id}", reference=reference or document_id
            )
        except _NotFound:
            raise DocumentGone(
                "dokumen tidak tersedia lagi di esign-client (sudah diunduh atau tidak dikenal)",
                status=404,
            ) from None
        if not resp.content.lstrip()[:5].startswith(b"%PDF"):
            raise OutcomeUnknown("unduhan dari esign-client bukan PDF")
        return resp.content

    def reconcile(self, document_id: str | None) -> SignResult:
        """After an ``UNKNOWN`` outcome: fetch the document by its id if the esign-client gave
        one. Returns SIGNED with the PDF, or UNKNOWN when there is nothing to fetch (no id, or
        :class:`DocumentGone`): then nothing of that attempt can be used, and the official
        signs again (the earlier attempt, if it happened, left no copy with us)."""
        t0 = time.perf_counter()
        if not document_id:
            return SignResult(
                outcome=Outcome.UNKNOWN,
                backend="bsre",
                detail="tidak ada id_dokumen untuk direkonsiliasi; minta "
                "penandatangan menandatangani ulang",
                seconds=time.perf_counter() - t0,
            )
        try:
            pdf = self.download(document_id)
        except DocumentGone:
            return SignResult(
                outcome=Outcome.UNKNOWN,
                backend="bsre",
                document_id=document_id,
                detail="dokumen sudah tidak tersedia; minta penandatangan menandatangani ulang",
                seconds=time.perf_counter() - t0,
            )
        except OutcomeUnknown as e:
            return SignResult(
                outcome=Outcome.UNKNOWN,
                backend="bsre",
                document_id=document_id,
                detail=f"hasil tidak diketahui: {e}",
                seconds=time.perf_counter() - t0,
            )
        return _signed(pdf, document_id, time.perf_counter() - t0)

    # ------------------------------------------------------------------ verification

    def verify(self, pdf: bytes) -> BsreVerification:
        """Ask the esign-client to verify a PDF (v1 ``signed_file`` or v2 base64)."""
        try:
            if self.api == "v1":
                resp = self._send(
                    "POST",
                    "/api/sign/verify",
                    files={"signed_file": ("naskah.pdf", pdf, "application/pdf")},
                )
            else:
                resp = self._send(
                    "POST", "/api/v2/verify/pdf", json={"file": base64.b64encode(pdf).decode()}
                )
        except OutcomeUnknown as e:
            raise TteServerError(f"verifikasi tidak selesai: {e}") from None
        data = _json(resp)
        if not isinstance(data, dict):
            raise TteServerError("jawaban verifikasi esign-client tidak terbaca")
        details = data.get("details") or []
        signers = [
            str((d.get("info_signer") or {}).get("signer_name") or "")
            for d in details
            if isinstance(d, dict)
        ]
        summary = str(data.get("summary") or data.get("conclusion") or "")
        return BsreVerification(
            valid=summary.upper() == "VALID",
            summary=summary,
            notes=str(data.get("notes") or ""),
            signatures=int(data.get("jumlah_signature") or len(details)),
            signers=signers,
            raw=data,
        )


# --------------------------------------------------------------------------- helpers


class OutcomeUnknown(TteError):
    """The request went out and no usable answer came back (raised by :meth:`BsreSigner.download`
    called directly; :meth:`BsreSigner.sign` turns it into ``SignResult(outcome=UNKNOWN)``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.document_id: str | None = None


class _NotFound(TteError):
    pass


def _num(v: float) -> str:
    return str(int(round(v)))


def _never_sent(e: requests.ConnectionError) -> bool:
    """True when the connection was never established (refused, DNS, connect timeout)."""
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

    inner = e.args[0] if e.args else None
    if isinstance(inner, MaxRetryError):
        inner = inner.reason
    return isinstance(inner, NewConnectionError | ConnectTimeoutError)


def _json(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _json_error(resp: requests.Response) -> bool:
    """Some esign-client versions answer errors with HTTP 200 and ``{"error": ...}``."""
    if "json" not in resp.headers.get("content-type", ""):
        return False
    data = _json(resp)
    return (
        isinstance(data, dict)
        and bool(data.get("error"))
        and not data.get("file")
        and not data.get("id_dokumen")
    )


def _clean(text: str, secrets: tuple[str, ...]) -> str:
    out = scrub(text, 200) or ""
    for s in secrets:
        if s:
            out = out.replace(s, "***")
    return out


def _error_for(resp: requests.Response, secrets: tuple[str, ...]) -> TteError:
    status = resp.status_code
    data = _json(resp)
    code: int | None = None
    message = ""
    if isinstance(data, dict):
        raw_code = data.get("status_code", data.get("code"))
        try:
            code = int(raw_code) if raw_code is not None else None
        except (TypeError, ValueError):
            code = None
        message = str(data.get("error") or data.get("message") or data.get("pesan") or "")
    message = _clean(message, secrets)
    if code in _CODES:
        kind = _CODES[code]
        default = {
            2011: "penandatangan tidak terdaftar di BSrE",
            2021: "sertifikat elektronik penandatangan bermasalah",
            2031: "Passphrase anda salah",
        }[code]
        return kind(message or default, status=status, code=code)
    if "passphrase" in message.lower() and "salah" in message.lower():
        return WrongPassphrase(message, status=status, code=2031)
    if status in (401, 403):
        return TteAuthError("esign-client menolak kredensial aplikasi", status=status, code=code)
    if status == 404:
        return _NotFound(message or "tidak ditemukan", status=status, code=code)
    if 400 <= status < 500:
        return TteRequestError(
            message or "permintaan ditolak esign-client", status=status, code=code
        )
    return TteServerError(message or "esign-client gagal", status=status, code=code)


def _signed(pdf: bytes, document_id: str | None, seconds: float) -> SignResult:
    if not pdf.lstrip()[:5].startswith(b"%PDF"):
        return SignResult(
            outcome=Outcome.UNKNOWN,
            backend="bsre",
            document_id=document_id,
            detail="berkas dari esign-client bukan PDF",
            seconds=seconds,
        )
    return SignResult(
        outcome=Outcome.SIGNED,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        signer_name=_last_signer(pdf),
        signed_at=dt.datetime.now(dt.UTC),
        backend="bsre",
        document_id=document_id,
        detail="ditandatangani melalui esign-client BSrE",
        seconds=seconds,
    )


def _last_signer(pdf: bytes) -> str:
    try:
        from pyhanko.pdf_utils.reader import PdfFileReader

        sigs = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
        return str(sigs[-1].signer_cert.subject.native.get("common_name", "")) if sigs else ""
    except Exception:  # the PDF is the esign-client's; its reading is best effort
        return ""
