"""What goes into each document of a training: the natural keys of a bundle's members and
their render contexts, built from the database at drafting time.

:func:`isi_bundel` returns one :class:`Isi` per member of a document type's bundle (one
notice per agency, one summons and one certificate per participant, one attendance sheet per
training day ...). Everything a letter prints is checked here: an empty participant list, an
employee without a valid NIP or a missing required value is refused with
:class:`IsiTidakLengkap` naming the document and the field, never printed as a blank. The
signature block is added by the caller from the catalogue's signer
(:mod:`diklat.naskah.versi`). Messages name participants by their number in the list, never
by NIP (they may reach the orchestrator's logs). No Prefect here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from diklat.kegiatan.data import DataKegiatan, data_kegiatan, peserta_frame
from diklat.models import Bundel, Kegiatan, Naskah, Pegawai, Pejabat, UnitKerja
from diklat.naskah import konteks
from diklat.naskah.status import SIAP_FINAL
from diklat.pegawai.pejabat import PejabatTidakAda, pemegang
from diklat.pegawai.unit_kerja import tempat_units
from diklat.rules import nip as nip_rules
from diklat.rules.kalender import kalender
from diklat.rules.tanggal import hari_tanggal, label_zona, tanggal_indonesia
from diklat.rules.wilayah import tempat_lembaga
from diklat.settings import Settings, get_settings
from diklat.sop.catalogue import get_sop

if TYPE_CHECKING:  # imported where a DataFrame is made: a resumed run that makes none
    import pandas as pd  # starts about 0.3 s sooner


class IsiTidakLengkap(ValueError):
    """A document cannot be drafted: a required value is missing or invalid."""

    def __init__(self, jenis: str, field: str, message: str) -> None:
        self.jenis, self.field, self.message = jenis, field, message
        super().__init__(f"naskah {jenis}: {field}: {message}")


@dataclass
class Isi:
    """One member of a bundle: its key, heading and own fields (without the signature)."""

    kunci: str
    hal: str
    tujuan: str = ""
    tujuan_tempat: str = "Tempat"
    lampiran: str = "-"
    sifat: str = "Biasa"
    tembusan: list[str] = field(default_factory=list)
    isi: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sumber:
    """Everything the builders read, loaded once per bundle."""

    session: Session
    engine: Engine
    kegiatan: Kegiatan
    data: DataKegiatan
    peserta: pd.DataFrame
    settings: Settings
    _tempat: dict[str, str] | None = None

    def tempat(self, unit_kode: Any) -> str:
        """The town of a unit for the "di" line (``Loa Kulu``): the unit's own (operator's or
        source's, :mod:`diklat.pegawai.unit_kerja`), else the agency's town."""
        import pandas as pd

        if self._tempat is None:
            self._tempat = tempat_units(
                self.session, self.session.execute(select(UnitKerja.kode)).scalars()
            )
        kode = None if unit_kode is None or pd.isna(unit_kode) else str(unit_kode)
        return self._tempat.get(kode or "") or self.settings.instansi.kota

    @property
    def daerah(self) -> str:
        return konteks.kop(self.settings)["daerah"]

    @property
    def tahun(self) -> int:
        return self.data.mulai.year


def zona(settings: Settings) -> str:
    return label_zona(settings.timezone)


def kepala_daerah(settings: Settings) -> str:
    """``Bupati Kutai Kartanegara`` / ``Wali Kota Pekalongan`` / ``Gubernur ...``."""
    return konteks.kepala_daerah(konteks.kop(settings)["daerah"])


def sebutan_lengkap(unit_nama: str, settings: Settings) -> str:
    """The head of a unit as an addressee, with the region where the title needs it."""
    s = konteks.sebutan_kepala(unit_nama)
    daerah = konteks.kop(settings)["daerah"]
    if s.startswith(("Camat", "Lurah", "Direktur")):
        return s
    return f"{s} {daerah}"


def unit_sendiri(session: Session, settings: Settings) -> set[str]:
    """Codes of the agency's own unit(s): never the addressee of its own notices."""
    nama = " ".join(settings.instansi.nama.split()).lower()
    rows = session.execute(select(UnitKerja.kode, UnitKerja.nama, UnitKerja.singkatan)).all()
    return {
        r.kode
        for r in rows
        if " ".join(r.nama.split()).lower() == nama
        or (r.singkatan or "").upper() == settings.instansi.singkatan.upper()
    }


