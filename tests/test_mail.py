"""connectors/mail.py: messages, the file outbox and SMTP against a real server on loopback."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from pathlib import Path

import pytest
from mailserver import free_port, mail_server

from connectors.mail import (
    Attachment,
    MailConfigError,
    OutboxTransport,
    PermanentMailError,
    SmtpTransport,
    TransientMailError,
    UnknownOutcomeError,
    build_message,
    classify,
    new_message_id,
    scrub_addresses,
    valid_address,
)

# aiosmtpd warns about AUTH over implicit TLS, which it does not count as TLS (it is).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning")

PDF = b"%PDF-1.4\n% surat\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def _msg(to: str = "peserta@kukarkab.go.id", mid: str | None = None):  # type: ignore[no-untyped-def]
    return build_message(
        sender="BKPSDM <bkpsdm@kukarkab.go.id>",
        recipients=[to],
        subject="Surat Panggilan: Pelatihan Kepemimpinan (Nomor 800.2.4.2/034/BKPSDM/2026)",
        body="Yth. Budi Santoso,\n\nBersama ini kami sampaikan surat panggilan.\n",
        attachments=[Attachment("surat_panggilan.pdf", PDF)],
        message_id=mid,
    )


def test_valid_address() -> None:
    assert valid_address("budi.santoso@kukarkab.go.id")
    assert valid_address("a+b@x.co")
    for bad in (
        None,
        "",
        "budi",
        "budi@",
        "@x.id",
        "budi@x",
        "budi @x.id",
        "a..b@x.id",
        "budi@x.id.",
        "Budi <budi@x.id>",
        "budi@-x.id",
    ):
        assert not valid_address(bad), bad


def test_build_message_round_trip(tmp_path: Path) -> None:
    f = tmp_path / "sk.pdf"
    f.write_bytes(PDF)
    msg, mid = build_message(
        sender="BKPSDM <bkpsdm@kukarkab.go.id>",
        recipients=["a@x.go.id", "b@x.go.id"],
        subject="Undangan Pembukaan",
        body="Yth. Bapak/Ibu,\n\nDengan hormat, kami mengundang …\n",
        attachments=[f],
    )
    assert mid.startswith("<") and mid.endswith("@kukarkab.go.id>")
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == mid
    assert parsed["Date"]
    assert parsed["Subject"] == "Undangan Pembukaan"
    assert parsed["To"] == "a@x.go.id, b@x.go.id"
    body = parsed.get_body(("plain",))
    assert body is not None and "mengundang …" in body.get_content()
    (att,) = list(parsed.iter_attachments())
    assert att.get_filename() == "sk.pdf"
    assert att.get_content_type() == "application/pdf"
    assert att.get_payload(decode=True) == PDF
    assert new_message_id("x.id") != new_message_id("x.id")


def test_outbox_writes_one_eml_per_message_and_detects_a_second_write(tmp_path: Path) -> None:
    out = OutboxTransport(tmp_path / "outbox")
    msg, mid = _msg()
    r1 = out.send(msg)
    assert not r1.duplicate and out.was_delivered(mid)
    r2 = out.send(msg)  # the same Message-ID again: detected, nothing written
    assert r2.duplicate and r2.location == r1.location
    other, mid2 = _msg()
    out.send(other)
    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert files == sorted([out.file_name(mid), out.file_name(mid2)])  # no temporary left
    parsed = email.message_from_bytes(
        Path(r1.location or "").read_bytes(), policy=email.policy.default
    )
    assert parsed["Message-ID"] == mid
    assert [a.get_payload(decode=True) for a in parsed.iter_attachments()] == [PDF]
    assert not out.was_delivered(new_message_id())


def test_outbox_write_failure_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = OutboxTransport(tmp_path / "outbox")
    msg, mid = _msg()

    def boom(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("connectors.mail.os.fsync", boom)
    with pytest.raises(TransientMailError):
        out.send(msg)
    assert list((tmp_path / "outbox").iterdir()) == []
    assert not out.was_delivered(mid)


def test_smtp_delivers_what_was_built() -> None:
    with mail_server() as srv, SmtpTransport(srv.host, srv.port, security="none", timeout=5) as t:
        for i in range(3):
            msg, mid = _msg(f"peserta{i}@kukarkab.go.id")
            r = t.send(msg)
            assert r.message_id == mid and not r.duplicate
        assert t.connections == 1  # one connection for the three messages
    assert [a.rcpt_tos for a in srv.arrived] == [[f"peserta{i}@kukarkab.go.id"] for i in range(3)]
    first = srv.arrived[0]
    assert first.mail_from == "bkpsdm@kukarkab.go.id"
    assert first.message["Subject"].strip().startswith("Surat Panggilan: Pelatihan Kepemimpinan")
    assert first.attachments() == {"surat_panggilan.pdf": PDF}


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_smtp_tls_and_login(tls: str, tmp_path: Path) -> None:
    with mail_server(tls=tls, folder=tmp_path, login=("operator", "rahasia")) as srv:
        good = SmtpTransport(
            srv.host,
            srv.port,
            security=tls,  # type: ignore[arg-type]
            username="operator",
            password="rahasia",
            timeout=5,
            ssl_context=srv.client_context,
        )
        with good:
            good.send(_msg()[0])
        assert len(srv.arrived) == 1
        bad = SmtpTransport(
            srv.host,
            srv.port,
            security=tls,  # type: ignore[arg-type]
            username="operator",
            password="salah",
            timeout=5,
            ssl_context=srv.client_context,
        )
        with bad, pytest.raises(MailConfigError) as e:
            bad.send(_msg()[0])
        assert e.value.code == 535
        untrusted = SmtpTransport(
            srv.host,
            srv.port,
            security=tls,  # type: ignore[arg-type]
            username="operator",
            password="rahasia",
            timeout=5,
        )
        with untrusted, pytest.raises(MailConfigError):
            untrusted.send(_msg()[0])
    assert len(srv.arrived) == 1


def test_smtp_4xx_is_transient_5xx_permanent_and_the_connection_survives() -> None:
    with mail_server() as srv, SmtpTransport(srv.host, srv.port, security="none", timeout=5) as t:
        srv.handler.data_replies.append("451 4.3.0 Coba lagi nanti")
        with pytest.raises(TransientMailError) as e:
            t.send(_msg()[0])
        assert e.value.code == 451 and e.value.outcome == "not_sent"
        srv.handler.rcpt_replies["salah@kukarkab.go.id"] = (
            "550 5.1.1 <salah@kukarkab.go.id>: Recipient address rejected"
        )
        with pytest.raises(PermanentMailError) as p:
            t.send(_msg("salah@kukarkab.go.id")[0])
        assert p.value.code == 550
        assert "salah@" not in str(p.value)  # addresses blanked in reasons
        srv.handler.rcpt_replies["penuh@kukarkab.go.id"] = "452 4.2.2 Mailbox full"
        with pytest.raises(TransientMailError):
            t.send(_msg("penuh@kukarkab.go.id")[0])
        t.send(_msg()[0])
        assert t.connections == 1
    assert len(srv.arrived) == 1


def test_smtp_drop_after_data_is_an_unknown_outcome() -> None:
    with mail_server() as srv, SmtpTransport(srv.host, srv.port, security="none", timeout=5) as t:
        srv.handler.drop_after_data = 1
        with pytest.raises(UnknownOutcomeError) as e:
            t.send(_msg()[0])
        assert e.value.outcome == "unknown"
        assert t.was_delivered("<x@y>") is None
        t.send(_msg()[0])  # reconnects
        assert t.connections == 2


def test_smtp_refused_connection_and_timeout_are_transient() -> None:
    with pytest.raises(TransientMailError):
        SmtpTransport("127.0.0.1", free_port(), security="none", timeout=2).send(_msg()[0])
    # a server that accepts the connection and never says a word
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    held: list[socket.socket] = []
    t = threading.Thread(target=lambda: held.append(silent.accept()[0]), daemon=True)
    t.start()
    try:
        with pytest.raises(TransientMailError) as e:
            SmtpTransport("127.0.0.1", silent.getsockname()[1], security="none", timeout=0.5).send(
                _msg()[0]
            )
        assert e.value.outcome == "not_sent"
    finally:
        for c in held:
            c.close()
        silent.close()


def test_classify_unknown_only_after_the_content() -> None:
    import smtplib

    dropped = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    assert isinstance(classify(dropped, content_sent=False), TransientMailError)
    assert isinstance(classify(dropped, content_sent=True), UnknownOutcomeError)
    assert isinstance(classify(TimeoutError(), content_sent=True), UnknownOutcomeError)
    assert isinstance(
        classify(smtplib.SMTPDataError(554, b"rejected"), content_sent=True), PermanentMailError
    )
    assert isinstance(classify(ConnectionResetError()), TransientMailError)
    assert isinstance(
        classify(smtplib.SMTPSenderRefused(421, b"busy", "a@b.c")), TransientMailError
    )
    assert scrub_addresses("550 <budi@x.go.id> unknown") == "550 <<alamat>> unknown"
