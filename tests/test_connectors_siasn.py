"""SIASN and SIMPEG clients against the simulator: reads, writes (kursus/save, upload-dok-rw),
refusals, not found, token handling (expired tokens, pasted SSO token, wrong credentials)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.http import AuthError, HttpClient, RetryPolicy
from connectors.siasn import SiasnClient, SiasnRefused, TokenManager
from connectors.simpeg import SimpegClient
from simulator.server import SimulatorServer

FAST = RetryPolicy(max_retries=3, backoff_base=0.005, backoff_max=0.02, budget_seconds=10)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(n_pegawai=60, seed=21, bad_share=0.0) as s:
        yield s


def client(
    sim: SimulatorServer,
    *,
    secret: str = "simulator-secret",
    password: str | None = "simulator-password",
    sso_token: str | None = None,
) -> SiasnClient:
    http = HttpClient(sim.siasn_url, retry=FAST, name="siasn")
    tokens = TokenManager(
        http,
        token_url=http.url("/oauth2/token"),
        consumer_key="simulator",
        consumer_secret=secret,
        sso_token_url=f"{sim.siasn_url}/auth/realms/public-siasn/protocol/openid-connect/token",
        sso_client_id="simpeg-client",
        username="199001012015011001",
        password=password,
        sso_token=sso_token,
    )
    return SiasnClient(http, tokens, instansi_id="A5EB03E23C7CF6A0E040640A040252AD")


def first_nip(sim: SimulatorServer) -> str:
    return next(rec["nip"] for _, rec, _ in sim.dataset.iter_records())


def test_simpeg_reads(sim: SimulatorServer) -> None:
    c = SimpegClient(
        HttpClient(sim.simpeg_url, headers={"X-API-Key": sim.api_key}, retry=FAST), page_size=25
    )
    pages = list(c.iter_pegawai())
    assert [len(p.records) for p in pages] == [25, 25, 10]
    assert pages[0].next == pages[0].records[-1]["nip"] and pages[-1].next is None
    assert all("nik" not in r for p in pages for r in p.records)
    units = c.units()
    assert units and {"kode", "nama", "email"} <= set(units[0])
    nip = first_nip(sim)
    one = c.pegawai(nip)
    assert one is not None and one["nip"] == nip and "nik" not in one
    assert c.pegawai("199901012020011999") is None
    bad_key = SimpegClient(HttpClient(sim.simpeg_url, headers={"X-API-Key": "wrong"}, retry=FAST))
    with pytest.raises(AuthError) as ei:
        bad_key.units()
    assert ei.value.status == 401


def test_siasn_reads_and_not_found(sim: SimulatorServer) -> None:
    c = client(sim)
    nip = first_nip(sim)
    rec = c.data_utama(nip)
    assert rec is not None and rec["nip"] == nip and len(rec["pns_orang_id"]) == 32
    assert rec["jenis_kelamin"] in ("L", "P") and "nik" not in rec
    assert c.data_utama("199901012020011999") is None
    kursus = c.rw_kursus(nip)
    assert isinstance(kursus, list)
    assert all("namaKursus" in k for k in kursus)
    assert c.rw_kursus("199901012020011999") == []
    unor = c.ref_unor()
    assert unor and "NamaUnor" in unor[0]
    assert len(c.ref_unor(limit=2, offset=1)) == 2


def test_save_kursus_upload_and_refusals(sim: SimulatorServer) -> None:
    c = client(sim)
    nip = first_nip(sim)
    rec = c.data_utama(nip)
    assert rec is not None
    body = {
        "id": "",
        "pnsOrangId": rec["pns_orang_id"],
        "namaKursus": "Pelatihan Uji",
        "jenisDiklatId": "3",
        "jenisKursus": "",
        "jenisKursusSertipikat": "T",
        "institusiPenyelenggara": "BKPSDM",
        "jumlahJam": 24,
        "nomorSertipikat": "800.2.4.2/001/BKPSDM/2026",
        "tahunKursus": 2026,
        "tanggalKursus": "02-03-2026",
        "tanggalSelesaiKursus": "04-03-2026",
    }
    rid = c.save_kursus(body)
    assert rid
    saved = [k for k in c.rw_kursus(nip) if k["id"] == rid]
    assert saved and saved[0]["noSertipikat"] == body["nomorSertipikat"]
    up = c.upload_dok_rw(rid, b"%PDF-1.4 test", id_ref_dokumen="881")
    assert up["code"] == 1 and up["data"]["slug"] == "881"
    with pytest.raises(SiasnRefused, match="jumlahJam"):
        c.save_kursus({**body, "jumlahJam": 0})
    with pytest.raises(SiasnRefused, match="PDF"):
        c.upload_dok_rw(rid, b"not a pdf")


def test_tokens_expired_wrong_credentials_and_pasted_sso(sim: SimulatorServer) -> None:
    c = client(sim)
    nip = first_nip(sim)
    assert c.data_utama(nip) is not None
    before = c.tokens.fetches
    sim.expire_tokens()
    assert c.data_utama(nip) is not None  # 401 -> both fetched again -> retried
    assert c.tokens.fetches == before + 2
    with pytest.raises(AuthError, match="consumer key"):
        client(sim, secret="wrong").data_utama(nip)
    with pytest.raises(AuthError, match="SSO login refused"):
        client(sim, password="wrong").data_utama(nip)
    # A pasted SSO token: no password grant at all; a stale one ends in a clear AuthError.
    pasted = client(sim, password=None, sso_token="not-a-token")
    with pytest.raises(AuthError, match="token SSO yang ditempel") as ei:
        pasted.data_utama(nip)
    assert ei.value.status == 401
    sim.set_token_ttl(gateway=1.0)
    try:
        c2 = client(sim)
        assert c2.data_utama(nip) is not None
        import time

        time.sleep(1.1)  # the gateway token lapses; it is renewed before the next call
        assert c2.data_utama(nip) is not None
        assert c2.tokens.fetches >= 3
    finally:
        sim.set_token_ttl(gateway=3600)


def test_only_siasns_own_404_means_not_found(sim: SimulatorServer) -> None:
    """A wrong base path answers 404 too, but not with SIASN's envelope: that is a
    misconfiguration, never "NIP not in SIASN" (which would quarantine every NIP)."""
    from connectors.siasn import SiasnMisconfigured

    good = client(sim)
    assert good.data_utama("199901012020011999") is None  # SIASN's own not-found
    wrong = client(sim)
    wrong.base_path = "/apisiasn/2.0"
    with pytest.raises(SiasnMisconfigured, match="base path") as ei:
        wrong.data_utama(first_nip(sim))
    assert ei.value.status == 404
    with pytest.raises(SiasnMisconfigured):
        wrong.rw_kursus(first_nip(sim))


def test_upload_refusal_with_http_200_and_code_0(sim: SimulatorServer) -> None:
    c = client(sim)
    with pytest.raises(SiasnRefused, match="id_riwayat"):
        c.upload_dok_rw("0" * 32, b"%PDF-1.4 x")  # unknown riwayat: HTTP 200, code 0
