"""Reference tables of the simulator: the units (OPD) of Kabupaten Kutai Kartanegara, ranks,
positions, education, names, places and training catalogues.

Plain data only; :mod:`simulator.data` draws from it. Everything here is invented for the
simulator (codes, e-mail addresses, position lists) but shaped like the real thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.records import JENIS_DIKLAT  # noqa: F401  (SIASN's reference, shared)

#: BKN's id of the agency (the same default as ``settings.instansi.instansi_siasn_id``).
INSTANSI_ID = "A5EB03E23C7CF6A0E040640A040252AD"
INSTANSI_NAMA = "Pemerintah Kabupaten Kutai Kartanegara"


@dataclass(frozen=True)
class Unit:
    kode: str
    nama: str
    singkatan: str
    induk_kode: str | None
    email: str
    alamat: str
    profile: str  # "umum", "pendidikan", "sekolah", "kesehatan", "wilayah"
    weight: float
    kepala: str  # the head's position title
    bidang: tuple[str, ...] = ()  # names of the divisions (for Kepala Bidang/Seksi posts)
    fungsional: tuple[str, ...] = ()  # functional positions typical for the unit

    @property
    def kota(self) -> str:
        """The town the unit is in: the last part of its address (``Loa Kulu``)."""
        return self.alamat.rsplit(",", 1)[-1].strip()


def _u(
    kode: str,
    nama: str,
    singkatan: str,
    email_local: str,
    profile: str,
    weight: float,
    kepala: str,
    induk: str | None = None,
    alamat: str = "Tenggarong",
    bidang: tuple[str, ...] = (),
    fungsional: tuple[str, ...] = (),
) -> Unit:
    return Unit(
        kode,
        nama,
        singkatan,
        induk,
        f"{email_local}@kukarkab.go.id",
        alamat,
        profile,
        weight,
        kepala,
        bidang,
        fungsional,
    )


_GEN = ("Program dan Pelaporan", "Pelayanan", "Pengembangan", "Pengendalian dan Evaluasi")

UNITS: tuple[Unit, ...] = (
    _u(
        "64020100",
        "Sekretariat Daerah",
        "SETDA",
        "setda",
        "umum",
        2.5,
        "Sekretaris Daerah",
        alamat="Jl. Wolter Monginsidi No. 1, Timbau, Tenggarong",
        bidang=(
            "Pemerintahan dan Kesejahteraan Rakyat",
            "Perekonomian dan Pembangunan",
            "Administrasi Umum",
        ),
        fungsional=("Analis Kebijakan", "Perancang Peraturan Perundang-undangan", "Arsiparis"),
    ),
    _u(
        "64020200",
        "Sekretariat DPRD",
        "SETWAN",
        "setwan",
        "umum",
        1.0,
        "Sekretaris DPRD",
        alamat="Jl. Jend. Sudirman No. 3, Tenggarong",
        bidang=("Persidangan dan Perundang-undangan", "Keuangan", "Umum"),
        fungsional=("Analis Kebijakan", "Pranata Hubungan Masyarakat"),
    ),
    _u(
        "64020300",
        "Inspektorat Daerah",
        "INSPEKTORAT",
        "inspektorat",
        "umum",
        1.0,
        "Inspektur",
        alamat="Jl. Jend. Sudirman No. 2, Tenggarong",
        bidang=("Inspektur Pembantu Wilayah I", "Inspektur Pembantu Wilayah II"),
        fungsional=("Auditor", "Pengawas Penyelenggaraan Urusan Pemerintahan di Daerah"),
    ),
    _u(
        "64020400",
        "Badan Perencanaan Pembangunan Daerah",
        "BAPPEDA",
        "bappeda",
        "umum",
        1.0,
        "Kepala Badan",
        alamat="Jl. Dr. Sutomo No. 1, Tenggarong",
        bidang=(
            "Perencanaan Ekonomi",
            "Perencanaan Infrastruktur dan Kewilayahan",
            "Penelitian dan Pengembangan",
        ),
        fungsional=("Perencana", "Peneliti"),
    ),
    _u(
        "64020500",
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        "BKPSDM",
        "bkpsdm",
        "umum",
        1.2,
        "Kepala Badan",
        alamat="Jalan Wolter Monginsidi, Gedung Kembar Lt. 3, Timbau, Tenggarong",
        bidang=(
            "Pengembangan Sumber Daya Aparatur",
            "Mutasi dan Promosi",
            "Pengadaan, Pemberhentian dan Informasi",
            "Penilaian Kinerja dan Penghargaan",
        ),
        fungsional=("Analis Sumber Daya Manusia Aparatur", "Pranata Komputer", "Arsiparis"),
    ),
    _u(
        "64020600",
        "Badan Pengelolaan Keuangan dan Aset Daerah",
        "BPKAD",
        "bpkad",
        "umum",
        1.3,
        "Kepala Badan",
        alamat="Jl. Diponegoro No. 12, Tenggarong",
        bidang=("Anggaran", "Perbendaharaan", "Akuntansi", "Aset"),
        fungsional=("Analis Keuangan Pusat dan Daerah", "Pranata Keuangan APBN"),
    ),
    _u(
        "64020700",
        "Badan Pendapatan Daerah",
        "BAPENDA",
        "bapenda",
        "umum",
        1.0,
        "Kepala Badan",
        alamat="Jl. Diponegoro No. 14, Tenggarong",
        bidang=("Pendaftaran dan Pendataan", "Penagihan", "Pajak Daerah"),
        fungsional=("Analis Keuangan Pusat dan Daerah",),
    ),
    _u(
        "64020800",
        "Badan Penanggulangan Bencana Daerah",
        "BPBD",
        "bpbd",
        "umum",
        0.8,
        "Kepala Pelaksana",
        bidang=("Pencegahan dan Kesiapsiagaan", "Kedaruratan dan Logistik"),
        fungsional=("Analis Bencana",),
    ),
    _u(
        "64020900",
        "Badan Kesatuan Bangsa dan Politik",
        "KESBANGPOL",
        "kesbangpol",
        "umum",
        0.6,
        "Kepala Badan",
        bidang=("Ideologi dan Wawasan Kebangsaan", "Politik Dalam Negeri"),
        fungsional=("Analis Kebijakan",),
    ),
    _u(
        "64021000",
        "Dinas Pendidikan dan Kebudayaan",
        "DISDIKBUD",
        "diknas",
        "pendidikan",
        4.0,
        "Kepala Dinas",
        alamat="Jl. Pesut No. 1, Tenggarong",
        bidang=(
            "Pembinaan Sekolah Dasar",
            "Pembinaan Sekolah Menengah Pertama",
            "Pendidikan Anak Usia Dini dan Nonformal",
            "Kebudayaan",
            "Ketenagaan",
        ),
        fungsional=("Pengawas Sekolah", "Pamong Belajar", "Pranata Komputer"),
    ),
    _u(
        "64021001",
        "SD Negeri 001 Tenggarong",
        "SDN001TGR",
        "sdn001tgr",
        "sekolah",
        5.0,
        "Kepala Sekolah",
        induk="64021000",
        alamat="Jl. Kartini No. 5, Tenggarong",
    ),
    _u(
        "64021002",
        "SD Negeri 012 Loa Kulu",
        "SDN012LKL",
        "sdn012loakulu",
        "sekolah",
        4.0,
        "Kepala Sekolah",
        induk="64021000",
        alamat="Jl. Poros Loa Kulu, Loa Kulu",
    ),
    _u(
        "64021003",
        "SMP Negeri 1 Tenggarong",
        "SMPN1TGR",
        "smpn1tgr",
        "sekolah",
        5.0,
        "Kepala Sekolah",
        induk="64021000",
        alamat="Jl. Jend. Sudirman No. 20, Tenggarong",
    ),
    _u(
        "64021004",
        "SMP Negeri 2 Tenggarong Seberang",
        "SMPN2TGS",
        "smpn2tgs",
        "sekolah",
        4.0,
        "Kepala Sekolah",
        induk="64021000",
        alamat="Jl. Poros Samarinda-Tenggarong, Bukit Raya",
    ),
    _u(
        "64021100",
        "Dinas Kesehatan",
        "DINKES",
        "dinkes",
        "kesehatan",
        3.0,
        "Kepala Dinas",
        alamat="Jl. Imam Bonjol No. 9, Tenggarong",
        bidang=(
            "Kesehatan Masyarakat",
            "Pencegahan dan Pengendalian Penyakit",
            "Pelayanan dan Sumber Daya Kesehatan",
        ),
        fungsional=(
            "Epidemiolog Kesehatan",
            "Penyuluh Kesehatan Masyarakat",
            "Administrator Kesehatan",
        ),
    ),
    _u(
        "64021101",
        "UPTD Puskesmas Tenggarong",
        "PKM-TGR",
        "pkmtenggarong",
        "kesehatan",
        2.5,
        "Kepala UPTD",
        induk="64021100",
        alamat="Jl. Kartini No. 18, Tenggarong",
    ),
    _u(
        "64021102",
        "UPTD Puskesmas Loa Janan",
        "PKM-LJN",
        "pkmloajanan",
        "kesehatan",
        2.0,
        "Kepala UPTD",
        induk="64021100",
        alamat="Jl. Poros Samarinda-Balikpapan, Loa Janan",
    ),
    _u(
        "64021103",
        "UPTD Puskesmas Muara Badak",
        "PKM-MBD",
        "pkmmuarabadak",
        "kesehatan",
        2.0,
        "Kepala UPTD",
        induk="64021100",
        alamat="Jl. Mulawarman, Muara Badak",
    ),
    _u(
        "64021200",
        "RSUD A.M. Parikesit",
        "RSUD-AMP",
        "rsudamparikesit",
        "kesehatan",
        7.0,
        "Direktur",
        alamat="Jl. Ratu Agung No. 1, Tenggarong Seberang",
        bidang=("Pelayanan Medik", "Keperawatan", "Penunjang", "Keuangan"),
    ),
    _u(
        "64021300",
        "RSUD Aji Batara Agung Dewa Sakti",
        "RSUD-ABADI",
        "rsudabadi",
        "kesehatan",
        3.0,
        "Direktur",
        alamat="Jl. Balikpapan-Handil II, Samboja",
        bidang=("Pelayanan Medik", "Keperawatan"),
    ),
    _u(
        "64021400",
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        "DPUPR",
        "pupr",
        "umum",
        1.6,
        "Kepala Dinas",
        alamat="Jl. Wolter Monginsidi No. 7, Tenggarong",
        bidang=("Bina Marga", "Sumber Daya Air", "Cipta Karya", "Penataan Ruang"),
        fungsional=("Teknik Jalan dan Jembatan", "Teknik Pengairan", "Penata Ruang"),
    ),
    _u(
        "64021500",
        "Dinas Perumahan dan Kawasan Permukiman",
        "DISPERKIM",
        "disperkim",
        "umum",
        0.8,
        "Kepala Dinas",
        bidang=("Perumahan", "Kawasan Permukiman"),
        fungsional=("Teknik Tata Bangunan dan Perumahan",),
    ),
    _u(
        "64021600",
        "Satuan Polisi Pamong Praja",
        "SATPOLPP",
        "satpolpp",
        "umum",
        1.4,
        "Kepala Satuan",
        bidang=("Penegakan Perundang-undangan Daerah", "Ketertiban Umum"),
        fungsional=("Polisi Pamong Praja", "Pemadam Kebakaran"),
    ),
    _u(
        "64021700",
        "Dinas Sosial",
        "DINSOS",
        "dinsos",
        "umum",
        0.8,
        "Kepala Dinas",
        bidang=("Rehabilitasi Sosial", "Perlindungan dan Jaminan Sosial"),
        fungsional=("Pekerja Sosial", "Penyuluh Sosial"),
    ),
    _u(
        "64021800",
        "Dinas Tenaga Kerja dan Transmigrasi",
        "DISNAKERTRANS",
        "disnakertrans",
        "umum",
        0.7,
        "Kepala Dinas",
        bidang=("Penempatan Tenaga Kerja", "Transmigrasi"),
        fungsional=("Pengantar Kerja", "Mediator Hubungan Industrial"),
    ),
    _u(
        "64021900",
        "Dinas Pemberdayaan Perempuan dan Perlindungan Anak",
        "DP3A",
        "dp3a",
        "umum",
        0.6,
        "Kepala Dinas",
        bidang=("Perlindungan Anak", "Pemberdayaan Perempuan"),
        fungsional=("Analis Kebijakan",),
    ),
    _u(
        "64022000",
        "Dinas Ketahanan Pangan",
        "DKP",
        "ketahananpangan",
        "umum",
        0.6,
        "Kepala Dinas",
        bidang=("Ketersediaan dan Kerawanan Pangan", "Konsumsi dan Keamanan Pangan"),
        fungsional=("Analis Ketahanan Pangan",),
    ),
    _u(
        "64022100",
        "Dinas Lingkungan Hidup",
        "DLH",
        "dlh",
        "umum",
        1.0,
        "Kepala Dinas",
        bidang=("Pengelolaan Sampah", "Penaatan dan Peningkatan Kapasitas Lingkungan"),
        fungsional=("Pengendali Dampak Lingkungan", "Pengawas Lingkungan Hidup"),
    ),
    _u(
        "64022200",
        "Dinas Kependudukan dan Pencatatan Sipil",
        "DISDUKCAPIL",
        "disdukcapil",
        "umum",
        1.0,
        "Kepala Dinas",
        bidang=("Pelayanan Pendaftaran Penduduk", "Pelayanan Pencatatan Sipil"),
        fungsional=("Administrator Database Kependudukan", "Pranata Komputer"),
    ),
    _u(
        "64022300",
        "Dinas Pemberdayaan Masyarakat dan Desa",
        "DPMD",
        "dpmd",
        "umum",
        0.8,
        "Kepala Dinas",
        bidang=("Pemerintahan Desa", "Pemberdayaan Masyarakat Desa"),
        fungsional=("Penggerak Swadaya Masyarakat",),
    ),
    _u(
        "64022400",
        "Dinas Pengendalian Penduduk dan Keluarga Berencana",
        "DPPKB",
        "dppkb",
        "umum",
        0.8,
        "Kepala Dinas",
        bidang=("Keluarga Berencana", "Pengendalian Penduduk"),
        fungsional=("Penyuluh Keluarga Berencana",),
    ),
    _u(
        "64022500",
        "Dinas Perhubungan",
        "DISHUB",
        "dishub",
        "umum",
        1.0,
        "Kepala Dinas",
        bidang=("Lalu Lintas Angkutan Jalan", "Perhubungan Sungai dan Danau"),
        fungsional=("Penguji Kendaraan Bermotor",),
    ),
    _u(
        "64022600",
        "Dinas Komunikasi dan Informatika",
        "DISKOMINFO",
        "diskominfo",
        "umum",
        0.8,
        "Kepala Dinas",
        bidang=(
            "Aplikasi Informatika",
            "Informasi dan Komunikasi Publik",
            "Persandian dan Statistik",
        ),
        fungsional=("Pranata Komputer", "Pranata Hubungan Masyarakat", "Statistisi", "Sandiman"),
    ),
    _u(
        "64022700",
        "Dinas Koperasi dan Usaha Kecil Menengah",
        "DISKOP",
        "diskop",
        "umum",
        0.6,
        "Kepala Dinas",
        bidang=("Kelembagaan Koperasi", "Usaha Mikro"),
        fungsional=("Penyuluh Koperasi",),
    ),
    _u(
        "64022800",
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        "DPMPTSP",
        "dpmptsp",
        "umum",
        0.7,
        "Kepala Dinas",
        bidang=("Pelayanan Perizinan", "Penanaman Modal"),
        fungsional=("Analis Kebijakan",),
    ),
    _u(
        "64022900",
        "Dinas Pemuda dan Olahraga",
        "DISPORA",
        "dispora",
        "umum",
        0.6,
        "Kepala Dinas",
        bidang=("Kepemudaan", "Keolahragaan"),
        fungsional=("Analis Kebijakan",),
    ),
    _u(
        "64023000",
        "Dinas Perpustakaan dan Kearsipan",
        "DPK",
        "perpustakaan",
        "umum",
        0.6,
        "Kepala Dinas",
        bidang=("Perpustakaan", "Kearsipan"),
        fungsional=("Pustakawan", "Arsiparis"),
    ),
    _u(
        "64023100",
        "Dinas Perikanan dan Kelautan",
        "DKP-IKAN",
        "perikanan",
        "umum",
        0.7,
        "Kepala Dinas",
        bidang=("Perikanan Budidaya", "Perikanan Tangkap"),
        fungsional=("Penyuluh Perikanan",),
    ),
    _u(
        "64023200",
        "Dinas Pariwisata",
        "DISPAR",
        "dispar",
        "umum",
        0.6,
        "Kepala Dinas",
        bidang=("Destinasi Pariwisata", "Pemasaran Pariwisata"),
        fungsional=("Adyatama Kepariwisataan dan Ekonomi Kreatif",),
    ),
    _u(
        "64023300",
        "Dinas Pertanian dan Peternakan",
        "DISTANAK",
        "distanak",
        "umum",
        1.5,
        "Kepala Dinas",
        bidang=("Tanaman Pangan", "Hortikultura", "Peternakan"),
        fungsional=("Penyuluh Pertanian", "Medik Veteriner", "Pengawas Bibit Ternak"),
    ),
    _u(
        "64023400",
        "Dinas Perkebunan",
        "DISBUN",
        "disbun",
        "umum",
        0.7,
        "Kepala Dinas",
        bidang=("Produksi Perkebunan", "Pengolahan dan Pemasaran"),
        fungsional=("Penyuluh Pertanian", "Pengawas Benih Tanaman"),
    ),
    _u(
        "64023500",
        "Dinas Perindustrian dan Perdagangan",
        "DISPERINDAG",
        "disperindag",
        "umum",
        0.7,
        "Kepala Dinas",
        bidang=("Perindustrian", "Perdagangan"),
        fungsional=("Penera", "Pengawas Perdagangan"),
    ),
    _u(
        "64024000",
        "Kecamatan Tenggarong",
        "KEC-TGR",
        "kec.tenggarong",
        "wilayah",
        0.8,
        "Camat",
        alamat="Jl. Kartini No. 1, Tenggarong",
        bidang=("Pemerintahan", "Ketenteraman dan Ketertiban Umum"),
        fungsional=("Analis Kebijakan",),
    ),
    _u(
        "64024001",
        "Kelurahan Timbau",
        "KEL-TMB",
        "kel.timbau",
        "wilayah",
        0.3,
        "Lurah",
        induk="64024000",
        alamat="Jl. Muso Salim, Timbau, Tenggarong",
    ),
    _u(
        "64024002",
        "Kelurahan Melayu",
        "KEL-MLY",
        "kel.melayu",
        "wilayah",
        0.3,
        "Lurah",
        induk="64024000",
        alamat="Jl. Diponegoro, Melayu, Tenggarong",
    ),
    _u(
        "64024100",
        "Kecamatan Tenggarong Seberang",
        "KEC-TGS",
        "kec.tenggarongseberang",
        "wilayah",
        0.6,
        "Camat",
        alamat="Bukit Raya, Tenggarong Seberang",
        bidang=("Pemerintahan",),
    ),
    _u(
        "64024200",
        "Kecamatan Loa Kulu",
        "KEC-LKL",
        "kec.loakulu",
        "wilayah",
        0.5,
        "Camat",
        alamat="Loa Kulu Kota, Loa Kulu",
        bidang=("Pemerintahan",),
    ),
    _u(
        "64024300",
        "Kecamatan Loa Janan",
        "KEC-LJN",
        "kec.loajanan",
        "wilayah",
        0.5,
        "Camat",
        alamat="Loa Janan Ulu, Loa Janan",
        bidang=("Pemerintahan",),
    ),
    _u(
        "64024400",
        "Kecamatan Muara Badak",
        "KEC-MBD",
        "kec.muarabadak",
        "wilayah",
        0.5,
        "Camat",
        alamat="Badak Baru, Muara Badak",
        bidang=("Pemerintahan",),
    ),
    _u(
        "64024500",
        "Kecamatan Samboja",
        "KEC-SMB",
        "kec.samboja",
        "wilayah",
        0.5,
        "Camat",
        alamat="Sungai Seluang, Samboja",
        bidang=("Pemerintahan",),
    ),
    _u(
        "64024600",
        "Kecamatan Sanga-Sanga",
        "KEC-SGS",
        "kec.sangasanga",
        "wilayah",
        0.4,
        "Camat",
        alamat="Sanga-Sanga Dalam, Sanga-Sanga",
        bidang=("Pemerintahan",),
    ),
    _u(
        "64024700",
        "Kecamatan Kota Bangun",
        "KEC-KBG",
        "kec.kotabangun",
        "wilayah",
        0.5,
        "Camat",
        alamat="Kota Bangun Ilir, Kota Bangun",
        bidang=("Pemerintahan",),
    ),
    _u(
        "64024800",
        "Kecamatan Muara Kaman",
        "KEC-MKM",
        "kec.muarakaman",
        "wilayah",
        0.4,
        "Camat",
        alamat="Muara Kaman Ulu, Muara Kaman",
        bidang=("Pemerintahan",),
    ),
)
UNIT_BY_KODE: dict[str, Unit] = {u.kode: u for u in UNITS}


def unit_induk(unit: Unit) -> Unit:
    """The top unit (the OPD) above ``unit``: SIASN's ``unorInduk``."""
    u = unit
    while u.induk_kode is not None:
        u = UNIT_BY_KODE[u.induk_kode]
    return u


