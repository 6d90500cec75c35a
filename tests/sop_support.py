"""What the tests that run whole SOPs share: the officials of every role in both chains."""

from __future__ import annotations

from sqlalchemy import Engine

from diklat.db import session_scope
from diklat.pejabat import simpan_pejabat

#: role -> NIP of the test officials (valid NIPs, e-mail ``<role>@example.go.id``).
OFFICIALS = {"kabid_psda": "198005122005022003", "sekretaris": "197706142003121004",
             "kepala": "197209131998031001", "analis_sdm": "199001012015031001",
             "sekda": "196801011990031001"}


def add_officials(engine: Engine) -> None:
    """One official per role, with an e-mail address (the outbox carries their codes)."""
    with session_scope(engine) as s:
        for peran, nip in OFFICIALS.items():
            simpan_pejabat(s, nip=nip, nama=f"PEJABAT {peran.upper()}", peran=peran,
                           jabatan=f"Jabatan {peran}", email=f"{peran}@example.go.id")
