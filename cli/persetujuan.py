"""``diklat approvals ...``, ``diklat approve``, ``diklat riwayat-keputusan`` and ``diklat web``:
answering paraf and signature requests from a terminal (through the same checks as the Prefect
UI's form), their timeline, and the verification/signing web page."""

from __future__ import annotations

from typing import Any

import typer

from cli import common

approvals_app = common.new_app(help="Permintaan paraf dan tanda tangan yang menunggu.")

EXIT_REFUSED = 1


def _db_fail(e: Exception) -> typer.Exit:
    first = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
    return common.fail(
        f"basis data tidak dapat dipakai ({first}); sudah menjalankan `diklat init`?"
    )


def _kirim() -> Any:
    from cli.flowrun import quiet_prefect_console

    quiet_prefect_console()  # before Prefect's logging starts: a refusal is one line, ours
    from tasks.persetujuan import kirim_surel

    return kirim_surel


@approvals_app.command("list")
def approvals_list(
    as_json: bool = typer.Option(False, "--json", help="cetak JSON (array)"),
) -> None:
    """Yang menunggu keputusan: naskah, tingkat, peran, pejabat, sejak, tenggat."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.db import session_scope
    from diklat.naskah.persetujuan import daftar_menunggu

    try:
        with session_scope() as s:
            rows = daftar_menunggu(s)
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if as_json:
        common.print_json(rows)
        return
    from rich.table import Table

    t = Table(
        "ID",
        "Kegiatan",
        "Naskah",
        "Tingkat",
        "Peran",
        "Pejabat",
        "Tenggat",
        "",
        title="Menunggu paraf / tanda tangan",
    )
    for r in rows:
        late = (
            "[red]terlambat[/]"
            if r["terlambat"]
            else ("[yellow]terkunci[/]" if r["status"] == "terkunci" else "")
        )
        t.add_row(
            str(r["id"]),
            r["kegiatan"],
            f"{r['naskah']} ({r['jumlah']})",
            f"{r['level']} {r['kind']}",
            r["peran"],
            r["nama"] or "-",
            (r["tenggat"] or "-")[:16].replace("T", " "),
            late,
        )
    common.console.print(t)


@approvals_app.command("kirim-ulang")
def approvals_resend(
    permintaan_id: int = typer.Argument(
        ..., metavar="ID", min=1, max=common.MAX_ID, help="ID permintaan"
    ),
) -> None:
    """Kirim kode verifikasi baru kepada pejabat yang diminta."""
    from diklat.db import session_scope
    from diklat.models import Permintaan
    from diklat.naskah.persetujuan import PersetujuanError, kirim_kode, tautan_run

    try:
        with session_scope() as s:
            p = s.get(Permintaan, permintaan_id)
            if p is None:
                raise common.fail(f"permintaan {permintaan_id} tidak ada", 2)
            if not kirim_kode(s, p, _kirim(), ui_url=tautan_run(p.flow_run_id), paksa=True):
                raise common.fail(f"permintaan {permintaan_id} tidak menunggu ({p.status})")
    except PersetujuanError as e:
        raise common.fail(str(e)) from None
    common.console.print(f"Kode baru dikirim untuk permintaan {permintaan_id}")


@approvals_app.command("buka-kunci")
def approvals_unlock(
    permintaan_id: int = typer.Argument(
        ..., metavar="ID", min=1, max=common.MAX_ID, help="ID permintaan"
    ),
    alasan: str = typer.Option(..., "--alasan", help="mengapa dibuka"),
) -> None:
    """Buka permintaan yang terkunci (terlalu banyak jawaban ditolak) dan kirim kode baru."""
    from diklat.db import session_scope
    from diklat.models import AuditPersetujuan, Bundel, Permintaan
    from diklat.naskah.persetujuan import MENUNGGU, TERKUNCI, kirim_kode, pindah, tautan_run

    with session_scope() as s:
        p = s.get(Permintaan, permintaan_id)
        if p is None:
            raise common.fail(f"permintaan {permintaan_id} tidak ada", 2)
        if p.status != TERKUNCI:
            raise common.fail(f"permintaan {permintaan_id} tidak terkunci ({p.status})")
        b = s.get(Bundel, p.bundel_id)
        pindah(p, MENUNGGU)
        p.salah = 0
        s.add(
            AuditPersetujuan(
                bundel_id=b.id if b else None,
                permintaan_id=p.id,
                peran=p.peran,
                hasil="dibuka",
                alasan=alasan.strip()[:2000],
            )
        )
        s.flush()
        kirim_kode(s, p, _kirim(), ui_url=tautan_run(p.flow_run_id), paksa=True)
    common.console.print(f"Permintaan {permintaan_id} dibuka; kode baru dikirim")


def approve_command(
    permintaan_id: int = typer.Argument(
        ..., metavar="ID", min=1, max=common.MAX_ID, help="ID permintaan (diklat approvals list)"
    ),
    nip: str = typer.Option(..., "--nip", help="NIP Anda"),
    kode: str = typer.Option(..., "--kode", help="kode verifikasi dari surel"),
    keputusan: str = typer.Option(..., "--keputusan", help="setuju, revisi atau tolak"),
    catatan: str = typer.Option("", "--catatan", help="wajib untuk revisi dan tolak"),
    dokumen: str = typer.Option(
        "", "--dokumen", help="revisi bundel: nomor dokumen, mis. 2,5 (kosong: semua)"
    ),
) -> None:
    """Putuskan satu permintaan paraf/tanda tangan/disposisi (pemeriksaan sama dengan
    formulir UI). Jawaban yang sama dua kali: dilaporkan sudah diputuskan, tidak ada yang
    dilanjutkan."""
    from sqlalchemy.exc import SQLAlchemyError

    from diklat.db import session_scope
    from diklat.naskah.persetujuan import PersetujuanError, putuskan

    nomor: list[int] = []
    for part in dokumen.replace(";", ",").split(","):
        if part.strip():
            if not part.strip().isdigit():
                raise common.refuse(f"--dokumen: {part.strip()!r} bukan nomor")
            nomor.append(int(part))
    try:
        with session_scope() as s:
            h = putuskan(
                s,
                permintaan_id,
                nip=nip,
                kode=kode,
                keputusan=keputusan,
                catatan=catatan,
                kirim=_kirim(),
                dokumen=nomor or None,
            )
            from diklat.models import Permintaan

            p = s.get(Permintaan, permintaan_id)
            flow_run_id = p.flow_run_id if p else None
    except PersetujuanError as e:
        raise common.fail(str(e), 2) from None
    except SQLAlchemyError as e:
        raise _db_fail(e) from None
    if not h.diterima:
        raise common.fail(f"ditolak: {h.alasan}", EXIT_REFUSED)
    # only the wait this request is under is resumed (never a later one of the same run)
    from cli.prefect_server import lanjutkan_run

    resumed = lanjutkan_run(
        flow_run_id,
        f"p{permintaan_id}-",
        {"keputusan": keputusan, "nip": nip, "kode": kode, "catatan": catatan, "dokumen": dokumen},
    )
    if h.sudah:
        common.console.print(
            f"Permintaan {permintaan_id} sudah diputuskan ({h.keputusan}) "
            "sebelumnya" + ("; run dilanjutkan" if resumed else "; tidak ada yang dilanjutkan")
        )
        return
    common.console.print(
        f"Keputusan {keputusan} atas permintaan {permintaan_id} diterima"
        + ("; run dilanjutkan" if resumed else "; run akan melanjutkan saat dijalankan lagi")
    )


def riwayat_keputusan_command(
    kode: str = typer.Argument(..., help="kode kegiatan"),
    as_json: bool = typer.Option(False, "--json", help="cetak JSON (array)"),
) -> None:
    """Riwayat keputusan paraf/tanda tangan sebuah kegiatan, termasuk jawaban yang ditolak."""
    from diklat.db import session_scope
    from diklat.kegiatan.data import KegiatanTidakAda, kegiatan_by_kode
    from diklat.naskah.persetujuan import riwayat

    try:
        with session_scope() as s:
            rows = riwayat(s, kegiatan_by_kode(s, kode).id)
    except KegiatanTidakAda as e:
        raise common.fail(str(e)) from None
    if as_json:
        common.print_json(rows)
        return
    from rich.table import Table

    t = Table(
        "Waktu",
        "Naskah",
        "Tingkat",
        "Peran",
        "Nama",
        "Keputusan",
        "Hasil",
        "Alasan",
        title=f"Riwayat keputusan {kode}",
    )
    for r in rows:
        t.add_row(
            r["waktu"][:16].replace("T", " "),
            r["naskah"],
            str(r["level"] or ""),
            r["peran"] or "",
            r["nama"] or "-",
            r["keputusan"] or "",
            r["hasil"],
            r["alasan"] or "",
        )
    common.console.print(t)


def web_command(
    host: str = typer.Option("127.0.0.1", "--host", help="alamat dengar"),
    port: int = typer.Option(8000, "--port", min=1, max=common.MAX_PORT, help="port"),
) -> None:
    """Halaman verifikasi naskah (tujuan kode QR) dan halaman tanda tangan BSrE."""
    from web.app import serve

    common.console.print(f"Halaman verifikasi: http://{host}:{port}/v/<token> (Ctrl-C berhenti)")
    serve(host, port)


def add_commands(app: typer.Typer) -> None:
    app.add_typer(approvals_app, name="approvals")
    app.command("approve")(approve_command)
    app.command("riwayat-keputusan")(riwayat_keputusan_command)
    app.command("web")(web_command)