# --- ranks ------------------------------------------------------------------------------------
#: (golongan, pangkat, SIASN golRuang id)
GOLONGAN: tuple[tuple[str, str, str], ...] = (
    ("I/a", "Juru Muda", "11"),
    ("I/b", "Juru Muda Tingkat I", "12"),
    ("I/c", "Juru", "13"),
    ("I/d", "Juru Tingkat I", "14"),
    ("II/a", "Pengatur Muda", "21"),
    ("II/b", "Pengatur Muda Tingkat I", "22"),
    ("II/c", "Pengatur", "23"),
    ("II/d", "Pengatur Tingkat I", "24"),
    ("III/a", "Penata Muda", "31"),
    ("III/b", "Penata Muda Tingkat I", "32"),
    ("III/c", "Penata", "33"),
    ("III/d", "Penata Tingkat I", "34"),
    ("IV/a", "Pembina", "41"),
    ("IV/b", "Pembina Tingkat I", "42"),
    ("IV/c", "Pembina Utama Muda", "43"),
    ("IV/d", "Pembina Utama Madya", "44"),
    ("IV/e", "Pembina Utama", "45"),
)
GOL_INDEX: dict[str, int] = {g[0]: i for i, g in enumerate(GOLONGAN)}
PANGKAT: dict[str, str] = {g[0]: g[1] for g in GOLONGAN}
GOL_ID: dict[str, str] = {g[0]: g[2] for g in GOLONGAN}
#: PPPK grades (I..XVII) by education; the simulator gives them ids 51..67 in SIASN.
PPPK_ROMAN = (
    "I",
    "II",
    "III",
    "IV",
    "V",
    "VI",
    "VII",
    "VIII",
    "IX",
    "X",
    "XI",
    "XII",
    "XIII",
    "XIV",
    "XV",
    "XVI",
    "XVII",
)
for _i, _r in enumerate(PPPK_ROMAN, start=1):
    GOL_ID[_r] = str(50 + _i)

