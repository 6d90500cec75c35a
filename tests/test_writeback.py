"""The SIASN write-back against the simulator over real HTTP, SQLite and PostgreSQL: exactly
one course record per participant across re-runs, a save whose answer was lost (SIASN stored
it) and a crash before our commit both reconciled from ``rw-kursus`` without a second record,
an upload refused at HTTP 200 with ``code`` 0 reported (and retried), a NIP SIASN does not know
reported and not retried, a wrong base path stopping the run with one line."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from connectors.http import HttpClient, RetryPolicy
from connectors.siasn import SiasnClient, TokenManager
from diklat.db import session_scope
from diklat.kegiatan import writeback
from diklat.kegiatan.writeback import WritebackBerhenti, tulis_kursus
from diklat.models import Kegiatan, Naskah, NaskahBerkas, Pegawai, Peserta
from simulator import refdata
from simulator.server import SimulatorServer

FAST = RetryPolicy(max_retries=2, backoff_base=0.005, backoff_max=0.02, budget_seconds=5)
KODE = "PK-2026-WB"
UNKNOWN_NIP = "199901012020011999"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(n_pegawai=40, seed=8, bad_share=0.0) as s:
        yield s


@pytest.fixture
def fresh(sim: SimulatorServer) -> SimulatorServer:
    sim.reset()
    return sim


def client(sim: SimulatorServer, base_path: str = "/apisiasn/1.0") -> SiasnClient:
    http = HttpClient(sim.siasn_url, retry=FAST, name="siasn", read_timeout=5.0)
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
    return SiasnClient(http, tokens, base_path, refdata.INSTANSI_ID)


def nomor(i: int) -> str:
    return f"800.2.4.2/{i:03d}/BKPSDM/2026"


def make_training(
    engine: Engine, sim: SimulatorServer, tmp_path: Path, n: int = 3, unknown: bool = False
) -> list[str]:
    """A closed training with ``n`` passed participants from the simulator's people (their
    SIASN person id not yet known to us), each with a numbered certificate PDF."""
    people = [rec for _, rec, _ in sim.dataset.iter_records()][:n]
    nips = [r["nip"] for r in people] + ([UNKNOWN_NIP] if unknown else [])
    with session_scope(engine) as s:
        k = Kegiatan(
            kode=KODE,
            sop="peningkatan-kapasitas",
            nama="Pelatihan Naskah Dinas",
            jenis_diklat_id="3",
            penyelenggara="BKPSDM Kabupaten Kutai Kartanegara",
            tanggal_mulai=dt.date(2026, 3, 2),
            tanggal_selesai=dt.date(2026, 3, 4),
            jumlah_jp=24,
            status="selesai",
        )
        s.add(k)
        s.flush()
        for i, nip in enumerate(nips, start=1):
            pg = Pegawai(nip=nip, nama=f"Peserta {i}")
            s.add(pg)
            s.flush()
            s.add(Peserta(kegiatan_id=k.id, pegawai_id=pg.id, status="lulus", nomor_urut=i))
            pdf = tmp_path / f"sertifikat-{i}.pdf"
            pdf.write_bytes(b"%PDF-1.4\n% sertifikat " + str(i).encode() + b"\n%%EOF\n")
            nk = Naskah(
                kegiatan_id=k.id,
                jenis="sertifikat",
                kunci=f"peserta:{nip}",
                status="terdaftar",
                nomor=nomor(i),
            )
            s.add(nk)
            s.flush()
            s.add(
                NaskahBerkas(
                    naskah_id=nk.id,
                    peran="final_pdf",
                    path=str(pdf),
                    sha256="x",
                    ukuran=pdf.stat().st_size,
                )
            )
    return nips


def peserta(engine: Engine) -> dict[int, Peserta]:
    with session_scope(engine) as s:
        rows = s.execute(select(Peserta).order_by(Peserta.nomor_urut)).scalars().all()
        s.expunge_all()
        return {int(p.nomor_urut or 0): p for p in rows}


def ours_in_siasn(c: SiasnClient, nips: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Per NIP, the rw-kursus records carrying one of our certificate numbers."""
    ours = {nomor(i) for i in range(1, 10)}
    return {nip: [it for it in c.rw_kursus(nip) if it.get("noSertipikat") in ours] for nip in nips}


