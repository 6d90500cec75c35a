"""The local certificate authority of the ``local`` signer: a root, a time-stamping (TSA)
certificate and one signing certificate per official, kept as files under one folder.

Layout (folders 0700, private keys 0600, never in a database)::

    <folder>/ca.json                      organisation, creation time, key size
    <folder>/root/cert.pem  root/key.pem  the root (self-signed, path length 0)
    <folder>/tsa/cert.pem   tsa/key.pem   time stamps (EKU timeStamping, critical)
    <folder>/signers/<key_id>/cert.pem    one official (CN, title, NIP in serialNumber)
    <folder>/signers/<key_id>/key.pem
    <folder>/signers/<key_id>/old/<serial>/   certificates replaced by a re-issue

Everything is idempotent: :func:`init_ca` on an existing folder loads it (and adds a missing TSA
certificate); :func:`issue_signer` returns the existing certificate when the identity is
unchanged and still valid for ``renew_before_days``, and re-issues (archiving the old files)
when the name, title or NIP changed. A passphrase, when given, encrypts that one key file
(PKCS#8, best available encryption); it is used for that call only and never stored. A file
lock serialises writers, so two processes initialising the same folder do not collide.

Letters signed with these certificates are *not* certified by BSrE: the caller must never print
the BSrE sentence on them (see :mod:`connectors.tte.stamp`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "CaError",
    "CaInfo",
    "KeyLocked",
    "SignerCertificate",
    "init_ca",
    "issue_signer",
    "list_signers",
    "load_ca",
    "load_private_key",
    "load_signer",
    "root_cert_path",
]

_KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class CaError(RuntimeError):
    """The CA folder is missing, incomplete or inconsistent; the message says what to do."""


class KeyLocked(CaError):
    """A key file is encrypted and the passphrase is missing or wrong. The message never
    contains the passphrase."""


@dataclass(frozen=True)
class CaInfo:
    """What :func:`init_ca` made or found."""

    folder: Path
    org_name: str
    root_cert: Path
    tsa_cert: Path
    created: bool  # False when the root already existed
    root_subject: str
    root_sha256: str  # fingerprint of the root certificate (DER)


@dataclass(frozen=True)
class SignerCertificate:
    """One official's certificate on disk (the key stays in ``key_path``)."""

    key_id: str
    common_name: str
    title: str
    nip: str
    serial: int
    not_before: dt.datetime
    not_after: dt.datetime
    cert_path: Path
    key_path: Path
    encrypted: bool
    created: bool  # False when an existing certificate was returned
    organization: str = ""  # O: the government the official serves
    unit: str = ""  # OU: the office he signs for (e.g. the Sekretariat Daerah)


# --------------------------------------------------------------------------- files


def _root_dir(folder: Path) -> Path:
    return Path(folder) / "root"


def root_cert_path(folder: Path | str) -> Path:
    """The PEM file of the root: the trust anchor a verifier needs."""
    return _root_dir(Path(folder)) / "cert.pem"


def _tsa_dir(folder: Path) -> Path:
    return Path(folder) / "tsa"


def _signer_dir(folder: Path, key_id: str) -> Path:
    if not _KEY_ID.match(key_id):
        raise CaError(
            f"key_id tidak sah: {key_id!r} (huruf, angka, titik, garis bawah, "
            f"tanda hubung; maks. 64)"
        )
    return Path(folder) / "signers" / key_id


