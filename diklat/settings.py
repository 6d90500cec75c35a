"""One settings object for the whole product.

Read from environment variables prefixed ``DIKLAT_`` (nested groups with ``__``, e.g.
``DIKLAT_INSTANSI__KOTA``) and from a ``.env`` file in the working directory. With nothing
configured, everything runs on embedded defaults: SQLite under ``./var/``, the bundled
SIMPEG/SIASN simulator on loopback, a file outbox instead of SMTP.

Secrets are ``SecretStr`` so that printing the settings (``diklat config``) masks them.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Port the simulator listens on by default; the connector URLs below point at it.
SIMULATOR_PORT = 8765

#: The folder this package was loaded from belongs to (a checkout: ``pyproject.toml`` and
#: ``migrations/`` beside ``diklat/``; an installed copy has neither).
_PAKET = Path(__file__).resolve().parent.parent


def project_root() -> Path | None:
    """The project's folder (the checkout ``diklat`` runs from, wherever the command is
    typed), or None for a copy installed without one."""
    if (_PAKET / "pyproject.toml").is_file() and (_PAKET / "migrations").is_dir():
        return _PAKET
    return None


def _default_var_dir() -> Path:
    """``<project>/var`` whatever the working directory; ``var`` (relative) only where no
    project folder exists, and then nothing is created there (:func:`Settings.var_dir_tebakan`)."""
    root = project_root()
    return root / "var" if root is not None else Path("var")


#: The running stack of ``diklat up`` (its process, the addresses it started), in var_dir.
STACK_FILE = "up.json"


def stack_berjalan(var_dir: Path) -> dict[str, Any] | None:
    """What ``diklat up`` started, while it runs on this machine (``up.json`` in the data
    folder: ``pid``, ``host``, ``prefect``, ``web``, ``simulator`` addresses); None when no
    stack runs. Its ports are the ones given to ``diklat up`` / ``make up``."""
    import json
    import os
    import socket

    try:
        state = json.loads((Path(var_dir) / STACK_FILE).read_text(encoding="utf-8"))
        pid = int(state["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if state.get("host") != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return dict(state)


def _env_files() -> tuple[Path, ...]:
    """The project's ``.env`` and the working directory's (the latter wins)."""
    root = project_root()
    return ((root / ".env",) if root is not None else ()) + (Path(".env"),)


class Instansi(BaseModel):
    """The agency's identity, printed in every letterhead (kop surat)."""

    pemerintah: str = "PEMERINTAH KABUPATEN KUTAI KARTANEGARA"
    nama: str = "BADAN KEPEGAWAIAN DAN PENGEMBANGAN SUMBER DAYA MANUSIA"
    singkatan: str = "BKPSDM"
    alamat: str = "Jalan Wolter Monginsidi, Gedung Kembar Lt. 3, Timbau, Tenggarong"
    kode_pos: str = "75511"
    telepon: str = "(0541) 6666379"
    email: str = "bkpsdm@kukarkab.go.id"
    website: str = "https://bkpsdm.kukarkab.go.id"
    kota: str = "Tenggarong"  # place printed before the letter date
    kode_unit: str = "BKPSDM"  # the unit part of a letter number
    instansi_siasn_id: str = "A5EB03E23C7CF6A0E040640A040252AD"
    #: The regional emblem in the letterhead (a PNG file); empty: the neutral placeholder.
    lambang: Path | None = None
    #: The agency's paper (``A4`` or ``F4``), the same as ``naskah.kertas`` (which it sets
    #: when given): ``DIKLAT_INSTANSI__KERTAS=F4``.
    kertas: Literal["A4", "F4"] | None = None


class Setda(BaseModel):
    """The Sekretariat Daerah: a letter the Sekretaris Daerah signs is its letter (DOMAIN.md,
    "What an audit ... expects"): its letterhead, its number series (the Setda's agenda), the
    full title. ``kop`` ``setda`` prints the government and the Sekretariat Daerah with its
    address; ``kepala_daerah`` the regional head's letterhead (``BUPATI ...``), as regions
    whose Sekda signs on the head's letterhead do."""

    nama: str = "SEKRETARIAT DAERAH"
    alamat: str = "Jalan Wolter Monginsidi No. 1, Timbau, Tenggarong"
    kode_pos: str = "75511"
    telepon: str = "(0541) 661020"
    email: str = "setda@kukarkab.go.id"
    website: str = "https://kukarkab.go.id"
    kode_unit: str = "SETDA"  # the unit part of the Setda's letter numbers
    kop: Literal["setda", "kepala_daerah"] = "setda"


