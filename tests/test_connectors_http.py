"""Unit tests of the shared HTTP machinery: backoff, Retry-After, retries and typed errors
against a small scripted HTTP server on loopback, and the payload parsers of both clients."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from connectors.http import (
    AuthError,
    BadPayload,
    HttpClient,
    NotFound,
    RateLimited,
    RetryPolicy,
    ServerError,
    TransportError,
    parse_retry_after,
    scrub,
)
from connectors.siasn import map_data_utama, parse_dmy
from connectors.simpeg import CANONICAL_KEYS, parse_employee, parse_page

# --------------------------------------------------------------------------- pure functions


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(7.0, abs=1.0)
    past = email.utils.formatdate(now - 100, usegmt=True)
    assert parse_retry_after(past, now=now) == 0.0


def test_backoff_is_full_jitter_and_capped() -> None:
    p = RetryPolicy(backoff_base=0.5, backoff_max=4.0)
    rng = random.Random(1)
    for attempt in range(8):
        cap = min(4.0, 0.5 * 2**attempt)
        values = [p.backoff(attempt, rng) for _ in range(200)]
        assert all(0.0 <= v <= cap for v in values)
        assert max(values) > cap * 0.8  # it really spreads over the whole range
        assert min(values) < cap * 0.2


def test_scrub_blanks_personal_fields_and_truncates() -> None:
    body = json.dumps({"nik": "6402011234567890", "noHp": "081234567890", "nama": "Siti"})
    out = scrub(body)
    assert out is not None
    assert "6402011234567890" not in out and "081234567890" not in out and "Siti" in out
    assert len(scrub("x" * 5000) or "") <= 501


def test_simpeg_parse_drops_nik_and_reports_rejects() -> None:
    rec, rej, upd = parse_employee(
        {
            "nip": "197805022005021003",
            "nama": " Budi ",
            "nik": "6402011234567890",
            "unit_kode": "U1",
            "email": "",
            "updated_at": "2026-01-02T03:04:05Z",
        }
    )
    assert rej is None and rec is not None
    assert "nik" not in rec and rec["nama"] == " Budi "  # trimmed by the write path
    assert set(rec) == set(CANONICAL_KEYS)
    assert upd == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    rec, rej, _ = parse_employee({"nip": None, "nama": "X", "nik": "6402011234567890"})
    assert rec is None and rej is not None and "NIP" in rej.alasan
    assert "nik" not in rej.payload
    _, rej, _ = parse_employee({"nip": "197805022005021003", "nama": "A", "jabatan": {"x": 1}})
    assert rej is not None and "jabatan" in rej.alasan
    _, rej, _ = parse_employee(["not", "a", "dict"])
    assert rej is not None and "not an object" in rej.alasan
    page = parse_page(
        {
            "data": [
                {"nip": "1", "nama": "A", "updated_at": "2026-01-01T00:00:00+08:00"},
                {"nip": "2"},
            ],
            "next": "2",
            "total": 9,
        }
    )
    assert len(page.records) == 1 and len(page.rejected) == 1 and page.next == "2"
    assert page.last_nip == "2" and page.total == 9 and page.raw_count == 2
    with pytest.raises(BadPayload):
        parse_page({"rows": []})


def test_siasn_data_utama_mapping() -> None:
    rec = map_data_utama(
        {
            "id": "A" * 32,
            "nipBaru": "197805022005021003",
            "nama": "Siti",
            "gelarDepan": "null",
            "gelarBelakang": "S.E.",
            "tglLahir": "02-05-1978",
            "jenisKelamin": "F",
            "nik": "6402011234567890",
            "noHp": "0812",
            "email": "s@x.id",
            "unorId": "U9",
            "unorNama": "Dinas X",
            "jabatanNama": "Analis",
            "golRuangAkhir": "III/a",
            "pangkatAkhir": "Penata Muda",
            "pendidikanTerakhirNama": "S1 Ekonomi",
            "kedudukanPnsNama": "Aktif",
            "tmtPensiun": "null",
            "jenisJabatanId": "4",
        }
    )
    assert rec["nip"] == "197805022005021003" and rec["pns_orang_id"] == "A" * 32
    assert rec["gelar_depan"] is None and rec["jenis_kelamin"] == "P"
    assert rec["tanggal_lahir"] == dt.date(1978, 5, 2) and rec["tmt_pensiun"] is None
    assert rec["unor_id"] == "U9" and "unit_kode" not in rec  # a SIASN id, mapped by diklat
    assert rec["golongan"] == "III/a" and rec["status"] == "Aktif"
    assert rec["nomor_hp"] == "0812" and "nik" not in rec and rec["jenis_jabatan"] == "Pelaksana"
    with pytest.raises(ValueError, match="tglLahir"):
        map_data_utama({"tglLahir": "31-02-1980"})
    with pytest.raises(ValueError, match="jenisKelamin"):
        map_data_utama({"jenisKelamin": "X"})
    assert parse_dmy("2020-01-31 00:00:00") == dt.date(2020, 1, 31)


# --------------------------------------------------------------------------- scripted server


class Script:
    """Answers to hand out in order; each is (status, headers, body, delay)."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str], bytes, float]] = []
        self.hits = 0
        self.lock = threading.Lock()

    def add(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        raw: bytes | None = None,
    ) -> Script:
        data = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
        self.answers.append((status, headers or {}, data, delay))
        return self

    def next(self) -> tuple[int, dict[str, str], bytes, float]:
        with self.lock:
            self.hits += 1
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def scripted() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            status, headers, body, delay = script.next()
            if delay:
                time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body)

        do_GET = _answer
        do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", script
    server.shutdown()
    server.server_close()


