"""Paraf and signature through a real Prefect server: the flow waits in the UI's resume form,
officials answer with the one-time code from their e-mail; refusals keep it waiting and are
audited (a right code sent with a refused answer is spent and replaced); a revision waits for
the person the SOP names, who corrects it in the correction form; version 2 goes up the chain
again; the signature is a PAdES signature that validates. An answer reaches only the wait it
was made for, and nothing typed stays in Prefect's stored inputs."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from diklat.db import get_engine, migrate, session_scope
from diklat.kegiatan.data import tetapkan_peserta
from diklat.models import (
    AuditPersetujuan,
    Bundel,
    Naskah,
    NaskahBerkas,
    Pegawai,
    Permintaan,
    RegisterEntry,
)
from diklat.mulai import simpan_kegiatan
from diklat.naskah.register import today
from diklat.pegawai.pejabat import simpan_pejabat
from diklat.pegawai.personnel import PersonnelWriter
from diklat.settings import reset_settings_cache
from tests.sop_support import codes_for

KODE = "PK-TTE-1"
PEJABAT = {
    "kabid_psda": ("198005122005022003", "RINA WULANDARI, S.E.", "kabid@bkpsdm.example.go.id"),
    "sekretaris": ("197706142003121004", "AHMAD FAUZI, S.H.", "sekre@bkpsdm.example.go.id"),
    "kepala": ("197209131998031001", "Dr. SUTRISNO, M.Si.", "kepala@bkpsdm.example.go.id"),
    # who corrects a draft sent back (a training is refused without one)
    "pengelola": ("199107222018022001", "SITI AMINAH, S.Kom.", "pengelola@bkpsdm.example.go.id"),
}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: str) -> Engine:
    from connectors import pdf as pdfconn

    if not pdfconn.available():
        pytest.skip("LibreOffice needed to sign PDFs")
    monkeypatch.setenv("DIKLAT_APPROVAL__POLL_SECONDS", "0.25")
    reset_settings_cache()
    migrate()
    engine = get_engine()
    w = PersonnelWriter(engine, None, sumber="simpeg")
    w.upsert_units([{"kode": "U1", "nama": "Dinas Pendidikan"}])
    w.write(
        [
            {
                "nip": "198501012010012001",
                "nama": "Siti",
                "unit_kode": "U1",
                "golongan": "III/a",
                "jabatan": "Analis",
            }
        ]
    )
    mulai = today()
    with session_scope(engine) as s:
        for peran, (nip, nama, mail) in PEJABAT.items():
            simpan_pejabat(
                s, nip=nip, nama=nama, peran=peran, jabatan=f"Jabatan {peran}", email=mail
            )
        k = simpan_kegiatan(
            s,
            {
                "kode": KODE,
                "sop": "peningkatan-kapasitas",
                "nama": "Pelatihan TTE",
                "mulai": mulai,
                "selesai": mulai,
                "tempat": "Aula",
                "jp": 16,
                "lembaga_narasumber": "BPSDM Provinsi",
                "materi": ["TTE"],
            },
        )
        tetapkan_peserta(s, k, s.execute(select(Pegawai.id)).scalars().all())
    return engine


def _waiting(engine: Engine, peran: str, timeout: float = 90) -> Permintaan:
    """The open request of a role once its run is paused in Prefect."""
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(engine) as s:
            p = (
                s.execute(
                    select(Permintaan)
                    .where(Permintaan.peran == peran, Permintaan.status == "menunggu")
                    .order_by(Permintaan.id.desc())
                )
                .scalars()
                .first()
            )
            if p is not None and p.flow_run_id:
                with get_client(sync_client=True) as c:
                    fr = c.read_flow_run(p.flow_run_id)
                if fr.state is not None and fr.state.is_paused():
                    s.expunge(p)
                    return p
        time.sleep(0.5)
    raise AssertionError(f"no paused request for {peran}")


def _audits(engine: Engine) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(AuditPersetujuan)) or 0)


def _answer(engine: Engine, p: Permintaan, answer: dict[str, Any]) -> None:
    from tasks.lanjut import lanjutkan

    before = _audits(engine)
    deadline = time.monotonic() + 60
    while not lanjutkan(str(p.flow_run_id), f"p{p.id}-", {"dokumen": "", **answer}):
        assert time.monotonic() < deadline, "the run never waited for this request"
        time.sleep(0.3)
    while _audits(engine) == before:
        assert time.monotonic() < deadline, "the answer was never processed"
        time.sleep(0.3)


@pytest.mark.slow
def test_chain_refusals_revision_and_signature(world: Engine) -> None:
    from prefect.client.orchestration import get_client

    from connectors.tte.verify import verify_pdf
    from diklat.clients import trust_roots
    from flows.naskah_kegiatan import naskah_kegiatan

    engine = world
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["out"] = naskah_kegiatan(
                kode=KODE, jenis=["surat_permohonan_narasumber"], persetujuan=True
            )
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            result["error"] = e

    th = threading.Thread(target=run, daemon=True)
    th.start()
    kabid_nip, _, kabid_mail = PEJABAT["kabid_psda"]
    p = _waiting(engine, "kabid_psda")
    with get_client(sync_client=True) as c:  # the form shows what is decided on
        fr = c.read_flow_run(p.flow_run_id)
    assert fr.state is not None and fr.state.is_paused()
    code = codes_for(kabid_mail)[-1]

    # refused answers: wrong code, a NIP without the role; the run keeps waiting
    _answer(engine, p, {"keputusan": "setuju", "nip": kabid_nip, "kode": "000000", "catatan": ""})
    p = _waiting(engine, "kabid_psda")
    _answer(
        engine, p, {"keputusan": "setuju", "nip": PEJABAT["kepala"][0], "kode": code, "catatan": ""}
    )
    # that code was typed into the form with a refused answer: spent, a new one went out
    assert codes_for(kabid_mail)[-1] != code
    p = _waiting(engine, "kabid_psda")
    _answer(
        engine,
        p,
        {"keputusan": "setuju", "nip": kabid_nip, "kode": codes_for(kabid_mail)[-1], "catatan": ""},
    )
    # nothing an official typed stays in Prefect's stored run inputs. The flow deletes the
    # answers after putuskan_task has returned, and _answer returns as soon as that task's
    # audit row is committed: wait for the deletion (bounded) instead of racing the flow
    # (the race lost once in five runs on Prefect 3.9.1, docs/prefect-3.9.md).
    deadline = time.monotonic() + 30
    while True:
        with get_client(sync_client=True) as c:
            kept = c.filter_flow_run_input(
                p.flow_run_id, key_prefix="paused-p", limit=50, exclude_keys=set()
            )
        left = [i.key for i in kept if i.key.endswith("-response")]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert left == []

    # the secretary asks for a revision: the run waits for the typist (return_to 3), who
    # corrects the data and answers the correction form; version 2 goes up again
    sek = _waiting(engine, "sekretaris")
    _answer(
        engine,
        sek,
        {
            "keputusan": "revisi",
            "nip": PEJABAT["sekretaris"][0],
            "kode": codes_for(PEJABAT["sekretaris"][2])[-1],
            "catatan": "tambahkan materi etika",
        },
    )
    _koreksi(engine)
    p2 = _waiting(engine, "kabid_psda")
    assert p2.id != p.id
    _answer(
        engine, p2, {"keputusan": "setuju", "nip": kabid_nip, "kode": code, "catatan": ""}
    )  # a spent code of version 1: refused
    p2 = _waiting(engine, "kabid_psda")
    _answer(
        engine,
        p2,
        {"keputusan": "setuju", "nip": kabid_nip, "kode": codes_for(kabid_mail)[-1], "catatan": ""},
    )
    sek2 = _waiting(engine, "sekretaris")
    _answer(
        engine,
        sek2,
        {
            "keputusan": "setuju",
            "nip": PEJABAT["sekretaris"][0],
            "kode": codes_for(PEJABAT["sekretaris"][2])[-1],
            "catatan": "",
        },
    )
    kep = _waiting(engine, "kepala")
    _answer(
        engine,
        kep,
        {
            "keputusan": "setuju",
            "nip": PEJABAT["kepala"][0],
            "kode": codes_for(PEJABAT["kepala"][2])[-1],
            "catatan": "",
        },
    )
    th.join(timeout=180)
    assert not th.is_alive() and "error" not in result, result.get("error")

    with session_scope(engine) as s:
        bundles = s.execute(select(Bundel).order_by(Bundel.versi)).scalars().all()
        assert [(b.versi, b.status) for b in bundles] == [(1, "dikembalikan"), (2, "terdaftar")]
        assert bundles[1].catatan == "tambahkan materi etika"
        refused = (
            s.execute(
                select(AuditPersetujuan.alasan)
                .where(AuditPersetujuan.hasil == "ditolak")
                .order_by(AuditPersetujuan.id)
            )
            .scalars()
            .all()
        )
        assert refused == [
            "kode verifikasi salah",
            "NIP ini tidak memegang peran kabid_psda yang diminta",
            "kode verifikasi salah",
        ]
        assert bundles[1].diperbaiki_oleh == PEJABAT["pengelola"][0]
        entries = s.execute(select(RegisterEntry)).scalars().all()
        n2 = s.execute(select(Naskah).where(Naskah.bundel_id == bundles[1].id)).scalar_one()
        assert [e.naskah_id for e in entries] == [n2.id]  # only the signed version numbered
        ttd = s.execute(
            select(NaskahBerkas).where(
                NaskahBerkas.naskah_id == n2.id, NaskahBerkas.peran == "ttd_pdf"
            )
        ).scalar_one()
        from diklat.kegiatan import ledger
        from diklat.kegiatan.data import kegiatan_by_kode

        state = ledger.keadaan(s, kegiatan_by_kode(s, KODE).id)
    assert state[3].putaran == 2 and state[4].putaran == 2 and state[5].status == "selesai"
    res = verify_pdf(Path(ttd.path).read_bytes(), trust_roots())
    assert res.valid and res.intact and res.trusted and res.timestamped, res.reason
    assert res.signer and "SUTRISNO" in res.signer
    # every code went to the official of its level; each worked once
    assert len(codes_for(kabid_mail)) == 3 and len(codes_for(PEJABAT["kepala"][2])) == 1


def _koreksi(engine: Engine) -> None:
    """The typist corrects the data, then answers the correction form of the waiting run."""
    import json

    from diklat.kegiatan.data import kegiatan_by_kode
    from tasks.lanjut import lanjutkan

    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, KODE)
        k.kriteria_json = json.dumps({**k.kriteria, "materi": ["TTE", "Etika"]})
        b = s.execute(select(Bundel).where(Bundel.status == "dikembalikan")).scalar_one()
        run, bid = k.flow_run_id, b.id
        run = (
            s.execute(select(Permintaan.flow_run_id).where(Permintaan.bundel_id == bid))
            .scalars()
            .first()
            or run
        )
    deadline = time.monotonic() + 60
    while not lanjutkan(
        str(run),
        f"r{bid}-",
        {
            "nip": PEJABAT["pengelola"][0],
            "cara": "data",
            "berkas": "",
            "dokumen": "",
            "catatan": "materi etika ditambahkan",
            "alasan": "",
        },
    ):
        assert time.monotonic() < deadline, "the run never waited for the correction"
        time.sleep(0.3)


@pytest.mark.slow
def test_deployed_run_suspends_and_resumes_from_the_top(world: Engine, tmp_path: Path) -> None:
    """A served deployment suspends at each wait (its process exits) and starts again from
    the top on resume: no second document, number or e-mail."""
    import os
    import signal
    import subprocess
    import sys

    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL

    engine = world
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from flows.naskah_kegiatan import naskah_kegiatan; "
            "naskah_kegiatan.serve(name='uji', limit=2)",
        ],
        cwd=root,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                fr = run_deployment(
                    "naskah-kegiatan/uji",
                    parameters={
                        "kode": KODE,
                        "jenis": ["surat_permohonan_narasumber"],
                        "persetujuan": True,
                    },
                    timeout=0,
                )
                break
            except Exception:  # the served deployment is not registered yet
                assert time.monotonic() < deadline, "deployment never appeared"
                time.sleep(1)
        for peran in ("kabid_psda", "sekretaris", "kepala"):
            p = _waiting(engine, peran, timeout=150)
            assert p.flow_run_id == str(fr.id)
            with get_client(sync_client=True) as c:
                st = c.read_flow_run(fr.id).state
            assert st is not None and st.name == "Suspended"
            nip, _, mail = PEJABAT[peran]
            _answer(
                engine,
                p,
                {"keputusan": "setuju", "nip": nip, "kode": codes_for(mail)[-1], "catatan": ""},
            )
        deadline = time.monotonic() + 180
        while True:
            with get_client(sync_client=True) as c:
                st = c.read_flow_run(fr.id).state
            if st is not None and st.is_final():
                break
            assert time.monotonic() < deadline, "the run never finished"
            time.sleep(1)
        assert st.is_completed(), st
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Bundel)) == 1
        assert s.scalar(select(func.count()).select_from(Naskah)) == 1
        assert s.scalar(select(func.count()).select_from(RegisterEntry)) == 1
        assert (
            s.scalar(
                select(func.count())
                .select_from(NaskahBerkas)
                .where(NaskahBerkas.peran == "ttd_pdf")
            )
            == 1
        )
    # one code per level, never re-sent by the restarts
    assert [len(codes_for(PEJABAT[r][2])) for r in ("kabid_psda", "sekretaris", "kepala")] == [
        1,
        1,
        1,
    ]
