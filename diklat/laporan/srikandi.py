"""The SRIKANDI hand-over (issue 16): what the records officer needs to register a training's
outgoing letters by hand in SRIKANDI, the national e-office, which has no public API.

For every letter of a training that is registered (it has a number in the agency's register,
not voided) and signed (its ``ttd_pdf`` file), :func:`paket` writes a folder
``<out>/<KODE>/<nomor>/`` holding

* the signed PDF, byte for byte (its SHA-256 is checked against the one recorded when it was
  signed: an altered file is reported, never handed over);
* ``srikandi.csv`` (a heading and one row) and ``srikandi.json`` with exactly the fields of
  SRIKANDI's registration form (:data:`FIELDS`): number, date, classification code, Hal,
  sifat, addressee, signer's name, position (as printed, ``a.n.``/``Plt.`` included) and NIP,
  number of pages (counted in the PDF) and of attachments, the SHA-256, and the file's name.
  Every CSV here is written by :func:`diklat.excel.csv_bytes`: a value that a spreadsheet
  would take for a formula (an official named ``=HYPERLINK(...)``) carries a leading
  apostrophe there; the JSON keeps the value as it is.

A bundle of several letters (the summonses of a training) also gets ``bundel-<jenis>-v<n>.csv``
and ``.json`` beside the letters' folders, one row per member. The daily list
(``daftar-harian-<YYYY-MM-DD>-<KODE>.csv`` and ``.xlsx``, through :mod:`diklat.excel`) lists
the letters of each letter date with two columns for the officer (registered in SRIKANDI on,
filled once recorded with :func:`catat`; initials). :func:`harian` does the same for one day
across every training and writes the records officer's list of that day (``daftar-harian-<YYYY-MM-DD>.csv``/``.xlsx``, all
trainings, numbered through). Running it again rewrites the same files, changed only by what
was recorded since.
No scraping and no automation of SRIKANDI's screens. No Prefect here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from diklat.berkas import sha256_berkas
from diklat.excel import Kolom, csv_bytes, tulis
from diklat.kegiatan.data import kegiatan_by_kode
from diklat.models import Bundel, Naskah, NaskahBerkas, Pejabat, RegisterEntry
from diklat.naskah.register import REGISTERED
from diklat.rules.nip import normalize

#: The registration form's fields, in its order (the CSV heading and the JSON keys).
FIELDS: tuple[str, ...] = (
    "nomor",
    "tanggal",
    "klasifikasi",
    "hal",
    "sifat",
    "tujuan",
    "penandatangan_nama",
    "penandatangan_jabatan",
    "penandatangan_nip",
    "jumlah_halaman",
    "jumlah_lampiran",
    "sha256",
    "berkas",
)

KOLOM_HARIAN = (
    Kolom("No", "no", 5, "angka"),
    Kolom("Nomor surat", "nomor", 30),
    Kolom("Tanggal", "tanggal", 12, "tanggal"),
    Kolom("Kode klasifikasi", "klasifikasi", 14),
    Kolom("Hal", "hal", 45),
    Kolom("Sifat", "sifat", 10),
    Kolom("Tujuan", "tujuan", 40),
    Kolom("Penandatangan", "penandatangan_nama", 30),
    Kolom("Jabatan penandatangan", "penandatangan_jabatan", 36),
    Kolom("NIP penandatangan", "penandatangan_nip", 21),
    Kolom("Halaman", "jumlah_halaman", 8, "angka"),
    Kolom("Lampiran", "jumlah_lampiran", 8, "angka"),
    Kolom("Folder paket", "folder", 30),
    Kolom("SHA-256", "sha256", 66),
    Kolom("Didaftarkan di SRIKANDI (tanggal)", "didaftarkan", 16),
    Kolom("Paraf petugas", "paraf", 10),
)
#: The day's list across trainings names each letter's training.
KOLOM_HARIAN_SEMUA = (KOLOM_HARIAN[0], Kolom("Kegiatan", "kegiatan", 16), *KOLOM_HARIAN[1:])


class SrikandiError(Exception):
    """A hand-over that cannot be made (one line for the operator)."""


def pesan_tanpa_ttd(n: int) -> str:
    return f"{n} naskah bernomor belum punya PDF bertanda tangan (tidak dipaketkan)"


def pesan_berubah(nomor: Sequence[str]) -> str:
    return (
        f"PDF bertanda tangan berubah sejak ditandatangani, tidak dipaketkan: "
        f"{', '.join(nomor)}; periksa dengan `diklat archive verify`"
    )


@dataclass
class HasilPaket:
    kegiatan: str
    folder: Path
    surat: list[dict[str, Any]] = field(default_factory=list)  # the field rows written
    daftar_harian: list[Path] = field(default_factory=list)
    tanpa_ttd: int = 0  # registered letters without a signed PDF (not handed over)
    berubah: list[str] = field(default_factory=list)  # numbers whose PDF no longer matches

    def as_dict(self) -> dict[str, Any]:
        return {
            "kegiatan": self.kegiatan,
            "folder": str(self.folder),
            "surat": len(self.surat),
            "daftar_harian": [str(p) for p in self.daftar_harian],
            "tanpa_ttd": self.tanpa_ttd,
            "berubah": list(self.berubah),
        }


def nama_folder(nomor: str) -> str:
    """A letter number as a folder name: ``800.2.4.2/034/BKPSDM/2026`` ->
    ``800.2.4.2-034-BKPSDM-2026``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", nomor).strip("-.") or "tanpa-nomor"