def penyelenggara(src: Sumber) -> str:
    """Who runs the training, as running text names it: the training's ``penyelenggara``
    (an outside body under SOP 002), else the agency itself."""
    return src.data.penyelenggara or konteks.kop(src.settings)["nama_lengkap"]


def _ringkas(src: Sumber) -> dict[str, str]:
    d = src.data
    return konteks.kegiatan_ringkas(
        d.nama,
        d.mulai,
        d.selesai,
        tempat=d.tempat or "",
        jp=d.jp,
        waktu=f"08.00 {zona(src.settings)} s.d. selesai",
        penyelenggara=penyelenggara(src),
    )


def _wajib(jenis: str, name: str, value: Any, message: str = "wajib diisi") -> Any:
    if value is None or (isinstance(value, str | list | dict) and not value):
        raise IsiTidakLengkap(jenis, name, message)
    return value


def _orang_peserta(jenis: str, row: pd.Series) -> dict[str, str]:
    import pandas as pd

    urut = row.get("nomor_urut")
    nip = str(row["nip"]) if not pd.isna(row["nip"]) else ""
    if not nip_rules.parse(nip).valid:
        raise IsiTidakLengkap(
            jenis,
            f"peserta nomor {urut}.nip",
            "NIP pegawai tidak valid; perbaiki data pegawai dulu",
        )
    if pd.isna(row["nama"]) or not str(row["nama"]).strip():
        raise IsiTidakLengkap(jenis, f"peserta nomor {urut}.nama", "nama kosong")
    return konteks.orang({k: (None if pd.isna(v) else v) for k, v in row.items()})


def _peserta(src: Sumber, jenis: str, *, status: tuple[str, ...] | None = None) -> pd.DataFrame:
    df = src.peserta
    df = df[~df["status"].isin(["batal", "ditolak"])]
    if status is not None:
        df = df[df["status"].isin(list(status))]
    if df.empty:
        what = "peserta berstatus " + "/".join(status) if status else "peserta"
        raise IsiTidakLengkap(
            jenis, "peserta", f"belum ada {what} pada kegiatan {src.kegiatan.kode}"
        )
    return df


def _batas_konfirmasi(src: Sumber) -> str:
    kal = kalender(src.settings)
    d = src.data.mulai - dt.timedelta(days=7)
    return tanggal_indonesia(kal.hari_kerja_berikutnya(d, termasuk=True))


def nomor_tanggal(session: Session, kegiatan_id: int, jenis: str) -> tuple[str, dt.date] | None:
    """Number and date of a training's issued document of one type (e.g. its SK)."""
    row = session.execute(
        select(Naskah.nomor, Naskah.tanggal)
        .join(Bundel, Naskah.bundel_id == Bundel.id)
        .where(
            Naskah.kegiatan_id == kegiatan_id,
            Naskah.jenis == jenis,
            Naskah.nomor.is_not(None),
            Naskah.status.in_(list(SIAP_FINAL)),
        )
        .order_by(Bundel.versi.desc())
        .limit(1)
    ).first()
    return (str(row.nomor), row.tanggal) if row and row.tanggal else None


def _dasar_anggaran(src: Sumber) -> str:
    return (
        f"Dokumen Pelaksanaan Anggaran {src.settings.instansi.singkatan} "
        f"{src.daerah} Tahun Anggaran {src.tahun}"
    )


def _dasar_sk(src: Sumber) -> str | None:
    sk = nomor_tanggal(src.session, src.kegiatan.id, "sk_panitia")
    if sk is None:
        return None
    return (
        f"Keputusan Kepala {konteks.kop(src.settings)['nama_lengkap']} Nomor {sk[0]} "
        f"tanggal {tanggal_indonesia(sk[1])} tentang Pembentukan Panitia Pelaksana "
        f"{src.data.nama}"
    )


# --------------------------------------------------------------------------- the documents