def _mkdir_private(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` with ``mode`` from the first byte on (no window in which a
    key file is world-readable), then rename into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    _mkdir_private(folder)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _key_bytes(key: PrivateKeyTypes, passphrase: str | None) -> bytes:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def load_private_key(path: Path, passphrase: str | None = None) -> PrivateKeyTypes:
    """Read a key file; :class:`KeyLocked` when it is encrypted and ``passphrase`` is missing
    or wrong."""
    data = Path(path).read_bytes()
    pw = passphrase.encode("utf-8") if passphrase else None
    try:
        return serialization.load_pem_private_key(data, password=pw)
    except TypeError as e:  # encrypted but no password, or a password for a plain key
        if pw is None:
            raise KeyLocked(
                f"kunci {Path(path).parent.name} terkunci: passphrase diperlukan"
            ) from None
        raise KeyLocked(
            f"kunci {Path(path).parent.name} tidak terenkripsi, tetapi passphrase diberikan"
        ) from e
    except ValueError:
        raise KeyLocked(f"passphrase kunci {Path(path).parent.name} salah") from None


def _is_encrypted(path: Path) -> bool:
    return b"ENCRYPTED" in Path(path).read_bytes()[:64]


def _load_cert(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(Path(path).read_bytes())
    except FileNotFoundError:
        raise CaError(f"sertifikat tidak ada: {path}") from None


# --------------------------------------------------------------------------- building


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _name(
    cn: str,
    org: str,
    *,
    title: str | None = None,
    serial: str | None = None,
    unit: str | None = None,
) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
    ]
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    if title:
        attrs.append(x509.NameAttribute(NameOID.TITLE, title[:64]))
    if serial:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn[:64]))
    return x509.Name(attrs)


def _new_key(key_size: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def _key_usage(**on: bool) -> x509.KeyUsage:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{n: on.get(n, False) for n in names})


def _build_root(org: str, key: rsa.RSAPrivateKey, years: int) -> x509.Certificate:
    now = _now()
    name = _name(f"{org} Root CA (lokal)", org, unit="Tanda Tangan Elektronik Lokal")
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )


def _build_leaf(
    subject: x509.Name,
    public_key: rsa.RSAPublicKey,
    root: x509.Certificate,
    root_key: PrivateKeyTypes,
    days: int,
    *,
    tsa: bool,
) -> x509.Certificate:
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=days), root.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if tsa:
        builder = builder.add_extension(
            _key_usage(digital_signature=True, content_commitment=True), critical=True
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    else:
        builder = builder.add_extension(
            _key_usage(digital_signature=True, content_commitment=True), critical=True
        )
    return builder.sign(root_key, hashes.SHA256())  # type: ignore[arg-type]


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


# --------------------------------------------------------------------------- public


def init_ca(
    folder: Path | str,
    org_name: str,
    *,
    ca_passphrase: str | None = None,
    tsa_passphrase: str | None = None,
    key_size: int = 3072,
    root_years: int = 20,
    tsa_years: int = 10,
) -> CaInfo:
    """Create the root and the TSA certificate under ``folder`` (idempotent).

    An existing root is never replaced (``org_name`` is then only informative); a missing TSA
    certificate is added, which needs the root key (``ca_passphrase`` when it is encrypted)."""
    folder = Path(folder)
    with _locked(folder):
        root_dir, tsa_dir = _root_dir(folder), _tsa_dir(folder)
        created = False
        if (root_dir / "cert.pem").is_file():
            root = _load_cert(root_dir / "cert.pem")
            meta = (
                json.loads((folder / "ca.json").read_text(encoding="utf-8"))
                if (folder / "ca.json").is_file()
                else {}
            )
            org = str(meta.get("org_name") or org_name)
        else:
            org = org_name.strip()
            if not org:
                raise CaError("nama organisasi CA tidak boleh kosong")
            _mkdir_private(root_dir)
            root_key = _new_key(key_size)
            root = _build_root(org, root_key, root_years)
            _write_atomic(root_dir / "key.pem", _key_bytes(root_key, ca_passphrase), 0o600)
            _write_atomic(root_dir / "cert.pem", _pem(root), 0o644)
            _write_atomic(
                folder / "ca.json",
                json.dumps(
                    {
                        "org_name": org,
                        "created_at": _now().isoformat(),
                        "key_size": key_size,
                        "root_sha256": _fingerprint(root),
                    },
                    indent=2,
                ).encode(),
                0o644,
            )
            created = True
        if not (tsa_dir / "cert.pem").is_file():
            root_key_loaded = load_private_key(root_dir / "key.pem", ca_passphrase)
            _mkdir_private(tsa_dir)
            tsa_key = _new_key(min(key_size, 3072))
            tsa = _build_leaf(
                _name(f"{org} TSA (lokal)", org, unit="Tanda Tangan Elektronik Lokal"),
                tsa_key.public_key(),
                root,
                root_key_loaded,
                365 * tsa_years,
                tsa=True,
            )
            _write_atomic(tsa_dir / "key.pem", _key_bytes(tsa_key, tsa_passphrase), 0o600)
            _write_atomic(tsa_dir / "cert.pem", _pem(tsa), 0o644)
        return CaInfo(
            folder=folder,
            org_name=org,
            root_cert=root_dir / "cert.pem",
            tsa_cert=tsa_dir / "cert.pem",
            created=created,
            root_subject=root.subject.rfc4514_string(),
            root_sha256=_fingerprint(root),
        )


def load_ca(folder: Path | str) -> CaInfo:
    """The CA under ``folder``; :class:`CaError` (saying to run ``diklat tte init``) if none."""
    folder = Path(folder)
    if not root_cert_path(folder).is_file() or not (_tsa_dir(folder) / "cert.pem").is_file():
        raise CaError(f"CA lokal belum dibuat di {folder}: jalankan `diklat tte init`")
    root = _load_cert(root_cert_path(folder))
    meta = (
        json.loads((folder / "ca.json").read_text(encoding="utf-8"))
        if (folder / "ca.json").is_file()
        else {}
    )
    org = str(meta.get("org_name") or root.subject.rfc4514_string())
    return CaInfo(
        folder=folder,
        org_name=org,
        root_cert=root_cert_path(folder),
        tsa_cert=_tsa_dir(folder) / "cert.pem",
        created=False,
        root_subject=root.subject.rfc4514_string(),
        root_sha256=_fingerprint(root),
    )


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    vals = name.get_attributes_for_oid(oid)
    return str(vals[0].value) if vals else ""


def _signer_from_files(key_id: str, d: Path, created: bool) -> SignerCertificate:
    cert = _load_cert(d / "cert.pem")
    return SignerCertificate(
        key_id=key_id,
        common_name=_attr(cert.subject, NameOID.COMMON_NAME),
        title=_attr(cert.subject, NameOID.TITLE),
        nip=_attr(cert.subject, NameOID.SERIAL_NUMBER),
        organization=_attr(cert.subject, NameOID.ORGANIZATION_NAME),
        unit=_attr(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME),
        serial=cert.serial_number,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        cert_path=d / "cert.pem",
        key_path=d / "key.pem",
        encrypted=_is_encrypted(d / "key.pem"),
        created=created,
    )


def load_signer(folder: Path | str, key_id: str) -> SignerCertificate:
    """The certificate of ``key_id``; :class:`CaError` when it has not been issued."""
    d = _signer_dir(Path(folder), key_id)
    if not (d / "cert.pem").is_file() or not (d / "key.pem").is_file():
        raise CaError(f"belum ada sertifikat untuk {key_id}: terbitkan dengan issue_signer")
    return _signer_from_files(key_id, d, created=False)


def list_signers(folder: Path | str) -> list[SignerCertificate]:
    base = Path(folder) / "signers"
    if not base.is_dir():
        return []
    return [
        _signer_from_files(d.name, d, False)
        for d in sorted(base.iterdir())
        if (d / "cert.pem").is_file() and (d / "key.pem").is_file()
    ]


def issue_signer(
    folder: Path | str,
    key_id: str,
    common_name: str,
    title: str,
    nip: str,
    *,
    organization: str | None = None,
    unit: str | None = None,
    passphrase: str | None = None,
    ca_passphrase: str | None = None,
    days: int = 730,
    renew_before_days: int = 30,
    key_size: int = 2048,
) -> SignerCertificate:
    """Issue (or return) the signing certificate of one official.

    ``common_name`` is the name as printed (with titles), ``title`` the position, ``nip`` the
    18-digit NIP (kept in the subject's serialNumber; never a NIK); ``organization`` (O,
    default the CA's organisation) and ``unit`` (OU) name whom he signs for, e.g. the
    government and its Sekretariat Daerah. A changed name, title, NIP, O or OU re-issues the
    certificate. ``passphrase`` encrypts the new key file; it is not needed to return an
    existing certificate."""
    folder = Path(folder)
    info = load_ca(folder)
    d = _signer_dir(folder, key_id)
    cn, title, nip = common_name.strip(), title.strip(), re.sub(r"\D", "", nip)
    org = (organization or info.org_name).strip()[:64]
    ou = (unit or "").strip()[:64]
    if not cn:
        raise CaError("nama penandatangan tidak boleh kosong")
    with _locked(folder):
        if (d / "cert.pem").is_file() and (d / "key.pem").is_file():
            current = _signer_from_files(key_id, d, created=False)
            fresh = current.not_after - _now() > dt.timedelta(days=renew_before_days)
            if (
                current.common_name,
                current.title,
                current.nip,
                current.organization,
                current.unit,
            ) == (cn[:64], title[:64], nip, org, ou) and fresh:
                return current
            old = d / "old" / f"{current.serial:x}"
            _mkdir_private(old)
            for f in ("cert.pem", "key.pem"):
                shutil.move(str(d / f), str(old / f))
        root = _load_cert(info.root_cert)
        root_key = load_private_key(_root_dir(folder) / "key.pem", ca_passphrase)
        _mkdir_private(d.parent)
        _mkdir_private(d)
        key = _new_key(key_size)
        cert = _build_leaf(
            _name(cn, org, title=title or None, serial=nip or None, unit=ou or None),
            key.public_key(),
            root,
            root_key,
            days,
            tsa=False,
        )
        _write_atomic(d / "key.pem", _key_bytes(key, passphrase), 0o600)
        _write_atomic(d / "cert.pem", _pem(cert), 0o644)
        return _signer_from_files(key_id, d, created=True)
