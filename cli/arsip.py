"""CLI: ``diklat archive verify|find`` (the archive) and ``diklat distribusi list|lepas|
konfirmasi|jejak`` (deliveries that need an operator). Register with ``add_commands(app)``."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from cli import common

archive_app = common.new_app(
    help="Arsip digital: periksa keutuhan berkas, cari arsip.", no_args_is_help=True
)
distribusi_app = common.new_app(
    help="Distribusi naskah (surel): daftar pengiriman, lepas atau konfirmasi yang perlu dicek.",
    no_args_is_help=True,
)

T = TypeVar("T")


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return ""


def _run(work: Callable[[Any], T]) -> T:
    """Run ``work(session)`` in one transaction; rule, store and database errors become one
    line and a non-zero exit (2), never a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.arsip import ArsipError
    from diklat.db import session_scope
    from diklat.naskah.distribusi import DistribusiError

    try:
        with session_scope() as s:
            return work(s)
    except (ArsipError, DistribusiError) as e:
        raise common.fail(str(e), 2) from e
    except SQLAlchemyError as e:
        first = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        raise common.fail(
            f"basis data tidak dapat dipakai ({first}); sudah menjalankan `diklat init`?", 2
        ) from e
    except OSError as e:  # the archive's folder or object store
        raise common.fail(f"penyimpanan arsip tidak dapat dipakai: {e}", 2) from e


# --------------------------------------------------------------------------- archive


@archive_app.command("verify")
def archive_verify(
    as_json: bool = typer.Option(False, "--json", help="cetak JSON"),
) -> None:
    """Hitung ulang SHA-256 setiap berkas arsip; keluar 1 bila ada yang hilang atau berubah."""
    from diklat.arsip import verify_all
    from diklat.clients import archive_store

    def work(s: Any) -> dict[str, Any]:
        return verify_all(s, archive_store())

    result = _run(work)
    bad = result["missing"] + result["altered"]
    if as_json:
        common.print_json(result)
    else:
        if result["items"]:
            from rich.table import Table

            table = Table(title="Arsip bermasalah")
            for col in ("ID", "Status", "Nomor", "Berkas", "SHA-256"):
                table.add_column(col, overflow="fold")
            for i in result["items"]:
                status = "[red]hilang[/]" if i["status"] == "missing" else "[red]berubah[/]"
                table.add_row(
                    str(i["id"]), status, i["nomor"] or "", i["nama_file"], i["sha256"][:16] + "…"
                )
            common.console.print(table)
        common.console.print(
            f"{result['checked']} diperiksa: {result['ok']} utuh, {result['missing']} hilang, "
            f"{result['altered']} berubah"
        )
    raise typer.Exit(1 if bad else 0)


@archive_app.command("find")
def archive_find(
    nomor: str = typer.Option(None, "--nomor", help="nomor naskah (sebagian pun boleh)"),
    kegiatan: str = typer.Option(None, "--kegiatan", help="kode kegiatan, mis. PK-2026-001"),
    nip: str = typer.Option(None, "--nip", help="NIP pegawai yang bersangkutan"),
    klasifikasi: str = typer.Option(
        None, "--klasifikasi", help="kode klasifikasi atau awalannya, mis. 800.2.4"
    ),
    as_json: bool = typer.Option(False, "--json", help="cetak JSON (array)"),
) -> None:
    """Cari arsip menurut nomor, kegiatan, NIP atau kode klasifikasi."""
    from diklat.arsip import find

    if not any((nomor, kegiatan, nip, klasifikasi)):
        raise common.fail(
            "beri paling sedikit satu dari --nomor, --kegiatan, --nip, --klasifikasi", 2
        )
    rows = _run(
        lambda s: [
            e.as_dict()
            for e in find(s, nomor=nomor, kegiatan=kegiatan, nip=nip, klasifikasi=klasifikasi)
        ]
    )
    if as_json:
        common.print_json(rows)
        return
    from rich.table import Table

    table = Table(title="Arsip")
    for col in ("ID", "Tanggal", "Nomor", "Jenis", "Klasifikasi", "Retensi", "Kegiatan", "Berkas"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["tanggal"] or "",
            r["nomor"] or "",
            r["jenis"] or "",
            r["klasifikasi"] or "",
            f"{r['retensi_tahun']} th" if r["retensi_tahun"] is not None else "",
            r["kegiatan"] or "",
            r["nama_file"],
        )
    common.console.print(table)
    common.console.print(f"{len(rows)} arsip")


