"""Export file and SIASN API agree: import the simulator's "Export Data ASN" file, then refresh
the same employees from the simulator's SIASN ``data-utama`` (through ``connectors.siasn`` and
the sync's refresh path) and find nothing changed on every field the two share. Also: a real
refresh (which adds fields the export lacks) followed by the same import writes nothing.
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from connectors.siasn import SiasnClient
from diklat.clients import siasn_client
from diklat.models import Karantina, Pegawai, UnitKerja
from diklat.pegawai import sync_service
from diklat.pegawai.personnel import FIELDS, clean_record
from diklat.pegawai.siasn_export import NOT_IN_EXPORT, import_export
from diklat.settings import reset_settings_cache
from simulator.export_csv import write_export
from simulator.server import SimulatorServer

N, SEED, BAD = 240, 11, 0.03
#: Fields both the export file and data-utama carry (the agreement is checked on each).
SHARED = {
    "nip",
    "nip_lama",
    "pns_orang_id",
    "nama",
    "gelar_depan",
    "gelar_belakang",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "jenis_pegawai",
    "unit_kode",
    "jabatan",
    "jenis_jabatan",
    "golongan",
    "pangkat",
    "pendidikan",
    "status",
    "tmt_cpns",
    "email",
    "nomor_hp",
}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(n_pegawai=N, seed=SEED, bad_share=BAD) as s:
        yield s


@pytest.fixture
def siasn(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SiasnClient]:
    for k, v in sim.env().items():
        monkeypatch.setenv(k, v)
    reset_settings_cache()
    client = siasn_client()
    yield client
    client.close()


class SharedFieldsOnly:
    """A SIASN client whose data-utama leaves out the fields the export file does not carry,
    so the comparison is exactly on the fields both paths have."""

    def __init__(self, inner: SiasnClient) -> None:
        self.inner = inner

    def data_utama(self, nip: str) -> dict[str, Any] | None:
        rec = self.inner.data_utama(nip)
        if rec is not None:
            for f in NOT_IN_EXPORT:
                rec.pop(f, None)
        return rec

    def ref_unor(self) -> list[dict[str, Any]]:
        return self.inner.ref_unor()

    def close(self) -> None:
        pass


def stored(engine: Engine) -> dict[str, dict[str, Any]]:
    p, u = Pegawai.__table__, UnitKerja.__table__
    cols = [p.c[f] for f in FIELDS if f != "unit_kode"]
    stmt = select(
        *cols, u.c.kode.label("unit_kode"), u.c.nama.label("unit_nama"), p.c.updated_at
    ).select_from(p.join(u, p.c.unit_id == u.c.id))
    with engine.connect() as c:
        return {r.nip: dict(r._mapping) for r in c.execute(stmt)}


def test_export_and_api_agree(engine: Engine, tmp_path: Path, siasn: SiasnClient) -> None:
    path = tmp_path / "export_data_asn.csv"
    write_export(
        path,
        n_pegawai=N,
        seed=SEED,
        bad_share=BAD,
        delimiter=";",
        bom=True,
        crlf=True,
        new_columns=True,
    )
    first = import_export(engine, path)
    assert first.status == "success" and first.inserted > N * 0.9
    assert first.quarantined > 0  # the simulator's bad records
    with engine.connect() as c:
        dup = {k.kunci for k in c.execute(select(Karantina.__table__)) if "ganda" in k.alasan}
    before = stored(engine)
    nips = sorted(n for n in before if n not in dup)
    assert len(nips) > N * 0.85

    # Field by field first, so a disagreement names the field.
    compared: set[str] = set()
    for nip in nips[:60]:
        api = siasn.data_utama(nip)
        assert api is not None, nip
        clean = clean_record({**api, "unit_kode": before[nip]["unit_kode"]})
        for k in FIELDS:
            if k in api and k not in NOT_IN_EXPORT:
                assert clean[k] == before[nip][k], (nip, k, clean[k], before[nip][k])
                compared.add(k)
        # SIASN names the unit by its GUID: the same unit by name, never our code
        assert api["unor_nama"] == before[nip]["unit_nama"]
        assert "unit_kode" not in api and api["unor_id"] != before[nip]["unit_kode"]
    assert compared >= SHARED - {"unit_kode"}, SHARED - compared

    # Then through the SIASN refresh write path: nothing changes.
    counts = sync_service.refresh_from_siasn(engine, nips, client=SharedFieldsOnly(siasn))  # type: ignore[arg-type]
    assert counts["status"] == "success"
    assert (counts["inserted"], counts["updated"], counts["quarantined"]) == (0, 0, 0)
    assert counts["unchanged"] == len(nips)
    assert stored(engine) == before  # nobody moved into a GUID-keyed duplicate unit
    with engine.connect() as c:
        assert not any(len(k) == 32 for k in c.execute(select(UnitKerja.kode)).scalars())


def test_real_refresh_then_same_import_writes_nothing(
    engine: Engine, tmp_path: Path, siasn: SiasnClient
) -> None:
    path = tmp_path / "export.csv"
    write_export(path, n_pegawai=N, seed=SEED, bad_share=BAD)
    import_export(engine, path)
    with engine.connect() as c:
        dup = {k.kunci for k in c.execute(select(Karantina.__table__)) if "ganda" in k.alasan}
    nips = sorted(n for n in stored(engine) if n not in dup)
    refreshed = sync_service.refresh_from_siasn(engine, nips, client=siasn)
    # data-utama brings tmt_pensiun (and eselon for structural posts), which the export lacks.
    assert refreshed["updated"] == len(nips)
    after_refresh = stored(engine)
    assert all(
        isinstance(r["tmt_pensiun"], dt.date) for r in after_refresh.values() if r["nip"] in nips
    )
    again = import_export(engine, path)
    assert (again.inserted, again.updated) == (0, 0)
    assert again.unchanged == len(after_refresh)
    assert stored(engine) == after_refresh  # tmt_pensiun and eselon kept, nothing rewritten


def table_content(engine: Engine) -> list[tuple[Any, ...]]:
    p, u = Pegawai.__table__, UnitKerja.__table__
    stmt = (
        select(p.c.nip, p.c.content_hash, p.c.aktif, u.c.kode, u.c.nama)
        .select_from(p.join(u, p.c.unit_id == u.c.id))
        .order_by(p.c.nip)
    )
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(stmt)]


def test_every_export_dialect_gives_the_same_table(sqlite_url: str, tmp_path: Path) -> None:
    from diklat.db import make_engine, migrate

    results = []
    dialects: list[dict[str, Any]] = [
        {"delimiter": ","},
        {"delimiter": ";", "bom": True, "crlf": True},
        {"delimiter": "|", "new_columns": True},
        {"delimiter": "\t", "bom": True},
    ]
    for i, opts in enumerate(dialects):
        url = sqlite_url.replace("test.db", f"d{i}.db")
        migrate(url)
        eng = make_engine(url)
        path = tmp_path / f"e{i}.csv"
        write_export(path, n_pegawai=150, seed=3, bad_share=0.05, **opts)
        res = import_export(eng, path)
        results.append(((res.inserted, res.quarantined), table_content(eng)))
        eng.dispose()
    assert all(r == results[0] for r in results[1:])
    assert results[0][0][0] > 120 and results[0][0][1] > 0


def test_bad_records_quarantined_with_line_and_reason(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    write_export(path, n_pegawai=200, seed=5, bad_share=0.1)
    res = import_export(engine, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    with engine.connect() as c:
        kar = list(c.execute(select(Karantina.__table__).order_by(Karantina.baris)))
    # One row per record and reason; a NIP present three times is one "NIP ganda" row, twice.
    assert sum(k.kali for k in kar) == res.quarantined > 5 and len(kar) <= res.quarantined
    reasons = " | ".join(k.alasan for k in kar)
    for expected in ("NIP tidak valid", "NIP ganda", "unit kerja kosong", "di masa depan"):
        assert expected in reasons
    for k in kar:
        assert k.baris is not None and k.kunci and k.kunci in lines[k.baris - 1]
        for private in ("nik", "npwp_nomor", "bpjs", "alamat", "nomor_hp", "email"):
            assert f'"{private}"' not in (k.payload or "")
    assert res.inserted + res.quarantined == 200