def _client(url: str, **policy: Any) -> HttpClient:
    p = RetryPolicy(
        **{
            "max_retries": 5,
            "backoff_base": 0.001,
            "backoff_max": 0.01,
            "budget_seconds": 10.0,
            **policy,
        }
    )
    return HttpClient(url, connect_timeout=1.0, read_timeout=0.5, retry=p)


def test_retries_5xx_429_and_bad_json_then_succeeds(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    (
        script.add(500)
        .add(503)
        .add(429, headers={"Retry-After": "0"})
        .add(200, raw=b'{"data": [1, 2')  # truncated JSON on a 200
        .add(200, {"ok": True})
    )
    c = _client(url)
    assert c.get_json("x") == {"ok": True}
    assert script.hits == 5
    assert c.stats.retries == 4
    assert c.stats.by_reason == {"ServerError": 2, "RateLimited": 1, "BadPayload": 1}


def test_retry_after_is_honoured(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.add(429, headers={"Retry-After": "0.3"}).add(200, {"ok": 1})
    slept: list[float] = []
    c = _client(url)
    c._sleep = slept.append
    assert c.get_json("x") == {"ok": 1}
    assert len(slept) == 1 and 0.3 <= slept[0] <= 0.3 + 0.001 + 1e-9


def test_budget_exhausted_raises_typed_error_with_status_and_body(
    scripted: tuple[str, Script],
) -> None:
    url, script = scripted
    script.add(503, {"message": "maintenance", "nik": "6402011234567890"})
    c = _client(url, max_retries=2)
    with pytest.raises(ServerError) as ei:
        c.get_json("x")
    assert ei.value.status == 503 and ei.value.body is not None
    assert "maintenance" in str(ei.value) and "6402011234567890" not in ei.value.body
    assert script.hits == 3  # one try + two retries
    script.answers = [(429, {"Retry-After": "100"}, b"{}", 0.0)]
    with pytest.raises(RateLimited) as er:
        _client(url, budget_seconds=5.0).get_json("x")  # waiting 100 s would break the budget
    assert er.value.retry_after == 100.0


def test_no_retry_on_404_401_and_non_idempotent_500(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.add(404, {"code": 0, "data": "Data tidak ditemukan"})
    c = _client(url)
    with pytest.raises(NotFound) as e404:
        c.get_json("x")
    assert e404.value.status == 404 and "tidak ditemukan" in str(e404.value)
    script.answers = [(401, {}, b'{"message": "invalid or expired jwt"}', 0.0)]
    with pytest.raises(AuthError):
        c.get_json("x")
    script.answers = [(500, {}, b"{}", 0.0)]
    before = script.hits
    with pytest.raises(ServerError):
        c.post_json("save", json={"a": 1})
    assert script.hits - before == 1  # a POST that reached the server is not repeated
    assert c.stats.retries == 0


def test_read_timeout_is_retried(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.add(200, {"slow": True}, delay=1.0).add(200, {"fast": True})
    c = _client(url)
    assert c.get_json("x") == {"fast": True}
    assert c.stats.by_reason == {"TransportError": 1}


def test_connection_refused_is_transport_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = _client(f"http://127.0.0.1:{port}", max_retries=2)
    t0 = time.monotonic()
    with pytest.raises(TransportError) as ei:
        c.get_json("x")
    assert ei.value.status is None and ei.value.retriable
    assert c.stats.requests == 3 and time.monotonic() - t0 < 5
