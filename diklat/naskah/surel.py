"""E-mails to people (officials' codes and reminders, the operator desk's work), sent through
the configured transport: the file outbox by default, SMTP when configured. Letters to their
recipients go through :mod:`diklat.naskah.distribusi` instead (at most once per recipient)."""

from __future__ import annotations

from dataclasses import dataclass, field

from diklat import waktu
from diklat.settings import Settings, get_settings


@dataclass
class Surat:
    """An e-mail to a person (the caller's transport sends it); ``lampiran``: files as
    (name, bytes, MIME type)."""

    kepada: str
    nama: str
    subjek: str
    isi: str
    lampiran: list[tuple[str, bytes, str]] = field(default_factory=list)


def kirim_surel(surat: Surat, settings: Settings | None = None) -> None:
    """Send one e-mail now (no address: nothing is sent)."""
    from connectors.mail import Attachment, build_message
    from diklat.clients import mail_transport

    if not surat.kepada:
        return
    s = settings or get_settings()
    msg, _mid = build_message(
        sender=s.smtp.sender,
        recipients=[surat.kepada],
        subject=surat.subjek,
        body=surat.isi,
        date=waktu.sekarang(s),
        attachments=[Attachment(n, d, m) for n, d, m in surat.lampiran],
    )
    with mail_transport(s) as transport:
        transport.send(msg)
