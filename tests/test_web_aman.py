"""The public page under attack (issue 23, item 2): a body larger than the limit is refused
while it is read, never spooled to a temporary file; a POST to an unknown token is answered
404 without reading its body; every page, error pages included, carries the security
headers; errors are Indonesian HTML pages, never JSON.

In-process (httpx's ASGI transport, which hands the app the request body chunk by chunk as
the app asks for it, so what the app pulled is counted) and through a real uvicorn server on
loopback with a raw socket."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import socket
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from diklat.db import get_engine, migrate
from diklat.models import Bundel, Kegiatan, Naskah, NaskahBerkas, Permintaan

MIB = 1 << 20
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture
def tokens(tmp_path: Path) -> dict[str, str]:
    """A signed letter (its verification token) and a signature request (its signing-page
    token), as rows: the page reads nothing else."""
    migrate()
    pdf = tmp_path / "ttd.pdf"
    pdf.write_bytes(b"%PDF-1.7 signed letter\n%%EOF\n")
    with Session(get_engine()) as s, s.begin():
        k = Kegiatan(kode="PK-W", sop="peningkatan-kapasitas", nama="Pelatihan Web")
        s.add(k)
        s.flush()
        b = Bundel(kegiatan_id=k.id, jenis="sertifikat", versi=1, status="paraf", jumlah=1)
        s.add(b)
        s.flush()
        n = Naskah(
            kegiatan_id=k.id,
            bundel_id=b.id,
            jenis="sertifikat",
            versi=1,
            status="ditandatangani",
            hal="Sertifikat",
            nomor="800.2.4.2/001/B/2026",
            token="v" * 32,
        )
        s.add(n)
        s.flush()
        s.add(
            NaskahBerkas(
                naskah_id=n.id,
                peran="ttd_pdf",
                path=str(pdf),
                sha256=hashlib.sha256(pdf.read_bytes()).hexdigest(),
                ukuran=pdf.stat().st_size,
            )
        )
        s.add(
            Permintaan(
                bundel_id=b.id,
                kegiatan_id=k.id,
                urutan=1,
                kind="tanda_tangan",
                peran="kepala",
                langkah=38,
                token="t" * 32,
            )
        )
    return {"v": "v" * 32, "ttd": "t" * 32, "pdf": str(pdf)}


@pytest.fixture
def no_spooling(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A fresh temporary folder for the process, and Starlette's spooling class made to
    fail: nothing may be written there, and no upload may be spooled at all."""
    import starlette.formparsers

    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))

    class Refused:
        def __init__(self, *a: Any, **kw: Any) -> None:
            raise AssertionError("an upload was spooled to a temporary file")

    monkeypatch.setattr(starlette.formparsers, "SpooledTemporaryFile", Refused)
    yield folder
    assert list(folder.iterdir()) == []


class Stream:
    """A 100 MB body generated chunk by chunk; counts what the server pulled."""

    def __init__(self, total: int = 100 * MIB, chunk: int = MIB) -> None:
        self.total, self.chunk, self.pulled = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        head = (
            b'--zz\r\nContent-Disposition: form-data; name="berkas"; '
            b'filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n'
        )
        self.pulled += len(head)
        yield head
        while self.pulled < self.total:
            self.pulled += self.chunk
            yield b"x" * self.chunk


MULTIPART = {"content-type": "multipart/form-data; boundary=zz"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


class Client:
    """Requests to the app in this process, the body streamed as the app reads it."""

    def __init__(self) -> None:
        from web.app import create_app

        self.app = create_app()

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://web") as c:
                r = await c.request(method, path, **kw)
                await r.aread()
                return r

        return asyncio.run(go())

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)


def _client() -> Client:
    return Client()


def _is_error_page(r: Any, status: int) -> None:
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert "<html lang='id'>" in r.text and f"data-status='{status}'" in r.text
    assert not r.text.lstrip().startswith("{")  # never FastAPI's JSON
    _has_security_headers(r)


def _has_security_headers(r: Any) -> None:
    for k, v in HEADERS.items():
        assert r.headers.get(k) == v, (k, r.headers.get(k))
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    style = re.search(r"<style>(.*?)</style>", r.text, re.S)
    if style:  # the page's one inline style is allowed by its hash, nothing else
        digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
        assert f"style-src 'sha256-{digest}'" in csp


