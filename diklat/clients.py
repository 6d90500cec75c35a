"""Where the layers meet: clients of the outside systems built from the settings.

``connectors/`` knows HTTP, tokens and payload shapes but nothing of this product's settings
(it never imports ``diklat``); the domain knows the settings. This one module turns settings
into connector objects, so a setting is read in one place and a connector stays testable
with plain arguments::

    from diklat.clients import simpeg_client
    with simpeg_client(get_settings()) as simpeg:
        ...

SIMPEG and SIASN clients, the mail transport (file outbox or SMTP) and its retry budget, the
archive's content store, the electronic-signature signer and its trust roots, and where
LibreOffice conversions work (under the var folder).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.http import HttpClient, RetryPolicy
from connectors.siasn import SiasnClient, TokenManager
from connectors.simpeg import SimpegClient
from diklat.settings import KonfigurasiSalah, Settings, Siasn, get_settings

if TYPE_CHECKING:  # imported where used: a sync never loads the mail, archive or PDF signer
    from connectors.archive import ContentStore
    from connectors.mail import Transport
    from connectors.tte.model import Signer


def http_options(settings: Settings | None = None) -> dict[str, Any]:
    """Keyword arguments of :class:`connectors.http.HttpClient` from ``settings.http``:
    timeouts and the retry policy (the only layer that retries a call)."""
    h = (settings or get_settings()).http
    return {
        "connect_timeout": h.connect_timeout,
        "read_timeout": h.read_timeout,
        "retry": RetryPolicy(
            max_retries=h.max_retries,
            backoff_base=h.backoff_base,
            backoff_max=h.backoff_max,
            budget_seconds=h.retry_budget_seconds,
            unreachable_budget_seconds=h.unreachable_budget_seconds,
        ),
    }


def simpeg_client(settings: Settings | None = None) -> SimpegClient:
    """The region's SIMPEG (``settings.simpeg``)."""
    st = settings or get_settings()
    s = st.simpeg
    http = HttpClient(
        s.url,
        name="simpeg",
        headers={"X-API-Key": s.api_key.get_secret_value()},
        **http_options(st),
    )
    return SimpegClient(http, page_size=s.page_size)


def _loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (where the bundled simulator listens)."""
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return host in ("localhost", "::1", "0.0.0.0") or host.startswith("127.")


def siasn_token_url(s: Siasn) -> str:
    """The gateway token's URL: ``token_url``, else ``url`` + ``token_path``."""
    return s.token_url or f"{s.url.rstrip('/')}/{s.token_path.lstrip('/')}"


def check_siasn(s: Siasn) -> None:
    """Refuse a configuration that points the API at a real SIASN (or a proxy) while the
    token or SSO URL still points at the simulator on this machine: the operator's password
    and the consumer secret would go to the wrong place, and nothing would work. Raises
    :class:`KonfigurasiSalah` with one line for the operator."""
    if _loopback(s.url):
        return  # the simulator (tests, the demo)
    stale = []
    if _loopback(siasn_token_url(s)):
        stale.append("DIKLAT_SIASN__TOKEN_URL")
    if s.sso_token is None and _loopback(s.sso_url):
        stale.append("DIKLAT_SIASN__SSO_URL")
    if stale:
        raise KonfigurasiSalah(
            f"DIKLAT_SIASN__URL menunjuk SIASN sungguhan tetapi {' dan '.join(stale)} masih ke "
            "simulator di mesin ini; isi alamat token gateway dan SSO BKN (lihat docs/siasn.md) "
            "sebelum menjalankan apa pun ke SIASN"
        )


def siasn_client(settings: Settings | None = None, pool_size: int | None = None) -> SiasnClient:
    """BKN's SIASN (``settings.siasn``) with both token kinds; ``pool_size`` defaults to twice
    the configured concurrency. Refuses a half-real configuration (:func:`check_siasn`)."""
    st = settings or get_settings()
    s = st.siasn
    check_siasn(s)
    http = HttpClient(
        s.url, name="siasn", pool_size=max(4, pool_size or s.concurrency * 2), **http_options(st)
    )
    sso_url = f"{s.sso_url.rstrip('/')}/auth/realms/{s.sso_realm}/protocol/openid-connect/token"
    tokens = TokenManager(
        http,
        token_url=siasn_token_url(s),
        consumer_key=s.consumer_key.get_secret_value(),
        consumer_secret=s.consumer_secret.get_secret_value(),
        sso_token_url=sso_url,
        sso_client_id=s.sso_client_id,
        username=s.username,
        password=s.password.get_secret_value() if s.password else None,
        sso_token=s.sso_token.get_secret_value() if s.sso_token else None,
    )
    return SiasnClient(http, tokens, s.base_path, st.instansi.instansi_siasn_id)


