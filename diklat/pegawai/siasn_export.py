"""Reader and mapper for SIASN's "Export Data ASN" file (the CSV agencies download from SIASN).

:func:`inspect_export` looks at the whole file once before anything is written: it refuses an
empty file, a file that is not text (zip/xlsx, PDF, images, anything with NUL bytes or that is
not UTF-8), and a header that lacks one of the 65 standard columns (the missing names are
listed). It also computes the file's SHA-256, detects the delimiter (comma, semicolon, pipe or
tab) from the header line, and notes unknown extra columns (they are ignored).

:func:`read_batches` then streams the rows with the ``csv`` module (memory stays flat: one
batch at a time) and maps each row by header name to a *canonical employee dict* for
:class:`diklat.pegawai.personnel.PersonnelWriter`. Every cell stays text (NIPs and ids never pass
through a number); a leading apostrophe and the text ``null`` are cleaned away; ``dd-mm-yyyy``
dates become ``datetime.date``; ``M``/``F`` become ``L``/``P``. A row that cannot be mapped (a
truncated last line, too many fields) becomes a :class:`diklat.pegawai.personnel.Rejected` with its
line number and reason. The personal columns the product has no use for (``nik``,
``npwp_nomor``, ``bpjs``, ``alamat``) are never read into a record.

:func:`import_export` runs a whole import: a ``sync_run`` record, then every batch through
one :class:`diklat.pegawai.personnel.PersonnelWriter` inside ONE transaction (a failure leaves the
database as it was), ``--full`` deactivation, and the counts. No Prefect here:
``flows/import_siasn_export.py``, the CLI and the benchmark call it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select

from connectors.records import (
    CONTACT_FIELDS,
    EXPORT_COLUMNS,
    EXPORT_NEW_COLUMNS,
    NOT_STORED_FIELDS,
    SEX_CODES,
    normalise_jenis_jabatan,
)
from connectors.records import DATE_FIELDS as RECORD_DATE_FIELDS
from diklat import runs
from diklat.models import Pegawai, SiasnUnor, UnitKerja
from diklat.pegawai.personnel import (
    PersonnelWriter,
    Rejected,
    finish_run,
    start_run,
    strip_text_marker,
)
from diklat.pegawai.unor import GUID
from diklat.rules import nip as nip_rules
from diklat.rules.tanggal import parse_dmy

REQUIRED_COLUMNS = EXPORT_COLUMNS
OPTIONAL_COLUMNS = EXPORT_NEW_COLUMNS
KNOWN_COLUMNS = frozenset(REQUIRED_COLUMNS) | frozenset(OPTIONAL_COLUMNS)
#: Personal data the product does not store: never copied into a record or a payload.
PERSONAL_COLUMNS = NOT_STORED_FIELDS & KNOWN_COLUMNS
DELIMITERS: tuple[str, ...] = (",", ";", "|", "\t")
DELIMITER_NAMES = {",": "koma", ";": "titik koma", "|": "pipa", "\t": "tab"}

#: canonical field <- export column. ``email`` falls back to ``email_gov`` when empty.
COLUMN_MAP: tuple[tuple[str, str], ...] = (
    ("nip", "nip_baru"),
    ("nip_lama", "nip_lama"),
    ("pns_orang_id", "pns_id"),
    ("nama", "nama"),
    ("gelar_depan", "gelar_depan"),
    ("gelar_belakang", "gelar_belakang"),
    ("jenis_kelamin", "jenis_kelamin"),
    ("tempat_lahir", "tempat_lahir_nama"),
    ("tanggal_lahir", "tanggal_lahir"),
    ("jenis_pegawai", "jenis_pegawai_nama"),
    ("unit_kode", "unor_id"),
    ("unit_nama", "unor_nama"),
    ("jabatan", "jabatan_nama"),
    ("jenis_jabatan", "jenis_jabatan_nama"),
    ("golongan", "gol_akhir_nama"),
    ("pendidikan_tingkat", "tingkat_pendidikan_nama"),
    ("pendidikan", "pendidikan_nama"),
    ("status", "kedudukan_hukum_nama"),
    ("tmt_cpns", "tmt_cpns"),
    ("email", "email"),
    ("nomor_hp", "nomor_hp"),
)
#: Date columns of the export (``dd-mm-yyyy``); the export has no ``tmt_pensiun``.
DATE_FIELDS = RECORD_DATE_FIELDS & {target for target, _ in COLUMN_MAP}
#: Identifier-like fields: a leading apostrophe is always the spreadsheet guard, never data.
ID_FIELDS = frozenset(
    {
        "nip",
        "nip_lama",
        "pns_orang_id",
        "unit_kode",
        "nomor_hp",
        "tanggal_lahir",
        "tmt_cpns",
        "golongan",
    }
)
#: Fields left out of a quarantine payload (contact data: stored, never logged or copied).
_NOT_IN_PAYLOAD = CONTACT_FIELDS

#: Pangkat (rank) by PNS golongan; the export carries only the golongan.
PANGKAT: dict[str, str] = {
    "I/a": "Juru Muda",
    "I/b": "Juru Muda Tingkat I",
    "I/c": "Juru",
    "I/d": "Juru Tingkat I",
    "II/a": "Pengatur Muda",
    "II/b": "Pengatur Muda Tingkat I",
    "II/c": "Pengatur",
    "II/d": "Pengatur Tingkat I",
    "III/a": "Penata Muda",
    "III/b": "Penata Muda Tingkat I",
    "III/c": "Penata",
    "III/d": "Penata Tingkat I",
    "IV/a": "Pembina",
    "IV/b": "Pembina Tingkat I",
    "IV/c": "Pembina Utama Muda",
    "IV/d": "Pembina Utama Madya",
    "IV/e": "Pembina Utama",
}
#: A NIP that went through a float: ``1.97805E+17``, ``1,97805E+17``, ``197805022005021000.0``.
_FLOAT_MANGLED = re.compile(r"^\d+([.,]\d*)?[eE]\+?\d+$|^\d+\.0+$")
_EMPTY = {"", "null", "NULL", "Null"}

#: Signatures of common non-text files, for a clear refusal message.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "arsip ZIP atau buku kerja Excel (.xlsx)"),
    (b"\xd0\xcf\x11\xe0", "buku kerja Excel lama (.xls)"),
    (b"%PDF", "PDF"),
    (b"\x89PNG", "gambar PNG"),
    (b"\xff\xd8\xff", "gambar JPEG"),
    (b"GIF8", "gambar GIF"),
    (b"\x1f\x8b", "arsip gzip"),
    (b"Rar!", "arsip RAR"),
    (b"7z\xbc\xaf", "arsip 7z"),
)
_READ_BLOCK = 1 << 20
_MAX_HEADER = 1 << 16  # the real header is about 1,200 characters


class ExportRefused(ValueError):
    """The file cannot be imported at all; nothing was written. The message says why."""


@dataclass(frozen=True)
class ExportFile:
    """What :func:`inspect_export` learnt about a file (no personal data in here)."""

    path: Path
    size: int
    sha256: str
    encoding: str  # codec used to read it ("utf-8-sig" handles a byte-order mark)
    bom: bool
    delimiter: str
    columns: tuple[str, ...]  # normalised header names, in file order
    unknown_columns: tuple[str, ...]  # ignored
    optional_present: tuple[str, ...]
    lines: int  # physical lines in the file (for a progress estimate)
    index: dict[str, int] = field(repr=False, default_factory=dict)

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))

    def notices(self) -> list[str]:
        """Things the operator should know that do not stop the import."""
        out = []
        if self.unknown_columns:
            out.append(
                "kolom tidak dikenal diabaikan / unknown columns ignored: "
                + ", ".join(self.unknown_columns)
            )
        return out


@dataclass
class Batch:
    """One chunk of the file: mapped records, rows refused while parsing, and progress."""

    records: list[dict[str, Any]]
    rejected: list[Rejected]
    rows: int  # data rows read in this batch (records + rejected)
    last_line: int


# --------------------------------------------------------------------------- inspection


def _normalise_header(name: str) -> str:
    return name.replace("\ufeff", "").strip().strip("'\"").strip().lower()


def _split_header(line: str, delimiter: str) -> list[str]:
    try:
        return [_normalise_header(c) for c in next(csv.reader([line], delimiter=delimiter))]
    except csv.Error as e:
        raise ExportRefused(f"header tidak terbaca sebagai CSV / unreadable header: {e}") from None


def _detect_delimiter(header_line: str) -> str:
    """The candidate that splits the header into the most known SIASN column names."""
    best, best_score = "", (0, 0)
    for d in DELIMITERS:
        cols = _split_header(header_line, d)
        score = (sum(1 for c in cols if c in KNOWN_COLUMNS), len(cols))
        if score > best_score:
            best, best_score = d, score
    if best_score[0] == 0:
        raise ExportRefused(
            "baris pertama bukan header ekspor SIASN (tidak ada kolom seperti nip_baru, nama, "
            "unor_id dengan pemisah koma, titik koma, pipa atau tab) / the first line is not a "
            "SIASN export header"
        )
    return best


def inspect_export(path: str | Path) -> ExportFile:
    """Check a file before anything is written; :class:`ExportRefused` if it cannot be used."""
    p = Path(path)
    if not p.exists():
        raise ExportRefused(f"file tidak ditemukan / file not found: {p}")
    if not p.is_file():
        raise ExportRefused(f"bukan file biasa / not a regular file: {p}")
    size = p.stat().st_size
    if size == 0:
        raise ExportRefused(f"file kosong / the file is empty: {p.name}")

    sha = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines = 0
    offset = 0
    with p.open("rb") as f:
        head = f.read(_READ_BLOCK)
        for magic, what in _MAGIC:
            if head.startswith(magic):
                raise ExportRefused(
                    f"{p.name} bukan file teks CSV melainkan {what}; unduh ulang 'Export Data "
                    "ASN' sebagai CSV / not a text CSV file"
                )
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ExportRefused(
                f"{p.name} berpengodean UTF-16; simpan ulang sebagai 'CSV UTF-8' / the file is "
                "UTF-16, save it again as CSV UTF-8"
            )
        block = head
        while block:
            sha.update(block)
            nul = block.find(b"\x00")
            if nul >= 0:
                raise ExportRefused(
                    f"{p.name} bukan file teks (berisi byte NUL pada byte {offset + nul}) / "
                    "not a text file (binary content)"
                )
            try:
                decoder.decode(block, final=False)
            except UnicodeDecodeError as e:
                at = offset + e.start
                line_no = lines + 1 + block.count(b"\n", 0, e.start)
                raise ExportRefused(
                    f"{p.name} bukan teks UTF-8 (byte {at}, baris {line_no}); simpan ulang "
                    "sebagai 'CSV UTF-8' / the file is not UTF-8 text"
                ) from None
            lines += block.count(b"\n")
            offset += len(block)
            block = f.read(_READ_BLOCK)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ExportRefused(
                f"{p.name} terpotong di tengah karakter UTF-8 / the file ends "
                "inside a UTF-8 character"
            ) from None
        if not head.endswith(b"\n"):
            lines += 1  # a last line without a line end

    bom = head.startswith(codecs.BOM_UTF8)
    encoding = "utf-8-sig"
    header_line = ""
    has_data = False
    with p.open(encoding=encoding, newline="") as f:
        while True:
            line = f.readline(_MAX_HEADER)
            if not line:
                break
            if not line.strip():
                continue
            if header_line:
                has_data = True
                break
            if len(line) >= _MAX_HEADER and not line.endswith("\n"):
                raise ExportRefused(
                    f"baris pertama {p.name} lebih dari {_MAX_HEADER} karakter: bukan header "
                    "ekspor SIASN / the first line is too long for a SIASN export header"
                )
            header_line = line.rstrip("\r\n")
    if not header_line:
        raise ExportRefused(f"file kosong (hanya baris kosong) / the file is empty: {p.name}")
    delimiter = _detect_delimiter(header_line)
    columns = tuple(_split_header(header_line, delimiter))

    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ExportRefused(
            f"kolom wajib tidak ada / required columns missing ({len(missing)}): "
            + ", ".join(missing)
        )
    dupes = sorted({c for c in columns if c in KNOWN_COLUMNS and columns.count(c) > 1})
    if dupes:
        raise ExportRefused("kolom ganda / duplicate columns: " + ", ".join(dupes))
    if not has_data:
        raise ExportRefused(
            f"file hanya berisi header, tanpa data pegawai / the file has a "
            f"header but no rows: {p.name}"
        )
    index = {c: i for i, c in enumerate(columns) if c in KNOWN_COLUMNS}
    unknown = tuple(
        c or f"(kolom {i + 1} tanpa nama)" for i, c in enumerate(columns) if c not in KNOWN_COLUMNS
    )
    return ExportFile(
        path=p,
        size=size,
        sha256=sha.hexdigest(),
        encoding=encoding,
        bom=bom,
        delimiter=delimiter,
        columns=columns,
        unknown_columns=unknown,
        optional_present=tuple(c for c in OPTIONAL_COLUMNS if c in index),
        lines=lines,
        index=index,
    )


# --------------------------------------------------------------------------- mapping


def clean_cell(value: str, identifier: bool = False) -> str | None:
    """Strip blanks; ``null`` is empty; drop the export's leading apostrophe where it is the
    text marker: on a numeric-looking cell, or an identifier cell holding an identifier
    (:func:`diklat.pegawai.personnel.strip_text_marker`). ``'=1+1`` keeps its apostrophe."""
    s = value.strip()
    if s in _EMPTY:
        return None
    if s.startswith("'"):
        s = strip_text_marker(s, identifier)
        if s in _EMPTY:
            return None
    return s


