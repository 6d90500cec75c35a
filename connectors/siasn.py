"""Client of BKN's SIASN API (``/apisiasn/1.0``), as public integrations use it.

Every call carries two tokens: the gateway token (``POST {url}/oauth2/token``,
client_credentials with HTTP Basic consumer key:secret) as ``Authorization: Bearer …`` and the
user's SSO token (Keycloak password grant on realm ``public-siasn``, or a token pasted into
the settings) as ``Auth: bearer …``. Both expire; they are refreshed shortly before expiry,
and on a 401 both are dropped, fetched again and the call is retried once. One
:class:`TokenManager` is shared by all threads of a client; refreshes happen under a lock,
and a 401 seen by many threads at once leads to one refresh.

``data-utama`` answers become canonical employee dicts (BKN field names mapped, ``dd-mm-yyyy``
dates parsed, the text ``null`` read as empty, ``M``/``F`` as ``L``/``P``); the NIK is
dropped on arrival. The unit comes as ``unor_id`` (a SIASN GUID) and ``unor_nama``, never as
``unit_kode``: SIASN's ids are not the region's unit codes.

Only SIASN's own not-found answer (HTTP 404 ``{"code": 0, "data": "Data tidak ditemukan"}``)
means "no such NIP"; any other 404 is :class:`SiasnMisconfigured` (wrong URL or base path).
``upload-dok-rw`` counts as done only with ``code`` 1 (:class:`SiasnRefused` otherwise, even
at HTTP 200).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.http import (
    AuthError,
    BadPayload,
    ClientError,
    ConnectorError,
    HttpClient,
    NotFound,
)
from connectors.records import normalise_jenis_jabatan, normalise_sex

#: Seconds before expiry at which a token is renewed anyway.
EXPIRY_MARGIN = 30.0
DEFAULT_LIFETIME = 3600.0
#: Fresh-token retries of one call after a 401.
AUTH_RETRIES = 2

#: data-utama key -> canonical key (text values).
DATA_UTAMA_MAP: dict[str, str] = {
    "nipBaru": "nip",
    "nipLama": "nip_lama",
    "id": "pns_orang_id",
    "nama": "nama",
    "gelarDepan": "gelar_depan",
    "gelarBelakang": "gelar_belakang",
    "tempatLahir": "tempat_lahir",
    # SIASN's unit ids are GUIDs, never the region's unit codes: they arrive under their own
    # keys and the caller maps them (``diklat.pegawai.unor``) onto ``unit_kode``.
    "unorId": "unor_id",
    "unorNama": "unor_nama",
    "unorIndukId": "unor_induk_id",
    "unorIndukNama": "unor_induk_nama",
    "jabatanNama": "jabatan",
    "eselon": "eselon",
    "golRuangAkhir": "golongan",
    "pangkatAkhir": "pangkat",
    "pendidikanTerakhirNama": "pendidikan",
    "tkPendidikanTerakhir": "pendidikan_tingkat",
    "kedudukanPnsNama": "status",
    "jenisPegawaiNama": "jenis_pegawai",
    "email": "email",
    "noHp": "nomor_hp",
}
DATE_MAP: dict[str, str] = {
    "tglLahir": "tanggal_lahir",
    "tmtCpns": "tmt_cpns",
    "tmtPensiun": "tmt_pensiun",
}


def _blank(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, str):
        s = v.strip()
        return None if s in ("", "null", "NULL", "-") else s
    return v


def parse_dmy(value: Any) -> dt.date | None:
    """``dd-mm-yyyy`` (also ``yyyy-mm-dd`` and a trailing time) -> date; ``null``/empty -> None."""
    s = _blank(value)
    if s is None:
        return None
    if not isinstance(s, str):
        raise ValueError(f"date is not text: {s!r}")
    s = s.split(" ")[0].split("T")[0]
    if len(s) == 10 and s[4] == "-":
        return dt.date.fromisoformat(s)
    parts = s.replace("/", "-").split("-")
    if len(parts) != 3:
        raise ValueError(f"unreadable date {s!r}")
    d, m, y = (int(p) for p in parts)
    return dt.date(y, m, d)


def map_data_utama(data: Mapping[str, Any]) -> dict[str, Any]:
    """A data-utama object -> canonical employee dict (only the keys SIASN provided).
    Raises ``ValueError`` with the reason when a date or the sex cannot be read."""
    rec: dict[str, Any] = {}
    for src, dst in DATA_UTAMA_MAP.items():
        if src in data:
            v = _blank(data[src])
            rec[dst] = str(v) if v is not None else None
    for src, dst in DATE_MAP.items():
        if src in data:
            try:
                rec[dst] = parse_dmy(data[src])
            except ValueError as e:
                raise ValueError(f"{src}: {e}") from None
    if "jenisKelamin" in data:
        sex = _blank(data["jenisKelamin"])
        code = normalise_sex(str(sex)) if sex is not None else None
        if sex is not None and code is None:
            raise ValueError(f"jenisKelamin {sex!r} tidak dikenali")
        rec["jenis_kelamin"] = code
    if _blank(data.get("jenisJabatan")) is not None:
        rec["jenis_jabatan"] = str(_blank(data["jenisJabatan"]))
    elif "jenisJabatanId" in data:
        jj = _blank(data["jenisJabatanId"])
        rec["jenis_jabatan"] = normalise_jenis_jabatan(str(jj)) if jj is not None else None
    rec.pop("nik", None)
    return rec


@dataclass
class _Token:
    value: str
    expires_at: float  # time.monotonic()

    lifetime: float = DEFAULT_LIFETIME

    def fresh(self, now: float) -> bool:
        # Renew a little early: 30 s, or a tenth of a short lifetime.
        return now < self.expires_at - min(EXPIRY_MARGIN, self.lifetime / 10)


class TokenManager:
    """Both SIASN tokens, fetched lazily, renewed before expiry, dropped on a 401."""

    def __init__(
        self,
        http: HttpClient,
        *,
        token_url: str,
        consumer_key: str,
        consumer_secret: str,
        sso_token_url: str,
        sso_client_id: str,
        username: str | None,
        password: str | None,
        sso_token: str | None = None,
    ) -> None:
        self.http = http
        self.token_url = token_url
        self.consumer = (consumer_key, consumer_secret)
        self.sso_token_url = sso_token_url
        self.sso_client_id = sso_client_id
        self.username = username
        self.password = password
        self.pasted_sso = sso_token
        self._gateway: _Token | None = None
        self._sso: _Token | None = None
        self._lock = threading.Lock()
        self.generation = 0  # bumped on every refresh; lets concurrent 401s refresh once
        self.fetches = 0

    def headers(self) -> tuple[dict[str, str], int]:
        """The two auth headers and the token generation they belong to."""
        with self._lock:
            now = time.monotonic()
            if self._gateway is None or not self._gateway.fresh(now):
                self._gateway = self._fetch_gateway()
                self.generation += 1
            if self._sso is None or not self._sso.fresh(now):
                self._sso = self._fetch_sso()
                self.generation += 1
            return (
                {
                    "Authorization": f"Bearer {self._gateway.value}",
                    "Auth": f"bearer {self._sso.value}",
                },
                self.generation,
            )

    def invalidate(self, generation: int) -> None:
        """Drop both tokens, unless another thread already replaced them since ``generation``."""
        with self._lock:
            if generation == self.generation:
                self._gateway = None
                self._sso = None

    def _fetch_gateway(self) -> _Token:
        self.fetches += 1
        try:
            doc = self.http.post_json(
                self.token_url,
                data={"grant_type": "client_credentials"},
                auth=self.consumer,
                idempotent=True,
            )
        except AuthError as e:
            raise AuthError(
                f"SIASN gateway token refused (consumer key/secret?): {e.message}",
                status=e.status,
                url=e.url,
            ) from e
        return _token_from(doc, "gateway")

    def _fetch_sso(self) -> _Token:
        if self.pasted_sso:
            # A pasted token: its lifetime is unknown; use it until SIASN refuses it.
            return _Token(self.pasted_sso, time.monotonic() + 12 * 3600)
        if not self.username or not self.password:
            raise AuthError("SIASN SSO: no username/password and no pasted sso_token")
        self.fetches += 1
        try:
            doc = self.http.post_json(
                self.sso_token_url,
                data={
                    "client_id": self.sso_client_id,
                    "grant_type": "password",
                    "username": self.username,
                    "password": self.password,
                },
                idempotent=True,
            )
        except AuthError as e:
            raise AuthError(
                f"SIASN SSO login refused (username/password?): {e.message}",
                status=e.status,
                url=e.url,
            ) from e
        return _token_from(doc, "SSO")


def _token_from(doc: Any, what: str) -> _Token:
    if not isinstance(doc, dict) or not isinstance(doc.get("access_token"), str):
        raise BadPayload(f"SIASN {what} token answer without access_token")
    try:
        life = float(doc.get("expires_in") or DEFAULT_LIFETIME)
    except (TypeError, ValueError):
        life = DEFAULT_LIFETIME
    return _Token(doc["access_token"], time.monotonic() + life, life)


class SiasnRefused(ClientError):
    """SIASN answered but refused the write (``success: false``, or ``code`` other than 1,
    with a message), whatever the HTTP status."""


class SiasnMisconfigured(ClientError):
    """A 404 that is not SIASN's own not-found answer: the base URL or base path is wrong (or
    a proxy in between does not route the call). Every NIP would "not be found", so this stops
    a run instead of quarantining employees."""


#: SIASN's own not-found answer: ``{"code": 0, "data": "Data tidak ditemukan"}``.
def is_siasn_not_found(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and str(doc.get("code")) == "0"
        and isinstance(doc.get("data"), str)
        and doc["data"].strip().lower() == "data tidak ditemukan"
    )


class SiasnClient:
    """Calls to SIASN with both tokens, refreshed on expiry or 401 (one retry)."""

    def __init__(
        self,
        http: HttpClient,
        tokens: TokenManager,
        base_path: str = "/apisiasn/1.0",
        instansi_id: str | None = None,
    ) -> None:
        self.http = http
        self.tokens = tokens
        self.base_path = "/" + base_path.strip("/")
        self.instansi_id = instansi_id

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SiasnClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing

    def call(self, method: str, path: str, **kw: Any) -> Any:
        """One API call with both tokens; on a 401 drop both, fetch again and retry.

        One retry per expiry; with several threads a retry can meet a second expiry caused
        elsewhere, hence at most :data:`AUTH_RETRIES`. Wrong credentials cannot loop: the
        token endpoints refuse them first (:class:`AuthError` from the token fetch)."""
        url = f"{self.base_path}/{path.lstrip('/')}"
        extra = kw.pop("headers", None) or {}
        for attempt in range(AUTH_RETRIES + 1):
            headers, gen = self.tokens.headers()
            try:
                return self.http.request(method, url, headers={**extra, **headers}, **kw)[1]
            except NotFound as e:
                raise _not_found_or_misconfigured(e) from e
            except AuthError as e:
                if e.status != 401:
                    raise
                if attempt == AUTH_RETRIES:
                    if self.tokens.pasted_sso:
                        raise AuthError(
                            f"SIASN menolak token SSO yang ditempel (kedaluwarsa?): {e.message}",
                            status=401,
                            url=e.url,
                        ) from e
                    raise
                self.tokens.invalidate(gen)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- reads

    def data_utama_raw(self, nip: str) -> dict[str, Any] | None:
        try:
            data = _envelope(self.call("GET", f"pns/data-utama/{nip}"))
        except NotFound:
            return None
        if not isinstance(data, dict):
            raise BadPayload("data-utama without a data object")
        return data

    def data_utama(self, nip: str) -> dict[str, Any] | None:
        """The employee as a canonical dict (NIK dropped), or None when SIASN has no such NIP.
        Raises :class:`BadPayload` when a field cannot be read."""
        data = self.data_utama_raw(nip)
        if data is None:
            return None
        try:
            return map_data_utama(data)
        except ValueError as e:
            raise BadPayload(f"data-utama {nip}: {e}") from e

    def rw_kursus(self, nip: str) -> list[dict[str, Any]]:
        """Training history items (BKN keys; ``null`` texts as None; dates left as sent)."""
        try:
            data = _envelope(self.call("GET", f"pns/rw-kursus/{nip}"))
        except NotFound:
            return []
        if data is None:
            return []
        if not isinstance(data, list):
            raise BadPayload("rw-kursus without a data list")
        return [{k: _blank(v) for k, v in item.items()} for item in data if isinstance(item, dict)]

    def ref_unor(self, limit: int | None = None, offset: int | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = limit
        if offset is not None:
            params["offset"] = offset
        data = _envelope(self.call("GET", "referensi/ref-unor", params=params or None))
        if not isinstance(data, list):
            raise BadPayload("ref-unor without a data list")
        return [u for u in data if isinstance(u, dict)]

    # -- writes

    def save_kursus(self, body: Mapping[str, Any]) -> str:
        """``POST /kursus/save``; returns ``mapData.rwKursusId``. A refusal (``success``
        false, even with HTTP 200) raises :class:`SiasnRefused` with SIASN's message."""
        payload = dict(body)
        if self.instansi_id and not payload.get("instansiId"):
            payload["instansiId"] = self.instansi_id
        doc = self.call("POST", "kursus/save", json=payload)
        if not isinstance(doc, dict):
            raise BadPayload("kursus/save answer is not an object")
        if not doc.get("success"):
            raise SiasnRefused(str(doc.get("message") or "ditolak SIASN"), status=200)
        map_data = doc.get("mapData")
        rid = map_data.get("rwKursusId") if isinstance(map_data, dict) else None
        if not rid:
            raise BadPayload("kursus/save without mapData.rwKursusId")
        return str(rid)

    def upload_dok_rw(
        self,
        id_riwayat: str,
        file: Path | bytes,
        *,
        id_ref_dokumen: str = "881",
        filename: str = "sertifikat.pdf",
        content_type: str = "application/pdf",
    ) -> dict[str, Any]:
        """``POST /upload-dok-rw`` (multipart ``file``, ``id_riwayat``, ``id_ref_dokumen``:
        881 kursus certificate, 874 diklat certificate)."""
        if isinstance(file, Path):
            filename = file.name
            content = file.read_bytes()
        else:
            content = file
        doc = self.call(
            "POST",
            "upload-dok-rw",
            data={"id_riwayat": id_riwayat, "id_ref_dokumen": str(id_ref_dokumen)},
            files={"file": (filename, content, content_type)},
        )
        # Public clients count only ``code`` 1 as uploaded: a refusal may come as HTTP 200
        # with ``code`` 0 (or without any ``code``).
        if not isinstance(doc, dict) or str(doc.get("code")) != "1":
            message = doc.get("message") or doc.get("data") if isinstance(doc, dict) else None
            raise SiasnRefused(
                str(message or "unggah ditolak SIASN (tanpa code 1)")[:300], status=200
            )
        return doc