# --- education --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edu:
    key: str
    tingkat_id: str
    tingkat: str
    nama: str
    gelar_belakang: str | None = None
    gelar_depan: str | None = None

    @property
    def level(self) -> str:
        return self.key.split("_", 1)[0]


_TK = {
    "sd": ("05", "Sekolah Dasar"),
    "smp": ("10", "SLTP"),
    "sma": ("15", "SLTA"),
    "smk": ("17", "SLTA Kejuruan"),
    "d3": ("30", "Diploma III/Sarjana Muda"),
    "d4": ("35", "Diploma IV"),
    "s1": ("40", "S-1/Sarjana"),
    "s2": ("45", "S-2"),
    "s3": ("50", "S-3/Doktor"),
}


def _e(key: str, nama: str, belakang: str | None = None, depan: str | None = None) -> Edu:
    tid, tk = _TK[key.split("_", 1)[0]]
    return Edu(key, tid, tk, nama, belakang, depan)


EDUCATION: dict[str, Edu] = {
    e.key: e
    for e in (
        _e("sd_umum", "SD/Sederajat"),
        _e("smp_umum", "SLTP/Sederajat"),
        _e("sma_ipa", "SMA IPA"),
        _e("sma_ips", "SMA IPS"),
        _e("smk_ak", "SMK Akuntansi"),
        _e("smk_tkj", "SMK Teknik Komputer dan Jaringan"),
        _e("smk_ap", "SMK Administrasi Perkantoran"),
        _e("d3_kep", "D3 Keperawatan", "A.Md.Kep."),
        _e("d3_keb", "D3 Kebidanan", "A.Md.Keb."),
        _e("d3_mi", "D3 Manajemen Informatika", "A.Md.Kom."),
        _e("d3_ak", "D3 Akuntansi", "A.Md.Ak."),
        _e("d3_gizi", "D3 Gizi", "A.Md.Gz."),
        _e("d3_lab", "D3 Analis Kesehatan", "A.Md.AK."),
        _e("d3_rm", "D3 Rekam Medis dan Informasi Kesehatan", "A.Md.RMIK."),
        _e("d3_far", "D3 Farmasi", "A.Md.Farm."),
        _e("d3_sip", "D3 Teknik Sipil", "A.Md.T."),
        _e("d3_adm", "D3 Administrasi Perkantoran", "A.Md."),
        _e("d4_keb", "D4 Kebidanan", "S.Tr.Keb."),
        _e("s1_pmat", "S1 Pendidikan Matematika", "S.Pd."),
        _e("s1_pbi", "S1 Pendidikan Bahasa Indonesia", "S.Pd."),
        _e("s1_pgsd", "S1 Pendidikan Guru Sekolah Dasar", "S.Pd."),
        _e("s1_pbing", "S1 Pendidikan Bahasa Inggris", "S.Pd."),
        _e("s1_pai", "S1 Pendidikan Agama Islam", "S.Pd.I."),
        _e("s1_pjok", "S1 Pendidikan Jasmani, Kesehatan dan Rekreasi", "S.Pd."),
        _e("s1_pipa", "S1 Pendidikan Biologi", "S.Pd."),
        _e("s1_ners", "S1 Keperawatan (Ners)", "S.Kep.", "Ns."),
        _e("s1_kedok", "S1 Pendidikan Dokter", None, "dr."),
        _e("s1_kg", "S1 Kedokteran Gigi", None, "drg."),
        _e("s1_apt", "S1 Farmasi (Profesi Apoteker)", "S.Farm.", "apt."),
        _e("s1_skm", "S1 Kesehatan Masyarakat", "S.K.M."),
        _e("s1_man", "S1 Manajemen", "S.E."),
        _e("s1_akt", "S1 Akuntansi", "S.E."),
        _e("s1_hk", "S1 Ilmu Hukum", "S.H."),
        _e("s1_ip", "S1 Ilmu Pemerintahan", "S.IP."),
        _e("s1_adm", "S1 Ilmu Administrasi Negara", "S.Sos."),
        _e("s1_kom", "S1 Teknik Informatika", "S.Kom."),
        _e("s1_si", "S1 Sistem Informasi", "S.Kom."),
        _e("s1_ts", "S1 Teknik Sipil", "S.T."),
        _e("s1_pwk", "S1 Perencanaan Wilayah dan Kota", "S.T."),
        _e("s1_tan", "S1 Agroteknologi", "S.P."),
        _e("s1_ikom", "S1 Ilmu Komunikasi", "S.I.Kom."),
        _e("s1_psi", "S1 Psikologi", "S.Psi."),
        _e("s1_ling", "S1 Teknik Lingkungan", "S.T."),
        _e("s1_kh", "S1 Kedokteran Hewan", None, "drh."),
        _e("s2_mm", "S2 Magister Manajemen", "M.M."),
        _e("s2_ap", "S2 Administrasi Publik", "M.Si."),
        _e("s2_pd", "S2 Manajemen Pendidikan", "M.Pd."),
        _e("s2_kes", "S2 Kesehatan Masyarakat", "M.Kes."),
        _e("s2_hk", "S2 Ilmu Hukum", "M.H."),
        _e("s2_t", "S2 Teknik Sipil", "M.T."),
        _e("s2_ak", "S2 Akuntansi", "M.Ak."),
        _e("s3_ap", "S3 Ilmu Administrasi", None, "Dr."),
        _e("s3_pd", "S3 Manajemen Pendidikan", None, "Dr."),
    )
}