def normalise_jenis_pegawai(value: str | None) -> str | None:
    """``PNS``/``PPPK`` from SIASN's names (``PNS Daerah ...``, ``PPPK``, ``Pegawai Pemerintah
    dengan Perjanjian Kerja``); ``None`` when unknown (the writer then takes it from the NIP)."""
    if not value:
        return None
    v = value.upper()
    if "PPPK" in v or "PERJANJIAN" in v:
        return "PPPK"
    if "PNS" in v or "NEGERI SIPIL" in v:
        return "PNS"
    return None


ColumnPlan = tuple[tuple[str, int, bool], ...]


def mapping_plan(index: dict[str, int]) -> ColumnPlan:
    """(canonical field, cell position, is identifier) for every mapped column of a file."""
    return tuple((target, index[column], target in ID_FIELDS) for target, column in COLUMN_MAP)


def _date(v: str) -> dt.date | str:
    if len(v) == 10 and v[2] == "-" and v[5] == "-" and v[:2].isdigit():
        try:
            return dt.date(int(v[6:]), int(v[3:5]), int(v[:2]))
        except ValueError:
            return v
    try:
        return parse_dmy(v) or v
    except ValueError:
        return v  # unparseable: left as text, the writer refuses it naming the field


def map_row(
    values: list[str], index: dict[str, int], baris: int, plan: ColumnPlan | None = None
) -> dict[str, Any]:
    """One data row (already split into cells) -> canonical employee dict with ``_baris``.

    Unparseable values are passed on as text so the writer quarantines them with its usual
    reason (the same rules as the sync). ``plan`` (from :func:`mapping_plan`) saves work when
    many rows of one file are mapped."""
    rec: dict[str, Any] = {"_baris": baris}
    for target, i, ident in plan or mapping_plan(index):
        v = values[i].strip()
        if v in _EMPTY:
            rec[target] = None
        elif v[0] == "'":
            rec[target] = clean_cell(v, ident)
        else:
            rec[target] = v
    if rec["email"] is None:
        rec["email"] = clean_cell(values[index["email_gov"]])
    sex = rec["jenis_kelamin"]
    if sex is not None:
        rec["jenis_kelamin"] = SEX_CODES.get(sex.upper(), sex)
    for name in DATE_FIELDS:
        v = rec[name]
        if v is not None:
            rec[name] = _date(v)
    rec["jenis_pegawai"] = normalise_jenis_pegawai(rec["jenis_pegawai"])
    if rec["jenis_jabatan"] is None:  # the name is what the file is about; else the id
        rec["jenis_jabatan"] = clean_cell(values[index["jenis_jabatan_id"]], True)
    rec["jenis_jabatan"] = normalise_jenis_jabatan(rec["jenis_jabatan"])
    gol = rec["golongan"]
    rec["pangkat"] = PANGKAT.get(gol) if gol else None
    return rec