def _not_found_or_misconfigured(e: NotFound) -> ConnectorError:
    """A 404 is "no such NIP" only when it is SIASN's own answer; anything else (a proxy's
    HTML page, an API gateway's "no matching resource") means the URL or base path is
    wrong."""
    import json

    try:
        doc = json.loads(e.body or "")
    except ValueError:
        doc = None
    if is_siasn_not_found(doc):
        return NotFound("Data tidak ditemukan", status=404, url=e.url)
    return SiasnMisconfigured(
        "SIASN menjawab 404 di luar jawaban 'Data tidak ditemukan': alamat atau base path API "
        "SIASN salah (periksa DIKLAT_SIASN__URL dan DIKLAT_SIASN__BASE_PATH)",
        status=404,
        body=e.body,
    )  # no URL: the path would carry a NIP


def _envelope(doc: Any) -> Any:
    """BKN's ``{"code": 1, "data": ...}``; ``code`` 0 with a message is a refusal."""
    if not isinstance(doc, dict):
        raise BadPayload("SIASN answer is not an object")
    if "code" in doc and str(doc["code"]) != "1":
        data = doc.get("data")
        if isinstance(data, str) and "tidak ditemukan" in data.lower():
            raise NotFound(data, status=200)
        raise SiasnRefused(str(data or doc.get("message") or "ditolak SIASN"), status=200)
    return doc.get("data")