#: The S2 programmes that fit a given S1 (for combining titles: ``S.Pd., M.Pd.``).
S2_FOR: dict[str, tuple[str, ...]] = {
    "pendidikan": ("s2_pd",),
    "kesehatan": ("s2_kes",),
    "hukum": ("s2_hk",),
    "teknik": ("s2_t",),
    "keuangan": ("s2_ak", "s2_mm"),
    "umum": ("s2_ap", "s2_mm"),
}


def s1_family(edu_key: str) -> str:
    if edu_key.startswith("s1_p") and edu_key not in ("s1_psi", "s1_pwk"):
        return "pendidikan"
    if edu_key in ("s1_ners", "s1_kedok", "s1_kg", "s1_apt", "s1_skm"):
        return "kesehatan"
    if edu_key == "s1_hk":
        return "hukum"
    if edu_key in ("s1_ts", "s1_pwk", "s1_ling"):
        return "teknik"
    if edu_key in ("s1_akt", "s1_man"):
        return "keuangan"
    return "umum"


# --- positions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fungsional:
    nama: str
    ahli: tuple[str, ...]  # education keys for the "Ahli" track
    terampil: tuple[str, ...] = ()  # education keys for the "Terampil" track
    bup60: bool = False  # retirement age 60 for every grade (teachers)


