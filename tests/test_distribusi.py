"""diklat/naskah/distribusi.py: at most once per (document version, recipient), on both databases,
through the file outbox and a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import multiprocessing
import os
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from mailserver import MailServer, free_port, mail_server
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from connectors.http import RetryPolicy
from connectors.mail import OutboxTransport, SendResult, SmtpTransport, Transport
from diklat.clients import mail_transport
from diklat.db import make_engine, migrate
from diklat.models import Kegiatan, Naskah, NaskahBerkas, Pegawai, UnitKerja
from diklat.models.io import DISTRIBUSI
from diklat.naskah.distribusi import (
    DistribusiError,
    Penerima,
    daftar,
    distribusikan,
    jejak,
    konfirmasi,
    lepas,
    sapaan_pimpinan,
)
from diklat.settings import get_settings

PDF = b"%PDF-1.4\n% surat panggilan bertanda tangan\n" + os.urandom(3000) + b"\n%%EOF\n"
FAST = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.05, budget_seconds=5)


class Crash(BaseException):
    """A process dying mid-step: not an Exception, so nothing in the domain catches it."""


def make_naskah(engine: Engine, folder: Path, pdf: bytes = PDF) -> int:
    f = folder / "surat_panggilan_001.pdf"
    f.write_bytes(pdf)
    with Session(engine) as s, s.begin():
        k = Kegiatan(
            kode="PK-2026-001", sop="peningkatan-kapasitas", nama="Pelatihan Kepemimpinan Pengawas"
        )
        s.add(k)
        s.flush()
        n = Naskah(
            kegiatan_id=k.id,
            jenis="surat_panggilan",
            kunci="",
            versi=1,
            status="terdaftar",
            hal="Panggilan Peserta Pelatihan Kepemimpinan Pengawas",
            nomor="800.2.4.2/034/BKPSDM/2026",
            tanggal=dt.date(2026, 11, 23),
        )
        s.add(n)
        s.flush()
        s.add(
            NaskahBerkas(
                naskah_id=n.id, peran="final_pdf", path=str(f), sha256="0" * 64, ukuran=len(pdf)
            )
        )
        return n.id


def recipients(n: int = 3) -> list[Penerima]:
    return [
        Penerima(
            f"pegawai:19800101200501100{i}", f"Peserta {i}", f"peserta{i}@kukarkab.go.id", "peserta"
        )
        for i in range(n)
    ]


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class CrashingTransport:
    """Wraps a transport; crashes before (or after) handing the first message over."""

    def __init__(self, inner: Transport, *, after: bool = False) -> None:
        self.inner, self.after, self.name = inner, after, inner.name
        self.crashed = False

    def send(self, msg: EmailMessage) -> SendResult:
        if not self.crashed and not self.after:
            self.crashed = True
            raise Crash()
        r = self.inner.send(msg)
        if not self.crashed:
            self.crashed = True
            raise Crash()
        return r

    def was_delivered(self, message_id: str) -> bool | None:
        return self.inner.was_delivered(message_id)

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> CrashingTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rows(engine: Engine) -> list[Any]:
    with engine.connect() as c:
        return list(c.execute(select(DISTRIBUSI).order_by(DISTRIBUSI.c.id)).all())


def outbox_files() -> list[Path]:
    folder = get_settings().outbox_dir
    assert folder is not None
    return sorted(folder.glob("*.eml")) if folder.exists() else []


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    with mail_server() as srv:
        yield srv


def smtp_transport(srv: MailServer) -> SmtpTransport:
    return SmtpTransport(srv.host, srv.port, security="none", timeout=5)


# --------------------------------------------------------------------------- outbox


def test_outbox_mode_writes_one_eml_per_message_once(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nid = make_naskah(engine, tmp_path)
    people = recipients(3) + [
        Penerima("pegawai:198001012005011009", "Tanpa Surel", None, "peserta"),
        Penerima("unit:4.01", "Kepala Dinas Pendidikan", "sekretariat@", "opd"),
    ]
    transport = mail_transport()  # nothing configured: the file outbox under var/outbox
    assert isinstance(transport, OutboxTransport)
    assert transport.folder == Path(get_settings().var_dir) / "outbox"
    res = distribusikan(engine, nid, people, transport=transport, retry=FAST)
    assert res.counts()["terkirim"] == 3 and res.counts()["manual"] == 2
    assert [m.nama for m in res.manual] == ["Tanpa Surel", "Kepala Dinas Pendidikan"]
    files = outbox_files()
    assert len(files) == 3
    ids = {r.message_id for r in rows(engine) if r.status == "terkirim"}
    assert {transport.file_name(m) for m in ids} == {f.name for f in files}
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert [a.get_payload(decode=True) for a in parsed.iter_attachments()] == [PDF]
    body = parsed.get_body(("plain",))
    assert body is not None and "Bersama ini kami sampaikan Surat Panggilan" in body.get_content()
    # a re-run (resumed flow) sends nothing and changes nothing, nor reads the PDF again
    read_bytes = Path.read_bytes

    def no_pdf(self: Path) -> bytes:
        assert self.suffix != ".pdf", f"{self.name} read again for settled deliveries"
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", no_pdf)
    again = distribusikan(engine, nid, people, transport=transport, retry=FAST)
    monkeypatch.undo()
    assert [i.status for i in again.items] == [i.status for i in res.items]
    assert not any(i.baru for i in again.items)
    assert len(outbox_files()) == 3
    sent = [r for r in rows(engine) if r.status == "terkirim"]
    assert all(r.attempts == 1 and r.sent_at is not None and r.saluran == "outbox" for r in sent)
    manual = [r for r in rows(engine) if r.status == "manual"]
    assert {r.error for r in manual} == {"alamat e-mail tidak ada", "alamat e-mail tidak valid"}


def test_crash_between_claim_and_send_then_rerun_delivers_once_outbox(
    engine: Engine, tmp_path: Path
) -> None:
    nid = make_naskah(engine, tmp_path)
    outbox = mail_transport()
    with pytest.raises(Crash):
        distribusikan(engine, nid, recipients(1), transport=CrashingTransport(outbox), retry=FAST)
    (row,) = rows(engine)
    assert row.status == "mengirim" and row.message_id and outbox_files() == []
    claimed_id = row.message_id
    # right after the crash the claim still looks alive: left alone, nothing sent
    res = distribusikan(engine, nid, recipients(1), transport=outbox, retry=FAST)
    assert res.items[0].status == "mengirim" and not res.items[0].baru
    assert outbox_files() == []
    # once the lease is over: no .eml with that Message-ID, so it is sent, once
    res = distribusikan(engine, nid, recipients(1), transport=outbox, retry=FAST, lease_seconds=0)
    assert res.items[0].status == "terkirim" and res.items[0].message_id == claimed_id
    (row,) = rows(engine)
    assert row.status == "terkirim" and row.attempts == 2
    assert [f.name for f in outbox_files()] == [outbox.file_name(claimed_id)]  # type: ignore[attr-defined]
    with Session(engine) as s:
        assert [j["peristiwa"] for j in jejak(s, row.id)] == ["klaim", "klaim_ulang", "terkirim"]


def test_crash_after_outbox_write_is_reconciled_not_rewritten(
    engine: Engine, tmp_path: Path
) -> None:
    nid = make_naskah(engine, tmp_path)
    outbox = mail_transport()
    with pytest.raises(Crash):
        distribusikan(
            engine, nid, recipients(1), transport=CrashingTransport(outbox, after=True), retry=FAST
        )
    assert rows(engine)[0].status == "mengirim" and len(outbox_files()) == 1
    before = outbox_files()[0].stat().st_mtime_ns
    res = distribusikan(engine, nid, recipients(1), transport=outbox, retry=FAST, lease_seconds=0)
    assert res.items[0].status == "terkirim" and res.items[0].baru
    assert len(outbox_files()) == 1 and outbox_files()[0].stat().st_mtime_ns == before
    (row,) = rows(engine)
    assert row.attempts == 1
    with Session(engine) as s:
        assert jejak(s, row.id)[-1]["peristiwa"] == "rekonsiliasi"


def _claim_then_die(url: str, naskah_id: int, var_dir: str) -> None:
    """In a child process: claim, then die inside the send (no cleanup, no exception)."""
    os.environ["DIKLAT_VAR_DIR"] = var_dir

    class Dies(OutboxTransport):
        def send(self, msg: EmailMessage) -> SendResult:
            os._exit(3)

    engine = make_engine(url)
    distribusikan(
        engine, naskah_id, recipients(1), transport=Dies(Path(var_dir) / "outbox"), retry=FAST
    )


def test_process_killed_after_claim_then_rerun_delivers_once(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    nid = make_naskah(engine, tmp_path)
    ctx = multiprocessing.get_context("spawn")
    p = ctx.Process(target=_claim_then_die, args=(db_url, nid, str(get_settings().var_dir)))
    p.start()
    p.join(timeout=120)
    assert p.exitcode == 3
    assert rows(engine)[0].status == "mengirim" and outbox_files() == []
    res = distribusikan(
        engine, nid, recipients(1), transport=mail_transport(), retry=FAST, lease_seconds=0
    )
    assert res.counts()["terkirim"] == 1 and len(outbox_files()) == 1


def _write_then_die(url: str, naskah_id: int, var_dir: str) -> None:
    """In a child process: claim, write the message to the outbox, die before settling."""
    os.environ["DIKLAT_VAR_DIR"] = var_dir

    class WritesThenDies(OutboxTransport):
        def send(self, msg: EmailMessage) -> SendResult:
            super().send(msg)
            os._exit(4)

    engine = make_engine(url)
    distribusikan(
        engine,
        naskah_id,
        recipients(1),
        transport=WritesThenDies(Path(var_dir) / "outbox"),
        retry=FAST,
    )


def test_claim_of_a_dead_process_is_reconciled_at_once_not_after_the_lease(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """A run killed after writing and restarted at once (the lease is minutes long): the
    claim's owner is gone from this host, so the claim is settled from the outbox now,
    instead of being reported as 'being sent by another run'."""
    nid = make_naskah(engine, tmp_path)
    ctx = multiprocessing.get_context("spawn")
    p = ctx.Process(target=_write_then_die, args=(db_url, nid, str(get_settings().var_dir)))
    p.start()
    p.join(timeout=120)
    assert p.exitcode == 4
    assert rows(engine)[0].status == "mengirim" and len(outbox_files()) == 1
    res = distribusikan(engine, nid, recipients(1), transport=mail_transport(), retry=FAST)
    assert res.items[0].status == "terkirim"
    assert len(outbox_files()) == 1 and rows(engine)[0].attempts == 1
    # a live claimant (this process) is still respected within the lease
    second = recipients(2)[1:]
    with pytest.raises(Crash):
        distribusikan(
            engine,
            nid,
            second,
            transport=CrashingTransport(mail_transport(), after=False),
            retry=FAST,
        )
    again = distribusikan(engine, nid, second, transport=mail_transport(), retry=FAST)
    assert again.items[0].status == "mengirim" and len(outbox_files()) == 1


def _write_then_hang(url: str, naskah_id: int, var_dir: str, marker: str) -> None:
    """In a child process: claim, write the message to the outbox, then hang in the send
    (the parent kills it with SIGKILL)."""
    os.environ["DIKLAT_VAR_DIR"] = var_dir

    class Hangs(OutboxTransport):
        def send(self, msg: EmailMessage) -> SendResult:
            super().send(msg)
            Path(marker).write_text("terkirim")
            time.sleep(600)
            raise AssertionError("not killed")

    engine = make_engine(url)
    distribusikan(
        engine, naskah_id, recipients(1), transport=Hangs(Path(var_dir) / "outbox"), retry=FAST
    )


def test_rekonsiliasi_settles_a_claim_of_a_sender_killed_mid_send_at_once(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """kill -9 of the sender while it sends: ``diklat distribusi rekonsiliasi`` settles the
    claim right away (its owner process is gone from this host), not after the lease (630 s
    with the default settings)."""
    import signal
    import subprocess
    import sys

    nid = make_naskah(engine, tmp_path)
    var_dir = str(get_settings().var_dir)
    marker = tmp_path / "marker"
    p = multiprocessing.get_context("spawn").Process(
        target=_write_then_hang, args=(db_url, nid, var_dir, str(marker))
    )
    p.start()
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert p.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(p.pid or 0, signal.SIGKILL)
    p.join(timeout=30)
    assert p.exitcode == -signal.SIGKILL
    (row,) = rows(engine)
    assert row.status == "mengirim" and len(outbox_files()) == 1
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    env.update(DIKLAT_VAR_DIR=var_dir, DIKLAT_DATABASE_URL=db_url)
    res = subprocess.run(
        [str(Path(sys.executable).parent / "diklat"), "distribusi", "rekonsiliasi", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    done = json.loads(res.stdout)
    assert [(d["distribusi_id"], d["status"]) for d in done] == [(row.id, "terkirim")]
    (row,) = rows(engine)
    assert row.status == "terkirim" and row.attempts == 1 and len(outbox_files()) == 1
    with Session(engine) as s:
        assert [j["peristiwa"] for j in jejak(s, row.id)] == ["klaim", "rekonsiliasi"]


# --------------------------------------------------------------------------- SMTP


def test_smtp_delivers_the_signed_pdf(engine: Engine, tmp_path: Path, smtp: MailServer) -> None:
    nid = make_naskah(engine, tmp_path)
    with smtp_transport(smtp) as t:
        res = distribusikan(engine, nid, recipients(3), transport=t, retry=FAST)
    assert res.counts()["terkirim"] == 3
    assert sorted(a.rcpt_tos[0] for a in smtp.arrived) == [
        f"peserta{i}@kukarkab.go.id" for i in range(3)
    ]
    for a in smtp.arrived:
        assert a.message["Subject"].strip() == (
            "Surat Panggilan: Panggilan Peserta Pelatihan Kepemimpinan Pengawas "
            "(Nomor 800.2.4.2/034/BKPSDM/2026)"
        )
        assert a.attachments() == {"800.2.4.2-034-BKPSDM-2026-surat-panggilan.pdf": PDF}
        assert a.message["Message-ID"] in {r.message_id for r in rows(engine)}
    assert all(r.saluran == "smtp" and r.status == "terkirim" for r in rows(engine))


def test_smtp_4xx_once_is_retried_and_delivered_once(
    engine: Engine, tmp_path: Path, smtp: MailServer
) -> None:
    nid = make_naskah(engine, tmp_path)
    smtp.handler.data_replies.append("451 4.3.0 Sistem sibuk, coba lagi")
    sleeps = Sleeps()
    with smtp_transport(smtp) as t:
        res = distribusikan(engine, nid, recipients(1), transport=t, retry=FAST, sleep=sleeps)
    (item,) = res.items
    assert item.status == "terkirim" and item.attempts == 2
    assert len(smtp.arrived) == 1 and smtp.handler.data_seen == 2
    assert len(sleeps.waits) == 1 and 0 <= sleeps.waits[0] <= FAST.backoff_base
    with Session(engine) as s:
        trail = jejak(s, item.distribusi_id or 0)
    assert [j["peristiwa"] for j in trail] == ["klaim", "coba_lagi", "terkirim"]
    assert "451" in (trail[1]["keterangan"] or "")


def test_smtp_refused_recipient_fails_alone_and_is_not_retried(
    engine: Engine, tmp_path: Path, smtp: MailServer
) -> None:
    nid = make_naskah(engine, tmp_path)
    smtp.handler.rcpt_replies["peserta1@kukarkab.go.id"] = "550 5.1.1 Mailbox tidak ada"
    with smtp_transport(smtp) as t:
        res = distribusikan(engine, nid, recipients(3), transport=t, retry=FAST)
        assert [i.status for i in res.items] == ["terkirim", "gagal", "terkirim"]
        assert "550" in (res.items[1].error or "")
        again = distribusikan(engine, nid, recipients(3), transport=t, retry=FAST)
    assert [i.status for i in again.items] == ["terkirim", "gagal", "terkirim"]
    assert len(smtp.arrived) == 2


def test_smtp_crash_between_claim_and_send_needs_an_operator(
    engine: Engine, tmp_path: Path, smtp: MailServer
) -> None:
    nid = make_naskah(engine, tmp_path)
    with smtp_transport(smtp) as t:
        with pytest.raises(Crash):
            distribusikan(engine, nid, recipients(1), transport=CrashingTransport(t), retry=FAST)
        res = distribusikan(engine, nid, recipients(1), transport=t, retry=FAST, lease_seconds=0)
        (item,) = res.items
        assert item.status == "perlu_cek" and item.baru
        assert smtp.arrived == []
        # not resent by later runs either
        distribusikan(engine, nid, recipients(1), transport=t, retry=FAST, lease_seconds=0)
        assert smtp.arrived == []
        with Session(engine) as s:
            assert [d["id"] for d in daftar(s, status="perlu_cek")] == [item.distribusi_id]
        with Session(engine) as s, s.begin():
            with pytest.raises(DistribusiError):
                lepas(s, item.distribusi_id or 0, alasan=" ", oleh="operator")
            released = lepas(
                s,
                item.distribusi_id or 0,
                alasan="log server surel: tidak pernah diterima",
                oleh="rina",
            )
        assert released["status"] == "antri"
        res = distribusikan(engine, nid, recipients(1), transport=t, retry=FAST)
    assert res.items[0].status == "terkirim"
    assert len(smtp.arrived) == 1
    # the resend keeps the Message-ID fixed at the first claim
    assert smtp.arrived[0].message["Message-ID"] == res.items[0].message_id
    with Session(engine) as s:
        trail = jejak(s, item.distribusi_id or 0)
    assert [j["peristiwa"] for j in trail] == [
        "klaim",
        "rekonsiliasi",
        "lepas",
        "klaim",
        "terkirim",
    ]
    assert trail[2]["oleh"] == "rina"


def test_smtp_answer_that_never_came_is_perlu_cek_then_confirmed(
    engine: Engine, tmp_path: Path, smtp: MailServer
) -> None:
    nid = make_naskah(engine, tmp_path)
    smtp.handler.drop_after_data = 1
    with smtp_transport(smtp) as t:
        res = distribusikan(engine, nid, recipients(2), transport=t, retry=FAST)
    assert [i.status for i in res.items] == ["perlu_cek", "terkirim"]
    assert smtp.handler.data_seen == 2  # the first was never resent
    with Session(engine) as s, s.begin():
        with pytest.raises(DistribusiError):  # only perlu_cek/gagal/manual are released
            lepas(s, res.items[1].distribusi_id or 0, alasan="x", oleh="rina")
        done = konfirmasi(
            s,
            res.items[0].distribusi_id or 0,
            alasan="penerima membenarkan surel diterima",
            oleh="rina",
        )
    assert done["status"] == "terkirim" and done["sent_at"]


def test_smtp_login_refused_stops_the_step(engine: Engine, tmp_path: Path) -> None:
    nid = make_naskah(engine, tmp_path)
    with mail_server(tls="starttls", folder=tmp_path, login=("operator", "rahasia")) as srv:
        t = SmtpTransport(
            srv.host,
            srv.port,
            security="starttls",
            username="operator",
            password="salah",
            timeout=5,
            ssl_context=srv.client_context,
        )
        with t, pytest.raises(DistribusiError, match="login SMTP ditolak"):
            distribusikan(engine, nid, recipients(3), transport=t, retry=FAST)
    assert [r.status for r in rows(engine)] == ["tertunda"]  # the others were never claimed


def test_unreachable_server_stops_the_call_and_the_next_run_sends(
    engine: Engine, tmp_path: Path, smtp: MailServer
) -> None:
    nid = make_naskah(engine, tmp_path)
    dead = SmtpTransport("127.0.0.1", free_port(), security="none", timeout=1)
    sleeps = Sleeps()
    res = distribusikan(engine, nid, recipients(3), transport=dead, retry=FAST, sleep=sleeps)
    assert [i.status for i in res.items] == ["tertunda"] * 3
    assert res.terhenti and "tidak dapat dihubungi" in res.terhenti
    assert len(sleeps.waits) == FAST.max_retries  # one budget spent, not three
    assert [r.status for r in rows(engine)] == ["tertunda"]
    assert rows(engine)[0].attempts == FAST.max_retries + 1
    with smtp_transport(smtp) as t:
        res = distribusikan(engine, nid, recipients(3), transport=t, retry=FAST)
    assert res.counts()["terkirim"] == 3 and len(smtp.arrived) == 3


def test_refuses_documents_that_cannot_go_out(engine: Engine, tmp_path: Path) -> None:
    nid = make_naskah(engine, tmp_path)
    with pytest.raises(DistribusiError, match="tidak ada"):
        distribusikan(engine, 999_999, recipients(1), transport=mail_transport())
    with Session(engine) as s, s.begin():
        n = s.get(Naskah, nid)
        assert n is not None
        n.status = "draf"
    with pytest.raises(DistribusiError, match="draf"):
        distribusikan(engine, nid, recipients(1), transport=mail_transport())
    with Session(engine) as s, s.begin():
        n = s.get(Naskah, nid)
        assert n is not None
        n.status = "terdaftar"
        s.query(NaskahBerkas).delete()
    with pytest.raises(DistribusiError, match="PDF"):
        distribusikan(engine, nid, recipients(1), transport=mail_transport())
    assert rows(engine) == []


# --------------------------------------------------------------------------- concurrency


def _distribute_slowly(url: str, naskah_id: int, host: str, port: int, out: Any) -> None:
    class Slow(SmtpTransport):
        def send(self, msg: EmailMessage) -> SendResult:
            time.sleep(0.02)  # keep both processes inside the same deliveries
            return super().send(msg)

    engine = make_engine(url)
    with Slow(host, port, security="none", timeout=10) as t:
        res = distribusikan(engine, naskah_id, recipients(20), transport=t, retry=FAST)
    out.put([(i.penerima, i.status, i.baru) for i in res.items])
    engine.dispose()


def test_two_processes_claiming_the_same_deliveries_send_each_once(
    pg_url: str, tmp_path: Path, smtp: MailServer
) -> None:
    migrate(pg_url)
    engine = make_engine(pg_url)
    nid = make_naskah(engine, tmp_path)
    ctx = multiprocessing.get_context("spawn")
    q: Any = ctx.Queue()
    procs = [
        ctx.Process(target=_distribute_slowly, args=(pg_url, nid, smtp.host, smtp.port, q))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    results = [q.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    sent_by = [sum(1 for _, st, new in r if st == "terkirim" and new) for r in results]
    assert all(len(r) == 20 for r in results)
    assert sum(sent_by) == 20  # every delivery sent by exactly one of the two
    assert sorted(a.rcpt_tos[0] for a in smtp.arrived) == sorted(
        p.email or "" for p in recipients(20)
    )
    with engine.connect() as c:
        assert (
            c.execute(
                select(func.count())
                .select_from(DISTRIBUSI)
                .where(DISTRIBUSI.c.status == "terkirim")
            ).scalar_one()
            == 20
        )
    engine.dispose()


# --------------------------------------------------------------------------- recipients


def test_recipients_from_the_data() -> None:
    p = Pegawai(
        nip="198001012005011001",
        nama="Budi Santoso",
        gelar_belakang="S.E.",
        email=" budi@kukarkab.go.id ",
    )
    r = Penerima.dari_pegawai(p)
    assert (r.kunci, r.nama, r.email, r.peran) == (
        "pegawai:198001012005011001",
        "Budi Santoso, S.E.",
        "budi@kukarkab.go.id",
        "peserta",
    )
    assert "budi" not in repr(r) and "1980" not in repr(r)
    u = Penerima.dari_unit(UnitKerja(kode="1.02", nama="Kecamatan Loa Kulu", email=None))
    assert (u.kunci, u.nama, u.email) == ("unit:1.02", "Camat Loa Kulu", None)
    assert sapaan_pimpinan("Dinas Pendidikan") == "Kepala Dinas Pendidikan"
    assert sapaan_pimpinan("Sekretariat Daerah") == "Sekretaris Daerah"
    assert sapaan_pimpinan("Inspektorat Daerah") == "Inspektur"
    assert sapaan_pimpinan("RSUD A.M. Parikesit") == "Direktur RSUD A.M. Parikesit"
    assert sapaan_pimpinan("Kelurahan Timbau") == "Lurah Timbau"


def test_rekonsiliasi_settles_stale_claims_of_any_run(
    engine: Engine, tmp_path: Path, smtp: MailServer
) -> None:
    from diklat.naskah.distribusi import rekonsiliasi

    nid = make_naskah(engine, tmp_path)
    outbox = mail_transport()
    people = recipients(3)
    with pytest.raises(Crash):  # claimed, never written
        distribusikan(engine, nid, people[:1], transport=CrashingTransport(outbox), retry=FAST)
    with pytest.raises(Crash):  # written, never settled
        distribusikan(
            engine, nid, people[1:2], transport=CrashingTransport(outbox, after=True), retry=FAST
        )
    with smtp_transport(smtp) as t, pytest.raises(Crash):  # SMTP: cannot tell
        distribusikan(engine, nid, people[2:], transport=CrashingTransport(t), retry=FAST)
    assert rekonsiliasi(engine, outbox) == []  # still within the lease: left alone
    done = rekonsiliasi(engine, outbox, lease_seconds=0)
    # the SMTP claim cannot be judged by the outbox (it went another way): perlu_cek
    assert [h.status for h in done] == ["tertunda", "terkirim", "perlu_cek"]
    assert rekonsiliasi(engine, outbox, lease_seconds=0) == []
    res = distribusikan(engine, nid, people[:1], transport=outbox, retry=FAST)
    assert res.items[0].status == "terkirim" and len(outbox_files()) == 2


def test_claim_token_names_its_own_process_when_the_pid_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The owner part of a claim token is read once per process id: a process with another
    id (a forked worker) names itself, not the process it came from, so its claims are
    reconciled once it is gone."""
    import subprocess

    from diklat.naskah import distribusi as dist

    mine = dist._token()
    assert mine[6:14] == f"{os.getpid():08x}" and dist._token()[:20] == mine[:20]
    other = subprocess.Popen(["sleep", "30"])
    try:
        monkeypatch.setattr(dist.os, "getpid", lambda: other.pid)  # as in that process
        theirs = dist._token()
        monkeypatch.undo()
        assert theirs[6:14] == f"{other.pid:08x}" and theirs[14:20] != mine[14:20]
        assert not dist._pemilik_mati(theirs)  # alive
    finally:
        other.kill()
        other.wait()
    assert dist._pemilik_mati(theirs) and not dist._pemilik_mati(mine)
    assert dist._token()[:20] == mine[:20]  # this process again
