"""The simulator's HTTP application: SIMPEG (``/simpeg/api/v1``), SIASN (``/apisiasn/1.0``, the
gateway token ``/oauth2/token`` and the SSO token of realm ``public-siasn``) and the control
endpoints (``/_control/...``) that tests and the demo use to inject faults and change data.

:func:`create_app` returns the ASGI app (FastAPI wrapped in :class:`simulator.faults.FaultMiddleware`).
Hot paths answer pre-serialised bytes (orjson), never pydantic models. Handlers are ``async`` so
that everything runs on the server's event loop.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import email.parser
import email.policy
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from simulator import refdata as R
from simulator import shapes
from simulator.data import Dataset, iso_updated, parse_since
from simulator.faults import ASGIApp, FaultConfig, FaultInjector, FaultMiddleware

SIMPEG_PREFIX = "/simpeg/api/v1"
SIASN_PREFIX = "/apisiasn/1.0"
SSO_REALM = "public-siasn"
MAX_LIMIT = 5000


@dataclass
class Credentials:
    api_key: str = "simulator-key"
    consumer_key: str = "simulator"
    consumer_secret: str = "simulator-secret"
    sso_password: str = "simulator-password"


class TokenStore:
    """Issued gateway and SSO tokens with their expiry (monotonic clock)."""

    def __init__(self, gateway_ttl: float = 3600, sso_ttl: float = 43200) -> None:
        self.gateway_ttl = gateway_ttl
        self.sso_ttl = sso_ttl
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}
        self.issued = {"gateway": 0, "sso": 0, "refresh": 0}

    def issue(self, kind: str, ttl: float) -> str:
        token = f"sim.{kind}.{secrets.token_urlsafe(24)}"
        now = time.monotonic()
        with self._lock:
            if len(self._tokens) > 10_000:
                self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}
            self._tokens[token] = (kind, now + ttl)
            self.issued[kind] = self.issued.get(kind, 0) + 1
        return token

    def valid(self, token: str | None, kind: str) -> bool:
        if not token:
            return False
        with self._lock:
            entry = self._tokens.get(token)
        return entry is not None and entry[0] == kind and entry[1] > time.monotonic()

    def expire_all(self) -> int:
        with self._lock:
            n = len(self._tokens)
            self._tokens.clear()
            return n


@dataclass
class KursusStore:
    """What clients saved through ``kursus/save`` and ``upload-dok-rw``."""

    saved: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # pnsOrangId -> items
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # generated id -> item
    documents: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # dok_uri -> file
    saves: int = 0

    def clear(self) -> None:
        self.saved.clear()
        self.overrides.clear()
        self.documents.clear()
        self.saves = 0


class SimulatorState:
    """Everything one simulator instance serves and counts."""

    def __init__(
        self,
        n_pegawai: int = 1000,
        seed: int = 1,
        bad_share: float = 0.0,
        faults: FaultConfig | dict[str, Any] | None = None,
        gateway_ttl: float = 3600,
        sso_ttl: float = 43200,
        credentials: Credentials | None = None,
    ) -> None:
        self.n_pegawai = n_pegawai
        self.seed = seed
        self.bad_share = bad_share
        self.dataset = Dataset(seed=seed, n=n_pegawai, bad_share=bad_share)
        cfg = faults if isinstance(faults, FaultConfig) else None
        self.faults = FaultInjector(cfg)
        if isinstance(faults, dict):
            self.faults.configure(faults)
        self.tokens = TokenStore(gateway_ttl, sso_ttl)
        self.credentials = credentials or Credentials()
        self.kursus = KursusStore()
        self._lock = threading.RLock()

    def reset(self) -> None:
        """Back to the freshly generated data: no changes, no saved kursus, no faults."""
        with self._lock:
            self.dataset = Dataset(seed=self.seed, n=self.n_pegawai, bad_share=self.bad_share)
            self.kursus.clear()
            self.faults.configure(reset=True)
            self.faults.reset_stats()
            self.tokens.expire_all()

    # -- lookups shared by the SIASN handlers
    def person(self, nip: str) -> tuple[int, dict[str, Any]] | None:
        i = self.dataset.index_of(nip, include_removed=True)
        if i is None:
            return None
        return i, self.dataset.record(i)

    def person_by_id(self, pns_orang_id: str) -> dict[str, Any] | None:
        i = self.dataset.index_of_id(pns_orang_id)
        return None if i is None else self.dataset.record(i)

    def kursus_items(self, rec: dict[str, Any]) -> list[dict[str, Any]]:
        items = [self.kursus.overrides.get(it["id"], it) for it in shapes.rw_kursus(rec)]
        for it in self.kursus.saved.get(rec["pns_orang_id"], []):
            items.append({**it, "nipBaru": rec["nip"], "nipLama": rec["nip_lama"]})
        return items


# --- helpers -----------------------------------------------------------------------------------


def _resp(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        content=orjson.dumps(data),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _raw(body: bytes, status: int = 200) -> Response:
    return Response(content=body, status_code=status, media_type="application/json")


def _form(body: bytes) -> dict[str, str]:
    return {
        k: v[0]
        for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()
    }


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Parse ``multipart/form-data`` with the standard library (no python-multipart here)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    out: dict[str, tuple[str | None, bytes]] = {}
    if not msg.is_multipart():
        return out
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True)
        out[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return out


def _dmy(value: Any) -> dt.date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return dt.datetime.strptime(value, "%d-%m-%Y").date()
    except ValueError:
        return None


def _refuse(message: str) -> Response:
    return _resp({"success": False, "message": message})


# --- the app -----------------------------------------------------------------------------------


def create_app(state: SimulatorState) -> ASGIApp:
    """The simulator as an ASGI app (fault middleware outermost)."""
    app = FastAPI(
        title="diklat-flows SIMPEG/SIASN simulator",
        docs_url="/_docs",
        redoc_url=None,
        openapi_url="/_openapi.json",
    )
    creds = state.credentials

    # ---------------------------------------------------------------- SIMPEG
    def simpeg_auth(request: Request) -> Response | None:
        key = request.headers.get("x-api-key")
        if not key:
            return _resp({"error": "X-API-Key tidak ada"}, 401)
        if not hmac.compare_digest(key.encode(), creds.api_key.encode()):
            return _resp({"error": "X-API-Key tidak valid"}, 401)
        return None

    @app.get(SIMPEG_PREFIX + "/pegawai")
    async def simpeg_pegawai(request: Request) -> Response:
        if (denied := simpeg_auth(request)) is not None:
            return denied
        q = request.query_params
        try:
            limit = int(q.get("limit") or 1000)
        except ValueError:
            return _resp({"error": "limit harus bilangan bulat"}, 400)
        if limit < 1:
            return _resp({"error": "limit minimal 1"}, 400)
        limit = min(limit, MAX_LIMIT)
        since: int | None = None
        if q.get("updated_since"):
            try:
                since = parse_since(q["updated_since"])
            except ValueError:
                return _resp({"error": "updated_since harus tanggal-waktu ISO 8601"}, 400)
        return _raw(state.dataset.page(limit, q.get("after") or None, since))

    @app.get(SIMPEG_PREFIX + "/pegawai/{nip}")
    async def simpeg_pegawai_one(nip: str, request: Request) -> Response:
        if (denied := simpeg_auth(request)) is not None:
            return denied
        i = state.dataset.index_of(nip)
        if i is None:
            return _resp({"error": "Pegawai tidak ditemukan"}, 404)
        return _raw(b'{"data":' + state.dataset.doc_bytes(i) + b"}")

    units_body = orjson.dumps({"data": shapes.units_simpeg()})

    @app.get(SIMPEG_PREFIX + "/unit")
    async def simpeg_unit(request: Request) -> Response:
        if (denied := simpeg_auth(request)) is not None:
            return denied
        return _raw(units_body)

    # ---------------------------------------------------------------- tokens
    @app.post("/oauth2/token")
    async def gateway_token(request: Request) -> Response:
        form = _form(await request.body())
        auth = request.headers.get("authorization", "")
        user = secret = ""
        if auth.lower().startswith("basic "):
            with contextlib.suppress(binascii.Error, UnicodeDecodeError):
                user, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
        else:  # some clients send the credentials in the form
            user, secret = form.get("client_id", ""), form.get("client_secret", "")
        if (user, secret) != (creds.consumer_key, creds.consumer_secret):
            return _resp(
                {"error": "invalid_client", "error_description": "Client Authentication failed."},
                401,
            )
        if form.get("grant_type") != "client_credentials":
            return _resp(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type harus client_credentials",
                },
                400,
            )
        ttl = state.tokens.gateway_ttl
        return _resp(
            {
                "access_token": state.tokens.issue("gateway", ttl),
                "scope": "am_application_scope default",
                "token_type": "Bearer",
                "expires_in": int(ttl) if float(ttl).is_integer() else ttl,
            }
        )

    @app.post("/auth/realms/{realm}/protocol/openid-connect/token")
    async def sso_token(realm: str, request: Request) -> Response:
        if realm != SSO_REALM:
            return _resp({"error": "Realm does not exist"}, 404)
        form = _form(await request.body())
        if not form.get("client_id"):
            return _resp(
                {
                    "error": "invalid_client",
                    "error_description": "Invalid client or Invalid client credentials",
                },
                401,
            )
        grant = form.get("grant_type")
        if grant == "password":
            if not form.get("username") or form.get("password") != creds.sso_password:
                return _resp(
                    {"error": "invalid_grant", "error_description": "Invalid user credentials"}, 401
                )
        elif grant == "refresh_token":
            if not state.tokens.valid(form.get("refresh_token"), "refresh"):
                return _resp(
                    {"error": "invalid_grant", "error_description": "Token is not active"}, 400
                )
        else:
            return _resp(
                {"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"},
                400,
            )
        ttl = state.tokens.sso_ttl
        return _resp(
            {
                "access_token": state.tokens.issue("sso", ttl),
                "expires_in": int(ttl) if float(ttl).is_integer() else ttl,
                "refresh_expires_in": int(ttl) * 2,
                "refresh_token": state.tokens.issue("refresh", ttl * 2),
                "token_type": "Bearer",
                "not-before-policy": 0,
                "session_state": str(uuid.uuid4()),
                "scope": "profile email",
            }
        )

    # ---------------------------------------------------------------- SIASN
    def siasn_auth(request: Request) -> Response | None:
        auth = request.headers.get("authorization", "")
        gw = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if not state.tokens.valid(gw, "gateway"):
            return _resp({"code": 0, "message": "invalid or expired jwt"}, 401)
        sso_h = request.headers.get("auth", "")
        sso = sso_h[7:].strip() if sso_h.lower().startswith("bearer ") else None
        if not state.tokens.valid(sso, "sso"):
            return _resp({"code": 0, "data": "Token SSO mismatch"}, 401)
        return None

    not_found = {"code": 0, "data": "Data tidak ditemukan"}

    @app.get(SIASN_PREFIX + "/pns/data-utama/{nip}")
    async def data_utama(nip: str, request: Request) -> Response:
        if (denied := siasn_auth(request)) is not None:
            return denied
        found = state.person(nip)
        if found is None:
            return _resp(not_found, 404)
        i, rec = found
        return _resp({"code": 1, "data": shapes.data_utama(rec, state.dataset.extra(i))})

    @app.get(SIASN_PREFIX + "/pns/rw-kursus/{nip}")
    async def rw_kursus(nip: str, request: Request) -> Response:
        if (denied := siasn_auth(request)) is not None:
            return denied
        found = state.person(nip)
        if found is None:
            return _resp(not_found, 404)
        return _resp({"code": 1, "data": state.kursus_items(found[1])})

    @app.get(SIASN_PREFIX + "/pns/rw-diklat/{nip}")
    async def rw_diklat(nip: str, request: Request) -> Response:
        if (denied := siasn_auth(request)) is not None:
            return denied
        found = state.person(nip)
        if found is None:
            return _resp(not_found, 404)
        return _resp({"code": 1, "data": shapes.rw_diklat(found[1])})

    @app.get(SIASN_PREFIX + "/referensi/ref-unor")
    async def ref_unor(request: Request) -> Response:
        if (denied := siasn_auth(request)) is not None:
            return denied
        rows = shapes.ref_unor()
        q = request.query_params
        try:
            offset = int(q.get("offset") or 0)
            limit = int(q.get("limit") or len(rows))
        except ValueError:
            return _resp({"code": 0, "message": "limit/offset harus angka"}, 400)
        return _resp({"code": 1, "data": rows[offset : offset + limit]})

    @app.post(SIASN_PREFIX + "/kursus/save")
    async def kursus_save(request: Request) -> Response:
        if (denied := siasn_auth(request)) is not None:
            return denied
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _refuse("Format JSON tidak valid")
        if not isinstance(body, dict):
            return _refuse("Format JSON tidak valid")
        return _save_kursus(state, body)

    @app.post(SIASN_PREFIX + "/upload-dok-rw")
    async def upload_dok(request: Request) -> Response:
        if (denied := siasn_auth(request)) is not None:
            return denied
        ctype = request.headers.get("content-type", "")
        if not ctype.lower().startswith("multipart/form-data"):
            return _upload_refuse("Content-Type harus multipart/form-data")
        parts = _multipart(ctype, await request.body())
        return _upload(state, parts)

    @app.get(SIASN_PREFIX + "/download-dok")
    async def download_dok(request: Request) -> Response:
        if (denied := siasn_auth(request)) is not None:
            return denied
        doc = state.kursus.documents.get(request.query_params.get("filePath", ""))
        if doc is None:
            return _resp(not_found, 404)
        return Response(content=doc[1], media_type="application/pdf")

    # ---------------------------------------------------------------- control
    _control_routes(app, state)

    @app.get("/")
    async def index() -> Response:
        return _resp(
            {
                "simulator": "diklat-flows SIMPEG/SIASN",
                "pegawai": state.dataset.n,
                "seed": state.seed,
                "simpeg": SIMPEG_PREFIX,
                "siasn": SIASN_PREFIX,
                "control": "/_control",
                "docs": "/_docs",
            }
        )

    return FaultMiddleware(app, state.faults, on_expire=state.tokens.expire_all)


_SAVE_REQUIRED = (
    "pnsOrangId",
    "instansiId",
    "namaKursus",
    "jenisDiklatId",
    "institusiPenyelenggara",
    "jumlahJam",
    "nomorSertipikat",
    "tahunKursus",
    "tanggalKursus",
    "tanggalSelesaiKursus",
)


def _save_kursus(state: SimulatorState, body: dict[str, Any]) -> Response:
    missing = [k for k in _SAVE_REQUIRED if body.get(k) in (None, "")]
    if "nomorSertipikat" in missing and body.get("noSertipikat"):
        return _refuse("nomorSertipikat harus diisi (noSertipikat adalah nama field baca)")
    if missing:
        return _refuse(f"Field wajib belum diisi: {', '.join(missing)}")
    person = state.person_by_id(str(body["pnsOrangId"]))
    if person is None:
        return _refuse("PNS dengan pnsOrangId tersebut tidak ditemukan")
    jdid = body["jenisDiklatId"]
    if not isinstance(jdid, str) or jdid not in R.JENIS_DIKLAT:
        return _refuse("jenisDiklatId harus string '1'..'24'")
    jp = body["jumlahJam"]
    if isinstance(jp, bool) or not isinstance(jp, int | float) or jp <= 0:
        return _refuse("jumlahJam harus angka lebih dari 0")
    tahun = body["tahunKursus"]
    if isinstance(tahun, bool) or not isinstance(tahun, int) or not 1950 <= tahun <= 2100:
        return _refuse("tahunKursus harus angka tahun")
    mulai, selesai = _dmy(body["tanggalKursus"]), _dmy(body["tanggalSelesaiKursus"])
    if mulai is None or selesai is None:
        return _refuse("tanggalKursus dan tanggalSelesaiKursus harus dd-mm-yyyy")
    if selesai < mulai:
        return _refuse("tanggalSelesaiKursus sebelum tanggalKursus")
    sert = body.get("jenisKursusSertipikat") or "T"
    item = {
        "id": "",
        "idPns": person["pns_orang_id"],
        "nipBaru": person["nip"],
        "namaKursus": str(body["namaKursus"]),
        "jenisDiklatId": jdid,
        "jenisKursusId": str(
            body.get("jenisKursus") or body.get("jenisKursusId") or shapes.jenis_kursus_id(jdid)
        ),
        "jenisKursusNama": R.JENIS_DIKLAT[jdid],
        "jenisKursusSertifikat": sert,
        "institusiPenyelenggara": str(body["institusiPenyelenggara"]),
        "jumlahJam": jp,
        "noSertipikat": str(body["nomorSertipikat"]),
        "tahunKursus": tahun,
        "tanggalKursus": body["tanggalKursus"],
        "tanggalSelesaiKursus": body["tanggalSelesaiKursus"],
        "lokasiId": body.get("lokasiId"),
        "path": _path_dict(body.get("path")),
    }
    store = state.kursus
    existing_id = str(body.get("id") or "")
    saved = store.saved.setdefault(person["pns_orang_id"], [])
    if existing_id:
        for k, it in enumerate(saved):
            if it["id"] == existing_id:
                item["id"] = existing_id
                item["path"] = _path_dict(body.get("path")) or it.get("path") or {}
                saved[k] = item
                break
        else:
            generated = {it["id"] for it in shapes.rw_kursus(person)}
            if existing_id not in generated:
                return _refuse("Riwayat kursus dengan id tersebut tidak ditemukan")
            item["id"] = existing_id
            store.overrides[existing_id] = item
    else:
        item["id"] = uuid.uuid4().hex
        saved.append(item)
    store.saves += 1
    return _resp({"success": True, "message": "success", "mapData": {"rwKursusId": item["id"]}})


def _path_dict(value: Any) -> dict[str, Any]:
    """``path`` of a saved riwayat as SIASN keeps it: ``{"881": {dok_id, ...}}``. BKN's
    template sends a list of documents (``[{"dok_id": .., "dok_nama": .., "dok_uri": ..,
    "object": .., "slug": "881"}]``) or an empty list; both become the dict."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items() if isinstance(v, dict)}
    out: dict[str, Any] = {}
    if isinstance(value, list):
        for doc in value:
            if isinstance(doc, dict) and doc.get("slug"):
                out[str(doc["slug"])] = doc
    return out


