"""A content-addressed file store over fsspec: the archive's bytes, named by their SHA-256.

Rules:

* a file's address is its SHA-256: ``<root>/sha256/ab/cd/abcd…`` (two fan-out levels keep
  folders small); the same content always lands at the same address;
* :meth:`ContentStore.put` writes atomically: the bytes go to a temporary file under
  ``<root>/.tmp/`` (hashed on the way), are flushed and fsynced where the filesystem has a
  file descriptor, then moved to the address (a hard link that refuses to replace on a local
  disk, ``fs.mv`` elsewhere). A crash or an error before that move leaves nothing at the
  address (at most a temporary file, removed on error, or by :meth:`ContentStore.clean_tmp`
  after a hard crash);
* nothing is ever overwritten: putting content that is already there is a no-op; finding a
  file at the address whose bytes hash to something else raises :class:`AddressTaken`
  (that file has been altered: the store never "repairs" evidence);
* :meth:`ContentStore.verify` re-hashes a file: ``ok``, ``missing`` or ``altered``.

The root is any fsspec URL (``file:///srv/arsip``, ``memory://arsip``, ``s3://bucket/arsip``
with the matching fsspec package) or a plain folder (the default ``var/arsip``). Local files
are made read-only once stored. No ``diklat`` import: the caller passes the URL.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal

import fsspec
from fsspec.implementations.local import LocalFileSystem

CHUNK = 1 << 20
_SHA = re.compile(r"^[0-9a-f]{64}$")

Verdict = Literal["ok", "missing", "altered"]
Source = bytes | bytearray | memoryview | os.PathLike[str] | IO[bytes]


class ArchiveError(Exception):
    """A store operation the rules do not allow, or a store that cannot be used."""


class AddressTaken(ArchiveError):
    """A file already sits at this content's address but holds other bytes (altered)."""


class NotInArchive(ArchiveError, FileNotFoundError):
    """No file at this address."""


@dataclass(frozen=True)
class Stored:
    """What :meth:`ContentStore.store` did: ``created`` is False when the content was there."""

    sha256: str
    size: int
    key: str
    created: bool


def check_sha(sha: str) -> str:
    """A SHA-256 as 64 lowercase hex digits (anything else never becomes a path)."""
    s = sha.strip().lower()
    if not _SHA.match(s):
        raise ValueError(f"bukan SHA-256: {sha[:80]!r}")
    return s


def sha256_of(source: Source) -> tuple[str, int]:
    """SHA-256 and size of bytes, a file path or a readable binary file object."""
    h = hashlib.sha256()
    size = 0
    with _reader(source) as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


@contextlib.contextmanager
def _reader(source: Source) -> Iterator[IO[bytes]]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(bytes(source))
    elif isinstance(source, os.PathLike):
        with open(os.fspath(source), "rb") as f:
            yield f
    elif isinstance(source, str):
        raise TypeError("pass a Path for a file name or bytes for content, not str")
    else:
        yield source


