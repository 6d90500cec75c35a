"""``diklat tte init`` and ``diklat tte verify FILE [--json]`` through the real command line
machinery (Typer), with the CA and the trust roots taken from the settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli.tte import add_commands
from connectors.tte.local import LocalSigner
from connectors.tte.local_ca import issue_signer
from connectors.tte.model import Appearance, SignerIdentity, SignRequest
from diklat.clients import signer_from_settings
from diklat.settings import get_settings, reset_settings_cache
from tests.tte_support import simple_pdf


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:  # a group, like the real ``diklat`` app
        pass

    add_commands(app)
    return app


def test_init_verify_cycle(app: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["tte", "init", "--json"])
    assert first.exit_code == 0, first.output
    info = json.loads(first.stdout)
    ca = Path(info["folder"])
    assert info["created"] and ca == get_settings().tte.ca_dir
    assert info["org_name"] == "BKPSDM Kabupaten Kutai Kartanegara"
    again = runner.invoke(app, ["tte", "init", "--json"])
    assert json.loads(again.stdout)["created"] is False

    issue_signer(
        ca, "kepala", "Dr. H. SUTRISNO, S.Sos., M.Si.", "Kepala Badan", "197209131998031001"
    )
    signer = signer_from_settings()
    assert isinstance(signer, LocalSigner)
    req = SignRequest(
        signer=SignerIdentity(
            nama="Dr. H. SUTRISNO, S.Sos., M.Si.",
            jabatan="Kepala Badan",
            nip="197209131998031001",
            key_id="kepala",
        ),
        appearance=Appearance(verify_url="http://127.0.0.1:8000/verifikasi/x"),
    )
    signed = signer.sign(simple_pdf(["Surat"]), request=req).pdf
    assert signed
    good = tmp_path / "surat.pdf"
    good.write_bytes(signed)

    ok = runner.invoke(app, ["tte", "verify", str(good), "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data["valid"] and data["intact"] and data["signer"] == "Dr. H. SUTRISNO, S.Sos., M.Si."
    assert data["signed_at"]
    human = runner.invoke(app, ["tte", "verify", str(good)])
    assert human.exit_code == 0 and "SAH" in human.stdout

    bad = tmp_path / "ubah.pdf"
    pdf = bytearray(signed)
    pdf[len(pdf) // 4] ^= 1
    bad.write_bytes(bytes(pdf))
    res = runner.invoke(app, ["tte", "verify", str(bad), "--json"])
    assert res.exit_code == 1
    assert json.loads(res.stdout)["valid"] is False

    plain = tmp_path / "polos.pdf"
    plain.write_bytes(simple_pdf(["Tanpa tanda tangan"]))
    res = runner.invoke(app, ["tte", "verify", str(plain), "--json"])
    assert res.exit_code == 1 and json.loads(res.stdout)["signer"] is None
    assert runner.invoke(app, ["tte", "verify", str(tmp_path / "tidak-ada.pdf")]).exit_code == 2


def test_bsre_mode_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIKLAT_TTE__MODE", "bsre")
    monkeypatch.setenv("DIKLAT_TTE__BSRE_API", "v2")
    monkeypatch.setenv("DIKLAT_TTE__BSRE_PASSWORD", "rahasia-aplikasi")
    reset_settings_cache()
    signer = signer_from_settings()
    assert signer.backend == "bsre" and "rahasia-aplikasi" not in repr(signer)
    assert "rahasia-aplikasi" not in json.dumps(get_settings().masked())
