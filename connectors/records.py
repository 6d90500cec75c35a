"""The canonical employee record: the one shape every source is mapped into.

SIMPEG pages, SIASN ``data-utama`` answers and rows of SIASN's "Export Data ASN" file all
become plain dicts with the keys in :data:`FIELDS` (plus ``unit_nama``), which the shared
write path (``diklat/pegawai/personnel.py``) validates and stores. The field list, the personal
fields, the sex codes and the position kinds are defined here once and imported by the
connectors, the domain and the simulator. It lives under ``connectors/`` because the
connectors produce this shape and never import the domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Rejected:
    """A record refused with its reason: from a SIMPEG page, a SIASN answer or a row of the
    export file (kept in ``karantina`` by the write path). One type for every source."""

    alasan: str
    kunci: str | None = None
    baris: int | None = None
    payload: dict[str, Any] | None = field(default=None)


#: Canonical employee fields, in content-hash order. ``unit_kode`` is stored as ``unit_id``.
FIELDS: tuple[str, ...] = (
    "nip",
    "nip_lama",
    "pns_orang_id",
    "nama",
    "gelar_depan",
    "gelar_belakang",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "jenis_pegawai",
    "unit_kode",
    "jabatan",
    "jenis_jabatan",
    "eselon",
    "golongan",
    "pangkat",
    "pendidikan_tingkat",
    "pendidikan",
    "status",
    "tmt_cpns",
    "tmt_pensiun",
    "email",
    "nomor_hp",
)
#: What a source may send besides :data:`FIELDS`: the unit's name (creates or renames it).
RECORD_KEYS: tuple[str, ...] = (*FIELDS, "unit_nama")
#: Fields holding a ``datetime.date``.
DATE_FIELDS: frozenset[str] = frozenset({"tanggal_lahir", "tmt_cpns", "tmt_pensiun"})

#: Personal data the product has no use for: never read into a record, never stored.
NOT_STORED_FIELDS: frozenset[str] = frozenset({"nik", "npwp", "npwp_nomor", "bpjs", "alamat"})
#: Contact data: stored (distribution needs it), never in a log, payload, artifact or message.
CONTACT_FIELDS: frozenset[str] = frozenset({"email", "email_gov", "nomor_hp", "noHp"})
#: Everything that must never leave the database: kept out of quarantine payloads and logs.
PERSONAL_FIELDS: frozenset[str] = NOT_STORED_FIELDS | CONTACT_FIELDS

#: Sex as the sources write it -> the canonical ``L`` (laki-laki) / ``P`` (perempuan).
#: SIASN writes ``M``/``F``, regional SIMPEGs ``L``/``P``, the NIP's sex digit is 1/2.
SEX_CODES: dict[str, str] = {
    "L": "L",
    "M": "L",
    "1": "L",
    "LAKI-LAKI": "L",
    "PRIA": "L",
    "P": "P",
    "F": "P",
    "W": "P",
    "2": "P",
    "PEREMPUAN": "P",
    "WANITA": "P",
}
#: Canonical sex -> SIASN's code.
SEX_TO_SIASN: dict[str, str] = {"L": "M", "P": "F"}

#: Position kinds (jenis jabatan) by their SIASN id (``jenisJabatanId``).
JENIS_JABATAN_BY_ID: dict[str, str] = {
    "1": "Struktural",
    "2": "Fungsional Tertentu",
    "3": "Rangkap",
    "4": "Pelaksana",
}
#: SIASN's jenisDiklatId (DOMAIN.md): the training type of a course record. One list for the
#: training model and the simulator (which stands for BKN).
JENIS_DIKLAT: dict[str, str] = {
    "1": "Diklat Struktural",
    "2": "Diklat Fungsional",
    "3": "Diklat Teknis",
    "4": "Workshop",
    "5": "Pelatihan Manajerial",
    "6": "Pelatihan Sosial Kultural",
    "7": "Sosialisasi",
    "8": "Bimbingan Teknis",
    "9": "Seminar",
    "10": "Magang",
    "11": "Kursus",
    "12": "Penataran",
    "13": "Pelatihan Klasikal Lainnya",
    "14": "Coaching",
    "15": "Mentoring",
    "16": "E-Learning",
    "17": "Pelatihan Jarak Jauh",
    "18": "Detasering",
    "19": "Outbond",
    "20": "Benchmarking",
    "21": "Pertukaran PNS dengan swasta",
    "22": "Belajar Mandiri",
    "23": "Community of Practices",
    "24": "Bimbingan di Tempat Kerja",
}
#: Canonical name -> SIASN id.
JENIS_JABATAN_ID: dict[str, str] = {v: k for k, v in JENIS_JABATAN_BY_ID.items()}
#: Every known spelling (lower case) -> the canonical name. SIMPEG and the export file say
#: "Fungsional Tertentu"; SIASN data-utama has only the id (2) or a short name; older files
#: say "Fungsional Umum" for what is now "Pelaksana".
JENIS_JABATAN: dict[str, str] = {
    **JENIS_JABATAN_BY_ID,
    "struktural": "Struktural",
    "jabatan struktural": "Struktural",
    "fungsional": "Fungsional Tertentu",
    "fungsional tertentu": "Fungsional Tertentu",
    "jabatan fungsional tertentu": "Fungsional Tertentu",
    "jft": "Fungsional Tertentu",
    "rangkap": "Rangkap",
    "pelaksana": "Pelaksana",
    "fungsional umum": "Pelaksana",
    "jabatan fungsional umum": "Pelaksana",
    "jfu": "Pelaksana",
}


def normalise_sex(value: str | None) -> str | None:
    """``L``/``P`` for any known spelling; None for an empty or unknown value."""
    if value is None:
        return None
    return SEX_CODES.get(value.strip().upper())


def normalise_jenis_jabatan(value: str | None) -> str | None:
    """The canonical name of a jenis jabatan (id or any known spelling); unknown text stays."""
    if value is None:
        return None
    return JENIS_JABATAN.get(value.strip().lower(), value)


def public_payload(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a source record without personal fields or private (``_``) keys, for a
    quarantine row."""
    return {k: v for k, v in raw.items() if k not in PERSONAL_FIELDS and not k.startswith("_")}


