"""``diklat kegiatan ...`` (trainings: create, list, show, plan candidates) and
``diklat pejabat ...`` (the officials who initial and sign)."""

from __future__ import annotations

from typing import Any

import typer

from cli import common

kegiatan_app = common.new_app(help="Kegiatan pelatihan: buat, daftar, posisi, calon peserta.")
pejabat_app = common.new_app(help="Pejabat yang memaraf dan menandatangani naskah.")

EXIT_REFUSED = 2


def _session() -> Any:
    from diklat.db import session_scope

    return session_scope()


def _db_fail(e: Exception) -> typer.Exit:
    first = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
    return common.fail(f"basis data tidak dapat dipakai ({first}); sudah menjalankan "
                       f"`diklat init`?")


@kegiatan_app.command("buat")
def kegiatan_buat(
    kode: str = typer.Option(..., "--kode", help="kode kegiatan, mis. PK-2026-003"),
    sop: str = typer.Option(..., "--sop", help="kode SOP (lihat `diklat sop list`)"),
    nama: str = typer.Option(..., "--nama", help="nama pelatihan"),
    mulai: str = typer.Option(..., "--mulai", help="tanggal mulai, YYYY-MM-DD"),
    selesai: str = typer.Option(..., "--selesai", help="tanggal selesai, YYYY-MM-DD"),
    tempat: str = typer.Option(None, "--tempat", help="tempat pelaksanaan"),
    jp: int = typer.Option(None, "--jp", help="jumlah jam pelajaran (JP)"),
    kuota: int = typer.Option(None, "--kuota", help="kuota peserta (orang)"),
    jenis_diklat: str = typer.Option(None, "--jenis-diklat",
                                     help="jenisDiklatId SIASN 1-24 (mis. 3 = Diklat Teknis)"),
    penyelenggara: str = typer.Option(None, "--penyelenggara",
                                      help="lembaga penyelenggara (SOP pengiriman peserta)"),
    surat_penyelenggara: str = typer.Option(
        None, "--surat-penyelenggara", metavar="NOMOR|YYYY-MM-DD[|HAL[|PENGIRIM]]",
        help="surat penyelenggara yang menjadi dasar surat tugas"),
    lembaga_narasumber: str = typer.Option(None, "--lembaga-narasumber",
                                           help="lembaga yang dimohon narasumber"),
    materi: list[str] = typer.Option(None, "--materi", help="materi pelatihan (boleh berulang)"),
    narasumber: list[str] = typer.Option(None, "--narasumber", metavar="NAMA|JABATAN|MATERI",
                                         help="narasumber yang hadir, untuk laporan kegiatan "
                                              "(boleh berulang)"),
    unit: list[str] = typer.Option(None, "--unit", help="kriteria: kode unit kerja asal calon "
                                                        "(boleh berulang)"),
    golongan: list[str] = typer.Option(None, "--golongan", help="kriteria: golongan atau "
                                                                "awalannya, mis. III"),
    jabatan: list[str] = typer.Option(None, "--jabatan", help="kriteria: kata dalam nama "
                                                              "jabatan"),
    kurang_20_jp: bool = typer.Option(False, "--kurang-20-jp", help="kriteria: hanya pegawai "
                                      "yang belum mencapai 20 JP tahun ini"),
    kondisi: list[str] = typer.Option(None, "--kondisi", help="kondisi SOP, mis. "
                                                              "kewenangan_sekda"),
    as_json: bool = typer.Option(False, "--json", help="cetak kegiatan sebagai JSON"),
) -> None:
    """Buat kegiatan pelatihan (idempoten: data yang sama mengembalikan kegiatan yang ada)."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.kegiatan import KegiatanDitolak, kegiatan_dict, simpan_kegiatan

    raw: dict[str, Any] = {
        "kode": kode, "sop": sop, "nama": nama, "mulai": mulai, "selesai": selesai,
        "tempat": tempat, "jp": jp, "kuota": kuota, "jenis_diklat_id": jenis_diklat,
        "penyelenggara": penyelenggara, "lembaga_narasumber": lembaga_narasumber,
        "materi": list(materi or []), "kondisi": list(kondisi or []),
        "surat_penyelenggara": dict(zip(("nomor", "tanggal", "hal", "pengirim"),
                                        (x.strip() for x in surat_penyelenggara.split("|", 3)),
                                        strict=False)) if surat_penyelenggara else None,
        "narasumber": [dict(zip(("nama", "jabatan", "materi"),
                                (x.strip() for x in n.split("|", 2)), strict=False))
                       for n in narasumber or []],
        "kriteria": {"unit": list(unit or []), "golongan": list(golongan or []),
                     "jabatan": list(jabatan or []), "kurang_20_jp": kurang_20_jp},
    }
    try:
        with _session() as s:
            data = kegiatan_dict(simpan_kegiatan(s, raw))
    except KegiatanDitolak as e:
        raise common.fail(f"kegiatan ditolak: {e}", EXIT_REFUSED) from None
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if as_json:
        common.print_json(data)
    else:
        common.console.print(f"Kegiatan {data['kode']} ({data['sop']}): {data['nama']}, "
                             f"{data['mulai']} s.d. {data['selesai']}, status {data['status']}")


@kegiatan_app.command("list")
def kegiatan_list(as_json: bool = typer.Option(False, "--json", help="cetak JSON (array)")
                  ) -> None:
    """Daftar kegiatan."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.kegiatan import daftar_kegiatan, jumlah_peserta, kegiatan_dict

    try:
        with _session() as s:
            rows = [{**kegiatan_dict(k), "peserta": sum(jumlah_peserta(s, k.id).values())}
                    for k in daftar_kegiatan(s)]
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if as_json:
        common.print_json(rows)
        return
    from rich.table import Table

    t = Table("Kode", "SOP", "Nama", "Mulai", "Selesai", "Status", "Peserta")
    for r in rows:
        t.add_row(r["kode"], r["sop"], r["nama"], r["mulai"], r["selesai"], r["status"],
                  str(r["peserta"]))
    common.console.print(t)


