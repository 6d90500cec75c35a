"""DOCX -> PDF through LibreOffice in headless mode, one LibreOffice start per batch.

Starting ``soffice`` costs about a second and a half, and LibreOffice converts one large
document much faster than many small ones (measured for the project: 500 simple pages in
one file ~2 s, 100 one-page files in one call ~8 s; our letters, 250 merged in one file,
~3.5 s). So a batch is converted like this:

1. documents made from the same template (all zip members but ``word/document.xml``
   byte-identical, as the fast render path produces them) are **merged** into one DOCX:
   each document's body becomes its own section (new page, page numbers restart at 1) and
   gets a hidden bookmark ``DIKLATDOC<n>`` at its first paragraph;
2. all merged files (and any document that could not be merged) go to **one** ``soffice``
   call, with a private profile directory (``-env:UserInstallation``) so parallel runs do
   not collide, exporting bookmarks as PDF named destinations;
3. each merged PDF is **split** again with pypdf: the named destination of document *n*
   gives its first page, so every document gets exactly its own pages. LibreOffice converts
   the files of one call in order, so a merged PDF is split (on a thread) as soon as the next
   one appears, while LibreOffice works on. If a destination
   is missing the affected documents are converted one by one instead (correct, slower).

Where Debian's ``python3-uno`` is installed, the LibreOffice started for a batch is **kept
running** for the process's next batches (:class:`_Kantor`, through the bridge
``connectors/lo_bridge.py`` run by the system's Python): a training converts about twenty
batches, and each ``soffice`` start costs 1-1.5 s. Without it (or with ``DIKLAT_PDF_BRIDGE=0``)
every batch starts its own ``soffice``; a bridge that fails is replaced by that.

Where LibreOffice is absent, :func:`convert_batch` returns ``None`` after a clear warning
(the caller keeps the DOCX files); :class:`PdfConverter` raises
:class:`LibreOfficeUnavailable`. ``DIKLAT_SOFFICE`` points at a specific binary.

Work folders hold letter text (and NIPs): each conversion works in a private (0700) folder
``diklat-pdf-<host>-<pid>-<start>-<random>`` under the ``work_root`` its caller passes (the
product passes a folder under its var folder, see ``diklat.clients.pdf_work_root``; the
system's temporary folder when none is given), removed when the conversion ends. A
conversion killed with SIGKILL cannot remove its folder, so every new conversion first
removes the folders under its root whose owning process is gone from this host
(:func:`bersihkan_sisa`), stopping the LibreOffice that such a process left running.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import functools
import hashlib
import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from lxml import etree

from connectors import proses

log = logging.getLogger(__name__)

#: The name of every conversion's work folder begins with this.
WORK_PREFIX = "diklat-pdf-"

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"
MARK = "DIKLATDOC"
#: The signature anchors: each run of the template's marker (``#TTE#``, tiny and white in the
#: signature block) is emptied when merged and bookmarked ``DIKLATTANDA<n><k>`` (document n,
#: its k-th anchor), which LibreOffice exports as a named destination at the marker's place;
#: each split letter keeps them as ``ANCHOR_DEST + <k>`` (``DIKLATTANDA000``, ...). The signer
#: then finds every box without reading the page's text, and there is no marker text to take
#: out of the signed letter's text layer. A document whose marker shares its run with other
#: text keeps its marker text and gets the older single bookmark ``DIKLATTTE<n>``
#: (:data:`ANCHOR_DEST_TEKS`), found with the text as before.
ANCHOR_MARK = "DIKLATTANDA"
ANCHOR_DEST = "DIKLATTANDA"
ANCHOR_MARK_TEKS = "DIKLATTTE"
ANCHOR_DEST_TEKS = "DIKLATTTE"
ANCHOR_TEXT = "#TTE#"
DOCUMENT_XML = "word/document.xml"
# Parts that may differ between documents of one template without stopping a merge.
_IGNORED_FOR_MERGE = {DOCUMENT_XML, "docProps/core.xml", "docProps/app.xml"}

_PDF_FILTER = "pdf:writer_pdf_Export:" + json.dumps(
    {"ExportBookmarksToPDFDestination": {"type": "boolean", "value": "true"}}
)


#: Documents per merged file. LibreOffice's time per page grows with the document (500
#: two-page summonses, alternating runs on the loaded 2-core machine: 26-30 s in files of 250,
#: 17-22 s in files of 50 or 100), and smaller files let each one be split while the next
#: converts.
CHUNK = 100


#: Listeners told of every PDF a converter made in this context has just written (see
#: :func:`on_converted`).
_listeners: ContextVar[tuple[Callable[[list[Path]], None], ...]] = ContextVar(
    "diklat_pdf_listeners", default=()
)


@contextlib.contextmanager
def on_converted(fn: Callable[[list[Path]], None]) -> Iterator[None]:
    """Within the block, every :class:`PdfConverter` created calls ``fn(paths)`` with the PDFs
    it has just written, as they are ready (a merged file's letters once it is split, from
    the splitting thread), so a caller can start on them while LibreOffice works on. A
    listener that fails is logged and never stops the conversion."""
    token = _listeners.set((*_listeners.get(), fn))
    try:
        yield
    finally:
        _listeners.reset(token)


class LibreOfficeUnavailable(RuntimeError):
    """No usable ``soffice`` on this machine."""


class ConversionError(RuntimeError):
    """LibreOffice ran but did not produce the expected PDF."""


def find_soffice() -> str | None:
    """Path of the LibreOffice binary: ``$DIKLAT_SOFFICE`` or ``soffice``/``libreoffice``
    on the PATH; ``None`` when there is none."""
    env = os.environ.get("DIKLAT_SOFFICE")
    if env is not None:
        return env if env and os.access(env, os.X_OK) and Path(env).is_file() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return None


def available() -> bool:
    return find_soffice() is not None


#: Fonts with the same metrics as the Office fonts (Debian fonts-liberation2,
#: fonts-crosextra-carlito/caladea): a document set in the original keeps its line breaks.
METRIC_COMPATIBLE = {
    "arial": "liberation sans",
    "helvetica": "liberation sans",
    "times new roman": "liberation serif",
    "courier new": "liberation mono",
    "calibri": "carlito",
    "cambria": "caladea",
}


def font_substitute(family: str) -> str | None:
    """The font LibreOffice will use instead of ``family`` when ``family`` is not installed
    (fontconfig's best match), ``None`` when it is installed, when the substitute has the same
    metrics (Arial -> Liberation Sans) or when fontconfig is absent."""
    fc = shutil.which("fc-match")
    if fc is None:
        return None
    try:
        out = subprocess.run(
            [fc, "-f", "%{family}", family], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    names = [n.strip() for n in out.split(",") if n.strip()]
    wanted = family.strip().lower()
    if not names or any(n.lower() in (wanted, METRIC_COMPATIBLE.get(wanted)) for n in names):
        return None
    return names[0]


@dataclass
class BatchStats:
    documents: int = 0
    merged_files: int = 0
    soffice_calls: int = 0
    fallback_documents: int = 0
    seconds: float = 0.0


class PdfConverter:
    """Converts batches of DOCX files with one private LibreOffice profile.

    Use as a context manager; the profile directory is removed on exit."""

    def __init__(
        self,
        soffice: str | None = None,
        *,
        chunk_size: int = CHUNK,
        timeout_base: float = 120.0,
        timeout_per_doc: float = 1.0,
        work_dir: Path | None = None,
        work_root: Path | None = None,
        merge: bool = True,
        workers: int = 1,
        kept: bool = True,
    ) -> None:
        binary = soffice or find_soffice()
        if not binary:
            raise LibreOfficeUnavailable(
                "LibreOffice (soffice) tidak ditemukan; pasang libreoffice-writer-nogui "
                "atau atur DIKLAT_SOFFICE"
            )
        self.soffice = binary
        self.chunk_size = chunk_size
        self.merge = merge  # False: every document converted on its own (still one call)
        self.kept = kept  # False: a soffice of its own even where one is kept running
        # >1: that many LibreOffice processes side by side, each with its own profile.
        # On the 2-core development machine under load this was slower (LibreOffice is
        # already busy on both cores), hence the default of one.
        self.workers = max(1, workers)
        self._stats_lock = threading.Lock()
        self.timeout_base = timeout_base
        self.timeout_per_doc = timeout_per_doc
        self._own_tmp = work_dir is None
        if work_dir is None:
            root = Path(work_root) if work_root is not None else Path(tempfile.gettempdir())
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
            bersihkan_sisa(root)
            work_dir = Path(
                tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{proses.owner_tag()}-", dir=root)
            )
        self.tmp = Path(work_dir)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.profile = self.tmp / "lo-profile"
        self.stats = BatchStats()
        self._seq = 0
        self._listeners = _listeners.get()

    def __enter__(self) -> PdfConverter:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------------ public

    def convert(self, docx_paths: Sequence[Path], out_dir: Path) -> list[Path]:
        """One PDF per DOCX (same stem) in ``out_dir``, in input order."""
        t0 = time.perf_counter()
        paths = [Path(p) for p in docx_paths]
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        stems = [p.stem for p in paths]
        if len(set(stems)) != len(stems):
            raise ValueError("nama berkas DOCX dalam satu batch harus unik")
        targets = [out / f"{s}.pdf" for s in stems]
        if not paths:
            return []
        self._seq += 1
        job = self.tmp / f"job{self._seq}"
        job.mkdir()
        try:
            groups = self._groups(paths)
            inputs: list[Path] = []
            merged: list[tuple[Path, list[int]]] = []  # merged file, indexes of its documents
            singles: list[tuple[Path, int]] = []
            for idxs in groups:
                if len(idxs) == 1:
                    link = job / f"s{idxs[0]:06d}.docx"
                    shutil.copyfile(paths[idxs[0]], link)
                    singles.append((link, idxs[0]))
                    inputs.append(link)
                    continue
                for chunk in self._chunks(idxs):
                    m = job / f"m{chunk[0]:06d}.docx"
                    merge_docx([paths[i] for i in chunk], m)
                    merged.append((m, chunk))
                    inputs.append(m)
            # Each merged PDF is split as soon as LibreOffice is done with it (it converts
            # its inputs one after the other), on a thread while it converts the next one.
            chunk_of = {m.with_suffix(".pdf"): chunk for m, chunk in merged}
            splits: dict[Path, Future[bool]] = {}
            split_lock = threading.Lock()

            def ready(pdf: Path) -> None:
                chunk = chunk_of.get(pdf)
                with split_lock:
                    if chunk is not None and pdf not in splits:
                        splits[pdf] = splitter.submit(self._split, pdf, [targets[i] for i in chunk])

            with ThreadPoolExecutor(1, thread_name_prefix="pdf-split") as splitter:
                try:
                    self._run(inputs, job, len(paths), on_ready=ready)
                except BaseException:
                    for f in splits.values():
                        f.cancel()
                    raise
                retry: list[int] = []
                for m, chunk in merged:
                    pdf = m.with_suffix(".pdf")
                    if not pdf.is_file():
                        raise ConversionError(f"LibreOffice tidak menghasilkan {pdf.name}")
                    ready(pdf)
                    ok = splits[pdf].result()
                    if not ok:
                        log.warning(
                            "penanda halaman tidak lengkap di %s; dikonversi satu per satu",
                            pdf.name,
                        )
                        retry.extend(chunk)
                    else:
                        self.stats.merged_files += 1
            for link, i in singles:
                pdf = link.with_suffix(".pdf")
                if not pdf.is_file():
                    raise ConversionError(f"LibreOffice gagal mengonversi {paths[i].name}")
                shutil.move(str(pdf), targets[i])
                self._tell([targets[i]])
            if retry:
                self.stats.fallback_documents += len(retry)
                rjob = job / "retry"
                rjob.mkdir()
                links = []
                for i in retry:
                    link = rjob / f"r{i:06d}.docx"
                    shutil.copyfile(paths[i], link)
                    links.append(link)
                self._run(links, rjob, len(links))
                for link, i in zip(links, retry, strict=True):
                    pdf = link.with_suffix(".pdf")
                    if not pdf.is_file():
                        raise ConversionError(f"LibreOffice gagal mengonversi {paths[i].name}")
                    shutil.move(str(pdf), targets[i])
                self._tell([targets[i] for i in retry])
        finally:
            shutil.rmtree(job, ignore_errors=True)
        self.stats.documents += len(paths)
        self.stats.seconds += time.perf_counter() - t0
        return targets

    # ------------------------------------------------------------------ internals

    def _split(self, pdf: Path, targets: list[Path]) -> bool:
        ok = split_pdf(pdf, targets)
        if ok:
            self._tell(targets)
        return ok

    def _tell(self, written: list[Path]) -> None:
        for fn in self._listeners:
            try:
                fn(written)
            except Exception:
                log.warning("pendengar konversi PDF gagal", exc_info=True)

    def _groups(self, paths: list[Path]) -> list[list[int]]:
        """Indexes of documents that share everything but their body (mergeable)."""
        if not self.merge:
            return [[i] for i in range(len(paths))]
        by_sig: dict[str, list[int]] = {}
        for i, p in enumerate(paths):
            by_sig.setdefault(_package_signature(p), []).append(i)
        return list(by_sig.values())

    def _chunks(self, idxs: list[int]) -> list[list[int]]:
        """Even chunks of at most ``chunk_size``; at least one per worker when there are
        enough documents, so parallel LibreOffice processes get similar work."""
        n = -(-len(idxs) // self.chunk_size)
        if self.workers > 1 and len(idxs) >= 2 * self.workers:
            n = -(-max(n, self.workers) // self.workers) * self.workers
        size = -(-len(idxs) // n)
        return [idxs[k : k + size] for k in range(0, len(idxs), size)]

    def _run(
        self,
        inputs: list[Path],
        outdir: Path,
        documents: int,
        on_ready: Callable[[Path], None] | None = None,
    ) -> None:
        if not inputs:
            return
        timeout = self.timeout_base + self.timeout_per_doc * documents
        k = min(self.workers, len(inputs))
        if k == 1:
            self._run_one(inputs, outdir, self.profile, timeout, on_ready)
            return
        parts = [inputs[i::k] for i in range(k)]
        with ThreadPoolExecutor(k) as pool:
            futures = [
                pool.submit(
                    self._run_one, part, outdir, self.tmp / f"lo-profile-{i}", timeout, on_ready
                )
                for i, part in enumerate(parts)
            ]
            for f in futures:
                f.result()

    def _run_one(
        self,
        inputs: list[Path],
        outdir: Path,
        profile: Path,
        timeout: float,
        on_ready: Callable[[Path], None] | None = None,
    ) -> None:
        """One conversion: by the LibreOffice kept running when there is one (each PDF
        announced to ``on_ready`` once written), else one ``soffice`` call. LibreOffice
        converts its inputs in order, so once the PDF of input *i+1* appears, the PDF of input
        *i* is complete: ``on_ready`` gets it then (the last ones are the caller's once the
        call has returned)."""
        kantor = _kantor(self.soffice) if self.kept and profile == self.profile else None
        if kantor is not None:
            try:
                kantor.convert(inputs, outdir, self.tmp, timeout, on_ready)
                with self._stats_lock:
                    self.stats.soffice_calls += 1
                return
            except _KantorMati as e:  # LibreOffice died under it: the rest the old way
                log.warning(
                    "LibreOffice yang tetap berjalan berhenti (%s); sisa batch ini dengan "
                    "soffice tersendiri",
                    e,
                )
                # what it wrote is the caller's already (a split may be reading it now)
                inputs = [p for p in inputs if outdir / f"{p.stem}.pdf" not in e.selesai]
                if not inputs:
                    return
        cmd = [
            self.soffice,
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--convert-to",
            _PDF_FILTER,
            "--outdir",
            str(outdir),
            *map(str, inputs),
        ]
        env = dict(os.environ, SAL_USE_VCLPLUGIN="svp")
        outs = [outdir / f"{p.stem}.pdf" for p in inputs]
        announced = 0
        with tempfile.TemporaryFile() as log_out:
            # Its own process group: on a timeout the whole group goes (soffice is a wrapper
            # around soffice.bin, which would otherwise be left running). Output to a file,
            # not a pipe: nothing reads it while we watch the PDFs appear.
            proc = subprocess.Popen(
                cmd, stdout=log_out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
            # Named in the work folder: if this process is killed, the next conversion
            # stops it.
            marker = self.tmp / f"soffice-{proses.owner_tag(proc.pid)}"
            with contextlib.suppress(OSError):
                marker.touch()
            deadline = time.monotonic() + timeout
            try:
                while True:
                    try:
                        proc.wait(timeout=0.05)
                        break
                    except subprocess.TimeoutExpired:
                        pass
                    if time.monotonic() > deadline:
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait()
                        raise ConversionError(
                            f"LibreOffice tidak selesai dalam {timeout:.0f} detik"
                        )
                    while (
                        on_ready is not None
                        and announced + 1 < len(outs)
                        and outs[announced + 1].exists()
                    ):
                        on_ready(outs[announced])
                        announced += 1
            except BaseException:
                if proc.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                raise
            finally:
                marker.unlink(missing_ok=True)
            log_out.seek(0)
            text = log_out.read().decode("utf-8", "replace")
        with self._stats_lock:
            self.stats.soffice_calls += 1
        if proc.returncode != 0:
            raise ConversionError(f"soffice keluar dengan kode {proc.returncode}: {text[-500:]}")


# --------------------------------------------------------------------- kept LibreOffice

_BRIDGE = Path(__file__).with_name("lo_bridge.py")
#: Inputs one kept LibreOffice converts before it is replaced by a fresh one (its memory
#: grows a little with every document it opened).
KANTOR_MAX_INPUTS = 200
_kantor_lock = threading.Lock()
_kantor_now: dict[str, _Kantor] = {}
_kantor_broken: set[str] = set()
#: How many times this process started a kept LibreOffice (for tests and benchmarks).
kantor_starts = 0


class _KantorMati(RuntimeError):
    """The kept LibreOffice (or its bridge) ended during a request; ``selesai``: the PDFs
    it had written by then (already handed to the caller)."""

    def __init__(self, message: str, selesai: frozenset[Path] = frozenset()) -> None:
        super().__init__(message)
        self.selesai = selesai


@functools.cache
def uno_python() -> str | None:
    """A Python that can ``import uno`` (``$DIKLAT_UNO_PYTHON``, else the system's
    ``/usr/bin/python3`` with Debian's ``python3-uno``, else LibreOffice's own); ``None``
    when there is none. Asked once per process."""
    env = os.environ.get("DIKLAT_UNO_PYTHON")
    for c in [env] if env else ["/usr/bin/python3", "/usr/lib/libreoffice/program/python"]:
        if c and os.access(c, os.X_OK):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                if (
                    subprocess.run(
                        [c, "-c", "import uno"], capture_output=True, timeout=30
                    ).returncode
                    == 0
                ):
                    return c
    return None


def _kantor(soffice: str) -> _Kantor | None:
    """This process's kept LibreOffice for ``soffice``, started on first use; ``None`` when
    turned off, impossible here (no ``uno``, not a LibreOffice installation) or failed to
    start once (then every batch starts its own ``soffice``, as without it)."""
    global kantor_starts
    if os.environ.get("DIKLAT_PDF_BRIDGE", "1") == "0":
        return None
    real = Path(soffice).resolve()
    if real.parent.name != "program":  # a wrapper or a stand-in, not an installation
        return None
    key = str(real)
    with _kantor_lock:
        k = _kantor_now.get(key)
        if k is not None and (not k.hidup() or k.inputs >= KANTOR_MAX_INPUTS):
            k.close()
            del _kantor_now[key]
            k = None
        if k is not None or key in _kantor_broken:
            return k
        python = uno_python()
        if python is None:
            _kantor_broken.add(key)
            return None
        try:
            k = _Kantor(python, soffice)
        except _KantorMati as e:
            log.warning(
                "LibreOffice tidak dapat dijalankan tetap (%s); setiap batch memulai "
                "soffice sendiri",
                e,
            )
            _kantor_broken.add(key)
            return None
        kantor_starts += 1
        _kantor_now[key] = k
        return k


def tutup_kantor() -> None:
    """Stop this process's kept LibreOffice (at exit; tests)."""
    with _kantor_lock:
        for k in _kantor_now.values():
            k.close()
        _kantor_now.clear()


atexit.register(tutup_kantor)


class _Kantor:
    """One LibreOffice kept running behind ``lo_bridge.py``, with its profile in a private
    work folder named for this process (so :func:`bersihkan_sisa` removes it, and stops the
    bridge's process group, when this process died without closing it). The bridge stops
    LibreOffice itself when this process ends (its stdin closes). One request at a time."""

    START_SECONDS = 120.0

    def __init__(self, python: str, soffice: str) -> None:
        root = Path(tempfile.gettempdir())
        bersihkan_sisa(root)
        self.folder = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{proses.owner_tag()}-", dir=root))
        self.inputs = 0
        self._lock = threading.Lock()
        self._lines: queue.Queue[str | None] = queue.Queue()
        log_path = self.folder / "libreoffice.log"
        with log_path.open("wb") as lo_log:
            # Its own session: Ctrl-C in a terminal reaches this process, not LibreOffice;
            # stdin closing (this process gone) is what stops it.
            self.proc = subprocess.Popen(
                [python, str(_BRIDGE), soffice, (self.folder / "profil").as_uri()],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=lo_log,
                text=True,
                bufsize=1,
                start_new_session=True,
                close_fds=True,
                env=dict(os.environ, SAL_USE_VCLPLUGIN="svp"),
            )
        self.marker = self.folder / f"soffice-{proses.owner_tag(self.proc.pid)}"
        with contextlib.suppress(OSError):
            self.marker.touch()
        threading.Thread(target=self._read, name="pdf-kantor", daemon=True).start()
        try:
            first = self._next(time.monotonic() + self.START_SECONDS)
        except _KantorMati:
            first = None
        if first is None or not first.get("ready"):
            tail = log_path.read_text(errors="replace")[-300:] if log_path.exists() else ""
            self.close()
            raise _KantorMati(str((first or {}).get("fatal") or f"jembatan berhenti: {tail}"))

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _next(self, deadline: float) -> dict[str, object]:
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError from None
            if line is None:
                raise _KantorMati(f"kode {self.proc.poll()}")
            with contextlib.suppress(ValueError):
                msg = json.loads(line)
                if isinstance(msg, dict):
                    return msg

    def hidup(self) -> bool:
        return self.proc.poll() is None

    def convert(
        self,
        inputs: list[Path],
        outdir: Path,
        work: Path,
        timeout: float,
        on_ready: Callable[[Path], None] | None,
    ) -> None:
        """Convert ``inputs`` into ``outdir``, telling ``on_ready`` of each PDF once written.
        A document LibreOffice could not convert simply has no PDF (the caller says which);
        on a timeout LibreOffice is stopped and :class:`ConversionError` raised."""
        with self._lock:
            if not self.hidup():
                raise _KantorMati(f"kode {self.proc.returncode}")
            self.inputs += len(inputs)
            # the conversion's own folder names the bridge too: a process killed now leaves
            # a marker the next conversion's clean-up stops it by
            marker = work / self.marker.name
            with contextlib.suppress(OSError):
                marker.touch()
            try:
                assert self.proc.stdin is not None
                try:
                    self.proc.stdin.write(
                        json.dumps({"inputs": [str(p) for p in inputs], "outdir": str(outdir)})
                        + "\n"
                    )
                    self.proc.stdin.flush()
                except (BrokenPipeError, OSError) as e:
                    raise _KantorMati(type(e).__name__) from e
                deadline = time.monotonic() + timeout
                done: set[Path] = set()
                while True:
                    try:
                        msg = self._next(deadline)
                    except _KantorMati as e:
                        raise _KantorMati(str(e), frozenset(done)) from None
                    except TimeoutError:
                        self.close()
                        raise ConversionError(
                            f"LibreOffice tidak selesai dalam {timeout:.0f} detik"
                        ) from None
                    if msg.get("end"):
                        return
                    if msg.get("done"):
                        done.add(Path(str(msg["done"])))
                        if on_ready is not None:
                            on_ready(Path(str(msg["done"])))
                    elif msg.get("failed"):
                        log.warning(
                            "LibreOffice gagal mengonversi %s: %s",
                            Path(str(msg["failed"])).name,
                            msg.get("error"),
                        )
            finally:
                marker.unlink(missing_ok=True)

    def close(self) -> None:
        """Close the bridge's stdin (it stops LibreOffice and exits); after 15 s its whole
        process group is killed. The work folder goes."""
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # LibreOffice too, whatever it does
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.marker.unlink(missing_ok=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def bersihkan_sisa(root: Path) -> list[Path]:
    """Remove the work folders under ``root`` left by conversions whose process is gone from
    this host (killed with SIGKILL, power cut), after stopping the LibreOffice such a
    conversion left running. Folders of live processes, of other hosts and of other programs
    are left alone. Returns the folders removed."""
    removed: list[Path] = []
    try:
        candidates = [p for p in root.iterdir() if p.name.startswith(WORK_PREFIX)]
    except OSError:
        return removed
    for folder in candidates:
        owner = folder.name[len(WORK_PREFIX) :].rsplit("-", 1)[0]
        if not folder.is_dir() or folder.is_symlink() or not proses.tag_gone(owner):
            continue
        for marker in folder.glob("soffice-*"):
            tag = marker.name.removeprefix("soffice-")
            parts = tag.split("-")
            if (
                len(parts) == 3
                and parts[1].isdigit()
                and not proses.tag_gone(tag)
                and proses.pid_alive(int(parts[1]))
            ):
                # the orphaned LibreOffice of the dead conversion (its own process group)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(int(parts[1]), signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
    if removed:
        log.info("removed %d work folders of conversions that were killed", len(removed))
    return removed


def _package_signature(path: Path) -> str:
    h = hashlib.sha256()
    with zipfile.ZipFile(path) as z:
        infos = sorted(z.infolist(), key=lambda i: i.filename)
        if DOCUMENT_XML not in {i.filename for i in infos}:
            return f"unique:{path}"
        for i in infos:
            if i.filename in _IGNORED_FOR_MERGE:
                continue
            # name, CRC and size from the central directory: no need to inflate anything
            h.update(f"{i.filename}\0{i.CRC:08x}\0{i.file_size}\n".encode())
    return h.hexdigest()


def merge_docx(paths: Sequence[Path], target: Path) -> Path:
    """Concatenate documents of one template: each body its own section, bookmarked."""
    with zipfile.ZipFile(paths[0]) as z0:
        infos = z0.infolist()
        base = {i.filename: z0.read(i.filename) for i in infos}
    root = etree.fromstring(base[DOCUMENT_XML])
    body = root.find(f"{_W}body")
    if body is None:
        raise ValueError(f"{paths[0]} has no document body")
    for child in list(body):
        body.remove(child)
    final_sect = None
    for n, p in enumerate(paths):
        with zipfile.ZipFile(p) as z:
            doc = etree.fromstring(z.read(DOCUMENT_XML))
        b = doc.find(f"{_W}body")
        if b is None:
            raise ValueError(f"{p} has no document body")
        children = list(b)
        sect = children[-1] if children and children[-1].tag == f"{_W}sectPr" else None
        content = children[:-1] if sect is not None else children
        if sect is None:
            sect = etree.Element(f"{_W}sectPr")
        _restart_page_numbers(content, sect)
        first_p = next((el for c in content for el in c.iter(f"{_W}p")), None)
        if first_p is None:
            first_p = etree.Element(f"{_W}p")
            content.insert(0, first_p)
        _bookmark(first_p, n)
        _anchor_bookmark(content, n)
        last = n == len(paths) - 1
        if not last:
            holder = content[-1] if content and content[-1].tag == f"{_W}p" else None
            if holder is None:
                holder = etree.Element(f"{_W}p")
                content.append(holder)
            ppr = holder.find(f"{_W}pPr")
            if ppr is None:
                ppr = etree.Element(f"{_W}pPr")
                holder.insert(0, ppr)
            old = ppr.find(f"{_W}sectPr")
            if old is not None:
                ppr.remove(old)
            ppr.append(copy.deepcopy(sect))
        else:
            final_sect = sect
        for c in content:
            body.append(c)
    if final_sect is not None:
        body.append(final_sect)
    base[DOCUMENT_XML] = etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", standalone=True
    )
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in infos:
            zout.writestr(info.filename, base[info.filename])
    return target


def _restart_page_numbers(content: list[etree._Element], final: etree._Element) -> None:
    """Page numbers of every document start at 1 (its first section restarts them)."""
    first = next((s for c in content for s in c.iter(f"{_W}sectPr")), final)
    pg = first.find(f"{_W}pgNumType")
    if pg is None:
        pg = etree.SubElement(first, f"{_W}pgNumType")
        # schema order: pgNumType comes after pgMar/pgSz/paperSrc/pgBorders/lnNumType
        anchor = None
        for tag in ("lnNumType", "pgBorders", "paperSrc", "pgMar", "pgSz"):
            anchor = first.find(f"{_W}{tag}")
            if anchor is not None:
                break
        first.remove(pg)
        if anchor is not None:
            anchor.addnext(pg)
        else:
            first.insert(0, pg)
    pg.set(f"{_W}start", "1")


def _bookmark(p: etree._Element, n: int) -> None:
    start = etree.Element(f"{_W}bookmarkStart")
    start.set(f"{_W}id", str(900000 + n))
    start.set(f"{_W}name", f"{MARK}{n:06d}")
    end = etree.Element(f"{_W}bookmarkEnd")
    end.set(f"{_W}id", str(900000 + n))
    ppr = p.find(f"{_W}pPr")
    pos = 1 if ppr is not None else 0
    p.insert(pos, end)
    p.insert(pos, start)


def _anchor_bookmark(content: list[etree._Element], n: int) -> None:
    """The signature anchors of document ``n``: every run whose whole text is the marker is
    emptied and bookmarked ``DIKLATTANDA<n><k>``; if a marker shares its run with other text,
    the first marker run is bookmarked ``DIKLATTTE<n>`` instead and the text left as it is."""
    runs: list[etree._Element] = []
    for c in content:
        for t in c.iter(f"{_W}t"):
            if not (t.text and ANCHOR_TEXT in t.text):
                continue
            run = t.getparent()
            if run is None or run.tag != f"{_W}r" or run.getparent() is None:
                return
            if t.text.strip() != ANCHOR_TEXT or len(run.findall(f"{_W}t")) != 1:
                _wrap_bookmark(runs[0] if runs else run, 800000 + n, f"{ANCHOR_MARK_TEKS}{n:06d}")
                return
            runs.append(run)
    for k, run in enumerate(runs):
        t = run.find(f"{_W}t")
        if t is not None:
            t.text = ""
        _wrap_bookmark(run, 700000 + n * 100 + k, f"{ANCHOR_MARK}{n:06d}{k:03d}")


def _wrap_bookmark(run: etree._Element, ident: int, name: str) -> None:
    start = etree.Element(f"{_W}bookmarkStart")
    start.set(f"{_W}id", str(ident))
    start.set(f"{_W}name", name)
    end = etree.Element(f"{_W}bookmarkEnd")
    end.set(f"{_W}id", str(ident))
    run.addprevious(start)
    run.addnext(end)


def split_pdf(pdf: Path, targets: Sequence[Path]) -> bool:
    """Split a merged PDF by its ``DIKLATDOC<n>`` destinations into ``targets``.
    False (nothing written) when the destinations do not account for every document.
    A document's signature anchors (``DIKLATTANDA<n><k>``, or the older ``DIKLATTTE<n>``) go
    along as named destinations of its own PDF (:data:`ANCHOR_DEST` ``+ <k>``, or
    :data:`ANCHOR_DEST_TEKS`). With poppler, the merged PDF's text layer is read once and each
    document's pages are kept for :func:`teks_pdf` (:func:`_ingat_teks`)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import Destination, Fit

    reader = PdfReader(str(pdf))
    starts: dict[int, int] = {}
    # document -> its anchors: (name in its own PDF, page, left, top)
    anchors: dict[int, list[tuple[str, int, float, float]]] = {}
    for name, dest in reader.named_destinations.items():
        key = str(name).lstrip("/")
        for mark in (MARK, ANCHOR_MARK, ANCHOR_MARK_TEKS):
            if not key.startswith(mark):
                continue
            try:
                page = reader.get_destination_page_number(dest)
                if page is None:
                    continue
                rest = key[len(mark) :]
                if mark == MARK:
                    starts[int(rest)] = page
                    continue
                if mark == ANCHOR_MARK:
                    n, own = int(rest[:6]), f"{ANCHOR_DEST}{int(rest[6:]):03d}"
                else:
                    n, own = int(rest), ANCHOR_DEST_TEKS
                at = (own, page, float(dest.left or 0), float(dest.top or 0))
                anchors.setdefault(n, []).append(at)
            except (ValueError, TypeError, AttributeError):
                continue
    order = [starts.get(n) for n in range(len(targets))]
    if any(s is None for s in order):
        return False
    first = [s for s in order if s is not None]
    if first[0] != 0 or any(b <= a for a, b in zip(first, first[1:], strict=False)):
        return False
    bounds = [*first, len(reader.pages)]
    for n, target in enumerate(targets):
        w = PdfWriter()
        for k in range(bounds[n], bounds[n + 1]):
            w.add_page(reader.pages[k])
        for own, page, left, top in sorted(anchors.get(n, [])):
            if not bounds[n] <= page < bounds[n + 1]:
                continue
            on = w.pages[page - bounds[n]]
            w.add_named_destination_object(
                Destination(own, on.indirect_reference, Fit.xyz(left, top))  # type: ignore[arg-type]
            )
        tmp = Path(str(target) + ".tmp")
        with open(tmp, "wb") as fh:
            w.write(fh)
        tmp.replace(target)
    _ingat_teks(pdf, bounds, targets)
    return True


#: Text layers of split PDFs, read from their merged PDF with one ``pdftotext`` when they
#: were split: path -> (size, mtime in ns, text). :func:`teks_pdf` uses an entry only while
#: the file still has that size and time (a file written again is read again).
_TEKS: dict[str, tuple[int, int, str]] = {}
_TEKS_LOCK = threading.Lock()
_TEKS_MAX = 20_000


def _ingat_teks(pdf: Path, bounds: Sequence[int], targets: Sequence[Path]) -> None:
    """Read ``pdf``'s text once and keep each target's pages (bounds as :func:`split_pdf`
    found them). Nothing is kept where poppler is absent or the pages do not add up."""
    exe = _pdftotext()
    if exe is None:
        return
    try:
        pages = _teks_poppler(exe, pdf).split("\f")
    except (ConversionError, OSError, subprocess.SubprocessError):
        return
    if len(pages) != bounds[-1] + 1 or pages[-1] != "":
        return  # pdftotext ends every page with a form feed; anything else is not trusted
    kept = {}
    for n, target in enumerate(targets):
        try:
            st = target.stat()
        except OSError:
            continue
        text = "".join(page + "\f" for page in pages[bounds[n] : bounds[n + 1]])
        kept[str(target)] = (st.st_size, st.st_mtime_ns, text)
    with _TEKS_LOCK:
        while _TEKS and len(_TEKS) + len(kept) > _TEKS_MAX:
            del _TEKS[next(iter(_TEKS))]
        _TEKS.update(kept)


def _teks_diingat(pdf: Path) -> str | None:
    with _TEKS_LOCK:
        hit = _TEKS.get(str(pdf))
    if hit is None:
        return None
    try:
        st = pdf.stat()
    except OSError:
        return None
    return hit[2] if (st.st_size, st.st_mtime_ns) == hit[:2] else None


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)


def convert_batch(
    docx_paths: Sequence[Path], out_dir: Path, work_root: Path | None = None
) -> list[Path] | None:
    """Convert a batch (working under ``work_root``, see the module docstring); ``None``
    (and a warning) when LibreOffice is not installed."""
    try:
        conv = PdfConverter(work_root=work_root)
    except LibreOfficeUnavailable as e:
        log.warning("%s: hanya DOCX yang dihasilkan", e)
        return None
    with conv:
        return conv.convert(docx_paths, out_dir)


def _pdftotext() -> str | None:
    return shutil.which("pdftotext")


def pembaca_teks() -> str:
    """Which reader :func:`teks_pdf` uses here: ``"poppler"`` or ``"pypdf"`` (texts are
    comparable only when read by the same one)."""
    return "poppler" if _pdftotext() is not None else "pypdf"


def _teks_pypdf(pdf: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    return "\f".join(page.extract_text() or "" for page in reader.pages)


def _teks_poppler(exe: str, pdf: Path) -> str:
    done = subprocess.run(
        [exe, "-q", "-raw", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise ConversionError(
            f"pdftotext gagal membaca {pdf.name}: "
            + done.stderr.decode(errors="replace").strip()[:200]
        )
    return done.stdout.decode("utf-8", errors="replace")


def teks_pdf(pdfs: Sequence[Path], *, pypdf: bool = False) -> list[str]:
    """The text layer of each PDF, pages separated by form feeds, in the order given.

    Read with poppler's ``pdftotext -raw`` (C, far faster than pypdf's text extraction on
    these letters): a PDF this process split from a merged conversion has its pages' text
    from the one read of the merged PDF (while its size and time are unchanged); any other
    one process per file, as many at once as there are cores; with pypdf
    where poppler is not installed or ``pypdf`` is asked for. Both keep the content stream's
    order, so a line that only grows (a date filled into its blank) stays where it was; the
    default, physical order of ``pdftotext`` moves a right-aligned date line elsewhere. Compare
    only texts read the same way: the two readers lay out spaces and lines differently."""
    exe = None if pypdf else _pdftotext()
    if not pdfs:
        return []
    if exe is None:
        return [_teks_pypdf(p) for p in pdfs]
    out: list[str | None] = [_teks_diingat(p) for p in pdfs]
    todo = [i for i, t in enumerate(out) if t is None]
    if len(todo) == 1:
        out[todo[0]] = _teks_poppler(exe, pdfs[todo[0]])
    elif todo:
        with ThreadPoolExecutor(max_workers=min(len(todo), (os.cpu_count() or 1) + 1)) as pool:
            for i, t in zip(
                todo, pool.map(lambda i: _teks_poppler(exe, pdfs[i]), todo), strict=True
            ):
                out[i] = t
    return [t or "" for t in out]


def gabung_pdf(pdfs: Sequence[Path], target: Path) -> Path:
    """One PDF of ``pdfs`` in order, written atomically: poppler's ``pdfunite`` (C, about
    three times faster than pypdf on a bundle of 500 letters with their fonts), pypdf where
    poppler is not installed."""
    tmp = Path(str(target) + ".tmp")
    exe = shutil.which("pdfunite")
    if exe is not None and len(pdfs) > 1:
        done = subprocess.run(
            [exe, *map(str, pdfs), str(tmp)], capture_output=True, timeout=600, check=False
        )
        if done.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise ConversionError(
                "pdfunite gagal: " + done.stderr.decode(errors="replace").strip()[:200]
            )
    else:
        from pypdf import PdfWriter

        w = PdfWriter()
        for p in pdfs:
            w.append(str(p))
        with open(tmp, "wb") as fh:
            w.write(fh)
    tmp.replace(target)
    return target
