"""``diklat siasn unor [--belum] [--set GUID=KODE] [--offline] [--json]``: SIASN's units (GUID
ids from ref-unor) and the region's unit each one is. Without ``--offline`` ref-unor is
fetched and matched again first (codes, ``CepatKode``, names; the operator's own mappings are
kept); ``--set`` records the operator's decision for a unit that stayed unmatched.

``diklat siasn writeback KODE [--ulangi NOMOR]... [--json]``: where each passed participant's
course record stands in SIASN; ``--ulangi`` reopens one SIASN did not know (after the NIP was
fixed) or one that failed, for the next write-back run."""

from __future__ import annotations

import typer

from cli import common

siasn_app = common.new_app(help="SIASN: pemetaan unit (unor) dan hal lain khusus SIASN.")


@siasn_app.command("unor")
def siasn_unor(
    belum: bool = typer.Option(False, "--belum", help="hanya unit SIASN yang belum dipetakan"),
    tetapkan: list[str] | None = typer.Option(
        None,
        "--set",
        metavar="GUID=KODE",
        help="petakan unit SIASN GUID ke unit kerja KODE (boleh berulang)",
    ),
    offline: bool = typer.Option(
        False, "--offline", help="jangan ambil ref-unor dari SIASN, tampilkan yang tersimpan"
    ),
    as_json: bool = typer.Option(False, "--json", help="cetak sebagai satu objek JSON"),
) -> None:
    """Pemetaan unit SIASN (GUID) ke kode unit kerja daerah; yang belum cocok didaftar."""
    from diklat.db import ensure_schema, get_engine
    from diklat.pegawai import unor

    pairs: list[tuple[str, str]] = []
    for item in tetapkan or []:
        gid, sep, kode = item.partition("=")
        if not sep or not gid.strip() or not kode.strip():
            raise common.refuse(f"--set harus GUID=KODE, bukan {item!r}")
        pairs.append((gid.strip(), kode.strip()))
    ensure_schema()
    engine = get_engine()
    hasil: dict[str, object] = {}
    if not offline:
        from diklat.clients import siasn_client

        with siasn_client() as client:
            hasil = unor.petakan(engine, client.ref_unor()).as_dict()
    for gid, kode in pairs:
        try:
            unor.tetapkan(engine, gid, kode)
        except unor.UnitTidakDikenal as e:
            raise common.refuse(str(e)) from None
    rows = unor.daftar(engine, hanya_belum=belum)
    belum_n = sum(1 for r in unor.daftar(engine) if not r["unit_kode"])
    if as_json:
        common.print_json({"pemetaan": hasil or None, "belum_dipetakan": belum_n, "unor": rows})
        return
    from rich import box
    from rich.table import Table

    table = Table(title="Unit SIASN dan unit kerja", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("GUID SIASN", "Nama di SIASN", "Unit kerja", "Cara"):
        table.add_column(col, overflow="fold")
    table.add_column("Catatan", overflow="fold", ratio=1)
    for r in rows:
        table.add_row(
            r["id_siasn"], r["nama"], r["unit_kode"] or "-", r["cara"] or "-", r["catatan"] or ""
        )
    common.console.print(table)
    if belum_n:
        common.notice(
            f"{belum_n} unit SIASN belum dipetakan; petakan dengan "
            "`diklat siasn unor --set GUID=KODE`"
        )


@siasn_app.command("writeback")
def siasn_writeback(
    kode: str = typer.Argument(..., help="kode kegiatan"),
    ulangi: list[int] | None = typer.Option(
        None,
        "--ulangi",
        metavar="NOMOR",
        min=1,
        max=common.MAX_ID,
        help="coba lagi peserta nomor ini pada jalankan berikutnya (NIP tidak dikenal yang "
        "sudah diperbaiki, atau yang gagal); boleh berulang",
    ),
    as_json: bool = typer.Option(False, "--json", help="cetak sebagai satu objek JSON"),
) -> None:
    """Status pemutakhiran riwayat kursus di SIASN per peserta lulus; --ulangi membuka lagi
    peserta yang NIP-nya tidak dikenal SIASN atau yang gagal."""
    from diklat.db import ensure_schema, get_engine
    from diklat.kegiatan import writeback
    from diklat.kegiatan.data import KegiatanTidakAda

    ensure_schema()
    engine = get_engine()
    dibuka: list[int] = []
    try:
        if ulangi:
            dibuka = writeback.ulangi(engine, kode, *ulangi)
        rows = writeback.status(engine, kode)
    except (KegiatanTidakAda, writeback.PesertaTidakAda) as e:
        raise common.refuse(str(e)) from None
    if as_json:
        common.print_json({"kegiatan": kode, "dibuka_lagi": dibuka, "peserta": rows})
        return
    from rich import box
    from rich.table import Table

    table = Table(title=f"Pemutakhiran SIASN {kode}", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("No", "Nama", "Status", "Gagal", "Catatan"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["nomor"] or "-"),
            r["nama"],
            r["keterangan"],
            str(r["percobaan_gagal"]),
            r["catatan"] or "",
        )
    common.console.print(table)
    if dibuka:
        common.notice(
            f"peserta nomor {', '.join(map(str, dibuka))} dicoba lagi pada jalankan "
            "`pemutakhiran-siasn` berikutnya"
        )
    sisa = [str(r["nomor"]) for r in rows if r["status"] == "tidak_dikenal" and r["nomor"]]
    if sisa:
        common.notice(
            f"NIP peserta nomor {', '.join(sisa)} tidak dikenal SIASN; setelah "
            "diperbaiki: `diklat siasn writeback " + kode + " --ulangi NOMOR`"
        )


def add_commands(app: typer.Typer) -> None:
    """Add ``diklat siasn ...`` to the main app."""
    app.add_typer(siasn_app, name="siasn")
