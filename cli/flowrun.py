"""What a CLI command that runs a flow needs around it: a Prefect API, interrupts, exit.

``with FlowCommand() as fc:`` (``diklat sync``, ``diklat import ...``)

- **Prefect API**: the configured one, the local server ``diklat server start`` keeps
  running, or a temporary server for this command, started before Prefect is imported so
  that it boots meanwhile (:mod:`cli.prefect_server`); ``fc.ready()`` waits for it.
- **Interrupts**: Ctrl-C and SIGTERM ask the work to stop (:func:`diklat.runs.request_stop`,
  so an interrupt a library swallows still stops the run at its next batch) and raise
  ``KeyboardInterrupt`` at once; the run is marked interrupted and the command prints one
  line and exits 130. A watchdog guarantees the exit within :data:`EXIT_WITHIN` seconds
  even if cleanup hangs (the next run closes what was left open: its process is gone).
- **Exit**: as the ``diklat`` process itself, leave without the interpreter's teardown of
  Prefect's threads (everything is committed and flushed by then).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from cli import common

#: An interrupted command is gone within this many seconds, whatever hangs.
EXIT_WITHIN = 4.5


class FlowCommand:
    def __init__(self) -> None:
        self.server: Any = None
        self._previous: dict[int, Any] = {}
        self._fired = False
        self._printed = threading.Lock()
        self._exited = False
        self._unraisable_before: Any = None

    # -- context
    def __enter__(self) -> FlowCommand:
        from diklat import runs

        runs.clear_stop()  # a new command (in-process callers run several)
        quiet_prefect_console()
        prefect_client_defaults()
        home = os.environ.get("PREFECT_HOME")
        if home:  # Prefect cannot create a nested home itself (fresh ./var)
            Path(home).mkdir(parents=True, exist_ok=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[sig] = signal.signal(sig, self._on_signal)
            except ValueError:  # not the main thread (an embedding program)
                break
        if self._previous:
            self._unraisable_before = sys.unraisablehook
            sys.unraisablehook = self._on_unraisable
        from cli.prefect_server import start_prefect_server_if_needed

        self.server = start_prefect_server_if_needed()
        return self

    def run(self, flow: Any, **parameters: Any) -> Any:
        """Run ``flow`` once. Without Prefect's flow-run heartbeat: its thread sleeps in
        one-second steps and the run's end waits for it (up to a second of a five-second
        command); a run that dies is closed by the next run (:mod:`diklat.runs`)."""
        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            return flow(**parameters)

    def ready(self) -> None:
        """Wait for the temporary Prefect server, if this command started one."""
        if self.server is not None:
            self.server.wait_ready()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._exited = True
        if self.server is not None:
            self.server.stop()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        if self._unraisable_before is not None:
            sys.unraisablehook = self._unraisable_before
            self._unraisable_before = None

    # -- interrupts
    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        from diklat import runs

        if self._fired:  # a second Ctrl-C: the watchdog ends the process shortly
            return
        self._fired = True
        runs.request_stop(signal.Signals(signum).name)
        threading.Thread(target=self._watchdog, name="diklat-exit", daemon=True).start()
        raise KeyboardInterrupt(signal.Signals(signum).name)

    def _on_unraisable(self, unraisable: Any) -> None:
        """Our own ``KeyboardInterrupt``, raised while Python ran a finalizer or a weakref
        callback (a garbage collection inside SQLAlchemy, say), cannot propagate: Python
        would print it as "Exception ignored in ..." with a traceback. The stop it stands
        for is already requested and the watchdog ends the command, so it stays silent and
        the command still prints its one line."""
        exc_type = getattr(unraisable, "exc_type", None)
        if self._fired and exc_type is not None and issubclass(exc_type, KeyboardInterrupt):
            return
        (self._unraisable_before or sys.__unraisablehook__)(unraisable)

    def _watchdog(self) -> None:
        threading.Event().wait(EXIT_WITHIN)
        if self._exited and not is_cli_process():
            return  # in-process use (tests): the command is over, the caller goes on
        self.print_interrupted()
        if self.server is not None:
            self.server.kill()
        fast_exit(common.EXIT_INTERRUPTED, force=True)

    def print_interrupted(self) -> None:
        with self._printed:
            common.say_interrupted()

    def interrupted(self) -> Exception:
        """``raise fc.interrupted()``: the one line, exit 130."""
        import typer

        self.print_interrupted()
        return typer.Exit(common.EXIT_INTERRUPTED)


def quiet_prefect_console(level: str = "CRITICAL") -> None:
    """The command prints its own lines; Prefect's console handlers (and every library
    logger that reaches them) stay quiet, while the runs' logs still go to the Prefect API
    at INFO and show in the UI. Effective when set before Prefect configures its logging
    (``DIKLAT_DEBUG=1``: left as it is)."""
    if os.environ.get("DIKLAT_DEBUG"):
        return
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", level)
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_DEBUG_LEVEL", "CRITICAL")
    import logging

    logging.raiseExceptions = False  # no "--- Error logging to API ---" on stderr


def prefect_client_defaults() -> None:
    """A Prefect API that went away costs seconds, not minutes: each call is retried once
    (after about 2 s) instead of five times (about a minute per call). An explicit setting
    wins."""
    os.environ.setdefault("PREFECT_CLIENT_MAX_RETRIES", "1")
    os.environ.setdefault("PREFECT_API_REQUEST_TIMEOUT", "30")


def is_cli_process() -> bool:
    """Is this process the ``diklat`` command itself (not a program that embeds it)?"""
    return Path(sys.argv[0]).name in ("diklat", "main.py") and not os.environ.get(
        "DIKLAT_NO_FAST_EXIT"
    )


def fast_exit(code: int, force: bool = False) -> None:
    """As the ``diklat`` process itself, leave without the interpreter's teardown of
    Prefect's modules and threads (about half a second): everything is committed, drained
    and flushed by now. Never inside another program (tests call commands in-process),
    unless ``force`` (the interrupt watchdog)."""
    if not force and not is_cli_process():
        return
    import logging

    if not force and "prefect" in sys.modules:
        from cli.prefect_server import drain_prefect_workers

        drain_prefect_workers(timeout=5.0)  # the run's logs reach the UI before we go
    logging.shutdown()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)
