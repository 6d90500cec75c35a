"""The installed ``diklat`` script's entry point, kept free of imports.

The script pip writes does ``from cli.entry import run`` and calls it. Importing the command
line itself (Typer, rich, and through the commands SQLAlchemy and Prefect) takes a second or
more on a busy machine; a Ctrl-C in that window used to end the process with Python's
traceback and the signal's own exit status (-2). Here it ends like any interrupted command:
one line on stderr, exit 130.
"""

from __future__ import annotations

import os
import sys

from cli.berhenti import EXIT_INTERRUPTED, INTERRUPTED_LINE


def _interrupted_while_starting() -> None:
    sys.stderr.write(f"Dihentikan: {INTERRUPTED_LINE}\n")
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)  # half-imported modules must not run their exit handlers


def run() -> None:
    """Import the command line, then run it; a Ctrl-C while importing is one line."""
    try:
        from cli.main import main
    except KeyboardInterrupt:
        _interrupted_while_starting()
    main()
