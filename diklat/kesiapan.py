"""Whether a training can start, checked before anything is created: every problem at once,
each with the command that fixes it.

:func:`periksa_kegiatan` reads a training as typed (CLI options, the SOP flows' form) and
lists every :class:`Masalah`:

* every field that is invalid (not only the first), and the dates (the end not before the
  start);
* the employees and units (nothing synced yet: ``diklat sync``), and the units named in the
  criteria;
* an active official with an e-mail address (the one-time codes go by e-mail) for every role
  of every approval the catalogue gives the training's path under its conditions: each
  document's chain (``Sop.rencana_naskah(kondisi)``, where ``Approval.kind_for`` decides
  paraf or signature), the dispositions, and the officials a document names besides
  (:data:`diklat.naskah.isi.PERAN_ISI`); and an active staff member for every role that
  corrects a draft sent back (:func:`peran_perbaikan`);
* every field of the training that a letter of its path prints
  (:func:`diklat.naskah.isi.kolom_wajib`): a signed letter never shows an empty "Tempat :".

:func:`kekurangan_awal` is the part that does not depend on one training (officials of both
SOPs, employees, units): what ``diklat up`` says is missing on the first day.

Messages never carry a NIP (they can reach the orchestrator's logs). No Prefect here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.mail import valid_address
from diklat.kegiatan.data import DataKegiatan, KegiatanDitolak, galat_isian
from diklat.models import Pegawai, UnitKerja
from diklat.pegawai.pejabat import PejabatTidakAda, pemegang
from diklat.sop.catalogue import Sop, UnknownSop, get_sop, load_catalogue

#: The CLI option of each field a letter prints (``diklat kegiatan buat|ubah``).
OPSI: dict[str, str] = {
    "tempat": '--tempat "TEMPAT"',
    "jp": "--jp JUMLAH",
    "penyelenggara": '--penyelenggara "NAMA"',
    "lembaga_narasumber": '--lembaga-narasumber "NAMA"',
    "materi": '--materi "MATERI"',
    "kriteria.unit": "--unit KODE (lihat `diklat unit list`)",
}
PERINTAH_SYNC = "diklat sync --full, atau diklat import siasn-export BERKAS"


def perintah_pejabat(peran: str) -> str:
    return (
        f'diklat pejabat tambah --peran {peran} --nip NIP --nama "NAMA" '
        f'--jabatan "JABATAN" --email ALAMAT'
    )


@dataclass(frozen=True)
class Masalah:
    """One thing that keeps a training from starting: where (a field path such as
    ``kegiatan.tempat``, ``pejabat.kepala``, ``pegawai``), what, and what fixes it."""

    bagian: str
    pesan: str
    perbaikan: str = ""

    def __str__(self) -> str:
        return f"{self.bagian}: {self.pesan}" + (
            f" (perbaiki: {self.perbaikan})" if self.perbaikan else ""
        )

    def as_dict(self) -> dict[str, str]:
        return {"bagian": self.bagian, "pesan": self.pesan, "perbaikan": self.perbaikan}


def peran_jalur(sop: Sop, kondisi: Collection[str] = ()) -> dict[str, list[str]]:
    """Every role that decides something on a training's path (role -> where: the
    documents' chains with the kind each level takes under ``kondisi``, the dispositions,
    the officials a document names), in the order the SOP first needs them."""
    from diklat.naskah.isi import PERAN_ISI

    out: dict[str, list[str]] = {}

    def add(peran: str, where: str) -> None:
        places = out.setdefault(peran, [])
        if where not in places:
            places.append(where)

    rencana = sop.rencana_naskah(kondisi)
    for step in sop.steps_for(kondisi):
        a = step.approval
        if a is None:
            continue
        if step.naskah is None or a.kind == "disposisi":
            for peran in a.roles:
                add(peran, f"{a.kind_for(kondisi)} langkah {step.no}")
            continue
        for r in rencana:
            if r.jenis != step.naskah:
                continue
            for t in r.tingkat:
                if t.langkah == step.no:
                    add(t.peran, f"{t.kind.replace('_', ' ')} {r.jenis}")
    for r in rencana:
        for peran in PERAN_ISI.get(r.jenis, ()):
            add(peran, f"dicetak pada {r.jenis}")
    return out


def peran_perbaikan(sop: Sop, kondisi: Collection[str] = ()) -> dict[str, list[str]]:
    """Who corrects a draft sent back at each level of each document's chain (the SOP's
    "dikembalikan ke ... untuk diperbaiki": the level the revision returns to, or the actor
    of the step it returns to), role -> which documents."""
    out: dict[str, list[str]] = {}
    for r in sop.rencana_naskah(kondisi):
        by_step = {t.langkah: t for t in r.tingkat}
        for t in r.tingkat:
            back = t.return_to or t.langkah
            target = by_step.get(back)
            peran = (
                target.peran
                if target is not None and back != t.langkah
                else sop.step(back).pelaksana[0]
            )
            where = f"perbaikan {r.jenis}"
            places = out.setdefault(peran, [])
            if where not in places:
                places.append(where)
    return out


def _ringkas(where: list[str], n: int = 3) -> str:
    more = f" dan {len(where) - n} lagi" if len(where) > n else ""
    return ", ".join(where[:n]) + more


def masalah_pejabat(
    session: Session,
    peran: Mapping[str, list[str]],
    nama_peran: Mapping[str, str],
    *,
    email: bool = True,
) -> list[Masalah]:
    """An active official (or staff member) for each role, with a usable e-mail address when
    ``email`` (``nama_peran``: the roles' names as the SOP prints them)."""
    out = []
    for role, where in peran.items():
        label = nama_peran.get(role, role)
        try:
            p = pemegang(session, role)
        except PejabatTidakAda:
            out.append(
                Masalah(
                    f"pejabat.{role}",
                    f"tidak ada pejabat aktif untuk {label} ({_ringkas(where)})",
                    perintah_pejabat(role),
                )
            )
            continue
        if email and not valid_address(p.email):
            out.append(
                Masalah(
                    f"pejabat.{role}",
                    f"pejabat aktif {label} belum punya alamat pos-el yang "
                    "valid (kode verifikasi dikirim lewat pos-el)",
                    perintah_pejabat(role).replace("--nip NIP", "--nip NIP-NYA"),
                )
            )
    return out


def kekurangan_data(session: Session) -> list[Masalah]:
    """Nothing synced yet: no employees or no units."""
    units = session.execute(select(func.count()).select_from(UnitKerja)).scalar_one()
    people = session.execute(
        select(func.count()).select_from(Pegawai).where(Pegawai.aktif.is_(True))
    ).scalar_one()
    out = []
    if not people:
        out.append(
            Masalah(
                "pegawai",
                "belum ada data pegawai (sinkronisasi dari SIMPEG belum pernah dijalankan)",
                PERINTAH_SYNC,
            )
        )
    if not units:
        out.append(
            Masalah(
                "unit_kerja",
                "belum ada unit kerja (kode unit datang dari SIMPEG lewat sinkronisasi)",
                PERINTAH_SYNC,
            )
        )
    return out


def kekurangan_awal(session: Session) -> list[Masalah]:
    """What the first day still lacks, for every SOP of the catalogue: employees, units, and
    officials for every role of every path (a role needed only under a condition says so)."""
    roles: dict[str, list[str]] = {}
    staff: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for sop in load_catalogue().values():
        names = {**sop.pelaksana, **names}
        for found, fn in ((roles, peran_jalur), (staff, peran_perbaikan)):
            base = fn(sop)
            for role, where in base.items():
                found.setdefault(role, []).append(f"SOP {sop.kode_sop}: {where[0]}")
            for cond in sop.kondisi:
                for role, where in fn(sop, [cond]).items():
                    if role not in base:
                        found.setdefault(role, []).append(
                            f"SOP {sop.kode_sop} bila {cond}: {where[0]}"
                        )
    staff = {r: w for r, w in staff.items() if r not in roles}
    return (
        kekurangan_data(session)
        + masalah_pejabat(session, roles, names)
        + masalah_pejabat(session, staff, names, email=False)
    )


# --------------------------------------------------------------------------- one training


def _as_dict(raw: Mapping[str, Any] | DataKegiatan) -> dict[str, Any]:
    if isinstance(raw, DataKegiatan):
        return raw.model_dump()
    return dict(raw)


def _kosong(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict):
        return not value
    return False


def _nilai(raw: Mapping[str, Any], path: str) -> Any:
    value: Any = raw
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
    return value


def _tanggal(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def periksa_kegiatan(
    session: Session, raw: Mapping[str, Any] | DataKegiatan
) -> tuple[DataKegiatan | None, list[Masalah]]:
    """The training as typed, checked completely: ``(data or None, every problem)``.
    ``data`` is None when a field itself is invalid; the other checks still run on what was
    typed, so one answer lists everything."""
    values = _as_dict(raw)
    masalah: list[Masalah] = []
    data: DataKegiatan | None = None
    try:
        data = raw if isinstance(raw, DataKegiatan) else DataKegiatan.model_validate(values)
    except KegiatanDitolak as e:
        masalah.append(Masalah(e.field, e.message))
    except ValidationError as err:
        for detail in err.errors():
            g = galat_isian(detail)
            masalah.append(Masalah(g.field, g.message))
    if data is not None:
        values = data.model_dump()
    salah = {m.bagian for m in masalah}

    if data is None and "selesai" not in salah:
        a, b = _tanggal(values.get("mulai")), _tanggal(values.get("selesai"))
        if a and b and b < a:
            masalah.append(Masalah("selesai", f"tanggal selesai {b} sebelum tanggal mulai {a}"))

    masalah.extend(kekurangan_data(session))

    units = [u for u in (_nilai(values, "kriteria.unit") or []) if isinstance(u, str)]
    if units:
        known = set(
            session.execute(select(UnitKerja.kode).where(UnitKerja.kode.in_(units))).scalars()
        )
        unknown = [u for u in units if u not in known]
        if unknown:
            masalah.append(
                Masalah(
                    "kriteria.unit",
                    "unit kerja tidak dikenal: " + ", ".join(unknown),
                    "lihat kode unit dengan `diklat unit list`",
                )
            )

    try:
        sop = get_sop(str(values.get("sop") or ""))
    except UnknownSop:
        return data, masalah  # without an SOP there is no path to check
    kondisi = [k for k in (values.get("kondisi") or []) if k in sop.kondisi]

    from diklat.naskah.isi import kolom_wajib

    dicetak: dict[str, list[str]] = {}
    for r in sop.rencana_naskah(kondisi):
        for path in kolom_wajib(sop.code, r.jenis):
            dicetak.setdefault(path, []).append(r.jenis)
    for path, jenis in dicetak.items():
        if path in salah or f"kegiatan.{path}" in salah:
            continue
        if _kosong(_nilai(values, path)):
            masalah.append(
                Masalah(
                    f"kegiatan.{path}",
                    f"wajib diisi: dicetak pada {', '.join(jenis)}",
                    OPSI.get(path, ""),
                )
            )

    decide = peran_jalur(sop, kondisi)
    masalah.extend(masalah_pejabat(session, decide, sop.pelaksana))
    masalah.extend(
        masalah_pejabat(
            session,
            {r: w for r, w in peran_perbaikan(sop, kondisi).items() if r not in decide},
            sop.pelaksana,
            email=False,
        )
    )
    return data, masalah


__all__ = [
    "OPSI",
    "PERINTAH_SYNC",
    "Masalah",
    "kekurangan_awal",
    "kekurangan_data",
    "masalah_pejabat",
    "peran_jalur",
    "peran_perbaikan",
    "periksa_kegiatan",
    "perintah_pejabat",
]
