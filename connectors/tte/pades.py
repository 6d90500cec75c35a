"""PAdES signing with pyHanko: :func:`sign_pdf` adds one signature (visible stamp at the anchor,
PAdES subfilter ``ETSI.CAdES.detached``, SHA-256) and, with a time stamper, a signature time
stamp, which makes it PAdES B-T.

The stamp and the optional footer are written in the same incremental revision as the signature,
so the signature covers them. ``lock=True`` (the final signature) forbids any later change: a
certification signature with DocMDP "no changes" when the PDF has no signature yet, else a field
lock (``/Lock`` with ``/P 1``) on this signature. Changes after signing are then reported by
:func:`connectors.tte.verify.verify_pdf`.

:func:`local_timestamper` is pyHanko's in-process TSA over the local CA's time-stamping
certificate (no network).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from pyhanko.keys import load_cert_from_pemder
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm
from pyhanko.sign.signers.pdf_cms import Signer as PyHankoSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from connectors.tte.model import Appearance, InvalidPdf, SignerIdentity
from connectors.tte.stamp import TteStampStyle, add_footer, open_incremental, place_box

log = logging.getLogger("diklat.connectors.tte")


def local_timestamper(tsa_cert: Path, tsa_key: Path, root_cert: Path,
                      passphrase: str | None = None) -> timestamps.TimeStamper:
    """pyHanko's own TSA signing with the local CA's time-stamping key, in process."""
    from cryptography.hazmat.primitives import serialization
    from pyhanko.keys import load_private_key_from_pemder_data

    from connectors.tte.local_ca import load_private_key

    key = load_private_key(tsa_key, passphrase)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return timestamps.DummyTimeStamper(
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


def sign_pdf(pdf_bytes: bytes, signer: PyHankoSigner, appearance: Appearance | None, *,
             identity: SignerIdentity, timestamper: timestamps.TimeStamper | None = None,
             reason: str | None = None, location: str | None = None,
             field_name: str = "TTE", lock: bool = True) -> bytes:
    """Sign ``pdf_bytes`` once and return the signed PDF.

    ``appearance`` None (or ``appearance.visible`` False) signs invisibly; else the stamp is
    the appearance of a signature field placed by ``appearance.placement``, and
    ``appearance.footer`` (if any) is printed at the bottom of that page."""
    writer = open_incremental(pdf_bytes)
    certify = lock and not _has_signatures(writer)
    field_lock = lock and not certify  # a later final signature locks through its field
    style: TteStampStyle | None = None
    on_page, rect = 0, None
    if appearance is not None and appearance.visible:
        box = place_box(pdf_bytes, appearance.placement)
        # pyHanko types the box as ints but writes any number; keep the sub-point position
        on_page, rect = box.page_index, (box.x1, box.y1, box.x2, box.y2)
        add_footer(writer, box.page_index, appearance.footer)
        style = TteStampStyle(identity=identity, appearance=appearance)
    spec = fields.SigFieldSpec(
        field_name, on_page=on_page, box=rect,  # type: ignore[arg-type]
        field_mdp_spec=FieldMDPSpec(FieldMDPAction.ALL) if field_lock else None,
        doc_mdp_update_value=MDPPerm.NO_CHANGES if field_lock else None)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, reason=reason or None,
        location=location or None, certify=certify,
        docmdp_permissions=MDPPerm.NO_CHANGES if certify else MDPPerm.FILL_FORMS,
    )
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper,
                                   stamp_style=style, new_field_spec=spec)
    out = io.BytesIO()
    try:
        pdf_signer.sign_pdf(writer, output=out)
    except (ValueError, KeyError) as e:
        raise InvalidPdf(f"PDF tidak dapat ditandatangani: {e}") from None
    return out.getvalue()
