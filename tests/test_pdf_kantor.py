"""The LibreOffice kept running between batches (issue 22): a process starts it once and
converts every later batch with it, the PDFs are the ones a ``soffice`` call of their own
makes (pages, the signature anchor's named destination), a kept LibreOffice that died is
replaced, and one whose process was killed stops by itself (its bridge reads the end of its
input). CI requires it (``DIKLAT_REQUIRE_LIBREOFFICE=1``): there, Debian's ``python3-uno``
must be present."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from connectors import pdf as pdfconn
from connectors import proses
from diklat.naskah import render_batch
from diklat.naskah.contoh import contoh, peserta_list

ROOT = Path(__file__).resolve().parents[1]
REQUIRE = os.environ.get("DIKLAT_REQUIRE_LIBREOFFICE") == "1"


@pytest.fixture
def soffice() -> str:
    path = pdfconn.find_soffice()
    if path is None or pdfconn.uno_python() is None:
        if REQUIRE:
            pytest.fail("LibreOffice with python3-uno required (DIKLAT_REQUIRE_LIBREOFFICE=1)")
        pytest.skip("LibreOffice or Debian's python3-uno not installed")
    return path


def _letters(folder: Path, n: int, start: int = 1) -> list[Path]:
    ps = peserta_list()
    return render_batch(
        "surat_panggilan",
        [
            contoh("surat_panggilan", nomor=f"800.2.4.2/{i:03d}/BKPSDM/2026", peserta=ps[i % 3])
            for i in range(start, start + n)
        ],
        folder,
        names=[f"sp{i}" for i in range(start, start + n)],
    )


def _pages_and_dests(pdf: Path) -> tuple[int, set[str]]:
    r = PdfReader(str(pdf))
    return len(r.pages), {str(k).lstrip("/") for k in r.named_destinations}


def test_one_libreoffice_for_every_batch_and_the_same_pdfs(
    soffice: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _letters(tmp_path / "docx", 6)
    pdfconn.tutup_kantor()
    before = pdfconn.kantor_starts
    kept = []
    for k in range(3):
        with pdfconn.PdfConverter(soffice, work_root=tmp_path / "root") as conv:
            kept.append(conv.convert(docs, tmp_path / f"kept{k}"))
        assert conv.stats.merged_files == 1
    assert pdfconn.kantor_starts == before + 1  # started once, used three times
    k = pdfconn._kantor(soffice)
    assert k is not None and k.hidup()
    monkeypatch.setenv("DIKLAT_PDF_BRIDGE", "0")  # the way without it: a soffice per batch
    assert pdfconn._kantor(soffice) is None
    with pdfconn.PdfConverter(soffice, work_root=tmp_path / "root") as conv:
        own = conv.convert(docs, tmp_path / "own")
    for a, b in zip(kept[2], own, strict=True):
        assert _pages_and_dests(a) == _pages_and_dests(b)
        assert pdfconn.ANCHOR_DEST + "000" in _pages_and_dests(a)[1]
    assert list((tmp_path / "root").iterdir()) == []  # work folders gone


def test_a_dead_libreoffice_is_replaced(soffice: str, tmp_path: Path) -> None:
    docs = _letters(tmp_path / "docx", 3)
    with pdfconn.PdfConverter(soffice) as conv:
        conv.convert(docs, tmp_path / "a")
    k = pdfconn._kantor(soffice)
    assert k is not None
    os.killpg(k.proc.pid, signal.SIGKILL)  # the bridge and its LibreOffice
    k.proc.wait(timeout=30)
    before = pdfconn.kantor_starts
    with pdfconn.PdfConverter(soffice) as conv:
        out = conv.convert(docs, tmp_path / "b")
    assert all(p.is_file() and _pages_and_dests(p)[0] >= 1 for p in out)
    assert pdfconn.kantor_starts == before + 1
    assert not k.folder.exists()  # the dead one's profile removed when it was replaced


CHILD = """
import sys, time
from pathlib import Path
from connectors import pdf
docs = sorted(Path(sys.argv[1]).glob('*.docx'))
with pdf.PdfConverter() as c:
    c.convert(docs, Path(sys.argv[2]))
k = pdf._kantor(pdf.find_soffice())
print(k.proc.pid, k.folder, flush=True)
time.sleep(600)
"""


@pytest.mark.timeout(300)
def test_a_killed_process_leaves_no_libreoffice(soffice: str, tmp_path: Path) -> None:
    _letters(tmp_path / "docx", 2)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "docx"), str(tmp_path / "pdf")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line, child.stderr.read() if child.stderr else ""
    bridge_pid = int(line.split()[0])
    assert proses.pid_alive(bridge_pid)
    office = subprocess.run(
        ["pgrep", "-g", str(bridge_pid)], capture_output=True, text=True
    ).stdout.split()
    assert len(office) >= 2  # the bridge and LibreOffice, in the bridge's process group
    child.kill()
    child.wait(timeout=30)
    deadline = time.monotonic() + 60
    try:
        while any(proses.pid_alive(int(p)) for p in office):
            assert time.monotonic() < deadline, "LibreOffice outlived the process that kept it"
            time.sleep(0.2)
    finally:
        for p in office:
            if proses.pid_alive(int(p)):
                os.kill(int(p), signal.SIGKILL)


def test_libreoffice_gone_under_its_bridge(soffice: str, tmp_path: Path) -> None:
    """LibreOffice killed while its bridge stays: the next batch is still converted (the
    bridge says LibreOffice is gone and ends; the batch goes to a soffice of its own), and
    the batch after that has a new kept LibreOffice."""
    docs = _letters(tmp_path / "docx", 3)
    with pdfconn.PdfConverter(soffice) as conv:
        conv.convert(docs, tmp_path / "a")
    k = pdfconn._kantor(soffice)
    assert k is not None
    group = subprocess.run(
        ["pgrep", "-g", str(k.proc.pid)], capture_output=True, text=True
    ).stdout.split()
    office = [int(p) for p in group if int(p) != k.proc.pid]
    assert office
    for p in office:
        os.kill(p, signal.SIGKILL)
    time.sleep(1)
    with pdfconn.PdfConverter(soffice) as conv:
        out = conv.convert(docs, tmp_path / "b")
    assert all(p.is_file() and _pages_and_dests(p)[0] >= 1 for p in out)
    k.proc.wait(timeout=30)  # the bridge ended
    before = pdfconn.kantor_starts
    with pdfconn.PdfConverter(soffice) as conv:
        out = conv.convert(docs, tmp_path / "c")
    assert all(p.is_file() for p in out)
    assert pdfconn.kantor_starts == before + 1