def _payload(values: list[str], index: dict[str, int]) -> dict[str, Any]:
    """What is left of a broken row for the quarantine: mapped fields only, no personal data."""
    out: dict[str, Any] = {}
    for target, column in COLUMN_MAP:
        i = index[column]
        if target in _NOT_IN_PAYLOAD or i >= len(values):
            continue
        out[target] = clean_cell(values[i], target in ID_FIELDS)
    return out


def _kunci(values: list[str], index: dict[str, int]) -> str | None:
    i = index["nip_baru"]
    return clean_cell(values[i], True) if i < len(values) else None


# --------------------------------------------------------------------------- streaming


def read_batches(info: ExportFile, batch_size: int = 5000) -> Iterator[Batch]:
    """Stream the data rows as batches of canonical records (and parse-level rejections)."""
    ncols = len(info.columns)
    index = info.index
    records: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    rows = 0
    plan = mapping_plan(index)
    with info.path.open(encoding=info.encoding, newline="") as f:
        reader = csv.reader(f, delimiter=info.delimiter, quotechar='"', doublequote=True)
        header_seen = False
        prev_line = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                start = prev_line + 1
                prev_line = reader.line_num
                rejected.append(
                    Rejected(f"baris tidak dapat dibaca sebagai CSV: {e}", None, start, None)
                )
                rows += 1
                continue
            start = prev_line + 1
            prev_line = reader.line_num
            if not values or (len(values) == 1 and not values[0].strip()):
                continue  # blank line
            if not header_seen:
                header_seen = True
                continue
            rows += 1
            n = len(values)
            if n != ncols:
                if n == ncols + 1 and not values[-1].strip():
                    values = values[:-1]  # a trailing delimiter on the line
                else:
                    kind = (
                        "terpotong / truncated"
                        if n < ncols
                        else "kolom berlebih / too many fields (pemisah di dalam nilai "
                        "tanpa tanda kutip?)"
                    )
                    rejected.append(
                        Rejected(
                            f"baris {kind}: {n} kolom, seharusnya {ncols}",
                            _kunci(values, index),
                            start,
                            _payload(values, index),
                        )
                    )
                    values = []
            if values:
                rec = map_row(values, index, start, plan)
                if rec["nip"] is not None and _FLOAT_MANGLED.match(rec["nip"]):
                    rejected.append(
                        Rejected(
                            f"NIP {rec['nip']!r} sudah dirusak spreadsheet menjadi angka (digit "
                            "hilang); unduh ulang dari SIASN dan jangan simpan lewat Excel / NIP "
                            "mangled into a number by a spreadsheet",
                            rec["nip"],
                            start,
                            {
                                k: v
                                for k, v in rec.items()
                                if k not in _NOT_IN_PAYLOAD and not k.startswith("_")
                            },
                        )
                    )
                else:
                    records.append(rec)
            if rows % batch_size == 0:
                yield Batch(records, rejected, len(records) + len(rejected), prev_line)
                records, rejected = [], []
    if records or rejected:
        yield Batch(records, rejected, len(records) + len(rejected), prev_line)


