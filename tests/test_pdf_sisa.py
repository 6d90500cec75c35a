"""LibreOffice's work folders (issue 23, item 8): they live under the root the caller passes
(the var folder in the product), and what a conversion killed with SIGKILL leaves behind (its
folder with letter text, its LibreOffice still running) is removed by the next conversion's
start; folders of live processes and of other hosts are left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connectors import pdf as pdfconn
from connectors import proses

ROOT = Path(__file__).resolve().parents[1]


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_leftovers_of_dead_owners_are_removed_at_the_next_start(tmp_path: Path) -> None:
    root = tmp_path / "var" / "tmp" / "pdf"
    root.mkdir(parents=True)
    dead = root / f"diklat-pdf-{proses.owner_tag(_dead_pid())}-abc123"
    # a live process id with another start: the id was reused, its owner is gone
    reused = root / f"diklat-pdf-{proses.HOST_TAG}-{os.getppid()}-ffffff-def456"
    mine = root / f"diklat-pdf-{proses.owner_tag()}-ghi789"
    other_host = root / "diklat-pdf-0a0a0a-1-123456-jkl012"
    unknown = root / "diklat-pdf-tanpa-pemilik"
    for folder in (dead, reused, mine, other_host, unknown):
        (folder / "job1").mkdir(parents=True)
        (folder / "job1" / "surat.docx").write_bytes(b"NIP 198005122005022003")
    conv = pdfconn.PdfConverter("/bin/true", work_root=root)
    try:
        assert not dead.exists() and not reused.exists()
        assert mine.exists() and other_host.exists() and unknown.exists()
        assert conv.tmp.parent == root and conv.tmp.name.startswith(
            f"diklat-pdf-{proses.owner_tag()}-"
        )
        assert (conv.tmp.stat().st_mode & 0o777) == 0o700
    finally:
        conv.close()
    assert not conv.tmp.exists()


CHILD = """
import sys
from pathlib import Path
from connectors.pdf import convert_batch
docs = sorted(Path(sys.argv[1]).glob("*.docx"))
convert_batch(docs, Path(sys.argv[2]), work_root=Path(sys.argv[3]))
print("selesai")
"""


def _docs(folder: Path, n: int) -> list[Path]:
    from docx import Document

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        d = Document()
        d.add_heading(f"Surat {i}", 1)
        for _ in range(40):
            d.add_paragraph("NIP 198005122005022003 " * 20)
        # different bodies and different styles: not merged, one file each
        d.core_properties.title = f"surat {i}"
        p = folder / f"surat_{i:03d}.docx"
        d.save(str(p))
        out.append(p)
    return out


@pytest.mark.timeout(600)
def test_kill_9_during_conversion_then_the_next_conversion_removes_its_leftovers(
    tmp_path: Path,
) -> None:
    if not pdfconn.available():
        if os.environ.get("DIKLAT_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice required")
        pytest.skip("LibreOffice needed")
    root = tmp_path / "var" / "tmp" / "pdf"
    _docs(tmp_path / "docx", 30)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "docx"), str(tmp_path / "pdf1"), str(root)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    marker = None
    while marker is None:
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline, "LibreOffice never started"
        found = list(root.glob("diklat-pdf-*/soffice-*")) if root.exists() else []
        marker = found[0] if found else None
        time.sleep(0.05)
    time.sleep(0.5)  # LibreOffice is converting now
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    leftover = marker.parent
    soffice_pid = int(marker.name.split("-")[2])
    assert leftover.is_dir() and any(leftover.rglob("*.docx"))  # letter text left behind
    try:
        # the next conversion, here in this process: the leftover and its LibreOffice go
        docs = _docs(tmp_path / "docx2", 2)
        pdfs = pdfconn.convert_batch(docs, tmp_path / "pdf2", work_root=root)
        assert pdfs is not None and all(p.is_file() for p in pdfs)
        assert not leftover.exists()
        assert list(root.iterdir()) == []
        for _ in range(100):
            if not proses.pid_alive(soffice_pid):
                break
            time.sleep(0.1)
        assert not proses.pid_alive(soffice_pid)
    finally:
        if proses.pid_alive(soffice_pid):  # never leave it running
            os.killpg(soffice_pid, signal.SIGKILL)


def test_the_product_converts_under_its_var_folder(tmp_path: Path) -> None:
    from diklat.clients import pdf_work_root
    from diklat.settings import get_settings

    assert pdf_work_root() == Path(get_settings().var_dir) / "tmp" / "pdf"
    if not pdfconn.available():
        pytest.skip("LibreOffice needed")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIKLAT_", "PREFECT_"))}
    env["DIKLAT_VAR_DIR"] = str(tmp_path / "var")
    res = subprocess.run(
        [
            str(Path(sys.executable).parent / "diklat"),
            "naskah",
            "render",
            "surat_tugas",
            "--contoh",
            "--pdf",
            "--out",
            str(tmp_path / "out"),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert list((tmp_path / "out").glob("*.pdf"))
    assert (tmp_path / "var" / "tmp" / "pdf").is_dir()
    assert list((tmp_path / "var" / "tmp" / "pdf").iterdir()) == []
