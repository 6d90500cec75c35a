"""The one write path for personnel data, shared by the SIMPEG/SIASN sync and the import of
SIASN's export file.

Records arrive as *canonical employee dicts* (keys in :data:`FIELDS`, plus ``unit_nama`` and an
optional ``_baris`` line number). :class:`PersonnelWriter` validates each one (NIP rules,
dates, unit present), quarantines the bad ones with their reason, skips unchanged rows by a
content hash, and writes the rest with one cached ``INSERT ... ON CONFLICT DO UPDATE``
statement executed with many parameter sets (never a multi-row ``VALUES`` per page, never a
row at a time through the ORM). Runs are recorded in ``sync_run``.

No Prefect here: flows and the CLI call these functions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, bindparam, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from connectors.records import (
    DATE_FIELDS,
    FIELDS,
    PERSONAL_FIELDS,
    RECORD_KEYS,
    SEX_CODES,
    Rejected,
    normalise_jenis_jabatan,
    public_payload,
)
from diklat import runs, waktu
from diklat.models import Karantina, Pegawai, SyncRun, SyncSeen, UnitKerja
from diklat.models.base import utcnow
from diklat.models.proses import karantina_sidik
from diklat.rules import nip as nip_rules
from diklat.rules.tanggal import parse_dmy

#: Never stored, never put in a quarantine payload (contact data is stored, never copied).
PRIVATE_FIELDS = PERSONAL_FIELDS
UNIT_FIELDS: tuple[str, ...] = ("nama", "singkatan", "induk_kode", "email", "alamat", "tempat")


def _t(model: Any) -> Table:
    """The Core table of a model (typed for mypy)."""
    table: Table = model.__table__
    return table


_EMPTY = {"", "null", "NULL", "None", "-"}


class RecordError(ValueError):
    """A record that cannot be stored; the message is the quarantine reason."""


@dataclass
class Totals:
    seen: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    deactivated: int = 0

    def add(self, other: Totals) -> None:
        for k in ("seen", "inserted", "updated", "unchanged", "quarantined", "deactivated"):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def as_dict(self) -> dict[str, int]:
        return {
            k: getattr(self, k)
            for k in ("seen", "inserted", "updated", "unchanged", "quarantined", "deactivated")
        }


# --------------------------------------------------------------------------- validation


#: A value a spreadsheet would turn into a number: digits, optionally a leading ``+``, with
#: spaces, dots, slashes or dashes (NIPs, phone numbers, ``dd-mm-yyyy`` dates).
NUMERIC_LOOKING = re.compile(r"^[0-9+][0-9 ./\-]*$")
#: An identifier (a SIASN GUID, a unit code): letters and digits, never a formula.
ID_LOOKING = re.compile(r"^[0-9A-Za-z][0-9A-Za-z ./_\-]*$")


def strip_text_marker(value: str, identifier: bool = False) -> str:
    """Drop the leading apostrophe a spreadsheet export puts before a numeric-looking value
    (``'197805022005021003``) or, in an identifier field, before an identifier. Anywhere
    else it is data (``'Ain``) or protection (``'=1+1`` stays as it is: removing it would
    turn text into a formula in the next spreadsheet)."""
    if value[:1] != "'":
        return value
    rest = value[1:].strip()
    if NUMERIC_LOOKING.match(rest) or (identifier and ID_LOOKING.match(rest)):
        return rest
    return value


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float):
        raise RecordError("nilai angka pecahan tidak boleh untuk kolom teks")
    s = str(v).strip()
    if s[:1] == "'":
        s = strip_text_marker(s)
    return None if s in _EMPTY else s


def _date(name: str, v: Any) -> dt.date | None:
    if v is None or isinstance(v, dt.datetime):
        return v.date() if isinstance(v, dt.datetime) else None
    if isinstance(v, dt.date):
        return v
    s = _text(v)
    if s is None:
        return None
    try:
        if len(s) >= 10 and s[4] == "-":
            return dt.date.fromisoformat(s[:10])
        return parse_dmy(s)
    except ValueError:
        raise RecordError(f"{name}: tanggal {s!r} tidak dikenali") from None


_TEXT_FIELDS: tuple[str, ...] = tuple(f for f in FIELDS if f not in DATE_FIELDS)


def _max_lengths() -> dict[str, int]:
    cols = {c.name: c for c in _t(Pegawai).columns}
    cols["unit_kode"] = _t(UnitKerja).c.kode
    out = {}
    for name in _TEXT_FIELDS:
        length = getattr(cols[name].type, "length", None)
        if length:
            out[name] = int(length)
    return out


_DATE_FIELDS_ORDERED: tuple[str, ...] = tuple(f for f in FIELDS if f in DATE_FIELDS)


def agency_today() -> dt.date:
    """Today in the agency's time zone (a date "in the future" is judged there)."""
    return waktu.hari_ini()


def clean_record(raw: Mapping[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """A canonical, validated record, or :class:`RecordError` with the reason."""
    today = today or agency_today()
    info = nip_rules.parse(_text(raw.get("nip")) or "", today)
    if not info.valid:
        raise RecordError(f"NIP tidak valid: {info.reason}")
    get = raw.get
    rec: dict[str, Any] = {}
    for name in _TEXT_FIELDS:  # the hot loop of every sync: plain strings take a fast path
        v = get(name)
        if v.__class__ is str:
            t = v.strip()
            if t[:1] == "'":
                t = strip_text_marker(t)
            rec[name] = None if t in _EMPTY else t
        elif v is None:
            rec[name] = None
        else:
            rec[name] = _text(v)
    for name in _DATE_FIELDS_ORDERED:
        rec[name] = _date(name, get(name))
    rec["nip"] = info.nip
    if not rec["nama"]:
        raise RecordError("nama kosong")
    if not rec["unit_kode"]:
        raise RecordError("unit kerja kosong")
    sex = rec["jenis_kelamin"]
    rec["jenis_kelamin"] = SEX_CODES.get(sex.upper()) if sex else info.jenis_kelamin
    if sex and rec["jenis_kelamin"] is None:
        raise RecordError(f"jenis kelamin {sex!r} tidak dikenali")
    jp = (rec["jenis_pegawai"] or "").upper()
    rec["jenis_pegawai"] = "PPPK" if "PPPK" in jp else ("PNS" if "PNS" in jp else info.jenis)
    rec["jenis_jabatan"] = normalise_jenis_jabatan(rec["jenis_jabatan"])
    lahir = rec["tanggal_lahir"]
    if lahir is not None and lahir > today:
        raise RecordError(f"tanggal lahir {lahir.isoformat()} di masa depan")
    if lahir is None:
        rec["tanggal_lahir"] = info.tanggal_lahir
    if rec["tmt_cpns"] is not None and rec["tmt_cpns"] > today:
        raise RecordError(f"TMT CPNS {rec['tmt_cpns'].isoformat()} di masa depan")
    for name, limit in _MAX_LENGTHS.items():  # PostgreSQL would refuse the whole batch
        v = rec[name]
        if v is not None and len(v) > limit:
            raise RecordError(f"{name} terlalu panjang ({len(v)} karakter, paling banyak {limit})")
    return rec


_MAX_LENGTHS = _max_lengths()


def content_hash(rec: Mapping[str, Any]) -> str:
    """Hash of the canonical values (strings, dates, None) in :data:`FIELDS` order. ``repr``
    of the tuple is exact for these types and much cheaper than formatting each value."""
    values = tuple(map(rec.get, FIELDS))
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


def source_hash(raw: Mapping[str, Any]) -> str:
    """Hash of a record exactly as the source sent it (its :data:`RECORD_KEYS` values):
    equal hashes mean equal input, so an equal stored row needs no new validation."""
    values = tuple(map(raw.get, RECORD_KEYS))
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


def safe_payload(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A record for the quarantine table: personal fields removed, values as text."""
    return {
        k: v.isoformat() if isinstance(v, dt.date) else v for k, v in public_payload(raw).items()
    }


# --------------------------------------------------------------------------- runs

#: The one lock every writer of the employee tables holds (sync, SIASN refresh, import):
#: two of them at once against one database are refused (see :mod:`diklat.runs`).
LOCK = "pegawai"

_SUMBER_LABEL = {
    "simpeg": "sinkronisasi SIMPEG",
    "siasn": "pembaruan dari SIASN",
    "siasn-export": "impor Export Data ASN",
}
MODE_LABEL = {
    "full": "penuh",
    "incremental": "inkremental",
    "nips": "per NIP",
    "file": "berkas",
    "file-full": "berkas, penuh",
}


def describe_run(row: Any) -> str:
    """How an operator calls a run: ``sinkronisasi SIMPEG penuh``, ``impor ... a.csv``."""
    what = f"{_SUMBER_LABEL.get(row.sumber, row.sumber)} {MODE_LABEL.get(row.mode, row.mode)}"
    return f"{what} {row.file_name}" if row.file_name else what


def start_run(
    engine: Engine,
    sumber: str,
    mode: str,
    *,
    lock: str | None = LOCK,
    flow_run_id: str | None = None,
    **values: Any,
) -> runs.Run:
    """A ``sync_run`` row for one sync or import, holding :data:`LOCK` (``RunBusy`` when
    another one runs); ``values``: ``since``, ``file_name``, ``resumed_from_id``..."""
    return runs.start(
        engine,
        {"sumber": sumber, "mode": mode, **values},
        lock=lock,
        describe=describe_run,
        flow_run_id=flow_run_id,
    )


def finish_run(run: runs.Run, totals: Totals, **values: Any) -> dict[str, object]:
    """Mark a run successful with its counts; its ``sync_seen`` rows are no longer needed.
    Returns the counts (what ``--json`` prints)."""
    run.finish(**totals.as_dict(), **values)
    with run.engine.begin() as conn:
        conn.execute(_t(SyncSeen).delete().where(SyncSeen.sync_run_id == run.id))
    return run_counts(run.engine, run.id)


def run_counts(engine: Engine, run_id: int) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(select(SyncRun).where(SyncRun.id == run_id)).one()
    run = SyncRun(**{c.key: getattr(row, c.key) for c in _t(SyncRun).columns})
    return run.counts()


def take_over_seen(conn: Connection, from_run_id: int, to_run_id: int) -> None:
    """On resume: the NIPs the interrupted run saw become the new run's (moved, not
    copied), and what no run needs any more (rows of other closed runs) is removed."""
    s = _t(SyncSeen)
    conn.execute(update(s).where(s.c.sync_run_id == from_run_id).values(sync_run_id=to_run_id))
    drop_stale_seen(conn, keep=to_run_id)


def drop_stale_seen(conn: Connection, keep: int | None = None) -> None:
    """Remove ``sync_seen`` rows of runs that are not running (a finished run needs none; a
    failed one only until the next run takes them over or starts afresh)."""
    s, r = _t(SyncSeen), _t(SyncRun)
    stale = select(r.c.id).where(r.c.status != runs.RUNNING)
    if keep is not None:
        stale = stale.where(r.c.id != keep)
    conn.execute(s.delete().where(s.c.sync_run_id.in_(stale)))


# --------------------------------------------------------------------------- quarantine


# --------------------------------------------------------------------------- the writer


class PersonnelWriter:
    """Validated, set-based writes of employees (and their units) for one sync run.

    Pass an ``Engine`` to commit each :meth:`write` on its own (a sync commits page by page,
    with its checkpoint), or an open ``Connection`` whose transaction the caller owns (an
    import that must leave the database untouched if it fails).
    """

    def __init__(
        self,
        bind: Engine | Connection,
        run_id: int | None,
        *,
        sumber: str,
        track_seen: bool = False,
        today: dt.date | None = None,
        preload: bool | None = None,
    ) -> None:
        self.bind = bind
        self.run_id = run_id
        self.sumber = sumber
        self.track_seen = track_seen
        self.today = today or agency_today()
        self.totals = Totals()
        self._seen: set[str] = set()
        self._units: dict[str, tuple[int, tuple[Any, ...]]] = {}
        self._units_named_this_run: set[str] = set()
        self._dialect = bind.dialect.name
        #: Columns that may hold dates, datetimes or booleans (converted for SQLite).
        self._typed_columns = frozenset({*DATE_FIELDS, "aktif", "created_at", "updated_at"})
        self._upsert = self._build_upsert()
        pt = _t(Pegawai)
        self._set_source_hash = self._compile(
            update(pt)
            .where(pt.c.nip == bindparam("b_nip"))  # not a change: keep updated_at
            .values(sumber_hash=bindparam("b_sumber_hash"), updated_at=pt.c.updated_at)
        )
        self._insert_seen = self._compile(
            _t(SyncSeen).insert().values(sync_run_id=bindparam("sync_run_id"), nip=bindparam("nip"))
        )
        self._open_karantina: set[str] = set()
        #: Stored NIP -> (content hash, active, source hash), read once for a run that sees
        #: the whole source (default: full runs) instead of once per batch.
        self._known: dict[str, tuple[str, bool, str | None]] | None = None
        self._preload = track_seen if preload is None else preload
        with self._conn() as conn:
            self._load_units(conn)
            self._load_open_karantina(conn)

    # -- plumbing
    @contextmanager
    def _conn(self) -> Iterator[Connection]:
        if isinstance(self.bind, Connection):
            yield self.bind
        else:
            with self.bind.begin() as conn:
                yield conn

    def _insert(self, table: Any) -> Any:
        mod = postgresql if self._dialect == "postgresql" else sqlite
        return mod.insert(table)

    def _build_upsert(self) -> tuple[str, tuple[str, ...] | None]:
        t = _t(Pegawai)
        cols = [c for c in FIELDS if c != "unit_kode"] + [
            "unit_id",
            "aktif",
            "sumber",
            "content_hash",
            "sumber_hash",
            "last_sync_id",
            "created_at",
            "updated_at",
        ]
        ins = self._insert(t).values({c: bindparam(c) for c in cols})
        set_ = {c: ins.excluded[c] for c in cols if c not in ("nip", "created_at")}
        return self._compile(ins.on_conflict_do_update(index_elements=[t.c.nip], set_=set_))

    def _compile(self, stmt: Any) -> tuple[str, tuple[str, ...] | None]:
        """The statement's SQL for this dialect, compiled once, and the order of its
        parameters when the driver's style is positional."""
        compiled = stmt.compile(dialect=self.bind.dialect)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        return str(compiled), order

    def _executemany(
        self, conn: Connection, stmt: tuple[str, tuple[str, ...] | None], rows: list[dict[str, Any]]
    ) -> None:
        """One cached statement, many parameter sets, straight to the driver: SQLAlchemy's
        per-row parameter processing costs more than SQLite's own work at 50,000 rows. The
        values are converted here the way SQLAlchemy stores them (SQLite: ISO dates,
        ``YYYY-MM-DD HH:MM:SS.ffffff`` datetimes, 0/1 booleans)."""
        sql, order = stmt
        if self._dialect == "sqlite":
            assert order is not None
            memo: dict[Any, Any] = {}

            def conv(v: Any) -> Any:
                if v is None or v.__class__ is str or v.__class__ is int:
                    return v
                out = memo.get(v)
                if out is None:
                    if isinstance(v, dt.datetime):
                        out = (v.astimezone(dt.UTC) if v.tzinfo else v).strftime(
                            "%Y-%m-%d %H:%M:%S.%f"
                        )
                    elif isinstance(v, dt.date):
                        out = v.isoformat()
                    elif isinstance(v, bool):
                        out = int(v)
                    else:
                        out = v
                    memo[v] = out
                return out

            # Only the columns that can hold dates, datetimes or booleans are touched.
            special = [i for i, k in enumerate(order) if k in self._typed_columns]
            out_rows = []
            for r in rows:
                vals = [r[k] for k in order]
                for i in special:
                    vals[i] = conv(vals[i])
                out_rows.append(tuple(vals))
            conn.exec_driver_sql(sql, out_rows)
        elif order is not None:
            conn.exec_driver_sql(sql, [tuple([r[k] for k in order]) for r in rows])
        else:
            conn.exec_driver_sql(sql, rows)

    def _load_units(self, conn: Connection) -> None:
        t = _t(UnitKerja)
        for row in conn.execute(select(t.c.id, t.c.kode, *[t.c[f] for f in UNIT_FIELDS])):
            self._units[row.kode] = (row.id, tuple(row[2:]))

    # -- units
    def upsert_units(self, units: Iterable[Mapping[str, Any]]) -> int:
        """Create or update units (kode, nama, singkatan, induk_kode, email, alamat, tempat).
        Only changed units are written; returns how many were."""
        rows = []
        for u in units:
            kode = _text(u.get("kode"))
            nama = _text(u.get("nama"))
            if not kode or not nama:
                continue
            vals = tuple(_text(u.get(f)) for f in UNIT_FIELDS)
            known = self._units.get(kode)
            if known is None or known[1] != vals:
                rows.append({"kode": kode, **dict(zip(UNIT_FIELDS, vals, strict=True))})
        if rows:
            with self._conn() as conn:
                self._write_units(conn, rows)
        return len(rows)

    def _write_units(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        t = _t(UnitKerja)
        now = utcnow()
        params = [
            {**r, "sumber": self.sumber, "aktif": True, "created_at": now, "updated_at": now}
            for r in rows
        ]
        cols = ["kode", *UNIT_FIELDS, "sumber", "aktif", "created_at", "updated_at"]
        ins = self._insert(t).values({c: bindparam(c) for c in cols})
        ins = ins.on_conflict_do_update(
            index_elements=[t.c.kode],
            set_={c: ins.excluded[c] for c in (*UNIT_FIELDS, "aktif", "updated_at")},
        )
        conn.execute(ins, params)
        kodes = [r["kode"] for r in rows]
        for row in conn.execute(
            select(t.c.id, t.c.kode, *[t.c[f] for f in UNIT_FIELDS]).where(t.c.kode.in_(kodes))
        ):
            self._units[row.kode] = (row.id, tuple(row[2:]))

    # -- employees
    def write(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        checkpoint: Mapping[str, Any] | None = None,
        rejected: Iterable[Rejected] = (),
    ) -> Totals:
        """Validate and store one batch (one transaction with an Engine). ``rejected`` adds
        records a reader already refused (e.g. a truncated line) to the quarantine. Raises
        :class:`diklat.runs.RunStopped` before writing when a stop was requested.

        A record exactly as the source sent it when its stored row was written (same
        :func:`source_hash`, row active) is unchanged without being validated again: the
        validation of identical input gives the identical row. Most of a nightly run."""
        runs.check_stop()
        batch = Totals()
        raws = records if isinstance(records, list) else list(records)
        good: dict[str, dict[str, Any]] = {}
        good_hash: dict[str, str] = {}
        clean_arrivals: list[str] = []
        bad: list[Rejected] = list(rejected)
        batch.seen = len(bad)
        seen_now: list[str] = []
        for r in bad:  # a refused row with a valid NIP still shows the person is in the source
            info = nip_rules.parse(r.kunci or "", self.today)
            if info.valid and info.nip not in self._seen:
                self._seen.add(info.nip)
                seen_now.append(info.nip)
        inline_units: dict[str, str] = {}
        with self._conn() as conn:
            existing = self._existing(
                conn, [n for r in raws if (n := r.get("nip")).__class__ is str and len(n) == 18]
            )
            for raw in raws:
                batch.seen += 1
                rh = source_hash(raw)
                key = raw.get("nip")
                prev = existing.get(key) if isinstance(key, str) else None
                if (
                    prev is not None
                    and isinstance(key, str)
                    and prev[2] == rh
                    and prev[1]
                    and key not in self._seen
                    and self._unit_unchanged(raw)
                ):
                    self._seen.add(key)
                    seen_now.append(key)
                    clean_arrivals.append(key)
                    batch.unchanged += 1
                    continue
                baris = raw.get("_baris")
                try:
                    rec = clean_record(raw, self.today)
                except RecordError as e:
                    kunci = _text(raw.get("nip"))
                    bad.append(Rejected(str(e), kunci, baris, safe_payload(raw)))
                    # A valid NIP with other bad data still counts as present in the source.
                    info = nip_rules.parse(kunci or "", self.today)
                    if info.valid and info.nip not in self._seen:
                        self._seen.add(info.nip)
                        seen_now.append(info.nip)
                    continue
                n = rec["nip"]
                if n in self._seen:
                    bad.append(
                        Rejected(
                            "NIP ganda: sudah ada pada rekaman sebelumnya dalam sumber yang sama",
                            n,
                            baris,
                            safe_payload(raw),
                        )
                    )
                    continue
                self._seen.add(n)
                seen_now.append(n)
                unit_nama = _text(raw.get("unit_nama"))
                kode = rec["unit_kode"]
                if unit_nama and (
                    kode not in self._units
                    or (
                        kode not in self._units_named_this_run
                        and self._units[kode][1][0] != unit_nama
                    )
                ):
                    inline_units[kode] = unit_nama
                elif kode not in self._units and kode not in inline_units:
                    bad.append(
                        Rejected(f"unit kerja {kode!r} tidak dikenal", n, baris, safe_payload(raw))
                    )
                    continue
                good[n] = rec
                good_hash[n] = rh

            if inline_units:
                rows = []
                for kode, nama in inline_units.items():
                    old = self._units.get(kode)
                    vals = list(old[1]) if old else [None] * len(UNIT_FIELDS)
                    vals[0] = nama
                    rows.append({"kode": kode, **dict(zip(UNIT_FIELDS, vals, strict=True))})
                    self._units_named_this_run.add(kode)
                self._write_units(conn, rows)
            existing.update(self._existing(conn, [n for n in good if n not in existing]))
            now = utcnow()
            params = []
            rehash = []
            for n, rec in good.items():
                h = content_hash(rec)
                prev = existing.get(n)
                clean_arrivals.append(n)
                if prev is not None and prev[0] == h and prev[1]:
                    batch.unchanged += 1
                    if prev[2] != good_hash[n]:  # same row, sent differently: remember how
                        rehash.append({"b_nip": n, "b_sumber_hash": good_hash[n]})
                    continue
                if prev is None:
                    batch.inserted += 1
                else:
                    batch.updated += 1
                p = {c: rec[c] for c in FIELDS if c != "unit_kode"}
                p.update(
                    unit_id=self._units[rec["unit_kode"]][0],
                    aktif=True,
                    sumber=self.sumber,
                    content_hash=h,
                    sumber_hash=good_hash[n],
                    last_sync_id=self.run_id,
                    created_at=now,
                    updated_at=now,
                )
                params.append(p)
            if params:
                self._executemany(conn, self._upsert, params)
            if rehash:
                self._executemany(conn, self._set_source_hash, rehash)
            if self._open_karantina and clean_arrivals:
                self._resolve(conn, [n for n in clean_arrivals if n in self._open_karantina], now)
            if bad:
                batch.quarantined += len(bad)
                self._quarantine(conn, bad, now)
            if self.track_seen and seen_now and self.run_id is not None:
                self._executemany(
                    conn,
                    self._insert_seen,
                    [{"sync_run_id": self.run_id, "nip": n} for n in seen_now],
                )
            self.totals.add(batch)
            if self.run_id is not None:
                runs.save_progress(conn, self.run_id, checkpoint, self.totals.as_dict())
        return batch

    def _existing(
        self, conn: Connection, nips: list[str]
    ) -> dict[str, tuple[str, bool, str | None]]:
        """NIP -> (content hash, active, source hash) of the stored rows among ``nips``."""
        if self._preload:
            if self._known is None:  # one plain read of the table beats 25 IN-lists
                self._known = {
                    r[0]: (r[1], bool(r[2]), r[3])
                    for r in conn.exec_driver_sql(
                        "SELECT nip, content_hash, aktif, sumber_hash FROM pegawai"
                    )
                }
            known = self._known
            return {n: known[n] for n in nips if n in known}
        t = _t(Pegawai)
        out: dict[str, tuple[str, bool, str | None]] = {}
        for i in range(0, len(nips), 5000):
            chunk = nips[i : i + 5000]
            for row in conn.execute(
                select(t.c.nip, t.c.content_hash, t.c.aktif, t.c.sumber_hash).where(
                    t.c.nip.in_(chunk)
                )
            ):
                out[row.nip] = (row.content_hash, bool(row.aktif), row.sumber_hash)
        return out

    def _unit_unchanged(self, raw: Mapping[str, Any]) -> bool:
        """The record's unit is known and its name (if the record names it) is the one
        stored, or was set by this run: nothing about the unit to write."""
        kode = raw.get("unit_kode")
        known = self._units.get(kode) if kode.__class__ is str else None
        if known is None:
            return False
        nama = raw.get("unit_nama")
        return not nama or kode in self._units_named_this_run or known[1][0] == nama

    def save_checkpoint(self, checkpoint: Mapping[str, Any]) -> None:
        if self.run_id is None:
            return
        with self._conn() as conn:
            runs.save_progress(conn, self.run_id, checkpoint)

    def carry_over_seen(self, from_run_id: int) -> int:
        """On resume: take over the NIPs an interrupted full run had already seen (its
        ``sync_seen`` rows move to this run; rows no run needs are removed)."""
        t = _t(SyncSeen)
        with self._conn() as conn:
            if self.track_seen and self.run_id is not None:
                take_over_seen(conn, from_run_id, self.run_id)
                source = self.run_id
            else:
                source = from_run_id
            nips = [r[0] for r in conn.execute(select(t.c.nip).where(t.c.sync_run_id == source))]
            new = [n for n in nips if n not in self._seen]
            self._seen.update(new)
        return len(new)

    # -- quarantine
    def _load_open_karantina(self, conn: Connection) -> None:
        k = _t(Karantina)
        self._open_karantina = set(
            conn.execute(
                select(k.c.kunci)
                .distinct()
                .where(
                    k.c.sumber == self.sumber, k.c.selesai_pada.is_(None), k.c.kunci.is_not(None)
                )
            ).scalars()
        )

    def _resolve(self, conn: Connection, nips: list[str], now: dt.datetime) -> None:
        """The source delivered these records clean: their open quarantine rows resolve."""
        if not nips:
            return
        k = _t(Karantina)
        for i in range(0, len(nips), 500):
            conn.execute(
                update(k)
                .where(
                    k.c.sumber == self.sumber,
                    k.c.kunci.in_(nips[i : i + 500]),
                    k.c.selesai_pada.is_(None),
                )
                .values(selesai_pada=now)
            )
        self._open_karantina.difference_update(nips)

    def _quarantine(self, conn: Connection, bad: list[Rejected], now: dt.datetime) -> None:
        """One row per record and reason: first seen, last seen, how many times; a record
        quarantined again is reopened."""
        rows: dict[str, dict[str, Any]] = {}
        for r in bad:
            sidik = karantina_sidik(self.sumber, r.kunci, r.baris, r.alasan)
            row = rows.get(sidik)
            if row is not None:
                row["kali"] += 1
                continue
            rows[sidik] = {
                "sidik": sidik,
                "sync_run_id": self.run_id,
                "sumber": self.sumber,
                "kunci": r.kunci,
                "baris": r.baris,
                "alasan": r.alasan,
                "payload": json.dumps(r.payload, ensure_ascii=False, default=str)
                if r.payload is not None
                else None,
                "created_at": now,
                "terakhir": now,
                "kali": 1,
                "selesai_pada": None,
            }
        k = _t(Karantina)
        ins = self._insert(k)
        stmt = ins.on_conflict_do_update(
            index_elements=[k.c.sidik],
            set_={
                "sync_run_id": ins.excluded.sync_run_id,
                "baris": ins.excluded.baris,
                "payload": ins.excluded.payload,
                "terakhir": ins.excluded.terakhir,
                "kali": k.c.kali + ins.excluded.kali,
                "selesai_pada": None,
            },
        )
        conn.execute(stmt, list(rows.values()))
        self._open_karantina.update(r["kunci"] for r in rows.values() if r["kunci"])

    def deactivate_missing(self) -> int:
        """Full runs: mark active employees the run did not see as inactive (never delete)."""
        if not self.track_seen or self.run_id is None:
            raise RuntimeError("deactivate_missing needs a full run (track_seen=True)")
        if not self._seen:
            raise RuntimeError("sumber tidak berisi satu pegawai pun: penonaktifan massal ditolak")
        p, s = _t(Pegawai), _t(SyncSeen)
        with self._conn() as conn:
            res = conn.execute(
                update(p)
                .where(p.c.aktif.is_(True))
                .where(~exists().where(and_(s.c.sync_run_id == self.run_id, s.c.nip == p.c.nip)))
                .values(aktif=False, updated_at=utcnow(), last_sync_id=self.run_id)
            )
            n = int(res.rowcount or 0)
            self.totals.deactivated += n
            runs.save_progress(conn, self.run_id, None, {"deactivated": self.totals.deactivated})
        return n


def count_active(bind: Engine | Connection) -> int:
    stmt = select(func.count()).select_from(Pegawai).where(Pegawai.aktif.is_(True))
    if isinstance(bind, Connection):
        return int(bind.execute(stmt).scalar_one())
    with bind.connect() as conn:
        return int(conn.execute(stmt).scalar_one())
