"""Distribution: e-mail a document version (its signed PDF) to each recipient at most once.

Rules (issue 16, "Distribution"):

* a delivery is one ``distribusi`` row per **(naskah_id, penerima)**: ``penerima`` is the
  recipient's stable key (``pegawai:<nip>``, ``unit:<kode>``, ``pejabat:<id>``, or the address
  itself), not the address, so a corrected address never makes a second delivery;
* the row is **claimed before anything is sent**, in its own committed transaction: status
  ``mengirim``, a fresh claim token, ``klaim_at``, the attempt counted, and the Message-ID
  fixed (generated at the first claim and kept for the life of the row, so the outbox file
  name and the recipient's mail system can recognise a repeat);
* then the message is sent and the row **settled** in a second transaction: ``terkirim``
  (time, Message-ID), ``gagal`` (refused for good, with the reason), ``tertunda`` (transient
  failures outlived the retry budget: surely not delivered, the next run tries again) or
  ``perlu_cek`` (the SMTP answer never came: it may have arrived);
* transient failures (4xx, refused/reset connection, timeout) are retried with exponential
  backoff and full jitter within ``RetryPolicy`` (attempts and seconds); every attempt is
  counted in the row, every transition written to ``distribusi_jejak``;
* a recipient without a valid e-mail address is recorded as ``manual`` (to be delivered by
  hand, with a receipt) and returned in the result: never an exception. ``manual`` stays
  ``manual`` even once an address appears (the letter may have been handed over already)
  until an operator releases it;
* a row found in ``mengirim`` is never resent blindly. While its claim is younger than the
  lease and its process (named in the claim token: host, process id, process start) is
  alive, it belongs to a run that is still sending, and is left alone. Older, or made by a
  process gone from this host, it is **reconciled**: the outbox can tell (the ``.eml`` named after the Message-ID exists ->
  ``terkirim``; it does not -> nothing was delivered, so the row is claimed again and sent with
  the same Message-ID); SMTP cannot, so the row becomes ``perlu_cek`` and waits for an
  operator, who either releases it for resending (:func:`lepas`, ``diklat distribusi lepas``)
  or confirms it arrived (:func:`konfirmasi`), both audited;
* a misconfigured transport (login refused, TLS) stops the whole call with
  :class:`DistribusiError` after putting the current row back (``tertunda``); a server that
  cannot be reached at all stops the call too (the remaining recipients are not claimed and
  are reported ``tertunda``) rather than spending the retry budget once per recipient.

Concurrency: the claim is ``INSERT ... ON CONFLICT (naskah_id, penerima) DO NOTHING``, or for
an existing row an ``UPDATE ... WHERE status IN ('antri', 'tertunda')``; both are atomic, so
of two runs (threads, processes, machines) claiming the same delivery exactly one wins and
the other sees ``mengirim``. A settle only lands while the row still carries the claim token
it was made with (compare-and-set), so a run that lost its claim (lease expired, operator
action, another run) never overwrites a newer decision.

Transactions: unlike the register, these functions **commit**, because a message cannot be
rolled back: :func:`distribusikan` takes an ``Engine`` and runs each claim and settle in its
own short transaction (never holding one open during network I/O). The operator functions
(:func:`daftar`, :func:`lepas`, :func:`konfirmasi`) take a ``Session`` and leave the
transaction to the caller.

Personal data: addresses and NIPs live in the table only; logs carry ids and counts.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import os
import random
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select, update
from sqlalchemy.orm import Session

from connectors.http import RetryPolicy
from connectors.mail import (
    Attachment,
    MailConfigError,
    MailError,
    PermanentMailError,
    TransientMailError,
    Transport,
    UnknownOutcomeError,
    build_message,
    domain_of,
    new_message_id,
    valid_address,
)
from diklat import runs, waktu
from diklat.models import Naskah, Pegawai, Pejabat, UnitKerja
from diklat.models.base import utcnow
from diklat.models.io import DISTRIBUSI, DISTRIBUSI_JEJAK, STATUS_DISTRIBUSI
from diklat.naskah import status as naskah_status
from diklat.rules.tanggal import tanggal_indonesia
from diklat.settings import Settings, get_settings

log = logging.getLogger("diklat.naskah.distribusi")

#: A claim may be taken (again) from these states.
DAPAT_DIKLAIM = ("antri", "tertunda")
#: Final for the automatic runs: only an operator moves them on.
SELESAI = ("terkirim", "gagal", "perlu_cek", "manual")
#: An operator may release these for resending (``lepas``) ...
DAPAT_DILEPAS = ("perlu_cek", "gagal", "manual")
#: ... or confirm them delivered (``konfirmasi``: checked with the recipient, or handed over
#: in person with a receipt).
DAPAT_DIKONFIRMASI = ("perlu_cek", "manual", "tertunda", "gagal")
#: Document states that must never go out: not yet decided on, returned, refused, voided.
TIDAK_DIKIRIM = tuple(s for s in naskah_status.STATUS if s not in naskah_status.SIAP_FINAL)
#: The file a document goes out as: the signed PDF when there is one, else the final PDF.
BERKAS_KIRIM = ("ttd_pdf", "final_pdf")

D = DISTRIBUSI.c


class DistribusiError(Exception):
    """A distribution that cannot run at all (no such document, no PDF, transport
    misconfigured). One line, meant for the operator."""


# --------------------------------------------------------------------------- recipients


@dataclass(frozen=True)
class Penerima:
    """One recipient of a document. ``kunci`` is its stable identity for at-most-once."""

    kunci: str
    nama: str
    email: str | None = None
    peran: str | None = None  # opd / peserta / narasumber / pejabat / penyelenggara

    def __repr__(self) -> str:  # no address: reprs end up in logs
        return f"Penerima({self.kunci.split(':', 1)[0]}, {self.peran!r})"

    @classmethod
    def dari_pegawai(cls, p: Pegawai, peran: str = "peserta") -> Penerima:
        return cls(f"pegawai:{p.nip}", p.nama_lengkap, (p.email or "").strip() or None, peran)

    @classmethod
    def dari_unit(cls, u: UnitKerja, peran: str = "opd") -> Penerima:
        """An agency, addressed to its head by the head's own title."""
        return cls(
            f"unit:{u.kode}", sapaan_pimpinan(u.nama), (u.email or "").strip() or None, peran
        )

    @classmethod
    def dari_pejabat(cls, p: Pejabat, peran: str = "pejabat") -> Penerima:
        return cls(f"pejabat:{p.id}", p.nama, (p.email or "").strip() or None, peran)