def _permohonan_narasumber(src: Sumber) -> list[Isi]:
    j = "surat_permohonan_narasumber"
    lembaga = _wajib(j, "kegiatan.lembaga_narasumber", src.data.lembaga_narasumber)
    materi = _wajib(j, "kegiatan.materi", src.data.materi)
    d = src.data
    return [
        Isi(
            kunci="",
            hal="Permohonan Narasumber",
            tujuan=konteks.sebutan_kepala(lembaga),
            tujuan_tempat=tempat_lembaga(lembaga) or "Tempat",
            tembusan=[f"Sekretaris Daerah {src.daerah}"],
            isi={
                "kegiatan": _ringkas(src),
                "materi": list(materi),
                "jadwal": {
                    "hari_tanggal": _ringkas(src)["hari_tanggal"],
                    "waktu": f"08.00 {zona(src.settings)} s.d. selesai",
                    "tempat": _wajib(j, "kegiatan.tempat", d.tempat),
                },
                "batas_konfirmasi": _batas_konfirmasi(src),
            },
        )
    ]


def _pemberitahuan(src: Sumber) -> list[Isi]:
    j = "surat_pemberitahuan"
    hal = f"Pemberitahuan Calon Peserta {src.data.nama}"
    own = unit_sendiri(src.session, src.settings)
    out: list[Isi] = []
    if src.kegiatan.sop == "pengiriman-peserta":
        # SOP 002: agencies are told the requirements and propose candidates themselves.
        units = _wajib(
            j,
            "kegiatan.kriteria.unit",
            src.data.kriteria.unit,
            "sebutkan unit kerja yang diberi tahu",
        )
        names: dict[str, str] = {
            r.kode: r.nama
            for r in src.session.execute(
                select(UnitKerja.kode, UnitKerja.nama).where(UnitKerja.kode.in_(units))
            )
        }
        syarat = _persyaratan(src)
        for kode in sorted(u for u in units if u not in own):
            nama = names.get(kode) or kode
            out.append(
                Isi(
                    kunci=f"opd:{kode}",
                    hal=f"Pemberitahuan {src.data.nama}",
                    tujuan=sebutan_lengkap(nama, src.settings),
                    tujuan_tempat=src.tempat(kode),
                    isi={
                        "kegiatan": _ringkas(src),
                        "opd": {"nama": nama},
                        "peserta": [],
                        "persyaratan": syarat,
                        "jumlah_peserta": "",
                        "batas_konfirmasi": _batas_konfirmasi(src),
                    },
                )
            )
        return out
    df = _peserta(src, j)
    for (kode, unit), rows in df.groupby(["unit_kode", "unit_nama"], sort=True):
        if kode in own:
            continue  # the agency's own staff are told internally, not by letter
        people = [_orang_peserta(j, r) for _, r in rows.iterrows()]
        out.append(
            Isi(
                kunci=f"opd:{kode}",
                hal=hal,
                tujuan=sebutan_lengkap(str(unit), src.settings),
                tujuan_tempat=src.tempat(kode),
                lampiran="1 (satu) berkas",
                tembusan=[f"Sekretaris Daerah {src.daerah}"],
                isi={
                    "kegiatan": _ringkas(src),
                    "opd": {"nama": str(unit)},
                    "peserta": people,
                    "persyaratan": [],
                    "jumlah_peserta": konteks.jumlah_orang(len(people)),
                    "batas_konfirmasi": _batas_konfirmasi(src),
                },
            )
        )
    if not out:
        raise IsiTidakLengkap(
            j,
            "peserta",
            "semua peserta berasal dari instansi sendiri: tidak ada OPD yang perlu diberi tahu",
        )
    return out


def _persyaratan(src: Sumber) -> list[str]:
    c = src.data.kriteria
    out = ["Pegawai Negeri Sipil atau PPPK yang masih aktif"]
    if c.golongan:
        out.append("Golongan ruang " + ", ".join(c.golongan))
    if c.jabatan:
        out.append("Menduduki jabatan " + ", ".join(c.jabatan))
    if c.kurang_20_jp:
        out.append(f"Belum memenuhi 20 JP pengembangan kompetensi pada tahun {src.tahun}")
    out.append("Mendapat persetujuan pimpinan unit kerja")
    return out


