"""Where a training stands (``diklat kegiatan show``): status, every SOP step of its path with
round, state, deadline and lateness and whether the catalogue reconstructed it
(``rekonstruksi``), its document versions, participant counts, SIASN's answers on the
candidates (verified, not eligible by reason, the numbers not checked)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from diklat.kegiatan import ledger
from diklat.kegiatan.data import jumlah_peserta, kegiatan_by_kode, kegiatan_dict
from diklat.naskah.versi import daftar_naskah, naskah_dict
from diklat.sop.catalogue import get_sop


def posisi_kegiatan(session: Session, kode: str) -> dict[str, Any]:
    k = kegiatan_by_kode(session, kode)
    out = kegiatan_dict(k)
    sop = get_sop(k.sop)
    out["langkah"] = [
        {**lg, "rekonstruksi": sop.step(lg["no"]).reconstructed}
        for lg in ledger.laporan_langkah(session, k)
    ]
    out["naskah"] = [naskah_dict(session, n) for n in daftar_naskah(session, k.id)]
    out["peserta"] = jumlah_peserta(session, k.id)
    from diklat.kegiatan.verifikasi import ringkasan_verifikasi

    out["verifikasi"] = ringkasan_verifikasi(session, k.id)
    return out