def sapaan_pimpinan(nama_unit: str) -> str:
    """``Dinas Pendidikan`` -> ``Kepala Dinas Pendidikan``; ``Kecamatan Loa Kulu`` ->
    ``Camat Loa Kulu`` (the one rule of the letters: :func:`konteks.sebutan_kepala`)."""
    from diklat.naskah.konteks import sebutan_kepala

    return sebutan_kepala(nama_unit)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class HasilKirim:
    """Where one delivery stands after this call. ``baru``: this call changed it (sent,
    failed, reconciled, recorded as manual); False: found as it was."""

    distribusi_id: int | None
    naskah_id: int
    penerima: str
    nama: str
    status: str
    message_id: str | None = None
    attempts: int = 0
    error: str | None = None
    baru: bool = False

    def __repr__(self) -> str:  # no recipient key (it may hold a NIP) or name: logs
        return (
            f"HasilKirim(distribusi_id={self.distribusi_id}, naskah_id={self.naskah_id}, "
            f"status={self.status!r}, attempts={self.attempts}, baru={self.baru})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "distribusi_id": self.distribusi_id,
            "naskah_id": self.naskah_id,
            "penerima": self.penerima,
            "nama": self.nama,
            "status": self.status,
            "message_id": self.message_id,
            "attempts": self.attempts,
            "error": self.error,
            "baru": self.baru,
        }


@dataclass
class HasilDistribusi:
    """The result of one distribution step. ``terhenti``: why the call stopped early."""

    items: list[HasilKirim] = field(default_factory=list)
    terhenti: str | None = None

    def counts(self) -> dict[str, int]:
        """Deliveries per status (every status present, zero when none): for artifacts."""
        c = Counter(i.status for i in self.items)
        return {s: c.get(s, 0) for s in STATUS_DISTRIBUSI}

    def dengan_status(self, *status: str) -> list[HasilKirim]:
        return [i for i in self.items if i.status in status]

    @property
    def manual(self) -> list[HasilKirim]:
        """To be delivered by hand (no valid address), with a receipt."""
        return self.dengan_status("manual")

    @property
    def perlu_cek(self) -> list[HasilKirim]:
        return self.dengan_status("perlu_cek")

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "terhenti": self.terhenti,
            "items": [i.as_dict() for i in self.items],
        }


# --------------------------------------------------------------------------- texts


def judul_jenis(jenis: str) -> str:
    """A document type as words: ``surat_panggilan`` -> ``Surat Panggilan``."""
    special = {
        "sk_panitia": "Keputusan Pembentukan Panitia",
        "laporan_kegiatan": "Laporan Kegiatan",
    }
    return special.get(jenis, jenis.replace("_", " ").title())


