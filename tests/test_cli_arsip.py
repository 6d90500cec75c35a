"""``diklat archive ...`` and ``diklat distribusi ...`` (cli/arsip.py) on the settings' database."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli.arsip import add_commands
from connectors.mail import OutboxTransport
from diklat.arsip import arsipkan
from diklat.clients import archive_store, mail_transport
from diklat.db import get_engine, migrate
from diklat.models import Kegiatan, Naskah, NaskahBerkas
from diklat.naskah.distribusi import Penerima, distribusikan
from diklat.settings import get_settings

NIP = "198001012005011001"


@pytest.fixture
def app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def _root() -> None:
        """diklat (test)"""

    add_commands(a)
    return a


@pytest.fixture
def db() -> Engine:
    url = get_settings().database_url
    migrate(url)
    return get_engine(url)


def invoke(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def make_docs(engine: Engine, folder: Path) -> list[int]:
    ids = []
    with Session(engine) as s, s.begin():
        k = Kegiatan(kode="PK-2026-001", sop="peningkatan-kapasitas", nama="Pelatihan")
        s.add(k)
        s.flush()
        for i in range(3):
            f = folder / f"surat_{i}.pdf"
            f.write_bytes(b"%PDF-1.4 " + os.urandom(200))
            n = Naskah(
                kegiatan_id=k.id,
                jenis="surat_panggilan",
                kunci=str(i),
                versi=1,
                status="terdaftar",
                nomor=f"800.2.4.2/{i + 30:03d}/BKPSDM/2026",
                klasifikasi="800.2.4.2",
            )
            s.add(n)
            s.flush()
            s.add(
                NaskahBerkas(
                    naskah_id=n.id,
                    peran="final_pdf",
                    path=str(f),
                    sha256="0" * 64,
                    ukuran=f.stat().st_size,
                )
            )
            ids.append(n.id)
    return ids


def test_archive_verify_and_find(app: typer.Typer, db: Engine, tmp_path: Path) -> None:
    code, out, _ = invoke(app, "archive", "verify", "--json")
    assert code == 0 and json.loads(out) == {
        "checked": 0,
        "ok": 0,
        "missing": 0,
        "altered": 0,
        "items": [],
    }
    ids = make_docs(db, tmp_path)
    store = archive_store()
    with Session(db) as s, s.begin():
        entries = [
            arsipkan(
                s,
                tmp_path / f"surat_{i}.pdf",
                naskah_id=n,
                nip_terkait=[NIP] if i == 1 else [],
                store=store,
            )
            for i, n in enumerate(ids)
        ]
    code, out, _ = invoke(app, "archive", "verify", "--json")
    assert code == 0 and json.loads(out)["ok"] == 3
    code, out, _ = invoke(app, "archive", "verify")
    assert code == 0 and "3 diperiksa: 3 utuh, 0 hilang, 0 berubah" in out
    p = Path(store.path(entries[0].sha256))
    os.chmod(p, 0o644)
    p.write_bytes(p.read_bytes()[:-1] + b"!")
    Path(store.path(entries[2].sha256)).unlink()
    code, out, _ = invoke(app, "archive", "verify", "--json")
    got = json.loads(out)
    assert code == 1
    assert {k: got[k] for k in ("checked", "ok", "missing", "altered")} == {
        "checked": 3,
        "ok": 1,
        "missing": 1,
        "altered": 1,
    }
    code, out, _ = invoke(app, "archive", "verify")
    assert code == 1 and "1 hilang, 1 berubah" in out

    code, out, _ = invoke(app, "archive", "find", "--nip", NIP, "--json")
    assert code == 0 and [r["nomor"] for r in json.loads(out)] == ["800.2.4.2/031/BKPSDM/2026"]
    code, out, _ = invoke(
        app, "archive", "find", "--kegiatan", "PK-2026-001", "--klasifikasi", "800.2.4", "--json"
    )
    assert len(json.loads(out)) == 3
    code, out, _ = invoke(app, "archive", "find", "--nomor", "032")
    assert code == 0 and "800.2.4.2/032/BKPSDM/2026" in out and "1 arsip" in out
    code, _, err = invoke(app, "archive", "find")
    assert code == 2 and "paling sedikit satu" in err


def test_distribusi_list_lepas_konfirmasi(
    app: typer.Typer, db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = make_docs(db, tmp_path)
    people = [
        Penerima("pegawai:1", "Peserta Satu", "satu@kukarkab.go.id"),
        Penerima("pegawai:2", "Peserta Dua", None),
    ]
    outbox = mail_transport()
    assert isinstance(outbox, OutboxTransport)
    distribusikan(db, ids[0], people, transport=outbox)

    class Lost(OutboxTransport):  # the answer never came and the outbox cannot tell
        def was_delivered(self, message_id: str) -> None:  # type: ignore[override]
            return None

        def send(self, msg):  # type: ignore[no-untyped-def]
            from connectors.mail import UnknownOutcomeError

            raise UnknownOutcomeError("sambungan putus setelah DATA")

    res = distribusikan(db, ids[1], people[:1], transport=Lost(tmp_path / "x"))
    (lost,) = res.perlu_cek

    code, out, _ = invoke(app, "distribusi", "rekonsiliasi", "--json")
    assert code == 0 and json.loads(out) == []  # nothing stale
    code, out, _ = invoke(app, "distribusi", "list", "--json")
    rows = json.loads(out)
    assert code == 0 and sorted(r["status"] for r in rows) == ["manual", "perlu_cek", "terkirim"]
    code, out, _ = invoke(app, "distribusi", "list", "--status", "perlu_cek", "--status", "manual")
    assert code == 0 and "2 pengiriman" in out and "Peserta Dua" in out
    code, _, err = invoke(app, "distribusi", "list", "--status", "hilang")
    assert code == 2 and "status tidak dikenal" in err
    code, _, err = invoke(app, "distribusi", "list", "--kegiatan", "NOPE")
    assert code == 2 and "kegiatan NOPE tidak ada" in err

    code, out, _ = invoke(
        app,
        "distribusi",
        "lepas",
        str(lost.distribusi_id),
        "--alasan",
        "tidak ada di log server",
        "--oleh",
        "rina",
        "--json",
    )
    assert code == 0 and json.loads(out)["status"] == "antri"
    code, _, err = invoke(app, "distribusi", "lepas", str(lost.distribusi_id), "--alasan", "x")
    assert code == 2 and "berstatus 'antri'" in err and "Traceback" not in err
    code, _, err = invoke(app, "distribusi", "lepas", "99999", "--alasan", "x")
    assert code == 2 and "tidak ada" in err
    manual = next(r for r in rows if r["status"] == "manual")
    code, out, _ = invoke(
        app,
        "distribusi",
        "konfirmasi",
        str(manual["id"]),
        "--alasan",
        "diserahkan langsung, tanda terima no. 12",
        "--oleh",
        "rina",
    )
    assert code == 0 and "dikonfirmasi oleh rina: status terkirim" in out
    code, out, _ = invoke(app, "distribusi", "jejak", str(lost.distribusi_id), "--json")
    trail = json.loads(out)
    assert [t["peristiwa"] for t in trail] == ["klaim", "perlu_cek", "lepas"]
    assert trail[-1]["oleh"] == "rina" and trail[-1]["keterangan"] == "tidak ada di log server"


def test_commands_without_a_database_fail_in_one_line(app: typer.Typer) -> None:
    code, _, err = invoke(app, "distribusi", "list")
    assert code == 2 and "diklat init" in err and "Traceback" not in err
