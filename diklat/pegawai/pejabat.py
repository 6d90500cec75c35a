"""Officials (pejabat): who holds a role, and how they sign.

A role (``kabid_psda``, ``sekretaris``, ``kepala``, ``sekda`` ...; the codes of the SOP
catalogue) is held by the active official with that role. When several are active, the one
standing in wins: ``plh`` (the holder is away) before ``plt`` (the post is vacant) before the
``definitif`` holder, so an operator appoints a Plh. without touching the head's row. An official
who signs on behalf of an office (``an_jabatan``) prints ``a.n. <office>`` above his own
position. The signature block printed on a letter is built from the same row that the
approval is audited against (``Bundel.penandatangan_id``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from diklat.models import Pejabat
from diklat.rules import nip as nip_rules

KEDUDUKAN = ("definitif", "plt", "plh")
_URUTAN = {"plh": 0, "plt": 1, "definitif": 2}


class PejabatTidakAda(LookupError):
    """No active official holds a role."""

    def __init__(self, peran: str) -> None:
        self.peran = peran
        super().__init__(
            f"tidak ada pejabat aktif untuk peran {peran!r}; tambahkan dengan "
            f"`diklat pejabat tambah --peran {peran} ...`"
        )


class PejabatTidakValid(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def pemegang(session: Session, peran: str) -> Pejabat:
    """The active official holding ``peran`` (Plh. before Plt. before the definitive)."""
    rows = (
        session.execute(
            select(Pejabat)
            .where(Pejabat.peran == peran, Pejabat.aktif.is_(True))
            .order_by(Pejabat.id)
        )
        .scalars()
        .all()
    )
    if not rows:
        raise PejabatTidakAda(peran)
    return sorted(rows, key=lambda p: (_URUTAN.get(p.kedudukan, 9), p.id))[0]


#: Roles whose letters are the Sekretariat Daerah's, not the agency's.
PERAN_SETDA = ("sekda",)


def kantor(p: Pejabat) -> str:
    """The office an official signs for: ``setda`` (the Sekretaris Daerah) or ``instansi``."""
    return "setda" if p.peran in PERAN_SETDA else "instansi"


def simpan_pejabat(
    session: Session,
    *,
    nip: str,
    nama: str,
    peran: str,
    jabatan: str,
    pangkat: str | None = None,
    email: str | None = None,
    kedudukan: str = "definitif",
    an_jabatan: str | None = None,
    aktif: bool = True,
) -> Pejabat:
    """Create or update the official with (nip, peran). Refuses an invalid NIP, an empty
    name or position, an unknown ``kedudukan``."""
    info = nip_rules.parse(nip)
    if not info.valid:
        raise PejabatTidakValid("nip", f"NIP tidak valid ({info.reason})")
    if not nama.strip():
        raise PejabatTidakValid("nama", "wajib diisi")
    if not jabatan.strip():
        raise PejabatTidakValid("jabatan", "wajib diisi")
    if not peran.strip():
        raise PejabatTidakValid("peran", "wajib diisi")
    if kedudukan not in KEDUDUKAN:
        raise PejabatTidakValid("kedudukan", f"harus salah satu dari {', '.join(KEDUDUKAN)}")
    p = session.execute(
        select(Pejabat).where(Pejabat.nip == info.nip, Pejabat.peran == peran)
    ).scalar_one_or_none()
    values: dict[str, Any] = {
        "nama": nama.strip(),
        "jabatan": jabatan.strip(),
        "pangkat": pangkat,
        "email": email,
        "kedudukan": kedudukan,
        "an_jabatan": an_jabatan or None,
        "aktif": aktif,
    }
    if p is None:
        p = Pejabat(nip=info.nip, peran=peran, **values)
        session.add(p)
    else:
        for k, v in values.items():
            setattr(p, k, v)
    session.flush()
    return p


def ensure_pejabat(
    session: Session,
    *,
    nip: str,
    nama: str,
    peran: str,
    jabatan: str,
    pangkat: str | None = None,
    email: str | None = None,
    kedudukan: str = "definitif",
    an_jabatan: str | None = None,
) -> Pejabat:
    """The official with (nip, peran); created the first time, left as it is afterwards (a
    demo or a resumed flow must not overwrite what an operator changed)."""
    p = session.execute(
        select(Pejabat).where(Pejabat.nip == nip, Pejabat.peran == peran)
    ).scalar_one_or_none()
    if p is not None:
        return p
    return simpan_pejabat(
        session,
        nip=nip,
        nama=nama,
        peran=peran,
        jabatan=jabatan,
        pangkat=pangkat,
        email=email,
        kedudukan=kedudukan,
        an_jabatan=an_jabatan,
    )


def daftar_pejabat(session: Session, *, semua: bool = False) -> list[Pejabat]:
    q = select(Pejabat).order_by(Pejabat.peran, Pejabat.id)
    if not semua:
        q = q.where(Pejabat.aktif.is_(True))
    return list(session.execute(q).scalars())


def pejabat_dict(p: Pejabat) -> dict[str, Any]:
    """An official as plain data (no e-mail: it is personal contact data)."""
    return {
        "id": p.id,
        "peran": p.peran,
        "nama": p.nama,
        "nip": p.nip,
        "jabatan": p.jabatan,
        "pangkat": p.pangkat,
        "kedudukan": p.kedudukan,
        "an_jabatan": p.an_jabatan,
        "aktif": p.aktif,
    }
