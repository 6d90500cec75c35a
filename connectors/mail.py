"""Outgoing e-mail: MIME messages and two transports behind one interface.

* :func:`build_message` makes a plain-text message with PDF attachments, a ``Date`` and a
  Message-ID (generated here by :func:`new_message_id` unless the caller fixed one already, as
  the distribution does when it claims a delivery).
* :class:`OutboxTransport` writes one ``.eml`` per message into a folder (the embedded default:
  no mail server needed). The file name comes from the Message-ID and the file is written
  atomically (temporary file, fsync, then a hard link that refuses to replace), so a second
  write of the same message is detected and reported as ``duplicate`` instead of writing twice.
* :class:`SmtpTransport` talks to a real server (``starttls``, ``ssl`` or ``none``; optional
  login), keeps one connection open across messages and checks it before reuse.

Failures come out as typed errors the caller decides on:

* :class:`TransientMailError`: nothing was delivered and trying again later may work
  (refused/reset connection, timeout, DNS, a 4xx reply, a drop before the message content
  went out);
* :class:`PermanentMailError`: the server refused this message for good (5xx, recipient
  refused); retrying the same message will not help;
* :class:`MailConfigError`: the transport itself is misconfigured (login refused, STARTTLS not
  offered, certificate not trusted): no message can go out until someone fixes the settings;
* :class:`UnknownOutcomeError`: the connection dropped after the whole message (with its
  final ``.``) was handed to the server and before its reply: it **may have been delivered**.
  Sending it again could deliver it twice, so the caller must reconcile, not resend.

No ``diklat`` or ``prefect`` import: configuration arrives as parameters. Nothing personal is
logged: log lines carry the Message-ID, the transport and the SMTP code, never an address;
reply texts kept on errors have e-mail addresses blanked out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.policy
import email.utils
import errno
import logging
import os
import re
import smtplib
import socket
import ssl
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

log = logging.getLogger("diklat.connectors.mail")

Security = Literal["starttls", "ssl", "none"]

# A pragmatic check, not RFC 5322: one @, a dot in the domain, no spaces or brackets. The
# addresses come from personnel data typed by hand; the server has the last word anyway.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_ANY_ADDRESS = re.compile(r"[^\s<>()\"',;:]+@[^\s<>()\"',;:]+")


def valid_address(address: str | None) -> bool:
    """Whether ``address`` is a usable bare e-mail address (``nama@domain.go.id``)."""
    if not address or len(address) > 254:
        return False
    local, _, domain = address.partition("@")
    if len(local) > 64 or ".." in address or local.startswith(".") or local.endswith("."):
        return False
    return bool(_ADDRESS.match(address)) and not domain.endswith("-")


def scrub_addresses(text: str | None, limit: int = 300) -> str | None:
    """``text`` shortened, with every e-mail address replaced by ``<alamat>``."""
    if text is None:
        return None
    cut = _ANY_ADDRESS.sub("<alamat>", text)
    return cut[:limit] + ("…" if len(cut) > limit else "")


def new_message_id(domain: str = "localhost") -> str:
    """A globally unique Message-ID, ``<hex.diklat@domain>`` (safe as a file name)."""
    dom = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "localhost"
    return f"<{uuid.uuid4().hex}.diklat@{dom}>"


def domain_of(address: str) -> str:
    """The domain of an address, also inside ``Nama <a@b>``; ``localhost`` if none."""
    addr = email.utils.parseaddr(address)[1]
    return addr.rpartition("@")[2] or "localhost"


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class Attachment:
    """One attached file, held in memory (signed letters are tens of kilobytes)."""

    filename: str
    data: bytes
    mime_type: str = "application/pdf"

    @classmethod
    def from_path(cls, path: Path | str, mime_type: str | None = None) -> Attachment:
        p = Path(path)
        guessed = "application/pdf" if p.suffix.lower() == ".pdf" else "application/octet-stream"
        return cls(p.name, p.read_bytes(), mime_type or guessed)


def build_message(
    *,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    body: str,
    attachments: Sequence[Attachment | Path | str] = (),
    message_id: str | None = None,
    date: dt.datetime | None = None,
    reply_to: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[EmailMessage, str]:
    """A plain-text message (UTF-8, quoted-printable) with the attachments; returns the
    message and its Message-ID. ``date`` defaults to now (UTC); pass an aware datetime in
    the agency's time zone to show local time."""
    if not recipients:
        raise ValueError("a message needs at least one recipient")
    mid = message_id or new_message_id(domain_of(sender))
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(date or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = mid
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    if reply_to:
        msg["Reply-To"] = reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body, charset="utf-8", cte="quoted-printable")
    for att in attachments:
        a = att if isinstance(att, Attachment) else Attachment.from_path(att)
        maintype, _, subtype = a.mime_type.partition("/")
        msg.add_attachment(
            a.data, maintype=maintype, subtype=subtype or "octet-stream", filename=a.filename
        )
    return msg, mid


