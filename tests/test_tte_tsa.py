"""Time stamps of the signatures (issue 20 item 14): the local TSA carries the project's own
policy OID; a configured RFC 3161 authority (here a TSA served over HTTP on loopback, with
HTTP Basic) stamps every signature of a batch separately, and a verifier that trusts its root
finds the letters validly time-stamped."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from connectors.tte import local_ca
from connectors.tte.local import LocalSigner
from connectors.tte.model import Appearance, SignerIdentity, SignRequest, TteUnavailable
from connectors.tte.pades import DIKLAT_OID, TSA_POLICY_OID
from connectors.tte.verify import verify_pdf
from simulator.tsa import POLICY_SIMULASI, TsaServer
from tests.tte_support import simple_pdf

NIP = "198005122005022003"


@pytest.fixture
def ca(tmp_path: Path) -> Path:
    folder = tmp_path / "ca"
    local_ca.init_ca(folder, "BKPSDM Uji", key_size=2048)
    local_ca.issue_signer(folder, NIP, "RINA WULANDARI, S.E., M.M.", "Kepala Bidang", NIP)
    return folder


def _request(n: int = 0) -> SignRequest:
    return SignRequest(
        signer=SignerIdentity(
            nama="RINA WULANDARI, S.E., M.M.", jabatan="Kepala Bidang", nip=NIP, key_id=NIP
        ),
        appearance=Appearance(verify_url=f"http://127.0.0.1:8000/v/{n}"),
        reference=f"uji-{n}",
    )


def token_info(pdf: bytes) -> dict[str, str]:
    """The signature time stamp's TSTInfo (policy) and its TSA's certificate subject."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    sig = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[-1]
    attrs = sig.signer_info["unsigned_attrs"]
    token = next(a["values"][0] for a in attrs if a["type"].native == "signature_time_stamp_token")
    sd = token["content"]
    info = sd["encap_content_info"]["content"].parsed
    tsa = next(
        c.chosen
        for c in sd["certificates"]
        if c.chosen.subject.native.get("common_name", "").endswith("TSA (lokal)")
    )
    imprint = info["message_imprint"]["hashed_message"].native.hex()
    own = hashlib.sha256(sig.signer_info["signature"].native).hexdigest()
    return {
        "policy": info["policy"].dotted,
        "tsa": tsa.subject.native["common_name"],
        "over_own_signature": str(imprint == own),
    }


def test_local_tsa_carries_the_projects_policy(ca: Path) -> None:
    assert TSA_POLICY_OID.startswith(f"{DIKLAT_OID}.") and DIKLAT_OID.startswith("2.25.")
    pdf = LocalSigner(ca).sign(simple_pdf(["Surat"]), request=_request()).pdf
    assert pdf
    info = token_info(pdf)
    assert info["policy"] == TSA_POLICY_OID != "1.3.6.1.4.1.4146.2.2"
    assert info["tsa"] == "BKPSDM Uji TSA (lokal)"
    v = verify_pdf(pdf, [local_ca.root_cert_path(ca)])
    assert v.valid and v.timestamped


def test_configured_tsa_over_http_stamps_each_signature(ca: Path) -> None:
    with TsaServer(username="cap", password="waktu-rahasia") as tsa:
        signer = LocalSigner(ca, tsa_url=tsa.url, tsa_username="cap", tsa_password="waktu-rahasia")
        assert "waktu-rahasia" not in repr(signer)
        out = signer.sign_batch([(simple_pdf([f"Surat {i}"]), _request(i)) for i in range(2)])
        # a time stamp of its own over each signature value (pyHanko asks once more first,
        # to size the room for the token)
        assert tsa.requests == 3
        for r in out:
            assert r.pdf
            info = token_info(r.pdf)
            assert (info["policy"], info["tsa"], info["over_own_signature"]) == (
                POLICY_SIMULASI,
                "TSA Simulator TSA (lokal)",
                "True",
            )
            both = verify_pdf(r.pdf, [local_ca.root_cert_path(ca), tsa.root_cert])
            assert (both.valid, both.timestamped, both.trusted) == (True, True, True)
            # a verifier that does not trust the authority's root does not trust the letter
            assert not verify_pdf(r.pdf, [local_ca.root_cert_path(ca)]).valid
        # a refused request (wrong password): nothing signed, a typed error to retry later
        bad = LocalSigner(ca, tsa_url=tsa.url, tsa_username="cap", tsa_password="salah")
        with pytest.raises(TteUnavailable, match="cap waktu"):
            bad.sign(simple_pdf(["Surat"]), request=_request())


def test_settings_give_the_signer_the_tsa(ca: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from diklat.clients import signer_from_settings
    from diklat.settings import reset_settings_cache

    with TsaServer() as tsa:
        monkeypatch.setenv("DIKLAT_TTE__CA_DIR", str(ca))
        monkeypatch.setenv("DIKLAT_TTE__TSA_URL", tsa.url)
        reset_settings_cache()
        signer = signer_from_settings()
        assert isinstance(signer, LocalSigner) and signer.tsa_url == tsa.url
        pdf = signer.sign(simple_pdf(["Surat"]), request=_request()).pdf
        assert pdf and tsa.requests == 2  # the sizing request and the letter's
        assert token_info(pdf)["policy"] == POLICY_SIMULASI
