"""The regional emblem (lambang daerah) in the letterhead.

Templates carry a neutral placeholder (a plain grey shield the project draws itself, never a
real emblem). :func:`lambang_bytes` gives the image configured in
``DIKLAT_INSTANSI__LAMBANG`` (a PNG file); the template engine swaps it in for the
placeholder when it loads a template, so changing the emblem needs no new templates.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache
from pathlib import Path

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_W, _H = 120, 144


class LambangError(ValueError):
    pass


def _png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        PNG_MAGIC
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _inside_shield(x: float, y: float, inset: float) -> bool:
    """A heater shield in the unit box: flat top, straight sides, curved point below."""
    x0, x1 = 0.06 + inset, 0.94 - inset
    top, waist, point = 0.04 + inset, 0.55, 0.97 - inset * 1.3
    if y < top or y > point or x < x0 or x > x1:
        return False
    if y <= waist:
        return True
    half = (x1 - x0) / 2
    cx = (x0 + x1) / 2
    t = (y - waist) / (point - waist)  # 0 at the waist, 1 at the point
    return abs(x - cx) <= half * (1 - t * t) ** 0.5


@lru_cache(maxsize=1)
def placeholder() -> bytes:
    """A neutral grey shield (PNG), the same bytes every time."""
    border, fill, band, clear = (
        b"\x59\x5f\x66\xff",
        b"\xe4\xe7\xea\xff",
        b"\xa9\xb0\xb8\xff",
        b"\x00\x00\x00\x00",
    )
    rows = []
    for j in range(_H):
        row = bytearray()
        y = (j + 0.5) / _H
        for i in range(_W):
            x = (i + 0.5) / _W
            if not _inside_shield(x, y, 0.0):
                row += clear
            elif not _inside_shield(x, y, 0.035):
                row += border
            elif 0.30 <= y <= 0.38 or 0.62 <= y <= 0.70:
                row += band
            else:
                row += fill
        rows.append(bytes(row))
    return _png(_W, _H, rows)


LAMBANG_PLACEHOLDER = placeholder()


def lambang_bytes(path: Path | str | None) -> bytes | None:
    """The configured emblem's bytes (``None``: keep the placeholder). Only PNG files are
    accepted (the template part is a PNG); anything else is refused with one line."""
    if path is None or str(path) == "":
        return None
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
    except OSError as e:
        raise LambangError(
            f"lambang {p} tidak dapat dibaca ({e.strerror or e}); periksa DIKLAT_INSTANSI__LAMBANG"
        ) from None
    if not data.startswith(PNG_MAGIC):
        raise LambangError(
            f"lambang {p} bukan berkas PNG; simpan lambang sebagai PNG (DIKLAT_INSTANSI__LAMBANG)"
        )
    return data


def periksa_lambang(path: Path | str | None) -> str | None:
    """One plain line for the operator when the letterhead's emblem is not set or unusable
    (None when it is fine): what the letters show and how to set it."""
    how = (
        "atur DIKLAT_INSTANSI__LAMBANG=/jalur/lambang-daerah.png (berkas PNG lambang "
        "daerah, mis. di .env): surat yang dibuat sesudahnya memakainya"
    )
    if path is None or not str(path).strip():
        return "Lambang daerah belum diatur: kop surat memakai gambar pengganti netral; " + how
    try:
        lambang_bytes(path)
    except LambangError as e:
        return f"Lambang daerah tidak dapat dipakai: {e}"
    return None
