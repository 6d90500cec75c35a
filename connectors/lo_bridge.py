"""A LibreOffice kept running, for :mod:`connectors.pdf`: run by the system's Python (the one
Debian's ``python3-uno`` belongs to), never imported by the project's own interpreter.

Starting LibreOffice costs 1-1.5 s (2-3 s on a loaded machine), and a training converts about
twenty batches; ``soffice --convert-to`` cannot be handed work while it runs (an instance
given a ``--convert-to`` request quits after it). This bridge starts one ``soffice`` that
listens on a private pipe, connects through UNO and converts what it is told, one request
per line on stdin::

    {"inputs": ["/w/m000001.docx", ...], "outdir": "/w"}

answering one line per document as soon as its PDF is written, then one line for the
request (stdout is the protocol; LibreOffice's own output goes to stderr)::

    {"done": "/w/m000001.pdf"}        {"failed": "/w/x.docx", "error": "..."}
    {"end": true}

When LibreOffice itself is gone, it says so (``{"fatal": "..."}``) and exits: the project's
process converts the rest with a ``soffice`` of its own and starts a new bridge next time.

When stdin closes (the project's process ended, however it ended), the bridge stops its
LibreOffice and exits. Standard library and ``uno`` only: it runs outside the project's
environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid

import uno  # type: ignore[import-not-found]  # Debian's python3-uno
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

CONNECT_SECONDS = 60.0


def _prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def _say(**msg: object) -> None:
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    soffice, profile = argv[1], argv[2]
    pipe = f"diklat-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    office = subprocess.Popen(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr,
        stderr=sys.stderr,
        env=dict(os.environ, SAL_USE_VCLPLUGIN="svp"),
    )
    desktop = None
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        deadline = time.monotonic() + CONNECT_SECONDS
        while True:
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except NoConnectException:
                if office.poll() is not None or time.monotonic() > deadline:
                    _say(fatal=f"LibreOffice tidak dapat dihubungi (kode {office.poll()})")
                    return 1
                time.sleep(0.05)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        load = (_prop("Hidden", True), _prop("ReadOnly", True))
        store = (
            _prop("FilterName", "writer_pdf_Export"),
            _prop(
                "FilterData",
                uno.Any(
                    "[]com.sun.star.beans.PropertyValue",
                    (_prop("ExportBookmarksToPDFDestination", True),),
                ),
            ),
        )
        _say(ready=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            req = json.loads(line)
            if office.poll() is not None:  # LibreOffice gone: the caller starts another
                _say(fatal=f"LibreOffice berhenti (kode {office.poll()})")
                return 2
            for src in req["inputs"]:
                stem = os.path.splitext(os.path.basename(src))[0]
                dst = os.path.join(req["outdir"], stem + ".pdf")
                try:
                    doc = desktop.loadComponentFromURL(
                        uno.systemPathToFileUrl(src), "_blank", 0, load
                    )
                    if doc is None:
                        raise RuntimeError("LibreOffice tidak dapat membuka berkas")
                    try:
                        doc.storeToURL(uno.systemPathToFileUrl(dst), store)
                    finally:
                        doc.close(True)
                    _say(done=dst)
                except Exception as e:  # noqa: BLE001 - reported to the caller, per document
                    if office.poll() is not None or "Disposed" in type(e).__name__:
                        # not this document: LibreOffice itself is gone (or its connection)
                        _say(fatal=f"LibreOffice berhenti: {type(e).__name__}")
                        return 2
                    _say(failed=src, error=f"{type(e).__name__}: {e}"[:300])
            _say(end=True)
        return 0
    finally:
        with contextlib.suppress(Exception):  # LibreOffice may be gone already
            if desktop is not None:
                desktop.terminate()
        try:
            office.wait(timeout=10)
        except subprocess.TimeoutExpired:
            office.kill()
            office.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
