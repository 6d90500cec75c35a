"""Signing a bundle's letters while LibreOffice still converts the rest.

:func:`diklat.naskah.tanda_tangan.tanda_tangani` issues a bundle in two stages: the finals converted
to PDF (one LibreOffice call, merged files of ``connectors.pdf.CHUNK`` letters, converted one
after the other) and then the signatures. LibreOffice keeps one core busy; the signing pool
(:mod:`connectors.tte.pool`) can use the other meanwhile. :func:`sambil_konversi` listens to
the conversion (:func:`connectors.pdf.on_converted`) and sends each letter to the pool as soon
as its final PDF is written, with the request that letter will be signed with.

Nothing is recorded from here. When the signing stage comes, :meth:`Pratanda.ambil` hands
over a result only for a letter whose bytes (SHA-256) and request are exactly those of the
item to sign: the signature is then over the same bytes it would have been over, made a few
seconds earlier. Anything else (a letter not sent, a PDF changed since, a refusal in the pool)
is signed the usual way, where refusals raise as before. A bundle that fails before its
signing stage drops what the pool did. Only for the local CA without a passphrase, and for a
bundle large enough for the pool (``PARALEL_MULAI``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from connectors.tte.model import SignRequest, SignResult

log = logging.getLogger("diklat.naskah.tanda_tangan")


class Pratanda:
    """The listener and what it sent: (SHA-256 of the PDF, request) -> (slice, index)."""

    def __init__(self, pool: Any, config: dict[str, Any], requests: dict[str, SignRequest]) -> None:
        self.pool = pool
        self.config = config
        self.requests = requests  # absolute path of a final PDF -> its request
        self._sent: dict[tuple[str, SignRequest], tuple[Future[list[SignResult]], int]] = {}
        self._lock = threading.Lock()

    def __call__(self, written: list[Path]) -> None:
        batch: list[tuple[bytes, SignRequest]] = []
        keys: list[tuple[str, SignRequest]] = []
        for p in written:
            req = self.requests.get(os.path.abspath(p))
            if req is None:
                continue
            data = p.read_bytes()
            batch.append((data, req))
            keys.append((hashlib.sha256(data).hexdigest(), req))
        if not batch:
            return
        futures = self.pool.submit(self.config, batch)
        slice_size = -(-len(batch) // len(futures))
        with self._lock:
            for i, key in enumerate(keys):
                self._sent[key] = (futures[i // slice_size], i % slice_size)

    @property
    def dikirim(self) -> int:
        return len(self._sent)

    def ambil(self, items: Sequence[tuple[bytes, SignRequest]]) -> list[SignResult | None]:
        """The pool's result for each item that was sent with exactly these bytes and this
        request; None for the others (and for a letter the pool refused)."""
        out: list[SignResult | None] = []
        for pdf, req in items:
            with self._lock:
                hit = self._sent.pop((hashlib.sha256(pdf).hexdigest(), req), None)
            if hit is None:
                out.append(None)
                continue
            try:
                out.append(hit[0].result()[hit[1]])
            except Exception as e:  # signed again the usual way, where it raises as before
                log.info("tanda tangan awal gagal (%s); ditandatangani ulang", e.__class__.__name__)
                out.append(None)
        return out

    def batal(self) -> None:
        with self._lock:
            for fut, _i in self._sent.values():
                fut.cancel()
            self._sent.clear()


@contextlib.contextmanager
def sambil_konversi(
    sig: Any,
    passphrase: str | None,
    requests: dict[Path, SignRequest],
    workers: int,
    minimum: int,
    prepare: Callable[[], None],
) -> Iterator[Pratanda | None]:
    """Within the block, letters whose final PDF (a key of ``requests``) is written go to
    the signing pool at once; yields the :class:`Pratanda` (None when it does not apply:
    not the local CA, a passphrase, one core, fewer than ``minimum`` letters). ``prepare``
    makes sure the signer's certificate exists before the first letter goes out."""
    from connectors.pdf import on_converted
    from connectors.tte.local import LocalSigner

    if (
        not isinstance(sig, LocalSigner)
        or passphrase is not None
        or workers < 2
        or len(requests) < minimum
    ):
        yield None
        return
    from connectors.tte.pool import shared_pool

    prepare()
    pool = shared_pool(workers)
    pool.warm()
    pra = Pratanda(pool, sig.config(), {os.path.abspath(p): r for p, r in requests.items()})
    try:
        with on_converted(pra):
            yield pra
    except BaseException:
        pra.batal()
        raise
