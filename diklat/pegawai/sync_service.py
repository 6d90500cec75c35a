"""The personnel sync without orchestration: SIMPEG -> validated upsert, and SIASN refresh.

``sync_simpeg`` pulls units and pages of employees from SIMPEG (everything, or what changed
since the last successful run's high watermark), writes each page through the shared
:class:`~diklat.pegawai.personnel.PersonnelWriter` (one transaction per page, checkpoint included),
deactivates employees a full run did not see, and records the run. A run that dies leaves its
checkpoint; the next run of the same kind continues after the last written NIP and takes
over the NIPs the dead run had seen, so a resumed full run deactivates exactly the employees
absent from the whole source.

``refresh_from_siasn`` fetches data-utama for a list of NIPs with bounded concurrency (one
shared token manager), merges it into what we hold, and writes it through the same writer.

No Prefect here: the flow ``flows.sync_pegawai`` and the CLI call these functions. Progress is
reported to listeners (``add_progress_listener``) so a CLI can draw a bar while the flow runs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from connectors.http import BadPayload, ConnectorError
from connectors.records import FIELDS
from connectors.siasn import SiasnClient, SiasnMisconfigured
from connectors.simpeg import SimpegClient
from diklat import runs
from diklat.clients import siasn_client, simpeg_client
from diklat.models import Pegawai, SyncRequest, SyncRun, UnitKerja
from diklat.pegawai import unor
from diklat.pegawai.personnel import (
    PersonnelWriter,
    Rejected,
    Totals,
    finish_run,
    run_counts,
    start_run,
)
from diklat.rules import nip as nip_rules
from diklat.settings import get_settings

log = logging.getLogger("diklat.sync")

SUMBER_SIMPEG = "simpeg"
SUMBER_SIASN = "siasn"


class SyncFailed(RuntimeError):
    """A sync run that ended in failure; the run row holds the same message. ``nips``: the
    NIPs that could not be fetched (for the CLI to print; never in the message, which
    reaches Prefect)."""

    def __init__(
        self,
        message: str,
        run_id: int | None,
        counts: dict[str, object] | None,
        nips: tuple[str, ...] = (),
    ):
        super().__init__(message)
        self.run_id = run_id
        self.counts = counts
        self.nips = nips


class EmptySource(RuntimeError):
    """SIMPEG answered a full run with no employee at all (never a reason to deactivate
    everyone)."""


# --------------------------------------------------------------------------- progress


@dataclass
class Progress:
    """What a progress listener receives after every page (or batch of NIPs)."""

    run_id: int
    phase: str  # "units" / "pegawai" / "deactivate" / "siasn" / "done"
    done: int
    total: int | None
    counts: dict[str, int] = field(default_factory=dict)


ProgressListener = Callable[[Progress], None]
_listeners: list[ProgressListener] = []
_listeners_lock = threading.Lock()


def add_progress_listener(fn: ProgressListener) -> None:
    with _listeners_lock:
        _listeners.append(fn)


def remove_progress_listener(fn: ProgressListener) -> None:
    with _listeners_lock:
        if fn in _listeners:
            _listeners.remove(fn)


def _notify(p: Progress, extra: ProgressListener | None) -> None:
    with _listeners_lock:
        targets = list(_listeners)
    if extra is not None:
        targets.append(extra)
    for fn in targets:
        try:
            fn(p)
        except Exception:  # a broken progress bar must not break a sync
            log.debug("progress listener failed", exc_info=True)


# --------------------------------------------------------------------------- run lookup


@dataclass
class Plan:
    """What a SIMPEG run will do: mode, since, and the interrupted run it continues."""

    mode: str  # "full" / "incremental"
    since: dt.datetime | None
    resume_from: int | None = None
    after: str | None = None
    high_watermark: dt.datetime | None = None
    carried: dict[str, int] = field(default_factory=dict)
    chain_started: dt.datetime | None = None  # start of the first attempt of a resumed run


def _aware(d: dt.datetime | None) -> dt.datetime | None:
    if d is not None and d.tzinfo is None:
        return d.replace(tzinfo=dt.UTC)
    return d


def plan_simpeg(engine: Engine, full: bool) -> Plan:
    """Decide full/incremental and whether to continue an interrupted run.

    - The newest SIMPEG run that failed or was interrupted with a checkpoint (and no success
      after it) is continued when it is a full run (whatever was asked: its deactivation is
      still owed) or when it is incremental and no full run was asked for. Runs whose
      process died are closed as interrupted first (:func:`diklat.runs.close_dead_runs`).
    - Otherwise incremental runs start at the newest successful run's high watermark; with
      no successful run yet, the run is full.
    """
    runs.close_dead_runs(engine)
    kinds = (SyncRun.sumber == SUMBER_SIMPEG) & SyncRun.mode.in_(("full", "incremental"))
    last = runs.resume_point(engine, kinds)
    with engine.connect() as conn:
        ok = conn.execute(
            select(SyncRun.high_watermark, SyncRun.started_at)
            .where(kinds, SyncRun.status == runs.SUCCESS)
            .order_by(SyncRun.id.desc())
            .limit(1)
        ).first()
    if last is not None:
        cp = runs.checkpoint_of(last)
        if cp.get("after") and (last.mode == "full" or not full):
            hw = cp.get("high_watermark")
            cs = cp.get("chain_started")
            return Plan(
                mode=last.mode,
                since=_aware(last.since),
                resume_from=last.id,
                after=str(cp["after"]),
                high_watermark=_aware(dt.datetime.fromisoformat(hw)) if hw else None,
                carried={
                    k: int(getattr(last, k) or 0)
                    for k in ("seen", "inserted", "updated", "unchanged", "quarantined")
                },
                chain_started=_aware(dt.datetime.fromisoformat(cs))
                if cs
                else _aware(last.started_at),
            )
    if full or ok is None:
        return Plan(mode="full", since=None)
    since = _aware(ok.high_watermark) or _aware(ok.started_at)
    return Plan(mode="incremental", since=since)


# --------------------------------------------------------------------------- SIMPEG sync


def _next_since(newest: dt.datetime | None, started: dt.datetime) -> dt.datetime | None:
    """Where the next incremental run starts: the newest change seen, but never later than
    this run's start minus the overlap (see ``settings.sync.overlap_seconds``)."""
    if newest is None:
        return None
    cap = started - dt.timedelta(seconds=get_settings().sync.overlap_seconds)
    return min(_aware(newest) or newest, cap)