def test_rerun_saves_nothing_twice(engine: Engine, fresh: SimulatorServer, tmp_path: Path) -> None:
    nips = make_training(engine, fresh, tmp_path)
    with client(fresh) as c:
        first = tulis_kursus(engine, KODE, c)
        assert (first.disimpan, first.diunggah, first.gagal) == (3, 3, [])
        assert fresh.stats()["kursus_saves"] == 3
        again = tulis_kursus(engine, KODE, c)
        assert (again.disimpan, again.diunggah, again.sudah) == (0, 0, 3)
        assert fresh.stats()["kursus_saves"] == 3  # no second kursus/save
        found = ours_in_siasn(c, nips)
    rows = peserta(engine)
    for i, nip in enumerate(nips, start=1):
        assert len(found[nip]) == 1 and found[nip][0]["path"]["881"]["dok_id"]
        assert rows[i].siasn_riwayat_id == found[nip][0]["id"]
        assert rows[i].siasn_status == "selesai" and rows[i].siasn_dok_at is not None


def test_lost_answer_after_siasn_saved_is_reconciled(
    engine: Engine, fresh: SimulatorServer, tmp_path: Path
) -> None:
    """SIASN stores the first save but its answer is cut off: the record is found in
    rw-kursus and adopted, never saved a second time."""
    nips = make_training(engine, fresh, tmp_path)
    fresh.set_faults(cut_share=1.0, paths=["/kursus/save"], max_faults=1)
    with client(fresh) as c:
        res = tulis_kursus(engine, KODE, c)
        assert fresh.stats()["faults"]["cut"] == 1
        assert (res.dicocokkan, res.disimpan, res.diunggah, res.gagal) == (1, 2, 3, [])
        assert fresh.stats()["kursus_saves"] == 3  # the cut one counted once, in SIASN
        found = ours_in_siasn(c, nips)
    assert all(len(v) == 1 for v in found.values())
    assert peserta(engine)[1].siasn_riwayat_id == found[nips[0]][0]["id"]


