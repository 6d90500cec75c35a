"""TTE with the local CA, on real letters: a template rendered, anchored with ``#TTE#`` and
converted by LibreOffice; signed PAdES B-T; validated by pyHanko against the local root; one
changed byte and an incremental update after signing detected; the QR read back from the
rendered page."""

from __future__ import annotations

import io
import logging
import os
import stat
import time
from pathlib import Path

import pytest

from connectors import pdf as pdfconn
from connectors.tte import local_ca
from connectors.tte.local import LocalSigner
from connectors.tte.model import (
    BSRE_FOOTER,
    AnchorNotFound,
    Appearance,
    Placement,
    SignerIdentity,
    SignerNotRegistered,
    SignRequest,
    TteRequestError,
    WrongPassphrase,
    format_nip,
)
from connectors.tte.stamp import find_anchor, place_box
from connectors.tte.verify import verify_pdf
from tests.tte_support import letter_pdfs, read_qr, simple_pdf

ORG = "BKPSDM Kabupaten Kutai Kartanegara"
NIP = "197209131998031001"
URL = "http://127.0.0.1:8000/v/q8Vb2kZr0LmN"
PASS = "kata-sandi-kepala-7"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tte") / "ca"
    local_ca.init_ca(folder, ORG, key_size=2048)
    local_ca.issue_signer(
        folder, NIP, "Dr. H. SUTRISNO, S.Sos., M.Si.", "Kepala Badan", NIP, passphrase=PASS
    )
    local_ca.issue_signer(
        folder, "plain", "RINA WULANDARI, S.E., M.M.", "Kepala Bidang", "198005122005022003"
    )
    return folder


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    if pdfconn.find_soffice() is None:
        if os.environ.get("DIKLAT_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice required but soffice not found")
        pytest.skip("LibreOffice (soffice) not installed")
    return letter_pdfs(tmp_path_factory.mktemp("letters"), 3)


def identity(key_id: str = NIP) -> SignerIdentity:
    return SignerIdentity(
        nama="Dr. H. SUTRISNO, S.Sos., M.Si.",
        jabatan="Kepala Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        pangkat="Pembina Utama Muda (IV/c)",
        nip=NIP,
        key_id=key_id,
        nik="6402011309720001",
    )


def request(**kw: object) -> SignRequest:
    base: dict[str, object] = {
        "signer": identity(),
        "appearance": Appearance(verify_url=URL),
        "reference": "naskah-1",
        "location": "Tenggarong",
    }
    base.update(kw)
    return SignRequest(**base)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the CA


def test_ca_files_private_and_idempotent(ca: Path) -> None:
    assert stat.S_IMODE(os.stat(ca / "root" / "key.pem").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ca / "tsa" / "key.pem").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ca / "signers" / NIP / "key.pem").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ca / "signers").st_mode) == 0o700
    before = (ca / "root" / "cert.pem").read_bytes()
    again = local_ca.init_ca(ca, "another name")
    assert not again.created and again.org_name == ORG
    assert (ca / "root" / "cert.pem").read_bytes() == before
    same = local_ca.issue_signer(ca, NIP, "Dr. H. SUTRISNO, S.Sos., M.Si.", "Kepala Badan", NIP)
    assert not same.created and same.encrypted and same.nip == NIP
    assert b"ENCRYPTED" in (ca / "signers" / NIP / "key.pem").read_bytes()


def test_reissue_on_changed_identity_keeps_old(tmp_path: Path) -> None:
    local_ca.init_ca(tmp_path, ORG, key_size=2048)
    first = local_ca.issue_signer(tmp_path, "k", "A", "Kepala Bidang", NIP)
    second = local_ca.issue_signer(tmp_path, "k", "A", "Sekretaris", NIP)  # promoted
    assert second.created and second.serial != first.serial and second.title == "Sekretaris"
    assert (tmp_path / "signers" / "k" / "old" / f"{first.serial:x}" / "cert.pem").is_file()
    with pytest.raises(local_ca.CaError):
        local_ca.issue_signer(tmp_path, "../evil", "A", "B", NIP)


def test_signer_without_ca(tmp_path: Path) -> None:
    with pytest.raises(local_ca.CaError, match="diklat tte init"):
        local_ca.load_ca(tmp_path / "none")


# --------------------------------------------------------------------------- anchor


def test_anchor_found_in_real_letter(letters: list[bytes]) -> None:
    anchor = find_anchor(letters[0])
    assert anchor is not None and anchor.page_index == 0
    assert 300 < anchor.x < 560 and 100 < anchor.y < 500  # the right-hand signature column
    box = place_box(letters[0], Placement())
    assert box.anchored and round(box.width) == 220 and round(box.height) == 56
    assert abs((box.x1 + box.x2) / 2 - anchor.x) < 1  # centred on the marker


