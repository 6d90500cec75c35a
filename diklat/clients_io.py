"""Where the settings meet the mail and archive connectors: build them from ``Settings``.

The connectors take plain parameters and never import ``diklat``; this module reads the
settings and builds them, so that flows, tasks and commands get a transport or a store with one
call. (To be folded into the composition module with the other client builders.)
"""

from __future__ import annotations

from connectors.archive import ContentStore
from connectors.http import RetryPolicy
from connectors.mail import OutboxTransport, SmtpTransport, Transport
from diklat.settings import Settings, get_settings


def mail_transport(settings: Settings | None = None) -> Transport:
    """SMTP when ``DIKLAT_SMTP__HOST`` is set, else the file outbox (``var/outbox``)."""
    s = settings or get_settings()
    smtp = s.smtp
    if smtp.host:
        return SmtpTransport(
            smtp.host, smtp.port, security=smtp.security, username=smtp.username,
            password=smtp.password.get_secret_value() if smtp.password else None,
            timeout=smtp.timeout)
    assert s.outbox_dir is not None  # derived by Settings
    return OutboxTransport(s.outbox_dir)


def mail_retry(settings: Settings | None = None) -> RetryPolicy:
    """The retry budget for one message (transient failures only)."""
    smtp = (settings or get_settings()).smtp
    return RetryPolicy(max_retries=smtp.max_retries, backoff_base=smtp.backoff_base,
                       backoff_max=smtp.backoff_max,
                       budget_seconds=smtp.retry_budget_seconds)


def archive_store(settings: Settings | None = None) -> ContentStore:
    """The archive: ``DIKLAT_ARSIP__URL`` (any fsspec URL) or the ``arsip`` folder in var."""
    s = settings or get_settings()
    return ContentStore(s.arsip.url or str(s.archive_dir))
