"""Building render contexts: the standard parts of every document from settings and data.

Every template expects the same common parts (see ``templates/README.md``):

* ``kop``: letterhead from ``settings.instansi`` (:func:`kop`);
* ``nomor``, ``tanggal`` (Indonesian date), ``sifat``, ``lampiran``, ``hal``, ``tujuan``,
  ``tujuan_tempat``: the letter's heading (:func:`surat`);
* ``ttd``: the signature block (:func:`penandatangan`), with ``a.n.``/``Plt.``;
* ``tembusan``: list of copy recipients (may be empty).

Person entries (:func:`orang`) carry only what a letter prints: name with titles, the
formatted NIP, rank, position, unit. NIK, phone numbers and e-mail addresses never enter a
context (contexts are stored with the document and may be shown in the orchestrator).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from diklat.models import Pejabat
from diklat.pegawai.pejabat import kantor
from diklat.rules.nip import format_nip
from diklat.rules.tanggal import BULAN, hari_tanggal, rentang_tanggal, tanggal_indonesia
from diklat.settings import Settings, get_settings

SIFAT = ("Biasa", "Terbatas", "Rahasia", "Sangat Rahasia")
DIKTUM = (
    "KESATU",
    "KEDUA",
    "KETIGA",
    "KEEMPAT",
    "KELIMA",
    "KEENAM",
    "KETUJUH",
    "KEDELAPAN",
    "KESEMBILAN",
    "KESEPULUH",
)
#: Keys a person entry may carry; anything else (nik, nomor_hp, email ...) is dropped.
ORANG_KEYS = ("nama", "nip", "pangkat", "golongan", "jabatan", "unit", "kedudukan", "materi")


#: The offices a letter can come from: the agency itself, or the Sekretariat Daerah (a
#: letter the Sekretaris Daerah signs is the Setda's letter: its letterhead and series).
KANTOR = ("instansi", "setda")


def kop(settings: Settings | None = None, *, kantor: str = "instansi") -> dict[str, str]:
    """The letterhead and office names: the agency's (``settings.instansi``) or, for
    ``kantor="setda"``, the Sekretariat Daerah's (``settings.setda``; with its ``kop`` setting
    ``kepala_daerah``, the regional head's letterhead)."""
    s = settings or get_settings()
    i = s.instansi
    pemerintah = i.pemerintah.strip()
    daerah = pemerintah.removeprefix("PEMERINTAH ").strip()
    nama, singkatan, alamat, kode_pos = i.nama, i.singkatan, i.alamat, i.kode_pos
    telepon, email, website = i.telepon, i.email, i.website
    if kantor == "setda":
        d = s.setda
        nama, singkatan, alamat, kode_pos = d.nama, "Setda", d.alamat, d.kode_pos
        telepon, email, website = d.telepon, d.email, d.website
    elif kantor != "instansi":
        raise ValueError(f"kantor harus salah satu dari {', '.join(KANTOR)}: {kantor!r}")
    alamat = alamat + (f" Kode Pos {kode_pos}" if kode_pos else "")
    out = {
        "pemerintah": pemerintah.upper(),
        "nama": nama.upper(),
        "singkatan": singkatan,
        "alamat": alamat,
        "telepon": telepon,
        "email": email,
        "website": website,
        "kota": i.kota,
        "daerah": _judul(daerah),
        # "Badan Kepegawaian ... Kabupaten Kutai Kartanegara", for running text
        "nama_lengkap": f"{_judul(nama)} {_judul(daerah)}",
        "kantor": _judul(nama),  # the office alone: "Sekretariat Daerah"
    }
    if kantor == "setda" and s.setda.kop == "kepala_daerah":
        out["pemerintah"] = kepala_daerah(out["daerah"]).upper()
        out["nama"] = ""
    return out


def kepala_daerah(daerah: str) -> str:
    """The regional head's title: ``Bupati Kutai Kartanegara`` for ``Kabupaten Kutai
    Kartanegara``, ``Wali Kota ...`` for a city, ``Gubernur ...`` for a province."""
    for prefix, title in (
        ("Kabupaten ", "Bupati"),
        ("Kota ", "Wali Kota"),
        ("Provinsi ", "Gubernur"),
    ):
        if daerah.startswith(prefix):
            return f"{title} {daerah[len(prefix) :]}"
    return f"Kepala Daerah {daerah}"


#: Positions that belong to the region, not to one agency: printed with the region's name
#: ("Sekretaris Daerah Kabupaten Kutai Kartanegara,").
JABATAN_DAERAH = ("sekretaris daerah",)