def test_crash_before_our_commit_is_reconciled(
    engine: Engine, fresh: SimulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies between SIASN's answer and storing the id: the next run finds the
    record by its certificate number instead of saving again."""
    nips = make_training(engine, fresh, tmp_path, n=2)
    real_set = writeback._set

    def crash(engine: Engine, pid: int, **values: Any) -> None:
        if "siasn_riwayat_id" in values:
            raise KeyboardInterrupt  # the process is killed here
        real_set(engine, pid, **values)

    monkeypatch.setattr(writeback, "_set", crash)
    with client(fresh) as c:
        with pytest.raises(KeyboardInterrupt):
            tulis_kursus(engine, KODE, c)
        assert fresh.stats()["kursus_saves"] == 1
        monkeypatch.setattr(writeback, "_set", real_set)
        res = tulis_kursus(engine, KODE, c)
        assert (res.dicocokkan, res.disimpan, res.diunggah) == (1, 1, 2)
        assert fresh.stats()["kursus_saves"] == 2
        assert all(len(v) == 1 for v in ours_in_siasn(c, nips).values())


def test_upload_refused_with_code_0_is_retried_then_reported(
    engine: Engine, fresh: SimulatorServer, tmp_path: Path
) -> None:
    make_training(engine, fresh, tmp_path)
    with client(fresh) as c:
        # refused once: retried at the end of the same run, nobody left over
        fresh.set_faults(refuse_share=1.0, paths=["/upload-dok-rw"], max_faults=1)
        once = tulis_kursus(engine, KODE, c)
        assert (once.disimpan, once.diunggah, once.gagal) == (3, 3, [])
        assert peserta(engine)[1].siasn_percobaan == 1

    # a fresh training where every upload is refused: listed, records kept, not saved again
    fresh.reset()
    with session_scope(engine) as s:
        for p in s.execute(select(Peserta)).scalars():
            p.siasn_status = p.siasn_riwayat_id = p.siasn_dok_at = None
            p.siasn_percobaan = 0
    fresh.set_faults(refuse_share=1.0, paths=["/upload-dok-rw"])
    with client(fresh) as c:
        res = tulis_kursus(engine, KODE, c)
        assert res.disimpan == 3 and res.diunggah == 0
        assert res.gagal == [1, 2, 3] and res.as_dict()["gagal"] == 3
        assert all("ditolak SIASN" in n for n in res.catatan)
        rows = peserta(engine)
        assert all(
            r.siasn_status == "gagal"
            and r.siasn_riwayat_id
            and r.siasn_dok_at is None
            and r.siasn_percobaan == 2
            for r in rows.values()
        )
        fresh.clear_faults()
        later = tulis_kursus(engine, KODE, c)  # the next run: only the uploads
        assert (later.disimpan, later.diunggah, later.gagal) == (0, 3, [])
        assert fresh.stats()["kursus_saves"] == 3


def test_unknown_nip_is_reported_not_retried(
    engine: Engine, fresh: SimulatorServer, tmp_path: Path, db_url: str
) -> None:
    make_training(engine, fresh, tmp_path, n=2, unknown=True)
    with client(fresh) as c:
        res = tulis_kursus(engine, KODE, c)
        assert (res.disimpan, res.diunggah) == (2, 2)
        assert res.tidak_dikenal == [3] and res.gagal == []
        assert any("nomor 3: NIP tidak dikenal" in n for n in res.catatan)
        assert UNKNOWN_NIP not in " ".join(res.catatan)
        before = fresh.stats()["total"]
        again = tulis_kursus(engine, KODE, c)
        assert again.tidak_dikenal == [3] and again.sudah == 2
        assert fresh.stats()["total"] == before  # nobody asked SIASN again
    assert peserta(engine)[3].siasn_status == "tidak_dikenal"
    # The operator sees it and, once the NIP is fixed, reopens it for the next run.
    seen = _cli(tmp_path, db_url, "siasn", "writeback", KODE)
    assert seen.returncode == 0, seen.stderr
    assert "tidak dikenal SIASN" in seen.stdout + seen.stderr and UNKNOWN_NIP not in seen.stdout
    wrong = _cli(tmp_path, db_url, "siasn", "writeback", KODE, "--ulangi", "3", "--ulangi", "9")
    assert wrong.returncode == 2 and "nomor 9" in wrong.stderr
    assert peserta(engine)[3].siasn_status == "tidak_dikenal"  # refused: nobody reopened
    assert "Traceback" not in wrong.stderr and len(wrong.stderr.strip().splitlines()) == 1
    out = _cli(tmp_path, db_url, "siasn", "writeback", KODE, "--ulangi", "3", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc["dibuka_lagi"] == [3]
    assert [(r["nomor"], r["status"]) for r in doc["peserta"]] == [
        (1, "selesai"),
        (2, "selesai"),
        (3, "belum"),
    ]
    assert peserta(engine)[3].siasn_status is None


def _cli(tmp_path: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    env.update(DIKLAT_VAR_DIR=str(tmp_path / "var"), DIKLAT_DATABASE_URL=db_url)
    return subprocess.run(
        [str(Path(sys.executable).parent / "diklat"), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_wrong_base_path_stops_with_one_line(
    engine: Engine, fresh: SimulatorServer, tmp_path: Path
) -> None:
    nips = make_training(engine, fresh, tmp_path)
    with client(fresh, base_path="/apisiasn/9.9") as c, pytest.raises(WritebackBerhenti) as ei:
        tulis_kursus(engine, KODE, c)
    msg = str(ei.value)
    assert "base path" in msg and "\n" not in msg and not any(n in msg for n in nips)
    assert all(
        p.siasn_status is None and p.siasn_percobaan == 0 for p in peserta(engine).values()
    )  # nobody marked unknown or failed
    assert fresh.stats()["kursus_saves"] == 0