#: Default classification codes per document type (Permendagri 83/2022, see DOMAIN.md).
DEFAULT_KLASIFIKASI: dict[str, str] = {
    "surat_permohonan_narasumber": "800.2.4.1",
    "surat_pemberitahuan": "800.2.4.1",
    "sk_panitia": "800.2.4.2",
    "surat_panggilan": "800.2.4.2",
    "undangan_pembukaan": "800.2.4.2",
    "surat_tugas": "800.1.4.1",
    "sertifikat": "800.2.4.2",
    "laporan_kegiatan": "800.2.4.7",
    "tanda_terima": "800.2.4.2",
    "daftar_hadir": "800.2.4.2",
}


#: Document types that are decrees (keputusan): numbered in the register of keputusan.
JENIS_KEPUTUSAN: tuple[str, ...] = ("sk_panitia",)


class Naskah(BaseModel):
    """Letters: numbering and typesetting."""

    nomor_format: str = "{klasifikasi}/{urut:03d}/{unit}/{tahun}"
    klasifikasi: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_KLASIFIKASI))
    kertas: Literal["A4", "F4"] = "A4"
    font: str = "Arial"
    font_size_pt: float = 12
    pdf: bool = True  # convert to PDF when LibreOffice is available
    # Documents that are not letters get no number (an attendance sheet, a receipt).
    tanpa_nomor: list[str] = Field(default_factory=lambda: ["daftar_hadir", "tanda_terima"])
    # Types numbered in a sequence of their own: jenis -> unit part of the number
    # ("{kode_unit}" is replaced by instansi.kode_unit), e.g. certificates (STTP).
    seri: dict[str, str] = Field(default_factory=lambda: {"sertifikat": "{kode_unit}-STTP"})
    # Decrees (keputusan, e.g. the committee SK) in the register of keputusan, a series of
    # their own; empty: numbered in the letters' series.
    seri_keputusan: str | None = "KEP/{kode_unit}"


class Simpeg(BaseModel):
    url: str = f"http://127.0.0.1:{SIMULATOR_PORT}/simpeg/api/v1"
    api_key: SecretStr = SecretStr("simulator-key")
    page_size: int = 2000


class KonfigurasiSalah(ValueError):
    """A configuration that must not start (the message is the one line for the operator)."""


class Siasn(BaseModel):
    """BKN's SIASN: three URLs (docs/siasn.md). Real service: ``url`` the API gateway
    (``https://apimws.bkn.go.id:8243``, or the agency's whitelisted proxy), ``token_url`` the
    gateway token (``https://apimws.bkn.go.id/oauth2/token``: same host, no port 8243),
    ``sso_url`` the SSO host of realm ``public-siasn`` (another host)."""

    url: str = f"http://127.0.0.1:{SIMULATOR_PORT}"  # gateway (often the agency's own proxy)
    base_path: str = "/apisiasn/1.0"
    #: Full URL of the gateway token; empty = ``url`` + ``token_path`` (the simulator).
    token_url: str = ""
    token_path: str = "/oauth2/token"
    sso_url: str = f"http://127.0.0.1:{SIMULATOR_PORT}"
    sso_realm: str = "public-siasn"
    sso_client_id: str = "simpeg-client"
    consumer_key: SecretStr = SecretStr("simulator")
    consumer_secret: SecretStr = SecretStr("simulator-secret")
    username: str = "199001012015011001"  # the operator's NIP for the SSO password grant
    password: SecretStr = SecretStr("simulator-password")
    sso_token: SecretStr | None = None  # a token pasted by hand instead of the password grant
    concurrency: int = 4