def jabatan_lengkap(jabatan: str, settings: Settings | None = None) -> str:
    """A position as a signature block prints it: a regional position carries the region
    (``Sekretaris Daerah`` -> ``Sekretaris Daerah Kabupaten Kutai Kartanegara``)."""
    j = " ".join(jabatan.split())
    if j.lower() in JABATAN_DAERAH:
        return f"{j} {kop(settings)['daerah']}"
    return j


_KECIL = {"dan", "di", "ke", "dari", "pada", "yang", "untuk", "atau", "dengan"}
_SINGKATAN = {"ASN", "BKN", "BKPSDM", "DPA", "OPD", "PNS", "PPPK", "RI", "SDM", "UPT", "UPTD"}


def _judul(text: str) -> str:
    """Title case the Indonesian way (conjunctions stay lower case, acronyms stay)."""
    words = []
    for k, w in enumerate(text.split()):
        lw = w.lower()
        if k and lw in _KECIL:
            words.append(lw)
        elif w.upper() in _SINGKATAN:
            words.append(w.upper())
        else:
            words.append(w[:1].upper() + w[1:].lower())
    return " ".join(words)


def nama_lengkap(
    nama: str, gelar_depan: str | None = None, gelar_belakang: str | None = None
) -> str:
    """``Dr. H. Sutrisno, S.Sos., M.Si.``: titles around the name as printed in letters."""
    nama = " ".join(nama.split())
    out = f"{gelar_depan.strip()} {nama}" if gelar_depan and gelar_depan.strip() else nama
    if gelar_belakang and gelar_belakang.strip():
        out = f"{out}, {gelar_belakang.strip()}"
    return out


def pangkat_golongan(pangkat: str | None, golongan: str | None) -> str:
    """``Penata Muda (III/a)``; either part alone; empty when both are missing."""
    if pangkat and golongan:
        return f"{pangkat} ({golongan})"
    return pangkat or golongan or ""


def orang(data: Mapping[str, Any] | Any, **extra: Any) -> dict[str, str]:
    """A person as a letter prints them, from a canonical employee dict, a ``Pegawai`` row
    or a ``Pejabat`` row. Only the keys in :data:`ORANG_KEYS` survive."""

    def get(key: str) -> Any:
        if isinstance(data, Mapping):
            return data.get(key)
        return getattr(data, key, None)

    nama = get("nama") or ""
    if get("gelar_depan") or get("gelar_belakang"):
        nama = nama_lengkap(nama, get("gelar_depan"), get("gelar_belakang"))
    nip = get("nip") or ""
    out = {
        "nama": str(nama),
        "nip": format_nip(str(nip)) if nip else "-",
        "pangkat": pangkat_golongan(get("pangkat"), get("golongan")) or "-",
        "golongan": str(get("golongan") or "-"),
        "jabatan": str(get("jabatan") or "-"),
        "unit": str(get("unit_nama") or get("unit") or "-"),
    }
    for k, v in extra.items():
        if k in ORANG_KEYS:
            out[k] = "" if v is None else str(v)
    return out


def penandatangan(
    nama: str,
    nip: str,
    jabatan: str,
    *,
    pangkat: str | None = None,
    golongan: str | None = None,
    plt: bool = False,
    acting: str | None = None,
    an: str | None = None,
    kantor: str = "instansi",
) -> dict[str, str]:
    """The signature block.

    ``jabatan`` is the signer's own position (``Sekretaris``); ``an`` the office signed on
    behalf of (``Kepala Badan ...``), printed as ``a.n. Kepala Badan ...,`` above it;
    ``acting`` (``plt`` or ``plh``; ``plt=True`` is the same as ``acting="plt"``) prefixes the
    position with ``Plt.``/``Plh.``. ``sebutan`` names the office the letter comes from (for
    attachment headings). ``kantor`` is the office whose letter it is (``setda`` for the
    Sekretaris Daerah): :func:`surat` takes the letterhead and number series from it."""
    acting = acting or ("plt" if plt else None)
    prefix = {"plt": "Plt. ", "plh": "Plh. "}.get(acting or "", "")
    jab = f"{prefix}{jabatan}"
    return {
        "an": f"a.n. {an}" if an else "",
        "jabatan": jab,
        "nama": nama,
        "pangkat": pangkat_golongan(pangkat, golongan),
        "nip": format_nip(nip),
        "sebutan": an or jabatan,
        "kantor": kantor,
    }


def tanggal_draf(d: dt.date | None) -> str:
    """Draft date line before registration: ``November 2026`` with room for the day."""
    d = d or dt.date.today()
    return f"      {BULAN[d.month - 1]} {d.year}"


def unit_nomor(jenis: str, kantor: str = "instansi", settings: Settings | None = None) -> str:
    """The series a letter will be numbered in: the Setda's for a Setda letter, else the
    document type's (``settings.unit_nomor``: the letters', the decrees' or the STTP series)."""
    s = settings or get_settings()
    return s.setda.kode_unit if kantor == "setda" else s.unit_nomor(jenis)


