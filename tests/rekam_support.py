"""Deciding on a bundle through the real path in tests: each level's request opened, its code
e-mailed (captured), answered by the official the level asks (never a stand-in)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine

from diklat.db import session_scope
from diklat.models import Bundel, Pejabat
from diklat.naskah.persetujuan import buka, kirim_kode, putuskan, tingkat_berikut
from diklat.naskah.surel import Surat


class Kotak:
    """A captured outbox of people's e-mails."""

    def __init__(self) -> None:
        self.sent: list[Surat] = []

    def __call__(self, s: Surat) -> None:
        self.sent.append(s)

    def kode(self, alamat: str) -> str:
        for s in reversed(self.sent):
            if s.kepada == alamat:
                m = re.search(r"^Kode: (\d{6})$", s.isi, flags=re.M)
                if m:
                    return m.group(1)
        raise AssertionError(f"tidak ada kode untuk {alamat}")


def putuskan_tingkat(
    engine: Engine,
    bundel_id: int,
    keputusan: str = "setuju",
    catatan: str = "",
    kotak: Kotak | None = None,
    dokumen: list[int] | None = None,
) -> Any:
    """Answer the next level of a bundle's chain as its official would; returns the result."""
    kotak = kotak or Kotak()
    with session_scope(engine) as s:
        b = s.get(Bundel, bundel_id)
        assert b is not None
        level = tingkat_berikut(s, b)
        assert level is not None, f"{b.jenis} v{b.versi} tidak menunggu keputusan"
        p = buka(s, b, level)
        kirim_kode(s, p, kotak, ui_url="http://ui", paksa=True)
        pej = s.get(Pejabat, p.pejabat_id)
        assert pej is not None and pej.email
        return putuskan(
            s,
            p.id,
            nip=pej.nip,
            kode=kotak.kode(pej.email),
            keputusan=keputusan,
            catatan=catatan,
            kirim=kotak,
            dokumen=dokumen,
        )


def setujui_semua(engine: Engine, bundel_id: int, kotak: Kotak | None = None) -> int:
    """Every remaining level of the chain answers ``setuju``; returns how many answered."""
    n = 0
    while True:
        with session_scope(engine) as s:
            b = s.get(Bundel, bundel_id)
            assert b is not None
            if tingkat_berikut(s, b) is None:
                return n
        h = putuskan_tingkat(engine, bundel_id, kotak=kotak)
        assert h.diterima, h.alasan
        n += 1


def terbitkan(engine: Engine, kode: str, jenis: str, out: Any, *, pdf: bool = True) -> Any:
    """A bundle drafted, decided on through the real path (a bundle nobody signs made final),
    numbered and issued: what a flow's letter step does up to the signature. Returns the
    draft's result (bundle id etc.)."""
    from diklat.kegiatan.data import kegiatan_by_kode
    from diklat.naskah import versi
    from diklat.naskah.register import today

    h = versi.buat_draf(engine, kode, jenis, out, pdf=pdf)
    with session_scope(engine) as s:
        b = s.get(Bundel, h.bundel_id)
        assert b is not None
        unsigned = b.penandatangan_id is None
        if unsigned:
            versi.tetapkan_final(s, b, today())
    if not unsigned:
        setujui_semua(engine, h.bundel_id)
        with session_scope(engine) as s:
            b = s.get(Bundel, h.bundel_id)
            assert b is not None
            versi.beri_nomor(s, b)
    del kegiatan_by_kode
    versi.terbitkan(engine, kode, h.bundel_id, out, pdf=pdf)
    return h
