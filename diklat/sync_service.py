"""The personnel sync without orchestration: SIMPEG -> validated upsert, and SIASN refresh.

``sync_simpeg`` pulls units and pages of employees from SIMPEG (everything, or what changed
since the last successful run's high watermark), writes each page through the shared
:class:`~diklat.personnel.PersonnelWriter` (one transaction per page, checkpoint included),
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

from sqlalchemy import Engine, select, update

from connectors.http import BadPayload, ConnectorError
from connectors.siasn import SiasnClient
from connectors.simpeg import Rejected as SourceRejected
from connectors.simpeg import SimpegClient
from diklat.clients import siasn_client, simpeg_client
from diklat.models import Pegawai, SyncRun, UnitKerja
from diklat.personnel import (
    FIELDS,
    PersonnelWriter,
    Rejected,
    fail_run,
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
    """A sync run that ended in failure; the run row holds the same message."""

    def __init__(self, message: str, run_id: int | None, counts: dict[str, object] | None):
        super().__init__(message)
        self.run_id = run_id
        self.counts = counts


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


#: A run still "running" after this long died without saying so (killed process, power cut).
STALE_AFTER = dt.timedelta(hours=6)


def _abandon_stale_runs(engine: Engine) -> None:
    """Mark long-dead "running" SIMPEG runs failed, so the next run continues them."""
    cutoff = dt.datetime.now(dt.UTC) - STALE_AFTER
    with engine.begin() as conn:
        rows = conn.execute(select(SyncRun.id, SyncRun.started_at).where(
            SyncRun.sumber == SUMBER_SIMPEG, SyncRun.status == "running")).all()
        stale = [r.id for r in rows if (_aware(r.started_at) or cutoff) < cutoff]
        if stale:
            conn.execute(update(SyncRun).where(SyncRun.id.in_(stale)).values(
                status="failed", error="berhenti tanpa selesai (proses mati); dilanjutkan oleh "
                                       "run berikutnya dari checkpoint"))
            log.warning("sync runs %s were left running; marked failed", stale)


def plan_simpeg(engine: Engine, full: bool) -> Plan:
    """Decide full/incremental and whether to continue an interrupted run.

    - The newest SIMPEG run that failed with a checkpoint (and no success after it) is
      continued when it is a full run (whatever was asked: its deactivation is still owed)
      or when it is incremental and no full run was asked for.
    - Otherwise incremental runs start at the newest successful run's high watermark; with
      no successful run yet, the run is full.
    """
    _abandon_stale_runs(engine)
    with engine.connect() as conn:
        last = conn.execute(
            select(SyncRun).where(SyncRun.sumber == SUMBER_SIMPEG,
                                  SyncRun.mode.in_(("full", "incremental")),
                                  SyncRun.status.in_(("success", "failed")))
            .order_by(SyncRun.id.desc()).limit(1)
        ).first()
        ok = conn.execute(
            select(SyncRun.high_watermark, SyncRun.started_at)
            .where(SyncRun.sumber == SUMBER_SIMPEG, SyncRun.status == "success",
                   SyncRun.mode.in_(("full", "incremental")))
            .order_by(SyncRun.id.desc()).limit(1)
        ).first()
    if last is not None and last.status == "failed" and last.checkpoint:
        try:
            cp = json.loads(last.checkpoint)
        except ValueError:
            cp = {}
        if cp.get("after") and (last.mode == "full" or not full):
            hw = cp.get("high_watermark")
            cs = cp.get("chain_started")
            return Plan(
                mode=last.mode,
                since=_aware(last.since),
                resume_from=last.id,
                after=str(cp["after"]),
                high_watermark=_aware(dt.datetime.fromisoformat(hw)) if hw else None,
                carried={k: int(getattr(last, k) or 0) for k in
                         ("seen", "inserted", "updated", "unchanged", "quarantined")},
                chain_started=_aware(dt.datetime.fromisoformat(cs)) if cs
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


def _to_rejected(items: Iterable[SourceRejected]) -> list[Rejected]:
    return [Rejected(alasan=r.alasan, kunci=r.kunci, payload=r.payload) for r in items]


def sync_simpeg(
    engine: Engine,
    *,
    full: bool = False,
    client: SimpegClient | None = None,
    progress: ProgressListener | None = None,
    flow_run_id: str | None = None,
    page_size: int | None = None,
) -> dict[str, object]:
    """One SIMPEG sync run; returns the run's counts. Raises :class:`SyncFailed` (the run is
    then marked failed with the message, and its checkpoint lets the next run continue)."""
    plan = plan_simpeg(engine, full)
    run_id = start_run(engine, SUMBER_SIMPEG, plan.mode, since=plan.since,
                       resumed_from_id=plan.resume_from, flow_run_id=flow_run_id)
    own_client = client is None
    simpeg = client or simpeg_client()
    writer: PersonnelWriter | None = None
    chain_started = plan.chain_started or dt.datetime.now(dt.UTC)
    t0 = time.monotonic()
    try:
        writer = PersonnelWriter(engine, run_id, sumber=SUMBER_SIMPEG,
                                 track_seen=plan.mode == "full")
        if plan.resume_from is not None:
            carried = writer.carry_over_seen(plan.resume_from)
            # Keep the resume point on this run at once: if it fails before its first page,
            # the run after it still continues from here (and still owes the deactivation).
            writer.save_checkpoint({"after": plan.after, "mode": plan.mode,
                                    "high_watermark": plan.high_watermark.isoformat()
                                    if plan.high_watermark else None,
                                    "chain_started": chain_started.isoformat()})
            for k, v in plan.carried.items():
                setattr(writer.totals, k, getattr(writer.totals, k) + v)
            log.info("run %s continues run %s after NIP %s (%d NIPs carried over)",
                     run_id, plan.resume_from, plan.after, carried)
        _notify(Progress(run_id, "units", 0, None), progress)
        writer.upsert_units(simpeg.units())
        high = plan.high_watermark
        done = 0
        after = plan.after
        for page in simpeg.iter_pegawai(updated_since=plan.since, after=after,
                                        limit=page_size):
            if page.max_updated_at is not None and (high is None or page.max_updated_at > high):
                high = page.max_updated_at
            after = page.next or page.last_nip or after
            checkpoint = {"after": after, "mode": plan.mode,
                          "high_watermark": high.isoformat() if high else None,
                          "chain_started": chain_started.isoformat()}
            writer.write(page.records, rejected=_to_rejected(page.rejected),
                         checkpoint=checkpoint)
            done += page.raw_count
            _notify(Progress(run_id, "pegawai", done, page.total, writer.totals.as_dict()),
                    progress)
        if plan.mode == "full":
            _notify(Progress(run_id, "deactivate", done, done, writer.totals.as_dict()), progress)
            if writer.totals.seen == 0:
                raise SyncFailed("SIMPEG mengembalikan daftar pegawai kosong: penonaktifan "
                                 "massal ditolak, data lama dipertahankan", run_id, None)
            writer.deactivate_missing()
        counts = finish_run(engine, run_id, writer.totals,
                            high_watermark=_next_since(high or plan.since, chain_started))
        _notify(Progress(run_id, "done", done, done, writer.totals.as_dict()), progress)
        log.info("simpeg sync run %s %s in %.2fs: %s", run_id, plan.mode,
                 time.monotonic() - t0, {k: counts[k] for k in
                                         ("inserted", "updated", "unchanged", "deactivated",
                                          "quarantined")})
        return counts
    except BaseException as e:
        message = _failure_message(e)
        fail_run(engine, run_id, message, writer.totals if writer else None)
        log.error("simpeg sync run %s failed: %s", run_id, message)
        if isinstance(e, Exception):
            raise SyncFailed(message, run_id, run_counts(engine, run_id)) from e
        raise
    finally:
        if own_client:
            simpeg.close()


def _failure_message(e: BaseException, system: str = "SIMPEG") -> str:
    if isinstance(e, SyncFailed):
        return str(e)
    if isinstance(e, ConnectorError):
        return (f"{system} tidak dapat dihubungi atau menjawab salah setelah percobaan "
                f"ulang ({e.__class__.__name__}: {e}); data yang sudah tersimpan tetap utuh, "
                f"jalankan lagi untuk melanjutkan dari checkpoint")
    if not isinstance(e, Exception):  # Ctrl-C, SIGTERM (also Prefect's TerminationSignal)
        return (f"dihentikan ({e.__class__.__name__}); jalankan lagi untuk melanjutkan dari "
                "checkpoint")
    # The driver's own first line, never SQLAlchemy's rendering of statement parameters
    # (which would list e-mail addresses and phone numbers).
    orig = getattr(e, "orig", None)
    lines = str(orig if orig is not None else e).strip().splitlines()
    return f"{type(orig if orig is not None else e).__name__}: {lines[0] if lines else ''}"[:500]


# --------------------------------------------------------------------------- SIASN refresh


def _current_records(engine: Engine, nips: list[str]) -> dict[str, dict[str, Any]]:
    """What we hold for these NIPs, as canonical records (the base a SIASN answer updates)."""
    p, u = Pegawai.__table__, UnitKerja.__table__
    cols = [p.c[f] for f in FIELDS if f != "unit_kode"]
    out: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for i in range(0, len(nips), 500):
            stmt = (select(*cols, u.c.kode.label("unit_kode"), u.c.nama.label("unit_nama"))
                    .select_from(p.outerjoin(u, p.c.unit_id == u.c.id))
                    .where(p.c.nip.in_(nips[i:i + 500])))
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


def refresh_from_siasn(
    engine: Engine,
    nips: list[str],
    *,
    client: SiasnClient | None = None,
    concurrency: int | None = None,
    progress: ProgressListener | None = None,
    flow_run_id: str | None = None,
    batch_size: int = 200,
) -> dict[str, object]:
    """Fetch data-utama for ``nips`` (bounded concurrency) and write them. NIPs SIASN does
    not know, or whose answer cannot be read, are quarantined with the reason. NIPs that
    could not be fetched at all (after retries) fail the run, after the others are stored."""
    from diklat.settings import get_settings

    wanted = list(dict.fromkeys(n.strip() for n in nips if n and n.strip()))
    run_id = start_run(engine, SUMBER_SIASN, "nips", flow_run_id=flow_run_id)
    own_client = client is None
    siasn = client or siasn_client()
    workers = max(1, concurrency or get_settings().siasn.concurrency)
    writer: PersonnelWriter | None = None
    failures: list[str] = []
    try:
        writer = PersonnelWriter(engine, run_id, sumber=SUMBER_SIASN)
        done = 0
        # Circuit breaker: after this many failures in a row SIASN is down (or refuses our
        # credentials); the remaining NIPs are not tried, so the run fails in seconds.
        breaker_limit = max(8, 2 * workers)
        breaker = {"in_a_row": 0, "open": False}
        breaker_lock = threading.Lock()

        def fetch(nip: str) -> tuple[str, dict[str, Any] | None, str | None]:
            if breaker["open"]:
                return nip, None, "dilewati: SIASN gagal berturut-turut"
            if not nip_rules.parse(nip).valid:
                return nip, None, "invalid"
            try:
                rec = siasn.data_utama(nip)
            except ConnectorError as e:
                with breaker_lock:
                    if not isinstance(e, BadPayload):
                        breaker["in_a_row"] += 1
                        breaker["open"] = breaker["in_a_row"] >= breaker_limit
                return nip, None, f"{e.__class__.__name__}: {e}"
            with breaker_lock:
                breaker["in_a_row"] = 0
            return nip, rec, None

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="siasn") as pool:
            for i in range(0, len(wanted), batch_size):
                chunk = wanted[i:i + batch_size]
                current = _current_records(engine, chunk)
                records: list[dict[str, Any]] = []
                rejected: list[Rejected] = []
                for nip, rec, err in pool.map(fetch, chunk):
                    if err == "invalid":
                        rejected.append(Rejected(
                            alasan=f"NIP tidak valid: {nip_rules.parse(nip).reason}", kunci=nip))
                    elif err is not None:
                        if err.startswith("BadPayload"):
                            rejected.append(Rejected(alasan=f"jawaban SIASN tidak terbaca: {err}",
                                                     kunci=nip))
                        else:
                            failures.append(f"{nip}: {err}")
                    elif rec is None:
                        rejected.append(Rejected(alasan="NIP tidak ditemukan di SIASN",
                                                 kunci=nip))
                    else:
                        records.append(merge_siasn(current.get(rec.get("nip") or nip), rec))
                writer.write(records, rejected=rejected)
                done += len(chunk)
                _notify(Progress(run_id, "siasn", done, len(wanted), writer.totals.as_dict()),
                        progress)
        if failures:
            first_real = next((f for f in failures if "dilewati" not in f), failures[0])
            raise SyncFailed(f"{len(failures)} NIP gagal diambil dari SIASN (yang lain "
                             f"tersimpan); contoh: {first_real}", run_id, None)
        counts = finish_run(engine, run_id, writer.totals)
        _notify(Progress(run_id, "done", done, done, writer.totals.as_dict()), progress)
        return counts
    except BaseException as e:
        message = _failure_message(e, "SIASN")
        fail_run(engine, run_id, message, writer.totals if writer else None)
        log.error("siasn refresh run %s failed: %s", run_id, message)
        if isinstance(e, Exception):
            raise SyncFailed(message, run_id, run_counts(engine, run_id)) from e
        raise
    finally:
        if own_client:
            siasn.close()