FUNGSIONAL: dict[str, Fungsional] = {
    f.nama: f
    for f in (
        Fungsional(
            "Guru",
            ("s1_pmat", "s1_pbi", "s1_pgsd", "s1_pgsd", "s1_pbing", "s1_pai", "s1_pjok", "s1_pipa"),
            bup60=True,
        ),
        Fungsional("Pengawas Sekolah", ("s1_pmat", "s1_pgsd", "s1_pbi"), bup60=True),
        Fungsional("Pamong Belajar", ("s1_pgsd", "s1_pbi")),
        Fungsional("Perawat", ("s1_ners",), ("d3_kep",)),
        Fungsional("Bidan", ("d4_keb",), ("d3_keb",)),
        Fungsional("Dokter", ("s1_kedok",)),
        Fungsional("Dokter Gigi", ("s1_kg",)),
        Fungsional("Apoteker", ("s1_apt",)),
        Fungsional("Nutrisionis", ("s1_skm",), ("d3_gizi",)),
        Fungsional("Pranata Laboratorium Kesehatan", ("s1_skm",), ("d3_lab",)),
        Fungsional("Perekam Medis", ("s1_skm",), ("d3_rm",)),
        Fungsional("Tenaga Teknis Kefarmasian", ("s1_apt",), ("d3_far",)),
        Fungsional("Epidemiolog Kesehatan", ("s1_skm",)),
        Fungsional("Penyuluh Kesehatan Masyarakat", ("s1_skm",)),
        Fungsional("Administrator Kesehatan", ("s1_skm",)),
        Fungsional("Analis Sumber Daya Manusia Aparatur", ("s1_psi", "s1_adm", "s1_hk", "s1_man")),
        Fungsional("Pranata Komputer", ("s1_kom", "s1_si"), ("d3_mi",)),
        Fungsional("Arsiparis", ("s1_adm", "s1_ip"), ("d3_adm",)),
        Fungsional("Pustakawan", ("s1_adm",), ("d3_adm",)),
        Fungsional("Perencana", ("s1_pwk", "s1_man", "s1_ip")),
        Fungsional("Peneliti", ("s1_ip", "s1_man")),
        Fungsional("Auditor", ("s1_akt", "s1_man")),
        Fungsional("Pengawas Penyelenggaraan Urusan Pemerintahan di Daerah", ("s1_ip", "s1_hk")),
        Fungsional("Analis Kebijakan", ("s1_adm", "s1_ip", "s1_hk")),
        Fungsional("Perancang Peraturan Perundang-undangan", ("s1_hk",)),
        Fungsional("Pranata Hubungan Masyarakat", ("s1_ikom",)),
        Fungsional("Analis Keuangan Pusat dan Daerah", ("s1_akt", "s1_man")),
        Fungsional("Pranata Keuangan APBN", (), ("d3_ak",)),
        Fungsional("Analis Bencana", ("s1_ling", "s1_ts")),
        Fungsional("Teknik Jalan dan Jembatan", ("s1_ts",), ("d3_sip",)),
        Fungsional("Teknik Pengairan", ("s1_ts",), ("d3_sip",)),
        Fungsional("Penata Ruang", ("s1_pwk",)),
        Fungsional("Teknik Tata Bangunan dan Perumahan", ("s1_ts",), ("d3_sip",)),
        Fungsional("Polisi Pamong Praja", ("s1_hk", "s1_ip"), ("d3_adm",)),
        Fungsional("Pemadam Kebakaran", (), ("d3_adm",)),
        Fungsional("Pekerja Sosial", ("s1_adm", "s1_psi")),
        Fungsional("Penyuluh Sosial", ("s1_adm",)),
        Fungsional("Pengantar Kerja", ("s1_man", "s1_psi")),
        Fungsional("Mediator Hubungan Industrial", ("s1_hk",)),
        Fungsional("Analis Ketahanan Pangan", ("s1_tan",)),
        Fungsional("Pengendali Dampak Lingkungan", ("s1_ling",)),
        Fungsional("Pengawas Lingkungan Hidup", ("s1_ling",)),
        Fungsional("Administrator Database Kependudukan", ("s1_kom", "s1_si")),
        Fungsional("Penggerak Swadaya Masyarakat", ("s1_adm", "s1_ip")),
        Fungsional("Penyuluh Keluarga Berencana", ("s1_skm", "s1_adm")),
        Fungsional("Penguji Kendaraan Bermotor", ("s1_ts",), ("d3_sip",)),
        Fungsional("Statistisi", ("s1_man",)),
        Fungsional("Sandiman", ("s1_kom",), ("d3_mi",)),
        Fungsional("Penyuluh Koperasi", ("s1_man",)),
        Fungsional("Adyatama Kepariwisataan dan Ekonomi Kreatif", ("s1_man", "s1_ikom")),
        Fungsional("Penyuluh Perikanan", ("s1_tan",)),
        Fungsional("Penyuluh Pertanian", ("s1_tan",)),
        Fungsional("Medik Veteriner", ("s1_kh",)),
        Fungsional("Pengawas Bibit Ternak", ("s1_tan",)),
        Fungsional("Pengawas Benih Tanaman", ("s1_tan",)),
        Fungsional("Penera", ("s1_ts",)),
        Fungsional("Pengawas Perdagangan", ("s1_man",)),
    )
}

