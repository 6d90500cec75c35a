"""The Prefect side of the run lifecycle (:mod:`diklat.runs`): names, artifacts, closing runs.

- Flow and task run names that say what they are (``sinkron-penuh-2026-12-01``).
- A table artifact whose first columns are the counts an operator looks for.
- Runs of this project found dead (kill -9) are closed in the database by
  :func:`diklat.runs.close_dead_runs`; :func:`close_flow_runs` ends their Prefect flow runs
  too, which would otherwise stay Running for ever.
- An interrupted flow run (Ctrl-C, SIGTERM) ends Cancelled rather than Crashed
  (:func:`cancel_on_interrupt`, a flow's ``on_crashed`` hook).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from diklat import runs

log = logging.getLogger("diklat.tasks")

#: Artifact columns: counts first, then what the run was (no personal data anywhere).
COUNT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("baru", "inserted"),
    ("berubah", "updated"),
    ("tetap", "unchanged"),
    ("dinonaktifkan", "deactivated"),
    ("dikarantina", "quarantined"),
)


def flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    rid = flow_run.id
    return str(rid) if rid else None


def agency_date() -> str:
    from diklat.pegawai.personnel import agency_today

    return agency_today().isoformat()


def counts_row(counts: Mapping[str, Any], extra: Sequence[tuple[str, Any]] = ()) -> dict[str, Any]:
    """One artifact row: the counts, status, seconds, then ``extra`` and the run id."""
    from diklat.pegawai.personnel import MODE_LABEL

    row: dict[str, Any] = {label: counts.get(key) for label, key in COUNT_COLUMNS}
    status = str(counts.get("status") or "")
    row["status"] = runs.STATUS_LABEL.get(status, status)
    row["detik"] = counts.get("seconds")
    mode = str(counts.get("mode") or "")
    row["jenis"] = MODE_LABEL.get(mode, mode)
    row.update(extra)
    row["run"] = counts.get("sync_run_id")
    return row


def publish_counts(key: str, rows: list[dict[str, Any]], description: str) -> None:
    from prefect.artifacts import create_table_artifact

    create_table_artifact(table=rows, key=key, description=description)


def close_flow_runs(closed: Iterable[runs.ClosedRun]) -> None:
    """End the Prefect flow runs of runs found dead (best effort, short timeouts)."""
    ids = [c.flow_run_id for c in closed if c.flow_run_id]
    if not ids:
        return
    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    try:
        with get_client(sync_client=True) as client:
            for rid in ids:
                client.set_flow_run_state(rid, Crashed(message=runs.DEAD_MESSAGE), force=True)
    except Exception:  # the database already says what happened
        log.debug("could not close Prefect flow runs %s", ids, exc_info=True)


def cancel_on_interrupt(flow: Any, flow_run: Any, state: Any) -> None:
    """``on_crashed`` hook: a run stopped by Ctrl-C or SIGTERM ends Cancelled with the
    message an operator needs, not Crashed."""
    from prefect.exceptions import TerminationSignal

    cause = getattr(state, "data", None)  # the exception, attached for local use
    if not (runs.stop_requested() or isinstance(cause, (KeyboardInterrupt, TerminationSignal))):
        return
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled

    try:
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(
                flow_run.id, Cancelled(message=runs.INTERRUPTED_MESSAGE), force=True
            )
    except Exception:
        log.debug("could not mark flow run %s cancelled", flow_run.id, exc_info=True)