def subjek_bawaan(naskah: Naskah) -> str:
    """``Surat Panggilan: <hal> (Nomor 800.2.4.2/034/BKPSDM/2026)``."""
    head = judul_jenis(naskah.jenis)
    if naskah.hal:
        head = f"{head}: {naskah.hal}"
    if naskah.nomor:
        head = f"{head} (Nomor {naskah.nomor})"
    return head[:300]


def isi_bawaan(naskah: Naskah, penerima: Penerima, settings: Settings) -> str:
    """The plain-text body: a short covering note in Indonesian; the letter is attached."""
    ins = settings.instansi
    nomor = f" Nomor {naskah.nomor}" if naskah.nomor else ""
    tanggal = f" tanggal {tanggal_indonesia(naskah.tanggal)}" if naskah.tanggal else ""
    hal = f" perihal {naskah.hal}" if naskah.hal else ""
    return (
        f"Yth. {penerima.nama},\n\n"
        f"Bersama ini kami sampaikan {judul_jenis(naskah.jenis)}{nomor}{tanggal}{hal}, "
        f"sebagaimana terlampir dalam berkas PDF.\n\n"
        f"Mohon naskah ini diterima dan ditindaklanjuti sebagaimana mestinya. Atas perhatian "
        f"dan kerja samanya, kami ucapkan terima kasih.\n\n"
        f"Hormat kami,\n"
        f"{ins.nama.title()} ({ins.singkatan})\n"
        f"{ins.pemerintah.title()}\n"
        f"{ins.alamat}, telp. {ins.telepon}, {ins.email}\n\n"
        f"--\n"
        f"Surel ini dikirim otomatis oleh sistem diklat-flows; mohon tidak membalas surel ini.\n"
    )


# --------------------------------------------------------------------------- the step


@dataclass(frozen=True)
class _Klaim:
    distribusi_id: int
    token: str
    message_id: str
    attempts: int


@dataclass(frozen=True)
class _Dokumen:
    naskah_id: int
    kegiatan_id: int | None
    berkas: tuple[tuple[Path, str | None], ...]  # a file and the name it goes out under
    subjek: str
    naskah: Naskah

    @functools.cached_property
    def lampiran(self) -> tuple[Attachment, ...]:
        """The attachments, read when the first message is built: a letter whose deliveries
        are all settled already (most of a later pass) never reads its PDF again."""
        return tuple(
            Attachment(name, f.read_bytes()) if name else Attachment.from_path(f)
            for f, name in self.berkas
        )


def lease_bawaan(retry: RetryPolicy, timeout: float = 30.0) -> float:
    """How long a claim is presumed alive: the retry budget, each attempt's SMTP timeouts
    (connect, commands, DATA) and a margin. A claim older than this is reconciled."""
    return retry.budget_seconds + (retry.max_retries + 1) * 3 * timeout + 60.0


