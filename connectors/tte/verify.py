"""Verification of a signed PDF with pyHanko: is it intact, validly signed by a trusted
certificate, time-stamped, and unchanged since the (last) signature?

:func:`verify_pdf` validates every embedded signature against the given trust roots (PEM or DER
files or bytes; a bundle may hold a root and its intermediates, e.g. the Indonesian root chain
of BSrE; self-signed certificates are anchors, the others intermediates) and sums up in one
:class:`VerifyResult`:

* ``intact``: every signature's digest matches the bytes it covers and the signature value's
  zero padding is untouched (so one changed byte anywhere breaks it);
* ``trusted``: every signer chains to a trust root (checked on its own, so a letter whose
  content was changed still says truthfully who signed it and whether that signer is
  trusted);
* ``timestamped``: the last signature carries a valid time stamp (PAdES B-T);
* ``modified_after_signing``: the document is not what was signed: a signed byte changed (not
  intact), something other than validation data (DSS / document time stamps) was appended
  after the last signature (an incremental update), or a change forbidden by an earlier
  signature's DocMDP/lock;
* ``valid``: all of the above that matter: intact, cryptographically valid, trusted, not modified.

``reason`` is one Indonesian line for people, its time in ``timezone`` (the agency's, e.g.
``Asia/Makassar`` with ``zone_label`` ``WITA``) when given, else UTC. No network: revocation is
not fetched unless ``allow_fetching`` (soft-fail either way: the local CA publishes no CRL).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("diklat.connectors.tte")


@dataclass(frozen=True)
class SignatureInfo:
    """One embedded signature."""

    field: str
    signer: str | None
    signed_at: dt.datetime | None
    timestamped: bool
    intact: bool
    valid: bool
    trusted: bool
    coverage: str  # entire_file | entire_revision | ...
    modification_level: str | None  # none | lta_updates | form_filling | annotations | other
    docmdp_ok: bool | None
    certification: bool


@dataclass(frozen=True)
class VerifyResult:
    valid: bool
    intact: bool
    trusted: bool
    timestamped: bool
    signer: str | None
    signed_at: dt.datetime | None
    modified_after_signing: bool
    modification_level: str | None
    reason: str
    sha256: str
    signatures: list[SignatureInfo] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for d in [data, *data["signatures"]]:
            if d.get("signed_at") is not None:
                d["signed_at"] = d["signed_at"].isoformat()
        return data


def _load_certs(sources: Sequence[Path | str | bytes]) -> tuple[list[Any], list[Any]]:
    """(trust anchors, intermediates) as asn1crypto certificates."""
    from asn1crypto import pem, x509

    roots: list[Any] = []
    others: list[Any] = []
    for src in sources:
        data = src if isinstance(src, bytes) else Path(src).read_bytes()
        ders = (
            [der for _t, _h, der in pem.unarmor(data, multiple=True)]
            if pem.detect(data)
            else [data]
        )
        for der in ders:
            cert = x509.Certificate.load(der)
            (roots if cert.self_signed in ("maybe", "yes") else others).append(cert)
    return roots, others


def _cn(cert: Any) -> str | None:
    try:
        return str(cert.subject.native.get("common_name")) if cert is not None else None
    except Exception:  # pragma: no cover - odd subjects
        return None


def _fmt(d: dt.datetime | None, timezone: str | None = None, zone_label: str = "") -> str:
    if d is None:
        return "waktu tidak diketahui"
    if timezone:
        from zoneinfo import ZoneInfo

        local = d.astimezone(ZoneInfo(timezone))
        return local.strftime("%Y-%m-%d %H:%M ") + (zone_label or local.strftime("UTC%z"))
    return d.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _chain_trusted(sig: Any, vc: Any) -> bool:
    """Whether the signer's certificate chains to a trust root, asked on its own (pyHanko does
    not ask once the signed bytes fail to match)."""
    import asyncio

    from pyhanko_certvalidator import CertificateValidator

    try:
        validator = CertificateValidator(
            sig.signer_cert,
            intermediate_certs=list(sig.other_embedded_certs),
            validation_context=vc,
        )
        asyncio.run(validator.async_validate_usage(set()))
        return True
    except Exception:  # no path to a root, an expired or unusable certificate
        return False


def _der_padding_clean(contents: bytes) -> bool:
    """The signature value (/Contents) is excluded from what it signs; a PDF signer pads it with
    zeros after the CMS blob. Anything but zeros there is a change nobody signed: report it."""
    if len(contents) < 2 or contents[0] != 0x30:
        return False
    first = contents[1]
    if first < 0x80:
        total = 2 + first
    else:
        n = first & 0x7F
        if n == 0 or n > 4 or len(contents) < 2 + n:
            return False
        total = 2 + n + int.from_bytes(contents[2 : 2 + n], "big")
    return total <= len(contents) and not any(contents[total:])


def _embedded_certs_sound(signed_data: Any, extra: Sequence[Any], strict: bool) -> bool:
    """Every certificate carried in the signature (and in its time-stamp token) verifies against
    its issuer where that issuer is at hand. The certificate set is not covered by the signature
    itself, so without this check a changed byte inside a carried certificate would go unseen."""
    from cryptography import x509 as cx509

    def carried(sd: Any) -> list[Any]:
        # the algorithm set is unsigned too: it must say exactly what the signer infos use
        declared = {a.dump() for a in sd["digest_algorithms"]}
        used = {si["digest_algorithm"].dump() for si in sd["signer_infos"]}
        if declared != used:
            raise ValueError("digest algorithm set differs from the signer infos")
        out = [c.chosen for c in (sd["certificates"] or []) if c.name == "certificate"]
        for si in sd["signer_infos"]:
            for attr in si["unsigned_attrs"] or []:
                if attr["type"].native[:1].isdigit():  # an attribute nobody knows: changed
                    raise ValueError("unknown unsigned attribute")
                if attr["type"].native == "signature_time_stamp_token":
                    for token in attr["values"]:
                        out += carried(token["content"])
        return out

    try:
        certs = [cx509.load_der_x509_certificate(c.dump()) for c in carried(signed_data)]
        pool = certs + [cx509.load_der_x509_certificate(c.dump()) for c in extra]
        for cert in certs:
            issuers = [i for i in pool if i.subject == cert.issuer]
            if not issuers:
                if strict:  # with trust roots given, every carried certificate has its issuer
                    return False
                continue
            if not any(_issued_by(cert, i) for i in issuers):
                return False
    except Exception:  # a certificate that no longer parses was changed
        return False
    return True


def _issued_by(cert: Any, issuer: Any) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except Exception:  # InvalidSignature, or a key/algorithm mismatch
        return False


def _result(pdf: bytes, sha: str, reason: str, *, modified: bool = False) -> VerifyResult:
    return VerifyResult(
        valid=False,
        intact=False,
        trusted=False,
        timestamped=False,
        signer=None,
        signed_at=None,
        modified_after_signing=modified,
        modification_level=None,
        reason=reason,
        sha256=sha,
    )


def verify_pdf(
    pdf_bytes: bytes,
    trust_roots: Sequence[Path | str | bytes] = (),
    *,
    allow_fetching: bool = False,
    timezone: str | None = None,
    zone_label: str = "",
) -> VerifyResult:
    """Validate every signature of ``pdf_bytes`` against ``trust_roots`` (see the module)."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    sha = hashlib.sha256(pdf_bytes).hexdigest()
    if not pdf_bytes.lstrip()[:5].startswith(b"%PDF"):
        return _result(pdf_bytes, sha, "Berkas bukan PDF.")
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        embedded = list(reader.embedded_regular_signatures)
    except (PdfError, ValueError, KeyError, IndexError, TypeError) as e:
        log.info("tte verify: unreadable PDF (%s)", e.__class__.__name__)
        # a signed PDF (it has a byte range) that no longer reads was changed after signing
        return _result(
            pdf_bytes,
            sha,
            "PDF rusak atau telah diubah sehingga tidak dapat dibaca.",
            modified=b"/ByteRange" in pdf_bytes,
        )
    if not embedded:
        return _result(pdf_bytes, sha, "Dokumen tidak memiliki tanda tangan elektronik.")
    roots, others = _load_certs(trust_roots)
    infos: list[SignatureInfo] = []
    for sig in embedded:
        vc = ValidationContext(trust_roots=roots, other_certs=others, allow_fetching=allow_fetching)
        try:
            st = validate_pdf_signature(sig, vc)
        except Exception as e:  # a damaged signature dictionary or CMS blob
            log.info(
                "tte verify: signature %s unreadable (%s)", sig.field_name, e.__class__.__name__
            )
            infos.append(
                SignatureInfo(
                    field=str(sig.field_name),
                    signer=None,
                    signed_at=None,
                    timestamped=False,
                    intact=False,
                    valid=False,
                    trusted=False,
                    coverage="unknown",
                    modification_level=None,
                    docmdp_ok=False,
                    certification=False,
                )
            )
            continue
        padded_ok = _der_padding_clean(
            bytes(sig.sig_object.raw_get("/Contents"))
        ) and _embedded_certs_sound(sig.signed_data, roots + others, strict=bool(roots))
        ts = st.timestamp_validity
        stamped = ts is not None and ts.intact and ts.valid
        # a time-stamp token that is there but broken is a change, not a missing time stamp
        ts_intact = ts is None or bool(ts.intact and ts.valid)
        ts_trusted = ts is None or bool(ts.trusted)
        signed_at = ts.timestamp if stamped and ts is not None else st.signer_reported_dt
        level = st.modification_level
        intact_here = bool(st.intact) and padded_ok and ts_intact
        chain_ok = (
            bool(st.trusted)
            if st.intact
            else _chain_trusted(
                sig,
                ValidationContext(
                    trust_roots=roots, other_certs=others, allow_fetching=allow_fetching
                ),
            )
        )
        infos.append(
            SignatureInfo(
                field=str(sig.field_name),
                signer=_cn(st.signing_cert),
                signed_at=signed_at,
                timestamped=bool(stamped),
                intact=intact_here,
                valid=bool(st.valid),
                trusted=chain_ok and (ts_trusted or not intact_here),
                coverage=st.coverage.name.lower() if st.coverage else "",
                modification_level=level.name.lower() if level is not None else None,
                docmdp_ok=st.docmdp_ok,
                certification=sig.sig_object_type == "/DocTimeStamp"
                or bool(sig.sig_object.get("/Reference")),
            )
        )
    last = infos[-1]
    intact = all(i.intact for i in infos)
    crypto_ok = all(i.valid for i in infos)
    trusted = all(i.trusted for i in infos)
    mdp_ok = all(i.docmdp_ok is not False for i in infos)
    appended = last.coverage != "entire_file" and last.modification_level not in (
        "none",
        "lta_updates",
    )
    modified = appended or not mdp_ok or not intact
    valid = intact and crypto_ok and trusted and not modified
    if not intact:
        reason = "Isi dokumen telah berubah setelah ditandatangani: tanda tangan tidak utuh."
    elif not crypto_ok:
        reason = "Tanda tangan elektronik tidak sah (nilai tanda tangan tidak cocok)."
    elif modified:
        reason = (
            "Dokumen diubah setelah ditandatangani (ada revisi yang ditambahkan "
            "sesudah tanda tangan terakhir)."
        )
    elif not trusted:
        reason = (
            "Tanda tangan utuh, tetapi sertifikat penandatangan tidak berasal dari "
            "otoritas yang dipercaya."
        )
    else:
        reason = (
            f"Tanda tangan sah: dokumen utuh dan tidak diubah sejak ditandatangani oleh "
            f"{last.signer or 'penandatangan'} pada "
            f"{_fmt(last.signed_at, timezone, zone_label)}"
            f"{'' if last.timestamped else ' (tanpa cap waktu)'}."
        )
    return VerifyResult(
        valid=valid,
        intact=intact,
        trusted=trusted,
        timestamped=last.timestamped,
        signer=last.signer,
        signed_at=last.signed_at,
        modified_after_signing=modified,
        modification_level=last.modification_level,
        reason=reason,
        sha256=sha,
        signatures=infos,
    )