def _sk_panitia(src: Sumber) -> list[Isi]:
    j = "sk_panitia"
    kop = konteks.kop(src.settings)
    penetap = f"Kepala {kop['nama_lengkap']}"
    panitia = _panitia(src)
    if not panitia:
        raise IsiTidakLengkap(j, "panitia", "tidak ada pejabat atau staf untuk susunan panitia")
    sop = get_sop(src.kegiatan.sop)
    d = src.data
    return [
        Isi(
            kunci="",
            hal=f"Pembentukan Panitia Pelaksana {d.nama}",
            tembusan=[
                f"{kepala_daerah(src.settings)} (sebagai laporan)",
                f"Sekretaris Daerah {src.daerah}",
            ],
            isi={
                "penetap": penetap,
                "tentang": f"Pembentukan Panitia Pelaksana {d.nama} Tahun Anggaran {src.tahun}",
                "kegiatan": _ringkas(src),
                "menimbang": [
                    f"bahwa dalam rangka meningkatkan kompetensi Aparatur Sipil Negara perlu "
                    f"menyelenggarakan {d.nama};",
                    "bahwa untuk kelancaran pelaksanaan kegiatan sebagaimana dimaksud pada huruf a, "
                    "perlu membentuk panitia pelaksana;",
                    f"bahwa berdasarkan pertimbangan sebagaimana dimaksud dalam huruf a dan huruf b, "
                    f"perlu menetapkan Keputusan {penetap} tentang Pembentukan Panitia Pelaksana "
                    f"{d.nama};",
                ],
                "mengingat": [f"{x};" for x in sop.dasar_hukum] or [f"{_dasar_anggaran(src)};"],
                "diktum": konteks.diktum(
                    [
                        f"Membentuk Panitia Pelaksana {d.nama} dengan susunan sebagaimana tercantum "
                        f"dalam Lampiran yang merupakan bagian tidak terpisahkan dari Keputusan ini.",
                        "Panitia sebagaimana dimaksud dalam Diktum KESATU bertugas menyiapkan, "
                        "melaksanakan, dan melaporkan pelaksanaan kegiatan.",
                        f"Segala biaya yang timbul akibat ditetapkannya Keputusan ini dibebankan pada "
                        f"{_dasar_anggaran(src)}.",
                        "Keputusan ini mulai berlaku pada tanggal ditetapkan.",
                    ]
                ),
                "panitia": panitia,
            },
        )
    ]


_KEDUDUKAN_PANITIA = (
    ("kepala", "Pengarah"),
    ("sekretaris", "Penanggung Jawab"),
    ("kabid_psda", "Ketua"),
)


