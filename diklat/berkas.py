"""File parameters: a flow's file is a name inside one folder; a command's output file is
written only where the operator said, never over a file the product did not write.

**Flow parameters.**

A flow can be started by anyone who reaches the Prefect API or UI, so a file parameter is a
*name inside a configured folder* (the import folder for the export import), resolved here
and refused when it is absolute, starts with ``~``, climbs out with ``..``, or leads out
through a symbolic link. The refusal is the same whether or not the file exists, so a
caller learns nothing about files outside the folder. The CLI, which runs as the operator,
may take any path the operator's shell can read; it hands the flow a name (see
``cli/importer.py``).

**Output files of commands** (``--out``: the register export, reports, quarantine list,
SRIKANDI packages, the simulator's export, rendered letters). :func:`keluaran_berkas` and
:func:`keluaran_folder` check what the operator named before any work is done: a file name
with the right suffix, a folder that exists to put it in (a missing folder is refused, never
created silently; a named output folder itself is created, inside an existing one), and no
existing file in the way that this product did not write. Then :func:`tulis` gives the
command a private staging folder beside the target; once the command has written everything
there, each file is checked again and moved into place with a rename (a reader never sees
half a file; a refusal leaves nothing behind). "Written by this product" means: recorded,
with its SHA-256, when it was moved into place (a record per path under the var folder's
``keluaran/``), and unchanged since. A file edited by hand since, or any other file, is
replaced only with ``--timpa``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath


class OutsideFolder(ValueError):
    """A file parameter that does not name a file inside its folder."""


def confine(name: str, base: Path) -> Path:
    """``name`` resolved inside ``base`` (symbolic links followed); :class:`OutsideFolder`
    when it is not a plain relative name that stays there. Existence is not checked."""
    text = str(name).strip()
    refused = OutsideFolder(
        f"{text!r} bukan nama berkas di dalam folder {base.name}/: beri nama berkas (boleh "
        "dengan subfolder) relatif terhadap folder itu"
    )
    if not text or "\x00" in text:
        raise refused
    if (
        text.startswith("~")
        or PurePosixPath(text).is_absolute()
        or PureWindowsPath(text).is_absolute()
        or PureWindowsPath(text).drive
    ):
        raise refused
    if ".." in PurePosixPath(text.replace("\\", "/")).parts:
        raise refused
    root = base.resolve()
    resolved = (root / text).resolve()
    if resolved == root or not resolved.is_relative_to(root):
        raise refused
    return resolved


# --------------------------------------------------------------------------- output files


class KeluaranDitolak(ValueError):
    """An output the command must not write (one line for the operator; nothing written)."""


@dataclass(frozen=True)
class Keluaran:
    """Where a command writes: one file (``folder`` False) or into one folder, checked."""

    target: Path  # absolute
    folder: bool
    timpa: bool
    catatan: Path  # the folder of records of written files

    @property
    def base(self) -> Path:
        """The folder the written files are placed in (relative to it)."""
        return self.target if self.folder else self.target.parent


def folder_catatan(var_dir: Path) -> Path:
    """Records of the files the product's commands wrote (path -> SHA-256)."""
    return Path(var_dir) / "keluaran"


def sha256_berkas(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB pieces (the one file hasher of the domain)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _catatan_path(catatan: Path, path: Path) -> Path:
    return catatan / hashlib.sha256(str(path).encode()).hexdigest()


def ditulis_produk(path: Path, catatan: Path) -> bool:
    """Was ``path`` written by one of the product's commands, and is it unchanged since?"""
    record = _catatan_path(catatan, path)
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict) or data.get("path") != str(path):
        return False
    try:
        return bool(
            path.is_file() and not path.is_symlink() and data.get("sha256") == sha256_berkas(path)
        )
    except OSError:
        return False


