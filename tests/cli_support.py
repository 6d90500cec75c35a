"""The ``diklat`` command run inside the test process, as the installed script runs it.

:func:`diklat` calls :func:`cli.main.main` (every error one line, every outcome an exit code)
with the command's own environment and working folder, and captures what it writes. A new
``diklat`` process costs one to two seconds of imports; a test that runs forty commands spent
a minute starting them. Tests where a signal, a second process or the installed script itself
is the point keep running the real process (``tests/test_interrupts.py``, ``test_demo.py``,
``test_up_ports.py``, ...)."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Hasil:
    """What the command did, shaped like :class:`subprocess.CompletedProcess`."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def diklat(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Hasil:
    """Run ``diklat ARGS`` in ``cwd`` with the test process's environment minus its
    ``DIKLAT_*``/``PREFECT_*`` variables plus ``env`` (what a new shell would pass)."""
    from cli.main import main
    from diklat.settings import reset_settings_cache

    before_env = dict(os.environ)
    before_cwd = os.getcwd()
    before_signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        for k in [k for k in os.environ if k.startswith(("DIKLAT_", "PREFECT_"))]:
            del os.environ[k]
        os.environ.update(env or {})
        os.chdir(cwd)
        reset_settings_cache()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        os.chdir(before_cwd)
        os.environ.clear()
        os.environ.update(before_env)
        reset_settings_cache()
        for s, h in before_signals.items():
            signal.signal(s, h)
        sys.stdout.flush()
    return Hasil(["diklat", *args], code, out.getvalue(), err.getvalue())
