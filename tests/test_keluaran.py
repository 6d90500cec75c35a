"""``--out`` of every command that writes a file (issue 23, item 4), through the ``diklat``
command line (in this process, :mod:`tests.cli_support`): a name without the right suffix is refused, a file the product did not
write (or that was edited since) is never replaced without ``--timpa``, a missing folder is
refused with one line and never created, and files arrive by rename (a new inode, no
temporary file left beside them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_support import Hasil, diklat

FOREIGN = b"[database]\npassword = rahasia\n"


def _cli(tmp_path: Path, *args: str) -> Hasil:
    return diklat(tmp_path, *args, env={"DIKLAT_VAR_DIR": str(tmp_path / "var")})


def _refused(res: Hasil, *fragments: str) -> str:
    assert "Traceback" not in res.stderr + res.stdout, res.stderr
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.returncode == 2 and len(lines) == 1, (res.returncode, res.stderr)
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def _ok(res: Hasil) -> None:
    assert res.returncode == 0, res.stderr


def _no_staging(folder: Path) -> None:
    assert not [p for p in folder.rglob(".tmp-*")], list(folder.rglob(".tmp-*"))


@pytest.fixture
def ready(tmp_path: Path) -> Path:
    _ok(_cli(tmp_path, "init"))
    return tmp_path


def test_register_export_and_every_xlsx_report(ready: Path) -> None:
    t = ready
    conf = t / "app.xlsx"
    conf.write_bytes(FOREIGN)
    # a file the product did not write: refused, untouched
    _refused(_cli(t, "register", "export", "--out", "app.xlsx"), "app.xlsx", "--timpa")
    assert conf.read_bytes() == FOREIGN
    # the wrong suffix, a configuration file
    (t / "app.conf").write_bytes(FOREIGN)
    _refused(_cli(t, "register", "export", "--out", "app.conf"), ".xlsx")
    assert (t / "app.conf").read_bytes() == FOREIGN
    # a folder that does not exist: refused, not created
    _refused(_cli(t, "register", "export", "--out", "tidak/ada/r.xlsx"), "tidak ada")
    assert not (t / "tidak").exists()
    # a new file, then the same file again (its own), by rename
    _ok(_cli(t, "register", "export", "--out", "r.xlsx"))
    first = (t / "r.xlsx").stat().st_ino
    _ok(_cli(t, "register", "export", "--out", "r.xlsx"))
    assert (t / "r.xlsx").stat().st_ino != first  # a new file renamed into place
    _no_staging(t)
    # edited by hand since: refused; --timpa replaces it
    with (t / "r.xlsx").open("ab") as f:
        f.write(b"diubah")
    _refused(_cli(t, "register", "export", "--out", "r.xlsx"), "diubah")
    _ok(_cli(t, "register", "export", "--out", "r.xlsx", "--timpa"))
    _ok(_cli(t, "register", "export", "--out", "app.xlsx", "--timpa"))
    assert (t / "app.xlsx").read_bytes()[:2] == b"PK"  # the workbook now
    # the quarantine list
    (t / "k.xlsx").write_bytes(FOREIGN)
    _refused(_cli(t, "karantina", "list", "--out", "k.xlsx"), "k.xlsx")
    assert (t / "k.xlsx").read_bytes() == FOREIGN
    _refused(_cli(t, "karantina", "list", "--out", "baru/k.xlsx"), "tidak ada")
    assert not (t / "baru").exists()
    _ok(_cli(t, "karantina", "list", "--out", "k2.xlsx"))
    _ok(_cli(t, "karantina", "list", "--out", "k2.xlsx"))
    # the 20 JP report used to create missing folders anywhere
    _refused(_cli(t, "laporan", "jp", "--out", "a/b/c/jp.xlsx"), "tidak ada")
    assert not (t / "a").exists()
    (t / "jp.xlsx").write_bytes(FOREIGN)
    _refused(_cli(t, "laporan", "jp", "--out", "jp.xlsx"), "jp.xlsx")
    _refused(_cli(t, "laporan", "jp", "--out", "jp.csv"), ".xlsx")
    _ok(_cli(t, "laporan", "jp", "--out", "jp2.xlsx"))
    _ok(_cli(t, "laporan", "jp", "--out", "jp2.xlsx"))
    # kepatuhan's chart beside the workbook is checked too (before anything is computed)
    (t / "kp.png").write_bytes(FOREIGN)
    _refused(_cli(t, "laporan", "kepatuhan", "PD-X", "--out", "kp.xlsx"), "kp.png")
    _refused(_cli(t, "laporan", "peserta", "PD-X", "--out", "x/p.xlsx"), "tidak ada")
    assert (t / "kp.png").read_bytes() == FOREIGN and not (t / "kp.xlsx").exists()
    _no_staging(t)


def test_folders_and_other_files(ready: Path) -> None:
    t = ready
    # the simulator's export
    (t / "data.csv").write_bytes(FOREIGN)
    _refused(_cli(t, "simulator", "export-csv", "--pegawai", "5", "--out", "data.csv"), "data.csv")
    assert (t / "data.csv").read_bytes() == FOREIGN
    _refused(_cli(t, "simulator", "export-csv", "--pegawai", "5", "--out", "data.xlsx"), ".csv")
    _refused(
        _cli(t, "simulator", "export-csv", "--pegawai", "5", "--out", "no/data.csv"), "tidak ada"
    )
    _ok(_cli(t, "simulator", "export-csv", "--pegawai", "5", "--out", "e.csv"))
    _ok(_cli(t, "simulator", "export-csv", "--pegawai", "6", "--out", "e.csv"))
    assert len((t / "e.csv").read_text().splitlines()) == 7
    _ok(_cli(t, "simulator", "export-csv", "--pegawai", "5", "--out", "data.csv", "--timpa"))
    # rendered letters into a folder: the folder itself is created inside an existing one
    _refused(_cli(t, "naskah", "render", "surat_tugas", "--contoh", "--out", "x/y"), "tidak ada")
    assert not (t / "x").exists()
    (t / "berkas.txt").write_bytes(FOREIGN)
    _refused(
        _cli(t, "naskah", "render", "surat_tugas", "--contoh", "--out", "berkas.txt"),
        "bukan folder",
    )
    _ok(_cli(t, "naskah", "render", "surat_tugas", "--contoh", "--out", "surat"))
    (docx,) = (t / "surat").glob("*.docx")
    _ok(_cli(t, "naskah", "render", "surat_tugas", "--contoh", "--out", "surat"))  # its own
    docx.write_bytes(FOREIGN)  # replaced by someone else
    _refused(_cli(t, "naskah", "render", "surat_tugas", "--contoh", "--out", "surat"), docx.name)
    assert docx.read_bytes() == FOREIGN
    _ok(_cli(t, "naskah", "render", "surat_tugas", "--contoh", "--out", "surat", "--timpa"))
    assert docx.read_bytes()[:2] == b"PK"
    _no_staging(t / "surat")
    # the SRIKANDI packages: a file is not a folder, a missing parent is refused
    _refused(_cli(t, "srikandi", "harian", "--out", "berkas.txt"), "bukan folder")
    _refused(_cli(t, "srikandi", "harian", "--out", "p/q"), "tidak ada")
    _refused(_cli(t, "srikandi", "paket", "PK-X", "--out", "p/q"), "tidak ada")
    assert not (t / "p").exists()
    _ok(_cli(t, "srikandi", "harian", "--out", "serah"))
    assert (t / "serah").is_dir()
    # the templates: a folder named by the operator must be inside an existing one
    _refused(_cli(t, "naskah", "templates", "--out", "tpl/baru"), "tidak ada")
    _ok(_cli(t, "naskah", "templates", "--out", "tpl"))
    assert len(list((t / "tpl").glob("*.docx"))) >= 10
    # the local CA's folder likewise
    _refused(_cli(t, "tte", "init", "--folder", "ca/baru"), "tidak ada")
    _refused(_cli(t, "tte", "init", "--folder", "berkas.txt"), "bukan folder")
    assert not (t / "ca").exists()
    _no_staging(t)
