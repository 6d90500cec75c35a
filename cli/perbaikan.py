"""``diklat naskah unduh|perbaiki|ulang`` and ``diklat usulan list|catat``: the person the SOP
names corrects a letter sent back (from Word or from the data), an operator deliberately starts
a refused letter again, and agencies' proposals of candidates are recorded from their letters.
A waiting run is resumed only when it waits for exactly this (:mod:`tasks.lanjut`)."""

from __future__ import annotations

from pathlib import Path

import typer

from cli import common

usulan_app = common.new_app(help="Usulan calon peserta dari OPD (surat masuk).")


def _kode_flow_run(kode: str, jenis: str) -> tuple[str | None, int | None]:
    """The run the training's letter waits in, and its returned version's bundle."""
    from diklat.db import session_scope
    from diklat.kegiatan.data import kegiatan_by_kode
    from diklat.naskah.perbaikan import menunggu

    with session_scope() as s:
        k = kegiatan_by_kode(s, kode)
        m = menunggu(s, k, jenis)
        return k.flow_run_id, (m.bundel_id if m else None)


def naskah_unduh(
    kode: str = typer.Argument(..., help="kode kegiatan"),
    jenis: str = typer.Argument(..., help="jenis naskah, mis. surat_tugas"),
    nomor_dokumen: list[int] = typer.Option(
        None, "--nomor-dokumen", help="nomor dokumen dalam bundel (boleh berulang)"
    ),
    out: Path = typer.Option(..., "--out", help="folder tujuan"),
) -> None:
    """Unduh konsep DOCX versi sekarang untuk diperbaiki di Word."""
    from diklat.db import get_engine
    from diklat.kegiatan.data import KegiatanTidakAda
    from diklat.naskah.perbaikan import PerbaikanDitolak, unduh

    try:
        paths = unduh(get_engine(), kode, jenis, out, nomor_dokumen or None)
    except (PerbaikanDitolak, KegiatanTidakAda) as e:
        raise common.refuse(str(e)) from None
    for p in paths:
        common.console.print(str(p))


def naskah_perbaiki(
    kode: str = typer.Argument(..., help="kode kegiatan"),
    jenis: str = typer.Argument(..., help="jenis naskah"),
    nip: str = typer.Option(..., "--nip", help="NIP Anda (petugas yang diminta memperbaiki)"),
    berkas: list[str] = typer.Option(
        None,
        "--berkas",
        help="konsep DOCX yang diperbaiki (bundel: N=BERKAS, atau bersama --nomor-dokumen)",
    ),
    nomor_dokumen: list[int] = typer.Option(
        None, "--nomor-dokumen", help="nomor dokumen untuk --berkas, berurutan"
    ),
    dari_data: bool = typer.Option(
        False, "--dari-data", help="data kegiatan sudah dibetulkan: susun ulang konsep"
    ),
    tanpa_perubahan: bool = typer.Option(
        False, "--tanpa-perubahan", help="tidak perlu diubah (wajib --alasan)"
    ),
    catatan: str = typer.Option("", "--catatan", help="catatan perbaikan"),
    alasan: str = typer.Option(
        "", "--alasan", help="mengapa versi baru boleh sama dengan yang dikembalikan"
    ),
) -> None:
    """Catat perbaikan naskah yang dikembalikan sebagai versi berikutnya."""
    from diklat.db import get_engine
    from diklat.kegiatan.data import KegiatanTidakAda
    from diklat.naskah.perbaikan import PerbaikanDitolak, perbaiki
    from diklat.settings import get_settings

    ways = sum([bool(berkas), dari_data, tanpa_perubahan])
    if ways != 1:
        raise common.refuse("pilih satu: --berkas FILE.docx, --dari-data atau --tanpa-perubahan")
    files: dict[int, bytes] = {}
    for i, item in enumerate(berkas or []):
        no_text, sep, name = item.partition("=")
        if sep and no_text.strip().isdigit():
            no, path = int(no_text), Path(name.strip())
        else:
            no = (nomor_dokumen or [])[i] if nomor_dokumen and i < len(nomor_dokumen) else 0
            path = Path(item)
        if path.suffix.lower() != ".docx":
            raise common.refuse(f"{path.name}: bukan berkas .docx")
        try:
            files[no] = path.read_bytes()
        except OSError as e:
            raise common.refuse(f"{path}: {e.strerror or e}") from None
    cara = "unggah" if berkas else "data" if dari_data else "tanpa_perubahan"
    try:
        flow_run_id, bundel_id = _kode_flow_run(kode, jenis)
        h = perbaiki(
            get_engine(),
            kode,
            jenis,
            Path(get_settings().output_dir or "."),
            nip=nip,
            cara=cara,
            berkas=files,
            catatan=catatan,
            alasan_tanpa_perubahan=alasan,
        )
    except (PerbaikanDitolak, KegiatanTidakAda) as e:
        raise common.refuse(str(e)) from None
    from cli.prefect_server import lanjutkan_run

    resumed = lanjutkan_run(
        flow_run_id,
        f"r{bundel_id}-",
        {
            "nip": nip,
            "cara": cara,
            "berkas": "",
            "dokumen": "",
            "catatan": catatan,
            "alasan": alasan,
        },
    )
    common.console.print(
        f"{jenis} kegiatan {kode}: versi {h.versi} dicatat ({h.diubah} "
        "dokumen diubah)"
        + ("; run dilanjutkan" if resumed else "; run melanjutkan saat dijalankan lagi")
    )


