"""Places for the "di" line of a letter (Tata Naskah Dinas: the addressee's town).

A body of a province sits in the province's capital (``Badan Pengembangan Sumber Daya Manusia
Provinsi Kalimantan Timur`` -> ``Samarinda``); a city's body in the city. Units of the
region carry their own town (``unit_kerja.tempat``, see :mod:`diklat.pegawai.unit_kerja`).
"""

from __future__ import annotations

#: The capital of every Indonesian province (38, as of 2024).
IBU_KOTA_PROVINSI: dict[str, str] = {
    "aceh": "Banda Aceh",
    "sumatera utara": "Medan",
    "sumatera barat": "Padang",
    "riau": "Pekanbaru",
    "kepulauan riau": "Tanjungpinang",
    "jambi": "Jambi",
    "sumatera selatan": "Palembang",
    "kepulauan bangka belitung": "Pangkalpinang",
    "bengkulu": "Bengkulu",
    "lampung": "Bandar Lampung",
    "dki jakarta": "Jakarta",
    "daerah khusus ibukota jakarta": "Jakarta",
    "daerah khusus jakarta": "Jakarta",
    "jawa barat": "Bandung",
    "banten": "Serang",
    "jawa tengah": "Semarang",
    "daerah istimewa yogyakarta": "Yogyakarta",
    "di yogyakarta": "Yogyakarta",
    "jawa timur": "Surabaya",
    "bali": "Denpasar",
    "nusa tenggara barat": "Mataram",
    "nusa tenggara timur": "Kupang",
    "kalimantan barat": "Pontianak",
    "kalimantan tengah": "Palangka Raya",
    "kalimantan selatan": "Banjarbaru",
    "kalimantan timur": "Samarinda",
    "kalimantan utara": "Tanjung Selor",
    "sulawesi utara": "Manado",
    "gorontalo": "Gorontalo",
    "sulawesi tengah": "Palu",
    "sulawesi barat": "Mamuju",
    "sulawesi selatan": "Makassar",
    "sulawesi tenggara": "Kendari",
    "maluku": "Ambon",
    "maluku utara": "Sofifi",
    "papua": "Jayapura",
    "papua barat": "Manokwari",
    "papua barat daya": "Sorong",
    "papua selatan": "Merauke",
    "papua tengah": "Nabire",
    "papua pegunungan": "Wamena",
}


def tempat_lembaga(nama: str) -> str | None:
    """The town of an outside body from its name: a province's capital for ``... Provinsi
    X``, the city for ``... Kota X``; None when the name does not say (the caller decides)."""
    low = " ".join(nama.split()).lower()
    if "provinsi " in low:
        rest = low[low.rindex("provinsi ") + len("provinsi ") :].strip(" ,.")
        for prov in sorted(IBU_KOTA_PROVINSI, key=len, reverse=True):
            if rest.startswith(prov):
                return IBU_KOTA_PROVINSI[prov]
    words = nama.split()
    lower = [w.lower() for w in words]
    if "kota" in lower[:-1]:
        return " ".join(words[lower.index("kota") + 1 :]).strip(" ,.")
    return None
