"""The outgoing-letter register (agenda surat keluar): numbers for signed letters.

Rules (SOP Surat Keluar, DOMAIN.md "Letters"):

* a number is given when a **signed** letter is registered, never when it is drafted:
  :func:`register_naskah` accepts a ``Naskah`` in status ``ditandatangani`` and moves it to
  ``terdaftar`` (setting ``nomor`` and ``tanggal``); :func:`register_bundel` numbers every
  member of a bundle (the 60 summonses of a training) in one transaction with one counter
  update, so a bundle's numbers are consecutive and registering it costs one round trip of
  locks, not sixty;
* each document type has its series (``settings.unit_nomor``): the agency's letters, the
  register of keputusan for decrees (on by default), certificates (STTP); a letter the
  Sekretaris Daerah signs is numbered in the Setda's series. The series a document was
  drafted for is stored in its context (``unit_nomor``, shown in the draft's number) and is
  the one it is numbered in (:func:`seri`);
* the date runs forward: a letter date in the future, before the last active number of its
  series, or in a year whose register is closed, is refused;
* the sequence runs per unit per year (``register_counter`` row per ``(unit, tahun)``),
  starts at 1 each year and has no gaps: the counter is incremented in the same transaction
  that writes the entry, so a rolled-back registration gives its number back before anyone
  else can see it, and a committed one is never given again;
* registering the same document again returns its existing entry (idempotent; a flow
  resumed after a crash calls it again safely);
* :func:`void` keeps the entry, marked ``batal`` with the reason, and the document goes to
  ``dibatalkan``; the number is never reused. A corrected letter is a new document version
  and gets a new number.

Concurrency: the document row is locked first (PostgreSQL ``SELECT ... FOR UPDATE``;
SQLite takes its single write lock with a first write, which also makes the transaction
see the latest committed state), then the counter is advanced with one
``INSERT ... ON CONFLICT (unit, tahun) DO UPDATE SET last_urut = last_urut + 1 RETURNING``
whose row lock serialises concurrent registrations until commit.

The number format is ``settings.naskah.nomor_format`` (default
``{klasifikasi}/{urut:03d}/{unit}/{tahun}``); fields: ``klasifikasi``, ``urut``, ``unit``,
``tahun``, ``bulan`` (1-12) and ``bulan_romawi`` (I-XII).

Functions take a ``Session`` and never commit: the caller owns the transaction
(``with session_scope() as s: register_naskah(s, id)``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from diklat import waktu
from diklat.models import Naskah, RegisterEntry
from diklat.models.base import utcnow
from diklat.naskah import status
from diklat.settings import Settings, get_settings

#: Document states from which a letter may be registered (it has been signed).
REGISTRABLE = (status.DITANDATANGANI,)
#: States of a document that already went through the register.
REGISTERED = (status.TERDAFTAR, status.DIKIRIM, status.DIARSIPKAN)
ROMAWI = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


class RegisterError(Exception):
    """A registration or voiding that the rules do not allow."""


def today(settings: Settings | None = None) -> dt.date:
    """The agency's calendar date (its time zone, not the server's)."""
    s = settings or get_settings()
    return waktu.hari_ini(s)


def format_nomor(
    klasifikasi: str, urut: int, unit: str, tanggal: dt.date, settings: Settings | None = None
) -> str:
    s = settings or get_settings()
    try:
        return s.naskah.nomor_format.format(
            klasifikasi=klasifikasi,
            urut=urut,
            unit=unit,
            tahun=tanggal.year,
            bulan=tanggal.month,
            bulan_romawi=ROMAWI[tanggal.month - 1],
        )
    except (KeyError, IndexError, ValueError) as e:
        raise RegisterError(f"format nomor tidak valid ({s.naskah.nomor_format!r}): {e}") from e


def _next_urut(session: Session, unit: str, tahun: int, n: int = 1) -> int:
    """Advance the counter of (unit, tahun) by ``n`` and return the new last value (the row
    stays locked until the transaction ends); the numbers given are ``last-n+1 .. last``."""
    row = session.execute(
        text(
            "INSERT INTO register_counter (unit, tahun, last_urut) VALUES (:unit, :tahun, :n) "
            "ON CONFLICT (unit, tahun) DO UPDATE SET last_urut = register_counter.last_urut + :n "
            "RETURNING last_urut"
        ),
        {"unit": unit, "tahun": tahun, "n": n},
    ).one()
    return int(row[0])


def parse_tanggal(value: str | dt.date | None) -> dt.date | None:
    """A letter date from ``YYYY-MM-DD`` (or ``DD-MM-YYYY``); :class:`RegisterError` with one
    line when it cannot be read."""
    if value is None or isinstance(value, dt.date):
        return value
    text_ = value.strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text_, fmt).date()
        except ValueError:
            continue
    raise RegisterError(
        f"tanggal {value!r} tidak dapat dibaca; tulis YYYY-MM-DD, mis. {today().isoformat()}"
    )


def _check_tanggal(session: Session, unit: str, tgl: dt.date, s: Settings) -> None:
    """A letter date may not lie in the future (a number dated ahead would block its series
    until then), in a closed year, nor before the last active number of its series (the
    register runs forward in time)."""
    now = today(s)
    if tgl > now:
        raise RegisterError(
            f"tanggal surat {tgl.isoformat()} belum tiba (hari ini "
            f"{now.isoformat()}): nomor hanya diberikan pada tanggal surat"
        )
    this_year = now.year
    if tgl.year < this_year:
        raise RegisterError(
            f"tanggal surat {tgl.isoformat()} berada di tahun {tgl.year} yang "
            f"registernya sudah ditutup (tahun berjalan {this_year})"
        )
    last = session.execute(
        select(func.max(RegisterEntry.tanggal)).where(
            RegisterEntry.unit == unit,
            RegisterEntry.tahun == tgl.year,
            RegisterEntry.status == "aktif",
        )
    ).scalar_one_or_none()
    if last is not None and tgl < last:
        raise RegisterError(
            f"tanggal surat {tgl.isoformat()} lebih awal dari nomor aktif "
            f"terakhir seri {unit}/{tgl.year} ({last.isoformat()})"
        )


def seri(naskah: Naskah, settings: Settings | None = None) -> str:
    """The series (unit part of the number) a document is numbered in: the one its stored
    context was drafted with (a Setda letter's is the Setda's), else its type's."""
    s = settings or get_settings()
    if naskah.konteks_json:
        try:
            unit = json.loads(naskah.konteks_json).get("unit_nomor")
        except (ValueError, AttributeError):
            unit = None
        if isinstance(unit, str) and unit.strip():
            return unit.strip()
    return s.unit_nomor(naskah.jenis)


