"""Crash and resume: the process running a training is killed with SIGKILL again and again
(while rendering, numbering, signing, sending, archiving, waiting, or at a random moment),
started again each time, until the training ends. Every training completes with no duplicate
register number, no document sent twice to a recipient, no duplicate or half-written archive
entry, and a ledger that walked the SOP's path once.

The killed process is ``tests/crash_child.py`` (a real process, a real SIGKILL); the scripted
officials of this process answer the waits through the Prefect API as in the demo."""

from __future__ import annotations

import email
import email.policy
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from diklat.db import get_engine, migrate, session_scope
from diklat.kegiatan.data import DataKegiatan
from diklat.models import (
    Arsip,
    Distribusi,
    NaskahBerkas,
    Peserta,
    RegisterEntry,
    SopStepLog,
    UnitKerja,
)
from diklat.naskah.register import today
from diklat.settings import get_settings, reset_settings_cache
from simulator.server import SimulatorServer
from tests.sop_support import OFFICIALS, add_officials, stored_inputs

ROOT = Path(__file__).resolve().parents[1]
CHILD = ROOT / "tests" / "crash_child.py"
#: How long one life of the child may take (a whole small training fits in it).
LIFE_TIMEOUT = 600


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: str
) -> Iterator[tuple[Engine, dict[str, str]]]:
    """The agency on the embedded default (SQLite under the var folder)."""
    yield from _world(monkeypatch, prefect_api)


@pytest.fixture
def world_pg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: str, pg_url: str
) -> Iterator[tuple[Engine, dict[str, str]]]:
    """The agency on PostgreSQL (a schema of its own), the child processes too."""
    monkeypatch.setenv("DIKLAT_DATABASE_URL", pg_url)
    yield from _world(monkeypatch, prefect_api)


def _world(
    monkeypatch: pytest.MonkeyPatch, prefect_api: str
) -> Iterator[tuple[Engine, dict[str, str]]]:
    from connectors import pdf as pdfconn
    from diklat.pegawai import sync_service

    if not pdfconn.available():
        pytest.skip("LibreOffice needed to sign PDFs")
    with SimulatorServer(n_pegawai=120, seed=11) as sim:
        for k, v in sim.env().items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("DIKLAT_APPROVAL__POLL_SECONDS", "0.25")
        monkeypatch.setenv("PREFECT_API_URL", prefect_api)
        reset_settings_cache()
        migrate()
        engine = get_engine()
        sync_service.sync_simpeg(engine, full=True)
        add_officials(engine)
        env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
        yield engine, env


def _life(sop: str, data_file: Path, kill: str, env: dict[str, str]) -> int:
    """One life of the child: its exit code (-9 when it was killed)."""
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(CHILD), sop, str(data_file), kill],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=LIFE_TIMEOUT,
    )
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"child ended with {proc.returncode}:\n{proc.stderr[-3000:]}")
    print(
        f"{sop} kill={kill}: exit {proc.returncode} after {time.monotonic() - t0:.1f} s",
        file=sys.stderr,
    )
    return proc.returncode


def _run_to_end(
    engine: Engine, sop: str, data: DataKegiatan, kills: list[str], env: dict[str, str], tmp: Path
) -> list[tuple[str, int]]:
    """Kill the child at each point of ``kills`` in turn, then let it finish."""
    from simulator.petugas import Petugas, Skenario

    data_file = tmp / f"{data.kode}.json"
    data_file.write_text(data.model_dump_json())
    petugas = Petugas(
        engine, Path(get_settings().outbox_dir or ""), Skenario(kode_salah_oleh=None, revisi=None)
    )
    stop = threading.Event()
    th = threading.Thread(target=petugas.jalan, args=(stop, 0.2), daemon=True)
    th.start()
    lives: list[tuple[str, int]] = []
    try:
        for kill in kills:
            lives.append((kill, _life(sop, data_file, kill, env)))
            if lives[-1][1] == 0:
                break
        while not lives or lives[-1][1] != 0:
            assert len(lives) < len(kills) + 3, lives
            lives.append(("-", _life(sop, data_file, "-", env)))
    finally:
        stop.set()
        th.join(timeout=10)
    return lives