class ContentStore:
    """Files by SHA-256 under one fsspec root (default: the local folder ``var/arsip``)."""

    def __init__(
        self,
        url: str | os.PathLike[str] = "var/arsip",
        *,
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        text = os.fspath(url)
        if "://" not in text:
            Path(text).mkdir(parents=True, exist_ok=True)
        fs, root = fsspec.core.url_to_fs(text, **dict(storage_options or {}))
        self.url = text
        self.fs: fsspec.AbstractFileSystem = fs
        self.root = str(root).rstrip("/") or "/"
        self.local = isinstance(fs, LocalFileSystem)

    def __repr__(self) -> str:
        return f"ContentStore({self.url!r})"

    # -- addresses -------------------------------------------------------------------

    @staticmethod
    def key(sha: str) -> str:
        """The address relative to the root: ``sha256/ab/cd/<sha>``."""
        s = check_sha(sha)
        return f"sha256/{s[:2]}/{s[2:4]}/{s}"

    def path(self, sha: str) -> str:
        """The full path inside the filesystem (for messages and tools, not for writing)."""
        return f"{self.root}/{self.key(sha)}"

    # -- reading ---------------------------------------------------------------------

    def exists(self, sha: str) -> bool:
        return bool(self.fs.exists(self.path(sha)))

    def open(self, sha: str) -> BinaryIO:
        """The stored file, opened for reading (binary). :class:`NotInArchive` if absent."""
        try:
            return self.fs.open(self.path(sha), "rb")  # type: ignore[no-any-return]
        except FileNotFoundError as e:
            raise NotInArchive(f"tidak ada di arsip: {check_sha(sha)}") from e

    def read(self, sha: str) -> bytes:
        with self.open(sha) as f:
            return f.read()

    def size(self, sha: str) -> int:
        try:
            return int(self.fs.size(self.path(sha)))
        except FileNotFoundError as e:
            raise NotInArchive(f"tidak ada di arsip: {check_sha(sha)}") from e

    def verify(self, sha: str) -> Verdict:
        """Re-hash the file at ``sha``'s address: ``ok``, ``missing`` or ``altered``."""
        s = check_sha(sha)
        try:
            with self.fs.open(self.path(s), "rb") as f:
                actual, _ = sha256_of(f)
        except FileNotFoundError:
            return "missing"
        return "ok" if actual == s else "altered"

    def iter_shas(self) -> Iterator[str]:
        """Every address in the store (for finding files no index entry refers to)."""
        base = f"{self.root}/sha256"
        if not self.fs.exists(base):
            return
        for p in self.fs.find(base):
            name = str(p).rsplit("/", 1)[-1]
            if _SHA.match(name):
                yield name

    # -- writing ---------------------------------------------------------------------

    def put(self, source: Source) -> str:
        """Store bytes, a file (``Path``) or a binary file object; return its SHA-256."""
        return self.store(source).sha256

    def store(self, source: Source) -> Stored:
        """Like :meth:`put`, also saying whether anything was written."""
        if isinstance(source, (bytes, bytearray, memoryview, os.PathLike)):
            # Hash first: content that is already stored is not written again.
            sha, size = sha256_of(source)
            if self.exists(sha):
                self._same_content(sha)
                return Stored(sha, size, self.key(sha), created=False)
        with _reader(source) as f:
            return self._write(f)

    def _same_content(self, sha: str) -> None:
        if self.verify(sha) == "altered":
            raise AddressTaken(f"berkas di alamat {sha} isinya berbeda (diubah): tidak ditimpa")

    def _write(self, src: IO[bytes]) -> Stored:
        tmp_dir = f"{self.root}/.tmp"
        self.fs.makedirs(tmp_dir, exist_ok=True)
        tmp = f"{tmp_dir}/{uuid.uuid4().hex}.part"
        h = hashlib.sha256()
        size = 0
        try:
            with self.fs.open(tmp, "wb") as out:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                _fsync(out)
            sha = h.hexdigest()
            final = self.path(sha)
            self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
            created = self._move_new(tmp, final)
            if not created:
                self._same_content(sha)
            return Stored(sha, size, self.key(sha), created=created)
        finally:
            with contextlib.suppress(FileNotFoundError, OSError):
                if self.fs.exists(tmp):
                    self.fs.rm(tmp)

    def _move_new(self, tmp: str, final: str) -> bool:
        """Move ``tmp`` to ``final`` unless ``final`` exists; False if it did."""
        if self.local:
            try:
                os.link(tmp, final)
            except FileExistsError:
                return False
            except OSError as e:  # no hard links here: check, then rename
                if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                    raise
                if os.path.exists(final):
                    return False
                os.replace(tmp, final)
            with contextlib.suppress(OSError):
                os.chmod(final, 0o444)
            _fsync_dir(os.path.dirname(final))
            return True
        if self.fs.exists(final):
            return False
        self.fs.mv(tmp, final)
        return True

    def clean_tmp(self, older_than_seconds: float = 3600.0) -> int:
        """Remove temporary files a crashed write left behind; returns how many."""
        tmp_dir = f"{self.root}/.tmp"
        if not self.fs.exists(tmp_dir):
            return 0
        removed = 0
        limit = time.time() - older_than_seconds
        for p in self.fs.ls(tmp_dir, detail=False):
            try:
                mtime = self.fs.modified(p).timestamp()
            except (NotImplementedError, FileNotFoundError, OSError):
                mtime = 0.0
            if mtime <= limit:
                with contextlib.suppress(FileNotFoundError):
                    self.fs.rm(p)
                    removed += 1
        return removed


def _fsync(f: Any) -> None:
    """fsync a file object when it has a real descriptor (local files); a no-op elsewhere."""
    for candidate in (f, getattr(f, "f", None)):
        fileno = getattr(candidate, "fileno", None)
        if fileno is None:
            continue
        try:
            os.fsync(fileno())
            return
        except (OSError, ValueError, io.UnsupportedOperation, AttributeError):
            continue


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
