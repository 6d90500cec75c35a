"""What the tests that run whole SOPs share: the officials of every role in both chains."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from diklat.db import session_scope
from diklat.pegawai.pejabat import simpan_pejabat

#: role -> NIP of the test officials and staff (valid NIPs, e-mail ``<role>@example.go.id``):
#: the officials who initial, sign and dispose; the staff who correct drafts sent back
#: (pengelola, pengolah_data) and the operator who records outside steps.
OFFICIALS = {
    "kabid_psda": "198005122005022003",
    "sekretaris": "197706142003121004",
    "kepala": "197209131998031001",
    "analis_sdm": "199001012015031001",
    "sekda": "196801011990031001",
    "pengelola": "199107222018022001",
    "pengolah_data": "199305102020121002",
    "pokja": "198806302014031002",
    "operator": "199203152019031004",
}


def add_officials(engine: Engine) -> None:
    """One official per role, with an e-mail address (the outbox carries their codes)."""
    with session_scope(engine) as s:
        for peran, nip in OFFICIALS.items():
            simpan_pejabat(
                s,
                nip=nip,
                nama=f"PEJABAT {peran.upper()}",
                peran=peran,
                jabatan=f"Jabatan {peran}",
                email=f"{peran}@example.go.id",
            )


#: The fields every letter of both SOPs prints (a training is refused at creation without
#: them); SOP 002 also names the agencies it tells (``kriteria.unit``).
LENGKAP: dict[str, Any] = {
    "tempat": "Aula BKPSDM",
    "jp": 24,
    "penyelenggara": "BPSDM Provinsi Kalimantan Timur",
    "lembaga_narasumber": "BPSDM Provinsi Kalimantan Timur",
    "materi": ["Analisis Jabatan"],
}


def siap(engine: Engine, unit: str = "U1") -> None:
    """What a training needs before it can be created (``diklat.kesiapan``), for tests about
    something else: an official with an e-mail address for every role (the test's own
    officials are kept; one without an address gets ``<role>@example.go.id``), and, when
    nothing is synced yet, unit ``unit`` with one employee."""
    from sqlalchemy import func, select

    from diklat.models import Pegawai, UnitKerja
    from diklat.pegawai.pejabat import PejabatTidakAda, pemegang

    with session_scope(engine) as s:
        for peran, nip in OFFICIALS.items():
            try:
                p = pemegang(s, peran)
            except PejabatTidakAda:
                simpan_pejabat(
                    s,
                    nip=nip,
                    nama=f"PEJABAT {peran.upper()}",
                    peran=peran,
                    jabatan=f"Jabatan {peran}",
                    email=f"{peran}@example.go.id",
                )
                continue
            if not p.email:
                p.email = f"{peran}@example.go.id"
        has_units = s.execute(select(func.count()).select_from(UnitKerja)).scalar_one()
        has_people = s.execute(select(func.count()).select_from(Pegawai)).scalar_one()
    if not (has_units and has_people):
        from diklat.pegawai.personnel import PersonnelWriter

        w = PersonnelWriter(engine, None, sumber="simpeg")
        w.upsert_units([{"kode": unit, "nama": "Dinas Pendidikan"}])
        w.write(
            [
                {
                    "nip": "198501012010012001",
                    "nama": "SITI AMINAH",
                    "unit_kode": unit,
                    "golongan": "III/a",
                    "jabatan": "Analis Kepegawaian",
                }
            ]
        )


def codes_for(to: str) -> list[str]:
    """Every one-time code e-mailed to ``to`` (the outbox's .eml files, oldest first)."""
    import email
    import email.policy
    import re
    from pathlib import Path

    from diklat.settings import get_settings

    out = []
    folder = Path(get_settings().outbox_dir or "")
    for f in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        msg = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        if msg["To"] != to:
            continue
        part = msg.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        body = part.get_payload(decode=True) if part is not None else None
        assert isinstance(body, bytes)
        m = re.search(r"^Kode: (\d{6})\r?$", body.decode(), flags=re.M)
        if m:
            out.append(m.group(1))
    return out


def browser(size: tuple[int, int] | None = None) -> Any:
    """Debian's chromium, headless, through chromium-driver; skipped without them (failed
    with DIKLAT_REQUIRE_BROWSER=1). ``size``: screenshots of exactly that size."""
    import os
    import shutil

    import pytest

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (chromium and driver):
        if os.environ.get("DIKLAT_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium and chromium-driver required (DIKLAT_REQUIRE_BROWSER=1)")
        pytest.skip("chromium / chromium-driver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    flags = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    if size:
        flags += ["--lang=en-US", f"--window-size={size[0]},{size[1]}"]
    for flag in flags:
        opts.add_argument(flag)
    d = webdriver.Chrome(service=Service(driver), options=opts)
    if size:  # whatever the headless window's decorations
        d.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False},
        )
    return d