def naskah_ulang(
    kode: str = typer.Argument(..., help="kode kegiatan"),
    jenis: str = typer.Argument(..., help="jenis naskah yang ditolak"),
    nip: str = typer.Option(..., "--nip", help="NIP Anda (petugas BKPSDM)"),
    alasan: str = typer.Option(..., "--alasan", help="mengapa naskah diajukan lagi"),
) -> None:
    """Mulai versi baru naskah yang ditolak; kegiatan berjalan lagi dari naskah itu."""
    from diklat.db import get_engine
    from diklat.kegiatan.data import KegiatanTidakAda
    from diklat.naskah.perbaikan import PerbaikanDitolak, ulang
    from diklat.settings import get_settings

    try:
        h = ulang(
            get_engine(),
            kode,
            jenis,
            Path(get_settings().output_dir or "."),
            nip=nip,
            alasan=alasan,
        )
    except (PerbaikanDitolak, KegiatanTidakAda) as e:
        raise common.refuse(str(e)) from None
    common.console.print(
        f"{jenis} kegiatan {kode}: versi {h.versi} dibuat dan akan diajukan "
        "lagi. Jalankan lagi run SOP kegiatan ini (UI Prefect: deployment "
        "SOP-nya, parameter kegiatan yang sama) untuk melanjutkan."
    )


@usulan_app.command("list")
def usulan_list(
    kode: str = typer.Argument(..., help="kode kegiatan"),
    as_json: bool = typer.Option(False, "--json", help="cetak JSON"),
) -> None:
    """Usulan calon peserta dari OPD: surat, jumlah, dicatat operator atau lewat tautan."""
    from diklat.db import session_scope
    from diklat.kegiatan.data import KegiatanTidakAda, kegiatan_by_kode
    from diklat.kegiatan.usulan import daftar_usulan

    try:
        with session_scope() as s:
            rows = daftar_usulan(s, kegiatan_by_kode(s, kode))
    except KegiatanTidakAda as e:
        raise common.fail(str(e)) from None
    if as_json:
        common.print_json(rows)
        return
    from rich.table import Table

    t = Table(
        "Unit",
        "Nama unit",
        "Nomor surat",
        "Tanggal",
        "Jumlah",
        "Sumber",
        title=f"Usulan calon peserta {kode}",
    )
    for r in rows:
        t.add_row(
            r["unit"] or "-",
            r["nama_unit"],
            r["nomor_surat"],
            r["tanggal_surat"],
            str(r["jumlah"]),
            r["sumber"],
        )
    common.console.print(t)


