"""File parameters of flows: a name inside one folder, never a path anywhere else.

A flow can be started by anyone who reaches the Prefect API or UI, so a file parameter is a
*name inside a configured folder* (the import folder for the export import), resolved here
and refused when it is absolute, starts with ``~``, climbs out with ``..``, or leads out
through a symbolic link. The refusal is the same whether or not the file exists, so a
caller learns nothing about files outside the folder. The CLI, which runs as the operator,
may take any path the operator's shell can read; it hands the flow a name (see
``cli/importer.py``).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath


class OutsideFolder(ValueError):
    """A file parameter that does not name a file inside its folder."""


def confine(name: str, base: Path) -> Path:
    """``name`` resolved inside ``base`` (symbolic links followed); :class:`OutsideFolder`
    when it is not a plain relative name that stays there. Existence is not checked."""
    text = str(name).strip()
    refused = OutsideFolder(
        f"{text!r} bukan nama berkas di dalam folder {base.name}/: beri nama berkas (boleh "
        "dengan subfolder) relatif terhadap folder itu")
    if not text or "\x00" in text:
        raise refused
    if (text.startswith("~") or PurePosixPath(text).is_absolute()
            or PureWindowsPath(text).is_absolute() or PureWindowsPath(text).drive):
        raise refused
    if ".." in PurePosixPath(text.replace("\\", "/")).parts:
        raise refused
    root = base.resolve()
    resolved = (root / text).resolve()
    if resolved == root or not resolved.is_relative_to(root):
        raise refused
    return resolved