def distribusikan(
    engine: Engine,
    naskah_id: int,
    penerima: Iterable[Penerima],
    *,
    transport: Transport,
    pengirim: str | None = None,
    subjek: str | None = None,
    isi: str | Callable[[Penerima], str] | None = None,
    lampiran: Sequence[Path] | None = None,
    retry: RetryPolicy | None = None,
    lease_seconds: float | None = None,
    settings: Settings | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> HasilDistribusi:
    """Send document version ``naskah_id`` to each recipient at most once (see the module
    rules). ``lampiran`` defaults to the document's PDF; ``subjek`` and ``isi`` to an
    Indonesian covering note; ``retry`` and ``pengirim`` to the SMTP settings. Returns every
    recipient's state (``manual`` ones included); raises :class:`DistribusiError` only when
    nothing can be sent (no document, no PDF, transport misconfigured)."""
    s = settings or get_settings()
    if retry is None:
        from diklat.clients import mail_retry

        retry = mail_retry(s)
    lease = lease_seconds if lease_seconds is not None else lease_bawaan(retry, s.smtp.timeout)
    sender = pengirim or s.smtp.sender
    rnd = rng or random.Random()
    dok = _dokumen(engine, naskah_id, lampiran, subjek)
    hasil = HasilDistribusi()
    seen: set[str] = set()
    for p in penerima:
        if p.kunci in seen:
            continue
        seen.add(p.kunci)
        if not valid_address(p.email):
            hasil.items.append(_catat_manual(engine, dok, p))
            continue
        if hasil.terhenti:  # not claimed: the next run sends them
            hasil.items.append(
                HasilKirim(None, naskah_id, p.kunci, p.nama, "tertunda", error=hasil.terhenti)
            )
            continue
        item, klaim = _klaim(engine, dok, p, transport, sender, lease)
        if klaim is None:
            assert item is not None
            hasil.items.append(item)
            continue
        body = isi(p) if callable(isi) else (isi or isi_bawaan(dok.naskah, p, s))
        msg, _ = build_message(
            sender=sender,
            recipients=[p.email or ""],
            subject=dok.subjek,
            body=body,
            attachments=dok.lampiran,
            message_id=klaim.message_id,
            date=waktu.sekarang(s),
        )
        done, stop = _kirim(engine, transport, msg, klaim, dok, p, retry, sleep, rnd)
        hasil.items.append(done)
        if stop is not None:
            if isinstance(stop, MailConfigError):
                raise DistribusiError(f"pengiriman dihentikan: {stop}") from stop
            hasil.terhenti = f"server surel tidak dapat dihubungi: {stop}"
    c = hasil.counts()
    log.info(
        "naskah %s: %d recipients, %s",
        naskah_id,
        len(hasil.items),
        ", ".join(f"{k} {v}" for k, v in c.items() if v),
    )
    return hasil


def _dokumen(
    engine: Engine, naskah_id: int, lampiran: Sequence[Path] | None, subjek: str | None
) -> _Dokumen:
    with Session(engine, expire_on_commit=False) as session:
        n = session.get(Naskah, naskah_id)
        if n is None:
            raise DistribusiError(f"naskah {naskah_id} tidak ada")
        if n.status in TIDAK_DIKIRIM:
            raise DistribusiError(
                f"naskah {naskah_id} berstatus {n.status!r}: belum/tidak dapat dikirim"
            )
        named = lampiran is None
        if lampiran is not None:
            files = list(lampiran)
        else:
            by_role = {b.peran: b.path for b in n.berkas}
            files = [Path(by_role[r]) for r in BERKAS_KIRIM if r in by_role][:1]
        if not files:
            raise DistribusiError(f"naskah {naskah_id} belum punya berkas PDF untuk dikirim")
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise DistribusiError(
                f"berkas lampiran naskah {naskah_id} tidak ada: {', '.join(missing)}"
            )
        session.expunge(n)
    # the letter's own file goes out under the letter's name, not the folder's "naskah.pdf"
    berkas = tuple((f, nama_berkas(n, f.suffix) if named else None) for f in files)
    return _Dokumen(naskah_id, n.kegiatan_id, berkas, subjek or subjek_bawaan(n), n)


def nama_berkas(n: Naskah, suffix: str = ".pdf") -> str:
    """The file name a letter goes out under: its number and type
    (``800.2.4.1-001-BKPSDM-2026-surat-pemberitahuan.pdf``); a document without a number by
    its type and id (never a NIP from its key)."""
    import re

    jenis = n.jenis.replace("_", "-")
    if n.nomor:
        nomor = re.sub(r"[^A-Za-z0-9.]+", "-", n.nomor).strip("-.")
        stem = f"{nomor}-{jenis}"
    else:
        stem = f"{jenis}-{n.id}"
    return f"{stem}{suffix or '.pdf'}"


def _jejak(
    conn: Connection,
    distribusi_id: int,
    peristiwa: str,
    dari: str | None,
    ke: str,
    attempts: int = 0,
    keterangan: str | None = None,
    oleh: str | None = None,
) -> None:
    conn.execute(
        insert(DISTRIBUSI_JEJAK).values(
            distribusi_id=distribusi_id,
            peristiwa=peristiwa,
            dari_status=dari,
            ke_status=ke,
            attempts=attempts,
            keterangan=(keterangan or None) and keterangan[:2000],
            oleh=oleh,
            at=utcnow(),
        )
    )


def _insert_ignore(conn: Connection, values: dict[str, Any]) -> int | None:
    """INSERT the delivery unless (naskah_id, penerima) exists; the new id or None."""
    from sqlalchemy.dialects import postgresql, sqlite

    if conn.dialect.name == "postgresql":
        stmt: Any = postgresql.insert(DISTRIBUSI).on_conflict_do_nothing(
            index_elements=["naskah_id", "penerima"]
        )
    else:
        stmt = sqlite.insert(DISTRIBUSI).on_conflict_do_nothing(
            index_elements=["naskah_id", "penerima"]
        )
    row = conn.execute(stmt.values(**values).returning(D.id)).first()
    return None if row is None else int(row[0])


def _row(conn: Connection, naskah_id: int, kunci: str) -> Any:
    return conn.execute(
        select(DISTRIBUSI).where(D.naskah_id == naskah_id, D.penerima == kunci)
    ).one()


def _hasil(row: Any, nama: str | None = None, baru: bool = False) -> HasilKirim:
    return HasilKirim(
        row.id,
        row.naskah_id,
        row.penerima,
        nama or row.nama_penerima or "",
        row.status,
        row.message_id,
        row.attempts,
        row.error,
        baru,
    )


def _catat_manual(engine: Engine, dok: _Dokumen, p: Penerima) -> HasilKirim:
    reason = "alamat e-mail tidak ada" if not p.email else "alamat e-mail tidak valid"
    with engine.begin() as conn:
        new_id = _insert_ignore(
            conn,
            dict(
                naskah_id=dok.naskah_id,
                penerima=p.kunci,
                kegiatan_id=dok.kegiatan_id,
                alamat=p.email,
                nama_penerima=p.nama,
                peran_penerima=p.peran,
                saluran="manual",
                status="manual",
                attempts=0,
                error=reason,
                subjek=dok.subjek,
            ),
        )
        if new_id is not None:
            _jejak(conn, new_id, "manual", None, "manual", keterangan=reason)
            return _hasil(_row(conn, dok.naskah_id, p.kunci), p.nama, baru=True)
        row = _row(conn, dok.naskah_id, p.kunci)
        if row.status in DAPAT_DIKLAIM:  # released or waiting, but now without an address
            conn.execute(
                update(DISTRIBUSI)
                .where(D.id == row.id, D.status == row.status)
                .values(status="manual", saluran="manual", alamat=p.email, error=reason)
            )
            _jejak(conn, row.id, "manual", row.status, "manual", row.attempts, reason)
            return _hasil(_row(conn, dok.naskah_id, p.kunci), p.nama, baru=True)
        return _hasil(row, p.nama)


def _klaim(
    engine: Engine, dok: _Dokumen, p: Penerima, transport: Transport, sender: str, lease: float
) -> tuple[HasilKirim | None, _Klaim | None]:
    """Claim the delivery in its own committed transaction. Returns (None, claim) when this
    call may send, or (its current state, None) when it must not."""
    now = utcnow()
    token = _token()
    common = dict(
        kegiatan_id=dok.kegiatan_id,
        alamat=p.email,
        nama_penerima=p.nama,
        peran_penerima=p.peran,
        saluran=transport.name,
        subjek=dok.subjek,
        klaim_token=token,
        klaim_at=now,
    )
    with engine.begin() as conn:
        mid = new_message_id(domain_of(sender))
        new_id = _insert_ignore(
            conn,
            dict(
                naskah_id=dok.naskah_id,
                penerima=p.kunci,
                status="mengirim",
                message_id=mid,
                attempts=1,
                **common,
            ),
        )
        if new_id is not None:
            _jejak(conn, new_id, "klaim", None, "mengirim", 1)
            return None, _Klaim(new_id, token, mid, 1)
        got = conn.execute(
            update(DISTRIBUSI)
            .where(D.naskah_id == dok.naskah_id, D.penerima == p.kunci, D.status.in_(DAPAT_DIKLAIM))
            .values(
                status="mengirim",
                attempts=D.attempts + 1,
                message_id=func.coalesce(D.message_id, mid),
                **common,
            )
            .returning(D.id, D.message_id, D.attempts)
        ).first()
        if got is not None:
            _jejak(conn, got.id, "klaim", None, "mengirim", got.attempts)
            return None, _Klaim(got.id, token, got.message_id, got.attempts)
        row = _row(conn, dok.naskah_id, p.kunci)
        if row.status != "mengirim":
            return _hasil(row, p.nama), None
        klaim_at = row.klaim_at
        if (
            klaim_at is not None
            and (now - klaim_at).total_seconds() < lease
            and not _pemilik_mati(row.klaim_token)
        ):
            return _hasil(row, p.nama), None  # another run is sending it right now
        # A claim whose run died (or hangs): reconcile, never resend blindly.
        outcome = _rekonsiliasi_baris(conn, row, transport, now)
        if outcome != "belum":
            return _hasil(
                _row(conn, dok.naskah_id, p.kunci), p.nama, baru=outcome is not None
            ), None
        # Surely not delivered (no outbox file): claim it again, same Message-ID.
        guard = and_(D.id == row.id, D.status == "mengirim", D.klaim_token == row.klaim_token)
        got = conn.execute(
            update(DISTRIBUSI)
            .where(guard)
            .values(attempts=D.attempts + 1, **common)
            .returning(D.id, D.message_id, D.attempts)
        ).first()
        if got is None:
            return _hasil(_row(conn, dok.naskah_id, p.kunci), p.nama), None
        _jejak(
            conn,
            got.id,
            "klaim_ulang",
            "mengirim",
            "mengirim",
            got.attempts,
            f"{transport.name}: klaim lama kedaluwarsa, pesan belum ada",
        )
        return None, _Klaim(got.id, token, got.message_id, got.attempts)


def _token() -> str:
    """A claim token that also names its owner: this host (a hash), the process id and its
    start, then randomness (32 characters). A claim whose owner process is gone from this
    host is reconciled at once instead of after the lease (a killed run restarted)."""
    return f"{_pemilik(os.getpid())}{uuid.uuid4().hex[:12]}"


@functools.lru_cache(maxsize=4)
def _pemilik(pid: int) -> str:
    """The owner part of process ``pid``'s tokens (host, pid, start), read from ``/proc``
    once per process id (a forked child has its own id and reads its own)."""
    start = hashlib.sha256((runs.pid_token(pid) or "").encode()).hexdigest()[:6]
    return f"{_HOST6}{pid & 0xFFFFFFFF:08x}{start}"


_HOST6 = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


def _pemilik_mati(token: str | None) -> bool:
    """Is the process that made this claim gone (only decidable on this host)?"""
    if not token or len(token) != 32 or token[:6] != _HOST6:
        return False
    try:
        pid = int(token[6:14], 16)
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    if not runs.pid_alive(pid):
        return True
    now = runs.pid_token(pid)
    return now is not None and hashlib.sha256(now.encode()).hexdigest()[:6] != token[14:20]


def _rekonsiliasi_baris(
    conn: Connection, row: Any, transport: Transport, now: dt.datetime
) -> str | None:
    """Settle a stale ``mengirim`` row from what the transport can tell: ``terkirim`` (the
    message is there), ``perlu_cek`` (cannot tell), or ``belum`` (surely not sent; the row is
    left for the caller). None when another run changed the row first."""
    if row.saluran != transport.name:  # claimed through another transport: cannot tell
        delivered: bool | None = None
    else:
        delivered = transport.was_delivered(row.message_id) if row.message_id else False
    if delivered is False:
        return "belum"
    guard = and_(D.id == row.id, D.status == "mengirim", D.klaim_token == row.klaim_token)
    if delivered:
        ok = conn.execute(
            update(DISTRIBUSI).where(guard).values(status="terkirim", sent_at=now, error=None)
        ).rowcount
        if ok:
            _jejak(
                conn,
                row.id,
                "rekonsiliasi",
                "mengirim",
                "terkirim",
                row.attempts,
                f"{transport.name}: pesan {row.message_id} sudah ada",
            )
        return "terkirim" if ok else None
    reason = (
        "hasil pengiriman tidak diketahui: proses terhenti setelah klaim; "
        "periksa log server surel lalu lepas atau konfirmasi"
    )
    ok = conn.execute(
        update(DISTRIBUSI).where(guard).values(status="perlu_cek", error=reason)
    ).rowcount
    if ok:
        _jejak(conn, row.id, "rekonsiliasi", "mengirim", "perlu_cek", row.attempts, reason)
    return "perlu_cek" if ok else None


def rekonsiliasi(
    engine: Engine,
    transport: Transport,
    *,
    lease_seconds: float | None = None,
    settings: Settings | None = None,
) -> list[HasilKirim]:
    """Settle every stale ``mengirim`` claim, whoever made it: older than the lease, or made
    by a process that is gone from this host (killed mid-send: settled at once, not after
    the lease). The outbox's ``.eml`` present -> ``terkirim``, absent -> ``tertunda`` (the
    next run sends it); SMTP -> ``perlu_cek``. For a run that will not come back to those
    recipients (or before ``diklat distribusi list``); the distribution step does the same
    for its own recipients."""
    s = settings or get_settings()
    if lease_seconds is None:
        from diklat.clients import mail_retry

        lease_seconds = lease_bawaan(mail_retry(s), s.smtp.timeout)
    now = utcnow()
    cutoff = now - dt.timedelta(seconds=lease_seconds)

    def stale(klaim_at: dt.datetime | None, token: str | None) -> bool:
        return (klaim_at is not None and klaim_at <= cutoff) or _pemilik_mati(token)

    out: list[HasilKirim] = []
    with engine.connect() as conn:
        claims = conn.execute(
            select(D.id, D.klaim_at, D.klaim_token).where(D.status == "mengirim").order_by(D.id)
        ).all()
    for rid in [c.id for c in claims if stale(c.klaim_at, c.klaim_token)]:
        with engine.begin() as conn:
            row = conn.execute(select(DISTRIBUSI).where(D.id == rid)).one()
            if row.status != "mengirim" or not stale(row.klaim_at, row.klaim_token):
                continue
            outcome = _rekonsiliasi_baris(conn, row, transport, now)
            if outcome == "belum":
                reason = "klaim kedaluwarsa; pesan belum terkirim, dikirim pada run berikut"
                ok = conn.execute(
                    update(DISTRIBUSI)
                    .where(D.id == rid, D.status == "mengirim", D.klaim_token == row.klaim_token)
                    .values(status="tertunda", error=reason)
                ).rowcount
                if ok:
                    _jejak(conn, rid, "rekonsiliasi", "mengirim", "tertunda", row.attempts, reason)
                outcome = "tertunda" if ok else None
            if outcome is not None:
                out.append(
                    _hasil(conn.execute(select(DISTRIBUSI).where(D.id == rid)).one(), baru=True)
                )
    if out:
        log.info("reconciled %d stale deliveries", len(out))
    return out


def _selesai(
    engine: Engine,
    klaim: _Klaim,
    status: str,
    *,
    attempts: int,
    error: str | None = None,
    peristiwa: str | None = None,
) -> Any:
    """Settle a claim (compare-and-set on its token); returns the row as it is afterwards."""
    values: dict[str, Any] = {"status": status, "attempts": attempts, "error": error}
    if status == "terkirim":
        values["sent_at"] = utcnow()
    with engine.begin() as conn:
        ok = conn.execute(
            update(DISTRIBUSI)
            .where(
                D.id == klaim.distribusi_id,
                D.klaim_token == klaim.token,
                D.status.in_(("mengirim", "perlu_cek", "antri")),
            )
            .values(**values)
        ).rowcount
        if ok:
            _jejak(
                conn, klaim.distribusi_id, peristiwa or status, "mengirim", status, attempts, error
            )
        else:
            log.warning(
                "distribusi %s: claim lost before settling as %s", klaim.distribusi_id, status
            )
        return conn.execute(select(DISTRIBUSI).where(D.id == klaim.distribusi_id)).one()


def _catat_percobaan(engine: Engine, klaim: _Klaim, attempts: int, error: str) -> bool:
    """Count one more attempt before a retry; False if the claim is no longer ours."""
    with engine.begin() as conn:
        ok = conn.execute(
            update(DISTRIBUSI)
            .where(
                D.id == klaim.distribusi_id, D.klaim_token == klaim.token, D.status == "mengirim"
            )
            .values(attempts=attempts, error=error, klaim_at=utcnow())
        ).rowcount
        if ok:
            _jejak(conn, klaim.distribusi_id, "coba_lagi", "mengirim", "mengirim", attempts, error)
        return bool(ok)


def _kirim(
    engine: Engine,
    transport: Transport,
    msg: Any,
    klaim: _Klaim,
    dok: _Dokumen,
    p: Penerima,
    retry: RetryPolicy,
    sleep: Callable[[float], None],
    rnd: random.Random,
) -> tuple[HasilKirim, MailError | None]:
    """Send one claimed message with retries and settle it. The second value, when set, says
    the whole call must stop (transport misconfigured or unreachable)."""
    attempts = klaim.attempts
    start = time.monotonic()
    retries = 0
    while True:
        try:
            transport.send(msg)
        except TransientMailError as e:
            wait = retry.backoff(retries, rnd)
            spent = time.monotonic() - start
            if retries >= retry.max_retries or spent + wait > retry.budget_seconds:
                row = _selesai(
                    engine,
                    klaim,
                    "tertunda",
                    attempts=attempts,
                    error=f"{e} (setelah {attempts} percobaan)",
                )
                # No SMTP reply at all: the server is down or unreachable, stop the call.
                return _hasil(row, p.nama, baru=True), (e if e.code is None else None)
            retries += 1
            attempts += 1
            log.info(
                "distribusi %s: %s, retry %d in %.1fs",
                klaim.distribusi_id,
                e.__class__.__name__,
                retries,
                wait,
            )
            sleep(wait)
            if not _catat_percobaan(engine, klaim, attempts, str(e)):
                row = _selesai(engine, klaim, "tertunda", attempts=attempts, error=str(e))
                return _hasil(row, p.nama), None
            continue
        except UnknownOutcomeError as e:
            delivered = transport.was_delivered(klaim.message_id)
            if delivered:
                row = _selesai(
                    engine, klaim, "terkirim", attempts=attempts, peristiwa="rekonsiliasi"
                )
            elif delivered is None:
                row = _selesai(
                    engine,
                    klaim,
                    "perlu_cek",
                    attempts=attempts,
                    error=f"{e}; periksa log server surel lalu lepas atau konfirmasi",
                )
            else:
                row = _selesai(engine, klaim, "tertunda", attempts=attempts, error=str(e))
            return _hasil(row, p.nama, baru=True), None
        except MailConfigError as e:
            row = _selesai(engine, klaim, "tertunda", attempts=attempts, error=str(e))
            return _hasil(row, p.nama, baru=True), e
        except PermanentMailError as e:
            row = _selesai(engine, klaim, "gagal", attempts=attempts, error=str(e))
            return _hasil(row, p.nama, baru=True), None
        row = _selesai(engine, klaim, "terkirim", attempts=attempts)
        return _hasil(row, p.nama, baru=True), None


# --------------------------------------------------------------------------- operators


def _dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "naskah_id": row.naskah_id,
        "kegiatan_id": row.kegiatan_id,
        "penerima": row.penerima,
        "nama_penerima": row.nama_penerima,
        "alamat": row.alamat,
        "peran_penerima": row.peran_penerima,
        "saluran": row.saluran,
        "status": row.status,
        "message_id": row.message_id,
        "attempts": row.attempts,
        "error": row.error,
        "subjek": row.subjek,
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "klaim_at": row.klaim_at.isoformat() if row.klaim_at else None,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }


def daftar(
    session: Session,
    *,
    status: str | Sequence[str] | None = None,
    kegiatan_id: int | None = None,
    naskah_id: int | None = None,
) -> list[dict[str, Any]]:
    """Deliveries as plain data (the ``distribusi list --json`` shape), oldest first."""
    q = select(DISTRIBUSI)
    if status:
        wanted = [status] if isinstance(status, str) else list(status)
        unknown = [x for x in wanted if x not in STATUS_DISTRIBUSI]
        if unknown:
            raise DistribusiError(
                f"status tidak dikenal: {', '.join(unknown)} "
                f"(pilihan: {', '.join(STATUS_DISTRIBUSI)})"
            )
        q = q.where(D.status.in_(wanted))
    if kegiatan_id is not None:
        q = q.where(D.kegiatan_id == kegiatan_id)
    if naskah_id is not None:
        q = q.where(D.naskah_id == naskah_id)
    return [_dict(r) for r in session.execute(q.order_by(D.id)).all()]


def _operator_change(
    session: Session,
    distribusi_id: int,
    allowed: Sequence[str],
    ke: str,
    peristiwa: str,
    alasan: str,
    oleh: str,
    **values: Any,
) -> dict[str, Any]:
    if not alasan or not alasan.strip():
        raise DistribusiError("alasan wajib diisi")
    if not oleh or not oleh.strip():
        raise DistribusiError("nama operator wajib diisi")
    conn = session.connection()
    row = conn.execute(select(DISTRIBUSI).where(D.id == distribusi_id)).first()
    if row is None:
        raise DistribusiError(f"distribusi {distribusi_id} tidak ada")
    if row.status not in allowed:
        raise DistribusiError(
            f"distribusi {distribusi_id} berstatus {row.status!r}: hanya "
            f"{', '.join(allowed)} yang dapat di{peristiwa}"
        )
    ok = conn.execute(
        update(DISTRIBUSI)
        .where(D.id == distribusi_id, D.status == row.status)
        .values(status=ke, **values)
    ).rowcount
    if not ok:
        raise DistribusiError(f"distribusi {distribusi_id} baru saja berubah; coba lagi")
    _jejak(
        conn,
        distribusi_id,
        peristiwa,
        row.status,
        ke,
        row.attempts,
        alasan.strip(),
        oleh.strip()[:100],
    )
    return _dict(conn.execute(select(DISTRIBUSI).where(D.id == distribusi_id)).one())