def envelope(msg: EmailMessage) -> tuple[str, list[str]]:
    """(sender, recipients) of a message: From, and To + Cc + Bcc."""
    sender = email.utils.parseaddr(str(msg.get("Sender") or msg.get("From") or ""))[1]
    fields = [str(v) for key in ("To", "Cc", "Bcc") for v in msg.get_all(key, [])]
    rcpts = [a for _, a in email.utils.getaddresses(fields) if a]
    return sender, rcpts


# --------------------------------------------------------------------------- errors


class MailError(Exception):
    """A message that did not (surely) go out. ``code`` is the SMTP reply code when there was
    one; ``reply`` its text with addresses blanked out."""

    retriable = False
    #: "not_sent": surely not delivered; "unknown": may have been delivered.
    outcome: Literal["not_sent", "unknown"] = "not_sent"

    def __init__(self, message: str, *, code: int | None = None, reply: str | None = None) -> None:
        super().__init__(message)
        self.message = scrub_addresses(message) or ""
        self.code = code
        self.reply = scrub_addresses(reply)

    def __str__(self) -> str:
        code = f"SMTP {self.code}: " if self.code is not None else ""
        reply = f" ({self.reply})" if self.reply else ""
        return f"{code}{self.message}{reply}"


class TransientMailError(MailError):
    """Not delivered; may work later (connection refused/reset, timeout, 4xx)."""

    retriable = True


class PermanentMailError(MailError):
    """Refused for good (5xx, recipient refused): do not send this message again as is."""


class MailConfigError(MailError):
    """The transport cannot send anything (login refused, TLS not offered or not trusted)."""


class UnknownOutcomeError(MailError):
    """The whole message was sent but the server's final answer never came: it may have been
    delivered. Reconcile; never resend blindly."""

    outcome = "unknown"


# --------------------------------------------------------------------------- transports


@dataclass(frozen=True)
class SendResult:
    """A message handed over. ``duplicate``: the outbox already had this Message-ID (a
    second write of the same message, nothing written); ``location``: the ``.eml`` file."""

    message_id: str
    transport: str
    duplicate: bool = False
    reply: str | None = None
    location: str | None = None