def _panitia(src: Sumber) -> list[dict[str, str]]:
    """The committee: the officials by role, then up to four staff of the agency itself."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for peran, kedudukan in _KEDUDUKAN_PANITIA:
        try:
            p = pemegang(src.session, peran)
        except PejabatTidakAda:
            continue
        seen.add(p.nip)
        out.append(
            konteks.orang({"nama": p.nama, "nip": p.nip, "jabatan": p.jabatan}, kedudukan=kedudukan)
        )
    own = unit_sendiri(src.session, src.settings)
    if own:
        staff = src.session.execute(
            select(Pegawai)
            .join(UnitKerja, Pegawai.unit_id == UnitKerja.id)
            .where(UnitKerja.kode.in_(own), Pegawai.aktif.is_(True))
            .order_by(Pegawai.nip)
            .limit(12)
        ).scalars()
        roles = ["Sekretaris", "Anggota", "Anggota", "Anggota"]
        for pg in staff:
            if pg.nip in seen or not roles:
                continue
            out.append(konteks.orang(pg, kedudukan=roles.pop(0)))
    return out


def _panggilan(src: Sumber) -> list[Isi]:
    j = "surat_panggilan"
    dasar = _dasar_sk(src) or _dasar_anggaran(src)
    out = []
    for _, r in _peserta(src, j).iterrows():
        p = _orang_peserta(j, r)
        out.append(
            Isi(
                kunci=f"peserta:{r['nip']}",
                hal=f"Panggilan Peserta {src.data.nama}",
                tujuan=f"Saudara {p['nama']}",
                tujuan_tempat=src.tempat(r.get("unit_kode")),
                tembusan=[sebutan_lengkap(p["unit"], src.settings)] if p["unit"] != "-" else [],
                isi={
                    "kegiatan": _ringkas(src),
                    "peserta": p,
                    "dasar": dasar,
                    "pakaian": "Pakaian Dinas Harian (PDH)",
                },
            )
        )
    return out


def _hari_pelatihan(src: Sumber) -> list[dt.date]:
    kal = kalender(src.settings)
    d, days = src.data.mulai, []
    while d <= src.data.selesai:
        if kal.is_hari_kerja(d):
            days.append(d)
        d += dt.timedelta(days=1)
    return days or [src.data.mulai]


def ketua_panitia(src: Sumber, jenis: str) -> dict[str, str]:
    """The committee's chair (the SK's ``Ketua``), who closes an attendance sheet."""
    for p in _panitia(src):
        if p.get("kedudukan") == "Ketua":
            return {**p, "jabatan": "Ketua Panitia"}
    raise IsiTidakLengkap(
        jenis,
        "ketua_panitia",
        "tidak ada pejabat dengan peran kabid_psda (Ketua Panitia) untuk menutup daftar hadir",
    )


def _daftar_hadir(src: Sumber) -> list[Isi]:
    j = "daftar_hadir"
    people = [_orang_peserta(j, r) for _, r in _peserta(src, j).iterrows()]
    days = _hari_pelatihan(src)
    ketua = ketua_panitia(src, j)
    return [
        Isi(
            kunci=f"hari:{i}",
            hal="Daftar Hadir",
            isi={
                "kegiatan": _ringkas(src),
                "hari_tanggal": hari_tanggal(d),
                "sesi": f"Hari ke-{i} dari {len(days)}",
                "peserta": people,
                # the closing: place and the session's date, the chair, name and NIP
                "tanggal_sesi": tanggal_indonesia(d),
                "ketua": ketua,
            },
        )
        for i, d in enumerate(days, 1)
    ]


def _tanda_terima(src: Sumber) -> list[Isi]:
    j = "tanda_terima"
    try:
        petugas_p = pemegang(src.session, "kabid_psda")
    except PejabatTidakAda as e:
        raise IsiTidakLengkap(j, "petugas", str(e)) from None
    petugas = konteks.orang(
        {"nama": petugas_p.nama, "nip": petugas_p.nip, "jabatan": petugas_p.jabatan}
    )
    out = []
    laporan = src.kegiatan.sop == "pengiriman-peserta"  # SOP 002 step 23: the report
    for _, r in _peserta(src, j).iterrows():
        p = _orang_peserta(j, r)
        if laporan:
            barang = [
                {
                    "uraian": f"Laporan Pelaksanaan Kegiatan {src.data.nama}",
                    "jumlah": "1",
                    "satuan": "berkas",
                    "keterangan": "asli",
                }
            ]
            penyerah, penerima, keperluan = p, petugas, "arsip laporan pelaksanaan diklat"
        else:
            barang = [
                {
                    "uraian": "Perlengkapan pelatihan (tas, modul dan alat tulis)",
                    "jumlah": "1",
                    "satuan": "paket",
                    "keterangan": "baik",
                }
            ]
            penyerah, penerima, keperluan = petugas, p, f"peserta {src.data.nama}"
        out.append(
            Isi(
                kunci=f"peserta:{r['nip']}",
                hal="Tanda Terima",
                isi={
                    "penyerah": penyerah,
                    "penerima": penerima,
                    "barang": barang,
                    "keperluan": keperluan,
                },
            )
        )
    return out


def _undangan(src: Sumber) -> list[Isi]:
    import pandas as pd

    j = "undangan_pembukaan"
    d = src.data
    own = unit_sendiri(src.session, src.settings)
    df = _peserta(src, j)
    units = sorted(
        {
            str(u)
            for k, u in zip(df["unit_kode"], df["unit_nama"], strict=True)
            if not pd.isna(u) and k not in own
        }
    )
    undangan = [
        f"Sekretaris Daerah {src.daerah}",
        *[
            sebutan_lengkap(u, src.settings)
            for u in units
            if konteks.sebutan_kepala(u) != "Sekretaris Daerah"
        ],
    ]
    return [
        Isi(
            kunci="",
            hal=f"Undangan Pembukaan {d.nama}",
            tujuan="Bapak/Ibu Pejabat (daftar terlampir)",
            tujuan_tempat=src.settings.instansi.kota,
            lampiran="1 (satu) lembar",
            isi={
                "kegiatan": _ringkas(src),
                "undangan": undangan,
                "acara": {
                    "hari_tanggal": hari_tanggal(d.mulai),
                    "pukul": f"08.00 {zona(src.settings)}",
                    "tempat": _wajib(j, "kegiatan.tempat", d.tempat),
                    "acara": f"Pembukaan {d.nama}",
                },
            },
        )
    ]


def _sertifikat(src: Sumber) -> list[Isi]:
    import pandas as pd

    j = "sertifikat"
    out = []
    for _, r in _peserta(src, j, status=("lulus",)).iterrows():
        p = _orang_peserta(j, r)
        if pd.isna(r.get("predikat")) or not r.get("predikat"):
            raise IsiTidakLengkap(
                j,
                f"peserta nomor {r['nomor_urut']}.predikat",
                "hasil (nilai) peserta belum ditetapkan",
            )
        # the register's Hal names the holder and the training
        out.append(
            Isi(
                kunci=f"peserta:{r['nip']}",
                hal=f"Surat Tanda Tamat Pelatihan {src.data.nama} atas nama {p['nama']}",
                isi={"kegiatan": _ringkas(src), "peserta": p, "predikat": str(r["predikat"])},
            )
        )
    return out


def _laporan(src: Sumber) -> list[Isi]:
    d = src.data
    df = src.peserta
    hadir = int(df["status"].isin(["hadir", "lulus", "tidak_lulus"]).sum())
    lulus = int((df["status"] == "lulus").sum())
    dasar = [f"{_dasar_anggaran(src)};"]
    sk = _dasar_sk(src)
    if sk:
        dasar.append(f"{sk}.")
    if d.narasumber:  # the speakers who came, by name and position
        narasumber = [
            {"nama": n.nama, "jabatan": n.jabatan, "materi": n.materi} for n in d.narasumber
        ]
    else:  # only the institution asked is known: named once, with its topics
        lembaga = d.lembaga_narasumber or konteks.kop(src.settings)["nama_lengkap"]
        narasumber = [
            {
                "nama": f"Narasumber dari {lembaga}",
                "jabatan": "",
                "materi": konteks.daftar_kata(d.materi),
            }
        ]
    return [
        Isi(
            kunci="",
            hal=f"Laporan Hasil {d.nama}",
            tujuan=kepala_daerah(src.settings),
            isi={
                "kegiatan": _ringkas(src),
                "dasar": dasar,
                "tujuan_kegiatan": f"Meningkatkan kompetensi Aparatur Sipil Negara melalui "
                f"{d.nama}.",
                "rekap": {
                    "dipanggil": konteks.jumlah_orang(len(df)),
                    "hadir": konteks.jumlah_orang(hadir),
                    "lulus": konteks.jumlah_orang(lulus),
                },
                "narasumber": narasumber,
                # a sentence never starts with digits: "Sebanyak 28 (dua puluh delapan) orang"
                "hasil": [
                    f"Sebanyak {konteks.jumlah_orang(lulus)} peserta dinyatakan lulus dan "
                    f"menerima Surat Tanda Tamat Pelatihan (STTP).",
                    f"Pelatihan dilaksanakan selama "
                    f"{konteks.jumlah_orang(d.jp or 0, 'jam pelajaran')} sesuai jadwal.",
                ],
                "saran": "Pelatihan lanjutan perlu dijadwalkan bagi perangkat daerah yang belum "
                "terwakili.",
            },
        )
    ]


@dataclass(frozen=True)
class Rujukan:
    """An incoming letter a training's letter cites: number, date, sender, Hal."""

    nomor: str
    tanggal: dt.date
    pengirim: str
    hal: str | None = None

    def dasar(self, akhir: str = ";") -> str:
        return konteks.dasar_surat(self.pengirim, self.nomor, self.tanggal, self.hal, akhir)


