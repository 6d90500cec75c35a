"""Letters benchmark: ``python -m bench letters [--n 1000] [--jenis surat_panggilan]``.

Prints one JSON object per scenario (``scenario``, ``seconds``, ``documents``,
``docs_per_second``, ``peak_rss_mb``):

* ``docx``: the fast path, ``n`` personalised one-page letters (one per participant, each
  with its own number), template loaded and compiled once (included in the time);
* ``naive_docx``: the baseline on the same ``n`` contexts: docxtpl, template loaded from
  the file and rendered for every document, same Jinja environment; ``docx`` carries
  ``ratio`` = naive seconds per document / fast seconds per document;
* ``pdf_converter``: the converter's own merged-file rate in the same run, the reference
  of ``pdf`` (``pdf_vs_converter``): see :func:`converter_floor`;
* ``pdf``: LibreOffice conversion of all ``n`` fast-path documents (``--pdf-n`` to limit):
  merge, one ``soffice`` call (``--pdf-workers K``: K side by side), split into one PDF per
  letter (the time includes all three and LibreOffice's start);
  ``soffice_peak_rss_mb`` is the LibreOffice process's peak. Skipped with a ``skipped``
  reason when LibreOffice is absent.

Contexts are built before timing. ``peak_rss_mb`` is this process's peak so far
(``getrusage`` high-water mark), so scenarios run in the order docx, naive_docx, pdf.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def _emit(row: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(row) + "\n")
    sys.stdout.flush()


def contexts(jenis: str, n: int) -> list[dict[str, Any]]:
    """``n`` distinct participants, each with a number from the register's format."""
    from diklat.naskah.contoh import contoh
    from diklat.naskah.konteks import orang
    from diklat.settings import get_settings

    s = get_settings()
    kls = s.klasifikasi_for(jenis)
    units = [
        "Dinas Pendidikan dan Kebudayaan",
        "Dinas Kesehatan",
        "Badan Perencanaan Pembangunan Daerah",
        "Kecamatan Tenggarong",
        "Sekretariat Daerah",
    ]
    base = contoh(jenis)
    out = []
    for i in range(n):
        birth = dt.date(1975, 1, 1) + dt.timedelta(days=(i * 37) % 9000)
        nip = f"{birth:%Y%m%d}2005{(i % 12) + 1:02d}{1 + i % 2}{(i % 999) + 1:03d}"
        p = orang(
            {
                "nip": nip,
                "nama": f"PESERTA KE-{i + 1} & REKAN <UJI>",
                "gelar_belakang": "S.Kom." if i % 3 else "S.E., M.M.",
                "pangkat": "Penata Muda",
                "golongan": "III/a",
                "jabatan": "Analis Kepegawaian Ahli Pertama",
                "unit_nama": units[i % 5],
            }
        )
        ctx = dict(base)
        ctx["nomor"] = f"{kls}/{i + 1:03d}/{s.instansi.kode_unit}/2026"
        ctx["peserta"] = p
        if "tujuan" in ctx and jenis == "surat_panggilan":
            ctx["tujuan"] = f"Saudara {p['nama']}"
            ctx["tujuan_tempat"] = p["unit"]
            ctx["tembusan"] = [f"Kepala {p['unit']}"]
        out.append(ctx)
    return out


def bench_docx(jenis: str, ctxs: list[dict[str, Any]], out: Path) -> tuple[float, list[Path]]:
    from diklat.naskah import clear_cache, render_batch

    clear_cache()
    t0 = time.perf_counter()
    paths = render_batch(jenis, ctxs, out)  # loads + compiles the template once
    return time.perf_counter() - t0, paths


def bench_naive(jenis: str, ctxs: list[dict[str, Any]], out: Path) -> float:
    from docxtpl import DocxTemplate

    from diklat.naskah.engine import make_environment, template_path

    path = template_path(jenis)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for i, ctx in enumerate(ctxs):
        doc = DocxTemplate(str(path))  # loaded for every document
        doc.render(ctx, jinja_env=make_environment(), autoescape=True)
        buf = io.BytesIO()
        doc.save(buf)
        (out / f"naive_{i + 1:04d}.docx").write_bytes(buf.getvalue())
    return time.perf_counter() - t0