# --------------------------------------------------------------------------- mail, archive


def mail_transport(settings: Settings | None = None) -> Transport:
    """SMTP when ``DIKLAT_SMTP__HOST`` is set, else the file outbox (``var/outbox``)."""
    from connectors.mail import OutboxTransport, SmtpTransport

    s = settings or get_settings()
    smtp = s.smtp
    if smtp.host:
        return SmtpTransport(
            smtp.host,
            smtp.port,
            security=smtp.security,
            username=smtp.username,
            password=smtp.password.get_secret_value() if smtp.password else None,
            timeout=smtp.timeout,
        )
    assert s.outbox_dir is not None  # derived by Settings
    return OutboxTransport(s.outbox_dir)


def mail_retry(settings: Settings | None = None) -> RetryPolicy:
    """The retry budget for one message (transient failures only)."""
    smtp = (settings or get_settings()).smtp
    return RetryPolicy(
        max_retries=smtp.max_retries,
        backoff_base=smtp.backoff_base,
        backoff_max=smtp.backoff_max,
        budget_seconds=smtp.retry_budget_seconds,
    )


def archive_store(settings: Settings | None = None) -> ContentStore:
    """The archive: ``DIKLAT_ARSIP__URL`` (any fsspec URL) or the ``arsip`` folder in var."""
    from connectors.archive import ContentStore

    s = settings or get_settings()
    return ContentStore(s.arsip.url or str(s.archive_dir))


# --------------------------------------------------------------------------- signatures


def ca_dir(settings: Settings | None = None) -> Path:
    s = settings or get_settings()
    return Path(s.tte.ca_dir or s.var_dir / "tte")


def signer_from_settings(settings: Settings | None = None) -> Signer:
    """``LocalSigner`` over ``tte.ca_dir`` (mode ``local``), or a ``BsreSigner`` on
    ``tte.bsre_url`` with API ``tte.bsre_api`` and ``tte.timeout`` (mode ``bsre``)."""
    from connectors.tte.bsre import BsreSigner
    from connectors.tte.local import LocalSigner

    s = settings or get_settings()
    t = s.tte
    if t.mode == "bsre":
        return BsreSigner(
            t.bsre_url,
            api=t.bsre_api,
            username=t.bsre_username or None,
            password=t.bsre_password.get_secret_value() or None,
            timeout=t.timeout,
            connect_timeout=s.http.connect_timeout,
        )
    return LocalSigner(
        ca_dir(s),
        tsa_url=t.tsa_url or None,
        tsa_username=t.tsa_username or None,
        tsa_password=t.tsa_password.get_secret_value() or None,
        tsa_timeout=t.tsa_timeout,
    )


def trust_roots(settings: Settings | None = None) -> list[Path]:
    """The PEM files a verification trusts: ``tte.trust_roots``, else the local CA's root."""
    from connectors.tte.local_ca import root_cert_path

    s = settings or get_settings()
    return list(s.tte.trust_roots) or [root_cert_path(ca_dir(s))]


# --------------------------------------------------------------------------- PDF conversion


def pdf_work_root(settings: Settings | None = None) -> Path:
    """Where LibreOffice conversions work (letter text, NIPs): ``<var>/tmp/pdf``, private to
    this installation, cleaned of killed conversions' folders at every conversion's start."""
    s = settings or get_settings()
    return Path(s.var_dir) / "tmp" / "pdf"


def convert_pdf(
    docx_paths: Sequence[Path], out_dir: Path, settings: Settings | None = None
) -> list[Path] | None:
    """:func:`connectors.pdf.convert_batch` working under :func:`pdf_work_root` (``None``
    when LibreOffice is not installed)."""
    from connectors.pdf import convert_batch

    return convert_batch(docx_paths, out_dir, work_root=pdf_work_root(settings))
