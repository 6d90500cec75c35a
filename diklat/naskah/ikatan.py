"""What a decision on a letter is bound to, and the check at signing that it still holds.

Officials decide on a bundle version's **manifest hash** (:func:`manifest`). It covers, for
every member, its key, the SHA-256 of its draft DOCX (the bytes the final is made from) and of
its stored render context; and for the bundle, the SHA-256 of the template file it was drafted
from and of every setting that reaches a letter (:func:`pengaturan_naskah`: the letterhead,
the emblem's bytes, number format, series, paper, font, classification, the signature's
footer and verification address). At signing, :func:`periksa` recomputes all of it from what is
on disk and in the database now and compares it with what was decided on; any difference
refuses the signature with one line naming what changed (:class:`IkatanBerubah`). No Prefect.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from diklat.berkas import sha256_berkas
from diklat.models import Bundel, NaskahBerkas, Persetujuan
from diklat.settings import Settings, get_settings


class IkatanBerubah(ValueError):
    """Something a decision covered changed after it was taken."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_path(path: Path) -> str:
    return sha256_berkas(path)


def sha256_json(data: Any) -> str:
    return sha256_bytes(
        json.dumps(
            data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
        ).encode()
    )


def sha_template(jenis: str, settings: Settings | None = None) -> str:
    """The template file a type is drafted from, as it is on disk now."""
    from diklat.naskah.engine import template_path

    return sha256_path(template_path(jenis, settings or get_settings()))


def pengaturan_naskah(jenis: str, settings: Settings | None = None) -> dict[str, Any]:
    """Every setting that reaches a letter of ``jenis``: what the letterhead prints (the
    emblem by its bytes, not its path), the number format and series, paper and font, the
    classification code, the signature footer and the verification address of its QR."""
    s = settings or get_settings()
    instansi = s.instansi.model_dump(mode="json")
    lambang = s.instansi.lambang
    instansi["lambang"] = sha256_path(Path(lambang)) if lambang and Path(lambang).exists() else None
    return {
        "instansi": instansi,
        "naskah": s.naskah.model_dump(mode="json"),
        "klasifikasi": s.klasifikasi_for(jenis),
        "seri": s.unit_nomor(jenis),
        "tte": {"mode": s.tte.mode, "verify_base_url": s.tte.verify_base_url},
    }


def sha_pengaturan(jenis: str, settings: Settings | None = None) -> str:
    return sha256_json(pengaturan_naskah(jenis, settings))


def manifest(
    members: Iterable[tuple[str, str, str]], template: str | None, pengaturan: str | None
) -> str:
    """The hash a bundle version is decided on: over ``kunci, draft DOCX SHA-256, context
    SHA-256`` of every member in key order, then the template's and the settings' hashes.
    Any member, the template or a setting changing changes it."""
    lines = "".join(f"{k}\t{d}\t{c}\n" for k, d, c in sorted(members))
    lines += f"template\t{template or ''}\npengaturan\t{pengaturan or ''}\n"
    return sha256_bytes(lines.encode())


def manifest_bundel(b: Bundel) -> str:
    return manifest(
        ((n.kunci, n.sha256 or "", n.konteks_sha256 or "") for n in b.naskah),
        b.template_sha256,
        b.pengaturan_sha256,
    )


def periksa(session: Session, b: Bundel, settings: Settings | None = None) -> None:
    """Before a bundle is signed or made final: the template and settings are the ones it was
    decided on, every member's stored context and draft file are the decided ones, and the
    manifest every decision names is this one. :class:`IkatanBerubah` with the reason."""
    s = settings or get_settings()
    what = f"{b.jenis.replace('_', ' ')} v{b.versi}"
    if b.template_sha256 and sha_template(b.jenis, s) != b.template_sha256:
        raise IkatanBerubah(
            f"{what}: templat {b.jenis}.docx berubah sesudah konsep disetujui; buat versi baru"
        )
    if b.pengaturan_sha256 and sha_pengaturan(b.jenis, s) != b.pengaturan_sha256:
        raise IkatanBerubah(
            f"{what}: pengaturan naskah (kop, format nomor, kertas, huruf, "
            "klasifikasi, TTE) berubah sesudah konsep disetujui; buat versi baru"
        )
    drafts = {
        f.naskah_id: f
        for f in session.execute(
            select(NaskahBerkas).where(
                NaskahBerkas.naskah_id.in_([n.id for n in b.naskah]),
                NaskahBerkas.peran == "draf_docx",
            )
        ).scalars()
    }
    for i, n in enumerate(b.naskah, start=1):
        if (
            n.konteks_json is not None
            and n.konteks_sha256 is not None
            and sha256_json(json.loads(n.konteks_json)) != n.konteks_sha256
        ):
            raise IkatanBerubah(f"{what}: data naskah ke-{i} berubah sesudah disetujui")
        f = drafts.get(n.id)
        if f is None or f.sha256 != n.sha256:
            raise IkatanBerubah(
                f"{what}: konsep naskah ke-{i} tidak tercatat seperti yang disetujui"
            )
        path = Path(f.path)
        if not path.exists() or sha256_path(path) != f.sha256:
            raise IkatanBerubah(
                f"{what}: berkas konsep naskah ke-{i} berubah atau hilang sesudah disetujui"
            )
    if manifest_bundel(b) != b.manifest_sha256:
        raise IkatanBerubah(f"{what}: isi bundel tidak sama dengan yang disetujui")
    decided = set(
        session.execute(
            select(Persetujuan.naskah_sha256).where(
                Persetujuan.bundel_id == b.id, Persetujuan.keputusan == "setuju"
            )
        ).scalars()
    )
    if decided and decided != {b.manifest_sha256}:
        raise IkatanBerubah(f"{what}: keputusan diambil atas isi lain")


__all__ = [
    "IkatanBerubah",
    "manifest",
    "manifest_bundel",
    "pengaturan_naskah",
    "periksa",
    "sha256_bytes",
    "sha256_json",
    "sha256_path",
    "sha_pengaturan",
    "sha_template",
]