@kegiatan_app.command("show")
def kegiatan_show(kode: str = typer.Argument(..., help="kode kegiatan"),
                  as_json: bool = typer.Option(False, "--json", help="cetak JSON")) -> None:
    """Posisi kegiatan: langkah SOP (selesai / berjalan / menunggu, tenggat), naskah, peserta."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.kegiatan import KegiatanTidakAda
    from diklat.posisi import posisi_kegiatan

    try:
        with _session() as s:
            data = posisi_kegiatan(s, kode)
    except KegiatanTidakAda as e:
        raise common.fail(str(e)) from None
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if as_json:
        common.print_json(data)
        return
    _print_posisi(data)


def _print_posisi(d: dict[str, Any]) -> None:
    from rich.table import Table

    from diklat.naskah.status import LABEL

    common.console.print(f"[bold]{d['kode']}[/] {d['nama']} ({d['sop']}), {d['mulai']} s.d. "
                         f"{d['selesai']}: [bold]{d['status']}[/]"
                         + (f"; kondisi: {', '.join(d['kondisi'])}" if d["kondisi"] else ""))
    if d.get("alasan"):
        common.console.print(f"  {d['alasan']}", markup=False)
    t = Table("No", "Langkah", "Putaran", "Status", "Oleh", "Tenggat", "", title="Langkah SOP",
              show_lines=False)
    for lg in d["langkah"]:
        if lg["status"] == "belum":
            continue
        late = "[red]terlambat[/]" if lg["terlambat"] else ""
        text = lg["kegiatan"] if len(lg["kegiatan"]) <= 60 else \
            lg["kegiatan"][:59].rsplit(" ", 1)[0] + " …"
        mark = "*" if lg.get("rekonstruksi") else ""
        t.add_row(f"{lg['no']}{mark}", text, str(lg["putaran"] or ""), lg["status"],
                  lg.get("oleh") or "", (lg["tenggat"] or "")[:16].replace("T", " "), late)
    belum = sum(1 for lg in d["langkah"] if lg["status"] == "belum")
    t.caption = (f"{belum} langkah belum dimulai; * = langkah rekonstruksi (tidak terbaca "
                 "pada naskah SOP sumber)")
    common.console.print(t)
    n = Table("Jenis", "Naskah", "Versi", "Status", "Hash", "Nomor", title="Naskah")
    for x in d["naskah"]:
        n.add_row(x["jenis"], x["kunci"] or "-", str(x["versi"]), LABEL.get(x["status"],
                  x["status"]), (x["sha256"] or "")[:12], x["nomor"] or "")
    common.console.print(n)
    common.console.print("Peserta: " + (", ".join(f"{k} {v}" for k, v in d["peserta"].items())
                                        or "belum ada"))


@kegiatan_app.command("calon")
def kegiatan_calon(kode: str = typer.Argument(..., help="kode kegiatan"),
                   per_unit: int = typer.Option(None, "--per-unit", min=1, max=10000,
                                                help="paling banyak sekian orang per unit"),
                   as_json: bool = typer.Option(False, "--json", help="cetak JSON")) -> None:
    """Tetapkan calon peserta dari kriteria dan kuota kegiatan (idempoten)."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.db import get_engine
    from diklat.kegiatan import (
        KegiatanTidakAda,
        calon_menurut_kriteria,
        jumlah_peserta,
        kegiatan_by_kode,
        tetapkan_peserta,
    )

    try:
        with _session() as s:
            k = kegiatan_by_kode(s, kode)
            calon = calon_menurut_kriteria(get_engine(), k, per_unit=per_unit)
            tetapkan_peserta(s, k, [int(x) for x in calon["id"]])
            counts = jumlah_peserta(s, k.id)
    except KegiatanTidakAda as e:
        raise common.fail(str(e)) from None
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if as_json:
        common.print_json({"kegiatan": kode, "calon": len(calon), "peserta": counts})
    else:
        common.console.print(f"{len(calon)} calon dari {calon['unit_kode'].nunique()} unit "
                             f"kerja; peserta kegiatan {kode}: {counts}")