# --------------------------------------------------------------------------- the import


#: Canonical fields the export does not carry: a stored value (from SIMPEG or a SIASN refresh)
#: is kept rather than erased by an import.
NOT_IN_EXPORT: tuple[str, ...] = ("eselon", "tmt_pensiun")
SUMBER = "siasn-export"


class UnitTranslation:
    """The export's ``unor_id`` is SIASN's 32-hex GUID of the unit, never the region's own
    code. Where the region's units come from SIMPEG, a GUID is translated through the mapping
    of ``diklat.pegawai.unor`` (``diklat siasn unor`` fetches ref-unor and matches it; this import
    works offline and only reads it). A GUID that is not mapped never becomes a unit of its
    own beside SIMPEG's: an employee we have keeps their unit, a new one is quarantined with
    the reason, and the import's notices list the units to map.

    A GUID-keyed unit an earlier import made beside SIMPEG's is never moved into; once the
    GUID is mapped its employees move back to the region's unit. A database filled only from
    export files (no unit code that is not a GUID) takes the codes as they come, as do non-GUID
    codes (an export that carries the region's codes)."""

    def __init__(self, conn: Connection) -> None:
        ours = set(conn.execute(select(UnitKerja.kode)).scalars())
        self.ours = ours
        self.active = any(not GUID.match(k) for k in ours)
        t = SiasnUnor.__table__
        self.map = {
            r.id_siasn.upper(): r.unit_kode
            for r in conn.execute(
                select(t.c.id_siasn, t.c.unit_kode).where(t.c.unit_kode.is_not(None))
            )
        }
        self.conn = conn
        self.unmatched: dict[str, str] = {}  # GUID -> the export's name of the unit
        self._current: dict[str, str] | None = None

    def _current_unit(self, nip: str) -> str | None:
        if self._current is None:  # read once, only when an unmapped unit turns up
            p, u = Pegawai.__table__, UnitKerja.__table__
            self._current = dict(
                self.conn.execute(select(p.c.nip, u.c.kode).join(u, u.c.id == p.c.unit_id)).all()
            )
        return self._current.get(nip)

    def apply(self, batch: Batch) -> None:
        if not self.active:
            return
        keep: list[dict[str, Any]] = []
        for r in batch.records:
            kode = r.get("unit_kode")
            if not kode or not GUID.match(kode):
                keep.append(r)
                continue
            mapped = self.map.get(kode.upper())
            if mapped is not None and mapped in self.ours:
                # Also where an earlier import made a GUID-keyed duplicate of this unit: the
                # employee moves back to the region's unit.
                r["unit_kode"] = mapped
                r.pop("unit_nama", None)  # our unit's name is ours, not SIASN's
                keep.append(r)
                continue
            self.unmatched[kode] = str(r.get("unit_nama") or "")
            current = self._current_unit(_nip_of(r))
            if current is not None:
                r["unit_kode"] = current
                r.pop("unit_nama", None)
                keep.append(r)
            else:
                batch.rejected.append(
                    Rejected(
                        f"unit SIASN {r.get('unit_nama') or kode} belum dipetakan ke unit kerja; "
                        "petakan dengan `diklat siasn unor`, lalu impor ulang",
                        _nip_of(r) or None,
                        r.get("_baris"),
                        {
                            k: v
                            for k, v in r.items()
                            if k not in _NOT_IN_PAYLOAD and not k.startswith("_")
                        },
                    )
                )
        batch.records = keep

    def notices(self) -> list[str]:
        if not self.unmatched:
            return []
        names = ", ".join(sorted(n or g for g, n in self.unmatched.items())[:5])
        more = len(self.unmatched) - 5
        return [
            f"{len(self.unmatched)} unit SIASN belum dipetakan ke unit kerja ({names}"
            f"{f', dan {more} lainnya' if more > 0 else ''}): pegawai yang sudah ada tetap "
            "di unit lamanya, pegawai baru dikarantina; petakan dengan `diklat siasn unor`"
        ]


