"""How one simulated employee looks in each outside system: SIMPEG units, SIASN ``data-utama``,
``rw-kursus``/``rw-diklat`` and ``ref-unor``, and a row of SIASN's "Export Data ASN" file.

Every shape is derived from the same SIMPEG record, so the fields the systems share agree:
``unorId`` is the GUID SIASN gives the SIMPEG unit (:func:`unor_id`; the export file's
``unor_id`` carries the SIMPEG code unless asked for the GUID, as in a real export), ``unorNama``/``unor_nama`` = ``unit_nama``, the same
name, titles, dates (``dd-mm-yyyy`` on the SIASN side), sex (``M``/``F`` for ``L``/``P``), rank,
education, position and status texts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from functools import lru_cache
from typing import Any

from connectors.records import (
    EXPORT_COLUMNS,
    EXPORT_NEW_COLUMNS,
    JENIS_JABATAN_ID,
    SEX_TO_SIASN,
)
from simulator import refdata as R
from simulator.data import REF_DATE, Extra, struktural_slots

JENIS_PEGAWAI_ID: dict[str, str] = {"PNS": "4", "PPPK": "71"}
SEX_SIASN = SEX_TO_SIASN

NEW_COLUMNS = EXPORT_NEW_COLUMNS
assert len(EXPORT_COLUMNS) == 65

_TK_ID = {e.tingkat: e.tingkat_id for e in R.EDUCATION.values()}
_EDU_BY_NAME = {e.nama: e for e in R.EDUCATION.values()}
_LEVEL_START = {"05": 0, "10": 2, "15": 4, "17": 4, "30": 6, "35": 8, "40": 8, "45": 9, "50": 10}
_PPPK_START = {
    "05": "I",
    "10": "III",
    "15": "V",
    "17": "V",
    "30": "VII",
    "35": "IX",
    "40": "IX",
    "45": "X",
    "50": "XI",
}


def dmy(iso: str | None) -> str | None:
    """``YYYY-MM-DD`` -> ``DD-MM-YYYY`` (None stays None)."""
    if not iso:
        return None
    return f"{iso[8:10]}-{iso[5:7]}-{iso[0:4]}"


@lru_cache(maxsize=4096)
def ref_id(kind: str, name: str) -> str:
    """A stable 32-hex id for a reference value (SIASN uses GUIDs for most references)."""
    return hashlib.md5(f"{kind}:{name}".encode()).hexdigest().upper()


def jenis_kursus_id(jenis_diklat_id: str) -> str:
    """``jenisKursusId`` of a riwayat: a GUID of SIASN's course-type reference (here derived
    from the training type), never a small number."""
    return ref_id("jenis_kursus", "kursus" if jenis_diklat_id in ("2", "3") else "non-kursus")


def _rng(rec: dict[str, Any], salt: str) -> random.Random:
    return random.Random(f"{rec['pns_orang_id']}:{salt}")


def _null_text(rec: dict[str, Any]) -> bool:
    """Whether this person's empty values come as the text ``null`` (about a third do)."""
    return int(rec["pns_orang_id"][-1], 16) % 3 == 0