#: The 65 standard columns of SIASN's "Export Data ASN" file, in the order SIASN writes them
#: (read by ``diklat/pegawai/siasn_export.py``, written by the simulator).
EXPORT_COLUMNS: tuple[str, ...] = (
    "pns_id",
    "nip_baru",
    "nip_lama",
    "nama",
    "gelar_depan",
    "gelar_belakang",
    "tempat_lahir_id",
    "tempat_lahir_nama",
    "tanggal_lahir",
    "jenis_kelamin",
    "agama_id",
    "agama_nama",
    "jenis_kawin_id",
    "jenis_kawin_nama",
    "nik",
    "nomor_hp",
    "email",
    "email_gov",
    "alamat",
    "npwp_nomor",
    "bpjs",
    "jenis_pegawai_id",
    "jenis_pegawai_nama",
    "kedudukan_hukum_id",
    "kedudukan_hukum_nama",
    "status_cpns_pns",
    "kartu_asn_virtual",
    "nomor_sk_cpns",
    "tanggal_sk_cpns",
    "tmt_cpns",
    "nomor_sk_pns",
    "tanggal_sk_pns",
    "tmt_pns",
    "gol_awal_id",
    "gol_awal_nama",
    "gol_akhir_id",
    "gol_akhir_nama",
    "tmt_golongan",
    "mk_tahun",
    "mk_bulan",
    "jenis_jabatan_id",
    "jenis_jabatan_nama",
    "jabatan_id",
    "jabatan_nama",
    "tmt_jabatan",
    "tingkat_pendidikan_id",
    "tingkat_pendidikan_nama",
    "pendidikan_id",
    "pendidikan_nama",
    "tahun_lulus",
    "kpkn_id",
    "kpkn_nama",
    "lokasi_kerja_id",
    "lokasi_kerja_nama",
    "unor_id",
    "unor_nama",
    "instansi_induk_id",
    "instansi_induk_nama",
    "instansi_kerja_id",
    "instansi_kerja_nama",
    "satuan_kerja_induk_id",
    "satuan_kerja_induk_nama",
    "satuan_kerja_kerja_id",
    "satuan_kerja_kerja_nama",
    "is_valid_nik",
)
#: Newer exports add these after the standard ones.
EXPORT_NEW_COLUMNS: tuple[str, ...] = ("nama_sekolah", "flag_ikd")