def test_a_100_mb_upload_is_refused_while_read_and_never_spooled(
    tokens: dict[str, str], no_spooling: Path
) -> None:
    c = _client()
    # an unknown token: 404 before a byte of the body is read
    body = Stream()
    _is_error_page(c.post(f"/v/{'x' * 32}", content=body, headers=MULTIPART), 404)
    assert body.pulled < MIB
    # a known token, no Content-Length (chunked): refused once the limit is passed
    body = Stream()
    _is_error_page(c.post(f"/v/{tokens['v']}", content=body, headers=MULTIPART), 413)
    assert 20 * MIB < body.pulled <= 21 * MIB + 1024
    # a declared length over the limit: refused before reading
    body = Stream()
    _is_error_page(
        c.post(
            f"/v/{tokens['v']}",
            content=body,
            headers={**MULTIPART, "content-length": str(100 * MIB)},
        ),
        413,
    )
    assert body.pulled < MIB
    # the signing page's form is small: a large body there is refused as well
    body = Stream(total=5 * MIB)
    _is_error_page(c.post(f"/ttd/{tokens['ttd']}", content=body, headers=FORM), 413)
    assert body.pulled <= 2 * MIB
    body = Stream(total=5 * MIB)  # and it takes no file at all (nothing to spool)
    _is_error_page(c.post(f"/ttd/{tokens['ttd']}", content=body, headers=MULTIPART), 400)
    assert body.pulled <= 2 * MIB
    _is_error_page(c.post(f"/ttd/{'x' * 32}", content=Stream(), headers=MULTIPART), 404)
    # a file within the limit is checked (in memory): not this letter
    r = c.post(f"/v/{tokens['v']}", files={"berkas": ("a.pdf", b"bukan pdf", "application/pdf")})
    assert r.status_code == 200 and "data-verdict='other'" in r.text
    _has_security_headers(r)
    # the letter itself
    pdf = Path(tokens["pdf"]).read_bytes()
    r = c.post(f"/v/{tokens['v']}", files={"berkas": ("a.pdf", pdf, "application/pdf")})
    assert r.status_code == 200 and "id='hasil'" in r.text
    # no file part, or not multipart at all: 400, an HTML page
    _is_error_page(c.post(f"/v/{tokens['v']}", data={"lain": "x"}), 400)
    _is_error_page(c.post(f"/v/{tokens['v']}", content=b"x", headers=MULTIPART), 400)


def test_every_page_carries_the_security_headers_and_errors_are_html(
    tokens: dict[str, str],
) -> None:
    c = _client()
    for path in ("/", f"/v/{tokens['v']}", f"/ttd/{tokens['ttd']}"):
        r = c.get(path)
        assert r.status_code == 200, path
        _has_security_headers(r)
        assert r.headers["cache-control"] == "no-store"
    assert "id='passphrase'" in c.get(f"/ttd/{tokens['ttd']}").text
    for path in (f"/v/{'x' * 32}", f"/ttd/{'x' * 32}", "/tidak-ada", f"/v/{'x' * 65}"):
        r = c.get(path)
        _is_error_page(r, 404)
        assert "Tidak ditemukan" in r.text
    _is_error_page(c.delete(f"/v/{tokens['v']}"), 405)
    # the signing page's form without its fields: 400 page, the token checked first
    _is_error_page(c.post(f"/ttd/{tokens['ttd']}", data={"nip": "1"}), 400)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tokens: dict[str, str]) -> Iterator[tuple[str, int]]:
    import uvicorn

    from web.app import create_app

    port = _free_port()
    srv = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield "127.0.0.1", port
    srv.should_exit = True
    th.join(timeout=10)


def _raw(host: str, port: int, head: bytes, body_mib: int) -> tuple[str, float, int]:
    """Send ``head`` then up to ``body_mib`` MiB as fast as the server takes them; return
    the status line, the seconds it took and how many MiB went out."""
    t0 = time.monotonic()
    sent = 0
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(head)
        s.settimeout(0.2)
        answer = b""
        while sent < body_mib:
            try:
                answer += s.recv(4096)
                if answer:
                    break
            except TimeoutError:
                pass
            try:
                s.sendall(
                    b"100000\r\n" + b"x" * MIB + b"\r\n" if b"chunked" in head else b"x" * MIB
                )
                sent += 1
            except OSError:  # the server closed the connection: the answer is waiting
                break
        s.settimeout(10)
        while b"\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode(), time.monotonic() - t0, sent


def test_a_real_server_answers_before_the_body_arrives(
    server: tuple[str, int], tokens: dict[str, str], no_spooling: Path
) -> None:
    host, port = server
    declared = (
        f"POST /v/{tokens['v']} HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: multipart/form-data; boundary=zz\r\n"
        f"Content-Length: {100 * MIB}\r\n\r\n"
    ).encode()
    status, seconds, sent = _raw(host, port, declared, 100)
    assert status == "HTTP/1.1 413 Request Entity Too Large" and sent < 20, (status, sent)
    chunked = (
        f"POST /v/{'x' * 32} HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: multipart/form-data; boundary=zz\r\n"
        f"Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    status, seconds, sent = _raw(host, port, chunked, 100)
    assert status == "HTTP/1.1 404 Not Found" and sent < 20, (status, sent)
    chunked = chunked.replace(b"x" * 32, tokens["v"].encode())
    status, seconds, sent = _raw(host, port, chunked, 100)
    assert status == "HTTP/1.1 413 Request Entity Too Large" and sent <= 40, (status, sent)
