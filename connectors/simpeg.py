"""Client of the region's SIMPEG (the agency's own personnel system; the API shape is ours).

``GET {url}/pegawai?limit&after&updated_since`` pages employees by NIP (keyset pagination,
``next`` = the last NIP of the page or null), ``GET {url}/unit`` lists the units (OPD) with
their e-mail addresses, ``GET {url}/pegawai/{nip}`` returns one employee. Requests carry the
``X-API-Key`` header.

Payloads become canonical employee dicts (the keys of the shared personnel write path). The
NIK is dropped on arrival and never stored or logged. A record that cannot be read is
returned as a :class:`Rejected` item with its reason, never dropped silently; the deeper
checks (NIP rules, dates, units) are the write path's job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from connectors.http import BadPayload, HttpClient, NotFound
from connectors.records import RECORD_KEYS, Rejected, public_payload

#: Keys copied from a SIMPEG employee into the canonical record (``nik`` is not among them).
CANONICAL_KEYS: tuple[str, ...] = RECORD_KEYS

UNIT_KEYS = ("kode", "nama", "singkatan", "induk_kode", "email", "alamat", "tempat")


@dataclass
class Page:
    """One page of employees: canonical records, rejected items, and the cursor to resume."""

    records: list[dict[str, Any]]
    rejected: list[Rejected]
    next: str | None
    total: int | None = None
    max_updated_at: dt.datetime | None = None
    raw_count: int = 0
    last_nip: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def parse_iso_datetime(value: Any) -> dt.datetime | None:
    """ISO-8601 timestamp (``Z`` accepted) as an aware datetime (UTC assumed when naive)."""
    if value in (None, "", "null"):
        return None
    if not isinstance(value, str):
        raise ValueError(f"timestamp is not text: {type(value).__name__}")
    v = value.strip()
    if v.endswith(("Z", "z")):
        v = v[:-1] + "+00:00"
    d = dt.datetime.fromisoformat(v)
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    return d


def parse_employee(raw: Any) -> tuple[dict[str, Any] | None, Rejected | None, dt.datetime | None]:
    """One SIMPEG employee -> (canonical record, None, updated_at) or (None, Rejected, None).

    Values are passed on as received (strings; dates as ``YYYY-MM-DD``) after trimming:
    validation of NIPs, dates and units belongs to the write path, which quarantines.
    """
    if not isinstance(raw, dict):
        return None, Rejected(f"record is not an object ({type(raw).__name__})", payload={}), None
    nip = raw.get("nip")
    kunci = nip if isinstance(nip, str) else (str(nip) if nip is not None else None)
    if not isinstance(nip, str) or not nip.strip():
        return (
            None,
            Rejected("NIP kosong atau bukan teks", kunci, payload=public_payload(raw)),
            None,
        )
    nama = raw.get("nama")
    if not isinstance(nama, str) or not nama.strip():
        return None, Rejected("nama kosong", kunci, payload=public_payload(raw)), None
    # Hot path (50,000 records a night): copy the canonical keys; trimming, "null" texts and
    # the real checks happen once, in the write path. Only structured values are refused here.
    rec: dict[str, Any] = {key: raw.get(key) for key in CANONICAL_KEYS}
    for key, v in rec.items():
        if v is not None and not isinstance(v, str):
            if isinstance(v, (dict, list, bool)):
                return (
                    None,
                    Rejected(
                        f"field {key}: unexpected {type(v).__name__}",
                        kunci,
                        payload=public_payload(raw),
                    ),
                    None,
                )
            rec[key] = str(v)
    try:
        updated = parse_iso_datetime(raw.get("updated_at"))
    except ValueError as e:
        return (
            None,
            Rejected(f"updated_at tidak terbaca: {e}", kunci, payload=public_payload(raw)),
            None,
        )
    return rec, None, updated


def parse_page(doc: Any) -> Page:
    """The ``/pegawai`` envelope -> :class:`Page`. A wrong envelope is a :class:`BadPayload`."""
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise BadPayload("SIMPEG page without a data list")
    nxt = doc.get("next")
    if nxt is not None and not isinstance(nxt, str):
        nxt = str(nxt)
    records: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    high: dt.datetime | None = None
    last_nip: str | None = None
    for raw in doc["data"]:
        rec, rej, updated = parse_employee(raw)
        if isinstance(raw, dict) and raw.get("nip") is not None:
            last_nip = str(raw.get("nip"))
        if rec is not None:
            records.append(rec)
            if updated is not None and (high is None or updated > high):
                high = updated
        elif rej is not None:
            rejected.append(rej)
    total = doc.get("total")
    return Page(
        records=records,
        rejected=rejected,
        next=nxt or None,
        total=total if isinstance(total, int) else None,
        max_updated_at=high,
        raw_count=len(doc["data"]),
        last_nip=last_nip,
    )


class SimpegClient:
    """Reads employees and units from SIMPEG."""

    def __init__(self, http: HttpClient, page_size: int = 1000) -> None:
        self.http = http
        self.page_size = page_size

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SimpegClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def iter_pegawai(
        self,
        updated_since: dt.datetime | str | None = None,
        after: str | None = None,
        limit: int | None = None,
        prefetch: bool = True,
    ) -> Iterator[Page]:
        """Pages in NIP order, fetched lazily. ``page.next`` is the cursor to resume from
        (pass it as ``after``); the last page has ``next`` None.

        With ``prefetch`` the next page is requested (in one helper thread) while the caller
        works on the current one, so the server's time overlaps with ours; an error of a
        fetch surfaces when the caller asks for that page, never earlier."""
        pages = self._pages(updated_since, after, limit)
        if not prefetch:
            yield from pages
            return
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simpeg-prefetch")
        pending = pool.submit(next, pages, None)
        try:
            while True:
                page = pending.result()
                if page is None:
                    return
                pending = pool.submit(next, pages, None)
                yield page
        finally:
            # A caller that stops early (an error while writing) does not wait for the
            # fetch in flight; its result is dropped.
            pool.shutdown(wait=False, cancel_futures=True)

    def _pages(
        self,
        updated_since: dt.datetime | str | None,
        after: str | None,
        limit: int | None,
    ) -> Iterator[Page]:
        params: dict[str, Any] = {"limit": limit or self.page_size}
        if updated_since is not None:
            params["updated_since"] = (
                updated_since.isoformat()
                if isinstance(updated_since, dt.datetime)
                else updated_since
            )
        cursor = after
        while True:
            if cursor:
                params["after"] = cursor
            else:
                params.pop("after", None)
            page = parse_page(self.http.get_json("pegawai", params=params))
            yield page
            if not page.next or page.raw_count == 0:
                return
            if cursor is not None and page.next <= cursor:
                raise BadPayload(f"SIMPEG cursor did not advance ({cursor!r} -> {page.next!r})")
            cursor = page.next

    def units(self) -> list[dict[str, Any]]:
        """All units (OPD) as dicts with ``kode, nama, singkatan, induk_kode, email, alamat,
        tempat`` (the unit's town: SIMPEG's ``kota``, or ``tempat``)."""
        doc = self.http.get_json("unit")
        if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
            raise BadPayload("SIMPEG unit list without a data list")
        out = []
        for u in doc["data"]:
            if not isinstance(u, dict) or not u.get("kode") or not u.get("nama"):
                continue
            if u.get("tempat") in (None, "") and u.get("kota") not in (None, ""):
                u = {**u, "tempat": u["kota"]}
            out.append({k: (str(u[k]) if u.get(k) not in (None, "") else None) for k in UNIT_KEYS})
        return out

    def pegawai(self, nip: str) -> dict[str, Any] | None:
        """One employee as a canonical record, or None when SIMPEG does not know the NIP.
        Raises :class:`BadPayload` when the record cannot be read."""
        try:
            doc = self.http.get_json(f"pegawai/{nip}")
        except NotFound:
            return None
        if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
            raise BadPayload("SIMPEG employee without a data object")
        rec, rej, _ = parse_employee(doc["data"])
        if rec is None:
            raise BadPayload(f"SIMPEG employee unreadable: {rej.alasan if rej else '?'}")
        return rec