def sync_simpeg(
    engine: Engine,
    *,
    full: bool = False,
    client: SimpegClient | None = None,
    progress: ProgressListener | None = None,
    flow_run_id: str | None = None,
    page_size: int | None = None,
) -> dict[str, object]:
    """One SIMPEG sync run; returns the run's counts.

    Raises :class:`diklat.runs.RunBusy` (nothing started) when another sync or import runs
    against this database, :class:`SyncFailed` when the run failed (marked failed with the
    message; its checkpoint lets the next run continue), and lets an interrupt through
    (Ctrl-C, SIGTERM, :class:`diklat.runs.RunStopped`) after marking the run interrupted."""
    run = start_run(
        engine, SUMBER_SIMPEG, "full" if full else "incremental", flow_run_id=flow_run_id
    )
    own_client = client is None
    simpeg: SimpegClient | None = client
    writer: PersonnelWriter | None = None
    t0 = time.monotonic()
    try:
        plan = plan_simpeg(engine, full)
        chain_started = plan.chain_started or dt.datetime.now(dt.UTC)
        run.update(
            mode=plan.mode,
            since=plan.since,
            resumed_from_id=plan.resume_from,
            data_per=chain_started,
        )
        simpeg = simpeg or simpeg_client()
        writer = PersonnelWriter(
            engine, run.id, sumber=SUMBER_SIMPEG, track_seen=plan.mode == "full"
        )
        if plan.resume_from is not None:
            carried = writer.carry_over_seen(plan.resume_from)
            # Keep the resume point on this run at once: if it fails before its first page,
            # the run after it still continues from here (and still owes the deactivation).
            writer.save_checkpoint(
                {
                    "after": plan.after,
                    "mode": plan.mode,
                    "high_watermark": plan.high_watermark.isoformat()
                    if plan.high_watermark
                    else None,
                    "chain_started": chain_started.isoformat(),
                }
            )
            for k, v in plan.carried.items():
                setattr(writer.totals, k, getattr(writer.totals, k) + v)
            log.info(
                "run %s continues run %s (%d NIPs carried over)", run.id, plan.resume_from, carried
            )
        _notify(Progress(run.id, "units", 0, None), progress)
        runs.check_stop()
        writer.upsert_units(simpeg.units())
        high = plan.high_watermark
        done = 0
        after = plan.after
        for page in simpeg.iter_pegawai(updated_since=plan.since, after=after, limit=page_size):
            if page.max_updated_at is not None and (high is None or page.max_updated_at > high):
                high = page.max_updated_at
            after = page.next or page.last_nip or after
            checkpoint = {
                "after": after,
                "mode": plan.mode,
                "high_watermark": high.isoformat() if high else None,
                "chain_started": chain_started.isoformat(),
            }
            writer.write(page.records, rejected=page.rejected, checkpoint=checkpoint)
            done += page.raw_count
            _notify(
                Progress(run.id, "pegawai", done, page.total, writer.totals.as_dict()), progress
            )
        if plan.mode == "full":
            _notify(Progress(run.id, "deactivate", done, done, writer.totals.as_dict()), progress)
            if writer.totals.seen == 0:
                raise EmptySource(
                    "SIMPEG mengembalikan daftar pegawai kosong: penonaktifan "
                    "massal ditolak, data lama dipertahankan"
                )
            writer.deactivate_missing()
        counts = finish_run(
            run, writer.totals, high_watermark=_next_since(high or plan.since, chain_started)
        )
        _notify(Progress(run.id, "done", done, done, writer.totals.as_dict()), progress)
        log.info(
            "simpeg sync run %s %s in %.2fs: %s",
            run.id,
            plan.mode,
            time.monotonic() - t0,
            {
                k: counts[k]
                for k in ("inserted", "updated", "unchanged", "deactivated", "quarantined")
            },
        )
        return counts
    except BaseException as e:
        raise _closed(run, e, writer.totals if writer else None, "SIMPEG") from e
    finally:
        if own_client and simpeg is not None:
            simpeg.close()