@usulan_app.command("catat")
def usulan_catat(
    kode: str = typer.Argument(..., help="kode kegiatan"),
    unit: str = typer.Option(..., "--unit", help="kode unit kerja pengusul"),
    nomor_surat: str = typer.Option(..., "--nomor-surat", help="nomor surat usulan OPD"),
    tanggal_surat: str = typer.Option(..., "--tanggal-surat", help="YYYY-MM-DD"),
    nip: list[str] = typer.Option(..., "--nip", help="NIP calon yang diusulkan (berulang)"),
    oleh: str = typer.Option(..., "--oleh", help="NIP petugas yang mencatat"),
    berkas: Path = typer.Option(None, "--berkas", help="pindaian surat usulan (PDF)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Catat surat usulan calon peserta dari OPD (semua atau tidak sama sekali)."""
    from diklat.db import session_scope
    from diklat.kegiatan.data import KegiatanTidakAda, kegiatan_by_kode
    from diklat.kegiatan.usulan import UsulanDitolak, catat_usulan
    from diklat.masukan import MasukanDitolak, petugas

    try:
        with session_scope() as s:
            orang = petugas(s, oleh)
            h = catat_usulan(
                s,
                kegiatan_by_kode(s, kode),
                unit_kode=unit,
                nomor_surat=nomor_surat,
                tanggal_surat=tanggal_surat,
                nips=nip,
                sumber="operator",
                oleh_nip=orang.nip,
                berkas=berkas,
            )
    except (UsulanDitolak, MasukanDitolak, KegiatanTidakAda) as e:
        raise common.refuse(str(e)) from None
    if as_json:
        common.print_json(h.__dict__)
    else:
        common.console.print(
            f"Usulan {unit} dicatat: {h.diusulkan} calon baru"
            + (f", {h.sudah} sudah tercatat" if h.sudah else "")
        )


def tugas_command(as_json: bool = typer.Option(False, "--json", help="cetak JSON (array)")) -> None:
    """Yang menunggu petugas: formulir langkah SOP, perbaikan naskah, pengiriman yang harus
    dikonfirmasi, jawaban SIASN, pendaftaran SRIKANDI, karantina; dengan tenggatnya."""
    from diklat.db import session_scope
    from diklat.laporan.tugas import daftar_tugas

    with session_scope() as s:
        rows = daftar_tugas(s)
    if as_json:
        common.print_json(rows)
        return
    from rich.table import Table

    t = Table(
        "Jenis", "Kegiatan", "Langkah", "Sejak", "Tenggat", "", "Keterangan", title="Tugas petugas"
    )
    for r in rows:
        t.add_row(
            r["jenis"],
            r["kegiatan"] or "-",
            str(r["langkah"] or ""),
            (r["sejak"] or "")[:16].replace("T", " "),
            (r["tenggat"] or "")[:16].replace("T", " "),
            "[red]terlambat[/]" if r["terlambat"] else "",
            r["keterangan"],
        )
    common.console.print(t)
    common.console.print(f"{len(rows)} tugas" if rows else "Tidak ada tugas yang menunggu.")


def add_commands(app: typer.Typer) -> None:
    """``naskah unduh|perbaiki|ulang`` on the letters' sub-app, ``usulan`` and ``tugas``."""
    from cli.register_cmd import naskah_app

    naskah_app.command("unduh")(naskah_unduh)
    naskah_app.command("perbaiki")(naskah_perbaiki)
    naskah_app.command("ulang")(naskah_ulang)
    app.add_typer(usulan_app, name="usulan")
    app.command("tugas")(tugas_command)