def test_a_converted_letter_is_signed_without_reading_its_text(
    ca: Path, letters: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our conversion leaves the signature anchor as a named destination in place of the
    marker text, so signing reads no page text (the scan cost about 35 ms a letter) and
    removes nothing: the stamp sits on the destination, and the signed text has no marker."""
    from pypdf import PdfReader

    from connectors.tte import stamp

    def no_text(*_a: object, **_k: object) -> None:
        raise AssertionError("page text read")

    monkeypatch.setattr(stamp, "_scan", no_text)
    monkeypatch.setattr(stamp, "_marker_pages", no_text)
    anchor = find_anchor(letters[2])
    assert anchor is not None
    result = LocalSigner(ca).sign(letters[2], request=request(), passphrase=PASS)
    assert result.signed and result.pdf
    page = PdfReader(io.BytesIO(result.pdf)).pages[anchor.page_index]
    rect = [float(v) for v in page["/Annots"][0].get_object()["/Rect"]]
    assert abs((rect[0] + rect[2]) / 2 - anchor.x) < 1  # centred on the anchor
    assert abs(rect[3] - (anchor.y + Placement().top_offset)) < 1
    assert "#TTE#" not in page.extract_text() and "SUTRISNO" in page.extract_text()


def test_fallback_box_and_required_anchor() -> None:
    pdf = simple_pdf(["Tanpa penanda"], marker=None, pages=2)
    assert find_anchor(pdf) is None
    box = place_box(pdf, Placement())
    assert (box.page_index, box.anchored) == (1, False)
    assert (box.x1, box.y1, box.x2, box.y2) == Placement().fallback_box
    with pytest.raises(AnchorNotFound):
        place_box(pdf, Placement(require_anchor=True))


def test_format_nip() -> None:
    assert format_nip("197805022005021003") == "19780502 200502 1 003"
    assert format_nip("19780502 200502 1 003") == "19780502 200502 1 003"


# --------------------------------------------------------------------------- sign + verify


def test_sign_real_letter_validates_and_qr_reads(
    ca: Path, letters: list[bytes], tmp_path: Path
) -> None:
    signer = LocalSigner(ca)
    result = signer.sign(letters[0], request=request(), passphrase=PASS)
    assert result.signed and result.pdf and result.backend == "local"
    assert result.signer_name == "Dr. H. SUTRISNO, S.Sos., M.Si."
    v = verify_pdf(result.pdf, [local_ca.root_cert_path(ca)])
    assert (v.valid, v.intact, v.trusted, v.timestamped) == (True, True, True, True)
    assert v.signer == "Dr. H. SUTRISNO, S.Sos., M.Si." and v.signed_at is not None
    assert not v.modified_after_signing and v.modification_level == "none"
    assert v.signatures[0].certification  # the final signature locks the document
    assert v.reason.startswith("Tanda tangan sah")
    assert read_qr(result.pdf, tmp_path) == [URL]
    # the stamp text is in the signed revision, covered by the signature
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(result.pdf)).pages[0]
    widgets = [a.get_object() for a in page.get("/Annots", [])]
    ap = widgets[0]["/AP"]["/N"].get_object().get_data()
    assert b"Ditandatangani secara elektronik oleh:" in ap
    assert b"NIP. 19720913 199803 1 001" in ap and b"BSrE" not in ap


def test_untrusted_without_roots(ca: Path, letters: list[bytes]) -> None:
    result = LocalSigner(ca).sign(letters[1], request=request(), passphrase=PASS)
    assert result.pdf
    v = verify_pdf(result.pdf)
    assert v.intact and not v.trusted and not v.valid
    assert "tidak berasal dari otoritas yang dipercaya" in v.reason


def test_one_changed_byte_is_detected(ca: Path, letters: list[bytes]) -> None:
    pdf = LocalSigner(ca).sign(letters[0], request=request(), passphrase=PASS).pdf
    assert pdf
    root = [local_ca.root_cert_path(ca)]
    import re

    m = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", pdf)
    assert m
    start1, len1, start2, len2 = map(int, m.groups())
    # one byte in the letter's content, one in the signature's own revision (after /Contents)
    for pos in (len1 // 3, start2 + len2 // 2):
        bad = pdf[:pos] + bytes([pdf[pos] ^ 0x01]) + pdf[pos + 1 :]
        v = verify_pdf(bad, root)
        assert not v.valid, pos
        assert not v.intact or "tidak dapat dibaca" in v.reason, v.reason


def test_incremental_update_after_signing_is_detected(ca: Path, letters: list[bytes]) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    pdf = LocalSigner(ca).sign(letters[0], request=request(), passphrase=PASS).pdf
    assert pdf
    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    w.add_stream_to_page(
        0, w.add_object(generic.StreamObject(stream_data=b"BT /F1 40 Tf 100 400 Td (PALSU) Tj ET"))
    )
    out = io.BytesIO()
    w.write(out)
    v = verify_pdf(out.getvalue(), [local_ca.root_cert_path(ca)])
    assert v.intact and v.modified_after_signing and not v.valid
    assert v.reason.startswith("Dokumen diubah setelah ditandatangani")


def test_refusals(ca: Path) -> None:
    pdf = simple_pdf(["Surat"])
    signer = LocalSigner(ca)
    with pytest.raises(WrongPassphrase) as wrong:
        signer.sign(pdf, request=request(), passphrase="salah")
    with pytest.raises(WrongPassphrase):
        signer.sign(pdf, request=request(), passphrase=None)
    assert "salah" not in str(wrong.value).replace("Passphrase anda salah", "")
    with pytest.raises(SignerNotRegistered):
        signer.sign(pdf, request=request(signer=identity("tidak-ada")), passphrase=PASS)
    # honest letters: the BSrE sentence never goes on a locally signed letter
    with pytest.raises(TteRequestError, match="BSrE"):
        signer.sign(
            pdf,
            request=request(appearance=Appearance(verify_url=URL, footer=BSRE_FOOTER)),
            passphrase=PASS,
        )


def test_plain_key_footer_and_fallback(ca: Path, tmp_path: Path) -> None:
    pdf = simple_pdf(["Surat tanpa penanda"], marker=None)
    footer = "Dokumen ini ditandatangani secara elektronik dengan sertifikat CA lokal BKPSDM."
    req = request(
        signer=SignerIdentity(
            nama="RINA WULANDARI, S.E., M.M.",
            jabatan="Kepala Bidang",
            nip="198005122005022003",
            key_id="plain",
        ),
        appearance=Appearance(verify_url=URL, footer=footer),
    )
    result = LocalSigner(ca).sign(pdf, request=req)  # an unencrypted key needs no passphrase
    assert result.pdf
    v = verify_pdf(result.pdf, [local_ca.root_cert_path(ca)])
    assert v.valid and v.signer == "RINA WULANDARI, S.E., M.M."
    assert read_qr(result.pdf, tmp_path) == [URL]
    import subprocess

    (tmp_path / "f.pdf").write_bytes(result.pdf)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "f.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "CA lokal BKPSDM" in text


def test_batch_and_secrets_not_logged(
    ca: Path, letters: list[bytes], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signer = LocalSigner(ca)
    items = [(pdf, request(reference=f"naskah-{i}")) for i, pdf in enumerate(letters)]
    t0 = time.perf_counter()
    results = signer.sign_batch(items, passphrase=PASS)
    elapsed = time.perf_counter() - t0
    assert [r.signed for r in results] == [True] * len(letters)
    assert len({r.sha256 for r in results}) == len(letters)
    assert elapsed < 30
    text = caplog.text + "".join(repr(r) for r in results) + repr(request())
    assert PASS not in text and "6402011309720001" not in text


def test_pool_signs_in_order_and_sees_a_reissued_certificate(
    ca: Path, letters: list[bytes]
) -> None:
    """The signing pool's workers keep the key prepared between bundles, yet a certificate
    re-issued in between (a promotion) signs the next bundle; every signature valid, every
    result in the order of its letter, the reserved container size reused without loss."""
    from connectors.tte.pool import SLICE, SigningPool

    def plain(ref: str) -> SignRequest:
        return request(signer=identity("plain"), reference=ref)

    n = SLICE + 3  # more than one slice: two workers, results put back in order
    items = [(letters[i % len(letters)], plain(f"n{i}")) for i in range(n)]
    pool = SigningPool(2)
    try:
        first = pool.sign({"ca_dir": ca}, items)
        local_ca.issue_signer(
            ca, "plain", "RINA WULANDARI, S.E., M.M.", "Sekretaris", "198005122005022003"
        )
        second = pool.sign({"ca_dir": ca}, items[:3])
    finally:
        pool.close()
    assert [r.signed for r in first] == [True] * n
    for r, (pdf, _req) in zip(first[:3], items[:3], strict=True):
        assert r.pdf is not None and r.pdf.startswith(pdf[:8])
        assert verify_pdf(r.pdf, [local_ca.root_cert_path(ca)]).valid
    serial = local_ca.load_signer(ca, "plain").serial
    for r in second:
        assert r.pdf is not None and verify_pdf(r.pdf, [local_ca.root_cert_path(ca)]).valid
        from pyhanko.pdf_utils.reader import PdfFileReader

        sig = PdfFileReader(io.BytesIO(r.pdf)).embedded_signatures[0]
        assert sig.signer_cert.serial_number == serial  # the new certificate, not the cached


def test_pool_workers_leave_with_their_process(tmp_path: Path) -> None:
    """A process that leaves through os._exit (as the diklat command does) or is killed
    leaves no signing worker behind."""
    import subprocess
    import sys

    script = tmp_path / "owner.py"
    script.write_text(
        "import os\n"
        "from connectors.tte.pool import SigningPool\n"
        "if __name__ == '__main__':\n"
        "    pids = [f.result() for f in SigningPool(2).warm()]\n"
        "    print(' '.join(map(str, pids)), flush=True)\n"
        "    os._exit(0)\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
        time.sleep(0.2)
    assert not any(Path(f"/proc/{p}").exists() for p in pids)