def stored_inputs(kode: str) -> str:
    """Every run input (key and value) the session's Prefect server keeps for the runs of
    training ``kode`` (tagged with its code), in one string."""
    from tests.prefect_support import prefect_rows

    rows = prefect_rows(
        "SELECT i.key, i.value, r.tags FROM flow_run_input i JOIN flow_run r "
        "ON r.id = i.flow_run_id"
    )
    tag = f'"{kode}"'
    return " ".join(f"{k} {v}" for k, v, tags in rows if tag in str(tags))


def assert_prefect_keeps_nothing_private(engine: Engine, kode: str) -> None:
    """Issue 23 item 9, after a whole SOP run answered by officials and operators: nothing in
    the Prefect server's database files (tables, deleted pages, WAL) names a participant (name,
    NIP, phone) or holds a code that still works, and no stored run input (live rows) holds
    any NIP of an official or operator or a code at all (the inputs of this training's runs:
    the server is the session's, shared with other tests)."""
    import re

    from sqlalchemy import select

    from diklat.kegiatan.data import kegiatan_by_kode
    from diklat.models import KodeVerifikasi, Pegawai, Permintaan, Peserta
    from diklat.models.base import utcnow
    from diklat.naskah.persetujuan import hash_kode
    from tests.prefect_support import found_in_prefect

    needles: dict[str, Any] = {}
    with session_scope(engine) as s:
        k = kegiatan_by_kode(s, kode)
        people = s.execute(
            select(Pegawai.nama, Pegawai.nip, Pegawai.nomor_hp)
            .join(Peserta, Peserta.pegawai_id == Pegawai.id)
            .where(Peserta.kegiatan_id == k.id)
        ).all()
        assert people, "the training has no participants to look for"
        for nama, nip, hp in people:
            needles[f"nama {nip[:4]}…"] = nama.encode()
            needles[f"nip {nip[:4]}…"] = nip.encode()
            if hp:
                needles[f"hp {nip[:4]}…"] = hp.encode()
        # every code e-mailed for this training's requests, kept when it still works now
        requests = [
            p.id
            for p in s.execute(select(Permintaan).where(Permintaan.kegiatan_id == k.id)).scalars()
        ]
        live = {
            c.kode_hash
            for c in s.execute(
                select(KodeVerifikasi).where(
                    KodeVerifikasi.permintaan_id.in_(requests),
                    KodeVerifikasi.used_at.is_(None),
                    KodeVerifikasi.expires_at > utcnow(),
                )
            ).scalars()
        }
        all_codes = {c for role in OFFICIALS for c in codes_for(f"{role}@example.go.id")}
        usable = {c for c in all_codes for pid in requests if hash_kode(c, pid) in live}
    for c in usable:
        needles[f"kode berlaku {c[:2]}…"] = re.compile(rb'["\s:=]' + c.encode() + rb'["\s,}&]')
    hits = found_in_prefect(needles)
    assert not hits, f"Prefect keeps private data: {hits}"
    stored = stored_inputs(kode)
    assert "-schema" in stored, "no input of the training's runs found"  # forms stay
    for role, nip in OFFICIALS.items():
        assert nip not in stored, f"a stored run input holds the NIP of {role}"
    assert not re.search(r'"kode"\s*:\s*"?\d{6}', stored), "a stored run input holds a code"
