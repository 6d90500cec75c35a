"""``diklat simulator``: serve the bundled SIMPEG/SIASN simulator, or write SIASN's
"Export Data ASN" file for the same generated employees (``diklat simulator export-csv``)."""

from __future__ import annotations

from pathlib import Path

import typer

from cli import common

simulator_app = common.new_app(
    help="Simulator SIMPEG/SIASN lokal (data sintetis, injeksi gangguan) untuk demo dan uji.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@simulator_app.callback()
def simulator(
    ctx: typer.Context,
    port: int = typer.Option(
        None,
        "--port",
        min=1,
        max=common.MAX_PORT,
        help="port (bawaan: 8765, sama dengan pengaturan)",
    ),
    pegawai: int = typer.Option(
        1000, "--pegawai", min=1, max=common.MAX_PEGAWAI, help="jumlah pegawai"
    ),
    seed: int = typer.Option(1, "--seed", help="benih data (data sama untuk benih sama)"),
    bad_share: float = typer.Option(
        0.0,
        "--bad-share",
        min=0.0,
        max=0.5,
        help="porsi rekaman rusak (NIP salah, unit kosong, ...)",
    ),
    fail_share: float = typer.Option(
        0.0, "--fail-share", min=0.0, max=1.0, help="porsi jawaban 500/502/503"
    ),
    rate_limit_share: float = typer.Option(
        0.0, "--rate-limit-share", min=0.0, max=1.0, help="porsi jawaban 429 (Retry-After)"
    ),
    slow_share: float = typer.Option(
        0.0, "--slow-share", min=0.0, max=1.0, help="porsi jawaban lambat"
    ),
    slow_seconds: float = typer.Option(
        5.0, "--slow-seconds", min=0.0, max=3600.0, help="lama jawaban lambat (detik)"
    ),
    drop_share: float = typer.Option(
        0.0, "--drop-share", min=0.0, max=1.0, help="porsi koneksi diputus tanpa jawaban"
    ),
    cut_share: float = typer.Option(
        0.0, "--cut-share", min=0.0, max=1.0, help="porsi jawaban diputus di tengah isi"
    ),
    truncate_share: float = typer.Option(
        0.0, "--truncate-share", min=0.0, max=1.0, help="porsi JSON terpotong"
    ),
    fault_seed: int = typer.Option(0, "--fault-seed", help="benih gangguan"),
    gateway_ttl: float = typer.Option(
        3600, "--gateway-ttl", min=1.0, max=31_536_000.0, help="umur token gateway (detik)"
    ),
    sso_ttl: float = typer.Option(
        43200, "--sso-ttl", min=1.0, max=31_536_000.0, help="umur token SSO (detik)"
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="alamat (bawaan: loopback saja)"),
) -> None:
    """Jalankan simulator SIMPEG dan SIASN sampai dihentikan (Ctrl-C)."""
    if ctx.invoked_subcommand is not None:
        return
    from diklat.settings import SIMULATOR_PORT
    from simulator.server import serve

    port = SIMULATOR_PORT if port is None else port
    faults = {
        "fail_share": fail_share,
        "rate_limit_share": rate_limit_share,
        "slow_share": slow_share,
        "slow_seconds": slow_seconds,
        "drop_share": drop_share,
        "cut_share": cut_share,
        "truncate_share": truncate_share,
        "seed": fault_seed,
    }
    if sum(v for k, v in faults.items() if k.endswith("_share")) > 1:
        raise common.fail("jumlah porsi gangguan melebihi 1")
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:  # fail fast, before generating the data
            probe.bind((host, port))
        except OSError as e:
            raise common.fail(f"tidak bisa memakai {host}:{port}: {e.strerror}") from e
    base = f"http://{host}:{port}"
    c = common.err_console
    c.soft_wrap = True  # URLs stay on one line (copy-paste)
    c.print(
        f"[bold]Simulator SIMPEG/SIASN[/]: {pegawai} pegawai, seed {seed}, "
        f"rekaman rusak {bad_share:.1%}, gangguan 5xx {fail_share:.1%}"
    )
    c.print(f"  SIMPEG : {base}/simpeg/api/v1   (header X-API-Key: simulator-key)")
    c.print(
        f"  SIASN  : {base}/apisiasn/1.0   token gateway POST {base}/oauth2/token "
        "(Basic simulator:simulator-secret)"
    )
    c.print(
        f"           SSO POST {base}/auth/realms/public-siasn/protocol/openid-connect/token "
        "(password: simulator-password)"
    )
    c.print(
        f"  Kendali: {base}/_control/faults, /_control/mutate, /_control/stats; "
        f"dokumentasi {base}/_docs"
    )
    if port != SIMULATOR_PORT:
        c.print(
            f"  Arahkan produk: DIKLAT_SIMPEG__URL={base}/simpeg/api/v1 "
            f"DIKLAT_SIASN__URL={base} DIKLAT_SIASN__SSO_URL={base}"
        )
    serve(
        n_pegawai=pegawai,
        seed=seed,
        bad_share=bad_share,
        host=host,
        port=port,
        faults=faults,
        gateway_ttl=gateway_ttl,
        sso_ttl=sso_ttl,
    )


_DELIMITERS = {",": ",", ";": ";", "pipe": "|", "|": "|", "tab": "\t", "\\t": "\t"}


@simulator_app.command("export-csv")
def export_csv(
    out: Path = typer.Option(..., "--out", help="berkas keluaran (.csv)"),
    pegawai: int = typer.Option(
        1000, "--pegawai", min=1, max=common.MAX_PEGAWAI, help="jumlah pegawai"
    ),
    seed: int = typer.Option(1, "--seed", help="benih data (sama dengan server)"),
    bad_share: float = typer.Option(
        0.0, "--bad-share", min=0.0, max=0.5, help="porsi rekaman rusak"
    ),
    delimiter: str = typer.Option(",", "--delimiter", help="pemisah: , ; pipe tab"),
    bom: bool = typer.Option(False, "--bom", help="tulis BOM UTF-8 di awal berkas"),
    crlf: bool = typer.Option(False, "--crlf", help="akhir baris CRLF (bawaan LF)"),
    new_columns: bool = typer.Option(
        False, "--new-columns", help="tambah kolom baru nama_sekolah, flag_ikd"
    ),
    as_json: bool = typer.Option(False, "--json", help="ringkasan sebagai JSON"),
    timpa: bool = typer.Option(False, "--timpa", help=common.TIMPA_HELP),
) -> None:
    """Tulis berkas "Export Data ASN" SIASN untuk data simulator yang sama."""
    from simulator.export_csv import write_export

    if delimiter not in _DELIMITERS:
        raise common.refuse(f"pemisah tidak dikenal: {delimiter!r} (pakai , ; pipe tab)")
    k = common.keluaran_berkas(out, (".csv", ".txt"), timpa)
    with common.tulis_keluaran(k) as tmp:
        summary = write_export(
            tmp,
            n_pegawai=pegawai,
            seed=seed,
            bad_share=bad_share,
            delimiter=_DELIMITERS[delimiter],
            bom=bom,
            crlf=crlf,
            new_columns=new_columns,
        )
    summary["path"] = str(k.target)
    if as_json:
        common.print_json(summary)
    else:
        common.console.print(
            f"{summary['rows']} baris ditulis ke {k.target} "
            f"({summary['bytes']} bita, {summary['seconds']:.2f} s)"
        )


def add_commands(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.add_typer(simulator_app, name="simulator")
