"""The ``local`` signer: PAdES B-T with the project's own CA (:mod:`connectors.tte.local_ca`).

The official's key is read from ``<ca_dir>/signers/<key_id>/key.pem``. An encrypted key is opened
by the passphrase given to one call (or one batch) and dropped afterwards; an unencrypted one
(readable on disk anyway) is prepared once per signer object, with its certificate and the root,
and kept while the files stay the same, so a pool worker prepares it once for every bundle. Letters signed this way are honest about it: a footer or label that claims BSrE
certification is refused (:class:`~connectors.tte.model.TteRequestError`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder_data
from pyhanko.sign import signers, timestamps
from pyhanko.sign.general import SigningError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from connectors.tte import local_ca
from connectors.tte.model import (
    CertificateProblem,
    InvalidPdf,
    Outcome,
    SignerNotRegistered,
    SignRequest,
    SignResult,
    TteRequestError,
    WrongPassphrase,
    mentions_bsre,
)
from connectors.tte.pades import (
    CachedKeySigner,
    http_timestamper,
    local_timestamper,
    reserved_size,
    sign_pdf,
)

log = logging.getLogger("diklat.connectors.tte")


class LocalSigner:
    """Signs with the local CA under ``ca_dir``. ``timestamp=False`` gives PAdES B-B (tests).
    The time stamps come from the local CA's TSA (policy :data:`~connectors.tte.pades.
    TSA_POLICY_OID`), or, with ``tsa_url``, from that RFC 3161 authority over HTTP (BSrE's or
    the agency's; ``tsa_username``/``tsa_password`` for HTTP Basic)."""

    backend: Literal["local", "bsre"] = "local"

    def __init__(
        self,
        ca_dir: Path | str,
        *,
        tsa_passphrase: str | None = None,
        timestamp: bool = True,
        tsa_url: str | None = None,
        tsa_username: str | None = None,
        tsa_password: str | None = None,
        tsa_timeout: float = 10.0,
    ) -> None:
        self.ca_dir = Path(ca_dir)
        self._tsa_passphrase = tsa_passphrase
        self._timestamp = timestamp
        self.tsa_url = tsa_url or None
        self._tsa_username = tsa_username or None
        self._tsa_password = tsa_password or None
        self._tsa_timeout = tsa_timeout
        self._timestamper: timestamps.TimeStamper | None = None
        #: key_id -> (what the files were when opened, the prepared signer): an unencrypted
        #: key stays prepared for the signer's lifetime (a pool worker's: every bundle);
        #: a re-issued certificate or key (other size or time) is opened again.
        self._prepared: dict[str, tuple[tuple[int, ...], signers.SimpleSigner]] = {}
        #: key_id -> the room its signature container needed (see ``pades.reserved_size``)
        self._reserved: dict[str, int] = {}

    def config(self) -> dict[str, Any]:
        """What another process needs to build the same signer (parallel signing)."""
        return {
            "ca_dir": self.ca_dir,
            "timestamp": self._timestamp,
            "tsa_url": self.tsa_url,
            "tsa_username": self._tsa_username,
            "tsa_password": self._tsa_password,
            "tsa_timeout": self._tsa_timeout,
        }

    def __repr__(self) -> str:  # never the TSA password
        return f"LocalSigner(ca_dir={str(self.ca_dir)!r}, tsa_url={self.tsa_url!r})"

    def timestamper(self) -> timestamps.TimeStamper | None:
        if not self._timestamp:
            return None
        if self._timestamper is None and self.tsa_url:
            self._timestamper = http_timestamper(
                self.tsa_url,
                username=self._tsa_username,
                password=self._tsa_password,
                timeout=self._tsa_timeout,
            )
        if self._timestamper is None:
            info = local_ca.load_ca(self.ca_dir)
            self._timestamper = local_timestamper(
                info.tsa_cert, self.ca_dir / "tsa" / "key.pem", info.root_cert, self._tsa_passphrase
            )
        return self._timestamper

    def open_key(self, key_id: str, passphrase: str | None) -> signers.SimpleSigner:
        """The official's key and certificate as a pyHanko signer: for this call only when
        the key is encrypted (the passphrase opens it once), else prepared once and kept."""
        if not key_id:
            raise SignerNotRegistered("penandatangan tidak memiliki key_id untuk CA lokal")
        try:
            cert = local_ca.load_signer(self.ca_dir, key_id)
        except local_ca.CaError as e:
            raise SignerNotRegistered(
                f"penandatangan {key_id} belum memiliki sertifikat di CA lokal"
            ) from e
        now = dt.datetime.now(dt.UTC)
        if not cert.not_before <= now <= cert.not_after:
            raise CertificateProblem(
                f"sertifikat {key_id} tidak berlaku "
                f"({cert.not_before:%Y-%m-%d} s.d. {cert.not_after:%Y-%m-%d})"
            )
        if cert.encrypted:
            self._prepared.pop(key_id, None)
            return self._open(key_id, cert, passphrase)
        files = (cert.cert_path, cert.key_path, local_ca.root_cert_path(self.ca_dir))
        stamp = tuple(v for f in files for v in (f.stat().st_mtime_ns, f.stat().st_size))
        kept = self._prepared.get(key_id)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        prepared = self._open(key_id, cert, None)
        self._prepared[key_id] = (stamp, prepared)
        return prepared

    def _open(
        self, key_id: str, cert: local_ca.SignerCertificate, passphrase: str | None
    ) -> signers.SimpleSigner:
        try:
            key = local_ca.load_private_key(cert.key_path, passphrase if cert.encrypted else None)
        except local_ca.KeyLocked:
            raise WrongPassphrase("Passphrase anda salah") from None
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        if not isinstance(key, RSAPrivateKey):
            raise CertificateProblem(f"kunci {key_id} bukan RSA")
        root = load_cert_from_pemder(str(local_ca.root_cert_path(self.ca_dir)))
        return CachedKeySigner(
            crypto_key=key,
            signing_cert=load_cert_from_pemder(str(cert.cert_path)),
            signing_key=load_private_key_from_pemder_data(der, None),
            cert_registry=SimpleCertificateStore.from_certs([root]),
        )

    @staticmethod
    def _check_honest(request: SignRequest) -> None:
        a = request.appearance
        if mentions_bsre(a.footer) or mentions_bsre(a.label):
            raise TteRequestError(
                "naskah yang ditandatangani dengan CA lokal tidak boleh "
                "memuat kalimat sertifikasi BSrE"
            )

    def sign(
        self, pdf: bytes, *, request: SignRequest, passphrase: str | None = None
    ) -> SignResult:
        """Sign one PDF. Refusals raise (:class:`SignerNotRegistered`, :class:`WrongPassphrase`,
        :class:`CertificateProblem`, :class:`TteRequestError`, :class:`InvalidPdf`)."""
        return self.sign_batch([(pdf, request)], passphrase=passphrase)[0]

    def sign_batch(
        self, items: Sequence[tuple[bytes, SignRequest]], *, passphrase: str | None = None
    ) -> list[SignResult]:
        """Sign several letters of one signer with one opening of the key (a bundle)."""
        if not items:
            return []
        key_ids = {r.signer.key_id for _pdf, r in items}
        if len(key_ids) != 1:
            raise TteRequestError("satu batch hanya untuk satu penandatangan")
        for _pdf, r in items:
            self._check_honest(r)
        t_key = time.perf_counter()
        signer = self.open_key(next(iter(key_ids)), passphrase)
        if passphrase is not None:
            self._reserved.pop(next(iter(key_ids)), None)
        tsa = self.timestamper()
        cn = signer.subject_name or ""
        log.debug("tte local: key opened in %.3fs", time.perf_counter() - t_key)
        results: list[SignResult] = []
        key_id = next(iter(key_ids))
        reserved = self._reserved.get(key_id)  # learnt from the first letter signed
        for pdf, request in items:
            t0 = time.perf_counter()
            out = None
            if reserved is not None:
                try:
                    out = sign_pdf(
                        pdf,
                        signer,
                        request.appearance,
                        identity=request.signer,
                        timestamper=tsa,
                        reason=request.reason,
                        location=request.location,
                        field_name=request.field_name,
                        lock=request.lock,
                        bytes_reserved=reserved,
                    )
                except (SigningError, InvalidPdf):  # did not fit after all: measure again
                    out = None
            if out is None:
                out = sign_pdf(
                    pdf,
                    signer,
                    request.appearance,
                    identity=request.signer,
                    timestamper=tsa,
                    reason=request.reason,
                    location=request.location,
                    field_name=request.field_name,
                    lock=request.lock,
                )
                reserved = reserved_size(out)
                if reserved is not None:
                    self._reserved[key_id] = reserved
            seconds = time.perf_counter() - t0
            log.info("tte local: signed %s in %.2fs", request.reference or "naskah", seconds)
            results.append(
                SignResult(
                    outcome=Outcome.SIGNED,
                    pdf=out,
                    sha256=hashlib.sha256(out).hexdigest(),
                    signer_name=_common_name(cn),
                    signed_at=dt.datetime.now(dt.UTC),
                    backend="local",
                    detail="ditandatangani dengan CA lokal",
                    seconds=seconds,
                )
            )
        return results


def _common_name(subject: str) -> str:
    """pyHanko's ``subject_name`` is 'Common Name: X, ...'-like; keep the CN only."""
    for part in subject.split(","):
        if part.strip().lower().startswith("common name:"):
            return part.split(":", 1)[1].strip()
    return subject