def _upload_refuse(message: str) -> Response:
    """``upload-dok-rw`` refuses as the real service does: HTTP 200 with ``code`` 0."""
    return _resp({"code": 0, "message": message, "data": None})


def _upload(state: SimulatorState, parts: dict[str, tuple[str | None, bytes]]) -> Response:
    if "file" not in parts or not parts["file"][1]:
        return _upload_refuse("File wajib diunggah")
    id_riwayat = parts.get("id_riwayat", (None, b""))[1].decode(errors="replace").strip()
    ref = parts.get("id_ref_dokumen", (None, b""))[1].decode(errors="replace").strip()
    if ref not in ("881", "874"):
        return _upload_refuse("id_ref_dokumen harus 881 (kursus) atau 874 (diklat)")
    if not id_riwayat:
        return _upload_refuse("id_riwayat wajib diisi")
    filename, content = parts["file"]
    if not content.startswith(b"%PDF"):
        return _upload_refuse("File harus berformat PDF")
    if len(content) > 10 * 1024 * 1024:
        return _upload_refuse("Ukuran file maksimal 10 MB")
    target: dict[str, Any] | None = None
    store = state.kursus
    for items in store.saved.values():
        for it in items:
            if it["id"] == id_riwayat:
                target = it
    if target is None:
        target = store.overrides.get(id_riwayat)
    if target is None:
        return _upload_refuse("Riwayat dengan id_riwayat tersebut tidak ditemukan")
    dok_id = hashlib.sha1(content).hexdigest()[:24]
    nama = filename or f"{id_riwayat}.pdf"
    uri = f"peremajaan/usulan/{ref}/{id_riwayat}/{dok_id}.pdf"
    store.documents[uri] = (nama, content)
    data = {"dok_id": dok_id, "dok_nama": nama, "dok_uri": uri, "object": uri, "slug": ref}
    if not isinstance(target.get("path"), dict):
        target["path"] = _path_dict(target.get("path"))
    target["path"][ref] = data
    return _resp({"code": 1, "message": "success", "data": data})