def _nip_of(r: dict[str, Any]) -> str:
    """The record's NIP as stored (digits only), or as it came when it cannot be read."""
    n = str(r.get("nip") or "")
    if len(n) == 18 and n.isdigit():
        return n
    try:
        return nip_rules.normalize(n)
    except (TypeError, ValueError):
        return n


def resolve_import_path(path: str | Path) -> Path:
    """The file named ``path`` inside ``settings.import_dir`` (the agency's import folder,
    where an operator places the file before running the flow). Absolute paths, ``~`` and
    names that lead out of the folder are refused with the same message whether or not such
    a file exists (:class:`ExportRefused`)."""
    from diklat.berkas import OutsideFolder, confine
    from diklat.settings import get_settings

    base = get_settings().import_dir
    assert base is not None  # filled in by the settings validator
    try:
        return confine(str(path), Path(base))
    except OutsideFolder as e:
        raise ExportRefused(str(e)) from None


def file_time(info: ExportFile) -> dt.datetime:
    """When the file's data were taken: its modification time (a download sets it)."""
    return dt.datetime.fromtimestamp(info.path.stat().st_mtime, dt.UTC)


def newest_data(engine: Engine) -> tuple[dt.datetime, str] | None:
    """The newest instant that stored employee data reflect (a successful sync's start, an
    imported file's time), and what it was."""
    from diklat.models import SyncRun
    from diklat.pegawai.personnel import describe_run

    with engine.connect() as conn:
        row = conn.execute(
            select(SyncRun)
            .where(
                SyncRun.status == "success",
                or_(SyncRun.data_per.is_not(None), SyncRun.sumber != SUMBER),
            )
            .order_by(func.coalesce(SyncRun.data_per, SyncRun.started_at).desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    when = row.data_per or row.started_at
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when, f"run #{row.id} ({describe_run(row)})"


def check_freshness(engine: Engine, info: ExportFile, full: bool, paksa: bool) -> list[str]:
    """Notices about a file older than the data already stored: importing it writes older
    values over newer ones. A full import (which also deactivates) from such a file is
    refused unless ``paksa``."""
    newest = newest_data(engine)
    taken = file_time(info)
    if newest is None or taken >= newest[0]:
        return []
    lokal = "%Y-%m-%d %H:%M"
    text = (
        f"berkas {info.path.name} ({taken.astimezone():{lokal}}) lebih lama dari data "
        f"yang sudah tersimpan ({newest[0].astimezone():{lokal}}, {newest[1]}): nilai "
        "yang lebih baru akan ditimpa nilai lama"
    )
    if full and not paksa:
        raise ExportRefused(
            f"{text}; impor --full dari berkas lama ditolak (tambahkan "
            "--paksa bila memang dimaksud)"
        )
    return [text]


class ImportFailed(RuntimeError):
    """The import started but could not finish; the database is as it was before it."""

    def __init__(self, message: str, sync_run_id: int) -> None:
        super().__init__(message)
        self.sync_run_id = sync_run_id


@dataclass
class ImportResult:
    """Counts of one import (no personal data: safe for logs, artifacts and ``--json``)."""

    sync_run_id: int
    file_name: str
    file_sha256: str
    mode: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    deactivated: int
    quarantined: int
    seconds: float
    status: str
    delimiter: str
    notices: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "quarantined": self.quarantined,
            "seconds": round(self.seconds, 3),
            "status": self.status,
            "sync_run_id": self.sync_run_id,
            "file_name": self.file_name,
            "file_sha256": self.file_sha256,
            "mode": self.mode,
            "rows": self.rows,
            "delimiter": self.delimiter_name,
            "notices": self.notices,
        }

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, self.delimiter)