class Http(BaseModel):
    connect_timeout: float = 3.05
    read_timeout: float = 30.0
    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_budget_seconds: float = 120.0  # most time one call may spend retrying
    # ... when the server refuses the connection or cannot be reached (it is down: fail
    # fast, the next run continues from its checkpoint)
    unreachable_budget_seconds: float = 8.0


class Smtp(BaseModel):
    host: str | None = None  # None: mail goes to the file outbox
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = True
    sender: str = "BKPSDM <bkpsdm@kukarkab.go.id>"
    # starttls (587), ssl (465) or none; when unset, follows ``starttls`` above.
    security: Literal["starttls", "ssl", "none"] = "starttls"
    timeout: float = 30.0  # seconds per SMTP command
    # Retry budget per message for transient failures (4xx, refused/reset, timeout):
    # exponential backoff with full jitter; what outlives it waits for the next run.
    max_retries: int = 4
    backoff_base: float = 2.0
    backoff_max: float = 60.0
    retry_budget_seconds: float = 120.0

    @model_validator(mode="after")
    def _security(self) -> Smtp:
        if "security" not in self.model_fields_set and not self.starttls:
            self.security = "none"
        if "port" not in self.model_fields_set and self.security == "ssl":
            self.port = 465
        return self


#: Retention in years per classification code (the agency's Jadwal Retensi Arsip; active +
#: inactive period). Defaults for the training codes of DOMAIN.md; set the agency's own.
DEFAULT_RETENSI: dict[str, int] = {
    "800.2.4.1": 5,  # training planning (participants, trainers, schedule; proposals)
    "800.2.4.2": 5,  # running a training (summons, certificates, attendance)
    "800.2.4.7": 5,  # post-training monitoring and evaluation
    "800.1.4.1": 10,  # proposals for study or training assignments (personnel file)
}


class Arsip(BaseModel):
    """The archive: where files are stored and how long each classification is kept."""

    url: str = ""  # an fsspec URL or a folder; empty: the ``arsip`` folder in var_dir
    retensi: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_RETENSI))


class Approval(BaseModel):
    """Paraf and signature waits: one-time codes, deadlines, escalation."""

    otp_lifetime_minutes: int = 480  # a code is good for one working day's morning
    otp_max_attempts: int = 5  # wrong attempts before a level is locked
    reminder_before_deadline_hours: float = 2.0
    #: After how many times the standard time the hard limit is reached, and what then:
    #: "ingatkan" (remind again), "eskalasi" (escalate again), "hentikan" (stop the path).
    batas_keras_kali: float = 3.0
    batas_keras: Literal["ingatkan", "eskalasi", "hentikan"] = "eskalasi"
    #: Who is told when a level is locked or late: role -> the role above it.
    atasan: dict[str, str] = Field(
        default_factory=lambda: {
            "pengolah_data": "analis_sdm",
            "analis_sdm": "kabid_psda",
            "kabid_psda": "sekretaris",
            "sekretaris": "kepala",
            "kepala": "sekda",
            "pengelola": "kabid_psda",
            "pokja": "kabid_psda",
            "operator": "kabid_psda",
        }
    )
    #: Base URL of the Prefect UI in the e-mails (empty: from PREFECT_API_URL, else the local
    #: server's address).
    ui_url: str | None = None
    #: Key that one-time codes are hashed with (empty: a random key kept in var/rahasia).
    kode_secret: SecretStr | None = None
    poll_seconds: float = 10  # how often a paused (not deployed) run checks for its answer
    #: NIP of the operator who drafts letters (Pokja / Pengelola): he may not initial or
    #: sign his own drafts. Empty: not checked.
    pembuat_nip: str | None = None
    #: The operator desk's e-mail: told when a step waits for an operator (a form, a
    #: correction, a delivery to confirm), reminded past its deadline. Empty: the holders of
    #: the step's roles who have an e-mail in the officials/staff table.
    operator_email: str | None = None


