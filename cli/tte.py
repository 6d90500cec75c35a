"""``diklat tte``: the local certificate authority and the verification of signed PDFs.

``diklat tte init [--folder var/tte] [--org NAME]`` creates the local CA (root + time-stamping
certificate; idempotent). ``diklat tte verify FILE [--json] [--trust PEM ...]`` validates a PDF's
signatures against the trust roots (``DIKLAT_TTE__TRUST_ROOTS``, else the local root) and exits
0 only when the file is validly signed and unchanged since signing, 1 otherwise, 2 when the file
cannot be read. The lead registers these commands with :func:`add_commands`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from cli import common

tte_app = common.new_app(
    help="Tanda tangan elektronik (TTE): CA lokal dan verifikasi PDF.", no_args_is_help=True
)


def _settings_helper() -> tuple[Path, list[Path], str]:
    """(CA folder, trust roots, organisation name) from the settings."""
    from diklat.clients import ca_dir, trust_roots
    from diklat.settings import get_settings

    s = get_settings()
    region = s.instansi.pemerintah.removeprefix("PEMERINTAH ").title()
    return ca_dir(s), trust_roots(s), f"{s.instansi.singkatan} {region}"


@tte_app.command("init")
def tte_init(
    folder: Path = typer.Option(None, "--folder", help="folder CA (bawaan: var/tte)"),
    org: str = typer.Option(None, "--org", help="nama organisasi pada sertifikat"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Buat CA lokal (root dan sertifikat cap waktu); aman dijalankan berulang."""
    from connectors.tte.local_ca import CaError, init_ca

    default_dir, _roots, default_org = _settings_helper()
    if folder is not None:  # a folder the operator named: inside an existing one, never a file
        folder = common.keluaran_folder(folder, opsi="--folder").target
    try:
        info = init_ca(folder or default_dir, org or default_org)
    except CaError as e:
        raise common.fail(str(e)) from e
    data = {
        "folder": str(info.folder),
        "created": info.created,
        "org_name": info.org_name,
        "root_cert": str(info.root_cert),
        "root_sha256": info.root_sha256,
    }
    if as_json:
        common.print_json(data)
        return
    what = "dibuat" if info.created else "sudah ada"
    common.console.print(
        f"CA lokal {what}: {info.folder} ({info.org_name})\n"
        f"Root: {info.root_cert}\nSHA-256: {info.root_sha256}"
    )


@tte_app.command("verify")
def tte_verify(
    file: Path = typer.Argument(..., help="PDF yang diperiksa"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    trust: list[Path] = typer.Option(None, "--trust", help="berkas PEM akar tepercaya (ulang)"),
) -> None:
    """Periksa tanda tangan elektronik sebuah PDF; keluar 0 hanya bila sah dan utuh."""
    from connectors.tte.verify import verify_pdf

    # pyHanko reports validation details (with tracebacks) as warnings: the result says it all
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        pdf = file.read_bytes()
    except OSError as e:
        raise common.fail(f"berkas tidak dapat dibaca: {e.strerror}", code=2) from e
    _dir, roots, _org = _settings_helper()
    roots = list(trust or roots)
    missing = [str(r) for r in roots if not Path(r).is_file()]
    if missing:
        raise common.fail(
            f"akar tepercaya tidak ada: {', '.join(missing)} "
            f"(jalankan `diklat tte init` atau atur DIKLAT_TTE__TRUST_ROOTS)",
            code=2,
        )
    from diklat import waktu
    from diklat.rules.tanggal import label_zona
    from diklat.settings import get_settings

    tz = get_settings().timezone  # times in the agency's zone (WITA), not UTC
    r = verify_pdf(pdf, roots, timezone=tz, zone_label=label_zona(tz))
    data = {
        "valid": r.valid,
        "intact": r.intact,
        "signer": r.signer,
        "signed_at": waktu.lokal(r.signed_at).isoformat(timespec="seconds")
        if r.signed_at
        else None,
        "trusted": r.trusted,
        "timestamped": r.timestamped,
        "modified_after_signing": r.modified_after_signing,
        "reason": r.reason,
        "sha256": r.sha256,
        "nomor": _nomor(r.sha256),
    }
    if as_json:
        common.print_json(data)
    else:
        mark = "[green]SAH[/]" if r.valid else "[red]TIDAK SAH[/]"
        common.console.print(f"{mark} {file.name}: {r.reason}")
        for k in ("intact", "trusted", "timestamped", "signer", "signed_at"):
            common.console.print(f"  {k}: {data[k]}")
    raise typer.Exit(0 if r.valid else 1)


def _nomor(sha256: str | None) -> str | None:
    """The register number of the letter whose signed PDF has this hash (one of ours)."""
    if not sha256:
        return None
    try:
        from sqlalchemy import select

        from diklat.db import session_scope
        from diklat.models import Naskah, NaskahBerkas

        with session_scope() as s:
            row = s.execute(
                select(Naskah.nomor)
                .join(NaskahBerkas, NaskahBerkas.naskah_id == Naskah.id)
                .where(NaskahBerkas.sha256 == sha256, NaskahBerkas.peran == "ttd_pdf")
            ).first()
        return str(row[0]) if row and row[0] else None
    except Exception:  # no database here: the signature alone still answers
        return None


def add_commands(app: typer.Typer) -> None:
    app.add_typer(tte_app, name="tte")