def _control_routes(app: FastAPI, state: SimulatorState) -> None:
    async def json_body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip():
            return {}
        data = orjson.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("body must be a JSON object")
        return data

    @app.get("/_control/faults")
    async def get_faults() -> Response:
        return _resp(state.faults.config.as_dict())

    @app.post("/_control/faults")
    async def set_faults(request: Request) -> Response:
        try:
            body = await json_body(request)
            reset = bool(body.pop("reset", False))
            cfg = state.faults.configure(body, reset=reset)
        except (ValueError, TypeError) as e:
            return _resp({"error": str(e)}, 400)
        return _resp(cfg.as_dict())

    @app.post("/_control/mutate")
    async def mutate(request: Request) -> Response:
        body = await json_body(request)
        out = state.dataset.mutate(float(body.get("share", 0.01)), body.get("seed"))
        return _resp(
            {
                "mutated": out,
                "count": len(out),
                "max_updated_at": iso_updated(state.dataset.max_updated()),
            }
        )

    @app.post("/_control/remove")
    async def remove(request: Request) -> Response:
        body = await json_body(request)
        out = state.dataset.remove(float(body.get("share", 0.01)), body.get("seed"))
        return _resp({"removed": out, "count": len(out)})

    @app.post("/_control/update")
    async def update(request: Request) -> Response:
        body = await json_body(request)
        i = state.dataset.index_of(str(body.get("nip", "")))
        if i is None:
            return _resp({"error": "Pegawai tidak ditemukan"}, 404)
        try:
            stamp = state.dataset.update(i, dict(body.get("changes") or {}))
        except KeyError as e:
            return _resp({"error": str(e)}, 400)
        return _resp({"index": i, "updated_at": iso_updated(stamp)})

    @app.post("/_control/expire-tokens")
    async def expire_tokens() -> Response:
        return _resp({"expired": state.tokens.expire_all()})

    @app.get("/_control/tokens")
    async def get_tokens() -> Response:
        return _resp(
            {
                "gateway_ttl": state.tokens.gateway_ttl,
                "sso_ttl": state.tokens.sso_ttl,
                "issued": state.tokens.issued,
            }
        )

    @app.post("/_control/tokens")
    async def set_tokens(request: Request) -> Response:
        body = await json_body(request)
        if "gateway_ttl" in body:
            state.tokens.gateway_ttl = float(body["gateway_ttl"])
        if "sso_ttl" in body:
            state.tokens.sso_ttl = float(body["sso_ttl"])
        return _resp(
            {
                "gateway_ttl": state.tokens.gateway_ttl,
                "sso_ttl": state.tokens.sso_ttl,
                "issued": state.tokens.issued,
            }
        )

    @app.get("/_control/stats")
    async def stats() -> Response:
        s = state.faults.stats()
        s["tokens_issued"] = dict(state.tokens.issued)
        s["kursus_saves"] = state.kursus.saves
        return _resp(s)

    @app.post("/_control/stats/reset")
    async def stats_reset() -> Response:
        state.faults.reset_stats()
        return _resp({"ok": True})

    @app.get("/_control/dataset")
    async def dataset_info() -> Response:
        ds = state.dataset
        return _resp(
            {
                "seed": ds.seed,
                "n": ds.n,
                "bad_share": ds.bad_share,
                "listed": len(ds),
                "version": ds.version,
                "max_updated_at": iso_updated(ds.max_updated()),
                "bad": ds.bad_records(),
            }
        )

    @app.get("/_control/kursus")
    async def kursus_saved() -> Response:
        return _resp(
            {
                "saved": state.kursus.saved,
                "overrides": state.kursus.overrides,
                "saves": state.kursus.saves,
            }
        )

    @app.post("/_control/reset")
    async def reset() -> Response:
        state.reset()
        return _resp({"ok": True, "n": state.dataset.n})