def _catat(path: Path, catatan: Path) -> None:
    catatan.mkdir(parents=True, exist_ok=True)
    record = _catatan_path(catatan, path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=catatan)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"path": str(path), "sha256": sha256_berkas(path)}, f)
        os.replace(tmp, record)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _halangan(dest: Path, k: Keluaran) -> str | None:
    """Why ``dest`` may not be written now (None: it may)."""
    if dest.is_dir() and not dest.is_symlink():
        return f"{dest} adalah folder"
    if not os.path.lexists(dest) or k.timpa:
        return None
    if dest.is_symlink() or not dest.is_file():
        return f"{dest} sudah ada dan bukan berkas biasa"
    if not ditulis_produk(dest, k.catatan):
        return (
            f"{dest} sudah ada dan bukan berkas yang ditulis diklat (atau sudah diubah "
            "sejak ditulis)"
        )
    return None


def _tolak_halangan(reasons: list[str]) -> None:
    if reasons:
        more = f" (dan {len(reasons) - 1} lainnya)" if len(reasons) > 1 else ""
        raise KeluaranDitolak(
            f"{reasons[0]}{more}; tidak ada yang ditulis. Beri nama lain, "
            "atau pakai --timpa untuk menimpanya"
        )


def _folder_ada(folder: Path, what: str) -> None:
    if not folder.is_dir():
        raise KeluaranDitolak(
            f"folder {folder} untuk {what} tidak ada; buat dulu folder itu atau pilih folder lain"
        )


def keluaran_berkas(
    path: str | Path,
    akhiran: Sequence[str],
    *,
    catatan: Path,
    timpa: bool = False,
    opsi: str = "--out",
) -> Keluaran:
    """An output file the operator named: suffix one of ``akhiran``, its folder existing,
    no file in the way that the product did not write (unless ``timpa``)."""
    given = Path(path).expanduser()
    if not any(given.name.lower().endswith(a.lower()) for a in akhiran) or given.name.lower() in [
        a.lower() for a in akhiran
    ]:
        raise KeluaranDitolak(
            f"{opsi} harus nama berkas {' atau '.join(akhiran)} "
            f"(diberikan: {given.name or str(given)!r})"
        )
    target = Path(os.path.abspath(given))
    _folder_ada(target.parent, opsi)
    k = Keluaran(target, folder=False, timpa=timpa, catatan=catatan)
    _tolak_halangan([r for r in [_halangan(target, k)] if r])
    return k


def keluaran_folder(
    path: str | Path,
    *,
    catatan: Path,
    timpa: bool = False,
    opsi: str = "--out",
    buat_induk: bool = False,
) -> Keluaran:
    """An output folder the operator named: an existing folder, or a new one inside an
    existing folder (``buat_induk``: the product's own default under var, created whole)."""
    target = Path(os.path.abspath(Path(path).expanduser()))
    if os.path.lexists(target) and not target.is_dir():
        raise KeluaranDitolak(f"{opsi} {target} bukan folder")
    if not target.exists():
        if buat_induk:
            target.parent.mkdir(parents=True, exist_ok=True)
        _folder_ada(target.parent, opsi)
    return Keluaran(target, folder=True, timpa=timpa, catatan=catatan)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())


@contextmanager
def tulis(k: Keluaran) -> Iterator[Path]:
    """A staging folder beside the target: the command writes there (a file output: the
    file named as the target, and any file beside it, e.g. a chart), then every file is
    checked (:func:`keluaran_berkas`'s rule) and moved into place under :attr:`Keluaran.base`
    with a rename, and recorded. A refusal raises :class:`KeluaranDitolak` with nothing
    moved; the staging folder is always removed."""
    base = k.base
    if k.folder:
        base.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-diklat-", dir=base))
    try:
        yield staging if k.folder else staging / k.target.name
        files = _files(staging)
        _tolak_halangan(
            [r for r in (_halangan(base / f.relative_to(staging), k) for f in files) if r]
        )
        for f in files:
            dest = base / f.relative_to(staging)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, dest)
            _catat(dest, k.catatan)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def di_tempat(path: str | Path, sementara: Path, k: Keluaran) -> Path:
    """Where a file the command wrote at ``path`` ends up (``sementara``: what :func:`tulis`
    gave it); a path outside the staging folder is returned as it is."""
    root = sementara if k.folder else sementara.parent
    try:
        return k.base / Path(path).relative_to(root)
    except ValueError:
        return Path(path)
