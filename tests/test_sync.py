"""The personnel sync against the real simulator (HTTP on loopback) and real databases:
what lands, what is quarantined and why, hash-skips, incremental runs, deactivation, fault
tolerance (same database content as a clean run), server down then resume, SIASN refresh with
token expiry in the middle of a batch."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from connectors.http import HttpClient, RetryPolicy
from connectors.siasn import SiasnClient, TokenManager
from connectors.simpeg import SimpegClient
from diklat.db import make_engine, migrate
from diklat.models import Karantina, Pegawai, SyncRun
from diklat.pegawai import sync_service
from simulator.server import SimulatorServer

FAST = RetryPolicy(max_retries=8, backoff_base=0.005, backoff_max=0.05, budget_seconds=30.0)
N = 300


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(n_pegawai=N, seed=11, bad_share=0.04) as s:
        yield s


def simpeg_client(
    sim: SimulatorServer, policy: RetryPolicy = FAST, page_size: int = 40, read_timeout: float = 5.0
) -> SimpegClient:
    http = HttpClient(
        sim.simpeg_url,
        headers={"X-API-Key": sim.api_key},
        retry=policy,
        connect_timeout=1.0,
        read_timeout=read_timeout,
        name="simpeg",
    )
    return SimpegClient(http, page_size=page_size)


def siasn_client(sim: SimulatorServer, policy: RetryPolicy = FAST) -> SiasnClient:
    http = HttpClient(
        sim.siasn_url,
        retry=policy,
        connect_timeout=1.0,
        read_timeout=5.0,
        name="siasn",
        pool_size=8,
    )
    tokens = TokenManager(
        http,
        token_url=http.url("/oauth2/token"),
        consumer_key="simulator",
        consumer_secret="simulator-secret",
        sso_token_url=f"{sim.siasn_url}/auth/realms/public-siasn/protocol/openid-connect/token",
        sso_client_id="simpeg-client",
        username="199001012015011001",
        password="simulator-password",
    )
    return SiasnClient(http, tokens)


def expected_good(sim: SimulatorServer) -> set[str]:
    bad = {b["index"] for b in sim.dataset.bad_records()}
    return {rec["nip"] for i, rec, _ in sim.dataset.iter_records() if i not in bad}


def snapshot(engine: Engine) -> list[tuple[Any, ...]]:
    """The pegawai table as comparable rows (unit by code; no ids, timestamps, run ids)."""
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT p.nip, p.nip_lama, p.pns_orang_id, p.nama, p.gelar_depan, p.gelar_belakang,"
                " p.jenis_kelamin, p.tempat_lahir, p.tanggal_lahir, p.jenis_pegawai, u.kode,"
                " p.jabatan, p.jenis_jabatan, p.eselon, p.golongan, p.pangkat,"
                " p.pendidikan_tingkat, p.pendidikan, p.status, p.tmt_cpns, p.tmt_pensiun,"
                " p.email, p.nomor_hp, p.aktif, p.content_hash"
                " FROM pegawai p LEFT JOIN unit_kerja u ON u.id = p.unit_id ORDER BY p.nip"
            )
        )
        return [tuple(r) for r in rows]


def quarantine(engine: Engine, run_id: int) -> list[tuple[str | None, str, str | None]]:
    with engine.connect() as c:
        return [
            (r.kunci, r.alasan, r.payload)
            for r in c.execute(select(Karantina).where(Karantina.sync_run_id == run_id))
        ]


def active_nips(engine: Engine) -> set[str]:
    with engine.connect() as c:
        return set(c.execute(select(Pegawai.nip).where(Pegawai.aktif.is_(True))).scalars())


def run_row(engine: Engine, run_id: int) -> Any:
    with engine.connect() as c:
        return c.execute(select(SyncRun).where(SyncRun.id == run_id)).one()


# --------------------------------------------------------------------------- content


def test_full_sync_lands_good_records_and_quarantines_bad_ones(
    engine: Engine, sim: SimulatorServer
) -> None:
    counts = sync_service.sync_simpeg(engine, full=True, client=simpeg_client(sim))
    good = expected_good(sim)
    bad = sim.dataset.bad_records()
    assert counts["status"] == "success" and counts["mode"] == "full"
    assert counts["inserted"] == len(good)
    assert counts["quarantined"] == len(bad) and len(bad) >= 8
    assert active_nips(engine) == good
    reasons = quarantine(engine, int(counts["sync_run_id"]))  # type: ignore[call-overload]
    expect = {
        "invalid_nip": "NIP tidak valid",
        "missing_unit": "unit kerja kosong",
        "duplicate_nip": "NIP ganda",
        "future_date": "di masa depan",
    }
    by_nip: dict[str | None, list[str]] = {}
    for kunci, alasan, payload in reasons:
        by_nip.setdefault(kunci, []).append(alasan)
        assert payload is None or (
            "nik" not in json.loads(payload) and "nomor_hp" not in json.loads(payload)
        )
    for b in bad:
        assert any(expect[b["kind"]] in a for a in by_nip[b["nip"]]), (b, by_nip.get(b["nip"]))
    # The NIK never reaches the database.
    with engine.connect() as c:
        dump = " ".join(str(v) for r in c.execute(text("SELECT * FROM karantina")) for v in r)
    niks = [rec["nik"] for _, rec, _ in sim.dataset.iter_records()]
    assert not any(nik in dump for nik in niks[:50])


def test_second_full_writes_nothing_incremental_writes_only_changes_full_deactivates(
    engine: Engine, sim: SimulatorServer
) -> None:
    first = sync_service.sync_simpeg(engine, full=True, client=simpeg_client(sim))
    before = snapshot(engine)
    second = sync_service.sync_simpeg(engine, full=True, client=simpeg_client(sim))
    assert (second["inserted"], second["updated"], second["deactivated"]) == (0, 0, 0)
    assert second["unchanged"] == first["inserted"]
    assert snapshot(engine) == before
    with engine.connect() as c:  # no row was rewritten: last_sync_id still the first run's
        assert set(c.execute(select(Pegawai.last_sync_id)).scalars()) == {first["sync_run_id"]}

    changed = sim.mutate(0.05)
    sim.reset_stats()
    inc = sync_service.sync_simpeg(engine, full=False, client=simpeg_client(sim))
    assert inc["mode"] == "incremental"
    assert inc["updated"] == len(changed) and inc["inserted"] == 0 and inc["unchanged"] == 0
    assert inc["quarantined"] == 0
    with engine.connect() as c:
        touched = set(
            c.execute(
                select(Pegawai.nip).where(Pegawai.last_sync_id == inc["sync_run_id"])
            ).scalars()
        )
    assert touched == {m["nip"] for m in changed}
    # Nothing new since: the next incremental run fetches an empty list and writes nothing.
    again = sync_service.sync_simpeg(engine, client=simpeg_client(sim))
    assert (again["mode"], again["updated"], again["inserted"]) == ("incremental", 0, 0)

    gone = sim.remove(0.03)
    full = sync_service.sync_simpeg(engine, full=True, client=simpeg_client(sim))
    assert full["deactivated"] == len(gone)
    assert active_nips(engine) == expected_good(sim)
    with engine.connect() as c:  # never deleted
        assert (
            c.execute(select(Pegawai.aktif).where(Pegawai.nip == gone[0]["nip"])).scalar_one()
            is False
        )


# --------------------------------------------------------------------------- reliability


def test_faults_give_the_same_database_as_a_clean_run(
    sqlite_url: str, tmp_path: Any, sim: SimulatorServer
) -> None:
    migrate(sqlite_url)
    clean = make_engine(sqlite_url)
    sync_service.sync_simpeg(clean, full=True, client=simpeg_client(sim))
    faulty_url = f"sqlite:///{tmp_path / 'faulty.db'}"
    migrate(faulty_url)
    faulty = make_engine(faulty_url)
    sim.reset_stats()
    sim.set_faults(
        fail_share=0.2,
        rate_limit_share=0.05,
        retry_after=0.05,
        slow_share=0.04,
        slow_seconds=1.0,
        drop_share=0.02,
        truncate_share=0.03,
        seed=5,
    )
    client = simpeg_client(sim, read_timeout=0.4)
    counts = sync_service.sync_simpeg(faulty, full=True, client=client)
    stats = sim.stats()
    assert counts["status"] == "success"
    assert stats["faults"]["fail"] >= 2 and stats["faults"]["rate_limit"] >= 1
    assert client.http.stats.retries >= stats["faults"]["fail"]
    assert snapshot(faulty) == snapshot(clean)
    clean.dispose()
    faulty.dispose()


def test_server_down_marks_run_failed_keeps_state_and_next_run_resumes(
    engine: Engine, sim: SimulatorServer
) -> None:
    policy = RetryPolicy(max_retries=2, backoff_base=0.005, backoff_max=0.01, budget_seconds=5)
    sim.set_faults(fail_after=4)  # units + 3 pages pass, then every request answers 503
    with pytest.raises(sync_service.SyncFailed) as ei:
        sync_service.sync_simpeg(engine, full=True, client=simpeg_client(sim, policy))
    failed = run_row(engine, ei.value.run_id or 0)
    assert failed.status == "failed"
    assert "tidak dapat dihubungi" in failed.error and "HTTP 503" in failed.error
    cp = json.loads(failed.checkpoint)
    # Consistent state: exactly the three committed pages are there, nobody deactivated.
    nips = sorted({n for n in sim.dataset.nips()})
    landed = active_nips(engine)
    assert landed and all(n <= cp["after"] for n in landed)
    assert landed == {n for n in expected_good(sim) if n <= cp["after"]}
    assert failed.inserted == len(landed)

    sim.clear_faults()
    sim.reset_stats()
    counts = sync_service.sync_simpeg(engine, full=True, client=simpeg_client(sim))
    resumed = run_row(engine, int(counts["sync_run_id"]))  # type: ignore[call-overload]
    assert resumed.resumed_from_id == failed.id and counts["mode"] == "full"
    pages_left = -(-sum(1 for n in nips if n > cp["after"]) // 40)
    assert sim.stats()["by_area"]["simpeg"]["200"] <= pages_left + 2  # units + pages after cp
    assert active_nips(engine) == expected_good(sim)
    assert counts["inserted"] == len(expected_good(sim))  # totals carried over
    assert counts["deactivated"] == 0


def test_server_gone_fails_with_clear_message(engine: Engine, sim: SimulatorServer) -> None:
    client = simpeg_client(
        sim, RetryPolicy(max_retries=1, backoff_base=0.001, backoff_max=0.001, budget_seconds=2)
    )
    sim.stop()
    with pytest.raises(sync_service.SyncFailed, match="tidak dapat dihubungi"):
        sync_service.sync_simpeg(engine, full=True, client=client)
    with engine.connect() as c:
        assert c.execute(select(SyncRun.status)).scalars().all() == ["failed"]
        assert c.execute(select(Pegawai.id)).first() is None


# --------------------------------------------------------------------------- SIASN


def test_siasn_refresh_matches_simpeg_and_survives_token_expiry(
    sqlite_engine: Engine, sim: SimulatorServer
) -> None:
    sync_service.sync_simpeg(sqlite_engine, full=True, client=simpeg_client(sim))
    before = snapshot(sqlite_engine)
    nips = sorted(expected_good(sim))[:60] + ["199901012020011999"]
    client = siasn_client(sim)
    sim.set_faults(expire_share=0.05, fail_share=0.1, seed=3, targets=["siasn"])
    expired: list[int] = []

    def expire_after_first_batch(p: sync_service.Progress) -> None:
        if p.phase == "siasn" and not expired:
            expired.append(sim.expire_tokens())  # all tokens die between two batches

    counts = sync_service.refresh_from_siasn(
        sqlite_engine,
        nips,
        client=client,
        concurrency=4,
        batch_size=25,
        progress=expire_after_first_batch,
    )
    assert counts["status"] == "success"
    assert expired and expired[0] >= 2
    assert sim.stats()["faults"]["expire"] >= 1  # and a 401 in the middle of a batch
    assert client.tokens.fetches >= 6  # so both tokens were fetched again, twice or more
    # SIASN says the same as SIMPEG: nothing changes, the unknown NIP is quarantined.
    assert counts["unchanged"] == 60 and counts["updated"] == 0
    assert counts["quarantined"] == 1
    assert quarantine(sqlite_engine, int(counts["sync_run_id"]))[0][1] == (  # type: ignore[call-overload]
        "NIP tidak ditemukan di SIASN"
    )
    assert snapshot(sqlite_engine) == before

    target = nips[0]
    sim.clear_faults()
    sim.update(
        target, jabatan="Analis Kebijakan Ahli Muda", golongan="III/d", pangkat="Penata Tingkat I"
    )
    counts = sync_service.refresh_from_siasn(sqlite_engine, [target], client=client)
    assert counts["updated"] == 1
    with sqlite_engine.connect() as c:
        row = c.execute(select(Pegawai).where(Pegawai.nip == target)).one()
    assert (row.jabatan, row.golongan, row.pangkat) == (
        "Analis Kebijakan Ahli Muda",
        "III/d",
        "Penata Tingkat I",
    )
    assert row.jenis_pegawai is not None  # fields SIASN does not send are kept


def test_siasn_token_refresh_is_shared_across_threads(sim: SimulatorServer) -> None:
    client = siasn_client(sim)
    nips = sorted(expected_good(sim))[:12]
    client.data_utama(nips[0])
    assert client.tokens.fetches == 2
    sim.expire_tokens()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(6) as pool:
        got = list(pool.map(client.data_utama, nips))
    assert all(g is not None and g["nip"] == n for g, n in zip(got, nips, strict=True))
    assert client.tokens.fetches == 4  # one refresh of both tokens, not one per thread
    assert "nik" not in (got[0] or {})


def test_run_left_running_by_a_dead_process_is_continued(
    sqlite_engine: Engine, sim: SimulatorServer
) -> None:
    policy = RetryPolicy(max_retries=0, backoff_base=0.001, backoff_max=0.001, budget_seconds=1)
    sim.set_faults(fail_after=3)
    with pytest.raises(sync_service.SyncFailed) as ei:
        sync_service.sync_simpeg(sqlite_engine, full=True, client=simpeg_client(sim, policy))
    dead = ei.value.run_id
    import datetime as dt
    import subprocess
    import sys

    from sqlalchemy import update

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    with sqlite_engine.begin() as c:  # as if its process had been killed a second ago
        c.execute(
            update(SyncRun)
            .where(SyncRun.id == dead)
            .values(
                status="running",
                error=None,
                pid=int(gone.stdout),
                pid_token=None,
                started_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
            )
        )
    sim.clear_faults()
    counts = sync_service.sync_simpeg(sqlite_engine, full=True, client=simpeg_client(sim))
    assert run_row(sqlite_engine, int(counts["sync_run_id"])).resumed_from_id == dead  # type: ignore[call-overload]
    old = run_row(sqlite_engine, dead or 0)
    assert old.status == "interrupted" and "proses berhenti" in old.error
    assert active_nips(sqlite_engine) == expected_good(sim)
    with sqlite_engine.connect() as c:  # what the finished chain no longer needs is gone
        assert c.execute(text("SELECT count(*) FROM sync_seen")).scalar_one() == 0


def test_siasn_refresh_quarantines_invalid_nips_and_stops_early_when_siasn_is_down(
    sqlite_engine: Engine, sim: SimulatorServer
) -> None:
    import time

    nips = sorted(expected_good(sim))[:80]
    counts = sync_service.refresh_from_siasn(
        sqlite_engine, [nips[0], "12345"], client=siasn_client(sim)
    )
    reasons = [a for _, a, _ in quarantine(sqlite_engine, int(counts["sync_run_id"]))]  # type: ignore[call-overload]
    assert (
        counts["inserted"] == 1 and len(reasons) == 1 and reasons[0].startswith("NIP tidak valid")
    )
    slow = RetryPolicy(max_retries=2, backoff_base=0.1, backoff_max=0.2, budget_seconds=5)
    client = siasn_client(sim, slow)
    sim.stop()
    t0 = time.monotonic()
    with pytest.raises(sync_service.SyncFailed, match="80 NIP gagal") as ei:
        sync_service.refresh_from_siasn(sqlite_engine, nips, client=client, concurrency=4)
    assert time.monotonic() - t0 < 10  # the breaker skipped most NIPs instead of retrying each
    assert "Unreachable" in str(ei.value)  # the typed error: the server refused connections
    assert sorted(ei.value.nips) == nips  # the CLI prints which ...
    assert not any(n in str(ei.value) for n in nips)  # ... Prefect is told how many
    assert client.http.stats.requests < 80


def test_next_since_overlaps_the_run_so_changes_during_it_are_fetched_again() -> None:
    """A change made while a run reads (on a page it already passed), or stamped by a SIMPEG
    clock a little behind ours, must be fetched by the next incremental run."""
    from diklat.pegawai.sync_service import _next_since

    start = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
    old = start - dt.timedelta(days=3)
    assert _next_since(old, start) == old  # nothing recent: the newest change seen
    during = start + dt.timedelta(minutes=2)  # seen on a later page of the same run
    nxt = _next_since(during, start)
    assert nxt is not None and nxt < start  # overlap: the run's own time is read again
    assert nxt == start - dt.timedelta(seconds=300)
    assert _next_since(None, start) is None
