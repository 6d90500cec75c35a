"""``diklat kegiatan ...`` (trainings: create, list, show, plan candidates) and
``diklat pejabat ...`` (the officials who initial and sign)."""

from __future__ import annotations

from typing import Any

import typer

from cli import common

kegiatan_app = common.new_app(help="Kegiatan pelatihan: buat, daftar, posisi, calon peserta.")
pejabat_app = common.new_app(help="Pejabat yang memaraf dan menandatangani naskah.")
unit_app = common.new_app(help="Unit kerja (OPD) dari SIMPEG: kode untuk kriteria --unit.")

EXIT_REFUSED = 2


def _session() -> Any:
    from diklat.db import session_scope

    return session_scope()


def _db_fail(e: Exception) -> typer.Exit:
    first = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
    return common.fail(
        f"basis data tidak dapat dipakai ({first}); sudah menjalankan `diklat init`?"
    )


def _tolak_kegiatan(e: Exception, dibuat: str = "dibuat") -> typer.Exit:
    """Exit 2 with every problem of a refused training: one line for one problem, else a
    heading and one line per problem, each with the command that fixes it."""
    masalah = list(getattr(e, "masalah", []) or [])
    if len(masalah) <= 1:
        return common.fail(f"kegiatan ditolak: {e}", EXIT_REFUSED)
    common.error_line(f"kegiatan ditolak, tidak ada yang {dibuat}: {len(masalah)} masalah")
    for m in masalah:
        common.err_console.print(f"  - {m}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_REFUSED)


def _opsi_kegiatan(**o: Any) -> dict[str, Any]:
    """The options of `buat`/`ubah` as ``DataKegiatan`` fields (only those given)."""
    raw: dict[str, Any] = {}
    names = {"jenis_diklat": "jenis_diklat_id"}
    for opt in (
        "kode",
        "sop",
        "nama",
        "mulai",
        "selesai",
        "tempat",
        "jp",
        "kuota",
        "jenis_diklat",
        "penyelenggara",
        "lembaga_narasumber",
    ):
        if o.get(opt) is not None:
            raw[names.get(opt, opt)] = o[opt]
    for opt in ("materi", "kondisi"):
        if o.get(opt):
            raw[opt] = list(o[opt])
    kriteria = {f: list(o[f]) for f in ("unit", "golongan", "jabatan") if o.get(f)}
    if o.get("kurang_20_jp") is not None:
        kriteria["kurang_20_jp"] = o["kurang_20_jp"]
    if kriteria:
        raw["kriteria"] = kriteria
    if o.get("surat_penyelenggara"):
        raw["surat_penyelenggara"] = dict(
            zip(
                ("nomor", "tanggal", "hal", "pengirim"),
                (x.strip() for x in o["surat_penyelenggara"].split("|", 3)),
                strict=False,
            )
        )
    if o.get("narasumber"):
        raw["narasumber"] = [
            dict(
                zip(
                    ("nama", "jabatan", "materi"),
                    (x.strip() for x in n.split("|", 2)),
                    strict=False,
                )
            )
            for n in o["narasumber"]
        ]
    return raw


@kegiatan_app.command("buat")
def kegiatan_buat(
    kode: str = typer.Option(..., "--kode", help="kode kegiatan, mis. PK-2026-003"),
    sop: str = typer.Option(..., "--sop", help="kode SOP (lihat `diklat sop list`)"),
    nama: str = typer.Option(..., "--nama", help="nama pelatihan"),
    mulai: str = typer.Option(..., "--mulai", help="tanggal mulai, YYYY-MM-DD"),
    selesai: str = typer.Option(..., "--selesai", help="tanggal selesai, YYYY-MM-DD"),
    tempat: str = typer.Option(None, "--tempat", help="tempat pelaksanaan (dicetak pada surat)"),
    jp: int = typer.Option(None, "--jp", help="jumlah jam pelajaran (JP; dicetak pada surat)"),
    kuota: int = typer.Option(None, "--kuota", help="kuota peserta (orang)"),
    jenis_diklat: str = typer.Option(
        None, "--jenis-diklat", help="jenisDiklatId SIASN 1-24 (mis. 3 = Diklat Teknis)"
    ),
    penyelenggara: str = typer.Option(
        None, "--penyelenggara", help="lembaga penyelenggara (SOP pengiriman peserta)"
    ),
    surat_penyelenggara: str = typer.Option(
        None,
        "--surat-penyelenggara",
        metavar="NOMOR|YYYY-MM-DD[|HAL[|PENGIRIM]]",
        help="surat penyelenggara yang menjadi dasar surat tugas",
    ),
    lembaga_narasumber: str = typer.Option(
        None, "--lembaga-narasumber", help="lembaga yang dimohon narasumber"
    ),
    materi: list[str] = typer.Option(None, "--materi", help="materi pelatihan (boleh berulang)"),
    narasumber: list[str] = typer.Option(
        None,
        "--narasumber",
        metavar="NAMA|JABATAN|MATERI",
        help="narasumber yang hadir, untuk laporan kegiatan (boleh berulang)",
    ),
    unit: list[str] = typer.Option(
        None,
        "--unit",
        help="kriteria: kode unit kerja asal calon (boleh berulang; `diklat unit list`)",
    ),
    golongan: list[str] = typer.Option(
        None, "--golongan", help="kriteria: golongan atau awalannya, mis. III"
    ),
    jabatan: list[str] = typer.Option(None, "--jabatan", help="kriteria: kata dalam nama jabatan"),
    kurang_20_jp: bool = typer.Option(
        False, "--kurang-20-jp", help="kriteria: hanya pegawai yang belum mencapai 20 JP tahun ini"
    ),
    kondisi: list[str] = typer.Option(None, "--kondisi", help="kondisi SOP, mis. kewenangan_sekda"),
    oleh: str = typer.Option(None, "--oleh", metavar="NIP", help="NIP operator yang membuat"),
    as_json: bool = typer.Option(False, "--json", help="cetak kegiatan sebagai JSON"),
) -> None:
    """Buat kegiatan pelatihan (idempoten: data yang sama mengembalikan kegiatan yang ada).

    Diperiksa lengkap sebelum dibuat: pejabat (dengan pos-el) untuk setiap peran yang
    memaraf, menandatangani atau mendisposisi pada jalur SOP-nya, data pegawai dan unit
    kerja, kriteria unit, tanggal, dan setiap isian yang dicetak suratnya. Semua kekurangan
    disebut sekaligus dengan perintah perbaikannya; tidak ada yang dibuat (exit 2)."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.kegiatan.data import KegiatanDitolak, kegiatan_dict
    from diklat.mulai import simpan_kegiatan
    from diklat.perubahan import PerubahanDitolak, _pelaku

    raw = _opsi_kegiatan(
        kode=kode,
        sop=sop,
        nama=nama,
        mulai=mulai,
        selesai=selesai,
        tempat=tempat,
        jp=jp,
        kuota=kuota,
        jenis_diklat=jenis_diklat,
        penyelenggara=penyelenggara,
        lembaga_narasumber=lembaga_narasumber,
        materi=materi,
        kondisi=kondisi,
        unit=unit,
        golongan=golongan,
        jabatan=jabatan,
        kurang_20_jp=kurang_20_jp,
        surat_penyelenggara=surat_penyelenggara,
        narasumber=narasumber,
    )
    raw.setdefault("kriteria", {})
    from diklat.kegiatan.data import periksa

    try:
        with _session() as s:
            data = kegiatan_dict(simpan_kegiatan(s, raw, oleh_nip=_pelaku(s, oleh)))
    except KegiatanDitolak as e:
        raise _tolak_kegiatan(e) from None
    except PerubahanDitolak as e:
        raise common.fail(str(e), EXIT_REFUSED) from None
    except SQLAlchemyError as e:
        try:  # a wrong value is refused as such, whatever the state of the database
            periksa(raw)
        except KegiatanDitolak as bad:
            raise _tolak_kegiatan(bad) from None
        raise _db_fail(e) from None
    if as_json:
        common.print_json(data)
    else:
        common.console.print(
            f"Kegiatan {data['kode']} ({data['sop']}): {data['nama']}, "
            f"{data['mulai']} s.d. {data['selesai']}, status {data['status']}"
        )


@kegiatan_app.command("ubah")
def kegiatan_ubah(
    kode: str = typer.Argument(..., help="kode kegiatan"),
    sop: str = typer.Option(None, "--sop", help="kode SOP (hanya sebelum langkah pertama)"),
    nama: str = typer.Option(None, "--nama", help="nama pelatihan"),
    mulai: str = typer.Option(None, "--mulai", help="tanggal mulai, YYYY-MM-DD"),
    selesai: str = typer.Option(None, "--selesai", help="tanggal selesai, YYYY-MM-DD"),
    tempat: str = typer.Option(None, "--tempat", help="tempat pelaksanaan"),
    jp: int = typer.Option(None, "--jp", help="jumlah jam pelajaran (JP)"),
    kuota: int = typer.Option(None, "--kuota", help="kuota peserta (orang)"),
    jenis_diklat: str = typer.Option(None, "--jenis-diklat", help="jenisDiklatId SIASN 1-24"),
    penyelenggara: str = typer.Option(None, "--penyelenggara", help="lembaga penyelenggara"),
    lembaga_narasumber: str = typer.Option(
        None, "--lembaga-narasumber", help="lembaga yang dimohon narasumber"
    ),
    materi: list[str] = typer.Option(
        None, "--materi", help="materi (menggantikan semua; boleh berulang)"
    ),
    unit: list[str] = typer.Option(None, "--unit", help="kriteria unit (menggantikan semua)"),
    golongan: list[str] = typer.Option(
        None, "--golongan", help="kriteria golongan (menggantikan semua)"
    ),
    jabatan: list[str] = typer.Option(
        None, "--jabatan", help="kriteria jabatan (menggantikan semua)"
    ),
    kurang_20_jp: bool = typer.Option(
        None, "--kurang-20-jp/--semua-jp", help="kriteria: hanya yang belum 20 JP / semua"
    ),
    kondisi: list[str] = typer.Option(
        None, "--kondisi", help="kondisi SOP (hanya sebelum langkah pertama)"
    ),
    oleh: str = typer.Option(None, "--oleh", metavar="NIP", help="NIP yang mengubah"),
    as_json: bool = typer.Option(False, "--json", help="cetak JSON"),
) -> None:
    """Perbaiki kegiatan yang belum menerbitkan naskah (ditolak bila sudah ada naskah
    bernomor atau draf yang diputuskan pejabat). Hanya opsi yang diberikan yang berubah;
    perubahan dicatat (sebelum dan sesudah)."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.kegiatan.data import KegiatanDitolak, KegiatanTidakAda, kegiatan_dict
    from diklat.perubahan import PerubahanDitolak, ubah_kegiatan

    changes = _opsi_kegiatan(
        sop=sop,
        nama=nama,
        mulai=mulai,
        selesai=selesai,
        tempat=tempat,
        jp=jp,
        kuota=kuota,
        jenis_diklat=jenis_diklat,
        penyelenggara=penyelenggara,
        lembaga_narasumber=lembaga_narasumber,
        materi=materi,
        kondisi=kondisi,
        unit=unit,
        golongan=golongan,
        jabatan=jabatan,
        kurang_20_jp=kurang_20_jp,
    )
    if not changes:
        raise common.refuse('tidak ada yang diubah: beri opsi, mis. --tempat "..."')
    try:
        with _session() as s:
            hasil = ubah_kegiatan(s, kode, changes, oleh_nip=oleh)
            data = kegiatan_dict(hasil.kegiatan)
    except KegiatanTidakAda as e:
        raise common.fail(str(e)) from None
    except KegiatanDitolak as e:
        raise _tolak_kegiatan(e, "diubah") from None
    except PerubahanDitolak as e:
        raise common.fail(str(e), EXIT_REFUSED) from None
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if as_json:
        common.print_json({**data, "perubahan": hasil.perubahan, "draf_lama": hasil.draf_lama})
        return
    if not hasil.perubahan:
        common.console.print(f"Kegiatan {kode}: tidak ada yang berubah")
        return
    common.console.print(
        f"Kegiatan {kode} diubah: "
        + "; ".join(f"{f}: {a!r} -> {b!r}" for f, (a, b) in hasil.perubahan.items()),
        markup=False,
        highlight=False,
    )
    if hasil.draf_lama:
        common.notice(
            f"draf yang menunggu keputusan dibuat dari data lama: "
            f"{', '.join(hasil.draf_lama)}; minta pejabat mengembalikannya (revisi)"
        )


@kegiatan_app.command("batal")
def kegiatan_batal(
    kode: str = typer.Argument(..., help="kode kegiatan"),
    alasan: str = typer.Option(..., "--alasan", help="alasan pembatalan (dicatat)"),
    oleh: str = typer.Option(None, "--oleh", metavar="NIP", help="NIP yang membatalkan"),
    as_json: bool = typer.Option(False, "--json", help="cetak JSON"),
) -> None:
    """Batalkan kegiatan: status dibatalkan dengan alasannya, langkah terbuka ditutup,
    permintaan paraf/tanda tangan yang menunggu dibatalkan, run Prefect kegiatan ini
    dibatalkan (bila server Prefect terjangkau), dicatat di riwayat kegiatan."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.kegiatan.data import KegiatanTidakAda
    from diklat.perubahan import PerubahanDitolak, batalkan_kegiatan

    try:
        with _session() as s:
            hasil = batalkan_kegiatan(s, kode, alasan, oleh_nip=oleh)
    except KegiatanTidakAda as e:
        raise common.fail(str(e)) from None
    except PerubahanDitolak as e:
        raise common.fail(str(e), EXIT_REFUSED) from None
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    from cli.prefect_runs import batalkan_run

    runs = batalkan_run(
        hasil.flow_run_ids, hasil.nama_run, f"kegiatan {hasil.kode} dibatalkan: {hasil.alasan}"
    )
    if as_json:
        common.print_json({**hasil.as_dict(), "run_prefect": runs.as_dict()})
        return
    if hasil.sudah:
        common.console.print(
            f"Kegiatan {kode} sudah dibatalkan sebelumnya ({hasil.alasan}); {runs.kalimat()}",
            markup=False,
            highlight=False,
        )
        return
    common.console.print(
        f"Kegiatan {kode} dibatalkan: {len(hasil.langkah_ditutup)} langkah ditutup, "
        f"{hasil.permintaan_dibatalkan} permintaan paraf/tanda tangan dibatalkan; "
        f"{runs.kalimat()}",
        markup=False,
        highlight=False,
    )


@kegiatan_app.command("riwayat")
def kegiatan_riwayat(
    kode: str = typer.Argument(..., help="kode kegiatan"),
    as_json: bool = typer.Option(False, "--json", help="cetak JSON"),
) -> None:
    """Riwayat perubahan kegiatan: dibuat, diubah (sebelum dan sesudah), dibatalkan."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.kegiatan.data import KegiatanTidakAda
    from diklat.perubahan import riwayat_kegiatan

    try:
        with _session() as s:
            rows = riwayat_kegiatan(s, kode)
    except KegiatanTidakAda as e:
        raise common.fail(str(e)) from None
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if as_json:
        common.print_json(rows)
        return
    from rich.table import Table

    t = Table("Waktu", "Aksi", "Oleh", "Alasan / perubahan")
    for r in rows:
        what = r["alasan"] or ""
        if r["aksi"] == "ubah" and r["perubahan"]:
            what = "; ".join(f"{f}: {a} -> {b}" for f, (a, b) in r["perubahan"].items())
        t.add_row(r["at"], r["aksi"], r["oleh_nip"] or "-", what)
    common.console.print(t)


@kegiatan_app.command("list")
def kegiatan_list(as_json: bool = typer.Option(False, "--json", help="cetak JSON (array)")) -> None:
    """Daftar kegiatan."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.kegiatan.data import daftar_kegiatan, jumlah_peserta, kegiatan_dict

    try:
        with _session() as s:
            rows = [
                {**kegiatan_dict(k), "peserta": sum(jumlah_peserta(s, k.id).values())}
                for k in daftar_kegiatan(s)
            ]
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if as_json:
        common.print_json(rows)
        return
    from rich.table import Table

    t = Table("Kode", "SOP", "Nama", "Mulai", "Selesai", "Status", "Peserta")
    for r in rows:
        t.add_row(
            r["kode"], r["sop"], r["nama"], r["mulai"], r["selesai"], r["status"], str(r["peserta"])
        )
    common.console.print(t)


@kegiatan_app.command("show")
def kegiatan_show(
    kode: str = typer.Argument(..., help="kode kegiatan"),
    as_json: bool = typer.Option(False, "--json", help="cetak JSON"),
) -> None:
    """Posisi kegiatan: langkah SOP (selesai / berjalan / menunggu, tenggat), naskah, peserta."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.kegiatan.data import KegiatanTidakAda
    from diklat.laporan.posisi import posisi_kegiatan

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
    from rich.markup import escape
    from rich.table import Table

    from diklat.naskah.status import LABEL

    common.console.print(
        f"[bold]{escape(d['kode'])}[/] {escape(d['nama'])} ({d['sop']}), "
        f"{d['mulai']} s.d. {d['selesai']}: [bold]{d['status']}[/]"
        + (f"; kondisi: {', '.join(d['kondisi'])}" if d["kondisi"] else "")
    )
    if d.get("alasan"):  # why it stopped, as the record says it (one line, never wrapped)
        common.console.print(f"  {d['alasan']}", markup=False, soft_wrap=True)
    t = Table(
        "No",
        "Langkah",
        "Putaran",
        "Status",
        "Oleh",
        "Tenggat",
        "",
        title="Langkah SOP",
        show_lines=False,
    )
    for lg in d["langkah"]:
        if lg["status"] == "belum":
            continue
        late = "[red]terlambat[/]" if lg["terlambat"] else ""
        text = (
            lg["kegiatan"]
            if len(lg["kegiatan"]) <= 60
            else lg["kegiatan"][:59].rsplit(" ", 1)[0] + " …"
        )
        no = f"{lg['no']}*" if lg.get("rekonstruksi") else str(lg["no"])
        t.add_row(
            no,
            text,
            str(lg["putaran"] or ""),
            lg["status"],
            lg.get("oleh") or "",
            (lg["tenggat"] or "")[:16].replace("T", " "),
            late,
        )
    belum = sum(1 for lg in d["langkah"] if lg["status"] == "belum")
    rekon = sum(1 for lg in d["langkah"] if lg.get("rekonstruksi"))
    t.caption = f"{belum} langkah belum dimulai" + (
        f"; * {rekon} langkah rekonstruksi (tidak ada/tidak terbaca di teks SOP, lihat "
        f"`diklat sop show {d['sop']}`)"
        if rekon
        else ""
    )
    common.console.print(t)
    n = Table("Jenis", "Naskah", "Versi", "Status", "Hash", "Nomor", title="Naskah")
    for x in d["naskah"]:
        n.add_row(
            x["jenis"],
            x["kunci"] or "-",
            str(x["versi"]),
            LABEL.get(x["status"], x["status"]),
            (x["sha256"] or "")[:12],
            x["nomor"] or "",
        )
    common.console.print(n)
    common.console.print(
        "Peserta: " + (", ".join(f"{k} {v}" for k, v in d["peserta"].items()) or "belum ada")
    )
    ver: dict[str, Any] = d.get("verifikasi") or {}
    if any(ver.get(x) for x in ("terverifikasi", "tidak_memenuhi", "belum_diperiksa")):
        alasan = ", ".join(f"{a} {n}" for a, n in ver["alasan"].items())
        nomor = ", ".join(map(str, ver["nomor_belum_diperiksa"]))
        common.console.print(
            f"Verifikasi SIASN: {ver['terverifikasi']} terverifikasi, {ver['tidak_memenuhi']} "
            f"tidak memenuhi, {ver['belum_diperiksa']} belum diperiksa"
            + (f" (nomor {nomor})" if nomor else "")
            + (f"; alasan: {alasan}" if alasan else "")
            + "; rinciannya: `diklat kegiatan calon KODE --lihat`",
            markup=False,
            highlight=False,
        )


@kegiatan_app.command("calon")
def kegiatan_calon(
    kode: str = typer.Argument(..., help="kode kegiatan"),
    per_unit: int = typer.Option(
        None, "--per-unit", min=1, max=10000, help="paling banyak sekian orang per unit"
    ),
    lihat: bool = typer.Option(
        False, "--lihat", help="hanya tampilkan calon dan hasil verifikasi SIASN tiap calon"
    ),
    as_json: bool = typer.Option(False, "--json", help="cetak JSON"),
) -> None:
    """Tetapkan calon peserta dari kriteria dan kuota kegiatan (idempoten), lalu tampilkan
    tiap calon dengan hasil verifikasi SIASN-nya (terverifikasi, tidak memenuhi dengan
    alasannya, atau belum diperiksa)."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.db import get_engine
    from diklat.kegiatan.data import (
        KegiatanTidakAda,
        calon_menurut_kriteria,
        jumlah_peserta,
        kegiatan_by_kode,
        peserta_frame,
        tetapkan_peserta,
    )

    try:
        with _session() as s:
            k = kegiatan_by_kode(s, kode)
            baru = 0
            if not lihat:
                calon = calon_menurut_kriteria(get_engine(), k, per_unit=per_unit)
                baru = len(calon)
                tetapkan_peserta(s, k, [int(x) for x in calon["id"]])
            counts = jumlah_peserta(s, k.id)
            kid = k.id
        rows = _calon_rows(get_engine(), kid, peserta_frame)
    except KegiatanTidakAda as e:
        raise common.fail(str(e)) from None
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if as_json:
        common.print_json({"kegiatan": kode, "calon": baru, "peserta": counts, "daftar": rows})
        return
    if not lihat:
        common.console.print(f"{baru} calon menurut kriteria; peserta kegiatan {kode}: {counts}")
    from rich.table import Table

    t = Table(
        "No",
        "NIP",
        "Nama",
        "Unit kerja",
        "Status",
        "Verifikasi SIASN",
        "Alasan",
        title=f"Calon dan peserta {kode}",
    )
    for r in rows:
        t.add_row(
            str(r["nomor"]),
            r["nip"],
            r["nama"],
            r["unit"] or "",
            r["status"],
            r["verifikasi"] or "-",
            r["alasan"] or "",
        )
    common.console.print(t)


def _calon_rows(engine: Any, kegiatan_id: int, frame: Any) -> list[dict[str, Any]]:
    """Each participant with SIASN's answer on him (from the participant rows)."""
    from sqlalchemy import select

    from diklat.kegiatan.verifikasi import ALASAN
    from diklat.models import Peserta

    df = frame(engine, kegiatan_id)
    with engine.connect() as c:
        ver = {
            r.id: r
            for r in c.execute(
                select(Peserta.id, Peserta.verifikasi, Peserta.verifikasi_alasan).where(
                    Peserta.kegiatan_id == kegiatan_id
                )
            )
        }
    out = []
    for r in df.to_dict("records"):
        v = ver.get(r["peserta_id"])
        alasan = v.verifikasi_alasan if v is not None else None
        out.append(
            {
                "nomor": int(r["nomor_urut"] or 0),
                "nip": str(r["nip"]),
                "nama": str(r["nama"]),
                "unit": r["unit_nama"],
                "status": r["status"],
                "verifikasi": v.verifikasi if v is not None else None,
                "alasan": alasan,
                "alasan_teks": ALASAN.get(alasan or ""),
            }
        )
    return out


@pejabat_app.command("tambah")
def pejabat_tambah(
    nip: str = typer.Option(..., "--nip", help="NIP pejabat"),
    nama: str = typer.Option(..., "--nama", help="nama dengan gelar, seperti dicetak"),
    peran: str = typer.Option(
        ..., "--peran", help="kode peran SOP: kabid_psda, sekretaris, kepala, sekda, analis_sdm ..."
    ),
    jabatan: str = typer.Option(
        ..., "--jabatan", help="jabatan seperti dicetak pada blok tanda tangan"
    ),
    pangkat: str = typer.Option(None, "--pangkat", help="pangkat (golongan)"),
    email: str = typer.Option(None, "--email", help="alamat pos-el untuk kode verifikasi"),
    kedudukan: str = typer.Option(
        "definitif",
        "--kedudukan",
        help="definitif, plt (jabatan kosong) atau plh (pejabat berhalangan)",
    ),
    an_jabatan: str = typer.Option(
        None, "--an", help="menandatangani atas nama (a.n.) jabatan ini"
    ),
    as_json: bool = typer.Option(False, "--json", help="cetak JSON"),
) -> None:
    """Tambah atau perbarui pejabat (kunci: NIP dan peran)."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.pegawai.pejabat import PejabatTidakValid, pejabat_dict, simpan_pejabat

    try:
        with _session() as s:
            row = pejabat_dict(
                simpan_pejabat(
                    s,
                    nip=nip,
                    nama=nama,
                    peran=peran,
                    jabatan=jabatan,
                    pangkat=pangkat,
                    email=email,
                    kedudukan=kedudukan,
                    an_jabatan=an_jabatan,
                )
            )
    except PejabatTidakValid as e:
        raise common.fail(f"pejabat ditolak: {e}", EXIT_REFUSED) from None
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if as_json:
        common.print_json(row)
    else:
        common.console.print(
            f"Pejabat {row['nama']} ({row['peran']}, {row['kedudukan']}) tersimpan"
        )


@pejabat_app.command("list")
def pejabat_list(
    semua: bool = typer.Option(False, "--semua", help="termasuk yang nonaktif"),
    as_json: bool = typer.Option(False, "--json", help="cetak JSON"),
) -> None:
    """Daftar pejabat per peran."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.pegawai.pejabat import daftar_pejabat, pejabat_dict

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
        t.add_row(
            r["peran"],
            r["nama"],
            r["jabatan"],
            r["kedudukan"],
            r["an_jabatan"] or "",
            "ya" if r["aktif"] else "tidak",
        )
    common.console.print(t)


@pejabat_app.command("nonaktif")
def pejabat_nonaktif(
    nip: str = typer.Argument(..., help="NIP pejabat"),
    peran: str = typer.Option(..., "--peran", help="kode peran"),
) -> None:
    """Nonaktifkan pejabat pada satu peran (riwayat keputusannya tetap)."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.models import Pejabat
    from diklat.rules.nip import normalize

    try:
        with _session() as s:
            p = s.execute(
                select(Pejabat).where(Pejabat.nip == normalize(nip), Pejabat.peran == peran)
            ).scalar_one_or_none()
            if p is None:
                raise common.fail(
                    f"tidak ada pejabat dengan NIP itu pada peran {peran!r}", EXIT_REFUSED
                )
            p.aktif = False
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    common.console.print(f"Pejabat pada peran {peran} dinonaktifkan")


@unit_app.command("list")
def unit_list(
    cari: str = typer.Option(None, "--cari", help="kata dalam nama atau singkatan"),
    as_json: bool = typer.Option(False, "--json", help="cetak JSON"),
) -> None:
    """Daftar unit kerja (kode dari SIMPEG lewat `diklat sync`) dengan jumlah pegawai aktif."""
    from sqlalchemy import func, or_, select
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.models import Pegawai, UnitKerja

    try:
        with _session() as s:
            q = (
                select(
                    UnitKerja.kode,
                    UnitKerja.nama,
                    UnitKerja.singkatan,
                    func.count(Pegawai.id).label("pegawai"),
                )
                .outerjoin(Pegawai, (Pegawai.unit_id == UnitKerja.id) & Pegawai.aktif.is_(True))
                .where(UnitKerja.aktif.is_(True))
                .group_by(UnitKerja.id)
                .order_by(UnitKerja.nama)
            )
            if cari:
                like = f"%{cari.lower()}%"
                q = q.where(
                    or_(
                        func.lower(UnitKerja.nama).like(like),
                        func.lower(UnitKerja.singkatan).like(like),
                    )
                )
            rows = [
                {
                    "kode": r.kode,
                    "nama": r.nama,
                    "singkatan": r.singkatan,
                    "pegawai": int(r.pegawai),
                }
                for r in s.execute(q)
            ]
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if as_json:
        common.print_json(rows)
        return
    if not rows:
        common.console.print(
            "Belum ada unit kerja"
            + (f" dengan {cari!r}" if cari else "")
            + ": jalankan `diklat sync --full` dulu (kode unit datang dari "
            "SIMPEG)",
            markup=False,
        )
        return
    from rich.table import Table

    t = Table("Kode", "Nama", "Singkatan", "Pegawai aktif")
    for r in rows:
        t.add_row(r["kode"], r["nama"], r["singkatan"] or "", str(r["pegawai"]))
    common.console.print(t)


def add_commands(app: typer.Typer) -> None:
    app.add_typer(kegiatan_app, name="kegiatan")
    app.add_typer(pejabat_app, name="pejabat")
    app.add_typer(unit_app, name="unit")
