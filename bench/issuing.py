"""Issuing benchmark: ``python -m bench issuing [--n 500]``.

One bundle of ``n`` personalised summonses issued the way :func:`diklat.naskah.tanda_tangan.
tanda_tangani` issues it, without the database: the finals rendered (fast path), converted
(:class:`connectors.pdf.PdfConverter`, letters handed to the signing pool as LibreOffice
writes them, :mod:`diklat.naskah.pratanda`) and signed PAdES B-T by the local CA
(``diklat.naskah.tanda_tangan._sign_all``: the pool on every core). Then, in the same run, the floor:
the same finals merged as the converter merges them, one ``soffice`` call and hashing the PDFs
(:func:`bench.letters.converter_floor`). One JSON line: ``seconds`` and its parts
(``render``, ``convert`` with the letters signed meanwhile, ``sign_after`` the rest),
``floor_seconds``, ``vs_floor`` (bound: 1.5), ``peak_rss_mb`` (this process; the children's
peak separately: LibreOffice or a signing worker).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


def run(n: int) -> dict[str, object]:
    from bench.letters import contexts, converter_floor
    from connectors.pdf import PdfConverter
    from connectors.tte import local_ca
    from connectors.tte.local import LocalSigner
    from connectors.tte.model import Appearance, SignerIdentity, SignRequest
    from diklat.naskah import render_batch
    from diklat.naskah import tanda_tangan as tt
    from diklat.naskah.pratanda import sambil_konversi

    work = Path(tempfile.mkdtemp(prefix="bench-issuing-"))
    try:
        ca = work / "ca"
        nip = "197209131998031001"
        local_ca.init_ca(ca, "BKPSDM Benchmark")
        local_ca.issue_signer(ca, nip, "Dr. H. PEJABAT, M.Si.", "Kepala Badan", nip)
        ident = SignerIdentity(
            nama="Dr. H. PEJABAT, M.Si.",
            jabatan="Kepala Badan",
            pangkat="Pembina Utama Muda (IV/c)",
            nip=nip,
            key_id=nip,
        )
        ctxs = contexts("surat_panggilan", n)
        sig = LocalSigner(ca)
        t0 = time.perf_counter()
        docx = render_batch("surat_panggilan", ctxs, work / "docx")
        t1 = time.perf_counter()
        requests = {
            work / "pdf" / f"{p.stem}.pdf": SignRequest(
                signer=ident,
                appearance=Appearance(verify_url=f"http://127.0.0.1/v/{i}"),
                reason="Penandatanganan surat panggilan",
                location="Tenggarong",
                reference=f"bench-{i}",
            )
            for i, p in enumerate(docx)
        }
        with sambil_konversi(sig, None, requests, 2, tt.PARALEL_MULAI, lambda: None) as pra:
            with PdfConverter() as conv:
                pdfs = conv.convert(docx, work / "pdf")
            early = pra.dikirim if pra is not None else 0
        t2 = time.perf_counter()
        items = [(p.read_bytes(), requests[p]) for p in pdfs]
        results = tt._sign_all(sig, items, None, pra)
        t3 = time.perf_counter()
        if not all(r.pdf for r in results):
            raise SystemExit("not every letter was signed")
        floor_s, _docs = converter_floor(docx, work / "floor")
        seconds = t3 - t0
        return {
            "scenario": "issuing",
            "letters": n,
            "seconds": round(seconds, 2),
            "render": round(t1 - t0, 2),
            "convert": round(t2 - t1, 2),
            "signed_during_conversion": early,
            "sign_after": round(t3 - t2, 2),
            "floor_seconds": round(floor_s, 2),
            "vs_floor": round(seconds / floor_s, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "children_peak_rss_mb": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            ),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench issuing")
    ap.add_argument("--n", type=int, default=500)
    a = ap.parse_args(argv)
    sys.stdout.write(json.dumps(run(a.n)) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
