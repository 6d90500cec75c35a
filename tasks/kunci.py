"""The Prefect side of one live run per training (:mod:`diklat.kegiatan.kunci`; issue 23,
items 5 and 6).

- :func:`pegang_kegiatan`, at the start of a training's SOP run (its first task): take the
  training for this flow run (a live other run: refused with one line, the run ends Failed
  with that line and nothing else), then close in Prefect what this run takes over from: the
  previous holder's flow run (its process is gone or it ended: a Running one becomes
  Crashed, a Suspended one Cancelled), and older runs of the same training that wait without
  a process (Suspended, Scheduled), each with a message naming the run that took over.
- :func:`tutup_run_yatim`, when ``diklat up`` starts: flow runs of trainings whose holding
  process is gone from this machine and that Prefect still shows Running (a server or a
  machine stopped under them) become Crashed, saying how to continue.

Best effort towards Prefect (the database is the record; a run Prefect cannot close now is
closed by the next start), never an SQL text in a state message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import nullcontext
from typing import Any
from uuid import UUID

from diklat.kegiatan import kunci as kunci_kegiatan
from diklat.runs import safe_error
from tasks.runs import flow_run_id

log = logging.getLogger("diklat.tasks")

#: How the SOP flows name a training's runs (``flows/``: ``pk-<KODE>``, ``pd-<KODE>``).
NAMA_RUN = ("pk-{kode}", "pd-{kode}")


def selesai(flow_run_id: str) -> bool:
    """Has this flow run ended (or does it not exist on this Prefect server)?"""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        uid = UUID(str(flow_run_id))
    except ValueError:
        return True
    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(uid)
    except ObjectNotFound:
        return True
    except Exception:  # cannot tell: it may run; refuse rather than run twice
        log.debug("flow run %s: state unknown", flow_run_id, exc_info=True)
        return False
    return run.state is not None and run.state.is_final()


def pegang_kegiatan(kode: str) -> kunci_kegiatan.Diambil | None:
    """Take training ``kode`` for the current flow run and close what it takes over from
    (see the module docstring). Outside a flow run: nothing (None)."""
    from diklat.db import get_engine

    rid = flow_run_id()
    if rid is None:
        return None
    engine = get_engine()
    tercatat = kunci_kegiatan.run_tercatat(engine, kode)
    diambil = kunci_kegiatan.ambil(engine, kode, rid, selesai=selesai)
    try:
        tutup_run_lama(kode, rid, diambil.sebelumnya, [tercatat] if tercatat else [])
    except Exception as e:  # the next start tries again; never fail a run for this
        log.warning("older runs of %s not closed in Prefect: %s", kode, safe_error(e))
    return diambil


def _tanpa_proses(state: Any) -> bool:
    """A state in which no process runs the flow run: Suspended, Scheduled (also
    AwaitingRetry, Late)."""
    from prefect.client.schemas.objects import StateType

    if state.type == StateType.SCHEDULED:
        return True
    details = getattr(state, "state_details", None)
    return state.type == StateType.PAUSED and bool(
        getattr(details, "pause_reschedule", False) or state.name == "Suspended"
    )


def _tutup(client: Any, run: Any, pesan: str) -> str:
    """Crashed for a run Prefect shows as running (its process is gone), Cancelled for one
    waiting without a process; returns the state's name."""
    from prefect.states import Cancelled, Crashed

    state: Any
    if _tanpa_proses(run.state):
        state = Cancelled(message=pesan)
    else:
        state = Crashed(message=f"proses run ini sudah berhenti; {pesan}")
    client.set_flow_run_state(run.id, state, force=True)
    log.info("flow run %s (%s) closed as %s", run.id, run.name, state.name)
    return str(state.name)


def tutup_run_lama(
    kode: str, rid: str, sebelumnya: str | None, lain: Iterable[str] = ()
) -> list[str]:
    """Close in Prefect, for the run ``rid`` that now drives training ``kode``: the previous
    holder ``sebelumnya`` (whatever its state, unless ended), and older runs of the training
    (``lain`` and those named like its runs) that wait without a process. Returns the ids
    closed."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterName,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.exceptions import ObjectNotFound

    closed: list[str] = []
    with get_client(sync_client=True) as client:
        me = client.read_flow_run(UUID(rid))
        pesan = f"kegiatan {kode} dilanjutkan oleh run {me.name} ({me.id})"
        ids = {x for x in (sebelumnya, *lain) if x and x != rid}
        candidates: dict[str, tuple[Any, bool]] = {}
        for x in ids:
            try:
                candidates[x] = (client.read_flow_run(UUID(x)), x == sebelumnya)
            except (ObjectNotFound, ValueError):
                continue
        waiting = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                name=FlowRunFilterName(any_=[n.format(kode=kode) for n in NAMA_RUN]),
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.SCHEDULED, StateType.PAUSED])
                ),
            ),
            limit=100,
        )
        for run in waiting:
            candidates.setdefault(str(run.id), (run, False))
        for x, (run, holder) in candidates.items():
            if x == rid or run.state is None or run.state.is_final():
                continue
            older = run.created is None or me.created is None or run.created <= me.created
            if holder or (older and _tanpa_proses(run.state)):
                _tutup(client, run, pesan)
                closed.append(x)
    return closed


def tutup_run_yatim(api_url: str | None = None, auth: str | None = None) -> list[str]:
    """Flow runs of trainings whose holding process is gone from this machine and that
    Prefect still shows as running (Running, Pending, Paused in-process, Cancelling):
    Crashed, with how to continue. Suspended runs are left waiting (they need no process).
    ``api_url``/``auth``: the Prefect server to talk to (default: the configured one)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Crashed

    from diklat.db import get_engine

    rows = kunci_kegiatan.yatim(get_engine())
    if not rows:
        return []
    closed: list[str] = []
    with _api(api_url, auth), get_client(sync_client=True) as client:
        for row in rows:
            try:
                run = client.read_flow_run(UUID(row.flow_run_id))
                if run.state is None or run.state.is_final() or _tanpa_proses(run.state):
                    continue
                client.set_flow_run_state(
                    run.id,
                    Crashed(
                        message=(
                            f"proses run ini sudah berhenti (mesin, proses atau server Prefect mati); "
                            f"jalankan lagi kegiatan {row.kode} untuk melanjutkan"
                        )
                    ),
                    force=True,
                )
            except (ObjectNotFound, ValueError):
                continue
            except Exception as e:  # best effort: the next start closes it too
                log.warning("flow run %s not closed: %s", row.flow_run_id, safe_error(e))
                continue
            closed.append(str(run.id))
    return closed


def _api(api_url: str | None, auth: str | None) -> Any:
    if not api_url:
        return nullcontext()
    import prefect.settings as ps

    updates: dict[Any, Any] = {ps.PREFECT_API_URL: api_url}
    if auth:
        updates[ps.PREFECT_API_AUTH_STRING] = auth
    return ps.temporary_settings(updates=updates)