def nomor_draf(
    jenis: str,
    tahun: int | None = None,
    settings: Settings | None = None,
    *,
    unit: str | None = None,
) -> str:
    """A number with the sequence left blank, for drafts, in the series the letter will be
    numbered in (``unit``, default the type's): ``800.2.4.2/      /KEP/BKPSDM/2026``."""
    s = settings or get_settings()
    fields = {
        "klasifikasi": s.klasifikasi_for(jenis),
        "unit": unit or s.unit_nomor(jenis),
        "tahun": tahun or dt.date.today().year,
        "bulan": "   ",
        "bulan_romawi": "   ",
    }

    class _Blank:
        def __format__(self, spec: str) -> str:
            return "      "

    return s.naskah.nomor_format.format(urut=_Blank(), **fields)


def surat(
    jenis: str,
    *,
    hal: str = "",
    tujuan: str = "",
    tujuan_tempat: str = "Tempat",
    nomor: str | None = None,
    tanggal: dt.date | None = None,
    sifat: str = "Biasa",
    lampiran: str = "-",
    ttd: Mapping[str, str] | None = None,
    tembusan: Sequence[str] = (),
    settings: Settings | None = None,
    **isi: Any,
) -> dict[str, Any]:
    """The common heading of a document plus its own fields (``**isi``).

    Without ``nomor``/``tanggal`` (a draft, not yet registered) the number has a blank
    sequence and the date a blank day. The office the letter comes from is the signer's
    (``ttd.kantor``): a Setda letter gets the Setda's letterhead, and ``unit_nomor`` (the
    series the register numbers it in, shown in the draft's number) is the Setda's."""
    s = settings or get_settings()
    if sifat not in SIFAT:
        raise ValueError(f"sifat harus salah satu dari {', '.join(SIFAT)}: {sifat!r}")
    kantor = (ttd or {}).get("kantor") or "instansi"
    seri = unit_nomor(jenis, kantor, s)
    ctx: dict[str, Any] = {
        "jenis": jenis,
        "kop": kop(s, kantor=kantor),
        "unit_nomor": seri,
        "nomor": nomor or nomor_draf(jenis, tanggal.year if tanggal else None, s, unit=seri),
        "tanggal": tanggal_indonesia(tanggal) if nomor and tanggal else tanggal_draf(tanggal),
        "sifat": sifat,
        "lampiran": lampiran,
        "hal": hal,
        "tujuan": tujuan,
        "tujuan_tempat": tujuan_tempat,
        "tembusan": tembusan_bersih(tembusan, tujuan),
    }
    ctx["ttd"] = dict(ttd) if ttd is not None else None
    ctx.update(isi)
    return ctx


def _sebutan(text: str) -> str:
    """A position compared loosely: case, spacing, a trailing remark in brackets and a
    leading ``Yth.`` ignored."""
    t = " ".join(text.split()).lower().removeprefix("yth. ")
    if t.endswith(")") and " (" in t:
        t = t[: t.rindex(" (")]
    return t.rstrip(",. ")


def tembusan_bersih(tembusan: Sequence[str], tujuan: str = "") -> list[str]:
    """The copy list as a letter prints it: never the addressee himself (a notice to the
    Sekretaris Daerah does not copy the Sekretaris Daerah), nobody twice, no empty entry."""
    seen = {_sebutan(tujuan)} if tujuan.strip() else set()
    out = []
    for t in tembusan:
        key = _sebutan(t)
        if key and key not in seen:
            seen.add(key)
            out.append(t)
    return out


def kegiatan_ringkas(
    nama: str,
    mulai: dt.date,
    selesai: dt.date | None = None,
    *,
    tempat: str = "",
    jp: int | None = None,
    waktu: str = "",
    penyelenggara: str = "",
) -> dict[str, str]:
    """A training as letters print it (``tanggal`` as a range, ``hari_tanggal``; ``jp_teks``
    the hours with their words, ``24 (dua puluh empat) jam pelajaran``; ``penyelenggara`` the
    body that runs it, as running text names it)."""
    selesai = selesai or mulai
    return {
        "nama": nama,
        "tanggal": rentang_tanggal(mulai, selesai),
        "hari_tanggal": hari_tanggal(mulai)
        if mulai == selesai
        else f"{hari_tanggal(mulai).split(',')[0]} s.d. {hari_tanggal(selesai).split(',')[0]}, "
        f"{rentang_tanggal(mulai, selesai)}",
        "tempat": tempat,
        "jp": "" if jp is None else str(jp),
        "jp_teks": "" if jp is None else jumlah_orang(jp, "jam pelajaran"),
        "waktu": waktu,
        "penyelenggara": penyelenggara,
    }