HEALTH_FUNGSIONAL = (
    "Perawat",
    "Perawat",
    "Perawat",
    "Perawat",
    "Bidan",
    "Bidan",
    "Dokter",
    "Dokter Gigi",
    "Apoteker",
    "Nutrisionis",
    "Pranata Laboratorium Kesehatan",
    "Perekam Medis",
    "Tenaga Teknis Kefarmasian",
)
GENERAL_FUNGSIONAL = (
    "Arsiparis",
    "Pranata Komputer",
    "Analis Kebijakan",
    "Perencana",
    "Analis Keuangan Pusat dan Daerah",
)

#: Pelaksana (non-functional staff) titles since 2022, with the education they suit.
PELAKSANA: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Pengadministrasi Perkantoran", ("sma_ips", "sma_ipa", "smk_ap", "smk_ak", "smp_umum")),
    ("Operator Layanan Operasional", ("sma_ipa", "sma_ips", "smk_tkj", "smp_umum", "sd_umum")),
    ("Pengelola Umum Operasional", ("sma_ips", "smk_ap", "d3_adm")),
    ("Pengolah Data dan Informasi", ("d3_mi", "smk_tkj", "s1_si")),
    ("Penata Layanan Operasional", ("s1_adm", "s1_man", "s1_ip", "s1_hk", "s1_akt")),
    ("Penelaah Teknis Kebijakan", ("s1_adm", "s1_ip", "s1_hk", "s1_ikom")),
    ("Pengelola Layanan Operasional", ("d3_adm", "d3_ak", "d3_mi")),
)

#: Ranges of golongan for each eselon (index into GOLONGAN), and its SIASN eselon id.
ESELON_GOL: dict[str, tuple[str, str]] = {
    "II.a": ("IV/c", "IV/d"),
    "II.b": ("IV/b", "IV/d"),
    "III.a": ("IV/a", "IV/b"),
    "III.b": ("III/d", "IV/a"),
    "IV.a": ("III/c", "III/d"),
    "IV.b": ("III/b", "III/c"),
}
ESELON_ID: dict[str, str] = {
    "II.a": "21",
    "II.b": "22",
    "III.a": "31",
    "III.b": "32",
    "IV.a": "41",
    "IV.b": "42",
}

# --- status -----------------------------------------------------------------------------------
KEDUDUKAN: dict[str, str] = {
    "Aktif": "01",
    "CLTN": "02",
    "Tugas Belajar": "03",
    "Pemberhentian Sementara": "04",
    "Pensiun": "99",
}