def stored_fields_not_in_export(conn: Connection) -> dict[str, tuple[Any, ...]]:
    """NIP -> stored values of :data:`NOT_IN_EXPORT`, for employees that have any (one query;
    empty for a database filled only from export files)."""
    t = Pegawai.__table__
    cols = [t.c[f] for f in NOT_IN_EXPORT]
    stmt = select(t.c.nip, *cols).where(or_(*[c.is_not(None) for c in cols]))
    return {row[0]: tuple(row[1:]) for row in conn.execute(stmt)}


def keep_fields_not_in_export(
    records: list[dict[str, Any]], stored: dict[str, tuple[Any, ...]]
) -> None:
    """Fill the fields the export lacks with the stored values, so that an import neither
    erases them (e.g. ``tmt_pensiun`` from SIMPEG) nor counts an otherwise identical
    employee as changed."""
    if not stored:
        return
    for r in records:
        values = stored.get(_nip_of(r))
        if values is not None:
            for f, v in zip(NOT_IN_EXPORT, values, strict=True):
                r.setdefault(f, v)


ProgressListener = Callable[[int, int], None]
_listeners: list[ProgressListener] = []


def add_progress_listener(fn: ProgressListener) -> None:
    """Receive ``(rows_done, rows_estimated)`` from every import in this process (the CLI's
    progress bar: a flow parameter cannot carry a callback)."""
    _listeners.append(fn)


