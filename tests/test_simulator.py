"""The bundled SIMPEG/SIASN simulator, tested as a real HTTP server on a free loopback port:
paging, the last-modified filter after changes, generated data (NIPs, bad records), SIASN tokens
and shapes, kursus save/upload, fault injection, the export file and determinism."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from diklat.rules.nip import parse
from simulator import refdata, shapes
from simulator.data import BAD_KINDS, Dataset, iter_employees
from simulator.export_csv import write_dataset_export, write_export
from simulator.server import SimulatorServer
from simulator.shapes import EXPORT_COLUMNS, NEW_COLUMNS

KEY = {"X-API-Key": "simulator-key"}
N = 300
SEED = 11
BAD = 0.04  # 12 bad records: three of each kind


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    """A read-only server shared by the tests that do not change data or faults."""
    with SimulatorServer(n_pegawai=N, seed=SEED, bad_share=BAD) as s:
        yield s


@pytest.fixture
def fresh() -> Iterator[SimulatorServer]:
    """A server of its own, for tests that change data, faults or tokens."""
    with SimulatorServer(n_pegawai=120, seed=5, bad_share=0.0) as s:
        yield s


def all_pages(
    s: requests.Session, base: str, limit: int = 1000, **params: str
) -> tuple[list[dict[str, Any]], int, list[int]]:
    out: list[dict[str, Any]] = []
    after: str | None = None
    sizes: list[int] = []
    total = -1
    while True:
        q: dict[str, Any] = {"limit": limit, **params}
        if after:
            q["after"] = after
        r = s.get(base + "/pegawai", params=q, headers=KEY, timeout=10)
        assert r.status_code == 200, r.text
        body = r.json()
        total = body["total"]
        out += body["data"]
        sizes.append(len(body["data"]))
        after = body["next"]
        if after is None:
            return out, total, sizes


def tokens(base: str) -> dict[str, str]:
    g = requests.post(
        base + "/oauth2/token",
        auth=("simulator", "simulator-secret"),
        data={"grant_type": "client_credentials"},
        timeout=5,
    )
    assert g.status_code == 200, g.text
    sso = requests.post(
        base + "/auth/realms/public-siasn/protocol/openid-connect/token",
        data={
            "client_id": "simpeg-client",
            "grant_type": "password",
            "username": "199001012015011001",
            "password": "simulator-password",
        },
        timeout=5,
    )
    assert sso.status_code == 200, sso.text
    return {
        "Authorization": f"Bearer {g.json()['access_token']}",
        "Auth": f"bearer {sso.json()['access_token']}",
    }


def empty(v: Any) -> Any:
    return None if v in (None, "", "null") else v


def dmy(iso: str | None) -> str | None:
    return None if not iso else f"{iso[8:10]}-{iso[5:7]}-{iso[0:4]}"


# --- SIMPEG ------------------------------------------------------------------------------------


def test_paging_covers_every_employee_exactly_once(sim: SimulatorServer) -> None:
    with requests.Session() as s:
        rows, total, sizes = all_pages(s, sim.simpeg_url, limit=37)
    nips = [r["nip"] for r in rows]
    assert total == N == len(rows)
    assert Counter(nips) == Counter(rec["nip"] for _i, rec, _e in sim.dataset.iter_records())
    assert nips == sorted(nips)  # keyset order: NIP ascending
    # full pages hold the limit, or one more when a duplicated NIP must not be split
    assert all(37 <= size <= 38 for size in sizes[:-1]) and 0 < sizes[-1] <= 38
    assert len({r["pns_orang_id"] for r in rows}) == N
    # the duplicates (same NIP, two people) both arrive
    dup = [nip for nip, c in Counter(nips).items() if c > 1]
    assert len(dup) == 3


def test_simpeg_api_key_and_single_employee(sim: SimulatorServer) -> None:
    base = sim.simpeg_url
    r = requests.get(base + "/pegawai", timeout=5)
    assert r.status_code == 401 and "error" in r.json()
    assert (
        requests.get(base + "/pegawai", headers={"X-API-Key": "salah"}, timeout=5).status_code
        == 401
    )
    first = requests.get(base + "/pegawai", params={"limit": 1}, headers=KEY, timeout=5).json()
    nip = first["data"][0]["nip"]
    one = requests.get(f"{base}/pegawai/{nip}", headers=KEY, timeout=5)
    assert one.status_code == 200 and one.json()["data"] == first["data"][0]
    missing = requests.get(f"{base}/pegawai/199901012020011999", headers=KEY, timeout=5)
    assert missing.status_code == 404
    assert missing.json() == {"error": "Pegawai tidak ditemukan"}
    bad = requests.get(
        base + "/pegawai", params={"updated_since": "kemarin"}, headers=KEY, timeout=5
    )
    assert bad.status_code == 400
    units = requests.get(base + "/unit", headers=KEY, timeout=5).json()["data"]
    assert len(units) >= 40
    assert {"kode", "nama", "singkatan", "induk_kode", "email", "alamat"} <= set(units[0])
    by_kode = {u["kode"]: u for u in units}
    assert by_kode["64021000"]["email"] == "diknas@kukarkab.go.id"
    assert by_kode["64020500"]["singkatan"] == "BKPSDM"
    assert all(u["induk_kode"] in by_kode for u in units if u["induk_kode"])


def test_good_records_have_valid_nips_consistent_with_the_record(sim: SimulatorServer) -> None:
    unit_codes = {u.kode for u in refdata.UNITS}
    good = [(i, rec) for i, rec, e in sim.dataset.iter_records() if e.bad is None]
    assert len(good) == N - 12
    nips = [rec["nip"] for _i, rec in good]
    assert len(set(nips)) == len(nips)
    kinds: Counter[str] = Counter()
    for _i, rec in good:
        info = parse(rec["nip"])
        assert info.valid, (rec["nip"], info.reason)
        assert info.tanggal_lahir is not None
        assert info.tanggal_lahir.isoformat() == rec["tanggal_lahir"]
        assert info.jenis_kelamin == rec["jenis_kelamin"]
        assert info.jenis == rec["jenis_pegawai"]
        if rec["jenis_pegawai"] == "PNS":
            assert rec["nip"][8:14] == rec["tmt_cpns"][0:4] + rec["tmt_cpns"][5:7]
            assert rec["golongan"] in refdata.PANGKAT
            assert rec["pangkat"] == refdata.PANGKAT[rec["golongan"]]
        else:
            assert rec["golongan"] in refdata.PPPK_ROMAN and rec["pangkat"] is None
        assert rec["unit_kode"] in unit_codes
        assert rec["unit_nama"] == refdata.UNIT_BY_KODE[rec["unit_kode"]].nama
        assert re.fullmatch(r"\d{16}", rec["nik"])
        assert re.fullmatch(r"[0-9A-F]{32}", rec["pns_orang_id"])
        assert rec["tmt_pensiun"] > rec["tmt_cpns"]
        assert dt.datetime.fromisoformat(rec["updated_at"]).utcoffset() == dt.timedelta(hours=8)
        kinds[rec["jenis_pegawai"]] += 1
        kinds[rec["jenis_jabatan"]] += 1
        kinds["depan"] += rec["gelar_depan"] is not None
        kinds["belakang"] += rec["gelar_belakang"] is not None
    assert kinds["PPPK"] > 10 and kinds["PNS"] > kinds["PPPK"]
    assert kinds["Fungsional Tertentu"] > 50 and kinds["Pelaksana"] > 50
    assert kinds["belakang"] > 100 and kinds["depan"] > 5


def test_bad_records_have_the_declared_kinds(sim: SimulatorServer) -> None:
    ds = sim.dataset
    assert Counter(ds.bad.values()) == dict.fromkeys(BAD_KINDS, 3)
    good_nips = Counter(rec["nip"] for i, rec, _e in ds.iter_records() if i not in ds.bad)
    today = dt.date.today()
    for i, kind in ds.bad.items():
        rec = ds.record(i)
        if kind == "invalid_nip":
            assert not parse(rec["nip"]).valid
            assert ds.bad_detail[i] in ("length", "date", "sex_digit")
        elif kind == "missing_unit":
            assert rec["unit_kode"] == "" and parse(rec["nip"]).valid
        elif kind == "duplicate_nip":
            assert good_nips[rec["nip"]] == 1  # the original is a good record, listed first
            original = ds.index_of(rec["nip"])
            assert original is not None and original < i and original not in ds.bad
        else:
            assert dt.date.fromisoformat(rec["tanggal_lahir"]) > today
            assert parse(rec["nip"]).valid
    info = requests.get(sim.url + "/_control/dataset", timeout=5).json()
    assert [(b["index"], b["kind"]) for b in info["bad"]] == sorted(ds.bad.items())


# --- changes between syncs -----------------------------------------------------------------------


def test_updated_since_after_mutate_returns_exactly_the_changed(fresh: SimulatorServer) -> None:
    with requests.Session() as s:
        before, _t, _s = all_pages(s, fresh.simpeg_url)
        by_nip = {r["nip"]: r for r in before}
        since = max(r["updated_at"] for r in before)
        nothing, total, _ = all_pages(s, fresh.simpeg_url, updated_since=since)
        assert nothing == [] and total == 0
        r = s.post(fresh.url + "/_control/mutate", json={"share": 0.1, "seed": 3}, timeout=5)
        mutated = r.json()["mutated"]
        assert len(mutated) == 12
        changed, total, _ = all_pages(s, fresh.simpeg_url, updated_since=since)
    assert total == 12
    assert sorted(c["nip"] for c in changed) == sorted(m["nip"] for m in mutated)
    kinds = {m["nip"]: m["kind"] for m in mutated}
    for c in changed:
        old = by_nip[c["nip"]]
        assert c["updated_at"] > since
        if kinds[c["nip"]] == "transfer":
            assert c["unit_kode"] != old["unit_kode"] and c["unit_nama"] != old["unit_nama"]
        elif kinds[c["nip"]] == "promotion":
            assert refdata.GOL_INDEX[c["golongan"]] == refdata.GOL_INDEX[old["golongan"]] + 1
            assert c["pangkat"] == refdata.PANGKAT[c["golongan"]]
        else:
            assert c["status"] == "Pensiun" and old["status"] != "Pensiun"
    # naive time stamps are WITA; a second mutate is later than the first one
    since2 = max(c["updated_at"] for c in changed)
    more = fresh.mutate(0.02, seed=4)
    rows = requests.get(
        fresh.simpeg_url + "/pegawai", headers=KEY, timeout=5, params={"updated_since": since2[:19]}
    ).json()
    assert sorted(r["nip"] for r in rows["data"]) == sorted(m["nip"] for m in more)


def test_remove_takes_employees_out_of_simpeg(fresh: SimulatorServer) -> None:
    gone = fresh.remove(0.05, seed=1)
    assert len(gone) == 6
    with requests.Session() as s:
        rows, total, _ = all_pages(s, fresh.simpeg_url)
        assert total == 114 and not {g["nip"] for g in gone} & {r["nip"] for r in rows}
        assert (
            s.get(
                f"{fresh.simpeg_url}/pegawai/{gone[0]['nip']}", headers=KEY, timeout=5
            ).status_code
            == 404
        )
        # SIASN still knows the person (BKN keeps everyone)
        r = s.get(
            f"{fresh.url}/apisiasn/1.0/pns/data-utama/{gone[0]['nip']}",
            headers=tokens(fresh.url),
            timeout=5,
        )
        assert r.status_code == 200
    # a single field change through the control endpoint
    nip = rows[0]["nip"]
    r = requests.post(
        fresh.url + "/_control/update",
        timeout=5,
        json={"nip": nip, "changes": {"jabatan": "Penelaah Teknis Kebijakan"}},
    )
    assert r.status_code == 200
    one = requests.get(f"{fresh.simpeg_url}/pegawai/{nip}", headers=KEY, timeout=5).json()
    assert one["data"]["jabatan"] == "Penelaah Teknis Kebijakan"
    assert one["data"]["updated_at"] == r.json()["updated_at"]


# --- SIASN ----------------------------------------------------------------------------------------


def test_siasn_requires_both_tokens_and_they_expire(fresh: SimulatorServer) -> None:
    url = fresh.url + "/apisiasn/1.0/pns/data-utama/" + fresh.dataset.record(0)["nip"]
    r = requests.get(url, timeout=5)
    assert r.status_code == 401 and r.json() == {"code": 0, "message": "invalid or expired jwt"}
    h = tokens(fresh.url)
    r = requests.get(url, headers={"Authorization": h["Authorization"]}, timeout=5)
    assert r.status_code == 401 and r.json() == {"code": 0, "data": "Token SSO mismatch"}
    assert requests.get(url, headers=h, timeout=5).status_code == 200
    wrong = requests.post(
        fresh.url + "/oauth2/token",
        auth=("simulator", "salah"),
        data={"grant_type": "client_credentials"},
        timeout=5,
    )
    assert wrong.status_code == 401
    wrong = requests.post(
        fresh.url + "/auth/realms/public-siasn/protocol/openid-connect/token",
        data={"client_id": "x", "grant_type": "password", "username": "1", "password": "salah"},
        timeout=5,
    )
    assert wrong.status_code == 401
    # "force expire all tokens now"
    assert requests.post(fresh.url + "/_control/expire-tokens", timeout=5).json()["expired"] >= 2
    assert requests.get(url, headers=h, timeout=5).status_code == 401
    # short lifetimes, as tests of token refresh use them
    fresh.set_token_ttl(gateway=0.4, sso=5)
    h = tokens(fresh.url)
    assert requests.get(url, headers=h, timeout=5).status_code == 200
    time.sleep(0.5)
    r = requests.get(url, headers=h, timeout=5)
    assert r.status_code == 401 and r.json()["message"] == "invalid or expired jwt"
    g = requests.post(
        fresh.url + "/oauth2/token",
        auth=("simulator", "simulator-secret"),
        data={"grant_type": "client_credentials"},
        timeout=5,
    ).json()
    assert g["expires_in"] == 0.4
    h["Authorization"] = f"Bearer {g['access_token']}"
    assert requests.get(url, headers=h, timeout=5).status_code == 200


def test_data_utama_agrees_with_simpeg(sim: SimulatorServer) -> None:
    h = tokens(sim.url)
    base = sim.url + "/apisiasn/1.0"
    units = {
        u["Id"]: u
        for u in requests.get(base + "/referensi/ref-unor", headers=h, timeout=5).json()["data"]
    }
    # GUIDs, never the SIMPEG codes; one unit SIASN lists that SIMPEG no longer has
    assert set(units) == {shapes.unor_id(u.kode) for u in refdata.UNITS} | {
        shapes.ORPHAN_UNOR["Id"]
    }
    assert all(re.fullmatch(r"[0-9A-F]{32}", i) for i in units)
    page = requests.get(
        base + "/referensi/ref-unor", params={"limit": 5, "offset": 5}, headers=h, timeout=5
    ).json()
    assert page["code"] == 1 and len(page["data"]) == 5
    ds = sim.dataset
    with requests.Session() as s:
        for i in range(0, N, 3):
            if i in ds.bad:
                continue
            rec = ds.record(i)
            r = s.get(f"{base}/pns/data-utama/{rec['nip']}", headers=h, timeout=5)
            assert r.status_code == 200
            body = r.json()
            assert body["code"] == 1
            d = body["data"]
            assert d["id"] == rec["pns_orang_id"] and d["nipBaru"] == rec["nip"]
            assert d["nama"] == rec["nama"]
            assert empty(d["gelarDepan"]) == rec["gelar_depan"]
            assert empty(d["gelarBelakang"]) == rec["gelar_belakang"]
            assert empty(d["nipLama"]) == rec["nip_lama"]
            assert d["tglLahir"] == dmy(rec["tanggal_lahir"])
            assert d["jenisKelamin"] == {"L": "M", "P": "F"}[rec["jenis_kelamin"]]
            assert d["unorId"] == shapes.unor_id(rec["unit_kode"])
            assert d["unorNama"] == rec["unit_nama"]
            assert d["unorIndukId"] == units[d["unorId"]]["IndukUnorId"]
            assert d["validNik"] is True and "isValidNik" not in d
            assert d["jenisKawinId"] in ("1", "2", "3", "4")
            assert d["jabatanNama"] == rec["jabatan"]
            assert (
                d["jenisJabatanId"]
                == {"Struktural": "1", "Fungsional Tertentu": "2", "Pelaksana": "4"}[
                    rec["jenis_jabatan"]
                ]
            )
            assert empty(d["eselon"]) == rec["eselon"]
            assert d["golRuangAkhir"] == rec["golongan"]
            assert empty(d["pangkatAkhir"]) == rec["pangkat"]
            if rec["jenis_pegawai"] == "PNS":
                assert d["golRuangAkhirId"] == refdata.GOL_ID[rec["golongan"]]
            assert d["pendidikanTerakhirNama"] == rec["pendidikan"]
            assert d["tkPendidikanTerakhir"] == rec["pendidikan_tingkat"]
            assert d["kedudukanPnsNama"] == rec["status"]
            assert d["kedudukanPnsId"] == refdata.KEDUDUKAN[rec["status"]]
            assert d["jenisPegawaiNama"] == rec["jenis_pegawai"]
            assert d["tmtCpns"] == dmy(rec["tmt_cpns"])
            assert d["tmtPensiun"] == dmy(rec["tmt_pensiun"])
            assert empty(d["email"]) == rec["email"] and empty(d["noHp"]) == rec["nomor_hp"]
            assert re.fullmatch(r"\d{4}-\d\d-\d\d 00:00:00", d["tanggal_taspen"])
        r = s.get(f"{base}/pns/data-utama/199001012015011999", headers=h, timeout=5)
        assert r.status_code == 404 and r.json() == {"code": 0, "data": "Data tidak ditemukan"}


def test_kursus_save_then_rw_kursus_and_upload(fresh: SimulatorServer) -> None:
    h = tokens(fresh.url)
    base = fresh.url + "/apisiasn/1.0"
    rec = fresh.dataset.record(7)
    before = requests.get(f"{base}/pns/rw-kursus/{rec['nip']}", headers=h, timeout=5).json()
    assert before["code"] == 1 and len(before["data"]) <= 4
    for it in before["data"]:
        assert it["nipBaru"] == rec["nip"] and it["idPns"] == rec["pns_orang_id"]
        assert "nipLama" in it and re.fullmatch(r"[0-9A-F]{32}", it["jenisKursusId"])
        assert re.fullmatch(r"\d\d-\d\d-\d{4}", it["tanggalKursus"])
        assert isinstance(it["jumlahJam"], int) and it["noSertipikat"]
    body = {
        "id": "",
        "instansiId": refdata.INSTANSI_ID,
        "pnsOrangId": rec["pns_orang_id"],
        "namaKursus": "Pelatihan Penyusunan Naskah Dinas",
        "jenisDiklatId": "3",
        "jenisKursus": "",
        "jenisKursusSertipikat": "T",
        "institusiPenyelenggara": "BKPSDM Kabupaten Kutai Kartanegara",
        "jumlahJam": 24,
        "nomorSertipikat": "800.2.4.2/034/BKPSDM/2026",
        "tahunKursus": 2026,
        "tanggalKursus": "02-11-2026",
        "tanggalSelesaiKursus": "04-11-2026",
        "lokasiId": None,
    }
    r = requests.post(f"{base}/kursus/save", json=body, headers=h, timeout=5).json()
    assert r["success"] is True and r["message"] == "success"
    new_id = r["mapData"]["rwKursusId"]
    after = requests.get(f"{base}/pns/rw-kursus/{rec['nip']}", headers=h, timeout=5).json()
    saved = [it for it in after["data"] if it["id"] == new_id]
    assert len(after["data"]) == len(before["data"]) + 1 and len(saved) == 1
    assert saved[0]["noSertipikat"] == body["nomorSertipikat"]
    assert saved[0]["jumlahJam"] == 24 and saved[0]["tanggalKursus"] == "02-11-2026"
    # the certificate
    files = {"file": ("sertifikat.pdf", b"%PDF-1.4\n%simulated\n", "application/pdf")}
    up = requests.post(
        f"{base}/upload-dok-rw",
        headers=h,
        timeout=5,
        files=files,
        data={"id_riwayat": new_id, "id_ref_dokumen": "881"},
    ).json()
    assert up["code"] == 1 and up["data"]["dok_uri"]
    after = requests.get(f"{base}/pns/rw-kursus/{rec['nip']}", headers=h, timeout=5).json()
    saved = [it for it in after["data"] if it["id"] == new_id]
    assert saved[0]["path"]["881"]["dok_id"] == up["data"]["dok_id"]
    # refusals come with HTTP 200 and success false
    wrong = dict(body, noSertipikat=body["nomorSertipikat"])
    del wrong["nomorSertipikat"]
    for bad in (
        wrong,
        dict(body, jumlahJam="24"),
        dict(body, pnsOrangId="0" * 32),
        dict(body, jenisDiklatId=3),
        dict(body, tanggalKursus="2026-11-02"),
    ):
        r2 = requests.post(f"{base}/kursus/save", json=bad, headers=h, timeout=5)
        assert r2.status_code == 200 and r2.json()["success"] is False and r2.json()["message"]
    not_pdf = requests.post(
        f"{base}/upload-dok-rw",
        headers=h,
        timeout=5,
        files={"file": ("x.txt", b"hello", "text/plain")},
        data={"id_riwayat": new_id, "id_ref_dokumen": "881"},
    ).json()
    assert not_pdf["code"] == 0 and not_pdf["message"]  # HTTP 200, code 0: a refusal
    assert fresh.stats()["kursus_saves"] == 1
    # BKN's template sends ``path`` as a list: saved, and a later upload still works
    listed = dict(body, nomorSertipikat="800.2.4.2/035/BKPSDM/2026", path=[])
    r4 = requests.post(f"{base}/kursus/save", json=listed, headers=h, timeout=5).json()
    up2 = requests.post(
        f"{base}/upload-dok-rw",
        headers=h,
        timeout=5,
        files=files,
        data={"id_riwayat": r4["mapData"]["rwKursusId"], "id_ref_dokumen": "881"},
    )
    assert up2.status_code == 200 and up2.json()["code"] == 1
    # rw-diklat: leadership training only for structural posts
    ds = fresh.dataset
    for i in range(ds.n):
        r3 = ds.record(i)
        d = requests.get(f"{base}/pns/rw-diklat/{r3['nip']}", headers=h, timeout=5).json()
        assert d["code"] == 1 and (len(d["data"]) == 1) == (r3["eselon"] is not None)
        if r3["eselon"]:
            assert re.fullmatch(r"\d\d-\d\d-\d{4}", d["data"][0]["tanggalSelesai"])
            assert "nipLama" in d["data"][0]
            break


# --- faults -------------------------------------------------------------------------------------


def outcome(fn: Any) -> str:
    try:
        r = fn()
    except requests.exceptions.ReadTimeout:
        return "timeout"
    except requests.exceptions.ChunkedEncodingError:
        return "cut"
    except requests.exceptions.ConnectionError:
        return "connection"
    try:
        r.json()
    except ValueError:
        return f"{r.status_code}-badjson" if r.status_code == 200 else str(r.status_code)
    if r.status_code == 429:
        assert r.headers["Retry-After"] == "1"
    return str(r.status_code)


def test_each_fault_class_reaches_a_requests_client(fresh: SimulatorServer) -> None:
    url = fresh.simpeg_url + "/pegawai"

    def call() -> requests.Response:
        return requests.get(url, params={"limit": 20}, headers=KEY, timeout=(2, 0.4))

    expected = {
        "fail_share": {"500", "502", "503"},
        "rate_limit_share": {"429"},
        "slow_share": {"timeout"},
        "drop_share": {"connection"},
        "cut_share": {"cut"},
        "truncate_share": {"200-badjson"},
    }
    for setting, classes in expected.items():
        fresh.set_faults(reset=True, **{setting: 1.0, "slow_seconds": 0.8})
        seen = {outcome(call) for _ in range(8 if setting == "fail_share" else 2)}
        assert seen <= classes and seen, (setting, seen)
        if setting == "fail_share":
            assert len(seen) >= 2
    # control and token endpoints are never faulted unless asked
    fresh.set_faults(reset=True, fail_share=1.0)
    assert requests.get(fresh.url + "/_control/stats", timeout=5).status_code == 200
    assert (
        requests.post(
            fresh.url + "/oauth2/token",
            auth=("simulator", "simulator-secret"),
            data={"grant_type": "client_credentials"},
            timeout=5,
        ).status_code
        == 200
    )
    # "server down after N more requests"
    fresh.set_faults(reset=True, fail_after=2)
    assert [outcome(call) for _ in range(4)] == ["200", "200", "503", "503"]
    fresh.clear_faults()
    assert outcome(call) == "200"
    stats = fresh.stats()
    assert stats["faults"]["drop"] == 2 and stats["faults"]["truncate"] == 2
    assert stats["by_status"]["429"] == 2 and stats["faults"]["down"] == 2
    r = requests.post(
        fresh.url + "/_control/faults", json={"fail_share": 0.7, "drop_share": 0.7}, timeout=5
    )
    assert r.status_code == 400


def test_token_expiry_fault_and_mixed_faults_are_deterministic(fresh: SimulatorServer) -> None:
    h = tokens(fresh.url)
    url = fresh.url + "/apisiasn/1.0/pns/data-utama/" + fresh.dataset.record(1)["nip"]
    fresh.set_faults(reset=True, expire_share=1.0)
    r = requests.get(url, headers=h, timeout=5)
    assert r.status_code == 401
    fresh.clear_faults()
    assert requests.get(url, headers=h, timeout=5).status_code == 401  # really expired
    assert requests.get(url, headers=tokens(fresh.url), timeout=5).status_code == 200

    def sequence(server: SimulatorServer) -> list[str]:
        server.set_faults(
            reset=True, seed=42, fail_share=0.2, rate_limit_share=0.1, truncate_share=0.1
        )
        with requests.Session() as s:
            return [
                outcome(lambda: s.get(server.simpeg_url + "/unit", headers=KEY, timeout=5))
                for _ in range(40)
            ]

    first = sequence(fresh)
    with SimulatorServer(n_pegawai=10, seed=99) as other:
        second = sequence(other)
    assert first == second
    kinds = Counter(first)
    assert kinds["200"] > 10 and kinds["429"] >= 1 and kinds["200-badjson"] >= 1
    assert sum(kinds[s] for s in ("500", "502", "503")) >= 3


def test_restart_on_the_same_port_keeps_the_data(fresh: SimulatorServer) -> None:
    port = fresh.port
    fresh.mutate(0.05, seed=9)
    version = fresh.dataset.version
    fresh.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(fresh.simpeg_url + "/unit", headers=KEY, timeout=2)
    fresh.start()
    assert fresh.port == port and fresh.dataset.version == version
    assert requests.get(fresh.simpeg_url + "/unit", headers=KEY, timeout=5).status_code == 200
    env = fresh.env()
    assert env["DIKLAT_SIMPEG__URL"] == f"http://127.0.0.1:{port}/simpeg/api/v1"


# --- export file and determinism ------------------------------------------------------------------


def read_export(path: Path, delimiter: str) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_export_csv_header_and_quirks(tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    summary = write_export(
        out,
        n_pegawai=N,
        seed=SEED,
        bad_share=BAD,
        delimiter=";",
        bom=True,
        crlf=True,
        new_columns=True,
    )
    raw = out.read_bytes()
    assert summary["rows"] == N
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == N + 1
    header = raw[3:].split(b"\r\n", 1)[0].decode().split(";")
    assert header == list(EXPORT_COLUMNS) + list(NEW_COLUMNS) and len(EXPORT_COLUMNS) == 65
    rows = read_export(out, ";")
    ds = Dataset(seed=SEED, n=N, bad_share=BAD)
    nulls = 0
    for (i, rec, _e), row in zip(ds.iter_records(), rows, strict=True):
        assert row["nip_baru"] == (
            "'" + rec["nip"] if rec["nip"].isdigit() and len(rec["nip"]) >= 8 else rec["nip"]
        )
        assert row["nik"] == "'" + rec["nik"]
        assert row["pns_id"] == rec["pns_orang_id"]
        assert row["tanggal_lahir"] == dmy(rec["tanggal_lahir"])
        assert row["jenis_kelamin"] == {"L": "M", "P": "F"}[rec["jenis_kelamin"]]
        assert row["unor_id"].lstrip("'") == (rec["unit_kode"] or "null") or (
            rec["unit_kode"] == "" and row["unor_id"] == ""
        )
        assert row["unor_nama"] in (rec["unit_nama"], "null", "")
        assert row["gol_akhir_nama"] == rec["golongan"]
        assert row["kedudukan_hukum_nama"] == rec["status"]
        assert row["tmt_cpns"] == dmy(rec["tmt_cpns"])
        assert row["jabatan_nama"] == rec["jabatan"]
        assert row["pendidikan_nama"] == rec["pendidikan"]
        if rec["nomor_hp"]:
            assert row["nomor_hp"] == "'" + rec["nomor_hp"]
        nulls += list(row.values()).count("null")
        if i in ds.bad and ds.bad[i] == "missing_unit":
            assert row["unor_id"] in ("", "null")
    assert nulls > N  # the text "null" is common
    # comma delimiter: an address with commas is quoted
    out2 = tmp_path / "comma.csv"
    write_export(out2, n_pegawai=20, seed=SEED)
    line = out2.read_text(encoding="utf-8").splitlines()[1]
    assert '"Jl. ' in line and "\r" not in out2.read_text(encoding="utf-8")
    assert [r["nama"] for r in read_export(out2, ",")] == [
        rec["nama"] for rec, _e in iter_employees(SEED, 20)
    ]


def test_export_agrees_with_data_utama(tmp_path: Path, sim: SimulatorServer) -> None:
    """What an import of the export file and a SIASN refresh of the same people both see."""
    out = tmp_path / "e.csv"
    write_dataset_export(out, sim.dataset, delimiter="\t")
    h = tokens(sim.url)
    with requests.Session() as s:
        for row in read_export(out, "\t")[::5]:
            nip = row["nip_baru"].lstrip("'")
            if not parse(nip).valid or row["unor_id"] in ("", "null"):
                continue
            d = s.get(f"{sim.url}/apisiasn/1.0/pns/data-utama/{nip}", headers=h, timeout=5).json()[
                "data"
            ]
            if d["id"] != row["pns_id"]:  # a duplicate NIP: SIASN holds the original
                continue
            pairs = {
                "nama": "nama",
                "gelar_depan": "gelarDepan",
                "gelar_belakang": "gelarBelakang",
                "tanggal_lahir": "tglLahir",
                "jenis_kelamin": "jenisKelamin",
                "unor_nama": "unorNama",
                "jenis_kawin_id": "jenisKawinId",
                "jenis_kawin_nama": "statusPerkawinan",
                "jabatan_nama": "jabatanNama",
                "gol_akhir_nama": "golRuangAkhir",
                "pendidikan_nama": "pendidikanTerakhirNama",
                "tingkat_pendidikan_nama": "tkPendidikanTerakhir",
                "kedudukan_hukum_nama": "kedudukanPnsNama",
                "tmt_cpns": "tmtCpns",
                "email": "email",
                "nomor_hp": "noHp",
                "nip_lama": "nipLama",
                "jenis_pegawai_nama": "jenisPegawaiNama",
                "tempat_lahir_nama": "tempatLahir",
            }
            for col, key in pairs.items():
                assert empty(row[col].lstrip("'")) == empty(d[key]), (col, row[col], d[key])
            assert shapes.unor_id(row["unor_id"].lstrip("'")) == d["unorId"]


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{x}.csv" for x in "abc")
    write_export(a, n_pegawai=200, seed=3, bad_share=0.05)
    write_export(b, n_pegawai=200, seed=3, bad_share=0.05)
    write_export(c, n_pegawai=200, seed=4, bad_share=0.05)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    d1, d2 = Dataset(3, 200, 0.05), Dataset(3, 200, 0.05)
    assert d1.page(1000) == d2.page(1000) and d1.bad == d2.bad
    # the good records do not depend on the share of bad ones
    clean = Dataset(3, 200, 0.0)
    same = [i for i in range(200) if i not in d1.bad and d1.record(i) == clean.record(i)]
    assert len(same) == 200 - len(d1.bad)


def test_cli_export_csv(tmp_path: Path) -> None:
    from cli.main import app

    out = tmp_path / "pipe.csv"
    res = CliRunner().invoke(
        app,
        [
            "simulator",
            "export-csv",
            "--pegawai",
            "30",
            "--seed",
            "2",
            "--out",
            str(out),
            "--delimiter",
            "pipe",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("pns_id|nip_baru|")
    assert len(read_export(out, "|")) == 30
    res = CliRunner().invoke(
        app, ["simulator", "export-csv", "--pegawai", "3", "--out", str(out), "--delimiter", "x"]
    )
    assert res.exit_code != 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cli_serves_both_systems(tmp_path: Path) -> None:
    port = _free_port()
    exe = Path(sys.executable).parent / "diklat"
    env = dict(os.environ, DIKLAT_VAR_DIR=str(tmp_path / "var"))
    proc = subprocess.Popen(
        [
            str(exe),
            "simulator",
            "--port",
            str(port),
            "--pegawai",
            "50",
            "--seed",
            "4",
            "--bad-share",
            "0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                r = requests.get(base + "/simpeg/api/v1/pegawai", headers=KEY, timeout=2)
                break
            except requests.exceptions.ConnectionError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert r.json()["total"] == 50
        assert len(requests.get(base + "/_control/dataset", timeout=5).json()["bad"]) == 5
        nip = r.json()["data"][0]["nip"]
        h = tokens(base)
        d = requests.get(f"{base}/apisiasn/1.0/pns/data-utama/{nip}", headers=h, timeout=5)
        assert d.status_code == 200 and d.json()["data"]["nipBaru"] == nip
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode is not None


def test_fifty_thousand_is_fast_enough() -> None:
    """Generation and paging stay cheap (bounds are loose: the machine is shared)."""
    t0 = time.perf_counter()
    ds = Dataset(seed=1, n=50_000)
    gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    after, n = None, 0
    while True:
        page = ds.page(1000, after)
        n += page.count(b'"nip":')
        tail = page.rsplit(b'"next":', 1)[1]
        after = None if tail.startswith(b"null") else tail.split(b'"')[1].decode()
        if after is None:
            break
    paging = time.perf_counter() - t0
    assert n == 50_000
    assert gen < 8 and paging < 1.5, (gen, paging)


def test_simulator_process_is_controlled_over_http() -> None:
    """The child-process variant (for benchmarks) has the same control methods."""
    from simulator.server import SimulatorProcess

    with SimulatorProcess(n_pegawai=40, seed=2, faults={"fail_share": 1.0}) as proc:
        r = requests.get(proc.simpeg_url + "/unit", headers=KEY, timeout=5)
        assert r.status_code in (500, 502, 503)
        proc.clear_faults()
        since = proc.dataset_info()["max_updated_at"]
        changed = proc.mutate(0.1, seed=1)
        rows = requests.get(
            proc.simpeg_url + "/pegawai", headers=KEY, timeout=5, params={"updated_since": since}
        ).json()
        assert sorted(x["nip"] for x in rows["data"]) == sorted(m["nip"] for m in changed)
        assert proc.stats()["faults"]["fail"] == 1
        rss = proc.rss_mb()
        assert rss is not None and rss < 300
    assert not proc.running


def test_scripted_people_read_each_outbox_message_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scripted officials poll the outbox many times a second; each message (with its
    PDFs) is parsed when it appears or changes, not on every pass."""
    from email.message import EmailMessage

    from sqlalchemy import create_engine

    import simulator.petugas as petugas_mod

    def eml(name: str, to: str, body: str) -> None:
        m = EmailMessage()
        m["To"], m["From"], m["Subject"] = to, "diklat@bkpsdm.go.id", "Kode"
        m.set_content(body)
        m.add_attachment(b"%PDF-1.7 " * 2000, maintype="application", subtype="pdf")
        (tmp_path / name).write_bytes(bytes(m))

    eml("1.eml", "kaban@bkpsdm.go.id", "Yth. Kepala Badan,\nKode: 111111\n")
    eml("2.eml", "kabid@bkpsdm.go.id", "Kode: 222222\n")
    parsed: list[int] = []
    real = petugas_mod.email.message_from_bytes

    def counting(data: bytes, **kw: Any) -> Any:
        parsed.append(len(data))
        return real(data, **kw)

    monkeypatch.setattr(petugas_mod.email, "message_from_bytes", counting)
    p = petugas_mod.Petugas(create_engine("sqlite://"), tmp_path)
    assert p.kode_untuk("kaban@bkpsdm.go.id") == "111111"
    assert p.kode_untuk("kabid@bkpsdm.go.id") == "222222"
    assert len(parsed) == 2  # two passes, each message parsed once
    time.sleep(0.01)
    eml("1.eml", "kaban@bkpsdm.go.id", "Kode: 333333\n")  # written again
    assert p.kode_untuk("kaban@bkpsdm.go.id") == "333333"
    assert len(parsed) == 3
