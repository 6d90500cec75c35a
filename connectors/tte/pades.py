"""PAdES signing with pyHanko: :func:`sign_pdf` adds one signature (visible stamp at the anchor,
PAdES subfilter ``ETSI.CAdES.detached``, SHA-256) and, with a time stamper, a signature time
stamp, which makes it PAdES B-T.

The stamp and the optional footer are written in the same incremental revision as the signature,
so the signature covers them. ``lock=True`` (the final signature) forbids any later change: a
certification signature with DocMDP "no changes" when the PDF has no signature yet, else a field
lock (``/Lock`` with ``/P 1``) on this signature. Changes after signing are then reported by
:func:`connectors.tte.verify.verify_pdf`.

:func:`local_timestamper` is pyHanko's in-process TSA over the local CA's time-stamping
certificate (no network); its tokens carry the project's own policy OID
(:data:`TSA_POLICY_OID`). :func:`http_timestamper` asks a real RFC 3161 authority over HTTP
(BSrE's or the agency's TSA) instead, when one is configured.

**The project's OID arc.** ``2.25.247979241578073794914443649152261488949`` is an OID made
from a UUID (``ba8f108f-cbfa-4f93-862d-0028c5bb0135``) under ``2.25`` (ITU-T X.667 / ISO/IEC
9834-8): unique without registering anything, and stable: never change it, only add arcs
below it. Assigned so far: ``.1`` time-stamp policies, ``.1.1`` the local TSA's policy (time
from the signing machine's clock, no accuracy guarantee, for the project's own letters only).
"""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.keys import load_cert_from_pemder
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_cms import Signer as PyHankoSigner
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from connectors.tte.model import Appearance, InvalidPdf, SignerIdentity, TteUnavailable
from connectors.tte.stamp import TteStampStyle, open_incremental, prepare_pdf

log = logging.getLogger("diklat.connectors.tte")

#: The project's own OID arc (see the module docstring); never change, only extend.
DIKLAT_OID = "2.25.247979241578073794914443649152261488949"
#: The policy of the local TSA's time stamps (``TSTInfo.policy``).
TSA_POLICY_OID = f"{DIKLAT_OID}.1.1"


class CachedKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner re-parses the private key on every signature (about 0.1 s for
    RSA, mostly key validation); this one keeps the parsed key for the signer's lifetime (one
    call or one batch). Other mechanisms than RSA PKCS#1 v1.5 go the library's way."""

    def __init__(self, *args: Any, crypto_key: RSAPrivateKey, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._crypto_key = crypto_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mech = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mech.signature_algo != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        return self._crypto_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


class _LocalTimeStamper(timestamps.DummyTimeStamper):
    """pyHanko's in-process TSA with the parsed key kept (same reason as CachedKeySigner) and
    a policy OID of our own (pyHanko's test stamper claims a public CA's policy)."""

    def __init__(
        self, *args: Any, crypto_key: RSAPrivateKey, policy: str = TSA_POLICY_OID, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self._crypto_key = crypto_key
        self.policy = policy

    def _build_tst_info(self, message_imprint: Any, dt: Any, req: Any) -> Any:
        from asn1crypto import tsp

        info = super()._build_tst_info(message_imprint, dt, req)
        info["policy"] = tsp.ObjectIdentifier(self.policy)
        return info

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str, dt: Any) -> tuple[bytes, Any]:
        from asn1crypto import cms, core
        from pyhanko.sign import general

        digest = hashlib.new(md_algorithm.replace("_", ""), tst_info_data).digest()
        attrs = cms.CMSAttributes(
            [
                general.simple_cms_attribute("content_type", "tst_info"),
                general.simple_cms_attribute(
                    "signing_time", cms.Time({"utc_time": core.UTCTime(dt)})
                ),
                general.simple_cms_attribute(
                    "signing_certificate", general.as_signing_certificate(self.tsa_cert)
                ),
                general.simple_cms_attribute("message_digest", digest),
            ]
        )
        signature = self._crypto_key.sign(
            attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper())
        )
        return signature, attrs


def http_timestamper(
    url: str, *, username: str | None = None, password: str | None = None, timeout: float = 10.0
) -> timestamps.TimeStamper:
    """An RFC 3161 authority over HTTP (``application/timestamp-query``), with HTTP Basic when
    a user name is given. Each signature gets its own token over its own signature value."""
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    auth = (username, password or "") if username else None
    return RequestsHTTPTimeStamper(url, timeout=timeout, auth=auth)