def remove_progress_listener(fn: ProgressListener) -> None:
    if fn in _listeners:
        _listeners.remove(fn)


def import_export(
    engine: Engine,
    path: str | Path | ExportFile,
    *,
    full: bool = False,
    paksa: bool = False,
    batch_size: int = 5000,
    progress: ProgressListener | None = None,
    flow_run_id: str | None = None,
) -> ImportResult:
    """Import one export file in ONE database transaction.

    Refused files (:class:`ExportRefused`) write nothing, not even a run record; so is a full
    import from a file older than the stored data unless ``paksa`` (:func:`check_freshness`;
    without ``full`` it is a notice). Once the file is accepted a ``sync_run`` row is
    committed first (status ``running``, holding the personnel lock: ``RunBusy`` when a sync
    or another import runs); every batch is then written through one
    :class:`PersonnelWriter` on one open connection, and committed together at the end, so
    a failure part-way (:class:`ImportFailed`) rolls everything back and only the run's
    ``failed`` status and message remain; an interrupt leaves it ``interrupted``. ``full``
    marks employees absent from the file inactive. ``progress(rows_done, rows_estimated)``
    is called per batch.
    """
    info = path if isinstance(path, ExportFile) else inspect_export(path)
    notices = [*info.notices(), *check_freshness(engine, info, full, paksa)]
    mode = "file-full" if full else "file"
    started = time.perf_counter()
    run = start_run(
        engine,
        SUMBER,
        mode,
        file_name=info.path.name[:300],
        file_sha256=info.sha256,
        data_per=file_time(info),
        flow_run_id=flow_run_id,
    )
    estimate = max(info.lines - 1, 0)
    rows = 0
    try:
        with engine.begin() as conn:
            writer = PersonnelWriter(conn, run.id, sumber=SUMBER, track_seen=full, preload=True)
            stored = stored_fields_not_in_export(conn)
            units = UnitTranslation(conn)
            for batch in read_batches(info, batch_size):
                units.apply(batch)
                keep_fields_not_in_export(batch.records, stored)
                writer.write(batch.records, rejected=batch.rejected)
                rows += batch.rows
                for fn in (*_listeners, *([progress] if progress is not None else [])):
                    fn(rows, max(estimate, rows))
            if full:
                writer.deactivate_missing()
    except BaseException as e:  # also Ctrl-C / SIGTERM: the run must not stay "running"
        if runs.is_interrupt(e):
            run.interrupted(
                f"{runs.INTERRUPTED_MESSAGE}; impor dibatalkan, basis data tidak berubah"
            )
            raise
        message = f"impor dibatalkan, basis data tidak berubah: {runs.safe_error(e)}"
        run.fail(message)
        # Not chained: SQLAlchemy's rendering of the original error lists the statement's
        # parameters (e-mail addresses, phone numbers), and Prefect logs tracebacks.
        raise ImportFailed(message, run.id) from None
    notices += units.notices()
    counts = finish_run(run, writer.totals)
    return ImportResult(
        sync_run_id=run.id,
        file_name=info.path.name,
        file_sha256=info.sha256,
        mode=mode,
        rows=rows,
        inserted=writer.totals.inserted,
        updated=writer.totals.updated,
        unchanged=writer.totals.unchanged,
        deactivated=writer.totals.deactivated,
        quarantined=writer.totals.quarantined,
        seconds=time.perf_counter() - started,
        status=str(counts["status"]),
        delimiter=info.delimiter,
        notices=notices,
    )