def _count(s: object, model: object, *where: object) -> int:
    return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[attr-defined]


def _check_consistent(engine: Engine, kode: str) -> None:
    from diklat import arsip
    from diklat.kegiatan import ledger
    from diklat.kegiatan.data import kegiatan_by_kode
    from diklat.sop.catalogue import get_sop

    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, kode)
        assert k.status == "selesai"
        state = ledger.keadaan(s, k.id)
        path = [st.no for st in get_sop(k.sop).steps_for(k.kondisi)]
        assert {no: state[no].status for no in path if no in state} == dict.fromkeys(
            path, "selesai"
        )
        # one round per step and level (nothing was revised): a crash never opened a step
        # twice (a paraf chain has a row per level, each in round 1)
        rounds = Counter(
            s.execute(
                select(SopStepLog.step_no, SopStepLog.tingkat).where(SopStepLog.kegiatan_id == k.id)
            ).all()
        )
        assert max(rounds.values()) == 1, rounds
        # the register: one number per letter, no number given twice
        entries = s.execute(select(RegisterEntry.naskah_id, RegisterEntry.nomor)).all()
        assert len({e.naskah_id for e in entries}) == len(entries)
        assert len({e.nomor for e in entries}) == len(entries)
        signed = _count(s, NaskahBerkas, NaskahBerkas.peran == "ttd_pdf")
        assert signed == len(entries)
        # deliveries: one row per (letter, recipient) (a unique key), each sent
        rows = s.execute(select(Distribusi.message_id, Distribusi.status)).all()
        assert rows and {r.status for r in rows} <= {"terkirim", "manual"}
        # (a copy handed over and confirmed by the operator is delivered without a message)
        sent_ids = {r.message_id for r in rows if r.status == "terkirim" and r.message_id}
        # archive: one entry per file, every file whole
        report = arsip.verify_all(s)
        assert report["missing"] == 0 and report["altered"] == 0, report
        archived = s.execute(select(Arsip.naskah_id, Arsip.sha256)).all()
        assert len(set(archived)) == len(archived)
        assert all(
            p.status == "lulus" and p.siasn_riwayat_id
            for p in s.execute(select(Peserta).where(Peserta.kegiatan_id == k.id)).scalars()
        )
    # the outbox: every sent letter exactly once, and no letter to the same recipient twice
    outbox = Path(get_settings().outbox_dir or "")
    letters: Counter[tuple[str, str]] = Counter()
    ids = set()
    for f in outbox.glob("*.eml"):
        msg = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        if str(msg["Subject"]).strip().startswith("[diklat]"):
            continue  # the workflow's own notice: an approval code (with the draft), a reminder
        assert any(True for _ in msg.iter_attachments())  # type: ignore[attr-defined]
        ids.add(str(msg["Message-ID"]))
        letters[(str(msg["To"]), str(msg["Subject"]))] += 1
    assert ids == sent_ids
    assert max(letters.values()) == 1, [k for k, v in letters.items() if v > 1][:3]
    archive_root = Path(get_settings().archive_dir or "")
    # no half-written file at an address: every file is named by its content's hash
    # (a temporary ``.part`` of a write cut short may stay in ``.tmp/`` until ``clean_tmp``)
    import hashlib

    stored = [p for p in archive_root.rglob("*") if p.is_file() and ".tmp" not in p.parts]
    assert stored and all(
        hashlib.sha256(p.read_bytes()).hexdigest() == p.name.split(".")[0] for p in stored
    ), stored[:3]
    with session_scope(engine) as s:  # and every stored file is indexed, every entry stored
        assert {p.name for p in stored} == set(s.execute(select(Arsip.sha256)).scalars())


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_sigkill_at_every_kind_of_point_then_resume(
    world: tuple[Engine, dict[str, str]], tmp_path: Path
) -> None:
    engine, env = world
    rnd = random.Random(20261202)
    with session_scope(engine) as s:
        units = s.execute(select(UnitKerja.kode).order_by(UnitKerja.kode)).scalars().all()

    # SOP 002: one participant, the Sekda branch.
    sop002 = _sop002(units[0])
    kills_002 = ["render:1", "nomor:1", "ttd:1", "kirim:1", f"t:{rnd.uniform(4, 12):.1f}"]
    lives_002 = _run_to_end(engine, "pengiriman-peserta", sop002, kills_002, env, tmp_path)

    # SOP 000: six participants from three agencies.
    mulai = today()
    sop000 = DataKegiatan(
        kode="PK-CRASH",
        sop="peningkatan-kapasitas",
        nama="Pelatihan",
        jenis_diklat_id="3",
        mulai=mulai,
        selesai=mulai,
        tempat="Aula",
        jp=24,
        kuota=6,
        lembaga_narasumber="BPSDM Provinsi",
        materi=["Anjab"],
        kriteria={"unit": units[1:4]},
    )  # type: ignore[arg-type]
    kills_000 = [
        "render:2",
        "nomor:2",
        "ttd:1",
        "kirim:3",
        "arsip:4",
        "render:3",
        f"t:{rnd.uniform(5, 20):.1f}",
        "kirim:7",
        f"t:{rnd.uniform(5, 20):.1f}",
        "arsip:9",
    ]
    lives_000 = _run_to_end(engine, "peningkatan-kapasitas", sop000, kills_000, env, tmp_path)

    killed = [k for k, rc in lives_002 + lives_000 if rc == -signal.SIGKILL]
    assert len(killed) >= 10, (lives_002, lives_000)
    # every kind of point was hit at least once
    assert {k.split(":")[0] for k in killed} >= {"render", "nomor", "ttd", "kirim", "arsip"}
    _check_consistent(engine, "PD-CRASH")
    _check_consistent(engine, "PK-CRASH")
    # a run killed after an official's answer reached it never removed that answer; the
    # run that finished the training removed it for every run of the training
    for kode in ("PD-CRASH", "PK-CRASH"):
        stored = stored_inputs(kode)
        assert "-schema" in stored  # the runs' forms are found (they stay)
        assert "-response" not in stored, f"an answer to a run of {kode} stayed in Prefect"
        assert not [role for role, nip in OFFICIALS.items() if nip in stored]


