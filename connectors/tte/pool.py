"""Signing a large bundle on every core, with processes that stay up between bundles.

PAdES signing is CPU-bound and independent per letter. :class:`SigningPool` keeps a few worker
processes (started with ``spawn``: the caller's threads, e.g. Prefect's, are never forked) and
in each worker one :class:`~connectors.tte.local.LocalSigner` per CA folder, so the official's
key, certificate, the time-stamping key and the signature container's size are prepared once
per worker for every bundle the process signs, not once per bundle. Letters go out in small
slices so the workers finish together; results come back in the order of the letters.

Only the local CA's unencrypted keys are signed here: a passphrase never leaves the process
that was given it, and BSrE's esign-client signs one call at a time.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from connectors.tte.model import SignRequest, SignResult

#: Letters per slice sent to a worker: small enough to balance two workers, large enough that
#: pickling the slice costs nothing next to signing it.
SLICE = 16

_signers: dict[str, Any] = {}  # in a worker: the signer's configuration -> LocalSigner


def _key(config: dict[str, Any]) -> str:
    return repr(sorted((k, str(v)) for k, v in config.items()))


def _sign_slice(config: dict[str, Any], items: list[tuple[bytes, SignRequest]]) -> list[SignResult]:
    """In a worker: sign with the signer ``config`` describes (its CA folder, its time-stamp
    authority), prepared once per worker and kept."""
    from connectors.tte.local import LocalSigner

    key = _key(config)
    signer = _signers.get(key)
    if signer is None:
        signer = _signers[key] = LocalSigner(**config)
    return signer.sign_batch(items)


def _watch_parent(parent: int) -> None:
    """In a worker: leave when the process that started the pool is gone (killed, or left
    through ``os._exit`` as the ``diklat`` command does), instead of waiting forever for
    work that will never come."""
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="signing-parent-watch", daemon=True).start()


def _warm() -> int:
    import connectors.tte.local  # noqa: F401  (pyHanko, cryptography: imported once)

    return os.getpid()


class SigningPool:
    """Worker processes signing slices of a bundle for the local CA (see the module text)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                ctx = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=ctx,
                    initializer=_watch_parent,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def warm(self) -> list[Future[int]]:
        """Start the workers and their imports now (e.g. while LibreOffice converts)."""
        pool = self._executor()
        return [pool.submit(_warm) for _ in range(self.workers)]

    def submit(
        self, config: dict[str, Any], items: Sequence[tuple[bytes, SignRequest]]
    ) -> list[Future[list[SignResult]]]:
        """Start signing ``items`` with the signer ``config`` describes
        (``LocalSigner.config()``): one future per slice, in order."""
        pool = self._executor()
        return [
            pool.submit(_sign_slice, config, list(items[i : i + SLICE]))
            for i in range(0, len(items), SLICE)
        ]

    def sign(
        self, config: dict[str, Any], items: Sequence[tuple[bytes, SignRequest]]
    ) -> list[SignResult]:
        """Sign ``items`` (one signer) on the workers; results in the order of ``items``.
        A refusal (no certificate, a key that is not RSA...) raises as it would in process."""
        futures = self.submit(config, items)
        try:
            return [r for f in futures for r in f.result()]
        except BaseException:
            for f in futures:
                f.cancel()
            raise

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None


_shared: SigningPool | None = None
_shared_lock = threading.Lock()


def shared_pool_running() -> bool:
    """Has this process started its signing pool (then even a small bundle goes to the
    workers, whose keys are prepared already)?"""
    return _shared is not None and _shared._pool is not None


def shared_pool(workers: int) -> SigningPool:
    """The process's one signing pool (created on first use, closed at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.workers != max(1, workers):
            if _shared is not None:
                _shared.close()
            _shared = SigningPool(workers)
            atexit.register(_shared.close)
        return _shared
