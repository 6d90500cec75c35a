"""``python -m cli.prefect_child PARENT_PID UVICORN_ARGS...``: the temporary Prefect server of
one ``diklat`` command, which must not outlive that command.

The parent asks the kernel to kill this process when it dies (``PR_SET_PDEATHSIG``, Linux);
this module adds a watcher thread that exits as soon as the parent is gone (its parent
process id changes), for systems without that, and for the moment between ``fork`` and
the ``prctl`` call. Then it runs uvicorn with the remaining arguments.
"""

from __future__ import annotations

import os
import sys
import threading


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        threading.Event().wait(0.5)
    os._exit(0)


def main() -> None:
    parent = int(sys.argv[1])
    if os.getppid() != parent:  # the parent died before we got here
        os._exit(0)
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()
    sys.argv = ["uvicorn", *sys.argv[2:]]
    from uvicorn.main import main as uvicorn_main

    uvicorn_main()


if __name__ == "__main__":
    main()