@pejabat_app.command("tambah")
def pejabat_tambah(
    nip: str = typer.Option(..., "--nip", help="NIP pejabat"),
    nama: str = typer.Option(..., "--nama", help="nama dengan gelar, seperti dicetak"),
    peran: str = typer.Option(..., "--peran", help="kode peran SOP: kabid_psda, sekretaris, "
                                                   "kepala, sekda, analis_sdm ..."),
    jabatan: str = typer.Option(..., "--jabatan", help="jabatan seperti dicetak pada blok "
                                                       "tanda tangan"),
    pangkat: str = typer.Option(None, "--pangkat", help="pangkat (golongan)"),
    email: str = typer.Option(None, "--email", help="alamat pos-el untuk kode verifikasi"),
    kedudukan: str = typer.Option("definitif", "--kedudukan",
                                  help="definitif, plt (jabatan kosong) atau plh (pejabat "
                                       "berhalangan)"),
    an_jabatan: str = typer.Option(None, "--an", help="menandatangani atas nama (a.n.) "
                                                      "jabatan ini"),
    as_json: bool = typer.Option(False, "--json", help="cetak JSON"),
) -> None:
    """Tambah atau perbarui pejabat (kunci: NIP dan peran)."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.pejabat import PejabatTidakValid, pejabat_dict, simpan_pejabat

    try:
        with _session() as s:
            row = pejabat_dict(simpan_pejabat(s, nip=nip, nama=nama, peran=peran,
                                              jabatan=jabatan, pangkat=pangkat, email=email,
                                              kedudukan=kedudukan, an_jabatan=an_jabatan))
    except PejabatTidakValid as e:
        raise common.fail(f"pejabat ditolak: {e}", EXIT_REFUSED) from None
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if as_json:
        common.print_json(row)
    else:
        common.console.print(f"Pejabat {row['nama']} ({row['peran']}, {row['kedudukan']}) "
                             "tersimpan")


@pejabat_app.command("list")
def pejabat_list(semua: bool = typer.Option(False, "--semua", help="termasuk yang nonaktif"),
                 as_json: bool = typer.Option(False, "--json", help="cetak JSON")) -> None:
    """Daftar pejabat per peran."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.pejabat import daftar_pejabat, pejabat_dict

    try:
        with _session() as s:
            rows = [pejabat_dict(p) for p in daftar_pejabat(s, semua=semua)]
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if as_json:
        common.print_json(rows)
        return
    from rich.table import Table

    t = Table("Peran", "Nama", "Jabatan", "Kedudukan", "a.n.", "Aktif")
    for r in rows:
        t.add_row(r["peran"], r["nama"], r["jabatan"], r["kedudukan"], r["an_jabatan"] or "",
                  "ya" if r["aktif"] else "tidak")
    common.console.print(t)


@pejabat_app.command("nonaktif")
def pejabat_nonaktif(nip: str = typer.Argument(..., help="NIP pejabat"),
                     peran: str = typer.Option(..., "--peran", help="kode peran")) -> None:
    """Nonaktifkan pejabat pada satu peran (riwayat keputusannya tetap)."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.models import Pejabat
    from diklat.rules.nip import normalize

    try:
        with _session() as s:
            p = s.execute(select(Pejabat).where(Pejabat.nip == normalize(nip),
                                                Pejabat.peran == peran)).scalar_one_or_none()
            if p is None:
                raise common.fail(f"tidak ada pejabat dengan NIP itu pada peran {peran!r}",
                                  EXIT_REFUSED)
            p.aktif = False
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    common.console.print(f"Pejabat pada peran {peran} dinonaktifkan")


def add_commands(app: typer.Typer) -> None:
    app.add_typer(kegiatan_app, name="kegiatan")
    app.add_typer(pejabat_app, name="pejabat")
