"""``diklat siasn unor [--belum] [--set GUID=KODE] [--offline] [--json]``: SIASN's units (GUID
ids from ref-unor) and the region's unit each one is. Without ``--offline`` ref-unor is
fetched and matched again first (codes, ``CepatKode``, names; the operator's own mappings are
kept); ``--set`` records the operator's decision for a unit that stayed unmatched."""

from __future__ import annotations

import typer

from cli import common

siasn_app = common.new_app(help="SIASN: pemetaan unit (unor) dan hal lain khusus SIASN.")


@siasn_app.command("unor")
def siasn_unor(
    belum: bool = typer.Option(False, "--belum", help="hanya unit SIASN yang belum dipetakan"),
    tetapkan: list[str] | None = typer.Option(
        None, "--set", metavar="GUID=KODE",
        help="petakan unit SIASN GUID ke unit kerja KODE (boleh berulang)"),
    offline: bool = typer.Option(False, "--offline",
                                 help="jangan ambil ref-unor dari SIASN, tampilkan yang tersimpan"),
    as_json: bool = typer.Option(False, "--json", help="cetak sebagai satu objek JSON"),
) -> None:
    """Pemetaan unit SIASN (GUID) ke kode unit kerja daerah; yang belum cocok didaftar."""
    from diklat import unor
    from diklat.db import ensure_schema, get_engine

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
        common.print_json({"pemetaan": hasil or None, "belum_dipetakan": belum_n,
                           "unor": rows})
        return
    from rich import box
    from rich.table import Table

    table = Table(title="Unit SIASN dan unit kerja", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("GUID SIASN", "Nama di SIASN", "Unit kerja", "Cara"):
        table.add_column(col, overflow="fold")
    table.add_column("Catatan", overflow="fold", ratio=1)
    for r in rows:
        table.add_row(r["id_siasn"], r["nama"], r["unit_kode"] or "-", r["cara"] or "-",
                      r["catatan"] or "")
    common.console.print(table)
    if belum_n:
        common.notice(f"{belum_n} unit SIASN belum dipetakan; petakan dengan "
                      "`diklat siasn unor --set GUID=KODE`")


def add_commands(app: typer.Typer) -> None:
    """Add ``diklat siasn ...`` to the main app."""
    app.add_typer(siasn_app, name="siasn")
