"""Answers to paraf and signature requests (both databases): codes single-use, refusals
audited and counted, a lock after too many, the drafter never decides on his own draft, the
Sekda branch, deadlines with reminders, escalation and the hard limit."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from diklat.db import session_scope
from diklat.kegiatan.data import kegiatan_by_kode, tetapkan_peserta
from diklat.models import AuditPersetujuan, Bundel, Pegawai, Permintaan
from diklat.mulai import simpan_kegiatan
from diklat.naskah import versi
from diklat.naskah.persetujuan import (
    Surat,
    buka,
    daftar_menunggu,
    kirim_kode,
    pantau_tenggat,
    putuskan,
    riwayat,
    tingkat_berikut,
)
from diklat.naskah.register import today
from diklat.pegawai.pejabat import simpan_pejabat
from diklat.pegawai.personnel import PersonnelWriter
from diklat.settings import reset_settings_cache

OFFICIALS = {
    "analis_sdm": "199001012015031001",
    "kabid_psda": "198005122005022003",
    "sekretaris": "197706142003121004",
    "kepala": "197209131998031001",
    "sekda": "196801011990031001",
    "pengolah_data": "199305102020121002",
}


class Outbox:
    def __init__(self) -> None:
        self.sent: list[Surat] = []

    def __call__(self, s: Surat) -> None:
        self.sent.append(s)

    def code(self, to_role: str) -> str:
        import re

        mail = f"{to_role}@example.go.id"
        for s in reversed(self.sent):
            if s.kepada == mail:
                m = re.search(r"^Kode: (\d{6})$", s.isi, flags=re.M)
                if m:
                    return m.group(1)
        raise AssertionError(f"no code for {to_role}")


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Engine:
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
    mulai = today() + dt.timedelta(days=21)
    with session_scope(engine) as s:
        for peran, nip in OFFICIALS.items():
            simpan_pejabat(
                s,
                nip=nip,
                nama=f"Pejabat {peran}",
                peran=peran,
                jabatan=f"Jabatan {peran}",
                email=f"{peran}@example.go.id",
            )
        for kode, kondisi in (("PD-1", []), ("PD-S", ["kewenangan_sekda"])):
            k = simpan_kegiatan(
                s,
                {
                    "kode": kode,
                    "sop": "pengiriman-peserta",
                    "nama": "Diklat Arsiparis",
                    "mulai": mulai,
                    "selesai": mulai + dt.timedelta(days=4),
                    "penyelenggara": "BPSDMD Provinsi",
                    "tempat": "Semarang",
                    "jp": 40,
                    "kriteria": {"unit": ["U1"]},
                    "kondisi": kondisi,
                },
            )
            tetapkan_peserta(s, k, s.execute(select(Pegawai.id)).scalars().all())
    return engine


def _open(engine: Engine, kode: str, tmp: Path, out: Outbox) -> int:
    h = versi.buat_draf(engine, kode, "surat_tugas", tmp)
    with session_scope(engine) as s:
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        level = tingkat_berikut(s, b)
        assert level is not None
        p = buka(s, b, level, flow_run_id="run-1")
        assert kirim_kode(s, p, out, ui_url="http://ui/run-1")
        assert not kirim_kode(s, p, out, ui_url="http://ui/run-1")  # once
        return p.id


def _decide(
    engine: Engine,
    pid: int,
    peran: str,
    code: str,
    keputusan: str = "setuju",
    catatan: str = "",
    out: Outbox | None = None,
    nip: str | None = None,
):  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return putuskan(
            s,
            pid,
            nip=nip or OFFICIALS[peran],
            kode=code,
            keputusan=keputusan,
            catatan=catatan,
            kirim=out,
        )


def _next(engine: Engine, kode: str, out: Outbox) -> int:
    with session_scope(engine) as s:
        b = versi.bundel_terkini(s, kegiatan_by_kode(s, kode).id, "surat_tugas")
        assert b is not None
        level = tingkat_berikut(s, b)
        assert level is not None
        p = buka(s, b, level)
        kirim_kode(s, p, out, ui_url="http://ui")
        return p.id


def test_codes_are_single_use_and_refusals_are_audited(world: Engine, tmp_path: Path) -> None:
    out = Outbox()
    pid = _open(world, "PD-1", tmp_path, out)
    assert "Kode: " in out.sent[0].isi and out.sent[0].kepada == "analis_sdm@example.go.id"
    code = out.code("analis_sdm")
    assert not _decide(world, pid, "analis_sdm", "999999", out=out).diterima
    # the right code with another official's NIP: refused, and the code (now written in the
    # orchestrator's stored input) is spent: a new one goes out
    r = _decide(world, pid, "analis_sdm", code, nip=OFFICIALS["kabid_psda"], out=out)
    assert not r.diterima and "kode baru sudah dikirim" in (r.alasan or "")
    assert out.code("analis_sdm") != code
    r = _decide(world, pid, "analis_sdm", code, out=out)
    assert not r.diterima and r.alasan == "kode verifikasi sudah pernah dipakai"
    code2 = out.code("analis_sdm")
    r = _decide(world, pid, "analis_sdm", code2, keputusan="revisi", out=out)
    assert not r.diterima and "wajib disertai catatan" in (r.alasan or "")
    code3 = out.code("analis_sdm")
    assert code3 != code2
    assert _decide(world, pid, "analis_sdm", code3, out=out).diterima
    # the same answer again (terminal, then the run): the decision stands, nothing recorded,
    # reported as already decided
    again = _decide(world, pid, "analis_sdm", code3, out=out)
    assert again.diterima and again.sudah
    # another answer to a decided request: refused
    assert not _decide(world, pid, "analis_sdm", "123456", out=out).diterima
    pid2 = _next(world, "PD-1", out)
    r = _decide(world, pid2, "kabid_psda", code3)  # a code of another request is worthless
    assert not r.diterima and r.alasan == "kode verifikasi salah"
    with session_scope(world) as s:
        rows = riwayat(s, kegiatan_by_kode(s, "PD-1").id)
        hasil = [(x["hasil"], x["alasan"]) for x in rows]
        waiting = daftar_menunggu(s)
    assert hasil == [
        ("ditolak", "kode verifikasi salah"),
        ("ditolak", "NIP ini tidak memegang peran analis_sdm yang diminta"),
        ("ditolak", "kode verifikasi sudah pernah dipakai"),
        ("ditolak", "keputusan revisi wajib disertai catatan"),
        ("diterima", None),
        ("ditolak", "permintaan sudah diputuskan; kode sudah dipakai"),
        ("ditolak", "kode verifikasi salah"),
    ]
    assert all(x["sha256"] for x in rows) and rows[4]["nip"] == OFFICIALS["analis_sdm"]
    assert [(w["id"], w["peran"], w["level"]) for w in waiting] == [(pid2, "kabid_psda", 2)]
    assert {
        "id",
        "kegiatan",
        "naskah",
        "level",
        "peran",
        "nip",
        "sejak",
        "tenggat",
        "terlambat",
        "flow_run_id",
    } <= set(waiting[0])


def test_only_the_newest_code_is_valid(world: Engine, tmp_path: Path) -> None:
    out = Outbox()
    pid = _open(world, "PD-1", tmp_path, out)
    old = out.code("analis_sdm")
    with session_scope(world) as s:
        p = s.get(Permintaan, pid)
        assert p is not None and kirim_kode(s, p, out, ui_url="http://ui", paksa=True)
    new = out.code("analis_sdm")
    r = _decide(world, pid, "analis_sdm", old, out=out)
    assert not r.diterima and "sudah diganti" in (r.alasan or "")
    assert _decide(world, pid, "analis_sdm", new, out=out).diterima


def test_lock_after_too_many_wrong_answers(world: Engine, tmp_path: Path) -> None:
    out = Outbox()
    pid = _open(world, "PD-1", tmp_path, out)
    for _ in range(4):
        assert not _decide(world, pid, "analis_sdm", "000000", out=out).terkunci
    r = _decide(world, pid, "analis_sdm", "000000", out=out)
    assert r.terkunci and "dikunci" in (r.alasan or "")
    # the superior (Kabid above the Analis) is told, and the lock has its own audit row
    assert out.sent[-1].kepada == "kabid_psda@example.go.id"
    with session_scope(world) as s:
        locks = (
            s.execute(
                select(AuditPersetujuan).where(
                    AuditPersetujuan.permintaan_id == pid, AuditPersetujuan.hasil == "dikunci"
                )
            )
            .scalars()
            .all()
        )
        assert len(locks) == 1 and "5 jawaban ditolak" in (locks[0].alasan or "")
    r = _decide(world, pid, "analis_sdm", out.code("analis_sdm"), out=out)
    assert not r.diterima and "terkunci" in (r.alasan or "")
    # a locked request is nobody's work once its training is cancelled; a closed request
    # never moves again (one transition table for requests)
    from diklat.naskah.persetujuan import DIBATALKAN, MENUNGGU, PersetujuanError, pindah
    from diklat.perubahan import batalkan_kegiatan

    with session_scope(world) as s:
        batalkan_kegiatan(s, "PD-1", "pelatihan ditunda penyelenggara", oleh_nip=None)
    with session_scope(world) as s:
        p = s.get(Permintaan, pid)
        assert p is not None and p.status == DIBATALKAN
        with pytest.raises(PersetujuanError, match="dibatalkan tidak dapat menjadi menunggu"):
            pindah(p, MENUNGGU)


def test_drafter_may_not_decide_on_his_own_draft(
    world: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIKLAT_APPROVAL__PEMBUAT_NIP", OFFICIALS["analis_sdm"])
    reset_settings_cache()
    out = Outbox()
    pid = _open(world, "PD-1", tmp_path, out)
    r = _decide(world, pid, "analis_sdm", out.code("analis_sdm"))
    assert not r.diterima and "pembuat konsep" in (r.alasan or "")


def test_sekda_branch_and_revision_round(world: Engine, tmp_path: Path) -> None:
    out = Outbox()
    pid = _open(world, "PD-S", tmp_path, out)
    for peran in ("analis_sdm", "kabid_psda", "kepala"):
        assert _decide(world, pid, peran, out.code(peran)).diterima, peran
        pid = _next(world, "PD-S", out)
    with session_scope(world) as s:
        p = s.get(Permintaan, pid)
        assert p is not None and (p.kind, p.peran, p.langkah) == ("tanda_tangan", "sekda", 16)
    # the head may not sign what the Sekda signs
    r = _decide(world, pid, "sekda", out.code("sekda"), nip=OFFICIALS["kepala"], out=out)
    assert not r.diterima  # and that code is spent: a new one went out
    r = _decide(
        world,
        pid,
        "sekda",
        out.code("sekda"),
        keputusan="revisi",
        catatan="dasar surat kurang",
        out=out,
    )
    assert r.diterima and r.selesai
    # nothing is drafted by itself: the version waits for the Kabid (return_to 14)
    assert versi.buat_draf(world, "PD-S", "surat_tugas", tmp_path).versi == 1
    with session_scope(world) as s:
        from diklat.kegiatan import ledger
        from diklat.naskah.perbaikan import menunggu

        k = kegiatan_by_kode(s, "PD-S")
        st = ledger.keadaan(s, k.id)
        # "tidak setuju dikembalikan" at step 16 goes back to step 14 (catalogue's return_to):
        # 14-16 are closed, 14 opens its next round waiting for the Kabid; 13 stays done
        assert st[16].status == ledger.DIKEMBALIKAN and st[15].status == ledger.DIKEMBALIKAN
        assert (st[14].status, st[14].putaran) == (ledger.MENUNGGU, 2)
        assert st[13].status == ledger.SELESAI
        m = menunggu(s, k, "surat_tugas")
        assert m is not None and (m.peran, m.langkah, m.mulai_urutan) == ("kabid_psda", 14, 2)


def test_deadline_reminder_escalation_and_hard_limit(
    world: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIKLAT_APPROVAL__BATAS_KERAS", "hentikan")
    reset_settings_cache()
    out = Outbox()
    pid = _open(world, "PD-1", tmp_path, out)
    with session_scope(world) as s:
        p = s.get(Permintaan, pid)
        assert p is not None and p.tenggat is not None
        start, deadline = p.sejak, p.tenggat
    from diklat.kegiatan import ledger

    with session_scope(world) as s:
        kal = ledger.kalender_sop(kegiatan_by_kode(s, "PD-1"))
    standard = kal.elapsed(start, deadline)  # in working time

    def at(kali: int) -> dt.datetime:  # kali x the standard time, counted in working time
        return kal.deadline(start, standard * kali).astimezone(dt.UTC)

    nol = {
        "diingatkan": 0,
        "dieskalasi": 0,
        "dihentikan": 0,
        "langkah_diingatkan": 0,
        "langkah_dieskalasi": 0,
    }
    with session_scope(world) as s:
        assert pantau_tenggat(s, out, now=deadline - dt.timedelta(seconds=1)).as_dict() == nol
    with session_scope(world) as s:
        r = pantau_tenggat(s, out, now=deadline + dt.timedelta(seconds=1))
    assert r.diingatkan == [pid] and "Pengingat" in out.sent[-1].subjek
    with session_scope(world) as s:  # idempotent per stage
        assert pantau_tenggat(s, out, now=deadline + dt.timedelta(seconds=2)).as_dict() == nol
    with session_scope(world) as s:
        r = pantau_tenggat(s, out, now=at(2) + dt.timedelta(seconds=1))
    assert r.dieskalasi == [pid] and out.sent[-1].kepada == "kabid_psda@example.go.id"
    with session_scope(world) as s:
        r = pantau_tenggat(s, out, now=at(3) + dt.timedelta(seconds=1))
        assert r.dihentikan == [pid]
        p = s.get(Permintaan, pid)
        b = s.get(Bundel, p.bundel_id) if p else None
        assert p is not None and b is not None
        assert (p.status, b.status) == ("dibatalkan", "ditolak")
        assert s.scalar(select(func.count()).select_from(AuditPersetujuan)) == 0
    assert json.dumps([x.isi for x in out.sent]).count("Kode: ") == 1  # codes only once
