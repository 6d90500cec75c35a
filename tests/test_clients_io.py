"""diklat/clients_io.py and the settings it reads: transport and store from DIKLAT_*."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.archive import ContentStore
from connectors.mail import OutboxTransport, SmtpTransport
from diklat.clients import archive_store, mail_retry, mail_transport
from diklat.naskah.distribusi import HasilKirim
from diklat.settings import get_settings, reset_settings_cache


def fresh(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    reset_settings_cache()


def test_defaults_need_no_server() -> None:
    t = mail_transport()
    assert isinstance(t, OutboxTransport)
    assert t.folder == Path(get_settings().var_dir) / "outbox"
    store = archive_store()
    assert isinstance(store, ContentStore) and store.local
    assert Path(store.root) == (Path(get_settings().var_dir) / "arsip").resolve()
    r = mail_retry()
    assert (r.max_retries, r.budget_seconds) == (4, 120.0)
    assert get_settings().arsip.retensi == {
        "800.2.4.1": 5,
        "800.2.4.2": 5,
        "800.2.4.7": 5,
        "800.1.4.1": 10,
    }


def test_smtp_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh(
        monkeypatch,
        DIKLAT_SMTP__HOST="mail.kukarkab.go.id",
        DIKLAT_SMTP__USERNAME="bkpsdm",
        DIKLAT_SMTP__PASSWORD="rahasia",
        DIKLAT_SMTP__TIMEOUT="12",
    )
    t = mail_transport()
    assert isinstance(t, SmtpTransport)
    assert (t.host, t.port, t.security, t.username, t.timeout) == (
        "mail.kukarkab.go.id",
        587,
        "starttls",
        "bkpsdm",
        12.0,
    )
    assert "rahasia" not in str(get_settings().masked())
    fresh(monkeypatch, DIKLAT_SMTP__SECURITY="ssl")
    t = mail_transport()
    assert isinstance(t, SmtpTransport) and (t.port, t.security) == (465, "ssl")
    fresh(monkeypatch, DIKLAT_SMTP__SECURITY="ssl", DIKLAT_SMTP__PORT="2465")
    assert mail_transport().port == 2465  # type: ignore[attr-defined]
    monkeypatch.delenv("DIKLAT_SMTP__SECURITY")
    monkeypatch.delenv("DIKLAT_SMTP__PORT")
    fresh(monkeypatch, DIKLAT_SMTP__STARTTLS="false")  # the older switch still works
    assert mail_transport().security == "none"  # type: ignore[attr-defined]


def test_archive_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh(
        monkeypatch,
        DIKLAT_ARSIP__URL="memory://arsip-setelan",
        DIKLAT_ARSIP__RETENSI='{"800.2.4.2": 10}',
    )
    store = archive_store()
    assert not store.local and store.url == "memory://arsip-setelan"
    assert get_settings().arsip.retensi == {"800.2.4.2": 10}


def test_results_keep_personal_data_out_of_reprs() -> None:
    h = HasilKirim(1, 2, "pegawai:198001012005011001", "Budi Santoso", "terkirim")
    assert "1980" not in repr(h) and "Budi" not in repr(h)
