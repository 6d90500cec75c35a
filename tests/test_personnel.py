"""The shared personnel write path: validation, quarantine, hash-skip, upsert, deactivation."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import Engine, select

from diklat.models import Karantina, Pegawai, SyncRun, UnitKerja
from diklat.pegawai.personnel import (
    PersonnelWriter,
    RecordError,
    Rejected,
    clean_record,
    finish_run,
    start_run,
)

UNITS = [
    {"kode": "U1", "nama": "Dinas Pendidikan", "email": "diknas@example.go.id"},
    {"kode": "U2", "nama": "Dinas Kesehatan", "email": "dinkes@example.go.id"},
]


def rec(nip: str, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "nip": nip,
        "nama": "Siti Aminah",
        "gelar_belakang": "S.E.",
        "jenis_kelamin": "P",
        "tanggal_lahir": f"{nip[0:4]}-{nip[4:6]}-{nip[6:8]}",
        "unit_kode": "U1",
        "golongan": "III/a",
        "pangkat": "Penata Muda",
        "nomor_hp": "081234567890",
        "nik": "6402xx",
    }
    base.update(kw)
    return base


GOOD = ["198501012010012001", "199002022015031002", "200012312024211001"]


def pegawai_rows(engine: Engine) -> dict[str, tuple[object, ...]]:
    with engine.connect() as c:
        return {
            r.nip: (r.nama, r.golongan, r.unit_id, r.aktif, r.content_hash)
            for r in c.execute(select(Pegawai.__table__))
        }


def test_clean_record_rules() -> None:
    r = clean_record(rec(GOOD[0], jenis_kelamin="F", tanggal_lahir="01-01-1985", tmt_cpns="null"))
    assert r["jenis_kelamin"] == "P" and r["tanggal_lahir"] == dt.date(1985, 1, 1)
    assert r["tmt_cpns"] is None and r["jenis_pegawai"] == "PNS"
    assert "nik" not in r
    with pytest.raises(RecordError, match="NIP tidak valid"):
        clean_record(rec("19850101201001200"))
    with pytest.raises(RecordError, match="unit kerja kosong"):
        clean_record(rec(GOOD[0], unit_kode=""))
    with pytest.raises(RecordError, match="masa depan"):
        clean_record(rec(GOOD[0], tanggal_lahir="2999-01-01"))
    with pytest.raises(RecordError, match="tanggal"):
        clean_record(rec(GOOD[0], tanggal_lahir="31-02-1985"))


def test_write_quarantine_hash_skip_and_deactivate(engine: Engine) -> None:
    run = start_run(engine, "simpeg", "full")
    w = PersonnelWriter(engine, run.id, sumber="simpeg", track_seen=True)
    assert w.upsert_units(UNITS) == 2
    assert w.upsert_units(UNITS) == 0  # unchanged units are not rewritten
    batch = [rec(n) for n in GOOD] + [
        rec("123"),  # invalid NIP
        rec(GOOD[0], nama="Duplikat"),  # duplicate within the run
        rec("199103032016041003", unit_kode="U9"),  # unknown unit, no name
        rec("199204042017051004", unit_kode="U7", unit_nama="Kecamatan Baru"),  # creates a unit
    ]
    t = w.write(
        batch, checkpoint={"after": GOOD[-1]}, rejected=[Rejected("baris terpotong", None, 99)]
    )
    assert (t.inserted, t.updated, t.unchanged, t.quarantined) == (4, 0, 0, 4)
    finish_run(run, w.totals)
    rows = pegawai_rows(engine)
    assert set(rows) == {*GOOD, "199204042017051004"}
    with engine.connect() as c:
        reasons = sorted(r.alasan for r in c.execute(select(Karantina.__table__)))
        payloads = [r.payload for r in c.execute(select(Karantina.__table__)) if r.payload]
        units = {r.kode for r in c.execute(select(UnitKerja.__table__))}
        status = c.execute(select(SyncRun.status)).scalar_one()
    assert any(a.startswith("NIP tidak valid") for a in reasons)
    assert any(a.startswith("NIP ganda") for a in reasons)
    assert any("U9" in a for a in reasons) and "baris terpotong" in reasons
    assert all("081234567890" not in p and "6402xx" not in p for p in payloads)
    assert "U7" in units and status == "success"

    # Same data again: nothing written; one change: one update; absent ones deactivated.
    before = pegawai_rows(engine)
    run2 = start_run(engine, "simpeg", "full")
    w2 = PersonnelWriter(engine, run2.id, sumber="simpeg", track_seen=True)
    t2 = w2.write(
        [
            rec(GOOD[0]),
            rec(GOOD[1], golongan="III/b"),
            rec("199204042017051004", unit_kode="U7", unit_nama="Kecamatan Baru"),
        ]
    )
    assert (t2.inserted, t2.updated, t2.unchanged) == (0, 1, 2)
    assert w2.deactivate_missing() == 1
    after = pegawai_rows(engine)
    assert after[GOOD[0]] == before[GOOD[0]]
    assert after[GOOD[1]][1] == "III/b"
    assert after[GOOD[2]][3] is False or after[GOOD[2]][3] == 0  # deactivated, not deleted
    # It comes back: reactivated by the next write.
    w3 = PersonnelWriter(engine, None, sumber="simpeg")
    assert w3.write([rec(GOOD[2])]).updated == 1
    assert pegawai_rows(engine)[GOOD[2]][3]


def test_one_transaction_with_connection_rolls_back(engine: Engine) -> None:
    run = start_run(engine, "siasn-export", "file")
    with pytest.raises(RuntimeError), engine.begin() as conn:
        w = PersonnelWriter(conn, run.id, sumber="siasn-export")
        w.upsert_units(UNITS)
        w.write([rec(n) for n in GOOD])
        raise RuntimeError("simulated failure in the middle of an import")
    run.fail("simulated")
    assert pegawai_rows(engine) == {}
    with engine.connect() as c:
        r = c.execute(select(SyncRun.__table__)).one()
    assert r.status == "failed" and r.error == "simulated"


def test_resume_carries_seen_over(engine: Engine) -> None:
    r1 = start_run(engine, "simpeg", "full")
    w1 = PersonnelWriter(engine, r1.id, sumber="simpeg", track_seen=True)
    w1.upsert_units(UNITS)
    w1.write([rec(GOOD[0])], checkpoint={"after": GOOD[0]})
    r1.fail("server down")
    with engine.connect() as c:
        assert json.loads(c.execute(select(SyncRun.checkpoint)).scalar_one()) == {"after": GOOD[0]}
    r2 = start_run(engine, "simpeg", "full", resumed_from_id=r1.id)
    w2 = PersonnelWriter(engine, r2.id, sumber="simpeg", track_seen=True)
    assert w2.carry_over_seen(r1.id) == 1
    w2.write([rec(GOOD[1])])
    assert w2.deactivate_missing() == 0  # GOOD[0] was seen before the interruption
    assert all(v[3] for v in pegawai_rows(engine).values())


def test_refuses_mass_deactivation_of_empty_source(engine: Engine) -> None:
    run = start_run(engine, "simpeg", "full")
    w = PersonnelWriter(engine, run.id, sumber="simpeg", track_seen=True)
    with pytest.raises(RuntimeError, match="penonaktifan massal"):
        w.deactivate_missing()


def test_overlong_value_is_quarantined_not_fatal(engine: Engine) -> None:
    """PostgreSQL refuses a value longer than its column: that record is quarantined with
    the column named, and the rest of the batch lands on both databases."""
    w = PersonnelWriter(engine, None, sumber="simpeg")
    w.upsert_units(UNITS)
    t = w.write(
        [rec(GOOD[0], nomor_hp="0812 3456 7890, 0813 1111 2222, 0811 0000 9999"), rec(GOOD[1])]
    )
    assert (t.inserted, t.quarantined) == (1, 1)
    with engine.connect() as c:
        alasan = c.execute(select(Karantina.alasan)).scalar_one()
    assert "nomor_hp terlalu panjang" in alasan


def test_reader_rejects_with_valid_nip_are_not_deactivated(engine: Engine) -> None:
    run = start_run(engine, "siasn-export", "file-full")
    w = PersonnelWriter(engine, run.id, sumber="siasn-export", track_seen=True)
    w.upsert_units(UNITS)
    w.write([rec(n) for n in GOOD])
    finish_run(run, w.totals)
    run2 = start_run(engine, "siasn-export", "file-full")
    w2 = PersonnelWriter(engine, run2.id, sumber="siasn-export", track_seen=True)
    w2.write([rec(GOOD[0]), rec(GOOD[1])], rejected=[Rejected("baris terpotong", GOOD[2], 4)])
    assert w2.deactivate_missing() == 0  # GOOD[2] is in the file, only its line was bad


def test_timestamps_keep_their_instant_on_both_databases(engine: Engine) -> None:
    wita = dt.timezone(dt.timedelta(hours=8))
    since = dt.datetime(2026, 11, 20, 10, 0, tzinfo=wita)
    run = start_run(engine, "simpeg", "incremental", since=since)
    with engine.connect() as c:
        stored = c.execute(select(SyncRun.since).where(SyncRun.id == run.id)).scalar_one()
    assert stored == since and stored.utcoffset() is not None


def test_identical_source_records_skip_validation(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record sent exactly as when its row was stored is unchanged without being validated
    again; a record spelled differently with the same content is unchanged too and its new
    spelling remembered, without touching ``updated_at``."""
    import diklat.pegawai.personnel as personnel

    w = PersonnelWriter(engine, None, sumber="simpeg")
    w.upsert_units(UNITS)
    assert w.write([rec(n) for n in GOOD]).inserted == 3
    calls: list[str] = []
    real = personnel.clean_record

    def counting(raw: Any, today: Any = None) -> dict[str, Any]:
        calls.append(str(raw.get("nip")))
        return real(raw, today)

    monkeypatch.setattr(personnel, "clean_record", counting)
    with engine.connect() as c:
        before = {r.nip: r.updated_at for r in c.execute(select(Pegawai.nip, Pegawai.updated_at))}
    w2 = PersonnelWriter(engine, None, sumber="simpeg")
    t = w2.write([rec(GOOD[0]), rec(GOOD[1], nama=" Siti Aminah "), rec(GOOD[2], golongan="IV/a")])
    assert (t.unchanged, t.updated) == (2, 1)
    assert calls == [GOOD[1], GOOD[2]]  # GOOD[0] identical: not validated again
    calls.clear()
    t = PersonnelWriter(engine, None, sumber="simpeg").write(
        [rec(GOOD[0]), rec(GOOD[1], nama=" Siti Aminah "), rec(GOOD[2], golongan="IV/a")]
    )
    assert (t.unchanged, t.updated, calls) == (3, 0, [])
    with engine.connect() as c:
        after = {r.nip: r.updated_at for r in c.execute(select(Pegawai.nip, Pegawai.updated_at))}
    assert after[GOOD[1]] == before[GOOD[1]] and after[GOOD[2]] != before[GOOD[2]]
