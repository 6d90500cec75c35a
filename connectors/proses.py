"""Which process owns something: host, process id and a token of that process's start.

A process id alone is not an owner: after a kill the id is free and the kernel may give it to
any new process. The token (the boot id and the process's start time in clock ticks, from
``/proc``) tells the owner from a stranger with the same id. Shared by the run rows
(:mod:`diklat.runs`), the delivery claims and LibreOffice's work folders
(:mod:`connectors.pdf`), so "is its owner gone?" has one answer everywhere. Standard library
only; on a system without ``/proc`` the token is ``None`` and a live id counts as the owner.
"""

from __future__ import annotations

import hashlib
import os
import socket

#: This machine's name (an owner on another host cannot be checked from here).
HOST = socket.gethostname()[:255]
#: A short, file-name-safe form of :data:`HOST`.
HOST_TAG = hashlib.sha256(HOST.encode()).hexdigest()[:6]


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


_BOOT = _boot_id()


def start_ticks(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # Field 22; the command name (field 2) may contain spaces and parentheses.
    rest = data[data.rfind(b")") + 2 :].split()
    return rest[19].decode() if len(rest) > 19 else None


def pid_token(pid: int) -> str | None:
    """Boot id and start time of process ``pid`` (None when it cannot be read)."""
    ticks = start_ticks(pid)
    return f"{_BOOT}/{ticks}"[:80] if ticks is not None else None


def pid_alive(pid: int) -> bool:
    """Does process ``pid`` exist on this host?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def token_tag(token: str | None) -> str:
    """A short, file-name-safe form of a process token."""
    return hashlib.sha256((token or "").encode()).hexdigest()[:6]


def owner_tag(pid: int | None = None) -> str:
    """``<host>-<pid>-<start>`` for a file or folder name owned by process ``pid`` (default:
    this one)."""
    pid = os.getpid() if pid is None else pid
    return f"{HOST_TAG}-{pid}-{token_tag(pid_token(pid))}"


def gone(host_tag: str, pid: int, start_tag: str) -> bool:
    """Is the process named by :func:`owner_tag`'s parts gone from this host? False when it
    belongs to another host (nothing can be told from here) or is alive."""
    if host_tag != HOST_TAG:
        return False
    if pid == os.getpid():
        return False
    if not pid_alive(pid):
        return True
    now = pid_token(pid)
    return now is not None and token_tag(now) != start_tag


def tag_gone(tag: str) -> bool:
    """:func:`gone` for a whole :func:`owner_tag` string (False when it is not one)."""
    parts = tag.split("-")
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    return gone(parts[0], int(parts[1]), parts[2])
