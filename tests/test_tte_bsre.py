"""The BSrE esign-client client against the stand-in in the simulator (a real HTTP server that
signs for real): v1 with the signed PDF in the answer and with id + download once, v2, verify,
the error codes 2011/2021/2031, HTTP 401/500, a hang (outcome unknown within the timeout, never
retried), a refused connection; the passphrase and the NIK in no log record, exception or result.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.tte.bsre import BsreSigner, DocumentGone
from connectors.tte.model import (
    Appearance,
    CertificateProblem,
    Outcome,
    SignerIdentity,
    SignerNotRegistered,
    SignRequest,
    TteAuthError,
    TteError,
    TteServerError,
    TteUnavailable,
    WrongPassphrase,
)
from connectors.tte.verify import verify_pdf
from simulator.bsre import BsreServer
from simulator.server import free_port
from tests.tte_support import read_qr, simple_pdf

NIK = "6402011309720001"
PASS = "Rahasia-BSrE-2026"
REVOKED = "6402015505800002"
URL = "http://127.0.0.1:8000/v/Bq7mX2pL9wKd"


@pytest.fixture(scope="module")
def bsre() -> Iterator[BsreServer]:
    with BsreServer(accounts={NIK: PASS}) as server:
        server.state.register(REVOKED, "lama", status="REVOKE")
        yield server


@pytest.fixture(autouse=True)
def _reset(bsre: BsreServer) -> None:
    bsre.state.configure(hang_seconds=0, fail_next=0, v1_response="pdf", error_status=400)
    bsre.state.calls.clear()


def client(bsre: BsreServer, **kw: object) -> BsreSigner:
    base: dict[str, object] = {"username": "esign", "password": "qwerty", "timeout": 30}
    base.update(kw)
    return BsreSigner(bsre.url, **base)  # type: ignore[arg-type]


def request(nik: str = NIK) -> SignRequest:
    return SignRequest(
        signer=SignerIdentity(
            nama="Dr. H. SUTRISNO, S.Sos., M.Si.",
            jabatan="Kepala Badan",
            pangkat="Pembina Utama Muda (IV/c)",
            nip="197209131998031001",
            nik=nik,
        ),
        appearance=Appearance(verify_url=URL),
        reference="naskah-7",
        location="Tenggarong",
    )


PDF = simple_pdf(["Surat dinas", "Kepala Badan,"])


def test_v1_signed_pdf_in_answer(bsre: BsreServer, tmp_path: Path) -> None:
    result = client(bsre).sign(PDF, request=request(), passphrase=PASS)
    assert result.outcome is Outcome.SIGNED and result.pdf and result.backend == "bsre"
    assert result.document_id  # the id_dokumen header, kept for reconciliation
    assert result.signer_name == "Pejabat Simulator"
    v = verify_pdf(result.pdf, [bsre.state.root_cert])
    assert v.valid and v.intact and v.trusted and v.timestamped
    assert read_qr(result.pdf, tmp_path) == [URL]  # our stamp, drawn before the signature
    assert bsre.state.calls == {"sign_v1": 1}


def test_v1_id_then_download_once(bsre: BsreServer) -> None:
    bsre.state.configure(v1_response="id")
    c = client(bsre)
    result = c.sign(PDF, request=request(), passphrase=PASS)
    assert result.signed and result.document_id and result.pdf
    assert bsre.state.calls == {"sign_v1": 1, "download": 1}
    with pytest.raises(DocumentGone):
        c.download(result.document_id)
    again = c.reconcile(result.document_id)
    assert again.outcome is Outcome.UNKNOWN and "tidak tersedia" in again.detail


def test_v2_and_verify_both_apis(bsre: BsreServer) -> None:
    c2 = client(bsre, api="v2")
    result = c2.sign(PDF, request=request(), passphrase=PASS)
    assert result.signed and result.pdf and result.document_id is None
    assert bsre.state.calls == {"sign_v2": 1}
    for c in (client(bsre), c2):
        ok = c.verify(result.pdf)
        assert ok.valid and ok.summary == "VALID" and ok.signatures == 1
        assert ok.signers == ["Pejabat Simulator"]
        bad = bytearray(result.pdf)
        bad[len(bad) // 3] ^= 1
        assert not c.verify(bytes(bad)).valid


def test_esign_draws_visible_signature(bsre: BsreServer, tmp_path: Path) -> None:
    for api in ("v1", "v2"):
        result = client(bsre, api=api, appearance_mode="esign").sign(
            PDF, request=request(), passphrase=PASS
        )
        assert result.pdf and verify_pdf(result.pdf, [bsre.state.root_cert]).valid
        (tmp_path / api).mkdir()
        # v1 carries linkQR; v2 has no QR field (the esign-client draws only the image there)
        assert read_qr(result.pdf, tmp_path / api) == ([URL] if api == "v1" else [])


@pytest.mark.parametrize("api", ["v1", "v2"])
@pytest.mark.parametrize("status", [400, 500])
def test_wrong_passphrase_2031(bsre: BsreServer, api: str, status: int) -> None:
    bsre.state.configure(error_status=status)
    with pytest.raises(WrongPassphrase) as e:
        client(bsre, api=api).sign(PDF, request=request(), passphrase="bukan-ini")
    assert e.value.code == 2031 and e.value.status == status
    assert "Passphrase anda salah" in str(e.value)


def test_not_registered_2011_and_certificate_2021(bsre: BsreServer) -> None:
    with pytest.raises(SignerNotRegistered) as e:
        client(bsre).sign(PDF, request=request("6402019999990009"), passphrase=PASS)
    assert e.value.code == 2011 and "6402019999990009" not in str(e.value)
    with pytest.raises(CertificateProblem) as c:
        client(bsre, api="v2").sign(PDF, request=request(REVOKED), passphrase="lama")
    assert c.value.code == 2021


def test_401_and_500(bsre: BsreServer) -> None:
    with pytest.raises(TteAuthError) as a:
        client(bsre, password="salah").sign(PDF, request=request(), passphrase=PASS)
    assert a.value.status == 401
    bsre.state.configure(fail_next=1)
    with pytest.raises(TteServerError) as s:
        client(bsre).sign(PDF, request=request(), passphrase=PASS)
    assert s.value.status == 500
    assert bsre.state.calls["sign_v1"] == 2  # one each: a 500 is not retried


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_hang_gives_unknown_within_timeout_and_no_retry(bsre: BsreServer, api: str) -> None:
    bsre.state.configure(hang_seconds=4)
    c = client(bsre, api=api, timeout=1.0)
    t0 = time.monotonic()
    result = c.sign(PDF, request=request(), passphrase=PASS)
    elapsed = time.monotonic() - t0
    assert result.outcome is Outcome.UNKNOWN and result.pdf is None and not result.signed
    assert elapsed < 3.0
    assert "jangan ulangi" in result.detail
    time.sleep(0.2)
    assert bsre.state.calls == {f"sign_{api}": 1}  # exactly one request reached the server
    assert c.reconcile(None).outcome is Outcome.UNKNOWN


def test_refused_connection_is_unavailable() -> None:
    c = BsreSigner(
        f"http://127.0.0.1:{free_port()}", username="esign", password="qwerty", timeout=2
    )
    with pytest.raises(TteUnavailable):
        c.sign(PDF, request=request(), passphrase=PASS)


def test_secrets_never_leak(bsre: BsreServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    c = client(bsre)
    seen.append(repr(c))
    seen.append(repr(request()))
    result = c.sign(PDF, request=request(), passphrase=PASS)
    seen.append(repr(result))
    for api, kwargs in (("v1", {"passphrase": "salah-" + PASS}), ("v2", {"passphrase": "x"})):
        try:
            client(bsre, api=api).sign(PDF, request=request(), **kwargs)  # type: ignore[arg-type]
        except TteError as e:
            seen += [str(e), repr(e), e.message]
    try:
        client(bsre).sign(PDF, request=request("6402019999990009"), passphrase=PASS)
    except TteError as e:
        seen += [str(e), repr(e)]
    bsre.state.configure(hang_seconds=3)
    seen.append(repr(client(bsre, timeout=0.5).sign(PDF, request=request(), passphrase=PASS)))
    text = caplog.text + "\n".join(seen) + "\n".join(r.getMessage() for r in caplog.records)
    for secret in (PASS, NIK, "6402019999990009"):
        assert secret not in text
    assert "tte bsre POST /api/sign/pdf" in caplog.text  # the calls are logged, without data
