"""Things an operator can do wrong: each gives ONE line on stderr, in Indonesian, that says
what is wrong and what to do, exit 1 (failure) or 2 (refused input), never a traceback.
Every case runs the installed ``diklat`` as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_siasn_export_reader import NIPS, base_row, write_export

ROOT = Path(__file__).resolve().parent.parent
DIKLAT = Path(sys.executable).parent / "diklat"
if not DIKLAT.exists():  # pragma: no cover - tests run from another interpreter
    DIKLAT = ROOT / ".venv" / "bin" / "diklat"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def diklat(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    full_env["DIKLAT_VAR_DIR"] = str(tmp_path / "var")
    full_env.update(env or {})
    return subprocess.run(
        [str(DIKLAT), *args],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line(res: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in res.stderr + res.stdout, res.stderr
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, res.stderr
    return lines[0]


MYSQL = {"DIKLAT_DATABASE_URL": "mysql://app:rahasia@db.example/diklat"}
NO_FOLDER = {"DIKLAT_DATABASE_URL": "sqlite:////tmp/diklat-tidak-ada-folder-9f3/diklat.db"}
PG_DOWN = {
    "DIKLAT_DATABASE_URL": "postgresql+psycopg://app:rahasia@127.0.0.1:1/tidak_ada"
    "?connect_timeout=2"
}

BIG = "99999999999999999999"  # beyond SQLite's INTEGER and PostgreSQL's bigint

#: (arguments, environment, exit code, a fragment of the line)
CASES: list[tuple[tuple[str, ...], dict[str, str], int, str]] = [
    (("naskah", "render", "tidak_ada", "--contoh"), {}, 2, "surat_panggilan"),
    (("naskah", "render", "surat_tugas", "--context", "hilang.json"), {}, 2, "tidak ada"),
    (("naskah", "render", "surat_tugas", "--context", "rusak.json"), {}, 2, "bukan JSON"),
    (("naskah", "render", "surat_tugas"), {}, 2, "--contoh"),
    (("register", "add", "1", "--tanggal", "2026-13-45"), {}, 2, "YYYY-MM-DD"),
    (("register", "add", "1", "--tanggal", "besok"), {}, 2, "YYYY-MM-DD"),
    (("register", "void", "1", "--alasan", "salah", "--tanggal", "x"), {}, 2, "--tanggal"),
    (("register", "list", "--tahun", "dua"), {}, 2, "--tahun"),
    (("sync", "--nip", "garbage"), {}, 2, "NIP tidak valid"),
    (
        ("sync", "--nip", "197209131998031001", "--nip", "197209131998033001"),
        {},
        2,
        "197209131998033001",
    ),
    (("karantina", "list", "--sumber", "lain"), {}, 2, "--sumber"),
    (("riwayat", "--jumlah", "0"), {}, 2, "--jumlah"),
    (("sync", "--tidak-ada"), {}, 2, "opsi tidak dikenal"),
    (("import", "siasn-export", "a.csv"), MYSQL, 1, "tidak didukung"),
    (("sync",), MYSQL, 1, "tidak didukung"),
    (("init",), MYSQL, 1, "tidak didukung"),
    (("riwayat",), MYSQL, 1, "tidak didukung"),
    (("karantina", "list"), MYSQL, 1, "tidak didukung"),
    (("register", "list"), MYSQL, 1, "tidak didukung"),
    (("import", "siasn-export", "a.csv"), NO_FOLDER, 1, "tidak ada"),
    (("sync",), NO_FOLDER, 1, "tidak ada"),
    (("import", "siasn-export", "a.csv"), PG_DOWN, 1, "basis data"),
    (("import", "siasn-export", "tidak-ada.csv"), {}, 2, "tidak ditemukan"),
    (("import", "siasn-export", "/etc/hostname"), {}, 2, "ditolak"),
    # numbers and dates beyond what a database column or a calendar holds (issue 23, 10)
    (("register", "list", "--tahun", "99999999999"), {}, 2, "--tahun"),
    (("register", "list", "--tahun", BIG), {}, 2, "--tahun"),
    (("register", "export", "--tahun", BIG, "--out", "r.xlsx"), {}, 2, "--tahun"),
    (("register", "add", BIG), {}, 2, "ID_NASKAH"),
    (("register", "add", "1", "--tanggal", "9999-12-31"), {}, 2, "--tanggal"),
    (("approve", BIG, "--nip", "1", "--kode", "1", "--keputusan", "setuju"), {}, 2, "ID"),
    (("approvals", "kirim-ulang", BIG), {}, 2, "ID"),
    (("approvals", "buka-kunci", "0", "--alasan", "x"), {}, 2, "ID"),
    (("distribusi", "jejak", BIG), {}, 2, "ID"),
    (("distribusi", "lepas", BIG, "--alasan", "x"), {}, 2, "ID"),
    (("distribusi", "list", "--naskah", BIG), {}, 2, "--naskah"),
    (("riwayat", "--jumlah", BIG), {}, 2, "--jumlah"),
    (("siasn", "writeback", "K", "--ulangi", BIG), {}, 2, "--ulangi"),
    (
        (
            "kegiatan",
            "buat",
            "--kode",
            "K9",
            "--sop",
            "peningkatan-kapasitas",
            "--nama",
            "Pelatihan Uji",
            "--mulai",
            "0001-01-01",
            "--selesai",
            "0001-01-02",
        ),
        {},
        2,
        "mulai",
    ),
    (("kegiatan", "calon", "K", "--per-unit", "0"), {}, 2, "--per-unit"),
    (("srikandi", "paket", "K", "--out", "p", "--tanggal", "0001-01-01"), {}, 2, "--tanggal"),
    (("srikandi", "harian", "--out", "p", "--tanggal", "9999-12-31"), {}, 2, "--tanggal"),
    (("simulator", "export-csv", "--pegawai", "100000000", "--out", "x.csv"), {}, 2, "--pegawai"),
    (("demo", "--peserta", "0"), {}, 2, "--peserta"),
    (("web", "--port", "99999"), {}, 2, "--port"),
    (("server", "start", "--port", "99999"), {}, 2, "--port"),
]


@pytest.mark.parametrize(
    ("args", "env", "code", "fragment"),
    CASES,
    ids=[" ".join(c[0]) + (" " + next(iter(c[1].values()))[:12] if c[1] else "") for c in CASES],
)
def test_bad_input_gives_one_line(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], code: int, fragment: str
) -> None:
    write_export(tmp_path / "a.csv", [base_row(n) for n in NIPS])
    (tmp_path / "rusak.json").write_text("{bukan json", encoding="utf-8")
    res = diklat(tmp_path, *args, env=env)
    line = one_line(res)
    assert res.returncode == code, (res.returncode, line)
    assert fragment in line, line
    assert "rahasia" not in res.stderr + res.stdout  # no password in a message
    assert not Path("/tmp/diklat-tidak-ada-folder-9f3").exists()  # never created silently


def test_unreachable_simpeg_fails_within_20_seconds_with_default_settings(
    tmp_path: Path, prefect_api: str
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/simpeg/api/v1"
    t0 = time.monotonic()
    res = diklat(tmp_path, "sync", env={"DIKLAT_SIMPEG__URL": url, "PREFECT_API_URL": prefect_api})
    seconds = time.monotonic() - t0
    line = one_line(res)
    assert res.returncode == 1 and "tidak dapat dihubungi" in line, line
    assert seconds < 20, f"took {seconds:.1f} s"