class Tte(BaseModel):
    """Electronic signatures: the local CA (default) or the agency's BSrE esign-client."""

    mode: Literal["local", "bsre"] = "local"
    ca_dir: Path | None = None  # the local CA's folder; var_dir/tte when unset
    bsre_url: str = "http://127.0.0.1:8080"
    bsre_api: Literal["v1", "v2"] = "v1"
    bsre_username: str = "esign"
    bsre_password: SecretStr = SecretStr("")
    timeout: float = 60.0  # seconds to wait for a sign call's answer (never retried)
    trust_roots: list[Path] = Field(default_factory=list)  # PEM files; the local root when empty
    verify_base_url: str = (
        "http://127.0.0.1:8000"  # `diklat web`; the QR points at <this>/v/<token>
    )
    #: An RFC 3161 time-stamping authority (BSrE's or the agency's) for the local signer;
    #: empty: the local CA's own TSA (the project's policy OID). Put its root in trust_roots.
    tsa_url: str = ""
    tsa_username: str = ""
    tsa_password: SecretStr = SecretStr("")
    tsa_timeout: float = 10.0


class Sync(BaseModel):
    cron: str = "0 1 * * *"  # nightly, in Settings.timezone
    batch_size: int = 2000
    # An incremental run asks SIMPEG for changes since the previous run's start minus this
    # overlap (or its newest change, if earlier): changes made while a run was reading, or in
    # the same second as its last record, or under a slightly different server clock, are
    # fetched again (the content hash makes the overlap cost no writes).
    overlap_seconds: int = 300


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DIKLAT_",
        env_nested_delimiter="__",
        env_file=_env_files(),
        extra="ignore",
    )

    #: Data folder: database, outputs, outbox, archive, Prefect's history. Default: ``var``
    #: in the project's folder, from wherever ``diklat`` is run.
    var_dir: Path = Field(default_factory=_default_var_dir)
    database_url: str = ""  # derived from var_dir when empty
    timezone: str = "Asia/Makassar"

    # Working time (civil-service office hours).
    jam_masuk: dt.time = dt.time(8, 0)
    jam_pulang: dt.time = dt.time(16, 0)
    hari_kerja: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])  # Mon..Fri
    libur_tambahan: list[dt.date] = Field(default_factory=list)  # cuti bersama, local leave days
    holiday_subdiv: str | None = None

    instansi: Instansi = Field(default_factory=Instansi)
    setda: Setda = Field(default_factory=Setda)
    naskah: Naskah = Field(default_factory=Naskah)
    simpeg: Simpeg = Field(default_factory=Simpeg)
    siasn: Siasn = Field(default_factory=Siasn)
    http: Http = Field(default_factory=Http)
    smtp: Smtp = Field(default_factory=Smtp)
    arsip: Arsip = Field(default_factory=Arsip)
    approval: Approval = Field(default_factory=Approval)
    sync: Sync = Field(default_factory=Sync)
    tte: Tte = Field(default_factory=Tte)
    #: The records officer's SRIKANDI hand-over of the day (``serah-srikandi/harian``): at the
    #: end of each working day, in Settings.timezone.
    srikandi_cron: str = "30 15 * * 1-5"

    # Shortcuts (DIKLAT_SIMPEG_URL / DIKLAT_SIASN_URL) overriding simpeg.url and siasn.url
    # (and siasn.sso_url while it is the simulator default): point both clients at a server.
    simpeg_url: str | None = None
    siasn_url: str | None = None

    output_dir: Path | None = None
    outbox_dir: Path | None = None
    archive_dir: Path | None = None
    import_dir: Path | None = None
    templates_dir: Path = Path(__file__).resolve().parent.parent / "templates"

    @field_validator("hari_kerja")
    @classmethod
    def _weekdays(cls, v: list[int]) -> list[int]:
        if not v or any(d < 0 or d > 6 for d in v):
            raise ValueError("hari_kerja: weekday numbers 0 (Monday) .. 6 (Sunday)")
        return sorted(set(v))

    #: True when neither a setting nor a project folder says where the data lives.
    _var_tebakan: bool = PrivateAttr(default=False)

    @property
    def var_dir_tebakan(self) -> bool:
        """The data folder is only a guess (``./var`` of the working directory): no
        ``DIKLAT_VAR_DIR``/``DIKLAT_DATABASE_URL`` and no project folder. A database is then
        never created there (:func:`diklat.db.check_url`)."""
        return self._var_tebakan

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        self._var_tebakan = (
            not self.database_url
            and "var_dir" not in self.model_fields_set
            and project_root() is None
        )
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'diklat.db').as_posix()}"
        self.output_dir = self.output_dir or self.var_dir / "output"
        self.outbox_dir = self.outbox_dir or self.var_dir / "outbox"
        self.archive_dir = self.archive_dir or self.var_dir / "arsip"
        self.import_dir = self.import_dir or self.var_dir / "import"
        self.tte.ca_dir = self.tte.ca_dir or self.var_dir / "tte"
        if self.simpeg_url:
            self.simpeg.url = self.simpeg_url
        if self.siasn_url:
            if self.siasn.sso_url == Siasn().sso_url:
                self.siasn.sso_url = self.siasn_url
            self.siasn.url = self.siasn_url
        if self.instansi.kertas is not None:
            self.naskah.kertas = self.instansi.kertas
        if self.jam_pulang <= self.jam_masuk:
            raise ValueError("jam_pulang must be after jam_masuk")
        self._ikut_stack()
        return self

    def _ikut_stack(self) -> None:
        """Where ``diklat up`` runs with other ports (``--sim-port``, ``--web-port``), the
        settings still on the defaults follow it: the connectors reach its simulator, the
        QR its verification page. Anything configured explicitly stays as it is."""
        stack = stack_berjalan(self.var_dir)
        if not stack:
            return
        sim = stack.get("simulator")
        if sim:
            if self.simpeg.url == Simpeg().url:
                self.simpeg.url = f"{sim}/simpeg/api/v1"
            if self.siasn.url == Siasn().url:
                self.siasn.url = sim
            if self.siasn.sso_url == Siasn().sso_url:
                self.siasn.sso_url = sim
        web = stack.get("web")
        if web and self.tte.verify_base_url == Tte().verify_base_url:
            self.tte.verify_base_url = web

    def klasifikasi_for(self, jenis: str) -> str:
        try:
            return self.naskah.klasifikasi[jenis]
        except KeyError:
            raise KeyError(
                f"no classification code for document type {jenis!r}; "
                f"set DIKLAT_NASKAH__KLASIFIKASI"
            ) from None

    def unit_nomor(self, jenis: str) -> str:
        """The unit part of a document type's number: its own series (``seri``), the
        register of keputusan for decrees (``seri_keputusan``), or the agency's letters."""
        pattern = self.naskah.seri.get(jenis)
        if pattern is None and jenis in JENIS_KEPUTUSAN and self.naskah.seri_keputusan:
            pattern = self.naskah.seri_keputusan
        return (pattern or "{kode_unit}").format(kode_unit=self.instansi.kode_unit)

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain data, secrets masked: ``SecretStr`` fields, and
        credentials inside any URL (``user:pass@``, ``?password=``, ``?token=`` ...)."""
        return _mask_urls(self.model_dump(mode="json"))


#: Query parameters of a URL whose values are secrets.
_SECRET_PARAMS = (
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "apikey",
    "api_key",
    "access_token",
    "auth",
    "passphrase",
    "sslpassword",
    "credential",
)


def _mask_urls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _mask_urls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_urls(v) for v in value]
    if isinstance(value, str) and "://" in value:
        return mask_url(value)
    return value


def mask_url(url: str) -> str:
    """Hide credentials inside a URL: the password of ``scheme://user:secret@host`` and the
    values of secret-looking query parameters (``?password=...``, ``&token=...``)."""
    import re
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"//[^/@]*@", "//***@", url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{userinfo}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_secret_param(k) for k, _ in pairs):
            query = urlencode([(k, "***" if _secret_param(k) else v) for k, v in pairs], safe="*:/")
    if netloc == parts.netloc and query == parts.query:
        return url  # nothing secret (and "sqlite:///..." keeps its slashes)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _secret_param(name: str) -> bool:
    n = name.lower()
    return any(n == p or n.endswith(("_" + p, "-" + p)) for p in _SECRET_PARAMS)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