def surat_penyelenggara(src: Sumber) -> Rujukan | None:
    """The organiser's letter (its invitation or summons) the assignment letter cites: the
    incoming letter recorded at the SOP's first row (``surat_masuk``, the agenda of incoming
    letters), else what the training's data says of it (``DataKegiatan.surat_penyelenggara``)."""
    from diklat.kegiatan.usulan import surat_penawaran

    sm = surat_penawaran(src.session, src.kegiatan)
    if sm is not None:
        return Rujukan(
            nomor=sm.nomor,
            tanggal=sm.tanggal,
            pengirim=konteks.sebutan_kepala(sm.pengirim),
            hal=sm.hal,
        )
    s = src.data.surat_penyelenggara
    if s is None:
        return None
    pengirim = s.pengirim or konteks.sebutan_kepala(src.data.penyelenggara or "")
    return Rujukan(nomor=s.nomor, tanggal=s.tanggal, pengirim=pengirim, hal=s.hal)


def _surat_tugas(src: Sumber) -> list[Isi]:
    import pandas as pd

    j = "surat_tugas"
    d = src.data
    penyelenggara = _wajib(j, "kegiatan.penyelenggara", d.penyelenggara)
    rujukan = surat_penyelenggara(src)
    # Dasar 1: the organiser's letter with its number and date (when it is known)
    dasar = [
        rujukan.dasar()
        if rujukan is not None
        else f"Surat {penyelenggara} tentang penyelenggaraan {d.nama};",
        f"{_dasar_anggaran(src)}.",
    ]
    df = _peserta(src, j)
    people = [_orang_peserta(j, r) for _, r in df.iterrows()]
    units = sorted({str(u) for u in df["unit_nama"] if not pd.isna(u)})
    kop = konteks.kop(src.settings)
    return [
        Isi(
            kunci="",
            hal=f"Penugasan Peserta {d.nama}",
            # positions, never institutions: the organiser's head, the participants' heads
            tembusan=[
                konteks.sebutan_kepala(penyelenggara),
                *[sebutan_lengkap(u, src.settings) for u in units],
            ],
            isi={
                "dasar": dasar,
                "pegawai": people,
                "untuk": [
                    f"Mengikuti {d.nama} yang diselenggarakan oleh {penyelenggara} pada "
                    f"tanggal {_ringkas(src)['tanggal']} di {d.tempat or penyelenggara};",
                    f"Melaporkan hasil pelaksanaan tugas kepada Kepala "
                    f"{kop['nama_lengkap']} paling lambat 7 (tujuh) hari setelah "
                    f"kegiatan selesai.",
                ],
            },
        )
    ]  # the closing says "penuh tanggung jawab"