def converter_floor(docx: list[Path], work: Path) -> tuple[float, int]:
    """The converter's own cost for ``docx``: the documents merged per template as the
    converter merges them (untimed), then one ``soffice`` call on the merged files and the
    SHA-256 of every PDF it writes (timed). No splitting: that part is ours. One LibreOffice
    start is part of it (a ``soffice`` of its own, not the one the product keeps running)."""
    import hashlib

    from connectors.pdf import PdfConverter, _package_signature, merge_docx

    work.mkdir(parents=True, exist_ok=True)
    with PdfConverter(work_dir=work / "conv", kept=False) as conv:
        groups: dict[str, list[Path]] = {}
        for p in docx:
            groups.setdefault(_package_signature(p), []).append(p)
        merged: list[Path] = []
        for g in groups.values():
            for chunk in conv._chunks(list(range(len(g)))):
                merged.append(merge_docx([g[i] for i in chunk], work / f"m{len(merged)}.docx"))
        t0 = time.perf_counter()
        conv._run(merged, work, len(docx))
        for m in merged:
            hashlib.sha256(m.with_suffix(".pdf").read_bytes()).hexdigest()
        seconds = time.perf_counter() - t0
    return seconds, len(docx)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench letters", description=__doc__)
    ap.add_argument("--n", type=int, default=1000, help="documents per scenario")
    ap.add_argument(
        "--jenis", default="surat_panggilan", help="document type (surat_panggilan or sertifikat)"
    )
    ap.add_argument("--pdf-n", type=int, default=None, help="documents converted (default: n)")
    ap.add_argument(
        "--pdf-workers", type=int, default=1, help="LibreOffice processes side by side (default 1)"
    )
    ap.add_argument("--no-pdf", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="keep the files here")
    a = ap.parse_args(argv)

    work = a.out or Path(tempfile.mkdtemp(prefix="bench-letters-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        ctxs = contexts(a.jenis, a.n)
        fast_s, paths = bench_docx(a.jenis, ctxs, work / "docx")
        fast_rss = _rss_mb()
        naive_s = bench_naive(a.jenis, ctxs, work / "naive")
        ratio = (naive_s / a.n) / (fast_s / a.n)
        _emit(
            {
                "scenario": "docx",
                "jenis": a.jenis,
                "seconds": round(fast_s, 3),
                "documents": a.n,
                "docs_per_second": round(a.n / fast_s, 1),
                "peak_rss_mb": fast_rss,
                "ratio": round(ratio, 1),
            }
        )
        _emit(
            {
                "scenario": "naive_docx",
                "jenis": a.jenis,
                "seconds": round(naive_s, 3),
                "documents": a.n,
                "docs_per_second": round(a.n / naive_s, 1),
                "peak_rss_mb": _rss_mb(),
            }
        )
        if not a.no_pdf:
            from connectors.pdf import LibreOfficeUnavailable, PdfConverter

            subset = paths[: a.pdf_n or a.n]
            try:
                with PdfConverter(workers=a.pdf_workers) as conv:
                    t0 = time.perf_counter()
                    conv.convert(subset, work / "pdf")
                    pdf_s = time.perf_counter() - t0
                    stats = conv.stats
                _emit(
                    {
                        "scenario": "pdf",
                        "jenis": a.jenis,
                        "seconds": round(pdf_s, 3),
                        "documents": len(subset),
                        "docs_per_second": round(len(subset) / pdf_s, 1),
                        "peak_rss_mb": _rss_mb(),
                        "soffice_peak_rss_mb": _rss_mb(resource.RUSAGE_CHILDREN),
                        "soffice_calls": stats.soffice_calls,
                        "workers": a.pdf_workers,
                        "merged_files": stats.merged_files,
                        "strategy": f"merge per template (<={conv.chunk_size} docs/file), one "
                        "soffice call, "
                        "split by bookmarks",
                    }
                )
                floor_s, _n = converter_floor(subset, work / "floor")
                _emit(
                    {
                        "scenario": "pdf_converter",
                        "jenis": a.jenis,
                        "seconds": round(floor_s, 3),
                        "documents": len(subset),
                        "docs_per_second": round(len(subset) / floor_s, 1),
                        "pdf_vs_converter": round(pdf_s / floor_s, 2),
                        "peak_rss_mb": _rss_mb(),
                        "note": "the converter's own rate: the same documents merged the same "
                        "way, one soffice call and hashing its PDFs, no split",
                    }
                )
            except LibreOfficeUnavailable as e:
                _emit(
                    {
                        "scenario": "pdf",
                        "skipped": str(e),
                        "seconds": 0.0,
                        "documents": 0,
                        "docs_per_second": 0.0,
                        "peak_rss_mb": _rss_mb(),
                    }
                )
    finally:
        if a.out is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