def _lock_naskah(session: Session, naskah_id: int) -> Naskah | None:
    """Lock the document row for this transaction and return it fresh from the database."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        # The first write takes SQLite's database-wide write lock (waiting up to
        # busy_timeout) before anything is read, so what follows reads committed state
        # and no one else can register in between.
        session.execute(text("UPDATE naskah SET status = status WHERE id = :id"), {"id": naskah_id})
        return session.get(Naskah, naskah_id, populate_existing=True)
    return session.execute(
        select(Naskah)
        .where(Naskah.id == naskah_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def register_naskah(
    session: Session,
    naskah_id: int,
    tanggal: dt.date | str | None = None,
    *,
    unit: str | None = None,
    settings: Settings | None = None,
) -> RegisterEntry:
    """Give a signed document its number (or return the number it already has).

    ``tanggal`` is the letter date (default: today in the agency's time zone); its year
    picks the sequence. ``unit`` defaults to the document's series (:func:`seri`)."""
    s = settings or get_settings()
    naskah = _lock_naskah(session, naskah_id)
    if naskah is None:
        raise RegisterError(f"naskah {naskah_id} tidak ada")
    existing = session.execute(
        select(RegisterEntry).where(RegisterEntry.naskah_id == naskah_id)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.status == "batal":
            raise RegisterError(
                f"nomor {existing.nomor} untuk naskah {naskah_id} sudah dibatalkan; "
                f"buat versi baru untuk nomor baru"
            )
        return existing
    if naskah.status not in REGISTRABLE:
        raise RegisterError(
            f"naskah {naskah_id} berstatus {naskah.status!r}: hanya naskah yang sudah "
            f"ditandatangani yang diberi nomor"
        )
    tgl = parse_tanggal(tanggal) or today(s)
    kode_unit = unit or seri(naskah, s)
    klasifikasi = naskah.klasifikasi or s.klasifikasi_for(naskah.jenis)
    urut = _next_urut(session, kode_unit, tgl.year)
    _check_tanggal(session, kode_unit, tgl, s)
    nomor = format_nomor(klasifikasi, urut, kode_unit, tgl, s)
    entry = RegisterEntry(
        unit=kode_unit,
        tahun=tgl.year,
        urut=urut,
        klasifikasi=klasifikasi,
        nomor=nomor,
        naskah_id=naskah_id,
        tanggal=tgl,
        hal=naskah.hal,
        tujuan=naskah.tujuan,
        status="aktif",
    )
    session.add(entry)
    naskah.nomor = nomor
    naskah.tanggal = tgl
    naskah.klasifikasi = klasifikasi
    status.pindah(naskah, status.TERDAFTAR)
    session.flush()
    return entry


def register_bundel(
    session: Session,
    naskah_ids: Sequence[int],
    tanggal: dt.date | str | None = None,
    *,
    unit: str | None = None,
    settings: Settings | None = None,
) -> list[RegisterEntry]:
    """Number every member of a bundle in ONE transaction: one counter update for all of
    them (consecutive numbers in the order given), one lock, one date check. Members that
    already have a number keep it (a resumed run numbers only the rest). All members must be
    of one document type and signed."""
    s = settings or get_settings()
    if not naskah_ids:
        return []
    ids = list(dict.fromkeys(naskah_ids))
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        session.execute(text("UPDATE naskah SET status = status WHERE id = :id"), {"id": ids[0]})
        rows = {
            n.id: n
            for n in session.execute(
                select(Naskah).where(Naskah.id.in_(ids)).execution_options(populate_existing=True)
            ).scalars()
        }
    else:
        rows = {
            n.id: n
            for n in session.execute(
                select(Naskah)
                .where(Naskah.id.in_(ids))
                .order_by(Naskah.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).scalars()
        }
    missing = [i for i in ids if i not in rows]
    if missing:
        raise RegisterError(f"naskah {missing[0]} tidak ada")
    jenis = {n.jenis for n in rows.values()}
    if len(jenis) != 1:
        raise RegisterError("satu bundel harus satu jenis naskah")
    existing = {
        e.naskah_id: e
        for e in session.execute(
            select(RegisterEntry).where(RegisterEntry.naskah_id.in_(ids))
        ).scalars()
    }
    voided = [e for e in existing.values() if e.status == "batal"]
    if voided:
        raise RegisterError(
            f"nomor {voided[0].nomor} sudah dibatalkan; buat versi baru untuk nomor baru"
        )
    todo = [rows[i] for i in ids if i not in existing]
    for n in todo:
        if n.status not in REGISTRABLE:
            raise RegisterError(
                f"naskah {n.id} berstatus {n.status!r}: hanya naskah yang sudah "
                "ditandatangani yang diberi nomor"
            )
    out = dict(existing)
    if todo:
        j = next(iter(jenis))
        tgl = parse_tanggal(tanggal) or today(s)
        series = {seri(n, s) for n in todo}
        if unit is None and len(series) != 1:
            raise RegisterError(
                f"satu bundel {j} harus satu seri nomor: {', '.join(sorted(series))}"
            )
        kode_unit = unit or next(iter(series))
        last = _next_urut(session, kode_unit, tgl.year, len(todo))
        _check_tanggal(session, kode_unit, tgl, s)
        for k, n in enumerate(todo):
            urut = last - len(todo) + 1 + k
            klasifikasi = n.klasifikasi or s.klasifikasi_for(n.jenis)
            nomor = format_nomor(klasifikasi, urut, kode_unit, tgl, s)
            e = RegisterEntry(
                unit=kode_unit,
                tahun=tgl.year,
                urut=urut,
                klasifikasi=klasifikasi,
                nomor=nomor,
                naskah_id=n.id,
                tanggal=tgl,
                hal=n.hal,
                tujuan=n.tujuan,
                status="aktif",
            )
            session.add(e)
            n.nomor, n.tanggal, n.klasifikasi = nomor, tgl, klasifikasi
            status.pindah(n, status.TERDAFTAR)
            out[n.id] = e
        session.flush()
    return [out[i] for i in ids]


def find_entry(session: Session, entry: int | str) -> RegisterEntry | None:
    """An entry by id (int) or by number (str)."""
    if isinstance(entry, int):
        return session.get(RegisterEntry, entry)
    return session.execute(
        select(RegisterEntry).where(RegisterEntry.nomor == entry)
    ).scalar_one_or_none()


def void(session: Session, entry: int | str, alasan: str) -> RegisterEntry:
    """Void a number: the entry stays, marked ``batal`` with the reason; the document goes
    to ``dibatalkan``. Voiding an already voided entry returns it unchanged."""
    if not alasan or not alasan.strip():
        raise RegisterError("alasan pembatalan wajib diisi")
    e = find_entry(session, entry)
    if e is None:
        raise RegisterError(f"nomor {entry!r} tidak ada dalam register")
    if e.status == "batal":
        return e
    e.status = "batal"
    e.alasan_batal = alasan.strip()
    e.dibatalkan_at = utcnow()
    if e.naskah_id is not None:
        naskah = session.get(Naskah, e.naskah_id)
        if naskah is not None:
            status.pindah(naskah, status.DIBATALKAN)
    session.flush()
    return e


def entries(
    session: Session, tahun: int | None = None, unit: str | None = None
) -> Sequence[RegisterEntry]:
    """The register in number order (per unit, then sequence)."""
    q = select(RegisterEntry)
    if tahun is not None:
        q = q.where(RegisterEntry.tahun == tahun)
    if unit is not None:
        q = q.where(RegisterEntry.unit == unit)
    return (
        session.execute(q.order_by(RegisterEntry.tahun, RegisterEntry.unit, RegisterEntry.urut))
        .scalars()
        .all()
    )


def entry_dict(e: RegisterEntry) -> dict[str, Any]:
    """An entry as plain data (the ``register list --json`` shape)."""
    return {
        "nomor": e.nomor,
        "urut": e.urut,
        "klasifikasi": e.klasifikasi,
        "unit": e.unit,
        "tahun": e.tahun,
        "status": e.status,
        "naskah_id": e.naskah_id,
        "tanggal": e.tanggal.isoformat() if e.tanggal else None,
        "hal": e.hal,
        "tujuan": e.tujuan,
        "alasan_batal": e.alasan_batal,
    }


#: Column headings of the Excel export, in order.
KOLOM_EKSPOR = {
    "urut": "No. Urut",
    "nomor": "Nomor Surat",
    "tanggal": "Tanggal",
    "klasifikasi": "Kode Klasifikasi",
    "unit": "Unit",
    "hal": "Hal",
    "tujuan": "Tujuan",
    "status": "Status",
    "alasan_batal": "Alasan Pembatalan",
    "naskah_id": "ID Naskah",
}


def export_excel(
    session: Session,
    path: Any,
    tahun: int | None = None,  # noqa: ANN401
    unit: str | None = None,
) -> int:
    """Write the register to an Excel file (Indonesian headings, the project's one writer:
    text never becomes a formula); returns the row count."""
    from diklat.excel import Kolom, tulis

    rows = []
    for e in entries(session, tahun, unit):
        d = entry_dict(e)
        d["tanggal"] = dt.date.fromisoformat(d["tanggal"]) if d.get("tanggal") else None
        d["status"] = {"aktif": "Aktif", "batal": "Batal"}.get(d["status"], d["status"])
        rows.append(d)
    widths = (9, 30, 12, 16, 10, 50, 40, 9, 30, 10)
    kolom = [
        Kolom(
            judul,
            kunci,
            lebar,
            "angka" if kunci in ("urut", "tahun") else "tanggal" if kunci == "tanggal" else "teks",
        )
        for (kunci, judul), lebar in zip(KOLOM_EKSPOR.items(), widths, strict=True)
        if kunci != "naskah_id"
    ]  # an internal id means nothing to a reader
    return tulis(path, f"Register {tahun}" if tahun else "Register", kolom, rows)