def local_timestamper(
    tsa_cert: Path,
    tsa_key: Path,
    root_cert: Path,
    passphrase: str | None = None,
    policy: str = TSA_POLICY_OID,
) -> timestamps.TimeStamper:
    """pyHanko's own TSA signing with the local CA's time-stamping key, in process, its
    tokens under ``policy`` (the project's)."""
    from cryptography.hazmat.primitives import serialization
    from pyhanko.keys import load_private_key_from_pemder_data

    from connectors.tte.local_ca import load_private_key

    key = load_private_key(tsa_key, passphrase)
    if not isinstance(key, RSAPrivateKey):
        raise TypeError("the local TSA key must be RSA")
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _LocalTimeStamper(
        crypto_key=key,
        policy=policy,
        tsa_cert=load_cert_from_pemder(str(tsa_cert)),
        tsa_key=load_private_key_from_pemder_data(der, None),
        certs_to_embed=SimpleCertificateStore.from_certs([load_cert_from_pemder(str(root_cert))]),
    )


def _has_signatures(writer: object) -> bool:
    try:
        from pyhanko.sign.fields import enumerate_sig_fields

        return any(True for _ in enumerate_sig_fields(writer, filled_status=True))  # type: ignore[arg-type]
    except Exception:  # pragma: no cover - a PDF without AcroForm
        return False


def sign_pdf(
    pdf_bytes: bytes,
    signer: PyHankoSigner,
    appearance: Appearance | None,
    *,
    identity: SignerIdentity,
    timestamper: timestamps.TimeStamper | None = None,
    reason: str | None = None,
    location: str | None = None,
    field_name: str = "TTE",
    lock: bool = True,
    bytes_reserved: int | None = None,
) -> bytes:
    """Sign ``pdf_bytes`` once and return the signed PDF.

    ``appearance`` None (or ``appearance.visible`` False) signs invisibly; else the stamp is
    the appearance of a signature field placed by ``appearance.placement``, and
    ``appearance.footer`` (if any) is printed at the bottom of every page; a further anchor
    (an attachment's signature block) gets the same stamp drawn into its page, and the anchor
    text is removed from the text layer, all in the signed revision.

    ``bytes_reserved``: room for the signature container. Without it pyHanko sizes it by
    making a whole dummy signature first (time stamp included), about a third of the time
    of a signature; a batch learns the size from its first letter (:func:`reserved_size`)."""
    writer = open_incremental(pdf_bytes)
    certify = lock and not _has_signatures(writer)
    field_lock = lock and not certify  # a later final signature locks through its field
    style: TteStampStyle | None = None
    on_page, rect = 0, None
    if appearance is not None and appearance.visible:
        # the marker out of the text layer, an attachment's stamp, the footer on every page
        box = prepare_pdf(writer, pdf_bytes, identity, appearance)[0]
        # pyHanko types the box as ints but writes any number; keep the sub-point position
        on_page, rect = box.page_index, (box.x1, box.y1, box.x2, box.y2)
        style = TteStampStyle(identity=identity, appearance=appearance)
    spec = fields.SigFieldSpec(
        field_name,
        on_page=on_page,
        box=rect,  # type: ignore[arg-type]
        field_mdp_spec=FieldMDPSpec(FieldMDPAction.ALL) if field_lock else None,
        doc_mdp_update_value=MDPPerm.NO_CHANGES if field_lock else None,
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        certify=certify,
        docmdp_permissions=MDPPerm.NO_CHANGES if certify else MDPPerm.FILL_FORMS,
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=signer, timestamper=timestamper, stamp_style=style, new_field_spec=spec
    )
    out = io.BytesIO()
    try:
        pdf_signer.sign_pdf(writer, output=out, bytes_reserved=bytes_reserved)
    except TimestampRequestError as e:  # nothing was signed: asking again later is safe
        raise TteUnavailable(
            f"otoritas cap waktu (TSA) tidak memberi cap waktu: {str(e).splitlines()[0][:200]}"
        ) from None
    except (ValueError, KeyError) as e:
        raise InvalidPdf(f"PDF tidak dapat ditandatangani: {e}") from None
    return out.getvalue()


def reserved_size(signed: bytes) -> int | None:
    """The room pyHanko reserved for the last signature container of ``signed``, as its
    ``bytes_reserved`` counts it (hex digits of the ``/Contents`` placeholder)."""
    start = signed.rfind(b"/Contents <")
    if start < 0:
        return None
    end = signed.find(b">", start)
    if end < 0:
        return None
    return end - start - len(b"/Contents <")
