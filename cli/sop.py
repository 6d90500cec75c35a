"""``diklat sop``: the SOP catalogue on the terminal (``list``, ``show <code> [--json]``)."""

from __future__ import annotations

import typer
from rich.console import Console

from cli import common

sop_app = common.new_app(help="Katalog SOP pelatihan (langkah, pelaksana, waktu baku).")


def _console() -> Console:
    """The shared console: the terminal's width, or 120 columns when output is piped."""
    return common.console


@sop_app.command("list")
def sop_list(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Daftar SOP dalam katalog."""
    from diklat.sop import CatalogueError, load_catalogue

    try:
        catalogue = load_catalogue()
    except CatalogueError as e:
        raise common.fail(str(e)) from e
    if as_json:
        common.print_json(
            [
                {
                    "code": s.code,
                    "title": s.title,
                    "instansi": s.instansi,
                    "nomor_sop": s.nomor_sop,
                    "steps": len(s.steps),
                    "reconstructed": s.reconstructed_count,
                }
                for s in catalogue.values()
            ]
        )
        return
    from rich.table import Table

    table = Table("Kode", "Judul", "Instansi", "Langkah", "Rekonstruksi", title="Katalog SOP")
    for s in catalogue.values():
        table.add_row(s.code, s.title, s.instansi, str(len(s.steps)), str(s.reconstructed_count))
    _console().print(table)


@sop_app.command("show")
def sop_show(
    code: str = typer.Argument(..., help="kode SOP, mis. pengiriman-peserta"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Semua langkah satu SOP dengan waktu baku yang sudah diurai."""
    from diklat.sop import CatalogueError, UnknownSop, get_sop

    try:
        sop = get_sop(code)
    except UnknownSop as e:
        raise common.fail(str(e)) from e
    except CatalogueError as e:
        raise common.fail(str(e)) from e
    if as_json:
        common.print_json(sop.as_json())
        return
    from rich.table import Table

    table = Table(
        title=f"{sop.title} ({sop.code}) - {sop.instansi}\nNomor SOP {sop.nomor_sop}",
        show_lines=True,
    )
    table.add_column("No", justify="right", no_wrap=True)
    table.add_column("Kegiatan", ratio=4)
    table.add_column("Pelaksana", ratio=2)
    table.add_column("Kelengkapan", ratio=2)
    table.add_column("Waktu", no_wrap=True)
    table.add_column("Min-Maks", no_wrap=True)
    table.add_column("Output", ratio=2)
    table.add_column("Ket. / persetujuan / naskah", ratio=3)
    for st in sop.steps:
        extra = []
        if st.approval:
            a = st.approval
            extra.append(f"{a.kind}: {' > '.join(a.roles)}")
            if a.return_to:
                extra.append(f"tolak -> {a.return_to}")
            extra.extend(f"{k}: {v}" for k, v in a.kind_when.items())
        if st.naskah:
            extra.append(f"naskah {st.naskah}")
        for flag in ("agenda", "distribusi", "arsip"):
            if getattr(st, flag):
                extra.append(flag)
        if st.kondisi:
            extra.append(f"hanya bila {st.kondisi}")
        no = f"{st.no}*" if st.reconstructed else str(st.no)
        lo, hi = st.waktu_min, st.waktu_max
        rentang = (
            "-"
            if lo is None or hi is None
            else (lo.iso() if lo == hi else f"{lo.iso()}..{hi.iso()}")
        )
        ket = "\n".join([st.keterangan, *extra] if st.keterangan else extra)
        table.add_row(
            no,
            st.kegiatan,
            ", ".join(sop.pelaksana_nama(st)),
            st.kelengkapan,
            st.waktu,
            rentang,
            st.output,
            ket,
        )
    console = _console()
    console.print(table)
    if sop.reconstructed_count:
        console.print(
            f"* {sop.reconstructed_count} langkah direkonstruksi "
            f"(tidak ada/tidak terbaca di sumber); alasan: --json"
        )


def add_commands(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.add_typer(sop_app, name="sop")
