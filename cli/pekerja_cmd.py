"""``diklat pekerja``: a worker of the process work pool the deployments are registered in
(``python -m flows.deployments --pool``), whose runs start warm (:mod:`flows.pekerja`)."""

from __future__ import annotations

import typer

from cli import common


def pekerja(
    pool: str = typer.Option("diklat", "--pool", help="work pool deployment"),
    nama: str | None = typer.Option(None, "--name", help="nama worker (bawaan: acak)"),
    limit: int | None = typer.Option(None, "--limit", help="jumlah run bersamaan"),
    tanpa_induk: bool = typer.Option(
        False, "--tanpa-induk", help="setiap run memuat Prefect dan flow sendiri (lebih lambat)"
    ),
) -> None:
    """Worker proses untuk work pool: setiap run dan setiap lanjutannya (sesudah paraf,
    tanda tangan, masukan operator) dimulai dari satu proses induk yang sudah memuat Prefect
    dan semua flow, bukan dari proses Python baru. Berhenti dengan Ctrl-C."""
    from cli.prefect_server import configured_api_url, use_local_server_if_running

    if not (configured_api_url() or use_local_server_if_running()):
        raise common.fail(
            "tidak ada server Prefect: atur PREFECT_API_URL ke server bersama, atau jalankan "
            "`diklat server start` di mesin ini"
        )
    from flows.pekerja import main

    argv = ["--pool", pool]
    argv += ["--name", nama] if nama else []
    argv += ["--limit", str(limit)] if limit else []
    argv += ["--tanpa-induk"] if tanpa_induk else []
    main(argv)


def add_commands(app: typer.Typer) -> None:
    app.command("pekerja")(pekerja)