#: The training's own fields (``DataKegiatan`` paths) each document prints: a letter never
#: prints an empty "Tempat :" or "Jumlah JP : JP". Required when the training is created
#: (:mod:`diklat.kesiapan`) and again when the document is drafted (:func:`isi_bundel`).
KOLOM_KEGIATAN: dict[str, tuple[str, ...]] = {
    "surat_permohonan_narasumber": ("lembaga_narasumber", "materi", "tempat"),
    "surat_pemberitahuan": ("tempat", "jp"),
    "surat_panggilan": ("tempat",),
    "daftar_hadir": ("tempat",),
    "undangan_pembukaan": ("tempat",),
    "sertifikat": ("tempat", "jp"),
    "laporan_kegiatan": ("tempat", "jp"),
    "surat_tugas": ("penyelenggara",),
}
#: Fields one SOP's version of a document prints besides (SOP 002 tells the agencies named
#: in the criteria).
KOLOM_KEGIATAN_SOP: dict[tuple[str, str], tuple[str, ...]] = {
    ("pengiriman-peserta", "surat_pemberitahuan"): ("kriteria.unit",),
}
#: Officials a document's content names besides its approval chain (the receipt's officer).
PERAN_ISI: dict[str, tuple[str, ...]] = {"tanda_terima": ("kabid_psda",)}