def _sop002(unit: str) -> DataKegiatan:
    """SOP 002 for one participant of ``unit``, on the Sekda branch."""
    mulai = today()
    return DataKegiatan(
        kode="PD-CRASH",
        sop="pengiriman-peserta",
        nama="Diklat Teknis",
        jenis_diklat_id="3",
        mulai=mulai,
        selesai=mulai,
        tempat="Semarang",
        jp=40,
        kuota=1,
        penyelenggara="BPSDMD Provinsi Jawa Tengah",
        kriteria={"unit": [unit]},  # type: ignore[arg-type]
        kondisi=["kewenangan_sekda"],
    )


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(1200)
def test_sigkill_then_resume_on_postgres(
    world_pg: tuple[Engine, dict[str, str]], tmp_path: Path
) -> None:
    """The same on PostgreSQL (SOP 002: a kill after rendering, numbering, signing and
    sending), where the register's row locks and the delivery claims are PostgreSQL's."""
    engine, env = world_pg
    assert engine.dialect.name == "postgresql"
    with session_scope(engine) as s:
        unit = s.execute(select(UnitKerja.kode).order_by(UnitKerja.kode)).scalars().first()
    assert unit is not None
    lives = _run_to_end(
        engine,
        "pengiriman-peserta",
        _sop002(unit),
        ["render:1", "nomor:1", "ttd:1", "kirim:1"],
        env,
        tmp_path,
    )
    killed = [k for k, rc in lives if rc == -signal.SIGKILL]
    assert {k.split(":")[0] for k in killed} == {"render", "nomor", "ttd", "kirim"}, lives
    _check_consistent(engine, "PD-CRASH")