AGAMA: dict[int, str] = {
    1: "Islam",
    2: "Kristen",
    3: "Katholik",
    4: "Hindu",
    5: "Budha",
    6: "Konghucu",
}
KAWIN: dict[int, str] = {1: "Belum Kawin", 2: "Menikah", 3: "Cerai Hidup", 4: "Cerai Mati"}
#: The generator's marital status -> SIASN's ``jenisKawinId`` and its name (BKN's reference:
#: 1 Menikah, 2 Cerai, 3 Janda/Duda, 4 Belum Kawin).
KAWIN_SIASN: dict[int, tuple[str, str]] = {
    1: ("4", "Belum Kawin"),
    2: ("1", "Menikah"),
    3: ("2", "Cerai"),
    4: ("3", "Janda/Duda"),
}

# --- names ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameGroup:
    key: str
    weight: float
    male: tuple[str, ...]
    female: tuple[str, ...]
    last_male: tuple[str, ...]
    last_female: tuple[str, ...]
    places: tuple[str, ...]
    religions: tuple[int, ...]  # agama ids, repeated for weight
    prefix_male: str | None = None  # noble prefix used by some (Andi, Aji, Gusti)
    prefix_female: str | None = None


def _t(s: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in s.split(",") if x.strip())


NAME_GROUPS: tuple[NameGroup, ...] = (
    NameGroup(
        "jawa",
        30,
        _t(
            "Agus, Bambang, Budi, Dwi, Eko, Hadi, Joko, Slamet, Sugeng, Sutrisno, Teguh, Wahyu, "
            "Yudi, Heru, Aris, Bayu, Dimas, Fajar, Rudi, Tri, Gunawan, Priyo, Andri, Adi, Hari"
        ),
        _t(
            "Sri, Dewi, Endang, Rini, Ratna, Sulastri, Suharti, Tri, Dwi, Retno, Puji, Siti, "
            "Kartini, Ayu, Wulan, Indah, Nining, Yuni, Lestari, Eni, Wiwik, Sumarni"
        ),
        _t(
            "Santoso, Prasetyo, Setiawan, Susanto, Wibowo, Purnomo, Hartono, Nugroho, Kurniawan, "
            "Saputro, Raharjo, Suryanto, Hidayat, Sugiarto, Widodo, Pamungkas, Utomo, Wicaksono"
        ),
        _t(
            "Wahyuni, Lestari, Rahayu, Susilowati, Handayani, Kurniasih, Wulandari, Rahmawati, "
            "Purwanti, Setyowati, Astuti, Yuliana, Mulyani, Ningsih, Pratiwi, Sulistyowati"
        ),
        _t(
            "Surabaya, Yogyakarta, Semarang, Malang, Kediri, Surakarta, Madiun, Banyuwangi, "
            "Tenggarong, Samarinda, Balikpapan, Klaten, Blitar"
        ),
        (1, 1, 1, 1, 1, 1, 1, 1, 2, 3),
    ),
    NameGroup(
        "banjar",
        18,
        _t(
            "Muhammad, Ahmad, Akhmad, Rahmat, Fauzan, Rusdi, Rizky, Syahrudin, Abdul, Husin, "
            "Jumberi, Rasyid, Fahmi, Irwan, Hairil, Mahyudin"
        ),
        _t(
            "Siti, Norhayati, Nor Aini, Rahmah, Fatimah, Jamilah, Mariana, Rusmiati, Hamidah, "
            "Salmah, Nurul, Aulia, Noor Hidayah, Masitah, Raudah"
        ),
        _t(
            "Noor, Rahman, Hidayat, Syahrani, Rifani, Hamdani, Fahrani, Ansyari, Arsyad, Effendi, "
            "Maulana, Rahmadi, Gazali, Yamani"
        ),
        _t(
            "Aisyah, Rahmawati, Hasanah, Maulida, Fitriani, Nurjannah, Noorliani, Rahmi, Jannah, "
            "Hayati, Zubaidah, Khairiah"
        ),
        _t(
            "Banjarmasin, Martapura, Barabai, Kandangan, Amuntai, Rantau, Tenggarong, Samarinda, "
            "Kota Bangun, Muara Muntai"
        ),
        (1,),
        prefix_male="Gusti",
        prefix_female="Gusti",
    ),
    NameGroup(
        "bugis",
        14,
        _t(
            "Muhammad, Muh., Arifin, Hasanuddin, Syamsul, Amiruddin, Baharuddin, Jufri, Ridwan, "
            "Darwis, Haris, Ilham, Akbar, Syarifuddin, Mansyur"
        ),
        _t(
            "Nurhaeda, Hasnah, Nurhayati, Fatmawati, Sitti, Hasmiah, Rosmiati, Nurdiana, "
            "Irmawati, Hajrah, Kartini, Masniati, Nurmiati, Suriani"
        ),
        _t(
            "Alam, Amir, Rahman, Syarif, Patongai, Mappasessu, Bakri, Latif, Ramli, Hamzah, Tahir, "
            "Said, Basri"
        ),
        _t("Sari, Amir, Basri, Nur, Hamid, Rahim, Jamal, Wati"),
        _t(
            "Makassar, Bone, Parepare, Sengkang, Sinjai, Pinrang, Soppeng, Samarinda, Muara Badak, "
            "Anggana, Balikpapan"
        ),
        (1,),
        prefix_male="Andi",
        prefix_female="Andi",
    ),
    NameGroup(
        "kutai",
        12,
        _t(
            "Muhammad, Syahrani, Rusliansyah, Rahmadi, Ferdiansyah, Surya, Arief, Iskandar, "
            "Sofyan, Jailani, Edi, Rudiansyah, Heriansyah, Aspian, Salehuddin"
        ),
        _t(
            "Rahmawati, Noorhayati, Siti, Mardiana, Salmiah, Nurbaya, Rusmini, Yuliani, Aspiah, "
            "Rosidah, Rusnah, Hartini"
        ),
        _t("Syarifuddin, Amran, Jaelani, Hamdani, Iskandar, Rusli, Aswan, Asran, Sabran"),
        _t("Mariana, Sari, Fitriani, Yanti, Ariani, Hayati, Wati"),
        _t(
            "Tenggarong, Kota Bangun, Muara Kaman, Muara Muntai, Loa Kulu, Loa Janan, Sebulu, "
            "Kembang Janggut, Muara Wis, Samarinda"
        ),
        (1,),
        prefix_male="Aji",
        prefix_female="Dayang",
    ),
    NameGroup(
        "tionghoa",
        5,
        _t(
            "Hendra, Budi, Yohanes, Stefanus, Andreas, Tommy, Kevin, William, Hendrik, Michael, "
            "Robert, Sugianto, Jimmy, Felix"
        ),
        _t(
            "Linda, Lenny, Veronika, Meiliana, Susan, Yenny, Lily, Fransiska, Cindy, Olivia, "
            "Grace, Stephanie, Jessica, Lanny"
        ),
        _t(
            "Wijaya, Gunawan, Halim, Tanuwijaya, Santoso, Hartanto, Salim, Kurniawan, Setiadi, "
            "Liman, Sutanto, Susanto, Tjandra, Lim"
        ),
        _t(
            "Wijaya, Gunawan, Halim, Tanuwijaya, Santoso, Hartanto, Salim, Kurniawati, Setiadi, "
            "Liman, Sutanto, Susanti, Tjandra, Lim"
        ),
        _t("Samarinda, Balikpapan, Jakarta, Surabaya, Pontianak, Singkawang, Tenggarong"),
        (2, 2, 3, 3, 5, 5, 6),
    ),
    NameGroup(
        "kristen",
        9,
        _t(
            "Yohanes, Yosef, Fransiskus, Agustinus, Petrus, Markus, Yulius, Antonius, Paulus, "
            "Daniel, Samuel, Yakobus, Simon, Benediktus"
        ),
        _t(
            "Maria, Theresia, Kristina, Yuliana, Agustina, Elisabeth, Margaretha, Yohana, "
            "Magdalena, Debora, Ribka, Natalia, Priskila, Martha"
        ),
        _t(
            "Pasanda, Tandirerung, Rantelino, Wenas, Lumintang, Sumampouw, Manurung, Simanjuntak, "
            "Sitompul, Lahang, Laing, Pasulu, Da Costa, Bria"
        ),
        _t(
            "Pasanda, Tandirerung, Rantelino, Wenas, Lumintang, Sumampouw, Manurung, Simanjuntak, "
            "Sitompul, Lahang, Laing, Pasulu, Da Costa, Bria"
        ),
        _t(
            "Makale, Rantepao, Manado, Tomohon, Kupang, Ende, Maumere, Medan, Tarutung, "
            "Long Iram, Samarinda, Melak"
        ),
        (2, 2, 2, 3, 3),
    ),
    NameGroup(
        "muslim",
        12,
        _t(
            "Muhammad, Ahmad, Abdul, Rizal, Fadli, Imam, Arif, Zainal, Syaiful, Fikri, Ilham, "
            "Rahmat, Taufik, Yusuf, Hidayatullah"
        ),
        _t(
            "Nur, Siti, Fitri, Annisa, Aisyah, Nurul, Rina, Laila, Khairunnisa, Zahra, Salsabila, "
            "Nabila, Putri, Maya"
        ),
        _t(
            "Hidayat, Rahman, Syahputra, Maulana, Firmansyah, Ramadhan, Akbar, Fauzi, Hakim, "
            "Nasution, Harahap, Lubis, Siregar"
        ),
        _t(
            "Rahmawati, Hidayah, Amalia, Azizah, Fadilah, Rahmadani, Safitri, Anggraini, "
            "Ramadhani, Maharani, Nasution, Lubis"
        ),
        _t(
            "Samarinda, Balikpapan, Tenggarong, Bontang, Medan, Padang, Palembang, Jakarta, "
            "Bandung, Mataram, Palu"
        ),
        (1,),
    ),
)