def kolom_wajib(sop: str, jenis: str) -> tuple[str, ...]:
    """The training's fields the document ``jenis`` prints in SOP ``sop``."""
    return KOLOM_KEGIATAN.get(jenis, ()) + KOLOM_KEGIATAN_SOP.get((sop, jenis), ())


def nilai_kolom(data: DataKegiatan, path: str) -> Any:
    """A field of the training by its dotted path (``kriteria.unit``)."""
    value: Any = data
    for part in path.split("."):
        value = getattr(value, part, None)
    return value


BUILDERS: dict[str, Callable[[Sumber], list[Isi]]] = {
    "surat_permohonan_narasumber": _permohonan_narasumber,
    "surat_pemberitahuan": _pemberitahuan,
    "sk_panitia": _sk_panitia,
    "surat_panggilan": _panggilan,
    "daftar_hadir": _daftar_hadir,
    "tanda_terima": _tanda_terima,
    "undangan_pembukaan": _undangan,
    "sertifikat": _sertifikat,
    "laporan_kegiatan": _laporan,
    "surat_tugas": _surat_tugas,
}


def sumber(
    session: Session, engine: Engine, kegiatan: Kegiatan, settings: Settings | None = None
) -> Sumber:
    return Sumber(
        session=session,
        engine=engine,
        kegiatan=kegiatan,
        data=data_kegiatan(kegiatan),
        peserta=peserta_frame(engine, kegiatan.id),
        settings=settings or get_settings(),
    )


def isi_bundel(src: Sumber, jenis: str) -> list[Isi]:
    """The members of a training's bundle of ``jenis``, in key order."""
    try:
        build = BUILDERS[jenis]
    except KeyError:
        raise IsiTidakLengkap(jenis, "jenis", "jenis naskah tidak dikenal") from None
    for path in kolom_wajib(src.kegiatan.sop, jenis):
        _wajib(
            jenis,
            f"kegiatan.{path}",
            nilai_kolom(src.data, path),
            "wajib diisi: naskah ini mencetaknya",
        )
    items = build(src)
    if not items:
        raise IsiTidakLengkap(jenis, "isi", "tidak ada naskah untuk dibuat")
    return sorted(items, key=lambda i: i.kunci)


class TanggalBelumTiba(ValueError):
    """A document may not be dated (drafted, signed, numbered) before the event it reports."""


def tanggal_paling_awal(jenis: str, kegiatan: Kegiatan) -> dt.date | None:
    """The first day a document may carry: a certificate and the activity report report a
    training, so never before its last day."""
    if jenis in ("sertifikat", "laporan_kegiatan"):
        return kegiatan.tanggal_selesai or kegiatan.tanggal_mulai
    return None


def tanggal_naskah(
    jenis: str, kegiatan: Kegiatan, today: dt.date, settings: Settings | None = None
) -> dt.date:
    """The date a document carries: the day it is signed or made final (today), never in the
    future and never before the event it reports (:class:`TanggalBelumTiba`)."""
    earliest = tanggal_paling_awal(jenis, kegiatan)
    if earliest is not None and today < earliest:
        raise TanggalBelumTiba(
            f"{jenis.replace('_', ' ')} kegiatan {kegiatan.kode} baru dapat "
            f"dibuat mulai {earliest.isoformat()} (hari terakhir pelatihan)"
        )
    return today


__all__ = [
    "BUILDERS",
    "KOLOM_KEGIATAN",
    "PERAN_ISI",
    "Isi",
    "IsiTidakLengkap",
    "Pejabat",
    "Sumber",
    "TanggalBelumTiba",
    "isi_bundel",
    "kepala_daerah",
    "kolom_wajib",
    "nilai_kolom",
    "nomor_tanggal",
    "sebutan_lengkap",
    "sumber",
    "tanggal_naskah",
    "tanggal_paling_awal",
    "unit_sendiri",
    "zona",
]