def jumlah_lampiran(teks: str | None) -> int:
    """``1 (satu) berkas`` -> 1; ``-`` or empty -> 0."""
    m = re.match(r"\s*(\d+)", teks or "")
    return int(m.group(1)) if m else 0


def jumlah_halaman(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def _atomic_write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _copy(src: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv(rows: Iterable[Mapping[str, Any]], fields: Sequence[str] = FIELDS) -> bytes:
    """Through the one CSV writer: a name like ``=HYPERLINK(...)`` stays inert text."""
    return csv_bytes(rows, fields)


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _penandatangan(session: Session, n: Naskah) -> tuple[str, str, str]:
    """Name, position and NIP as the letter prints them (its decided-on context), the
    official's row where the context lacks one."""
    ttd = json.loads(n.konteks_json or "{}").get("ttd") or {}
    pej = session.get(Pejabat, n.penandatangan_id) if n.penandatangan_id else None
    nama = ttd.get("nama") or (pej.nama if pej else "")
    jabatan = " ".join(x for x in (ttd.get("an", ""), ttd.get("jabatan", "")) if x) or (
        pej.jabatan if pej else ""
    )
    nip = normalize(ttd.get("nip") or n.penandatangan_nip or (pej.nip if pej else ""))
    return str(nama), str(jabatan), nip


def _letters(
    session: Session, kegiatan_id: int, tanggal: dt.date | None
) -> list[tuple[Naskah, NaskahBerkas | None]]:
    q = (
        select(Naskah, NaskahBerkas)
        .join(RegisterEntry, RegisterEntry.naskah_id == Naskah.id)
        .outerjoin(
            NaskahBerkas, (NaskahBerkas.naskah_id == Naskah.id) & (NaskahBerkas.peran == "ttd_pdf")
        )
        .where(
            Naskah.kegiatan_id == kegiatan_id,
            Naskah.status.in_(REGISTERED),
            Naskah.nomor.is_not(None),
            RegisterEntry.status == "aktif",
        )
    )
    if tanggal is not None:
        q = q.where(Naskah.tanggal == tanggal)
    rows = session.execute(
        q.order_by(Naskah.tanggal, RegisterEntry.unit, RegisterEntry.urut, Naskah.id)
    ).all()
    return [(n, b) for n, b in rows]


def paket(
    session: Session,
    kode: str,
    out_dir: str | Path,
    *,
    tanggal: dt.date | None = None,
    daftar: bool = True,
) -> HasilPaket:
    """Write the hand-over packages of training ``kode`` under ``out_dir/<KODE>/`` (only the
    letters dated ``tanggal`` when given) and, with ``daftar``, its daily lists under
    ``out_dir``."""
    k = kegiatan_by_kode(session, kode)
    root = Path(out_dir)
    base = root / nama_folder(k.kode)
    out = HasilPaket(kegiatan=k.kode, folder=base)
    bundles: dict[int, list[dict[str, Any]]] = {}
    for n, berkas in _letters(session, k.id, tanggal):
        if berkas is None:
            out.tanpa_ttd += 1
            continue
        assert n.nomor is not None
        src = Path(berkas.path)
        if not src.is_file():
            raise SrikandiError(f"PDF bertanda tangan naskah {n.nomor} tidak ada: {src}")
        digest = sha256_berkas(src)
        if digest != berkas.sha256:
            out.berubah.append(n.nomor)  # never hand over a file that is not the signed one
            continue
        folder = base / nama_folder(n.nomor)
        pdf = folder / f"{nama_folder(n.nomor)}.pdf"
        _copy(src, pdf)
        if sha256_berkas(pdf) != digest:  # pragma: no cover - a disk that lies
            raise SrikandiError(f"salinan PDF {n.nomor} tidak sama dengan aslinya")
        nama, jabatan, nip = _penandatangan(session, n)
        konteks = json.loads(n.konteks_json or "{}")
        row: dict[str, Any] = {
            "nomor": n.nomor,
            "tanggal": n.tanggal.isoformat() if n.tanggal else "",
            "klasifikasi": n.klasifikasi or "",
            "hal": n.hal or konteks.get("hal") or "",
            "sifat": n.sifat or "Biasa",
            "tujuan": n.tujuan or konteks.get("tujuan") or "",
            "penandatangan_nama": nama,
            "penandatangan_jabatan": jabatan,
            "penandatangan_nip": nip,
            "jumlah_halaman": jumlah_halaman(pdf),
            "jumlah_lampiran": jumlah_lampiran(konteks.get("lampiran")),
            "sha256": digest,
            "berkas": pdf.name,
        }
        _atomic_write(folder / "srikandi.csv", _csv([row]))
        _atomic_write(folder / "srikandi.json", _json(row))
        out.surat.append(
            {
                **row,
                "folder": str(folder.relative_to(root)),
                "didaftarkan": n.srikandi_didaftarkan.isoformat() if n.srikandi_didaftarkan else "",
            }
        )
        if n.bundel_id is not None:
            bundles.setdefault(n.bundel_id, []).append(row)
    for bid, rows in bundles.items():
        b = session.get(Bundel, bid)
        if b is None or len(rows) < 2:
            continue
        stem = f"bundel-{b.jenis}-v{b.versi}" + (f"-{tanggal.isoformat()}" if tanggal else "")
        _atomic_write(base / f"{stem}.csv", _csv(rows))
        _atomic_write(base / f"{stem}.json", _json(rows))
    if daftar:
        out.daftar_harian = _daftar_harian(root, k.kode, out.surat)
    return out


HARIAN_FIELDS = ("no", "kegiatan", *FIELDS[:-1], "folder", "didaftarkan", "paraf")


@dataclass
class HasilHarian:
    tanggal: dt.date
    paket: list[HasilPaket] = field(default_factory=list)  # one per training with letters
    daftar_harian: list[Path] = field(default_factory=list)
    gagal: list[str] = field(default_factory=list)  # "KODE: why" of trainings not packaged

    @property
    def surat(self) -> int:
        return sum(len(p.surat) for p in self.paket)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tanggal": self.tanggal.isoformat(),
            "surat": self.surat,
            "kegiatan": [p.kegiatan for p in self.paket],
            "daftar_harian": [str(p) for p in self.daftar_harian],
            "tanpa_ttd": sum(p.tanpa_ttd for p in self.paket),
            "berubah": [n for p in self.paket for n in p.berubah],
            "gagal": list(self.gagal),
        }


def harian(session: Session, tanggal: dt.date, out_dir: str | Path) -> HasilHarian:
    """The records officer's day: the packages of every training's letters dated ``tanggal``
    (each under ``out_dir/<KODE>/``) and one list of them all: by training code, each
    training's letters in register order."""
    from diklat.models import Kegiatan

    root = Path(out_dir)
    out = HasilHarian(tanggal)
    kodes = (
        session.execute(
            select(Kegiatan.kode)
            .join(Naskah, Naskah.kegiatan_id == Kegiatan.id)
            .join(RegisterEntry, RegisterEntry.naskah_id == Naskah.id)
            .where(
                Naskah.tanggal == tanggal,
                Naskah.status.in_(REGISTERED),
                RegisterEntry.status == "aktif",
            )
            .distinct()
            .order_by(Kegiatan.kode)
        )
        .scalars()
        .all()
    )
    rows: list[dict[str, Any]] = []
    for kode in kodes:
        try:
            hasil = paket(session, kode, root, tanggal=tanggal, daftar=False)
        except SrikandiError as e:  # one training's missing file does not stop the day
            out.gagal.append(f"{kode}: {e}")
            continue
        out.paket.append(hasil)
        rows += [{**r, "kegiatan": kode} for r in hasil.surat]
    if rows:
        out.daftar_harian = _tulis_daftar(root, tanggal.isoformat(), rows, judul="")
    return out


def _tulis_daftar(root: Path, day: str, items: list[dict[str, Any]], judul: str) -> list[Path]:
    """One day's list as CSV and XLSX, numbered from 1; the officer fills in the initials (and
    the date, unless recorded)."""
    numbered = [
        {**r, "no": i, "didaftarkan": r.get("didaftarkan") or "", "paraf": ""}
        for i, r in enumerate(items, start=1)
    ]
    name = f"daftar-harian-{day}" + (f"-{nama_folder(judul)}" if judul else "")
    csv_path, xlsx_path = root / f"{name}.csv", root / f"{name}.xlsx"
    _atomic_write(csv_path, _csv(numbered, HARIAN_FIELDS))
    excel_rows = [
        {**r, "tanggal": dt.date.fromisoformat(r["tanggal"]) if r["tanggal"] else None}
        for r in numbered
    ]
    tulis(
        xlsx_path,
        f"Daftar {day}",
        KOLOM_HARIAN_SEMUA if not judul else KOLOM_HARIAN,
        excel_rows,
        judul_lembar=f"Daftar serah SRIKANDI {day} {judul}".rstrip(),
    )
    return [csv_path, xlsx_path]


def _daftar_harian(root: Path, kode: str, rows: list[dict[str, Any]]) -> list[Path]:
    """One list per letter date (CSV and XLSX). A list holds this training's letters; a
    second training's letters of the same day go into their own list (the file name says
    which), so a run never drops another training's rows."""
    by_day: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_day.setdefault(r["tanggal"] or "tanpa-tanggal", []).append(r)
    written = []
    for day, items in sorted(by_day.items()):
        written += _tulis_daftar(root, day, [{**r, "kegiatan": kode} for r in items], judul=kode)
    return written


# --------------------------------------------------------------------------- the officer's record


def _signed_letters() -> Any:
    """Registered (active), signed letters: the ones there is something to register."""
    return (
        select(Naskah)
        .join(RegisterEntry, RegisterEntry.naskah_id == Naskah.id)
        .join(
            NaskahBerkas, (NaskahBerkas.naskah_id == Naskah.id) & (NaskahBerkas.peran == "ttd_pdf")
        )
        .where(
            Naskah.status.in_(REGISTERED),
            Naskah.nomor.is_not(None),
            RegisterEntry.status == "aktif",
        )
    )


def catat(
    session: Session, nomor: Sequence[str], tanggal: dt.date, nomor_srikandi: str | None = None
) -> list[str]:
    """The records officer registered these letters in SRIKANDI on ``tanggal`` (and, for one
    letter, SRIKANDI's agenda number). All or nothing: a number that is not a registered,
    signed letter (:class:`SrikandiError`) records none. Again with the same values changes
    nothing; a different date corrects the record. Returns the numbers recorded."""
    from diklat.naskah.register import today

    wanted = list(dict.fromkeys(x.strip() for x in nomor if x.strip()))
    if not wanted:
        raise SrikandiError("tidak ada nomor surat")
    nomor_srikandi = (nomor_srikandi or "").strip() or None
    if nomor_srikandi and len(wanted) != 1:
        raise SrikandiError("nomor SRIKANDI hanya untuk satu surat sekaligus")
    if nomor_srikandi and len(nomor_srikandi) > 100:
        raise SrikandiError("nomor SRIKANDI lebih dari 100 karakter")
    if tanggal > today():
        raise SrikandiError(f"tanggal {tanggal.isoformat()} belum tiba")
    found = {
        n.nomor: n
        for n in session.execute(_signed_letters().where(Naskah.nomor.in_(wanted))).scalars()
    }
    missing = [x for x in wanted if x not in found]
    if missing:
        raise SrikandiError(
            f"bukan surat bernomor yang sudah ditandatangani: "
            f"{', '.join(missing)}; tidak ada yang dicatat"
        )
    early = [x for x in wanted if found[x].tanggal and tanggal < found[x].tanggal]
    if early:
        raise SrikandiError(
            f"tanggal {tanggal.isoformat()} sebelum tanggal surat "
            f"{', '.join(early)}; tidak ada yang dicatat"
        )
    for x in wanted:
        n = found[x]
        n.srikandi_didaftarkan = tanggal
        if nomor_srikandi:
            n.srikandi_nomor = nomor_srikandi
    return wanted


def belum(session: Session) -> list[dict[str, Any]]:
    """Signed, registered letters not yet recorded as registered in SRIKANDI, oldest first:
    the records officer's outstanding list (numbers and subjects, never a NIP)."""
    from diklat.models import Kegiatan

    rows = session.execute(
        _signed_letters()
        .add_columns(Kegiatan.kode)
        .outerjoin(Kegiatan, Kegiatan.id == Naskah.kegiatan_id)
        .where(Naskah.srikandi_didaftarkan.is_(None))
        .order_by(Naskah.tanggal, RegisterEntry.unit, RegisterEntry.urut, Naskah.id)
    ).all()
    return [
        {
            "nomor": n.nomor,
            "tanggal": n.tanggal.isoformat() if n.tanggal else "",
            "kegiatan": kode or "",
            "hal": n.hal or "",
            "tujuan": n.tujuan or "",
        }
        for n, kode in rows
    ]
