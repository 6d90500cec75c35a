"""``diklat laporan kepatuhan|jp|peserta``: the reports of :mod:`diklat.laporan.rekap` as Excel files
(and a PNG chart beside the compliance report)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from cli import common

if TYPE_CHECKING:
    from diklat.berkas import Keluaran

laporan_app = common.new_app(help="Laporan: kepatuhan SOP, capaian 20 JP, peserta per kegiatan.")

T = TypeVar("T")

OUT_HELP = "berkas Excel yang ditulis, mis. laporan.xlsx"


def _out(out: Path, timpa: bool, grafik: bool = False) -> Keluaran:
    """``--out F.xlsx`` checked before any work (and ``F.png`` beside it for a chart)."""
    k = common.keluaran_berkas(out, (".xlsx",), timpa)
    if grafik:
        common.keluaran_berkas(k.target.with_suffix(".png"), (".png",), timpa)
    return k


ARSIP_HELP = "simpan juga ke arsip kegiatan (berkas yang isinya sama tidak diarsipkan lagi)"


def _arsipkan(kode: str, paths: list[Path], jenis: str, klasifikasi: str) -> int:
    """Archive a training's report files (content-addressed); how many entries are new."""
    from diklat.arsip import ArsipError, arsipkan
    from diklat.db import session_scope
    from diklat.kegiatan.data import kegiatan_by_kode

    try:
        with session_scope() as s:
            kid = kegiatan_by_kode(s, kode).id
            return sum(
                arsipkan(s, p, kegiatan_id=kid, jenis=jenis, klasifikasi=klasifikasi).baru
                for p in paths
            )
    except ArsipError as e:
        raise common.fail(f"arsip: {e}") from None


def _run(work: Callable[[Any, Any], T]) -> T:
    """``work(engine, session)`` in one transaction; an unknown training is one line (exit
    1), like ``diklat kegiatan show``."""
    from diklat.db import get_engine, session_scope
    from diklat.kegiatan.data import KegiatanTidakAda

    try:
        with session_scope() as s:
            return work(get_engine(), s)
    except KegiatanTidakAda as e:
        raise common.fail(str(e)) from None


@laporan_app.command("kepatuhan")
def kepatuhan(
    kode: str = typer.Argument(..., metavar="KODE", help="kode kegiatan"),
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    grafik: bool = typer.Option(
        True, "--grafik/--tanpa-grafik", help="tulis juga grafik PNG di samping berkas Excel"
    ),
    arsip: bool = typer.Option(False, "--arsip", help=ARSIP_HELP),
    as_json: bool = typer.Option(False, "--json", help="cetak ringkasan sebagai JSON"),
    timpa: bool = typer.Option(False, "--timpa", help=common.TIMPA_HELP),
) -> None:
    """Kepatuhan SOP satu kegiatan: waktu kerja aktual SETIAP putaran tiap langkah terhadap
    waktu baku (yang terlambat ditandai merah, langkah rekonstruksi ditandai), dan per SOP
    (semua putaran dihitung): median dan persentase tepat waktu."""
    from diklat.berkas import di_tempat
    from diklat.laporan.rekap import JENIS_KEPATUHAN, KLASIFIKASI_KEPATUHAN, tulis_kepatuhan
    from diklat.laporan.rekap import kepatuhan as ukur

    k = _out(out, timpa, grafik)

    with common.tulis_keluaran(k) as tmp:

        def work(engine: Any, s: Any) -> tuple[dict[str, Any], dict[str, Path]]:
            hasil = ukur(s, kode)
            return hasil.ringkasan, tulis_kepatuhan(hasil, tmp, grafik=grafik)

        ringkasan, written = _run(work)
    files = {name: di_tempat(p, tmp, k) for name, p in written.items()}
    diarsipkan = (
        _arsipkan(kode, list(files.values()), JENIS_KEPATUHAN, KLASIFIKASI_KEPATUHAN)
        if arsip
        else None
    )
    if as_json:
        common.print_json(
            {
                **ringkasan,
                **{k: str(v) for k, v in files.items()},
                **({"arsip_baru": diarsipkan} if arsip else {}),
            }
        )
        return
    persen = ringkasan["persen_tepat_waktu"]
    common.console.print(
        f"Kepatuhan {kode}: {ringkasan['selesai']} dari {ringkasan['langkah']} langkah selesai "
        f"({ringkasan['putaran']} putaran diukur), {ringkasan['terlambat']} putaran terlambat, "
        f"{'-' if persen is None else f'{persen}%'} tepat waktu; "
        + ", ".join(str(p) for p in files.values())
        + (f"; {diarsipkan} berkas baru di arsip" if arsip else ""),
        markup=False,
        highlight=False,
    )


@laporan_app.command("jp")
def jp(
    tahun: int = typer.Option(None, "--tahun", help="tahun (bawaan: tahun berjalan)"),
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    as_json: bool = typer.Option(False, "--json", help="cetak ringkasan sebagai JSON"),
    timpa: bool = typer.Option(False, "--timpa", help=common.TIMPA_HELP),
) -> None:
    """Capaian 20 JP per pegawai dalam setahun, per unit kerja, dan daftar yang kurang dari
    20 JP (calon peserta pelatihan berikutnya)."""
    from diklat.laporan.rekap import laporan_jp

    year = common.tahun(tahun)
    k = _out(out, timpa)
    target = k.target
    with common.tulis_keluaran(k) as tmp:
        hasil = _run(lambda engine, s: laporan_jp(engine, year, tmp))
    if as_json:
        common.print_json({**hasil, "xlsx": str(target)})
        return
    common.console.print(
        f"Capaian JP {year}: {hasil['pegawai']} pegawai, {hasil['kurang_20_jp']} kurang dari "
        f"20 JP, {hasil['unit']} unit kerja; {target}",
        markup=False,
        highlight=False,
    )


@laporan_app.command("peserta")
def peserta(
    kode: str = typer.Argument(..., metavar="KODE", help="kode kegiatan"),
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    arsip: bool = typer.Option(False, "--arsip", help=ARSIP_HELP),
    as_json: bool = typer.Option(False, "--json", help="cetak ringkasan sebagai JSON"),
    timpa: bool = typer.Option(False, "--timpa", help=common.TIMPA_HELP),
) -> None:
    """Daftar calon dan peserta satu kegiatan (satu lembar per unit kerja), rekap kehadiran
    dan data laporan hasil kegiatan."""
    from diklat.laporan.rekap import JENIS_PESERTA, KLASIFIKASI_PESERTA, laporan_peserta

    k = _out(out, timpa)
    target = k.target
    with common.tulis_keluaran(k) as tmp:
        hasil = _run(lambda engine, s: laporan_peserta(engine, s, kode, tmp))
    diarsipkan = _arsipkan(kode, [target], JENIS_PESERTA, KLASIFIKASI_PESERTA) if arsip else None
    if as_json:
        common.print_json(
            {**hasil, "xlsx": str(target), **({"arsip_baru": diarsipkan} if arsip else {})}
        )
        return
    common.console.print(
        f"Peserta {kode}: {hasil['peserta']} orang dari {hasil['unit']} unit kerja, "
        f"{hasil['hadir']} hadir, {hasil['lulus']} lulus; {target}"
        + (f"; {diarsipkan} berkas baru di arsip" if arsip else ""),
        markup=False,
        highlight=False,
    )


def add_commands(app: typer.Typer) -> None:
    app.add_typer(laporan_app, name="laporan")