def _closed(
    run: runs.Run, e: BaseException, totals: Totals | None, system: str, nips: tuple[str, ...] = ()
) -> BaseException:
    """Close ``run`` after ``e``; what to raise: the interrupt itself, or a
    :class:`SyncFailed` with the message stored on the run."""
    message = _failure_message(e, system)
    run.close_on_error(e, message, **(totals.as_dict() if totals else {}))
    if runs.is_interrupt(e):
        log.warning("%s run %s interrupted", system, run.id)
        return e
    log.error("%s run %s failed: %s", system, run.id, message)
    return SyncFailed(message, run.id, run_counts(run.engine, run.id), nips)


def _failure_message(e: BaseException, system: str = "SIMPEG") -> str:
    if isinstance(e, (SyncFailed, EmptySource)):
        return str(e)
    if isinstance(e, SiasnMisconfigured):  # its URL would name a NIP: the message only
        return e.message
    if isinstance(e, ConnectorError):
        return (
            f"{system} tidak dapat dihubungi atau menjawab salah setelah percobaan "
            f"ulang ({e.__class__.__name__}: {e}); data yang sudah tersimpan tetap utuh, "
            f"jalankan lagi untuk melanjutkan dari checkpoint"
        )
    if runs.is_interrupt(e):  # Ctrl-C, SIGTERM (also Prefect's TerminationSignal), a stop
        return runs.INTERRUPTED_MESSAGE
    # The driver's own first line, never SQLAlchemy's rendering of statement parameters
    # (which would list e-mail addresses and phone numbers).
    return runs.safe_error(e)


