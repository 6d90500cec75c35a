"""A real SMTP server on loopback for the tests (aiosmtpd), with what arrived and faults.

``MailServer`` records every accepted message (envelope and parsed MIME) and can be told to
answer the next DATA with a given reply (``451`` once), to refuse a recipient, or to drop the
connection after the message content arrived (the "answer never came" case). Optional
STARTTLS / implicit TLS with a throw-away self-signed certificate, and a login.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Arrived:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg

    def attachments(self) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for part in self.message.iter_attachments():
            assert isinstance(part, EmailMessage)
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            out[part.get_filename() or ""] = payload
        return out


@dataclass
class Handler:
    arrived: list[Arrived] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)  # next DATA answers, in order
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # address -> reply
    drop_after_data: int = 0  # drop the connection after this many DATA contents
    data_seen: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.data_seen += 1
            if self.drop_after_data:
                self.drop_after_data -= 1
                server.transport.abort()  # the content arrived; the answer never leaves
                return "250 OK"
            if self.data_replies:
                return self.data_replies.pop(0)
            self.arrived.append(
                Arrived(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    bytes(envelope.original_content or envelope.content),
                )
            )
        return "250 2.0.0 OK diterima"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost and its key (PEM files)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Auth:
    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username
            and auth_data.password == self.password
        )
        return AuthResult(success=ok, handled=False)


@dataclass
class MailServer:
    host: str
    port: int
    handler: Handler
    client_context: ssl.SSLContext | None = None

    @property
    def arrived(self) -> list[Arrived]:
        return self.handler.arrived


@contextmanager
def mail_server(
    *, tls: str = "none", folder: Path | None = None, login: tuple[str, str] | None = None
) -> Iterator[MailServer]:
    """``tls``: ``none``, ``starttls`` (required) or ``ssl`` (implicit TLS)."""
    handler = Handler()
    kwargs: dict[str, Any] = {}
    client_ctx: ssl.SSLContext | None = None
    if tls != "none":
        assert folder is not None
        cert, key = self_signed(folder)
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(cert, key)
        client_ctx = ssl.create_default_context(cafile=str(cert))
        if tls == "starttls":
            kwargs.update(tls_context=server_ctx, require_starttls=True)
        else:
            kwargs.update(ssl_context=server_ctx)
    if login:
        # aiosmtpd only counts STARTTLS as TLS for AUTH; implicit TLS is TLS all along.
        kwargs.update(
            authenticator=_Auth(*login), auth_required=True, auth_require_tls=tls == "starttls"
        )
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        ready_timeout=10,
        **kwargs,
    )
    controller.start()
    try:
        yield MailServer("127.0.0.1", port, handler, client_ctx)
    finally:
        controller.stop()