@runtime_checkable
class Transport(Protocol):
    """What the distribution needs from a transport."""

    name: str

    def send(self, msg: EmailMessage) -> SendResult:
        """Deliver one message or raise a :class:`MailError`."""
        ...

    def was_delivered(self, message_id: str) -> bool | None:
        """Whether a message with this Message-ID surely went out (True), surely did not
        (False), or cannot be told (None, e.g. SMTP)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Transport: ...

    def __exit__(self, *exc: object) -> None: ...


def _message_id_of(msg: EmailMessage) -> str:
    mid = msg.get("Message-ID")
    if not mid:
        raise ValueError("message has no Message-ID (build it with build_message)")
    return str(mid).strip()


class OutboxTransport:
    """One ``.eml`` per message in ``folder``, named after the Message-ID."""

    name = "outbox"

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def __enter__(self) -> OutboxTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    @staticmethod
    def file_name(message_id: str) -> str:
        """``<abc.diklat@host>`` -> ``abc.diklat@host.eml`` (other characters become ``_``)."""
        core = message_id.strip().strip("<>")
        safe = re.sub(r"[^A-Za-z0-9._@+-]", "_", core).lstrip(".")
        if not safe:
            raise ValueError("empty Message-ID")
        return f"{safe[:200]}.eml"

    def path_for(self, message_id: str) -> Path:
        return self.folder / self.file_name(message_id)

    def was_delivered(self, message_id: str) -> bool:
        return self.path_for(message_id).exists()

    def send(self, msg: EmailMessage) -> SendResult:
        mid = _message_id_of(msg)
        final = self.path_for(mid)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            data = msg.as_bytes(policy=email.policy.SMTP)
            written = _write_new_file(final, data)
        except OSError as e:  # disk full, permissions: nothing at the final name
            raise TransientMailError(
                f"outbox tidak dapat ditulis: {e.__class__.__name__}"
                f" ({errno.errorcode.get(e.errno or 0, e.errno)})"
            ) from e
        if not written:
            log.info("outbox: %s already written, not written again", mid)
        return SendResult(mid, self.name, duplicate=not written, location=str(final))


def _write_new_file(final: Path, data: bytes) -> bool:
    """Write ``data`` to ``final`` atomically and never over an existing file: a hidden
    temporary file in the same folder, fsync, hard link to the final name (fails if it
    exists), unlink the temporary, fsync the folder. False when ``final`` already existed."""
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, final)
        except FileExistsError:
            return False
        except OSError as e:  # a filesystem without hard links
            if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            if final.exists():
                return False
            os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _fsync_dir(final.parent)
    return True


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class _TrackingSMTP(smtplib.SMTP):
    """``smtplib.SMTP`` that remembers whether the message content (ending in ``.``) has
    been handed to the socket during DATA: a drop after that point is an unknown outcome,
    a drop before it is not (a server never accepts a message without its final dot)."""

    content_sent = False
    _in_data = False
    _data_command_sent = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self._in_data, self._data_command_sent = True, False
        try:
            return super().data(msg)
        finally:
            self._in_data = False

    def send(self, s: Any) -> None:
        super().send(s)
        if self._in_data:
            if self._data_command_sent:
                self.content_sent = True
            self._data_command_sent = True


class _TrackingSMTPSSL(_TrackingSMTP, smtplib.SMTP_SSL):
    pass


class SmtpTransport:
    """SMTP with ``security`` ``starttls`` (port 587), ``ssl`` (465) or ``none`` (25 or a
    relay on the local network); login when ``username`` is given. Not thread-safe: one
    transport per worker."""

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if security not in ("starttls", "ssl", "none"):
            raise ValueError(f"security must be starttls, ssl or none, not {security!r}")
        self.host = host
        self.port = port
        self.security: Security = security
        self.username = username
        self._password = password
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname
        self._conn: _TrackingSMTP | None = None
        self.connections = 0  # opened so far (for tests and measurements)

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                conn.quit()
            with contextlib.suppress(Exception):
                conn.close()

    def was_delivered(self, message_id: str) -> None:
        return None  # SMTP gives no way to ask afterwards

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _open(self) -> _TrackingSMTP:
        conn: _TrackingSMTP
        if self.security == "ssl":
            conn = _TrackingSMTPSSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=self._context(),
            )
        else:
            conn = _TrackingSMTP(
                self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
            )
        self.connections += 1
        try:
            conn.ehlo()
            if self.security == "starttls":
                conn.starttls(context=self._context())
                conn.ehlo()
            if self.username:
                conn.login(self.username, self._password or "")
        except BaseException:
            with contextlib.suppress(Exception):
                conn.close()
            raise
        return conn

    def _connection(self) -> _TrackingSMTP:
        """The open connection if it still answers, else a new one."""
        if self._conn is not None:
            try:
                code, _ = self._conn.noop()
                if code == 250:
                    return self._conn
            except (smtplib.SMTPException, OSError):
                pass
            self.close()
        self._conn = self._open()
        return self._conn

    def send(self, msg: EmailMessage) -> SendResult:
        mid = _message_id_of(msg)
        sender, rcpts = envelope(msg)
        if not rcpts:
            raise PermanentMailError("pesan tanpa penerima")
        conn: _TrackingSMTP | None = None
        try:
            conn = self._connection()
            conn.content_sent = False
            refused = conn.send_message(msg, from_addr=sender, to_addrs=rcpts)
        except Exception as e:
            err = classify(e, content_sent=bool(conn and conn.content_sent))
            if err.code is None or isinstance(err, MailConfigError):
                # No clean reply: the connection's state is unknown, start afresh next time.
                # (After a clean 4xx/5xx reply smtplib has reset the transaction; a server
                # that closed after a 421 is noticed by the NOOP before the next message.)
                self.close()
            log.log(
                logging.WARNING if err.outcome == "unknown" else logging.INFO,
                "smtp %s: %s %s",
                mid,
                err.__class__.__name__,
                err.code or "",
            )
            raise err from e
        if refused:  # some recipients refused, others accepted: delivered to the others
            log.warning("smtp %s: %d of %d recipients refused", mid, len(refused), len(rcpts))
        log.debug("smtp %s: accepted", mid)
        return SendResult(mid, self.name, reply="250")


def classify(e: BaseException, *, content_sent: bool = False) -> MailError:
    """Map what ``smtplib``/``ssl``/``socket`` raised to the typed errors above."""
    if isinstance(e, MailError):
        return e
    name = e.__class__.__name__
    if isinstance(e, smtplib.SMTPAuthenticationError):
        return MailConfigError("login SMTP ditolak", code=e.smtp_code, reply=_text(e.smtp_error))
    if isinstance(e, smtplib.SMTPNotSupportedError):
        return MailConfigError(f"server SMTP tidak mendukung: {e}")
    if isinstance(e, ssl.SSLCertVerificationError):
        return MailConfigError(f"sertifikat TLS server SMTP tidak dipercaya: {e.verify_message}")
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in e.recipients.values()]
        replies = "; ".join(_text(r) for _, r in e.recipients.values())
        code = max(codes) if codes else None
        if codes and all(400 <= c < 500 for c in codes):
            return TransientMailError("penerima ditunda server", code=code, reply=replies)
        return PermanentMailError("penerima ditolak", code=code, reply=replies)
    if isinstance(e, smtplib.SMTPResponseException):
        code = e.smtp_code
        reply = _text(e.smtp_error)
        what = {
            smtplib.SMTPSenderRefused: "pengirim ditolak",
            smtplib.SMTPDataError: "isi pesan ditolak",
            smtplib.SMTPConnectError: "sambungan ditolak",
            smtplib.SMTPHeloError: "salam (HELO) ditolak",
        }.get(type(e), "ditolak server")
        if 400 <= code < 500:
            return TransientMailError(f"{what} sementara", code=code, reply=reply)
        if code >= 500:
            return PermanentMailError(what, code=code, reply=reply)
        # -1 and friends: smtplib's own "no proper reply"
        return (UnknownOutcomeError if content_sent else TransientMailError)(
            f"balasan server tidak terbaca ({name})", code=None, reply=reply
        )
    if isinstance(e, (smtplib.SMTPServerDisconnected, OSError)):
        # OSError covers refused/reset connections, timeouts (socket.timeout), DNS errors
        # (socket.gaierror) and TLS failures (ssl.SSLError) during the handshake.
        if content_sent:
            return UnknownOutcomeError(
                f"sambungan putus setelah pesan terkirim, sebelum balasan server ({name})"
            )
        if isinstance(e, socket.gaierror):
            return TransientMailError(f"nama server SMTP tidak ditemukan ({name})")
        return TransientMailError(f"sambungan SMTP gagal ({name}: {_os_reason(e)})")
    if isinstance(e, smtplib.SMTPException):
        return (UnknownOutcomeError if content_sent else TransientMailError)(f"galat SMTP ({name})")
    return (UnknownOutcomeError if content_sent else PermanentMailError)(
        f"galat tak terduga saat mengirim ({name})"
    )


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _os_reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.errno is not None:
        return errno.errorcode.get(e.errno, str(e.errno))
    return str(e)[:80] or e.__class__.__name__