# --------------------------------------------------------------------------- SIASN refresh


def _current_records(engine: Engine, nips: list[str]) -> dict[str, dict[str, Any]]:
    """What we hold for these NIPs, as canonical records (the base a SIASN answer updates)."""
    p, u = Pegawai.__table__, UnitKerja.__table__
    cols = [p.c[f] for f in FIELDS if f != "unit_kode"]
    out: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for i in range(0, len(nips), 500):
            stmt = (
                select(*cols, u.c.kode.label("unit_kode"), u.c.nama.label("unit_nama"))
                .select_from(p.outerjoin(u, p.c.unit_id == u.c.id))
                .where(p.c.nip.in_(nips[i : i + 500]))
            )
            for row in conn.execute(stmt):
                out[row.nip] = dict(row._mapping)
    return out


def merge_siasn(current: Mapping[str, Any] | None, fresh: Mapping[str, Any]) -> dict[str, Any]:
    """SIASN's values over ours; fields SIASN did not send (or sent empty) keep ours."""
    rec = dict(current or {})
    for k, v in fresh.items():
        if v is not None or k not in rec:
            rec[k] = v
    return rec


class CircuitBreaker:
    """After ``limit`` failures in a row SIASN is down (or refuses our credentials): the
    remaining NIPs are not tried, so the run fails in seconds instead of retrying each."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._in_a_row = 0
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        return self._in_a_row >= self.limit

    def trip(self) -> None:
        """Open now: trying the other NIPs cannot help (a misconfiguration)."""
        with self._lock:
            self._in_a_row = self.limit

    def success(self) -> None:
        with self._lock:
            self._in_a_row = 0

    def failure(self) -> None:
        with self._lock:
            self._in_a_row += 1


class Skipped(Exception):
    """A NIP not tried because the circuit breaker was open."""


@dataclass(frozen=True)
class JawabanSiasn:
    """SIASN's answer for one NIP in a refresh: ``ada`` (the record, SIASN's values over
    ours), ``tidak_ditemukan``, ``nip_tidak_valid``, ``tidak_terbaca`` (SIASN answered
    something unreadable) or ``gagal`` (no answer after the retries)."""

    hasil: str
    record: dict[str, Any] | None = None


@dataclass
class Fetched:
    """What one NIP's fetch gave: a record, nothing (unknown to SIASN), or an error."""

    nip: str
    record: dict[str, Any] | None = None
    error: Exception | None = None


def _fetch(siasn: SiasnClient, breaker: CircuitBreaker, nip: str) -> Fetched:
    if breaker.open:
        return Fetched(nip, error=Skipped("SIASN gagal berturut-turut"))
    try:
        rec = siasn.data_utama(nip)
    except SiasnMisconfigured:
        breaker.trip()
        raise
    except BadPayload as e:  # SIASN answers, but this record cannot be read
        breaker.success()
        return Fetched(nip, error=e)
    except ConnectorError as e:
        breaker.failure()
        return Fetched(nip, error=e)
    breaker.success()
    return Fetched(nip, record=rec)


def _nip_key(raw: str) -> str:
    """The normalised NIP when valid (``NIP. 1972 ...`` -> 18 digits), else as given."""
    info = nip_rules.parse(raw)
    return info.nip if info.valid else raw.strip()


def invalid_nips(nips: Iterable[str]) -> list[tuple[str, str]]:
    """(NIP, reason) for each NIP that the NIP rules refuse (as ``diklat nip check``)."""
    out = []
    for n in nips:
        info = nip_rules.parse(n)
        if not info.valid:
            out.append((n, info.reason or "tidak valid"))
    return out