PERSONAL_MAIL = ("gmail.com", "gmail.com", "gmail.com", "yahoo.co.id", "yahoo.com")
HP_PREFIX = (
    "0811",
    "0812",
    "0813",
    "0821",
    "0822",
    "0852",
    "0853",
    "0856",
    "0857",
    "0815",
    "0817",
    "0818",
    "0819",
    "0859",
    "0877",
    "0878",
    "0895",
    "0896",
    "0838",
    "0831",
)

# --- training ---------------------------------------------------------------------------------
#: (namaKursus, jenisDiklatId, jenisKursusSertifikat, JP range, profile or None for everyone)
KURSUS: tuple[tuple[str, str, str, tuple[int, int], str | None], ...] = (
    ("Bimbingan Teknis Penyusunan Sasaran Kinerja Pegawai", "8", "T", (8, 24), None),
    ("Sosialisasi Sistem Informasi ASN (SIASN)", "7", "T", (4, 8), None),
    ("Workshop Manajemen Talenta ASN", "4", "T", (8, 16), None),
    ("Pelatihan Pengadaan Barang/Jasa Pemerintah Tingkat Dasar", "3", "T", (24, 40), None),
    ("Bimbingan Teknis Aplikasi SRIKANDI", "8", "T", (8, 16), None),
    ("E-Learning Literasi Digital ASN", "16", "T", (10, 20), None),
    ("Pelatihan Pelayanan Publik Prima", "3", "T", (16, 32), None),
    ("Seminar Reformasi Birokrasi Tematik", "9", "T", (4, 8), None),
    ("Coaching Clinic Kearsipan Dinamis", "14", "T", (4, 8), None),
    ("Pelatihan Penyusunan Soal HOTS", "3", "F", (24, 32), "guru"),
    ("Pelatihan Kurikulum Merdeka bagi Guru", "2", "F", (32, 60), "guru"),
    ("Pendidikan Guru Penggerak", "2", "F", (60, 80), "guru"),
    ("Pelatihan Basic Trauma Cardiac Life Support (BTCLS)", "2", "F", (40, 50), "kesehatan"),
    ("Pelatihan Pencegahan dan Pengendalian Infeksi", "3", "F", (24, 32), "kesehatan"),
    ("Pelatihan Manajemen Puskesmas", "3", "T", (24, 40), "kesehatan"),
    ("Pelatihan Teknis Analis Kebijakan", "2", "F", (40, 60), None),
)
INSTITUSI: tuple[str, ...] = (
    "BKPSDM Kabupaten Kutai Kartanegara",
    "BPSDM Provinsi Kalimantan Timur",
    "Lembaga Administrasi Negara",
    "Kantor Regional VIII BKN Banjarmasin",
    "LKPP",
    "Balai Besar Guru Penggerak Kalimantan Timur",
    "Bapelkes Samarinda",
    "Kementerian Dalam Negeri",
    "Pusdiklat Kementerian Kesehatan",
)
#: Leadership training (rw-diklat) by eselon: (latihanStrukturalId, nama)
DIKLAT_STRUKTURAL: dict[str, tuple[str, str]] = {
    "II": ("4", "Pelatihan Kepemimpinan Nasional Tingkat II"),
    "III": ("3", "Pelatihan Kepemimpinan Administrator"),
    "IV": ("2", "Pelatihan Kepemimpinan Pengawas"),
}