def _derived(rec: dict[str, Any]) -> dict[str, Any]:
    """Dates and numbers SIASN has and SIMPEG does not, derived deterministically."""
    tmt = dt.date.fromisoformat(rec["tmt_cpns"])
    pppk = rec["jenis_pegawai"] == "PPPK"
    years = max(0, REF_DATE.year - tmt.year)
    tmt_pns = None if pppk else dt.date(tmt.year + 1, tmt.month, 1)
    tmt_gol = dt.date(tmt.year + (years // 4) * 4, 4 if years % 2 else 10, 1)
    if tmt_gol < tmt:
        tmt_gol = tmt
    if tmt_gol > REF_DATE:
        tmt_gol = dt.date(REF_DATE.year, 4, 1)
    tmt_jab = max(tmt, dt.date(REF_DATE.year - (years % 5), 1 + years % 12, 1))
    birth = rec["tanggal_lahir"]
    bup = int(rec["tmt_pensiun"][:4]) - int(birth[:4]) if rec.get("tmt_pensiun") and birth else 58
    if rec.get("tmt_pensiun") and birth and birth[5:7] == "12":
        bup -= 1
    return {
        "tmt": tmt,
        "tmt_pns": tmt_pns,
        "tmt_gol": tmt_gol,
        "tmt_jab": tmt_jab,
        "years": years,
        "bup": bup,
        "pppk": pppk,
    }


def units_simpeg() -> list[dict[str, Any]]:
    return [
        {
            "kode": u.kode,
            "nama": u.nama,
            "singkatan": u.singkatan,
            "induk_kode": u.induk_kode,
            "email": u.email,
            "alamat": u.alamat,
            "kota": u.kota,
        }
        for u in R.UNITS
    ]


def unor_id(kode: str) -> str:
    """SIASN's GUID of the unit the region's SIMPEG calls ``kode`` (SIASN never uses the
    region's own codes as ids)."""
    return ref_id("unor", kode)


#: A unit SIASN still lists but the region's SIMPEG no longer has (merged away): a mapping
#: from ref-unor must list it as unmatched rather than guess.
ORPHAN_UNOR = {"Id": ref_id("unor", "orphan"), "NamaUnor": "UPT Pengelolaan Aset Daerah (lama)"}


def ref_unor() -> list[dict[str, Any]]:
    """``GET /referensi/ref-unor``: GUID ids; ``CepatKode`` carries the region's code for the
    sub-districts only (as agencies fill it in part), the other units are matched by name."""
    out = []
    for u in R.UNITS:
        slots = struktural_slots(u)
        head, eselon = slots[0] if slots else (f"{u.kepala} {u.nama}", None)
        out.append(
            {
                "Id": unor_id(u.kode),
                "InstansiId": R.INSTANSI_ID,
                "DiatasanId": unor_id(u.induk_kode) if u.induk_kode else None,
                "EselonId": R.ESELON_ID.get(eselon or ""),
                "NamaUnor": u.nama,
                "NamaJabatan": head,
                "CepatKode": u.kode if u.profile == "wilayah" else None,
                "IndukUnorId": unor_id(R.unit_induk(u).kode),
                "PemimpinPnsId": None,
                "JenisUnorId": "1" if u.induk_kode is None else "2",
            }
        )
    out.append(
        {
            "Id": ORPHAN_UNOR["Id"],
            "InstansiId": R.INSTANSI_ID,
            "DiatasanId": None,
            "EselonId": None,
            "NamaUnor": ORPHAN_UNOR["NamaUnor"],
            "NamaJabatan": None,
            "CepatKode": None,
            "IndukUnorId": ORPHAN_UNOR["Id"],
            "PemimpinPnsId": None,
            "JenisUnorId": "2",
        }
    )
    return out


def data_utama(rec: dict[str, Any], extra: Extra) -> dict[str, Any]:
    """The ``data`` of ``GET /pns/data-utama/{nip}`` for one employee (BKN names and dates)."""
    nt = _null_text(rec)
    empty: Any = "null" if nt else None

    def v(x: Any) -> Any:
        return empty if x is None or x == "" else x

    d = _derived(rec)
    unit = R.UNIT_BY_KODE.get(rec["unit_kode"] or "")
    induk = R.unit_induk(unit) if unit else None
    gol = rec["golongan"]
    edu = _EDU_BY_NAME.get(rec["pendidikan"])
    tk_id = _TK_ID.get(rec["pendidikan_tingkat"])
    kelas = {"Struktural": 12, "Fungsional Tertentu": 8, "Pelaksana": 6}[rec["jenis_jabatan"]]
    if rec["eselon"]:
        kelas = {"II": 14, "III": 11, "IV": 9}[rec["eselon"].split(".")[0]]
    return {
        "id": rec["pns_orang_id"],
        "nipBaru": rec["nip"],
        "nipLama": v(rec["nip_lama"]),
        "nama": rec["nama"],
        "gelarDepan": v(rec["gelar_depan"]),
        "gelarBelakang": v(rec["gelar_belakang"]),
        "tempatLahir": rec["tempat_lahir"],
        "tempatLahirId": ref_id("lokasi", rec["tempat_lahir"]),
        "tglLahir": dmy(rec["tanggal_lahir"]),
        "jenisKelamin": SEX_SIASN.get(rec["jenis_kelamin"], rec["jenis_kelamin"]),
        "agamaId": str(extra.agama_id),
        "agama": R.AGAMA[extra.agama_id],
        "jenisKawinId": R.KAWIN_SIASN[extra.kawin_id][0],
        "statusPerkawinan": R.KAWIN_SIASN[extra.kawin_id][1],
        "nik": rec["nik"],
        "email": v(rec["email"]),
        "emailGov": empty,
        "noHp": v(rec["nomor_hp"]),
        "noTelp": empty,
        "unorId": unor_id(rec["unit_kode"]) if rec["unit_kode"] else empty,
        "unorNama": v(rec["unit_nama"]),
        "unorIndukId": unor_id(induk.kode) if induk else empty,
        "unorIndukNama": induk.nama if induk else empty,
        "instansiIndukId": R.INSTANSI_ID,
        "instansiIndukNama": R.INSTANSI_NAMA,
        "instansiKerjaId": R.INSTANSI_ID,
        "instansiKerjaNama": R.INSTANSI_NAMA,
        "lokasiKerja": "Kab. Kutai Kartanegara",
        "jabatanNama": rec["jabatan"],
        "jabatanId": ref_id("jabatan", rec["jabatan"]),
        "jenisJabatanId": JENIS_JABATAN_ID[rec["jenis_jabatan"]],
        "jenisJabatan": rec["jenis_jabatan"],
        "eselon": v(rec["eselon"]),
        "eselonId": v(R.ESELON_ID.get(rec["eselon"] or "")),
        "tmtJabatan": dmy(d["tmt_jab"].isoformat()),
        "golRuangAwalId": R.GOL_ID.get(_gol_awal(rec, tk_id), empty),
        "golRuangAwal": _gol_awal(rec, tk_id),
        "golRuangAkhirId": R.GOL_ID.get(gol, empty),
        "golRuangAkhir": gol,
        "pangkatAkhir": v(rec["pangkat"]),
        "tmtGolAkhir": dmy(d["tmt_gol"].isoformat()),
        "mkTahun": str(d["years"]),
        "mkBulan": "0",
        "pendidikanTerakhirId": ref_id("pendidikan", rec["pendidikan"]),
        "pendidikanTerakhirNama": rec["pendidikan"],
        "tkPendidikanTerakhirId": tk_id or empty,
        "tkPendidikanTerakhir": rec["pendidikan_tingkat"],
        "tahunLulus": str(_tahun_lulus(rec, edu)),
        "kedudukanPnsId": R.KEDUDUKAN.get(rec["status"], "01"),
        "kedudukanPnsNama": rec["status"],
        "statusPegawai": "PPPK" if d["pppk"] else "PNS",
        "jenisPegawaiId": JENIS_PEGAWAI_ID[rec["jenis_pegawai"]],
        "jenisPegawaiNama": rec["jenis_pegawai"],
        "tmtCpns": dmy(rec["tmt_cpns"]),
        "tmtPns": dmy(d["tmt_pns"].isoformat()) if d["tmt_pns"] else empty,
        "tmtPensiun": dmy(rec["tmt_pensiun"]),
        "bupPensiun": d["bup"],
        "tanggal_taspen": f"{rec['tmt_cpns']} 00:00:00",
        "kelas_jabatan": str(kelas),
        "karis_karsu": empty if d["pppk"] else f"KRS-{rec['nip'][-6:]}",
        "kode_jenjang_jabatan": empty,
        "validNik": True,
    }


def _gol_awal(rec: dict[str, Any], tk_id: str | None) -> str:
    if rec["jenis_pegawai"] == "PPPK":
        return rec["golongan"]
    start = _LEVEL_START.get(tk_id or "40", 8)
    if tk_id in ("45", "50"):
        start = 8  # entered with the S1, studied further later
    return R.GOLONGAN[min(start, R.GOL_INDEX.get(rec["golongan"], start))][0]


def _tahun_lulus(rec: dict[str, Any], edu: R.Edu | None) -> int:
    tmt_year = int(rec["tmt_cpns"][:4])
    if edu is not None and edu.level in ("s2", "s3"):
        return min(REF_DATE.year - 1, tmt_year + 6 + int(rec["pns_orang_id"][0], 16) % 6)
    return tmt_year - 1 - int(rec["pns_orang_id"][1], 16) % 3


# --- training history --------------------------------------------------------------------------


def _profile(rec: dict[str, Any]) -> str | None:
    if rec["jabatan"].startswith("Guru"):
        return "guru"
    unit = R.UNIT_BY_KODE.get(rec["unit_kode"] or "")
    return "kesehatan" if unit is not None and unit.profile == "kesehatan" else None


def rw_kursus(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """The generated ``rw-kursus`` items of one employee (0-4), deterministic per person."""
    rng = _rng(rec, "kursus")
    n = rng.choice((0, 1, 1, 2, 2, 2, 3, 3, 4))
    prof = _profile(rec)
    catalogue = [k for k in R.KURSUS if k[4] is None or k[4] == prof]
    start_year = max(int(rec["tmt_cpns"][:4]), 2018)
    items = []
    for nama, jdid, sert, (lo, hi), _p in rng.sample(catalogue, n):
        year = rng.randint(start_year, REF_DATE.year)
        start = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(330))
        jp = rng.randint(lo, hi)
        days = max(1, jp // 8)
        end = start + dt.timedelta(days=days - 1)
        institusi = rng.choice(R.INSTITUSI)
        items.append(
            {
                "id": f"{rng.getrandbits(128):032x}",
                "idPns": rec["pns_orang_id"],
                "nipBaru": rec["nip"],
                "nipLama": rec["nip_lama"],
                "namaKursus": nama,
                "jenisDiklatId": jdid,
                "jenisKursusId": jenis_kursus_id(jdid),
                "jenisKursusNama": R.JENIS_DIKLAT[jdid],
                "jenisKursusSertifikat": sert,
                "institusiPenyelenggara": institusi,
                "jumlahJam": jp,
                "noSertipikat": f"800.2.4.2/{rng.randint(1, 999):03d}/"
                f"{'BKPSDM' if 'BKPSDM' in institusi else 'SERT'}/{year}",
                "tahunKursus": year,
                "tanggalKursus": start.strftime("%d-%m-%Y"),
                "tanggalSelesaiKursus": end.strftime("%d-%m-%Y"),
                "path": {},
            }
        )
    return items


def rw_diklat(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """Leadership training (``rw-diklat``): only for employees in a structural post."""
    if not rec.get("eselon"):
        return []
    rng = _rng(rec, "diklat")
    ls_id, ls_nama = R.DIKLAT_STRUKTURAL[rec["eselon"].split(".")[0]]
    year = rng.randint(max(int(rec["tmt_cpns"][:4]) + 5, 2010), REF_DATE.year)
    month = rng.randint(3, 11)
    end_day = 28  # the certificate is dated at the end of the (weeks-long) programme
    return [
        {
            "id": f"{rng.getrandbits(128):032x}",
            "idPns": rec["pns_orang_id"],
            "nipBaru": rec["nip"],
            "nipLama": rec["nip_lama"],
            "latihanStrukturalId": ls_id,
            "latihanStrukturalNama": ls_nama,
            "nomor": f"{rng.randint(1000, 9999)}/PKP/{year}",
            "tanggal": f"15-{month:02d}-{year}",
            "tanggalSelesai": f"{end_day:02d}-{month:02d}-{year}",
            "tahun": year,
            "institusiPenyelenggara": "BPSDM Provinsi Kalimantan Timur",
            "jumlahJam": 286 if ls_id == "2" else 333,
            "path": {},
        }
    ]


# --- export file --------------------------------------------------------------------------------

_APOSTROPHE_MIN_LEN = 8  # long digit strings get an apostrophe, like SIASN's export does
#: Columns whose values can be long digit strings (the others never are).
_NUMERIC_COLUMNS = frozenset(
    EXPORT_COLUMNS.index(c)
    for c in (
        "nip_baru",
        "nip_lama",
        "nik",
        "nomor_hp",
        "npwp_nomor",
        "bpjs",
        "unor_id",
        "satuan_kerja_induk_id",
        "satuan_kerja_kerja_id",
    )
)


_UNOR_ID_COLUMN = EXPORT_COLUMNS.index("unor_id")


def export_row(
    rec: dict[str, Any], extra: Extra, new_columns: bool = False, unor_guid: bool = False
) -> list[str]:
    """One row of "Export Data ASN" (65 columns, plus ``nama_sekolah, flag_ikd`` if asked).
    ``unor_id`` carries the SIMPEG code unless ``unor_guid``: then SIASN's GUID of the unit,
    as a real export does.

    Quirks as in SIASN's file: long numeric-looking cells start with an apostrophe, some empty
    values are the text ``null``, dates are ``dd-mm-yyyy``, sex is ``M``/``F``.
    """
    rng = _rng(rec, "export")
    nt = _null_text(rec)
    d = _derived(rec)
    unit = R.UNIT_BY_KODE.get(rec["unit_kode"] or "")
    induk = R.unit_induk(unit) if unit else None
    tk_id = _TK_ID.get(rec["pendidikan_tingkat"], "")
    edu = _EDU_BY_NAME.get(rec["pendidikan"])
    gol_awal = _gol_awal(rec, tk_id)
    pppk = d["pppk"]
    tmt = d["tmt"]
    sk_cpns_date = tmt - dt.timedelta(days=rng.randint(20, 60))
    jalan = rng.choice(
        (
            "Jl. Jend. Sudirman",
            "Jl. Diponegoro",
            "Jl. Kartini",
            "Jl. Imam Bonjol",
            "Jl. Mulawarman",
            "Jl. Pahlawan",
            "Jl. Gunung Belah",
            "Gg. Mawar",
        )
    )
    alamat = (
        f"{jalan} No. {rng.randint(1, 120)}, RT {rng.randint(1, 40):03d}, "
        f"{rng.choice(('Tenggarong', 'Loa Kulu', 'Loa Janan', 'Muara Badak', 'Samboja'))}"
    )
    npwp = f"{rng.randrange(10**15):015d}"
    bpjs = f"000{rng.randrange(10**10):010d}"
    status_kode = R.KEDUDUKAN.get(rec["status"], "01")
    row: list[str | None] = [
        rec["pns_orang_id"],
        rec["nip"],
        rec["nip_lama"],
        rec["nama"],
        rec["gelar_depan"],
        rec["gelar_belakang"],
        ref_id("lokasi", rec["tempat_lahir"])[:8],
        rec["tempat_lahir"],
        dmy(rec["tanggal_lahir"]),
        SEX_SIASN.get(rec["jenis_kelamin"], rec["jenis_kelamin"]),
        str(extra.agama_id),
        R.AGAMA[extra.agama_id],
        *R.KAWIN_SIASN[extra.kawin_id],
        rec["nik"],
        rec["nomor_hp"],
        rec["email"],
        None,
        alamat,
        npwp if rng.random() < 0.8 else None,
        bpjs,
        JENIS_PEGAWAI_ID[rec["jenis_pegawai"]],
        rec["jenis_pegawai"],
        status_kode,
        rec["status"],
        "P" if not pppk else "PPPK",
        ref_id("kartu", rec["nip"])[:16] if rng.random() < 0.6 else None,
        f"813/{rng.randint(100, 9999)}/BKD/{tmt.year}",
        dmy(sk_cpns_date.isoformat()),
        dmy(rec["tmt_cpns"]),
        None if pppk else f"821.13/{rng.randint(100, 9999)}/BKD/{tmt.year + 1}",
        None if pppk else dmy((tmt + dt.timedelta(days=330)).isoformat()),
        dmy(d["tmt_pns"].isoformat()) if d["tmt_pns"] else None,
        R.GOL_ID.get(gol_awal),
        gol_awal,
        R.GOL_ID.get(rec["golongan"]),
        rec["golongan"],
        dmy(d["tmt_gol"].isoformat()),
        str(d["years"]),
        str(rng.randint(0, 11)),
        JENIS_JABATAN_ID[rec["jenis_jabatan"]],
        rec["jenis_jabatan"],
        ref_id("jabatan", rec["jabatan"]),
        rec["jabatan"],
        dmy(d["tmt_jab"].isoformat()),
        tk_id,
        rec["pendidikan_tingkat"],
        ref_id("pendidikan", rec["pendidikan"]),
        rec["pendidikan"],
        str(_tahun_lulus(rec, edu)),
        "A5EB03E2",
        "KPPN Samarinda",
        "A5EB03E2-6402",
        "Kab. Kutai Kartanegara",
        rec["unit_kode"],
        rec["unit_nama"],
        R.INSTANSI_ID,
        R.INSTANSI_NAMA,
        R.INSTANSI_ID,
        R.INSTANSI_NAMA,
        induk.kode if induk else None,
        induk.nama if induk else None,
        rec["unit_kode"],
        rec["unit_nama"],
        "1",
    ]
    if unor_guid and rec["unit_kode"]:
        row[_UNOR_ID_COLUMN] = unor_id(rec["unit_kode"])
    if new_columns:
        sekolah = unit.nama if unit is not None and unit.profile == "sekolah" else None
        row += [sekolah, "1" if rng.random() < 0.4 else "0"]
    out: list[str] = []
    salt = int(rec["pns_orang_id"][-2], 16)
    for k, cell in enumerate(row):
        if cell is None or cell == "":
            out.append("null" if nt or (k + salt) % 3 == 0 else "")
        elif k in _NUMERIC_COLUMNS and cell.isdigit() and len(cell) >= _APOSTROPHE_MIN_LEN:
            out.append("'" + cell)
        else:
            out.append(cell)
    return out