class UnitMapper:
    """SIASN's ``unor_id`` (a GUID) -> our unit code, through ``diklat.pegawai.unor``. Unknown GUIDs
    make it fetch ref-unor once per run and match again; what stays unmatched is listed.
    Used from the refresh's main thread only."""

    def __init__(self, engine: Engine, siasn: Any) -> None:
        self.engine = engine
        self.siasn = siasn
        self.map = unor.peta(engine)
        self.refreshed = False
        self.unmatched: dict[str, str] = {}  # GUID -> SIASN's name
        with engine.connect() as c:
            #: No unit of our own at all (SIASN is the only source): SIASN's GUIDs become
            #: our unit codes, there is nothing to duplicate.
            self.siasn_only = c.execute(select(UnitKerja.id).limit(1)).first() is None

    def apply(self, fresh: dict[str, Any], current: Mapping[str, Any] | None) -> Rejected | None:
        """Replace SIASN's unit keys in ``fresh`` by our ``unit_kode``; an unmatched unit
        keeps the employee where we have them (or refuses a new employee, with the reason)."""
        gid = fresh.pop("unor_id", None)
        nama = fresh.pop("unor_nama", None)
        for k in ("unor_induk_id", "unor_induk_nama"):
            fresh.pop(k, None)
        fresh.pop("unit_kode", None)  # never a SIASN id as our code
        fresh.pop("unit_nama", None)  # our unit's name is ours (SIMPEG's or the operator's)
        if not gid:
            return None
        if self.siasn_only:
            fresh["unit_kode"], fresh["unit_nama"] = gid, nama
            return None
        kode = self.map.get(gid)
        if kode is None and not self.refreshed:
            self.refreshed = True
            unor.petakan(self.engine, self.siasn.ref_unor())
            self.map = unor.peta(self.engine)
            kode = self.map.get(gid)
        if kode is not None:
            fresh["unit_kode"] = kode
            return None
        self.unmatched[gid] = str(nama or "")
        if current is None or not current.get("unit_kode"):
            return Rejected(
                alasan=f"unit SIASN {nama or gid} belum dipetakan ke unit kerja; "
                "petakan dengan `diklat siasn unor`",
                kunci=fresh.get("nip"),
            )
        return None