# --------------------------------------------------------------------------- distribusi


@distribusi_app.command("list")
def distribusi_list(
    status: list[str] = typer.Option(
        None,
        "--status",
        help=("antri, mengirim, terkirim, tertunda, gagal, perlu_cek, manual (boleh diulang)"),
    ),
    kegiatan: str = typer.Option(None, "--kegiatan", help="kode kegiatan"),
    naskah: int = typer.Option(None, "--naskah", min=1, max=common.MAX_ID, help="id naskah"),
    as_json: bool = typer.Option(False, "--json", help="cetak JSON (array)"),
) -> None:
    """Daftar pengiriman naskah dengan statusnya (yang perlu_cek dan manual butuh operator)."""
    from sqlalchemy import select

    from diklat.models import Kegiatan
    from diklat.naskah.distribusi import DistribusiError, daftar

    def work(s: Any) -> list[dict[str, Any]]:
        kegiatan_id = None
        if kegiatan:
            kegiatan_id = s.execute(
                select(Kegiatan.id).where(Kegiatan.kode == kegiatan)
            ).scalar_one_or_none()
            if kegiatan_id is None:
                raise DistribusiError(f"kegiatan {kegiatan} tidak ada")
        return daftar(s, status=status or None, kegiatan_id=kegiatan_id, naskah_id=naskah)

    rows = _run(work)
    if as_json:
        common.print_json(rows)
        return
    from rich.table import Table

    table = Table(title="Distribusi naskah")
    for col in (
        "ID",
        "Naskah",
        "Penerima",
        "Alamat",
        "Saluran",
        "Status",
        "Coba",
        "Waktu",
        "Keterangan",
    ):
        table.add_column(col, overflow="fold")
    colour = {
        "terkirim": "green",
        "perlu_cek": "red",
        "gagal": "red",
        "manual": "yellow",
        "tertunda": "yellow",
    }
    for r in rows:
        st = r["status"]
        table.add_row(
            str(r["id"]),
            str(r["naskah_id"]),
            r["nama_penerima"] or r["penerima"],
            r["alamat"] or "-",
            r["saluran"],
            f"[{colour[st]}]{st}[/]" if st in colour else st,
            str(r["attempts"]),
            (r["sent_at"] or r["updated_at"] or "")[:19],
            r["error"] or "",
        )
    common.console.print(table)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    common.console.print(
        f"{len(rows)} pengiriman"
        + (": " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) if counts else "")
    )


def _operator_command(
    change: Callable[..., dict[str, Any]],
    distribusi_id: int,
    alasan: str,
    oleh: str | None,
    as_json: bool,
    done: str,
) -> None:
    who = oleh or _operator()
    row = _run(lambda s: change(s, distribusi_id, alasan=alasan, oleh=who))
    if as_json:
        common.print_json(row)
    else:
        common.console.print(f"Distribusi {row['id']} {done} oleh {who}: status {row['status']}")