def diktum(items: Sequence[str]) -> list[dict[str, str]]:
    """Decree articles labelled ``KESATU``, ``KEDUA`` ..."""
    if len(items) > len(DIKTUM):
        raise ValueError(f"paling banyak {len(DIKTUM)} diktum")
    return [{"label": DIKTUM[i], "isi": t} for i, t in enumerate(items)]


def tanggal_surat(d: dt.date) -> str:
    return tanggal_indonesia(d)


_SATUAN = (
    "",
    "satu",
    "dua",
    "tiga",
    "empat",
    "lima",
    "enam",
    "tujuh",
    "delapan",
    "sembilan",
    "sepuluh",
    "sebelas",
)


def terbilang(n: int) -> str:
    """A whole number in Indonesian words: ``terbilang(125)`` -> ``seratus dua puluh lima``."""
    if n < 0:
        return "minus " + terbilang(-n)
    if n == 0:
        return "nol"
    if n < 12:
        return _SATUAN[n]
    if n < 20:
        return f"{_SATUAN[n - 10]} belas"
    if n < 100:
        return f"{_SATUAN[n // 10]} puluh {terbilang(n % 10) if n % 10 else ''}".strip()
    if n < 200:
        return f"seratus {terbilang(n - 100) if n > 100 else ''}".strip()
    if n < 1000:
        return f"{_SATUAN[n // 100]} ratus {terbilang(n % 100) if n % 100 else ''}".strip()
    if n < 2000:
        return f"seribu {terbilang(n - 1000) if n > 1000 else ''}".strip()
    for size, word in ((10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"), (1000, "ribu")):
        if n >= size:
            head, rest = divmod(n, size)
            return f"{terbilang(head)} {word} {terbilang(rest) if rest else ''}".strip()
    raise AssertionError("unreachable")


def dasar_surat(
    pengirim: str, nomor: str, tanggal: dt.date, hal: str | None = None, akhir: str = ";"
) -> str:
    """A cited letter as a "Dasar" line: ``Surat Kepala Badan ... Nomor 800/123/BPSDM/2026
    tanggal 2 Desember 2026 hal Pemanggilan Peserta ...;``."""
    line = f"Surat {pengirim} Nomor {nomor} tanggal {tanggal_indonesia(tanggal)}"
    if hal and hal.strip():
        line += f" hal {' '.join(hal.split())}"
    return line + akhir


def daftar_kata(items: Sequence[str]) -> str:
    """``A, B dan C`` (Indonesian enumeration)."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} dan {items[-1]}"


def jumlah_orang(n: int, satuan: str = "orang") -> str:
    """A count as agencies write it: ``3 (tiga) orang``."""
    return f"{n} ({terbilang(n)}) {satuan}"


def sebutan_kepala(unit_nama: str) -> str:
    """How the head of a unit is addressed, from the unit's name: ``Sekretaris Daerah``,
    ``Sekretaris DPRD``, ``Inspektur``, ``Direktur RSUD ...``, ``Camat ...``, ``Lurah ...``,
    ``Kepala Dinas ...``/``Kepala Badan ...`` (and ``Kepala <unit>`` otherwise)."""
    nama = " ".join(unit_nama.split())
    low = nama.lower()
    if low.startswith("sekretariat daerah"):
        return "Sekretaris Daerah"
    if low.startswith(("sekretariat dprd", "sekretariat dewan")):
        return "Sekretaris DPRD"
    if low.startswith("inspektorat"):
        return "Inspektur"
    if low.startswith(("rsud", "rumah sakit")):
        return f"Direktur {nama}"
    if low.startswith("kecamatan "):
        return f"Camat {nama[len('kecamatan ') :]}"
    if low.startswith("kelurahan "):
        return f"Lurah {nama[len('kelurahan ') :]}"
    return f"Kepala {nama}"


# ------------------------------------------------------------ officials as printed


def jabatan_cetak(p: Pejabat, settings: Settings | None = None) -> str:
    """The official's position as printed (``Sekretaris Daerah Kabupaten ...``)."""
    return jabatan_lengkap(p.jabatan, settings)


def blok_ttd(p: Pejabat, settings: Settings | None = None) -> dict[str, str]:
    """The signature block of an official, as printed (``a.n.``, ``Plt.``/``Plh.``, the
    full title of a regional position), with the office whose letter it is."""
    return penandatangan(
        p.nama,
        p.nip,
        jabatan_cetak(p, settings),
        pangkat=p.pangkat,
        acting=p.kedudukan if p.kedudukan in ("plt", "plh") else None,
        an=p.an_jabatan,
        kantor=kantor(p),
    )
