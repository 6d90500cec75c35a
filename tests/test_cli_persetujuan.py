"""Officials answering from a terminal: `diklat approvals list`, `diklat approve` (same checks
as the UI's form), `diklat riwayat-keputusan`; the code arrives in the outbox's .eml."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from diklat.db import get_engine, migrate, session_scope
from diklat.models import Bundel
from diklat.mulai import simpan_kegiatan
from diklat.naskah import versi
from diklat.naskah.persetujuan import buka, tingkat_berikut
from diklat.naskah.register import today
from diklat.pegawai.pejabat import simpan_pejabat
from tests.sop_support import LENGKAP, siap

DIKLAT = str(Path(sys.executable).parent / "diklat")
KABID = "198005122005022003"


def _cli(args: list[str], var: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    env["DIKLAT_VAR_DIR"] = str(var)
    return subprocess.run(
        [DIKLAT, *args], env=env, capture_output=True, text=True, timeout=120, cwd=var.parent
    )


def test_terminal_answers(tmp_path: Path) -> None:
    var = tmp_path / "var"
    migrate()
    engine = get_engine()
    mulai = today() + dt.timedelta(days=10)
    siap(engine)
    with session_scope(engine) as s:
        for peran, nip in (
            ("kabid_psda", KABID),
            ("sekretaris", "197706142003121004"),
            ("kepala", "197209131998031001"),
        ):
            simpan_pejabat(
                s,
                nip=nip,
                nama=f"NAMA {peran}",
                peran=peran,
                jabatan="J",
                email=f"{peran}@example.go.id",
            )
        simpan_kegiatan(
            s,
            {
                "kode": "PK-C",
                "sop": "peningkatan-kapasitas",
                "nama": "Uji",
                "mulai": mulai,
                "selesai": mulai,
                "tempat": "Aula",
                "jp": 8,
                "lembaga_narasumber": "BPSDM",
                "materi": ["A"],
            },
        )
    h = versi.buat_draf(engine, "PK-C", "surat_permohonan_narasumber", var / "output")
    with session_scope(engine) as s:
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        level = tingkat_berikut(s, b)
        assert level is not None
        pid = buka(s, b, level).id
    r = _cli(["approvals", "kirim-ulang", str(pid)], var)
    assert r.returncode == 0, r.stderr
    (eml,) = list((var / "outbox").glob("*.eml"))
    msg = email.message_from_bytes(eml.read_bytes())
    body = msg.get_payload(decode=True).decode()  # type: ignore[union-attr]
    code = re.search(r"^Kode: (\d{6})\r?$", body, flags=re.M).group(1)  # type: ignore[union-attr]

    r = _cli(["approvals", "list", "--json"], var)
    rows = json.loads(r.stdout)
    assert [(x["id"], x["peran"], x["nip"]) for x in rows] == [(pid, "kabid_psda", KABID)]
    r = _cli(
        ["approve", str(pid), "--nip", KABID, "--kode", "111111", "--keputusan", "setuju"], var
    )
    assert r.returncode == 1 and "kode verifikasi salah" in r.stderr and code not in r.stderr
    r = _cli(["approve", str(pid), "--nip", KABID, "--kode", code, "--keputusan", "setuju"], var)
    assert r.returncode == 0, r.stderr
    r = _cli(["riwayat-keputusan", "PK-C", "--json"], var)
    hist = json.loads(r.stdout)
    assert [(x["hasil"], x["peran"]) for x in hist] == [
        ("ditolak", "kabid_psda"),
        ("diterima", "kabid_psda"),
    ]
    assert json.loads(_cli(["approvals", "list", "--json"], var).stdout) == []
    with session_scope(engine) as s:
        assert s.execute(select(Bundel.status)).scalar_one() == "paraf"


def test_a_refused_answer_is_one_line_on_stderr(tmp_path: Path) -> None:
    """A refused ``diklat approve`` prints exactly one line (the Galat line), not the
    domain's log warning beside it (issue 23, item 10)."""
    var = tmp_path / "var"
    migrate()
    engine = get_engine()
    mulai = today()
    with session_scope(engine) as s:
        for peran, nip in (
            ("kabid_psda", KABID),
            ("sekretaris", "197706142003121004"),
            ("kepala", "197209131998031001"),
        ):
            simpan_pejabat(
                s,
                nip=nip,
                nama=f"NAMA {peran}",
                peran=peran,
                jabatan="J",
                email=f"{peran}@example.go.id",
            )
    siap(engine)
    with session_scope(engine) as s:
        simpan_kegiatan(
            s,
            {
                "kode": "PK-D",
                "sop": "peningkatan-kapasitas",
                "nama": "Uji",
                "mulai": mulai,
                "selesai": mulai,
                **LENGKAP,
            },
        )
    h = versi.buat_draf(engine, "PK-D", "surat_permohonan_narasumber", var / "output")
    with session_scope(engine) as s:
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        level = tingkat_berikut(s, b)
        assert level is not None
        pid = buka(s, b, level).id
    for args in (
        ["--kode", "111111", "--keputusan", "setuju"],
        ["--kode", "111111", "--keputusan", "revisi"],
    ):
        r = _cli(["approve", str(pid), "--nip", KABID, *args], var)
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert r.returncode == 1 and len(lines) == 1, r.stderr
        assert lines[0].startswith("Galat: ditolak:") and "Traceback" not in r.stderr