def lepas(session: Session, distribusi_id: int, *, alasan: str, oleh: str) -> dict[str, Any]:
    """Release a ``perlu_cek`` (or ``gagal`` / ``manual``) delivery for resending: it goes
    back to ``antri`` and the next run sends it (same Message-ID). Audited with who and why.
    The caller owns the transaction."""
    return _operator_change(
        session, distribusi_id, DAPAT_DILEPAS, "antri", "lepas", alasan, oleh, klaim_token=None
    )


def konfirmasi(session: Session, distribusi_id: int, *, alasan: str, oleh: str) -> dict[str, Any]:
    """Record that a delivery did arrive (checked with the recipient or the mail log, or
    handed over in person with a receipt): ``terkirim``, audited. Caller owns the
    transaction."""
    return _operator_change(
        session,
        distribusi_id,
        DAPAT_DIKONFIRMASI,
        "terkirim",
        "konfirmasi",
        alasan,
        oleh,
        sent_at=utcnow(),
        klaim_token=None,
    )


def jejak(session: Session, distribusi_id: int) -> list[dict[str, Any]]:
    """The audit trail of one delivery, oldest first."""
    j = DISTRIBUSI_JEJAK.c
    rows = session.execute(
        select(DISTRIBUSI_JEJAK).where(j.distribusi_id == distribusi_id).order_by(j.id)
    ).all()
    return [
        {
            "peristiwa": r.peristiwa,
            "dari": r.dari_status,
            "ke": r.ke_status,
            "attempts": r.attempts,
            "keterangan": r.keterangan,
            "oleh": r.oleh,
            "at": r.at.isoformat(),
        }
        for r in rows
    ]
