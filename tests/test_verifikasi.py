"""Verification per candidate against the SIASN simulator over HTTP, with its fault injection:
each candidate gets SIASN's real answer (verified; not eligible because inactive, unknown to
SIASN or outside the criteria; not checked when SIASN failed), never "verified" without an
answer; the step is done only when every candidate has one."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from connectors.http import HttpClient, RetryPolicy
from connectors.siasn import SiasnClient, TokenManager
from diklat.db import session_scope
from diklat.kegiatan.data import kegiatan_by_kode, tetapkan_peserta
from diklat.kegiatan.verifikasi import verifikasi_calon
from diklat.laporan.posisi import posisi_kegiatan
from diklat.models import Pegawai, Peserta, SopStepLog
from diklat.mulai import simpan_kegiatan
from diklat.naskah.register import today
from diklat.pegawai import sync_service
from diklat.pegawai.personnel import PersonnelWriter
from diklat.settings import reset_settings_cache
from simulator.server import SimulatorServer
from tests.sop_support import LENGKAP, siap

FAST = RetryPolicy(max_retries=1, backoff_base=0.005, backoff_max=0.01, budget_seconds=2.0)
UNKNOWN = "198703152010011009"  # a valid NIP the simulator's SIASN does not know
DIKLAT = str(Path(sys.executable).parent / "diklat")


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(n_pegawai=80, seed=5, bad_share=0.0) as s:
        yield s


def client(url: str, policy: RetryPolicy = FAST) -> SiasnClient:
    http = HttpClient(
        url, retry=policy, connect_timeout=0.5, read_timeout=3.0, name="siasn", pool_size=4
    )
    tokens = TokenManager(
        http,
        token_url=http.url("/oauth2/token"),
        consumer_key="simulator",
        consumer_secret="simulator-secret",
        sso_token_url=f"{url}/auth/realms/public-siasn/protocol/openid-connect/token",
        sso_client_id="simpeg-client",
        username="199001012015011001",
        password="simulator-password",
    )
    return SiasnClient(http, tokens)


def world(engine: Engine, sim: SimulatorServer, kode: str = "PD-VER") -> list[str]:
    """Employees synced from the simulator, one more SIASN does not know; a SOP 002 training
    for group III with six candidates: the NIPs in participant order."""
    from tests.test_sync import simpeg_client

    sync_service.sync_simpeg(engine, full=True, client=simpeg_client(sim))
    with session_scope(engine) as s:
        rows = s.execute(
            select(Pegawai.nip, Pegawai.golongan, Pegawai.status).order_by(Pegawai.nip)
        ).all()
        unit = s.execute(select(Pegawai.unit_id)).scalars().first()
    from diklat.models import UnitKerja

    with session_scope(engine) as s:
        unit_kode = s.get(UnitKerja, unit).kode  # type: ignore[union-attr]
    w = PersonnelWriter(engine, None, sumber="simpeg")
    w.write(
        [
            {
                "nip": UNKNOWN,
                "nama": "BUKAN DI SIASN",
                "unit_kode": unit_kode,
                "golongan": "III/b",
                "jabatan": "Analis",
            }
        ]
    )
    nips = [
        r.nip
        for r in rows
        if (r.golongan or "").startswith("III") and (r.status or "Aktif").startswith("Aktif")
    ][:5] + [UNKNOWN]
    siap(engine)
    mulai = today() + dt.timedelta(days=30)
    with session_scope(engine) as s:
        k = simpan_kegiatan(
            s,
            {
                "kode": kode,
                "sop": "pengiriman-peserta",
                "nama": "Diklat",
                "mulai": mulai,
                "selesai": mulai + dt.timedelta(days=3),
                **LENGKAP,
                "kriteria": {"unit": [unit_kode], "golongan": ["III"]},
            },
        )
        ids = {
            p.nip: p.id for p in s.execute(select(Pegawai).where(Pegawai.nip.in_(nips))).scalars()
        }
        tetapkan_peserta(s, k, [ids[n] for n in nips], status="diusulkan")
    return nips


def _peserta(engine: Engine, kode: str) -> dict[int, tuple[str, str | None, str | None]]:
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, kode)
        return {
            p.nomor_urut: (p.status, p.verifikasi, p.verifikasi_alasan)
            for p in s.execute(select(Peserta).where(Peserta.kegiatan_id == k.id)).scalars()
        }


def test_each_candidate_gets_siasns_answer(engine: Engine, sim: SimulatorServer) -> None:
    nips = world(engine, sim)
    sim.update(nips[0], status="Pensiun")  # SIASN: retired
    sim.update(nips[1], golongan="II/c", pangkat="Pengatur Tk. I")  # outside the criteria
    sim.set_faults(fail_share=1.0, paths=[f"data-utama/{nips[2]}"], targets=["siasn"])
    h = verifikasi_calon(engine, "PD-VER", client=client(sim.siasn_url))
    assert (h.terverifikasi, h.tidak_memenuhi, h.belum_diperiksa) == (2, 3, 1)
    assert h.nomor_belum_diperiksa == [3] and not h.selesai and h.siasn == "sebagian"
    assert h.alasan == {"tidak_aktif": 1, "golongan": 1, "tidak_ditemukan": 1, "gagal": 1}
    assert not any(n in json.dumps(h.as_dict()) for n in nips)  # numbers, never NIPs
    assert _peserta(engine, "PD-VER") == {
        1: ("ditolak", "tidak_memenuhi", "tidak_aktif"),
        2: ("ditolak", "tidak_memenuhi", "golongan"),
        3: ("diusulkan", "belum_diperiksa", "gagal"),  # never verified without an answer
        4: ("terverifikasi", "terverifikasi", None),
        5: ("terverifikasi", "terverifikasi", None),
        6: ("ditolak", "tidak_memenuhi", "tidak_ditemukan"),
    }
    with session_scope(engine) as s:
        shown = posisi_kegiatan(s, "PD-VER")["verifikasi"]
    assert shown["belum_diperiksa"] == 1 and shown["nomor_belum_diperiksa"] == [3]
    # SIASN answers again: only the one not checked is asked, and now the step may close
    sim.clear_faults()
    h = verifikasi_calon(engine, "PD-VER", client=client(sim.siasn_url))
    assert (h.terverifikasi, h.tidak_memenuhi, h.belum_diperiksa, h.selesai) == (1, 0, 0, True)
    assert _peserta(engine, "PD-VER")[3] == ("terverifikasi", "terverifikasi", None)
    assert h.peserta == {"ditolak": 3, "terverifikasi": 3}


def test_siasn_unreachable_verifies_nobody(engine: Engine, sim: SimulatorServer) -> None:
    world(engine, sim)
    h = verifikasi_calon(engine, "PD-VER", client=client("http://127.0.0.1:9"))
    assert (h.terverifikasi, h.tidak_memenuhi, h.belum_diperiksa) == (0, 0, 6)
    assert h.siasn == "gagal" and h.nomor_belum_diperiksa == [1, 2, 3, 4, 5, 6]
    assert {v for v in _peserta(engine, "PD-VER").values()} == {
        ("diusulkan", "belum_diperiksa", "gagal")
    }


def test_the_step_waits_until_every_candidate_is_checked(
    sqlite_url: str, sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The SOP's task: with one candidate unanswered it leaves step 10 waiting and says
    which numbers; once SIASN answers, the step is done. `kegiatan calon --lihat` and
    `kegiatan show` show each candidate's answer."""
    from diklat.db import get_engine, migrate
    from tasks.siasn import verifikasi_siasn_task

    monkeypatch.setenv("DIKLAT_DATABASE_URL", sqlite_url)
    for k, v in sim.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("DIKLAT_HTTP__MAX_RETRIES", "1")
    monkeypatch.setenv("DIKLAT_HTTP__RETRY_BUDGET_SECONDS", "2")
    reset_settings_cache()
    migrate()
    engine = get_engine()
    nips = world(engine, sim)
    sim.set_faults(fail_share=1.0, paths=[f"data-utama/{nips[4]}"], targets=["siasn"])
    out = verifikasi_siasn_task.fn("PD-VER", 10)
    assert out["selesai"] is False and out["nomor_belum_diperiksa"] == [5]

    def step10() -> str:
        with session_scope(engine) as s:
            k = kegiatan_by_kode(s, "PD-VER")
            return str(
                s.execute(
                    select(SopStepLog.status).where(
                        SopStepLog.kegiatan_id == k.id, SopStepLog.step_no == 10
                    )
                ).scalar_one()
            )

    assert step10() == "menunggu"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    env.update(DIKLAT_VAR_DIR=str(tmp_path / "var"), DIKLAT_DATABASE_URL=sqlite_url)
    r = subprocess.run(
        [DIKLAT, "kegiatan", "calon", "PD-VER", "--lihat", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    daftar = {x["nomor"]: x for x in json.loads(r.stdout)["daftar"]}
    assert (daftar[5]["verifikasi"], daftar[5]["alasan"]) == ("belum_diperiksa", "gagal")
    assert (daftar[6]["verifikasi"], daftar[6]["alasan_teks"]) == (
        "tidak_memenuhi",
        "NIP tidak ditemukan di SIASN",
    )
    r = subprocess.run(
        [DIKLAT, "kegiatan", "show", "PD-VER"], env=env, capture_output=True, text=True, timeout=120
    )
    assert "1 belum diperiksa (nomor 5)" in r.stdout and "tidak_ditemukan 1" in r.stdout
    sim.clear_faults()
    out = verifikasi_siasn_task.fn("PD-VER", 10)
    assert out["selesai"] is True and out["belum_diperiksa"] == 0
    assert step10() == "selesai"
