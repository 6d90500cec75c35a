"""Resuming a waiting run, in one place: the terminal (`diklat approve`, `diklat naskah
perbaiki`, `diklat distribusi konfirmasi`), the approval and signing pages (`diklat web`), the
scripted officials of the demo, and the deadline monitor all go through :func:`lanjutkan`.

An answer only ever reaches the wait it was made for: the run must be paused or suspended
under a key that starts with the wait's own prefix (``p<request>-`` for an official's decision,
``r<bundle>-`` for a correction, ``l<step>-`` for an operator's report, ``d<bundle>-`` for a
sending step, ``t<type>-`` for a date), checked right before resuming; otherwise nothing is
resumed. :func:`hapus_jawaban` removes processed answers from Prefect's stored run inputs.
Imports Prefect, nothing of the flows.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from uuid import UUID

log = logging.getLogger("diklat.lanjut")


def kunci_tunggu(flow_run_id: str) -> str | None:
    """The key the run waits under (paused or suspended), ``None`` when it does not wait."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as c:
        fr = c.read_flow_run(UUID(flow_run_id))
    return _kunci(fr.state)


def _kunci(st: Any) -> str | None:
    """The pause key of a run's state; ``None`` when the run does not wait."""
    if st is None or not st.is_paused():
        return None
    return str(st.state_details.pause_key or "")


def kunci_tunggu_semua(flow_run_ids: list[str], client: Any = None) -> dict[str, str | None]:
    """:func:`kunci_tunggu` of many runs in one request, with ``client`` (a sync Prefect
    client kept by a caller that polls) or a new one (a client costs an SSL context, about
    20 ms of CPU, even over plain HTTP). Runs not found are absent."""
    from contextlib import nullcontext

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    if not flow_run_ids:
        return {}
    with nullcontext(client) if client is not None else get_client(sync_client=True) as c:
        runs = c.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(i) for i in flow_run_ids])),
            limit=len(flow_run_ids),
        )
    return {str(fr.id): _kunci(fr.state) for fr in runs}


def lanjutkan(flow_run_id: str | None, awalan: str, jawaban: dict[str, Any]) -> bool:
    """Resume ``flow_run_id`` with ``jawaban`` if, and only if, it waits under a key starting
    with ``awalan``. Returns whether it was resumed. Never raises for a run that does not
    wait (finished, crashed, waiting for something else, or no server reachable)."""
    if not flow_run_id:
        return False
    try:
        key = kunci_tunggu(flow_run_id)
        if key is None or not key.startswith(awalan):
            return False
        from prefect.flow_runs import resume_flow_run

        resume_flow_run(UUID(flow_run_id), run_input=jawaban)
        return True
    except Exception as e:  # noqa: BLE001 - the decision is in the database either way
        log.info("run %s tidak dilanjutkan: %s", flow_run_id, type(e).__name__)
        return False


def hapus_jawaban(flow_run_id: str, awalan: str) -> int:
    """Delete the stored answers (``suspended-<key>-response`` / ``paused-<key>-response``)
    of every key starting with ``awalan``; returns how many. Best effort."""
    from prefect.client.orchestration import get_client

    n = 0
    try:
        with get_client(sync_client=True) as c:
            for state in ("suspended", "paused"):
                prefix = f"{state}-{awalan}"
                seen: set[str] = set()
                while True:  # by pages: a long run stores a schema, a description and an
                    # answer per wait, more than one page of the server's filter
                    page = c.filter_flow_run_input(
                        UUID(flow_run_id), key_prefix=prefix, limit=100, exclude_keys=seen
                    )
                    if not page:
                        break
                    for i in page:
                        seen.add(i.key)
                        if i.key.endswith("-response"):
                            c.delete_flow_run_input(UUID(flow_run_id), i.key)
                            n += 1
    except Exception as e:  # noqa: BLE001 - cleanup only
        log.debug("jawaban %s tidak terhapus dari Prefect: %s", awalan, type(e).__name__)
    return n


def hapus_jawaban_kegiatan(kode: str, run_ini: str | None = None, batas: int = 200) -> int:
    """Delete the stored answers of every run of training ``kode`` (its runs are tagged with
    the code) and of ``run_ini`` (this run, also when its tag could not be set): those of
    earlier runs that ended without removing theirs too (a process killed after an official's
    answer reached it, a run cancelled while it held one). Returns how many. Best effort."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    try:
        with get_client(sync_client=True) as c:
            runs = c.read_flow_runs(
                flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[kode])), limit=batas
            )
    except Exception as e:  # noqa: BLE001 - cleanup only
        log.debug("run kegiatan %s tidak terbaca dari Prefect: %s", kode, type(e).__name__)
        runs = []
    ids = {str(fr.id) for fr in runs} | ({run_ini} if run_ini else set())
    return sum(hapus_jawaban(i, "") for i in sorted(ids))


def lanjutkan_tanggal(hari_ini: dt.date, batas: int = 200) -> int:
    """Resume every run that waits for a date (key ``t<type>-<YYYY-MM-DD>``) that has come.
    Called by the hourly deadline monitor; returns how many were resumed."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    done = 0
    with get_client(sync_client=True) as c:
        runs = c.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
            ),
            limit=batas,
        )
    for fr in runs:
        st = fr.state
        key = str(st.state_details.pause_key or "") if st is not None else ""
        if not key.startswith("t") or "-" not in key:
            continue
        try:
            day = dt.date.fromisoformat(key[-10:])
        except ValueError:
            continue
        if day <= hari_ini and lanjutkan(str(fr.id), key, {"lanjut": True}):
            done += 1
    return done


__all__ = ["hapus_jawaban", "kunci_tunggu", "lanjutkan", "lanjutkan_tanggal"]
