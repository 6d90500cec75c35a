"""The frame every page of ``diklat web`` is set in: one inline style (allowed by its hash in
the Content-Security-Policy of :mod:`web.app`), Indonesian, readable on a phone. A leaf: the
verification, signing, approval and proposal pages all take their frame from here."""

from __future__ import annotations

import base64
import hashlib
import html

from fastapi.responses import HTMLResponse

STYLE = """
body{font-family:Arial,Helvetica,sans-serif;max-width:720px;margin:2em auto;padding:0 1em;
color:#222}h1{font-size:1.4em}table{border-collapse:collapse}td{padding:.3em .8em .3em 0;
vertical-align:top}td:first-child{color:#555}.ok{color:#176f2c;font-weight:bold}
.bad{color:#a11;font-weight:bold}.box{border:1px solid #ccc;padding:1em;margin:1em 0}
code{font-size:.85em;word-break:break-all}
"""


def bingkai(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='id'><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title><meta name='viewport' content='width=device-width'>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


def halaman(
    title: str, body: str, status_code: int = 200, headers: dict[str, str] | None = None
) -> HTMLResponse:
    return HTMLResponse(bingkai(title, body), status_code=status_code, headers=headers)


#: The one inline style every page carries, allowed by its hash (no other style or script).
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