@distribusi_app.command("lepas")
def distribusi_lepas(
    distribusi_id: int = typer.Argument(
        ..., metavar="ID", min=1, max=common.MAX_ID, help="id pengiriman"
    ),
    alasan: str = typer.Option(..., "--alasan", help="mengapa boleh dikirim ulang"),
    oleh: str = typer.Option(None, "--oleh", help="nama operator (bawaan: pengguna OS)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Lepaskan pengiriman perlu_cek/gagal/manual agar dikirim ulang (diaudit)."""
    from diklat.naskah.distribusi import lepas

    _operator_command(lepas, distribusi_id, alasan, oleh, as_json, "dilepas")


@distribusi_app.command("konfirmasi")
def distribusi_konfirmasi(
    distribusi_id: int = typer.Argument(
        ..., metavar="ID", min=1, max=common.MAX_ID, help="id pengiriman"
    ),
    alasan: str = typer.Option(
        ..., "--alasan", help="bukti: log server surel, jawaban penerima, tanda terima"
    ),
    oleh: str = typer.Option(None, "--oleh", help="nama operator (bawaan: pengguna OS)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Tandai pengiriman sudah sampai: dicek atau diserahkan langsung (diaudit)."""
    from diklat.naskah.distribusi import konfirmasi

    _operator_command(konfirmasi, distribusi_id, alasan, oleh, as_json, "dikonfirmasi")
    _lanjutkan_pengiriman(distribusi_id)


def _lanjutkan_pengiriman(distribusi_id: int) -> None:
    """The last open delivery of a letter confirmed: the sending step that waits for it
    checks again (only a run waiting for that bundle's deliveries is resumed)."""
    from sqlalchemy import select

    from diklat.db import session_scope
    from diklat.models import Distribusi, Kegiatan, Naskah

    with session_scope() as s:
        d = s.get(Distribusi, distribusi_id)
        n = s.get(Naskah, d.naskah_id) if d is not None else None
        if n is None or n.bundel_id is None:
            return
        open_ = s.execute(
            select(Distribusi.id)
            .join(Naskah, Naskah.id == Distribusi.naskah_id)
            .where(Naskah.bundel_id == n.bundel_id, Distribusi.status != "terkirim")
        ).first()
        k = s.get(Kegiatan, n.kegiatan_id) if n.kegiatan_id else None
        if open_ is not None or k is None or not k.flow_run_id:
            return
        flow_run_id, bundel_id = k.flow_run_id, n.bundel_id
    from cli.prefect_server import lanjutkan_run

    if lanjutkan_run(flow_run_id, f"d{bundel_id}-", {"nip": "", "catatan": "dikonfirmasi"}):
        common.console.print("Semua pengiriman naskah ini selesai; run dilanjutkan")


@distribusi_app.command("rekonsiliasi")
def distribusi_rekonsiliasi(
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Selesaikan klaim `mengirim` yang kedaluwarsa (proses terhenti): outbox -> terkirim
    atau tertunda, SMTP -> perlu_cek."""
    from diklat.clients import mail_transport
    from diklat.db import get_engine
    from diklat.naskah.distribusi import rekonsiliasi

    def work(s: Any) -> list[dict[str, Any]]:
        with mail_transport() as t:
            return [h.as_dict() for h in rekonsiliasi(get_engine(), t)]

    rows = _run(work)
    if as_json:
        common.print_json(rows)
        return
    for r in rows:
        common.console.print(f"distribusi {r['distribusi_id']}: {r['status']}")
    common.console.print(f"{len(rows)} klaim kedaluwarsa diselesaikan")


@distribusi_app.command("jejak")
def distribusi_jejak(
    distribusi_id: int = typer.Argument(
        ..., metavar="ID", min=1, max=common.MAX_ID, help="id pengiriman"
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Jejak audit satu pengiriman: klaim, percobaan, hasil, tindakan operator."""
    from diklat.naskah.distribusi import jejak

    rows = _run(lambda s: jejak(s, distribusi_id))
    if as_json:
        common.print_json(rows)
        return
    from rich.table import Table

    table = Table(title=f"Jejak distribusi {distribusi_id}")
    for col in ("Waktu", "Peristiwa", "Dari", "Ke", "Coba", "Oleh", "Keterangan"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["at"][:19],
            r["peristiwa"],
            r["dari"] or "",
            r["ke"],
            str(r["attempts"]),
            r["oleh"] or "",
            r["keterangan"] or "",
        )
    common.console.print(table)


def add_commands(app: typer.Typer) -> None:
    """Add ``archive`` and ``distribusi`` to the main app."""
    app.add_typer(archive_app, name="archive")
    app.add_typer(distribusi_app, name="distribusi")
