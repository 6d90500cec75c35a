"""The flow-run process of a diklat worker (``python -m flows.luncur [FLOW_RUN_ID]``): what a
process worker started by :mod:`flows.pekerja` runs for each flow run and each resume.

Standard library only, so it starts in a few milliseconds. With ``DIKLAT_PEKERJA_SOKET`` set
(the worker sets it), it hands its arguments, environment, working folder and standard streams
to the worker's warm parent, which forks a process that has already imported Prefect and the
flows and runs ``prefect.engine`` there; this process stays as the run's stand-in: it forwards
SIGTERM, SIGINT and SIGHUP to the run, exits with the run's exit status, and if it is killed
outright the parent kills the run. Without the variable, or when the parent does not answer
before taking the run, it becomes ``python -m prefect.engine`` itself (``exec``), exactly what
a plain process worker runs. Once the parent has taken the run it is never started a second
time here: a parent lost mid-run ends this process with status 1 (Prefect marks the run
crashed, and the SOP resumes from its ledger).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import sys
from typing import NoReturn

#: The warm parent's Unix socket (set by ``flows.pekerja`` in the worker's environment).
ENV_SOKET = "DIKLAT_PEKERJA_SOKET"
#: The signals passed on to the run: a worker cancelling a run sends SIGTERM.
DITERUSKAN = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
#: Length prefix of the request (network order, 4 bytes).
PANJANG = struct.Struct("!I")


class TidakTerambil(Exception):
    """The parent did not take the run: running it here is safe."""


def permintaan(argv: list[str]) -> bytes:
    """The request: arguments, environment and working folder, as JSON."""
    return json.dumps({"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}).encode()


def lewat_induk(path: str, argv: list[str]) -> int:
    """Run through the warm parent at ``path``; the run's exit code (negative: its signal).
    Raises :class:`TidakTerambil` when the parent did not take the run."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        data = permintaan(argv)
        socket.send_fds(s, [PANJANG.pack(len(data))], [0, 1, 2])
        s.sendall(data)
        masuk = s.makefile("rb")
        baris = masuk.readline()
    except OSError as e:
        s.close()
        raise TidakTerambil(str(e)) from e
    if not baris:
        s.close()
        raise TidakTerambil("the parent closed the connection")
    pid = int(json.loads(baris)["pid"])

    def teruskan(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for sig in DITERUSKAN:
        signal.signal(sig, teruskan)
    try:
        baris = masuk.readline()
    except OSError:
        baris = b""
    if not baris:
        print("diklat: proses induk pekerja hilang di tengah run", file=sys.stderr)
        return 1
    return int(json.loads(baris)["status"])


def keluar(code: int) -> NoReturn:
    """Exit as the run did: a run killed by a signal ends this process by the same signal."""
    sys.stdout.flush()
    sys.stderr.flush()
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code if 0 <= code < 256 else 1)


def main() -> NoReturn:
    argv = sys.argv[1:]
    path = os.environ.get(ENV_SOKET)
    if path:
        with contextlib.suppress(TidakTerambil):
            keluar(lewat_induk(path, argv))
    os.execv(sys.executable, [sys.executable, "-m", "prefect.engine", *argv])


if __name__ == "__main__":
    main()