def refresh_from_siasn(
    engine: Engine,
    nips: list[str],
    *,
    client: SiasnClient | None = None,
    concurrency: int | None = None,
    progress: ProgressListener | None = None,
    flow_run_id: str | None = None,
    batch_size: int = 200,
    jawaban: dict[str, JawabanSiasn] | None = None,
) -> dict[str, object]:
    """Fetch data-utama for ``nips`` (bounded concurrency) and write them. NIPs SIASN does
    not know, or whose answer cannot be read, are quarantined with the reason (invalid
    NIPs too, when a caller did not refuse them first). NIPs that could not be fetched at
    all (after retries) fail the run, after the others are stored; :class:`SyncFailed`
    then carries them in ``nips`` and says only how many in its message.

    ``jawaban``, when given, receives SIASN's answer per (normalised) NIP as it comes, also
    when the run fails afterwards: the record (SIASN's values over ours), unknown to SIASN,
    an invalid NIP, an unreadable answer, or not reached (a NIP missing from it was never
    asked). The candidates' verification reads it (:mod:`diklat.kegiatan.verifikasi`)."""
    wanted = list(dict.fromkeys(_nip_key(n) for n in nips if n and n.strip()))
    run = start_run(engine, SUMBER_SIASN, "nips", flow_run_id=flow_run_id)
    own_client = client is None
    siasn: SiasnClient | None = client
    workers = max(1, concurrency or get_settings().siasn.concurrency)
    writer: PersonnelWriter | None = None
    failed: list[Fetched] = []
    try:
        siasn = siasn or siasn_client()
        writer = PersonnelWriter(engine, run.id, sumber=SUMBER_SIASN)
        done = 0
        breaker = CircuitBreaker(max(8, 2 * workers))
        bad_nips = dict(invalid_nips(wanted))
        api = siasn
        units = UnitMapper(engine, siasn)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="siasn") as pool:
            for i in range(0, len(wanted), batch_size):
                chunk = wanted[i : i + batch_size]
                current = _current_records(engine, chunk)
                records: list[dict[str, Any]] = []
                rejected = [
                    Rejected(alasan=f"NIP tidak valid: {bad_nips[n]}", kunci=n)
                    for n in chunk
                    if n in bad_nips
                ]
                answers: dict[str, JawabanSiasn] = {
                    n: JawabanSiasn("nip_tidak_valid") for n in chunk if n in bad_nips
                }
                valid = [n for n in chunk if n not in bad_nips]
                for got in pool.map(lambda n: _fetch(api, breaker, n), valid):
                    if isinstance(got.error, BadPayload):
                        rejected.append(
                            Rejected(
                                alasan=f"jawaban SIASN tidak terbaca: {got.error}", kunci=got.nip
                            )
                        )
                        answers[got.nip] = JawabanSiasn("tidak_terbaca")
                    elif got.error is not None:
                        failed.append(got)
                        answers[got.nip] = JawabanSiasn("gagal")
                    elif got.record is None:
                        rejected.append(
                            Rejected(alasan="NIP tidak ditemukan di SIASN", kunci=got.nip)
                        )
                        answers[got.nip] = JawabanSiasn("tidak_ditemukan")
                    else:
                        mine = current.get(got.record.get("nip") or got.nip)
                        refused = units.apply(got.record, mine)
                        merged = merge_siasn(mine, got.record)
                        answers[got.nip] = JawabanSiasn("ada", merged)
                        if refused is not None:
                            rejected.append(refused)
                        else:
                            records.append(merged)
                if jawaban is not None:
                    jawaban.update(answers)
                writer.write(records, rejected=rejected)
                done += len(chunk)
                _notify(
                    Progress(run.id, "siasn", done, len(wanted), writer.totals.as_dict()), progress
                )
        if failed:
            real = next(
                (f.error for f in failed if not isinstance(f.error, Skipped)), failed[0].error
            )
            raise SyncFailed(
                f"{len(failed)} NIP gagal diambil dari SIASN (yang lain "
                f"tersimpan): {type(real).__name__}: {real}",
                run.id,
                None,
            )
        counts = finish_run(run, writer.totals)
        _notify(Progress(run.id, "done", done, done, writer.totals.as_dict()), progress)
        if units.unmatched:  # the operator maps them (``diklat siasn unor``)
            counts["unor_belum_dipetakan"] = sorted(units.unmatched.values())
            log.warning("SIASN refresh: %d unit SIASN belum dipetakan", len(units.unmatched))
        return counts
    except BaseException as e:
        raise _closed(
            run, e, writer.totals if writer else None, "SIASN", tuple(f.nip for f in failed)
        ) from e
    finally:
        if own_client and siasn is not None:
            siasn.close()


# --------------------------------------------------------------------------- NIP requests


def save_request(engine: Engine, nips: Iterable[str]) -> int:
    """Store the NIPs of a refresh; the flow gets the returned id as its parameter."""
    wanted = list(dict.fromkeys(n.strip() for n in nips if n and n.strip()))
    with engine.begin() as conn:
        rid = conn.execute(
            insert(SyncRequest).values(
                nips=json.dumps(wanted), jumlah=len(wanted), created_at=dt.datetime.now(dt.UTC)
            )
        ).inserted_primary_key
    assert rid is not None
    return int(rid[0])


def load_request(engine: Engine, request_id: int) -> list[str]:
    with engine.connect() as conn:
        raw = conn.execute(
            select(SyncRequest.nips).where(SyncRequest.id == request_id)
        ).scalar_one_or_none()
    if raw is None:
        raise SyncFailed(f"permintaan sinkronisasi #{request_id} tidak ada", None, None)
    return [str(n) for n in json.loads(raw)]


def drop_request(engine: Engine, request_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(delete(SyncRequest).where(SyncRequest.id == request_id))
