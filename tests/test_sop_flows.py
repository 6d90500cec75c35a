"""Both SOPs end to end through a real Prefect server, on employees synced from the bundled
simulator, answered by scripted officials (codes from the outbox, one refused code, one
revision) and operators: every step of the path in the ledger, letters numbered once, signed,
sent and archived, course records written back to SIASN; a second start continues instead of
duplicating."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from diklat.db import get_engine, migrate, session_scope
from diklat.kegiatan.data import DataKegiatan
from diklat.models import (
    Arsip,
    AuditPersetujuan,
    Bundel,
    Distribusi,
    Naskah,
    NaskahBerkas,
    Permintaan,
    Peserta,
    RegisterEntry,
    SopStepLog,
    SuratMasuk,
    UnitKerja,
)
from diklat.naskah.register import today
from diklat.settings import get_settings, reset_settings_cache
from simulator.server import SimulatorServer
from tests.sop_support import OFFICIALS, add_officials, assert_prefect_keeps_nothing_private


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: str
) -> Iterator[tuple[Engine, SimulatorServer]]:
    from connectors import pdf as pdfconn
    from diklat.pegawai import sync_service

    if not pdfconn.available():
        pytest.skip("LibreOffice needed to sign PDFs")
    with SimulatorServer(n_pegawai=120, seed=5) as sim:
        for k, v in sim.env().items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("DIKLAT_APPROVAL__POLL_SECONDS", "0.25")
        reset_settings_cache()
        migrate()
        engine = get_engine()
        sync_service.sync_simpeg(engine, full=True)
        add_officials(engine)
        yield engine, sim


def _run(fn: Any, data: DataKegiatan, engine: Engine, **kw: Any) -> tuple[dict[str, Any], Any]:
    from simulator.petugas import Petugas, Skenario

    petugas = Petugas(engine, Path(get_settings().outbox_dir or ""), kw.pop("skenario", Skenario()))
    stop = threading.Event()
    th = threading.Thread(target=petugas.jalan, args=(stop, 0.2), daemon=True)
    th.start()
    try:
        out = fn(kegiatan=data)
    finally:
        stop.set()
        th.join(timeout=10)
    return out, petugas


def _count(s: Any, model: Any, *where: Any) -> int:
    return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@pytest.mark.slow
def test_sop_000_end_to_end(world: tuple[Engine, SimulatorServer]) -> None:
    from flows.peningkatan_kapasitas import peningkatan_kapasitas

    engine, _sim = world
    with session_scope(engine) as s:
        units = s.execute(select(UnitKerja.kode).order_by(UnitKerja.kode)).scalars().all()[:4]
    mulai = today()  # held on the test's day: nothing is recorded before it happened
    data = DataKegiatan(
        kode="PK-E2E-1",
        sop="peningkatan-kapasitas",
        nama="Pelatihan E2E",
        jenis_diklat_id="3",
        mulai=mulai,
        selesai=mulai,
        tempat="Aula",
        jp=24,
        kuota=6,
        lembaga_narasumber="BPSDM Provinsi",
        materi=["Anjab"],
        kriteria={"unit": units},
    )  # type: ignore[arg-type]
    out, petugas = _run(peningkatan_kapasitas, data, engine)
    assert out["kegiatan"] == "PK-E2E-1"
    assert petugas.catatan.ditolak == 1 and petugas.catatan.revisi == 1
    with session_scope(engine) as s:
        from diklat.kegiatan import ledger
        from diklat.kegiatan.data import kegiatan_by_kode
        from diklat.sop.catalogue import get_sop

        k = kegiatan_by_kode(s, "PK-E2E-1")
        state = ledger.keadaan(s, k.id)
        path = [st.no for st in get_sop(k.sop).steps_for(k.kondisi)]
        assert {no: state[no].status for no in path if no in state} == dict.fromkeys(
            path, "selesai"
        )
        assert k.status == "selesai"
        # the Sekretaris sent back notice 2 only: the typist (row 8) uploaded it corrected
        # in Word, the others kept their bytes; rows 8-9 ran a second round
        assert state[9].putaran == 2 and state[8].putaran == 2
        versions = (
            s.execute(
                select(Bundel)
                .where(Bundel.kegiatan_id == k.id, Bundel.jenis == "surat_pemberitahuan")
                .order_by(Bundel.versi)
            )
            .scalars()
            .all()
        )
        assert [b.versi for b in versions] == [1, 2]
        v1 = {n.kunci: n.sha256 for n in versions[0].naskah}
        v2 = {n.kunci: (n.sha256, n.asal) for n in versions[1].naskah}
        changed = [key for key in v1 if v2[key][0] != v1[key]]
        assert len(changed) == 1 and v2[changed[0]][1] == "unggahan"
        assert all(v2[key][1] == "salinan" for key in v1 if key not in changed)
        assert versions[1].diperbaiki_oleh == OFFICIALS["pengelola"]
        # every step names who did it: a person, or the system
        rows = s.execute(select(SopStepLog).where(SopStepLog.kegiatan_id == k.id)).scalars()
        assert all(r.oleh_nip or r.actor == "sistem" for r in rows if r.status == "selesai"), (
            "a step done by nobody"
        )
        # agencies answered the notices themselves; the head and Kabid disposed (row 12)
        usul = s.execute(select(SuratMasuk).where(SuratMasuk.kegiatan_id == k.id)).scalars()
        assert {u.sumber for u in usul} == {"tautan"}
        assert [
            (d.langkah, d.status)
            for d in s.execute(
                select(Permintaan).where(
                    Permintaan.kegiatan_id == k.id, Permintaan.kind == "disposisi"
                )
            ).scalars()
        ] == [(12, "diputuskan"), (12, "diputuskan")]
        n_peserta = _count(s, Peserta, Peserta.kegiatan_id == k.id)
        assert n_peserta == 6
        entries = s.execute(select(RegisterEntry.naskah_id)).scalars().all()
        assert len(entries) == len(set(entries))
        issued = _count(s, NaskahBerkas, NaskahBerkas.peran == "ttd_pdf")
        assert issued == len(entries)  # every numbered letter is signed
        refused = (
            s.execute(select(AuditPersetujuan.alasan).where(AuditPersetujuan.hasil == "ditolak"))
            .scalars()
            .all()
        )
        assert refused == ["kode verifikasi salah"]
        sent = _count(s, Distribusi, Distribusi.status == "terkirim")
        assert sent >= n_peserta * 2  # summonses and certificates at least
        assert _count(s, Arsip) >= issued
        lulus = s.execute(select(Peserta).where(Peserta.kegiatan_id == k.id)).scalars().all()
        assert all(p.status == "lulus" and p.siasn_riwayat_id and p.siasn_dok_at for p in lulus)
        steps_before = _count(s, SopStepLog)
        bundles = _count(s, Bundel)
    assert out["siasn"]["disimpan"] == n_peserta
    assert_prefect_keeps_nothing_private(engine, "PK-E2E-1")

    # Started again: continues (nothing is left), no duplicate anything.
    again, _ = _run(peningkatan_kapasitas, data, engine)
    assert again["kegiatan"] == "PK-E2E-1"
    with session_scope(engine) as s:
        assert _count(s, SopStepLog) == steps_before and _count(s, Bundel) == bundles
        assert len(s.execute(select(RegisterEntry)).scalars().all()) == len(entries)


@pytest.mark.slow
def test_sop_002_sekda_branch(world: tuple[Engine, SimulatorServer]) -> None:
    from flows.pengiriman_peserta import pengiriman_peserta
    from simulator.petugas import Skenario

    engine, _sim = world
    with session_scope(engine) as s:
        unit = s.execute(select(UnitKerja.kode).order_by(UnitKerja.kode)).scalars().first()
    mulai = today()
    data = DataKegiatan(
        kode="PD-E2E-1",
        sop="pengiriman-peserta",
        nama="Diklat Teknis Arsiparis",
        jenis_diklat_id="3",
        mulai=mulai,
        selesai=mulai,
        tempat="Semarang",
        jp=40,
        kuota=1,
        penyelenggara="BPSDMD Provinsi Jawa Tengah",
        kriteria={"unit": [unit]},
        kondisi=["kewenangan_sekda"],
    )  # type: ignore[arg-type]
    out, petugas = _run(
        pengiriman_peserta, data, engine, skenario=Skenario(kode_salah_oleh=None, revisi=None)
    )
    assert out["kegiatan"] == "PD-E2E-1"
    with session_scope(engine) as s:
        tugas = s.execute(select(Naskah).where(Naskah.jenis == "surat_tugas")).scalar_one()
        signer = (
            s.execute(
                select(AuditPersetujuan.nip).where(
                    AuditPersetujuan.peran == "penandatangan",
                    AuditPersetujuan.bundel_id == tugas.bundel_id,
                )
            )
            .scalars()
            .all()
        )
        assert tugas.nomor and signer == [OFFICIALS["sekda"]]
        assert petugas.catatan.per_peran.get("sekda") == 1
        # the head disposed of the offer, signed the notices, initialled the assignment
        # letter; the Kabid disposed, initialled both letters: each with his own code
        assert petugas.catatan.per_peran.get("kepala") == 3
        assert petugas.catatan.per_peran.get("kabid_psda") == 3
        disposisi = (
            s.execute(select(Permintaan).where(Permintaan.kind == "disposisi")).scalars().all()
        )
        assert [(d.langkah, d.peran, d.status) for d in disposisi] == [
            (2, "kepala", "diputuskan"),
            (3, "kabid_psda", "diputuskan"),
        ]
        offer = s.execute(select(SuratMasuk).where(SuratMasuk.jenis == "penawaran")).scalar_one()
        assert (
            disposisi[0].surat_masuk_id == offer.id and offer.dicatat_oleh == OFFICIALS["operator"]
        )
        # the agency proposed its candidate itself, through the link in its notice's e-mail
        usul = s.execute(select(SuratMasuk).where(SuratMasuk.jenis == "usulan")).scalar_one()
        assert usul.sumber == "tautan" and usul.unit_kode == unit
        # the organiser has no address: the sending step waited until it was confirmed
        hand = s.execute(
            select(Distribusi).where(
                Distribusi.naskah_id == tugas.id, Distribusi.peran_penerima == "penyelenggara"
            )
        ).scalar_one()
        assert hand.status == "terkirim" and petugas.catatan.konfirmasi >= 1
        step19 = s.execute(
            select(SopStepLog).where(
                SopStepLog.kegiatan_id == tugas.kegiatan_id, SopStepLog.step_no == 19
            )
        ).scalar_one()
        assert step19.finished_at is not None and step19.finished_at >= hand.updated_at
        tugas_kegiatan = tugas.kegiatan_id
    # the run's page is found by the training's code, and shows its steps (no names)
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as c:
        with session_scope(engine) as s:
            from diklat.kegiatan.data import kegiatan_by_kode

            run_id = kegiatan_by_kode(s, "PD-E2E-1").flow_run_id
        fr = c.read_flow_run(run_id)
        assert "PD-E2E-1" in fr.tags
        # the table is published again as the run goes: the newest version is the run's end
        arts = c.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["langkah-pd-e2e-1"])),
            sort=ArtifactSort.CREATED_DESC,
        )
    assert arts and arts[0].type == "table"
    table = json.loads(arts[0].data) if isinstance(arts[0].data, str) else arts[0].data
    assert any(row["langkah"] == 19 and row["status"] == "selesai" for row in table)
    assert "PEJABAT" not in json.dumps(table)
    with session_scope(engine) as s:
        p = s.execute(select(Peserta).where(Peserta.kegiatan_id == tugas_kegiatan)).scalar_one()
        assert p.status == "lulus" and p.siasn_riwayat_id
    assert_prefect_keeps_nothing_private(engine, "PD-E2E-1")


@pytest.mark.slow
def test_sop_002_refusal_stops_until_started_again(world: tuple[Engine, SimulatorServer]) -> None:
    """The Kepala refuses the assignment letter: the run ends Cancelled with the reason, no
    later step runs, nothing is written to SIASN, the training says ``ditolak``. An operator
    starts the letter again deliberately; the next run goes on from there to the end."""
    from diklat.naskah.perbaikan import ulang
    from flows.pengiriman_peserta import pengiriman_peserta
    from simulator.petugas import Skenario

    engine, _sim = world
    with session_scope(engine) as s:
        unit = s.execute(select(UnitKerja.kode).order_by(UnitKerja.kode)).scalars().first()
    data = DataKegiatan(
        kode="PD-TOLAK-1",
        sop="pengiriman-peserta",
        nama="Diklat Teknis Kearsipan",
        jenis_diklat_id="3",
        mulai=today(),
        selesai=today(),
        tempat="Semarang",
        jp=40,
        kuota=1,
        penyelenggara="BPSDMD Provinsi Jawa Tengah",
        kriteria={"unit": [unit]},
    )  # type: ignore[arg-type]
    from simulator.petugas import Petugas

    petugas = Petugas(
        engine,
        Path(get_settings().outbox_dir or ""),
        Skenario(kode_salah_oleh=None, revisi=None, tolak=("surat_tugas", "kepala")),
    )
    stop = threading.Event()
    th = threading.Thread(target=petugas.jalan, args=(stop, 0.2), daemon=True)
    th.start()
    try:
        state = pengiriman_peserta(kegiatan=data, return_state=True)
    finally:
        stop.set()
        th.join(timeout=10)
    assert state.is_cancelled() and "ditolak" in (state.message or "")
    with session_scope(engine) as s:
        from diklat.kegiatan import ledger
        from diklat.kegiatan.data import kegiatan_by_kode

        k = kegiatan_by_kode(s, "PD-TOLAK-1")
        assert k.status == "ditolak" and "kepala" in (k.status_alasan or "")
        st = ledger.keadaan(s, k.id)
        assert st[15].status == ledger.GAGAL
        assert all(no not in st for no in range(17, 25))  # nothing after it ran
        p = s.execute(select(Peserta).where(Peserta.kegiatan_id == k.id)).scalar_one()
        assert p.status != "lulus" and p.siasn_riwayat_id is None
    # a run started again does nothing more until someone restarts the letter
    again = pengiriman_peserta(kegiatan=data, return_state=True)
    assert again.is_cancelled()
    h = ulang(
        engine,
        "PD-TOLAK-1",
        "surat_tugas",
        Path(get_settings().output_dir or "."),
        nip=OFFICIALS["operator"],
        alasan="Kepala setuju setelah jadwal diubah",
    )
    assert h.versi == 2
    out, _ = _run(
        pengiriman_peserta, data, engine, skenario=Skenario(kode_salah_oleh=None, revisi=None)
    )
    assert out["kegiatan"] == "PD-TOLAK-1"
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, "PD-TOLAK-1")
        assert k.status == "selesai"
        st = ledger.keadaan(s, k.id)
        assert st[15].putaran == 2 and st[15].status == ledger.SELESAI
