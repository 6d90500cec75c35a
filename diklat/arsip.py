"""The archive: final documents and reports, stored by content, described in the database.

Rules (issue 16, "Archive"; the SOP's "Digitalisasi dan pengarsipan secara sistematis"):

* the bytes go to the content store (``connectors/archive.py``): addressed by SHA-256,
  written atomically, never overwritten;
* one ``arsip`` row per **(naskah_id, sha256)**, or per **(kegiatan_id, sha256)** for a file
  that is not a document version (a report); archiving the same file again returns the
  existing entry (idempotent: a resumed flow calls :func:`arsipkan` again safely);
* the row carries the training, document type, number, classification code, date and the
  retention period in years from the agency's retention schedule
  (``settings.arsip.retensi``, one entry per classification code). A code that is not in the
  schedule is refused rather than archived with no retention;
* for a document version the metadata defaults to the document's own (training, type,
  number, date, classification); explicit arguments win;
* ``nip_terkait`` records which employees a document concerns (``arsip_nip``), so that
  ``diklat archive find --nip`` finds a participant's summons and certificate. NIPs are
  stored, never logged; error messages count them instead of naming them.

Order and failure: the file is stored first, the row written second, both before the
caller commits. An error inside the write leaves neither a file at the address nor a row. If
the caller's transaction rolls back after the file was stored, the file stays unreferenced in
the store (harmless: the same content archived again finds it there).

Functions take a ``Session`` and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, insert, literal, or_, select
from sqlalchemy.orm import Session

from connectors.archive import ContentStore, Verdict
from diklat import waktu
from diklat.models import Kegiatan, Naskah
from diklat.models.io import ARSIP, ARSIP_NIP
from diklat.rules.nip import normalize, parse
from diklat.settings import Settings, get_settings

log = logging.getLogger("diklat.arsip")

A = ARSIP.c


class ArsipError(Exception):
    """An archiving request the rules refuse (one line, meant for the operator)."""


@dataclass(frozen=True)
class EntriArsip:
    """One archive entry as plain data. ``baru``: created by this call."""

    id: int
    sha256: str
    path: str
    nama_file: str
    ukuran: int
    naskah_id: int | None
    kegiatan_id: int | None
    kegiatan: str | None  # the training's kode
    jenis: str | None
    nomor: str | None
    klasifikasi: str | None
    retensi_tahun: int | None
    tanggal: dt.date | None
    created_at: dt.datetime | None
    baru: bool = False

    @property
    def retensi_sampai(self) -> dt.date | None:
        """The end of the retention period (same day, ``retensi_tahun`` years on)."""
        if self.tanggal is None or self.retensi_tahun is None:
            return None
        try:
            return self.tanggal.replace(year=self.tanggal.year + self.retensi_tahun)
        except ValueError:  # 29 February
            return self.tanggal.replace(year=self.tanggal.year + self.retensi_tahun, day=28)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tanggal"] = self.tanggal.isoformat() if self.tanggal else None
        d["created_at"] = self.created_at.isoformat() if self.created_at else None
        d["retensi_sampai"] = self.retensi_sampai.isoformat() if self.retensi_sampai else None
        return d


def _select() -> Select[Any]:
    return select(ARSIP, Kegiatan.kode.label("kegiatan_kode")).outerjoin(
        Kegiatan, Kegiatan.id == A.kegiatan_id
    )


def _entri(row: Any, baru: bool = False) -> EntriArsip:
    return EntriArsip(
        id=row.id,
        sha256=row.sha256,
        path=row.path,
        nama_file=row.nama_file,
        ukuran=row.ukuran,
        naskah_id=row.naskah_id,
        kegiatan_id=row.kegiatan_id,
        kegiatan=row.kegiatan_kode,
        jenis=row.jenis,
        nomor=row.nomor,
        klasifikasi=row.klasifikasi,
        retensi_tahun=row.retensi_tahun,
        tanggal=row.tanggal,
        created_at=row.created_at,
        baru=baru,
    )


def retensi_for(klasifikasi: str, settings: Settings | None = None) -> int:
    """Years to keep a classification code (the agency's retention schedule)."""
    s = settings or get_settings()
    try:
        return s.arsip.retensi[klasifikasi]
    except KeyError:
        raise ArsipError(
            f"kode klasifikasi {klasifikasi} tidak ada dalam jadwal retensi (DIKLAT_ARSIP__RETENSI)"
        ) from None


def _nips(nip_terkait: Iterable[str]) -> list[str]:
    raw = [n for n in nip_terkait if n is not None and str(n).strip()]
    good = sorted({normalize(n) for n in raw if parse(n).valid})
    bad = len([n for n in raw if not parse(n).valid])
    if bad:
        raise ArsipError(f"NIP terkait tidak valid: {bad} dari {len(raw)}")
    return good


def _existing(session: Session, naskah_id: int | None, kegiatan_id: int | None, sha: str) -> Any:
    q = _select().where(A.sha256 == sha)
    if naskah_id is not None:
        q = q.where(A.naskah_id == naskah_id)
    else:
        q = q.where(A.naskah_id.is_(None), A.kegiatan_id == kegiatan_id)
    return session.execute(q).first()


def _index_nips(session: Session, arsip_id: int, nips: list[str]) -> None:
    if not nips:
        return
    have = set(
        session.execute(select(ARSIP_NIP.c.nip).where(ARSIP_NIP.c.arsip_id == arsip_id)).scalars()
    )
    new = [n for n in nips if n not in have]
    if new:
        session.execute(insert(ARSIP_NIP), [{"arsip_id": arsip_id, "nip": n} for n in new])


def _insert_ignore(session: Session, values: dict[str, Any]) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    if session.get_bind().dialect.name == "postgresql":
        stmt: Any = postgresql.insert(ARSIP).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(ARSIP).on_conflict_do_nothing()
    return stmt.values(**values).returning(A.id)


def arsipkan(
    session: Session,
    path: Path | str,
    *,
    naskah_id: int | None = None,
    kegiatan_id: int | None = None,
    klasifikasi: str | None = None,
    nomor: str | None = None,
    jenis: str | None = None,
    tanggal: dt.date | None = None,
    nip_terkait: Iterable[str] = (),
    nama_file: str | None = None,
    store: ContentStore | None = None,
    settings: Settings | None = None,
) -> EntriArsip:
    """Archive the file at ``path`` for a document version (``naskah_id``) or a training
    (``kegiatan_id``, e.g. a report); returns the entry (``baru`` False if it was there)."""
    s = settings or get_settings()
    if naskah_id is None and kegiatan_id is None:
        raise ArsipError("arsip memerlukan naskah_id atau kegiatan_id")
    file = Path(path)
    if not file.is_file():
        raise ArsipError(f"berkas tidak ada: {file.name}")
    if naskah_id is not None:
        n = session.get(Naskah, naskah_id)
        if n is None:
            raise ArsipError(f"naskah {naskah_id} tidak ada")
        if kegiatan_id is not None and n.kegiatan_id not in (None, kegiatan_id):
            raise ArsipError(f"naskah {naskah_id} bukan milik kegiatan {kegiatan_id}")
        kegiatan_id = kegiatan_id or n.kegiatan_id
        jenis = jenis or n.jenis
        nomor = nomor or n.nomor
        tanggal = tanggal or n.tanggal
        klasifikasi = klasifikasi or n.klasifikasi
    elif session.get(Kegiatan, kegiatan_id) is None:
        raise ArsipError(f"kegiatan {kegiatan_id} tidak ada")
    if not jenis:
        raise ArsipError("jenis dokumen wajib diisi")
    klasifikasi = klasifikasi or s.naskah.klasifikasi.get(jenis)
    if not klasifikasi:
        raise ArsipError(
            f"kode klasifikasi untuk jenis {jenis!r} tidak diketahui; "
            f"beri --klasifikasi atau DIKLAT_NASKAH__KLASIFIKASI"
        )
    retensi = retensi_for(klasifikasi, s)
    nips = _nips(nip_terkait)
    tanggal = tanggal or waktu.hari_ini(s)

    if store is None:
        from diklat.clients import archive_store

        store = archive_store(s)
    stored = store.store(file)
    found = _existing(session, naskah_id, kegiatan_id, stored.sha256)
    if found is not None:
        _index_nips(session, found.id, nips)
        return _entri(found)
    values = dict(
        naskah_id=naskah_id,
        kegiatan_id=kegiatan_id,
        sha256=stored.sha256,
        path=stored.key,
        nama_file=(nama_file or file.name)[:300],
        ukuran=stored.size,
        klasifikasi=klasifikasi,
        retensi_tahun=retensi,
        jenis=jenis,
        nomor=nomor,
        tanggal=tanggal,
    )
    # A concurrent archiving of the same file may win: ON CONFLICT DO NOTHING (no target, so
    # both unique rules count) and read the winner. Not a SAVEPOINT: on SQLite's driver a
    # savepoint outside an explicit BEGIN commits on release, behind the caller's back.
    new_id = session.execute(_insert_ignore(session, values)).scalar_one_or_none()
    if new_id is None:
        found = _existing(session, naskah_id, kegiatan_id, stored.sha256)
        if found is None:  # pragma: no cover - a conflict on something else
            raise ArsipError(f"arsip {stored.sha256[:12]}… tidak dapat dicatat")
        _index_nips(session, found.id, nips)
        return _entri(found)
    _index_nips(session, new_id, nips)
    row = session.execute(_select().where(A.id == new_id)).one()
    log.info("arsip %s: %s (%d bytes, %d NIP)", new_id, jenis, stored.size, len(nips))
    return _entri(row, baru=True)


def find(
    session: Session,
    *,
    nomor: str | None = None,
    kegiatan: str | int | None = None,
    nip: str | None = None,
    klasifikasi: str | None = None,
    jenis: str | None = None,
    limit: int | None = 1000,
) -> list[EntriArsip]:
    """Entries matching every given criterion, newest first. ``nomor``: part of the number
    (case-insensitive); ``kegiatan``: the training's kode (str) or id (int); ``nip``: an
    employee the document concerns; ``klasifikasi``: a code or a code prefix (``800.2.4``
    matches ``800.2.4.1`` and ``800.2.4.2``)."""
    q = _select()
    if nomor:
        q = q.where(A.nomor.ilike(f"%{_like(nomor.strip())}%", escape="\\"))
    if kegiatan is not None:
        if isinstance(kegiatan, int):
            q = q.where(A.kegiatan_id == kegiatan)
        else:
            q = q.where(Kegiatan.kode == kegiatan.strip())
    if nip:
        q = q.where(A.id.in_(select(ARSIP_NIP.c.arsip_id).where(ARSIP_NIP.c.nip == normalize(nip))))
    if klasifikasi:
        k = klasifikasi.strip().rstrip(".")
        q = q.where(
            or_(A.klasifikasi == k, A.klasifikasi.like(literal(_like(k)) + ".%", escape="\\"))
        )
    if jenis:
        q = q.where(A.jenis == jenis)
    q = q.order_by(A.id.desc())
    if limit:
        q = q.limit(limit)
    return [_entri(r) for r in session.execute(q).all()]


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def nip_terkait(session: Session, arsip_id: int) -> list[str]:
    """The NIPs an entry concerns (for the operator; never logged)."""
    return list(
        session.execute(
            select(ARSIP_NIP.c.nip)
            .where(ARSIP_NIP.c.arsip_id == arsip_id)
            .order_by(ARSIP_NIP.c.nip)
        ).scalars()
    )


def _all(session: Session, batch: int = 1000) -> Iterator[Any]:
    last = 0
    while True:
        rows = session.execute(_select().where(A.id > last).order_by(A.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def verify_all(session: Session, store: ContentStore | None = None) -> dict[str, Any]:
    """Re-hash every archived file. ``checked`` counts entries; ``ok``, ``missing``,
    ``altered`` split them; ``items`` lists the entries that are missing or altered. A file
    shared by several entries is hashed once."""
    if store is None:
        from diklat.clients import archive_store

        store = archive_store()
    verdicts: dict[str, Verdict] = {}
    counts = {"checked": 0, "ok": 0, "missing": 0, "altered": 0}
    items: list[dict[str, Any]] = []
    for row in _all(session):
        v = verdicts.get(row.sha256)
        if v is None:
            v = verdicts[row.sha256] = store.verify(row.sha256)
        counts["checked"] += 1
        counts[v] += 1
        if v != "ok":
            items.append(
                {
                    "id": row.id,
                    "status": v,
                    "sha256": row.sha256,
                    "nama_file": row.nama_file,
                    "nomor": row.nomor,
                    "naskah_id": row.naskah_id,
                    "kegiatan": row.kegiatan_kode,
                    "path": store.path(row.sha256),
                }
            )
    if counts["missing"] or counts["altered"]:
        log.warning(
            "archive verify: %d checked, %d missing, %d altered",
            counts["checked"],
            counts["missing"],
            counts["altered"],
        )
    return {**counts, "items": items}


def sudah_diarsipkan(session: Session, naskah_id: int) -> bool:
    """Whether a document version has at least one archive entry (for a flow's skip)."""
    return (
        session.execute(select(A.id).where(A.naskah_id == naskah_id).limit(1)).first() is not None
    )
