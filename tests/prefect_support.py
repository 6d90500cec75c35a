"""Pointing the test process at a Prefect server of its own, and leaving it cleanly.

Prefect sends a process's events and logs through background workers that pick their API
URL when they start and keep it: there is one events worker per client type, not per URL
(Prefect 3.8, and still 3.9.1: ``EventsWorker.instance`` passes no URL for a self-hosted
server; tests/test_prefect_support.py shows the failure before the remedy). A
worker started while a test pointed the process at its own server (a PostgreSQL-backed one,
a scheduler check) keeps sending there after that server is stopped, and every later event
of the session then waits out connection retries to a dead server. In CI that showed as
Prefect's harness hanging 600 s at the end of the session and the interpreter hanging at
exit until the job's time ran out.

So a test that switches servers goes through :func:`using_prefect_api`, which drains the
workers before and after (the next event starts a worker bound to the URL current then), and
the session's server ends with :func:`drain_prefect_workers`, whose wait is bounded.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def drain_prefect_workers(timeout: float = 60.0) -> int:
    """The product's bounded drain (:func:`cli.prefect_server.drain_prefect_workers`), saying
    on stderr how many events or logs were abandoned."""
    from cli.prefect_server import drain_prefect_workers as drain

    dropped = drain(timeout)
    if dropped:
        print(
            f"\n[prefect_support] {dropped} Prefect events/logs not delivered within "
            f"{timeout:.0f} s were dropped",
            file=sys.stderr,
        )
    return dropped


@contextmanager
def using_prefect_api(url: str, **settings: Any) -> Iterator[None]:
    """Run the block with this process's Prefect client on ``url`` (plus any other Prefect
    settings given by their objects' names, e.g. ``PREFECT_API_AUTH_STRING="a:b"``), with
    Prefect's background workers bound to it inside the block and unbound after it."""
    import prefect.settings as ps

    updates = {ps.PREFECT_API_URL: url}
    updates.update({getattr(ps, name): value for name, value in settings.items()})
    drain_prefect_workers()
    try:
        with ps.temporary_settings(updates=updates):
            yield
    finally:
        drain_prefect_workers()


@contextmanager
def prefect_server(
    folder: Path, env: dict[str, str] | None = None, start_timeout: float = 180
) -> Iterator[tuple[str, Path]]:
    """A ``prefect server start`` (no UI) of its own: home and log under ``folder``, extra
    server settings in ``env``; yields its API URL and log file, stops it afterwards."""
    from cli.prefect_server import _healthy

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    full = {
        **os.environ,
        "PREFECT_HOME": str(folder / "prefect-home"),
        "PREFECT_UI_ENABLED": "0",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        **(env or {}),
    }
    full.pop("PREFECT_API_URL", None)
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "server.log"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=full,
        start_new_session=True,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if server.poll() is not None:
                raise AssertionError(f"Prefect server exited: {log.read_text()[-3000:]}")
            if _healthy(api, timeout=2):
                break
            if time.monotonic() > deadline:
                raise AssertionError("Prefect server did not start")
            time.sleep(0.5)
        yield api, log
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def prefect_storage() -> list[Path]:
    """The files of the session's Prefect server database (the test harness's SQLite file,
    its WAL and shared-memory files): where everything Prefect keeps ends up, deleted rows
    included until SQLite reuses their pages."""
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL

    url = str(PREFECT_SERVER_DATABASE_CONNECTION_URL.value() or "")
    assert url.startswith("sqlite"), f"not the harness's SQLite database: {url!r}"
    db = Path(url.split(":///", 1)[1])
    assert db.exists(), db
    return [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]


def found_in_prefect(needles: dict[str, bytes | Any]) -> dict[str, list[str]]:
    """Which of ``needles`` (label -> bytes, or a compiled bytes regex) occur anywhere in the
    Prefect server's database files: label -> the files they occur in."""
    import re

    hits: dict[str, list[str]] = {}
    blobs = [(p.name, p.read_bytes()) for p in prefect_storage()]
    for label, needle in needles.items():
        for name, blob in blobs:
            if isinstance(needle, re.Pattern):
                m = needle.search(blob)
                at = (m.start(), m.end()) if m else None
            else:
                i = blob.find(needle)
                at = (i, i + len(needle)) if i >= 0 else None
            if at is not None:
                # where it was found, the value itself left out: what came before it
                before = blob[max(0, at[0] - 120) : at[0]].decode("utf-8", "replace")
                hits.setdefault(label, []).append(f"{name}: ...{before!r}[...]")
    return hits


def prefect_rows(sql: str) -> list[tuple[Any, ...]]:
    """Rows of a read-only query on the Prefect server's live tables."""
    import sqlite3

    db = prefect_storage()[0]
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return list(con.execute(sql))
    finally:
        con.close()


def wait_final(flow_run_id: Any, timeout: float, every: float = 1.0) -> Any:
    """The flow run's state once it is final (asserting it gets there within ``timeout`` s)."""
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as c:
        while True:
            st = c.read_flow_run(flow_run_id).state
            if st is not None and st.is_final():
                return st
            assert time.monotonic() < deadline, f"flow run {flow_run_id} never finished: {st}"
            time.sleep(every)
