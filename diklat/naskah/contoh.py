"""Example contexts for every document type: a realistic training of BKPSDM Kutai Kartanegara.

Used by the tests (expected-text files), the benchmark, ``diklat naskah render --contoh``
and as documentation of what each template expects. All people are invented; NIPs are
well-formed but belong to nobody.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from diklat.naskah.konteks import (
    diktum,
    jumlah_orang,
    kegiatan_ringkas,
    kop,
    orang,
    penandatangan,
    surat,
)
from diklat.rules.tanggal import hari_tanggal, tanggal_indonesia
from diklat.settings import Settings, get_settings

TANGGAL = dt.date(2026, 11, 2)
MULAI = dt.date(2026, 11, 23)
SELESAI = dt.date(2026, 11, 25)
#: The committee decree's date: the summons cite it, so they are dated after it.
TANGGAL_SK = dt.date(2026, 11, 9)
#: Each example is dated the way the training's letters follow one another (DOMAIN.md: dates
#: follow events): the requests and notices first, the decree, the summonses after it, the
#: invitation, the attendance sheets and receipts on the first day, the certificates on the
#: last, the report on the working day after.
TANGGAL_JENIS: dict[str, dt.date] = {
    "surat_permohonan_narasumber": TANGGAL,
    "surat_pemberitahuan": TANGGAL,
    "surat_tugas": TANGGAL,
    "sk_panitia": TANGGAL_SK,
    "surat_panggilan": dt.date(2026, 11, 10),
    "undangan_pembukaan": dt.date(2026, 11, 16),
    "daftar_hadir": MULAI,
    "tanda_terima": MULAI,
    "sertifikat": SELESAI,
    "laporan_kegiatan": dt.date(2026, 11, 26),
}
#: The sequence every example number carries.
URUT = 34
NAMA_KEGIATAN = "Pelatihan Penyusunan Analisis Jabatan dan Analisis Beban Kerja"

KEPALA = penandatangan(
    "Dr. H. SUTRISNO, S.Sos., M.Si.",
    "197209131998031001",
    "Kepala Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
    pangkat="Pembina Utama Muda",
    golongan="IV/c",
)
KABID_AN = penandatangan(
    "RINA WULANDARI, S.E., M.M.",
    "198005122005022003",
    "Kepala Bidang Pengembangan Sumber Daya Aparatur",
    pangkat="Pembina",
    golongan="IV/a",
    an="Kepala Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
)

PESERTA_DATA: list[dict[str, Any]] = [
    {
        "nip": "199003152015031002",
        "nama": "ANDI PRATAMA",
        "gelar_belakang": "S.Kom.",
        "pangkat": "Penata Muda Tk. I",
        "golongan": "III/b",
        "jabatan": "Analis Kepegawaian Ahli Pertama",
        "unit_nama": "Dinas Pendidikan dan Kebudayaan",
    },
    {
        "nip": "198807222010012001",
        "nama": "SITI NURHALIZA",
        "gelar_belakang": "S.H.",
        "pangkat": "Penata",
        "golongan": "III/c",
        "jabatan": "Analis Sumber Daya Manusia Aparatur",
        "unit_nama": "Dinas Pendidikan dan Kebudayaan",
    },
    {
        "nip": "199511032019031004",
        "nama": "MUHAMMAD RIZKY",
        "gelar_depan": "",
        "gelar_belakang": "A.Md.",
        "pangkat": "Pengatur",
        "golongan": "II/c",
        "jabatan": "Pengelola Data Kepegawaian",
        "unit_nama": "Dinas Pendidikan dan Kebudayaan",
    },
]


def peserta_list() -> list[dict[str, str]]:
    return [orang(p) for p in PESERTA_DATA]


def _kegiatan(s: Settings) -> dict[str, str]:
    return kegiatan_ringkas(
        NAMA_KEGIATAN,
        MULAI,
        SELESAI,
        tempat="Aula BKPSDM, Tenggarong",
        jp=24,
        waktu="08.00 WITA s.d. selesai",
        penyelenggara=kop(s)["nama_lengkap"],
    )


def nomor_contoh(jenis: str, settings: Settings | None = None) -> str:
    """The example number of ``jenis``: ``800.2.4.2/034/KEP/BKPSDM/2026`` for the decree."""
    s = settings or get_settings()
    from diklat.naskah.register import format_nomor

    return format_nomor(
        s.klasifikasi_for(jenis), URUT, s.unit_nomor(jenis), TANGGAL_JENIS.get(jenis, TANGGAL), s
    )


def contoh(
    jenis: str, *, nomor: str | None = None, settings: Settings | None = None, **override: Any
) -> dict[str, Any]:
    """The example context of ``jenis``; ``nomor`` defaults to a fixed registered number in
    the type's series (the decrees' and the certificates' their own), dated by
    :data:`TANGGAL_JENIS`."""
    s = settings or get_settings()
    nomor = nomor or nomor_contoh(jenis, s)
    tanggal = TANGGAL_JENIS.get(jenis, TANGGAL)
    keg = _kegiatan(s)
    tembusan = [
        "Bupati Kutai Kartanegara (sebagai laporan)",
        "Sekretaris Daerah Kabupaten Kutai Kartanegara",
    ]
    base: dict[str, Any] = {"nomor": nomor, "tanggal": tanggal, "settings": s}
    ctx: dict[str, Any]
    if jenis == "surat_permohonan_narasumber":
        ctx = surat(
            jenis,
            **base,
            hal="Permohonan Narasumber",
            tujuan="Kepala Badan Pengembangan Sumber Daya Manusia Provinsi Kalimantan Timur",
            tujuan_tempat="Samarinda",
            ttd=KEPALA,
            tembusan=tembusan[1:],
            kegiatan=keg,
            materi=["Analisis Jabatan", "Analisis Beban Kerja"],
            jadwal={
                "hari_tanggal": hari_tanggal(MULAI),
                "waktu": "08.00 s.d. 12.00 WITA",
                "tempat": "Aula BKPSDM, Tenggarong",
            },
            batas_konfirmasi=tanggal_indonesia(dt.date(2026, 11, 16)),
        )
    elif jenis == "surat_pemberitahuan":
        ctx = surat(
            jenis,
            **base,
            hal=f"Pemberitahuan Calon Peserta {NAMA_KEGIATAN}",
            lampiran="1 (satu) lembar",
            tujuan="Kepala Dinas Pendidikan dan Kebudayaan Kabupaten Kutai Kartanegara",
            tujuan_tempat="Tenggarong",
            ttd=KABID_AN,
            tembusan=tembusan[1:],
            kegiatan=keg,
            opd={"nama": "Dinas Pendidikan dan Kebudayaan"},
            peserta=peserta_list(),
            jumlah_peserta=jumlah_orang(len(PESERTA_DATA)),
            persyaratan=[],
            batas_konfirmasi=tanggal_indonesia(dt.date(2026, 11, 16)),
        )
    elif jenis == "sk_panitia":
        ctx = surat(
            jenis,
            **base,
            hal="Pembentukan Panitia",
            ttd=KEPALA,
            tembusan=tembusan,
            penetap=f"Kepala Badan Kepegawaian dan Pengembangan Sumber Daya Manusia "
            f"{s.instansi.pemerintah.removeprefix('PEMERINTAH ').title()}",
            tentang=f"Pembentukan Panitia Pelaksana {NAMA_KEGIATAN} Tahun Anggaran 2026",
            kegiatan=keg,
            menimbang=[
                f"bahwa dalam rangka meningkatkan kompetensi Aparatur Sipil Negara dalam "
                f"penyusunan analisis jabatan dan analisis beban kerja, perlu "
                f"menyelenggarakan {NAMA_KEGIATAN};",
                "bahwa untuk kelancaran pelaksanaan kegiatan sebagaimana dimaksud pada "
                "huruf a, perlu membentuk panitia pelaksana;",
                "bahwa berdasarkan pertimbangan sebagaimana dimaksud dalam huruf a dan "
                "huruf b, perlu menetapkan Keputusan Kepala Badan tentang Pembentukan "
                "Panitia Pelaksana;",
            ],
            mengingat=[
                "Undang-Undang Nomor 20 Tahun 2023 tentang Aparatur Sipil Negara;",
                "Peraturan Pemerintah Nomor 11 Tahun 2017 tentang Manajemen Pegawai "
                "Negeri Sipil sebagaimana telah diubah dengan Peraturan Pemerintah Nomor "
                "17 Tahun 2020;",
                "Peraturan Lembaga Administrasi Negara Nomor 10 Tahun 2018 tentang "
                "Pengembangan Kompetensi Pegawai Negeri Sipil;",
            ],
            diktum=diktum(
                [
                    f"Membentuk Panitia Pelaksana {NAMA_KEGIATAN} dengan susunan "
                    f"sebagaimana tercantum dalam Lampiran yang merupakan bagian tidak "
                    f"terpisahkan dari Keputusan ini.",
                    "Panitia sebagaimana dimaksud dalam Diktum KESATU bertugas menyiapkan, "
                    "melaksanakan, dan melaporkan pelaksanaan kegiatan.",
                    "Segala biaya yang timbul akibat ditetapkannya Keputusan ini dibebankan "
                    "pada Dokumen Pelaksanaan Anggaran Badan Kepegawaian dan Pengembangan "
                    "Sumber Daya Manusia Tahun Anggaran 2026.",
                    "Keputusan ini mulai berlaku pada tanggal ditetapkan.",
                ]
            ),
            panitia=[
                orang(
                    {
                        "nama": "RINA WULANDARI",
                        "gelar_belakang": "S.E., M.M.",
                        "nip": "198005122005022003",
                        "jabatan": "Kepala Bidang Pengembangan Sumber Daya Aparatur",
                    },
                    kedudukan="Penanggung Jawab",
                ),
                orang(
                    {
                        "nama": "YUSUF HABIBI",
                        "gelar_belakang": "S.Sos.",
                        "nip": "198501012010011005",
                        "jabatan": "Analis SDM Aparatur Ahli Muda",
                    },
                    kedudukan="Ketua",
                ),
                orang(
                    {
                        "nama": "DEWI ANGGRAINI",
                        "gelar_belakang": "S.Pd.",
                        "nip": "199204302019022002",
                        "jabatan": "Pengelola Diklat",
                    },
                    kedudukan="Sekretaris",
                ),
            ],
        )
    elif jenis == "surat_panggilan":
        p = peserta_list()[0]
        ctx = surat(
            jenis,
            **base,
            hal=f"Panggilan Peserta {NAMA_KEGIATAN}",
            tujuan=f"Saudara {p['nama']}",
            tujuan_tempat="Tenggarong",
            ttd=KABID_AN,
            tembusan=[f"Kepala {p['unit']}"],
            kegiatan=keg,
            peserta=p,
            dasar=f"Keputusan Kepala Badan Kepegawaian dan Pengembangan Sumber Daya "
            f"Manusia Nomor {nomor_contoh('sk_panitia', s)} tanggal "
            f"{tanggal_indonesia(TANGGAL_SK)} tentang Pembentukan Panitia "
            f"Pelaksana {NAMA_KEGIATAN}",
            pakaian="Pakaian Dinas Harian (PDH)",
        )
    elif jenis == "undangan_pembukaan":
        ctx = surat(
            jenis,
            **base,
            hal=f"Undangan Pembukaan {NAMA_KEGIATAN}",
            tujuan="Bapak/Ibu Pejabat (daftar terlampir)",
            lampiran="1 (satu) lembar",
            tujuan_tempat="Tenggarong",
            ttd=KEPALA,
            kegiatan=keg,
            undangan=[
                "Sekretaris Daerah Kabupaten Kutai Kartanegara",
                "Kepala Dinas Pendidikan dan Kebudayaan Kabupaten Kutai Kartanegara",
                "Inspektur Kabupaten Kutai Kartanegara",
            ],
            acara={
                "hari_tanggal": hari_tanggal(MULAI),
                "pukul": "08.00 WITA",
                "tempat": "Aula BKPSDM, Tenggarong",
                "acara": f"Pembukaan {NAMA_KEGIATAN}",
            },
        )
    elif jenis == "surat_tugas":
        ctx = surat(
            jenis,
            **base,
            hal="Surat Tugas",
            ttd=KEPALA,
            tembusan=tembusan[1:],
            dasar=[
                "Surat Lembaga Administrasi Negara Nomor 800/123/LAN/2026 tentang "
                "Pemanggilan Peserta Pelatihan Teknis;",
                "Dokumen Pelaksanaan Anggaran BKPSDM Tahun Anggaran 2026.",
            ],
            pegawai=peserta_list()[:2],
            untuk=[
                f"Mengikuti {NAMA_KEGIATAN} di Samarinda pada tanggal {keg['tanggal']};",
                "Melaporkan hasil pelaksanaan tugas kepada Kepala Badan paling lambat "
                "7 (tujuh) hari setelah kegiatan selesai.",
            ],
        )
    elif jenis == "sertifikat":
        ctx = surat(
            jenis,
            **base,
            hal="Sertifikat",
            ttd=KEPALA,
            kegiatan=keg,
            peserta=peserta_list()[0],
            predikat="Sangat Memuaskan",
        )
    elif jenis == "laporan_kegiatan":
        ctx = surat(
            jenis,
            **base,
            hal=f"Laporan Hasil {NAMA_KEGIATAN}",
            tujuan="Bupati Kutai Kartanegara",
            ttd=KEPALA,
            tembusan=[],
            kegiatan=keg,
            dasar=[
                "Dokumen Pelaksanaan Anggaran BKPSDM Tahun Anggaran 2026;",
                f"Keputusan Kepala BKPSDM Nomor {nomor_contoh('sk_panitia', s)} "
                f"tanggal {tanggal_indonesia(TANGGAL_SK)} tentang Pembentukan "
                f"Panitia Pelaksana.",
            ],
            tujuan_kegiatan="Meningkatkan kompetensi pengelola kepegawaian dalam "
            "menyusun analisis jabatan dan analisis beban kerja.",
            rekap={
                "dipanggil": jumlah_orang(30),
                "hadir": jumlah_orang(28),
                "lulus": jumlah_orang(28),
            },
            narasumber=[
                {
                    "nama": "Drs. BAMBANG SUKMA, M.AP.",
                    "jabatan": "Widyaiswara Ahli Utama",
                    "materi": "Analisis Jabatan",
                }
            ],
            hasil=[
                "Peserta mampu menyusun peta jabatan unit kerja masing-masing.",
                "Tersusun draf analisis beban kerja 12 (dua belas) perangkat daerah.",
            ],
            saran="Pelatihan lanjutan perlu dijadwalkan bagi perangkat daerah yang "
            "belum terwakili.",
        )
    elif jenis == "tanda_terima":
        ctx = surat(
            jenis,
            **base,
            hal="Tanda Terima",
            ttd=None,
            penyerah=orang(
                {
                    "nama": "DEWI ANGGRAINI",
                    "gelar_belakang": "S.Pd.",
                    "nip": "199204302019022002",
                    "jabatan": "Pengelola Diklat",
                }
            ),
            penerima=peserta_list()[0],
            barang=[
                {
                    "uraian": "Tas dan alat tulis peserta",
                    "jumlah": "1",
                    "satuan": "paket",
                    "keterangan": "baik",
                },
                {
                    "uraian": "Modul pelatihan",
                    "jumlah": "1",
                    "satuan": "buku",
                    "keterangan": "baik",
                },
            ],
            keperluan=f"peserta {NAMA_KEGIATAN}",
        )
    elif jenis == "daftar_hadir":
        ctx = surat(
            jenis,
            **base,
            hal="Daftar Hadir",
            ttd=None,
            kegiatan=keg,
            hari_tanggal=hari_tanggal(MULAI),
            sesi="Hari ke-1 dari 3",
            peserta=peserta_list(),
            tanggal_sesi=tanggal_indonesia(MULAI),
            ketua=orang(
                {
                    "nama": "RINA WULANDARI",
                    "gelar_belakang": "S.E., M.M.",
                    "nip": "198005122005022003",
                    "jabatan": "Ketua Panitia",
                }
            ),
        )
    else:
        raise KeyError(f"tidak ada contoh untuk jenis {jenis!r}")
    if jenis in s.naskah.tanpa_nomor:
        ctx["nomor"] = ""  # not a letter: no number, also in a draft
    ctx.update(override)
    return ctx
