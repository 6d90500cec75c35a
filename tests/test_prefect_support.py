"""The test suite's own Prefect plumbing: a test that points the process at a server of its
own must not leave Prefect's event worker sending to that server after it is gone (in CI
that hung the session's end for 600 s and then the interpreter's exit past the job's time)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.prefect_support import drain_prefect_workers, prefect_server, using_prefect_api


def _delivered(timeout: float = 60) -> None:
    """Wait until a live events worker has handled everything it was given (so it has
    started, connected to the current server and stays bound to it)."""
    from prefect._internal.concurrency.services import _QueueServiceBase
    from prefect.events.worker import EventsWorker

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        live = [
            w
            for w in list(getattr(_QueueServiceBase, "_instances", {}).values())
            if isinstance(w, EventsWorker)
        ]
        if live and all(w._queue.unfinished_tasks == 0 for w in live):
            return
        time.sleep(0.1)
    raise AssertionError("the events worker did not handle the event")


def _emit(n: int) -> None:
    from prefect.events import emit_event

    for i in range(n):
        emit_event("diklat.uji", resource={"prefect.resource.id": f"diklat.uji.{i}"})


@pytest.mark.slow
def test_events_after_a_stopped_server_reach_the_current_one(
    prefect_api: str, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    drain_prefect_workers()
    # The failure being guarded against, shown first: switching with plain temporary settings
    # binds the events worker to the other server, which then stops.
    with prefect_server(tmp_path / "a") as (api, _log), temporary_settings({PREFECT_API_URL: api}):
        _emit(1)
        _delivered()  # the worker started and sent it to this server
    _emit(30)  # the session's server is current again, the worker still sends to the old one
    t0 = time.monotonic()
    assert drain_prefect_workers(timeout=5) > 0, "events to a stopped server were delivered?"
    assert time.monotonic() - t0 < 30  # and the bounded drain did not hang

    # The way the suite switches: the worker is unbound when the block ends.
    with prefect_server(tmp_path / "b") as (api, _log), using_prefect_api(api):
        _emit(1)
        _delivered()
    _emit(30)
    assert drain_prefect_workers(timeout=30) == 0


@pytest.mark.slow
def test_prefect_keeps_an_answer_after_the_run_has_read_it(prefect_api: str) -> None:
    """Why :func:`tasks.lanjut.hapus_jawaban` exists: Prefect (3.8, and still 3.9.1) keeps the
    answer given to a paused run as the run input ``paused-<key>-response`` after the run has
    read it and finished, so whatever an official typed stays readable there. When this test
    fails on the first assertion, Prefect deletes answers itself and the deletion can go."""
    import threading
    from uuid import UUID

    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.flow_runs import pause_flow_run, resume_flow_run
    from prefect.input import RunInput
    from prefect.runtime import flow_run

    from tasks.lanjut import hapus_jawaban, kunci_tunggu

    class Jawaban(RunInput):
        kode: str

    seen: dict[str, str] = {}

    @flow(name="uji-jawaban-tersimpan", persist_result=False)
    def menunggu() -> None:
        seen["id"] = str(flow_run.id)
        answer = pause_flow_run(wait_for_input=Jawaban, key="uji-j0", timeout=120, poll_interval=1)  # type: ignore[call-overload]
        seen["kode"] = answer.kode

    th = threading.Thread(target=menunggu, daemon=True)
    th.start()
    deadline = time.monotonic() + 90
    while not (seen.get("id") and kunci_tunggu(seen["id"]) == "uji-j0"):
        assert time.monotonic() < deadline, "the run never paused"
        time.sleep(0.2)
    resume_flow_run(UUID(seen["id"]), run_input={"kode": "123456"})
    th.join(timeout=90)
    assert seen.get("kode") == "123456"  # the run read its answer and finished

    with get_client(sync_client=True) as c:
        kept = c.filter_flow_run_input(
            UUID(seen["id"]), key_prefix="paused-uji", limit=50, exclude_keys=set()
        )
    assert [(i.key, "123456" in i.value) for i in kept if i.key.endswith("-response")] == [
        ("paused-uji-j0-response", True)
    ], "Prefect deletes answers itself now?"
    assert hapus_jawaban(seen["id"], "uji-") == 1  # the project's deletion
    with get_client(sync_client=True) as c:
        kept = c.filter_flow_run_input(
            UUID(seen["id"]), key_prefix="paused-uji", limit=50, exclude_keys=set()
        )
    assert [i.key for i in kept if i.key.endswith("-response")] == []
    # a whole SOP run stores three inputs per wait, more than one page of Prefect's filter
    # (found in CI: an answer of the 40-odd waits of SOP 000 stayed)
    with get_client(sync_client=True) as c:
        for j in range(80):
            for part in ("schema", "description", "response"):
                c.create_flow_run_input(UUID(seen["id"]), f"paused-uji-l{j}-{part}", '"x"')
    assert hapus_jawaban(seen["id"], "") == 80
    with get_client(sync_client=True) as c:
        kept = c.filter_flow_run_input(
            UUID(seen["id"]), key_prefix="paused-", limit=500, exclude_keys=set()
        )
    assert [i.key for i in kept if i.key.endswith("-response")] == []
    assert (
        len([i for i in kept if i.key.startswith("paused-uji-l")]) == 160
    )  # the forms' schemas and descriptions stay


@pytest.mark.slow
def test_answers_of_every_run_of_a_training_are_removed(prefect_api: str) -> None:
    """A run killed or cancelled after an answer reached it never removed that answer; the
    run that finishes the training removes the answers of every run tagged with its code,
    and nothing of other trainings' runs."""
    from prefect import flow
    from prefect.client.orchestration import get_client

    from tasks.lanjut import hapus_jawaban_kegiatan

    @flow(name="uji-jawaban-kegiatan")
    def kosong() -> None:
        return None

    with get_client(sync_client=True) as c:
        mine = [c.create_flow_run(kosong, tags=["PK-HAPUS-1", "sop:x"]) for _ in range(2)]
        other = c.create_flow_run(kosong, tags=["PK-LAIN-1"])
        for fr in (*mine, other):
            for part in ("schema", "response"):
                c.create_flow_run_input(fr.id, f"paused-p1-j0-{part}", '"198001012005011001"')
    assert hapus_jawaban_kegiatan("PK-HAPUS-1") == 2
    with get_client(sync_client=True) as c:
        left = {
            fr.id: sorted(
                i.key
                for i in c.filter_flow_run_input(
                    fr.id, key_prefix="paused-", limit=50, exclude_keys=set()
                )
            )
            for fr in (*mine, other)
        }
    assert [left[fr.id] for fr in mine] == [["paused-p1-j0-schema"]] * 2
    assert left[other.id] == ["paused-p1-j0-response", "paused-p1-j0-schema"]
